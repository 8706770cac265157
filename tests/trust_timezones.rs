//! Time zones that fit the person, through the console on a simulated clock: an ambassador sets
//! their own zone (a typo gets the closest names) and the next check-in comes at the configured
//! hour there; `record` shows the zone in use; an applicant is asked for their zone and, once
//! approved, prompted in it; a member may set theirs, and it wins over the zone the office names.
//! On SQLite, and on PostgreSQL when `TEST_POSTGRES_URL` is set.

mod support;

use support::{PgSchema, Sandbox, line_with, message_with, messages};

/// Runs `check` on a fresh SQLite sandbox, then on a PostgreSQL schema of its own.
fn on_both_stores(test: &str, check: impl Fn(Sandbox)) {
    check(Sandbox::new());
    if let Some(schema) = PgSchema::new(test) {
        check(Sandbox::new().with_env("AMBASSADOR_BOT__DATABASE__URL", &schema.url));
    }
}

/// The index of the one message containing `needle`.
fn position(m: &[String], needle: &str) -> usize {
    message_with(m, needle);
    m.iter().position(|x| x.contains(needle)).unwrap()
}

#[test]
fn an_ambassador_sets_their_zone_and_is_prompted_at_its_hour() {
    on_both_stores("tz_own", |sb| {
        // Sunday; check-ins go out Mondays at 09:00 in each ambassador's zone. In the demo, ada is
        // in Europe/London (09:00 UTC in January), grace in Europe/Berlin (08:00 UTC), margaret in
        // America/New_York (14:00 UTC).
        let script = "\
:as ada
/ambassadors timezone Europe/Berln
/ambassadors timezone America/New_York
:clock 2027-01-04T13:59:00Z
:clock 2027-01-04T14:00:00Z
/ambassadors record
!ambassadors timezone
";
        let out = sb.console(&["--demo", "--clock", "2027-01-03T12:00:00Z"], script);
        let m = messages(&out);

        // A typo: one line with the closest names; nothing changed.
        let typo = message_with(&m, "“Europe/Berln” is not a time zone I know.");
        assert!(typo.starts_with("[only ada]"), "{typo}");
        assert_eq!(typo.lines().count(), 1, "one line: {typo}");
        assert!(typo.contains("Did you mean Europe/Berlin"), "{typo}");

        // Set: the change is confirmed with the next prompt, in her new zone.
        let set = message_with(&m, "Your time zone is now *America/New_York*");
        assert!(set.contains("(it was Europe/London)"), "{set}");
        assert!(
            set.contains("Your next check-in comes Monday 4 January, 09:00."),
            "{set}"
        );

        // No prompt for her at London's 09:00 (09:00 UTC): it comes at New York's (14:00 UTC).
        let before = position(&m, "[clock] Monday 2027-01-04 13:59 UTC");
        let after = position(&m, "[clock] Monday 2027-01-04 14:00 UTC");
        let prompt = position(&m, "[dm:ada] *Check-in for 2027-01-04*");
        assert!(before < prompt && prompt < after, "{out}");
        assert!(
            m[prompt].contains("until *Sunday 10 January, 09:00*"),
            "closes in her zone: {}",
            m[prompt]
        );
        // Only hers moved: grace had hers at Berlin's 09:00.
        assert!(position(&m, "[dm:grace] *Check-in for 2027-01-04*") < before);

        // The record and the zone command show the zone in use, and that it is her choice.
        let record = message_with(&m, "*Ambassador program record — ada*");
        assert_eq!(
            line_with(record, "Time zone").trim(),
            "Time zone: America/New_York (own choice)",
            "{record}"
        );
        let shown = message_with(&m, "Your time zone: *America/New_York* (own choice).");
        assert!(
            shown.contains("Your next check-in comes Monday 11 January, 09:00."),
            "{shown}"
        );
        assert!(
            shown.contains("`!ambassadors timezone <IANA name>`"),
            "{shown}"
        );
    });
}

#[test]
fn an_applicant_is_asked_their_zone_and_prompted_in_it_once_approved() {
    on_both_stores("tz_apply", |sb| {
        let script = "\
:as dave
:dm
/ambassadors apply
I like helping.
Not much yet.
Workshops.
America/New_Yrok
America/New_York
Sales
:as admin
:in general
/ambassadors applications
/ambassadors approve @dave
:clock 2027-01-11T13:59:00Z
:clock 2027-01-11T14:00:00Z
:as dave
/ambassadors record
";
        let out = sb.console(&["--demo", "--clock", "2027-01-06T12:00:00Z"], script);
        let m = messages(&out);

        assert!(
            out.contains("I will ask 5 short questions, one at a time"),
            "{out}"
        );
        // The zone is asked after the three questions, before the department.
        let asked: Vec<&String> = m
            .iter()
            .filter(|x| x.contains("4/5: Which time zone are you in?"))
            .collect();
        assert_eq!(
            asked.len(),
            2,
            "asked, and asked again after the typo: {out}"
        );
        assert!(
            asked[0].contains("Reply with its IANA name"),
            "{}",
            asked[0]
        );
        // A typo loses nothing: the closest names, the question again.
        let typo = message_with(&m, "“America/New_Yrok” is not a time zone I know.");
        assert!(typo.contains("Did you mean America/New_York"), "{typo}");
        assert!(out.contains("5/5: Last one: which department"), "{out}");
        assert!(message_with(&m, "*Application sent*").contains("Sales (Americas)"));

        // The office sees the zone, and the approval puts him on the roster in it.
        let review = message_with(&m, "Ambassador applications — 1 open");
        assert!(review.contains("Time zone: America/New_York"), "{review}");
        assert!(
            out.contains(
                "✅ Approved: @dave is now the ambassador of Sales (Americas), time zone America/New_York."
            ),
            "{out}"
        );

        // His first check-in comes at 09:00 in New York, not at the program's 09:00 UTC.
        let before = position(&m, "[clock] Monday 2027-01-11 13:59 UTC");
        let after = position(&m, "[clock] Monday 2027-01-11 14:00 UTC");
        let prompt = position(&m, "[dm:dave] *Check-in for 2027-01-11*");
        assert!(before < prompt && prompt < after, "{out}");
        let record = message_with(&m, "*Ambassador program record — dave*");
        assert!(
            record.contains("Time zone: America/New_York (own choice)"),
            "{record}"
        );
    });
}

#[test]
fn a_member_sets_their_zone_and_it_wins_over_the_one_the_office_names() {
    on_both_stores("tz_member", |sb| {
        let script = "\
:as carol
/ambassadors help
/ambassadors timezone
/ambassadors timezone asia/tokyo
:as admin
/ambassadors add @carol Marketing Europe/Paris
:as carol
/ambassadors timezone
";
        let out = sb.console(&["--demo", "--clock", "2027-01-06T12:00:00Z"], script);
        let m = messages(&out);

        assert!(
            message_with(&m, "Commands for you").contains("/ambassadors timezone [IANA time zone]"),
            "listed in the help for everyone: {out}"
        );
        assert!(
            out.contains("[only carol] Your time zone: *UTC* (the program's; none set)."),
            "{out}"
        );
        // Spelled in any case, stored canonically; a member is told what it is for.
        assert!(
            out.contains(
                "[only carol] Your time zone is now *Asia/Tokyo*. Should you become an ambassador, your check-ins come at their hour in it."
            ),
            "{out}"
        );
        // Her own choice wins over the zone the office names, and the office is told.
        assert!(
            out.contains(
                "@carol is now the ambassador of Marketing (Americas), time zone Asia/Tokyo (their own choice, not Europe/Paris); the welcome message is on its way to them by direct message."
            ),
            "{out}"
        );
        let shown = message_with(&m, "Your time zone: *Asia/Tokyo* (own choice).");
        assert!(
            shown.contains("Your next check-in comes Monday 11 January, 09:00."),
            "{shown}"
        );
    });
}
