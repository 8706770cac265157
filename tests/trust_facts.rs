//! Facts, not inferences: what the bot tells the program office rests on what it recorded. After an
//! import of long-serving ambassadors the inactivity ladder starts from the import (no "quiet for
//! 1039 days" the next morning); a yearly renewal is asked before it is ever reported, and the report
//! says how many days ago the ask really went out; a pause that starts while a round is open takes
//! the ambassador out of that round. Each on SQLite and on PostgreSQL.

mod support;

use support::{Sandbox, messages};

/// The sandbox on SQLite, and one on a PostgreSQL schema of its own when `TEST_POSTGRES_URL` is set.
fn on_both_stores(test: &str, scenario: impl Fn(&Sandbox)) {
    scenario(&Sandbox::new());
    if let Some(schema) = support::PgSchema::new(test) {
        scenario(&Sandbox::new().with_env("AMBASSADOR_BOT__DATABASE__URL", &schema.url));
    }
}

/// Imports one department and `roster` (CSV with a header line) with `ambassador-bot import`.
fn import(sb: &Sandbox, roster: &str) {
    let departments = sb.file(
        "departments.csv",
        "name,region,headcount\nResearch,EMEA,40\n",
    );
    let roster = sb.file("roster.csv", roster);
    let out = sb.run(
        &[
            "import",
            "--departments",
            departments.to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn with<'a>(msgs: &'a [String], prefix: &str, needle: &str) -> Vec<&'a String> {
    msgs.iter()
        .filter(|m| m.starts_with(prefix) && m.contains(needle))
        .collect()
}

#[test]
fn an_imported_roster_of_long_serving_ambassadors_starts_the_ladder_from_the_import() {
    on_both_stores("ladder_import", |sb| {
        // Ambassadors for years, never seen by the bot before the import.
        import(
            sb,
            "person,department,since\neve,Research,2019-06-15\nfrank,Research,2024-01-31\n",
        );
        // The console follows the real clock, like the import did: the next morning, then three
        // months on.
        let out = sb.console(
            &[],
            ":as admin\n:clock +1d\n/ambassadors list Research\n:clock +90d\n",
        );
        let m = messages(&out);
        let marker = m
            .iter()
            .position(|x| x.starts_with("[only admin] *Ambassadors — Research"))
            .expect("the roster listing");
        let (morning, later) = m.split_at(marker);
        assert!(
            with(morning, "[dm:", "quiet for").is_empty()
                && with(morning, "[dm:", "We have not heard from you").is_empty(),
            "no alarm the morning after the import: {morning:#?}"
        );
        for who in ["eve", "frank"] {
            let nudges = with(later, &format!("[dm:{who}]"), "We have not heard from you");
            assert_eq!(nudges.len(), 1, "{who}: {later:#?}");
            let asks = with(
                later,
                "[dm:admin]",
                &format!("@{who}, ambassador of Research"),
            );
            assert_eq!(asks.len(), 1, "{who}: {asks:#?}");
            assert!(
                asks[0].contains("has been quiet for 90 days")
                    && asks[0].contains("Mark them inactive?"),
                "counted from the import: {}",
                asks[0]
            );
        }
        assert!(
            with(&m, "[dm:admin]", "move them to alumni").is_empty(),
            "{out}"
        );
    });
}

#[test]
fn a_renewal_passed_before_the_bot_ran_is_asked_first_and_reported_with_the_true_days() {
    on_both_stores("renewal_asked_first", |sb| {
        // frank's anniversary (2027-03-01) passed before the bot ran; gus's (2026-06-01) long ago.
        import(
            sb,
            "person,department,since\nfrank,Research,2026-03-01\ngus,Research,2025-06-01\n",
        );
        let first = sb.console(
            &["--clock", "2027-03-20T08:00:00Z"],
            ":as admin\n:clock 2027-03-20T12:00:00Z\n",
        );
        let m = messages(&first);
        let asks = with(
            &m,
            "[dm:frank]",
            "Would you like to go on for another year?",
        );
        assert_eq!(asks.len(), 1, "{first}");
        assert!(
            asks[0].starts_with("[dm:frank] *1 year as ambassador of Research 🎂*")
                && asks[0].contains("Please answer by 2027-04-03"),
            "{}",
            asks[0]
        );
        assert!(
            with(&m, "[dm:admin]", "has not confirmed").is_empty(),
            "never reported before being asked: {first}"
        );
        assert!(
            with(&m, "[dm:gus]", "another year").is_empty(),
            "a year long past is not asked about: {first}"
        );
        // The bot is away for three weeks; on its first morning back the ask is 21 days old.
        let second = sb.console(
            &["--clock", "2027-04-10T08:00:00Z"],
            ":as admin\n:clock 2027-04-10T12:00:00Z\n:clock 2027-05-10T12:00:00Z\n",
        );
        let m = messages(&second);
        let reports = with(&m, "[dm:admin]", "has not confirmed another year");
        assert_eq!(reports.len(), 1, "only frank, once: {reports:#?}");
        assert!(
            reports[0].contains(
                "@frank has not confirmed another year as ambassador of Research (anniversary 2027-03-01, asked 21 days ago)"
            ),
            "{}",
            reports[0]
        );
        assert!(
            with(&m, "[dm:frank]", "another year").is_empty(),
            "asked once: {second}"
        );
    });
}

#[test]
fn a_pause_during_an_open_round_takes_the_ambassador_out_of_it() {
    on_both_stores("pause_open_round", |sb| {
        // Monday 2027-01-04 12:00 UTC: the rounds of Tokyo (hedy) and Helsinki (linus) are open.
        let script = "\
:clock 2027-01-04T12:00:00Z
:as hedy
/checkin pause until 2027-01-16
:clock 2027-01-11T12:00:00Z
:as admin
/ambassadors pause @linus
:clock 2027-01-17T16:00:00Z
/ambassadors checkins
:clock 2027-01-24T12:00:00Z
";
        let out = sb.console(&["--demo", "--clock", "2027-01-03T12:00:00Z"], script);
        let m = messages(&out);
        // No reminder for the round the pause began in; linus was still reminded the week before.
        let hedy = with(&m, "[dm:hedy]", "A friendly reminder");
        assert_eq!(hedy.len(), 1, "{hedy:#?}");
        assert!(
            hedy[0].contains("your check-in for 2027-01-18"),
            "{}",
            hedy[0]
        );
        let linus = with(&m, "[dm:linus]", "A friendly reminder");
        assert_eq!(linus.len(), 1, "{linus:#?}");
        assert!(linus[0].contains("your check-in for 2027-01-04"));
        // Not counted as missed: hedy misses the round of 2027-01-18, her first after the vacation;
        // the round she paused in does not make that two in a row.
        assert!(
            with(&m, "[dm:hedy]", "*Check-in for 2027-01-18*").len() == 1
                && with(
                    &m,
                    "[dm:admin]",
                    "@hedy (Data Science, APAC) has not answered"
                )
                .is_empty(),
            "{out}"
        );
        let vacation = with(&m, "[only hedy]", "Enjoy your time off!");
        assert_eq!(vacation.len(), 1, "{out}");
        assert!(
            vacation[0].contains("That includes the round of 2027-01-04 open now"),
            "{}",
            vacation[0]
        );
        let paused = with(&m, "[only admin]", "@linus is paused");
        assert_eq!(paused.len(), 1, "{out}");
        assert!(
            paused[0].contains("They are out of the open check-in round of 2027-01-11"),
            "{}",
            paused[0]
        );
        let view = with(&m, "[only admin]", "*Check-ins*");
        assert_eq!(view.len(), 1, "{out}");
        let view = view[0];
        assert!(
            view.contains("Paused during the round of 2027-01-11 (not expected to answer): @linus"),
            "{view}"
        );
        let missing = view
            .lines()
            .find(|l| {
                l.contains("in the round of 2027-01-11")
                    && (l.trim_start().starts_with("Not answered yet")
                        || l.trim_start().starts_with("No answer"))
            })
            .unwrap_or_else(|| panic!("{view}"));
        assert!(!missing.contains("@linus"), "{missing}");
        // A column of its own: hedy in the round of 2027-01-04, linus in that of 2027-01-11.
        let cells = |start: &str| -> Vec<&str> {
            view.lines()
                .map(str::trim)
                .find(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("no line {start:?} in {view}"))
                .split_whitespace()
                .collect()
        };
        let paused_column = cells("Round").iter().position(|c| *c == "Paused");
        assert_eq!(paused_column, Some(4), "{view}");
        assert_eq!(cells("2027-01-04")[4], "1", "{view}");
        assert_eq!(cells("2027-01-11")[4], "1", "{view}");
        // The export says the same.
        let csv = sb.run(
            &[
                "export",
                "checkins",
                "--since",
                "2027-01-04",
                "--until",
                "2027-01-18",
            ],
            "",
        );
        assert!(
            csv.status.success(),
            "{}",
            String::from_utf8_lossy(&csv.stderr)
        );
        let csv = String::from_utf8(csv.stdout).unwrap();
        let row = |round: &str, who: &str| {
            csv.lines()
                .find(|l| l.starts_with(round) && l.contains(&format!(",console:{who},")))
                .unwrap_or_else(|| panic!("no {round} row for {who} in\n{csv}"))
                .to_string()
        };
        assert!(row("2027-01-04", "hedy").contains(",paused,"), "{csv}");
        assert!(row("2027-01-18", "hedy").contains(",missed,"), "{csv}");
        assert!(row("2027-01-04", "linus").contains(",missed,"), "{csv}");
        assert!(row("2027-01-11", "linus").contains(",paused,"), "{csv}");
    });
}
