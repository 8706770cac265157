//! Promises kept (issue #15, point 5), through the console on SQLite and on PostgreSQL: the kudos
//! leaderboard that help and `/kudos optout` speak of; the career record with the activity log;
//! activity text in the digest and reports without the fields parsed out of it; and a kudos to
//! people of several departments listed under each receiver's own department.

mod support;

use support::{PgSchema, Sandbox, message_with, messages};

/// Runs `scenario` on a SQLite sandbox, and on a PostgreSQL one when `TEST_POSTGRES_URL` is set.
fn on_both_backends(test: &str, scenario: impl Fn(&Sandbox)) {
    scenario(&Sandbox::new());
    if let Some(schema) = PgSchema::new(test) {
        scenario(&Sandbox::new().with_env("AMBASSADOR_BOT__DATABASE__URL", &schema.url));
    }
}

/// The lines of `message` under the bold line `heading`, up to the next bold line.
fn section<'a>(message: &'a str, heading: &str) -> Vec<&'a str> {
    let mut lines = message.lines();
    lines
        .by_ref()
        .find(|l| l.trim() == heading)
        .unwrap_or_else(|| panic!("no {heading:?} in\n{message}"));
    lines
        .take_while(|l| !l.trim_start().starts_with('*'))
        .collect()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

/// Wednesday 2027-03-10. The demo's kudos: bob → ada (03-07), ada → carol and dave (03-08),
/// carol → hedy and margaret → katherine (03-09).
const WEDNESDAY: &str = "2027-03-10T12:00:00Z";

#[test]
fn the_kudos_leaderboard_ranks_receivers_and_givers_with_ties_and_without_those_who_opted_out() {
    on_both_backends("leaderboard", |sb| {
        let out = sb.console(
            &["--demo", "--clock", WEDNESDAY],
            "/kudos leaderboard fortnight\n\
             /kudos leaderboard week month\n\
             :as bob\n/kudos @ada @grace @carol for the CI templates\n\
             :as carol\n/kudos @ada for reviewing the release notes\n\
             :as dave\n/kudos optout\n/kudos @bob for pairing on the flaky test\n\
             :as admin\n/kudos leaderboard\n/kudos leaderboard quarter region\n\
             !kudos leaderboard year\n",
        );
        let m = messages(&out);
        assert!(
            m[0].starts_with("[only admin] `fortnight` is not a period or a grouping: choose week, month, quarter or year, and region or department."),
            "{}",
            m[0]
        );
        assert!(
            m[0].contains("`/kudos leaderboard [week|month|quarter|year] [region|department]`")
        );
        assert!(m[1].contains("Give one period"), "{}", m[1]);

        // The default: this month, its dates said, one kudos naming three people counting once
        // for the giver and once for each of them.
        let month = message_with(&m, "Kudos leaderboard — this month");
        assert!(
            month.starts_with(
                "[only admin] *Kudos leaderboard — this month (2027-03-01 to 2027-03-10)*"
            ),
            "{month}"
        );
        assert!(
            month.contains(
                "1 kudos given by its giver and 1 kudos received by each person it names"
            ),
            "{month}"
        );
        assert_eq!(
            section(month, "*Receivers — all 6 shown*"),
            [
                "  • 1. @ada — 3 kudos",
                "  • 2. @carol — 2 kudos",
                "  • 3. @bob, @grace, @hedy, @katherine — 1 kudos",
            ],
            "{month}"
        );
        assert_eq!(
            section(month, "*Givers — all 4 shown*"),
            [
                "  • 1. @bob, @carol — 2 kudos",
                "  • 3. @ada, @margaret — 1 kudos"
            ],
            "{month}"
        );
        // dave opted out: in neither list, though he gave and received; his kudos to bob counts
        // for bob.
        assert!(!month.contains("@dave"), "{month}");

        // By region: people placed where they are ambassadors, the others together.
        let quarter = message_with(&m, "this quarter");
        assert!(
            quarter.contains("*Kudos leaderboard — this quarter (2027-01-01 to 2027-03-10)*"),
            "{quarter}"
        );
        let emea: Vec<&str> = quarter
            .lines()
            .skip_while(|l| l.trim() != "*EMEA*")
            .skip(1)
            .take(5)
            .collect();
        assert_eq!(
            emea,
            [
                "  *Receivers — all 2 shown*",
                "  • 1. @ada — 3 kudos",
                "  • 2. @grace — 1 kudos",
                "  *Givers — 1 person*",
                "  • 1. @ada — 1 kudos",
            ],
            "{quarter}"
        );
        let off: Vec<&str> = quarter
            .lines()
            .skip_while(|l| l.trim() != "*Not on the roster (no department known)*")
            .skip(1)
            .collect();
        assert_eq!(
            off,
            [
                "  *Receivers — all 2 shown*",
                "  • 1. @carol — 2 kudos",
                "  • 2. @bob — 1 kudos",
                "  *Givers — all 2 shown*",
                "  • 1. @bob, @carol — 2 kudos",
            ],
            "{quarter}"
        );
        assert!(!quarter.contains("@dave"), "{quarter}");

        // Matrix style: the answer shows commands with `!`.
        let year = message_with(&m, "this year");
        assert!(
            year.contains("(2027-01-01 to 2027-03-10)") && year.contains("`!kudos optout`"),
            "{year}"
        );
    });
}

#[test]
fn an_empty_period_gets_a_clear_answer() {
    on_both_backends("leaderboard_empty", |sb| {
        // Thursday 2027-04-01: the demo's kudos were given in March.
        let out = sb.console(
            &["--demo", "--clock", "2027-04-01T12:00:00Z"],
            "/kudos leaderboard\n/kudos leaderboard week\n",
        );
        let m = messages(&out);
        assert!(
            m[0].starts_with("[only admin] No kudos given this month yet (2027-04-01 to 2027-04-01), so there is no leaderboard."),
            "{}",
            m[0]
        );
        assert!(
            m[1].contains("*Kudos leaderboard — this week (2027-03-29 to 2027-04-01)*"),
            "{}",
            m[1]
        );
    });
}

#[test]
fn the_career_record_holds_the_activity_log_in_chat_and_in_the_export() {
    on_both_backends("record_activity", |sb| {
        let out = sb.console(
            &["--demo", "--clock", WEDNESDAY],
            ":as ada\n\
             /ambassadors log Ran an InnerSource 101 workshop #workshop #onboarding (25 people) on 2027-03-08\n\
             /ambassadors log Hosted #docs office hours for 12 people\n\
             /ambassadors record\n",
        );
        let m = messages(&out);
        let record = message_with(&m, "Ambassador program record — ada");
        assert!(
            record.contains("Activities logged: 2, reaching 37 people"),
            "{record}"
        );
        assert_eq!(
            section(record, "*Activity log*"),
            [
                "  • 2027-03-10: Hosted docs office hours — 12 people · #docs",
                "  • 2027-03-08: Ran an InnerSource 101 workshop — 25 people · #workshop #onboarding",
            ],
            "{record}"
        );

        let md = ok(&sb.run(&["export", "record", "console:ada"], ""));
        assert!(
            md.contains("- **Activities logged**: 2, reaching 37 people"),
            "{md}"
        );
        assert!(
            md.contains("- 2027-03-08: Ran an InnerSource 101 workshop — 25 people · \\#workshop \\#onboarding"),
            "{md}"
        );
        let csv = ok(&sb.run(&["export", "record", "console:ada", "--format", "csv"], ""));
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], "kind,date,until,detail,from,from_account");
        let activities: Vec<&str> = rows
            .iter()
            .copied()
            .filter(|r| r.starts_with("activity,"))
            .collect();
        assert_eq!(
            activities,
            [
                "activity,2027-03-08,,Ran an InnerSource 101 workshop — 25 people · #workshop #onboarding,,",
                "activity,2027-03-10,,Hosted docs office hours — 12 people · #docs,,",
            ],
            "{csv}"
        );
    });
}

#[test]
fn the_digest_and_reports_show_activity_text_without_its_tags_audience_and_date() {
    on_both_backends("activity_text", |sb| {
        let out = sb.console(
            &["--demo", "--clock", WEDNESDAY],
            ":as ada\n\
             /ambassadors log Ran an InnerSource 101 workshop #workshop #onboarding (25 people) on 2027-03-08\n\
             :as admin\n/ambassadors activity\n\
             :clock 2027-03-12T16:00:00Z\n",
        );
        let m = messages(&out);
        let digest = message_with(&m, "*Weekly digest — week to 2027-03-12*");
        assert!(
            digest.contains("• @ada (Platform Engineering): Ran an InnerSource 101 workshop — 2027-03-08 · 25 people · #workshop #onboarding\n"),
            "{digest}"
        );
        assert!(!digest.contains("(25 people)"), "{digest}");
        assert!(!digest.contains("on 2027-03-08"), "{digest}");
        let office = message_with(&m, "*Activity — the whole organization");
        assert!(
            office.contains("• @ada, 2027-03-08: Ran an InnerSource 101 workshop — 25 people · #workshop #onboarding\n"),
            "{office}"
        );
        let md = ok(&sb.run(&["export", "activity", "--quarter", "2027-Q1"], ""));
        assert!(
            md.contains("- 2027-03-08 · EMEA · ada (Platform Engineering) · 25 people: Ran an InnerSource 101 workshop — #workshop #onboarding\n"),
            "{md}"
        );
    });
}

#[test]
fn a_kudos_to_several_departments_is_listed_under_each_receivers_own() {
    on_both_backends("digest_departments", |sb| {
        let out = sb.console(
            &["--demo", "--clock", WEDNESDAY],
            ":as bob\n/kudos @ada @katherine @carol for the cross-team release\n\
             :clock 2027-03-12T16:00:00Z\n",
        );
        let m = messages(&out);
        let digest = message_with(&m, "*Weekly digest — week to 2027-03-12*");
        let line = |group: &str| -> Vec<&str> {
            section(digest, group)
                .into_iter()
                .filter(|l| l.contains("cross-team release"))
                .collect()
        };
        assert_eq!(
            line("*EMEA · Platform Engineering*"),
            ["  • @ada (with @carol and @katherine), thanked by @bob for _the cross-team release_"],
            "{digest}"
        );
        assert_eq!(
            line("*Americas · Customer Success*"),
            ["  • @katherine (with @ada and @carol), thanked by @bob for _the cross-team release_"],
            "{digest}"
        );
        assert_eq!(
            line("*Across the organization*"),
            ["  • @carol (with @ada and @katherine), thanked by @bob for _the cross-team release_"],
            "{digest}"
        );
        // Still one kudos among the week's.
        assert!(digest.contains("*🎉 5 kudos this week*"), "{digest}");
    });
}
