//! One definition per figure: the check-in response rate (answered / (prompted − skipped − paused)
//! over closed rounds) is the same in `/ambassadors checkins`, the digest, the quarterly report and
//! `/ambassadors record`; percentages are rounded, not floored; "people covered" leaves thin
//! departments out and reports them beside it; `/kudos mine` says what it counts. Each scenario
//! runs on SQLite, and on PostgreSQL when `TEST_POSTGRES_URL` is set.

mod support;

use support::{PgSchema, Sandbox, line_with, message_with, messages};

/// The same console session on SQLite and, when available, on a PostgreSQL schema of its own.
fn on_both_stores(test: &str, env: &[(&str, &str)], args: &[&str], script: &str) -> Vec<String> {
    let sandbox = |url: Option<&str>| {
        let mut sb = Sandbox::new();
        for (k, v) in env {
            sb = sb.with_env(k, v);
        }
        if let Some(url) = url {
            sb = sb.with_env("AMBASSADOR_BOT__DATABASE__URL", url);
        }
        sb
    };
    let mut transcripts = vec![sandbox(None).console(args, script)];
    if let Some(schema) = PgSchema::new(test) {
        transcripts.push(sandbox(Some(&schema.url)).console(args, script));
    }
    transcripts
}

/// A round of 2027-01-04 every demo ambassador has been prompted for (New York and Chicago
/// included): ada answers, grace skips, the others stay silent.
const FIRST_ROUND: &str = "\
:clock 2027-01-04T16:00:00Z
:as ada
:dm
Two office hours; the build team needs a CI sponsor.
:as grace
:in general
/checkin skip
";

#[test]
fn an_open_round_shows_as_open_and_a_closed_one_is_rounded() {
    let script = format!(
        "{FIRST_ROUND}:as admin\n/ambassadors checkins\n:clock 2027-01-18T12:00:00Z\n/ambassadors checkins\n"
    );
    for out in on_both_stores(
        "fig_checkins",
        &[],
        &["--demo", "--clock", "2027-01-03T12:00:00Z"],
        &script,
    ) {
        let m = messages(&out);
        let views: Vec<&String> = m
            .iter()
            .filter(|x| x.starts_with("[only admin] *Check-ins*"))
            .collect();
        assert_eq!(views.len(), 2, "{out}");
        let open: Vec<&str> = line_with(views[0], "2027-01-04")
            .split_whitespace()
            .collect();
        assert_eq!(
            open[..7],
            ["2027-01-04", "(open)", "7", "1", "1", "0", "open"],
            "an open round has no rate yet: {}",
            views[0]
        );
        assert!(
            views[0].contains("Not answered yet in the round of 2027-01-04"),
            "{}",
            views[0]
        );
        let closed: Vec<&str> = line_with(views[1], "2027-01-04")
            .split_whitespace()
            .collect();
        assert_eq!(
            closed[..6],
            ["2027-01-04", "7", "1", "1", "0", "17%"],
            "1 answered of 7 prompted less 1 skipped is 17%: {}",
            views[1]
        );
        let newest: Vec<&str> = line_with(views[1], "2027-01-18")
            .split_whitespace()
            .collect();
        assert_eq!(newest[..2], ["2027-01-18", "(open)"], "{}", views[1]);
        assert_eq!(newest[6], "open", "{}", views[1]);
    }
}

#[test]
fn the_digest_waits_for_a_round_to_close_in_every_time_zone() {
    // Rounds close after 4 days, the digest goes out on Fridays at 12:00 UTC: on 2027-01-08 the
    // round of 2027-01-04 has closed in Europe and Asia but not yet in New York and Chicago.
    let script = format!(
        "{FIRST_ROUND}:clock 2027-01-08T13:00:00Z\n:as katherine\n/checkin The support team wants a shared roadmap.\n:clock 2027-01-15T13:00:00Z\n"
    );
    for out in on_both_stores(
        "fig_digest",
        &[
            ("AMBASSADOR_BOT__CHECKINS__CLOSE_AFTER", "4days"),
            ("AMBASSADOR_BOT__DIGEST__SCHEDULE", "0 12 * * Fri"),
        ],
        &["--demo", "--clock", "2027-01-03T12:00:00Z"],
        &script,
    ) {
        let m = messages(&out);
        let first = message_with(&m, "Weekly digest — week to 2027-01-08");
        assert!(
            !first.contains("Check-ins:"),
            "no round had closed everywhere: {first}"
        );
        let second = message_with(&m, "Weekly digest — week to 2027-01-15");
        assert!(
            second.contains(
                "*Check-ins:* 33% of the ambassadors expected answered the round of 2027-01-04 (2 of 6)."
            ),
            "katherine answered before her round closed; the round of 2027-01-11 is still open: {second}"
        );
    }
}

#[test]
fn the_quarterly_report_and_the_record_count_closed_rounds_only() {
    let script = format!(
        "{FIRST_ROUND}:clock 2027-01-18T12:00:00Z\n:as admin\n/ambassadors quarter\n:as ada\n/ambassadors record\n:as grace\n/ambassadors record\n"
    );
    for out in on_both_stores(
        "fig_quarter",
        &[],
        &["--demo", "--clock", "2027-01-03T12:00:00Z"],
        &script,
    ) {
        let m = messages(&out);
        let report = message_with(&m, "*Quarterly report — 2027-Q1*");
        let emea = line_with(report, "EMEA   ");
        assert!(
            emea.contains("2 of 3") && emea.contains(" 20% "),
            "EMEA's closed rounds: 1 answered of 6 prompted less 1 skipped: {emea}"
        );
        assert!(
            report.contains("*EMEA*: 67% of departments have an ambassador."),
            "{report}"
        );
        let ada = message_with(&m, "*Ambassador program record — ada*");
        assert!(
            ada.contains("Check-ins: 1 of 2 answered (50%) · 1 open"),
            "{ada}"
        );
        let grace = message_with(&m, "*Ambassador program record — grace*");
        assert!(
            grace.contains("Check-ins: 0 of 1 answered (0%) · 1 skipped · 1 open"),
            "{grace}"
        );
    }
}

#[test]
fn people_covered_leaves_thin_departments_out_and_shows_them_beside_it() {
    let script = "\
/ambassadors coverage
/ambassadors add @bob Sales America/New_York
/ambassadors add @carol Sales America/New_York
/ambassadors coverage
";
    for out in on_both_stores("fig_coverage", &[], &["--demo"], script) {
        let m = messages(&out);
        let reports: Vec<&String> = m
            .iter()
            .filter(|x| x.starts_with("[only admin] *Coverage — whole organization*"))
            .collect();
        assert_eq!(reports.len(), 2, "{out}");
        assert!(
            reports[0].contains(
                "*6 of 8* departments have an ambassador (75%) · *51%* of 995 people covered · 40% in thin departments"
            ),
            "Sales (400 people, one ambassador) is thin: {}",
            reports[0]
        );
        let americas = line_with(reports[0], "Americas   ");
        assert!(
            americas.contains("16%") && americas.contains("73%"),
            "{americas}"
        );
        assert!(
            line_with(reports[1], "Sales ").contains("✓ covered"),
            "{}",
            reports[1]
        );
        assert!(
            reports[1].contains("*91%* of 995 people covered · 9 active ambassadors"),
            "{}",
            reports[1]
        );
        assert!(
            !reports[1].contains("in thin departments"),
            "{}",
            reports[1]
        );
    }
}

#[test]
fn kudos_mine_counts_in_the_unit_of_the_daily_limit_and_says_so() {
    let script = "\
:as dave
/kudos @ada @grace for the CI templates
/kudos mine
/kudos @hedy for the data office hours
/kudos @alan for the incident runbook rewrite
/kudos mine
:as bob
/kudos mine
";
    for out in on_both_stores(
        "fig_kudos",
        &[("AMBASSADOR_BOT__PROGRAM__KUDOS_DAILY_LIMIT", "2")],
        &["--demo"],
        script,
    ) {
        let m = messages(&out);
        assert!(
            m[1].starts_with(
                "[only dave] Thank you for recognizing them! You have one kudos left today."
            ),
            "{out}"
        );
        let unit = "Counted per kudos: a kudos to several people counts once, as in the daily limit of 2 kudos.";
        assert!(
            m[2].contains("*Your kudos — 1 received, 1 given*") && m[2].contains(unit),
            "thanking two people is one kudos: {}",
            m[2]
        );
        assert!(
            out.contains("You have given your 2 kudos for today, the daily limit."),
            "{out}"
        );
        let mine = &m[m.len() - 2];
        assert!(
            mine.contains("*Your kudos — 1 received, 2 given*") && mine.contains(unit),
            "{mine}"
        );
        assert_eq!(
            m.last().unwrap(),
            &format!(
                "[only bob] No kudos received yet — they will come! You have given one kudos. {unit}"
            )
        );
    }
}
