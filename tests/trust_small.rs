//! Small truths (issue #15, point 6): counts agree with their noun, a department moved to a new
//! region is flagged like a new one added, `check-config` catches a digest channel or an office
//! account on a platform that is not enabled, the welcome states the configured check-in cadence,
//! vague kudos get a nudge instead of silent acceptance, and a line of invalid UTF-8 does not end
//! a console session.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use support::{Sandbox, message_with, messages};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn counts_of_one_read_as_one() {
    let sb = Sandbox::new();
    // Wednesday; the digest is due Friday 15:00 UTC.
    let out = sb.console(
        &["--demo", "--clock", "2027-03-03T12:00:00Z"],
        "/ambassadors dept add Legal-Ops EMEA 1\n\
         :as bob\n\
         /kudos @ada for the onboarding workshop\n\
         /kudos @grace for reviewing the release notes\n\
         /kudos @linus for the budget dashboard\n\
         /kudos @hedy for the notebook library\n\
         /kudos @alan for the incident write-up\n\
         :as ada\n\
         /ambassadors log Ran an InnerSource 101 workshop #workshop (25 people)\n\
         :clock 2027-03-05T16:00:00Z\n",
    );
    let m = messages(&out);
    assert!(
        message_with(&m, "Added department *Legal-Ops*").contains("in EMEA (1 person)."),
        "{out}"
    );
    message_with(&m, "You have 2 kudos left today.");
    message_with(&m, "You have one kudos left today.");
    assert!(!out.contains("1 kudos"), "{out}");
    let digest = message_with(&m, "Weekly digest");
    assert!(
        digest.contains("What our ambassadors did*: 1 activity, reaching 25 people"),
        "{digest}"
    );
}

#[test]
fn moving_a_department_to_a_new_region_is_flagged_like_adding_one() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo"],
        "/ambassadors dept move Finance to Lunar\n\
         /ambassadors dept move Legal to Amerika\n\
         /ambassadors dept add Security Nordics 30\n\
         /ambassadors dept move Sales to EMEA\n",
    );
    let m = messages(&out);
    assert_eq!(m.len(), 4, "{out}");
    // Not close to any region: the note lists the regions there are, and how to undo it.
    assert!(m[0].contains("Moved Finance from EMEA to Lunar."), "{out}");
    assert!(
        m[0].contains("“Lunar” is a new region. The regions so far: Americas, APAC, EMEA."),
        "{out}"
    );
    assert!(
        m[0].contains("`/ambassadors dept move Finance to EMEA`"),
        "{out}"
    );
    // Close to one: the note names it and the command that fixes the typo.
    assert!(
        m[1].contains("“Amerika” is a new region. Did you mean Americas?"),
        "{out}"
    );
    assert!(
        m[1].contains("`/ambassadors dept move Legal to Americas`"),
        "{out}"
    );
    // `dept add` says the same.
    assert!(m[2].contains("“Nordics” is a new region."), "{out}");
    // A region the org map has: no note.
    assert!(m[3].contains("Moved Sales from Americas to EMEA."), "{out}");
    assert!(!m[3].contains("new region"), "{out}");
}

#[test]
fn check_config_reports_a_digest_channel_on_a_platform_that_is_not_enabled() {
    let sb = Sandbox::new();
    sb.file(
        "bot-config.toml",
        "[program]\noffice = [\"console:admin\", \"matrix:@ispo:example.org\"]\n\n\
         [digest]\nchannels = [\"console:general\", \"slack:C0DIGEST\"]\n",
    );
    let out = sb.run(&["check-config"], "");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "error: digest.channels[1]: `slack:C0DIGEST` is on slack, which is not enabled"
        ),
        "{text}"
    );
    assert!(
        text.contains("warning: program.office[1]: `matrix:@ispo:example.org` is on matrix, which is not enabled"),
        "{text}"
    );
    assert!(text.contains("1 problem in the configuration"), "{text}");
    // The console is always there: its room and account are fine.
    assert!(!text.contains("digest.channels[0]"), "{text}");
    assert!(!text.contains("program.office[0]"), "{text}");

    // An office account on a platform that is not enabled alone is a warning, not a problem.
    let sb = Sandbox::new();
    sb.file(
        "bot-config.toml",
        "[program]\noffice = [\"slack:U012AB3CD\"]\n",
    );
    let out = sb.run(&["check-config"], "");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(
            "warning: program.office[0]: `slack:U012AB3CD` is on slack, which is not enabled"
        ),
        "{text}"
    );
    assert!(text.contains("Configuration OK"), "{text}");
}

/// The welcome `@zed` gets on joining Legal, with the check-in settings in `env`.
fn welcome_with(env: &[(&str, &str)], clock: &str, then: &str) -> Vec<String> {
    let mut sb = Sandbox::new();
    for (k, v) in env {
        sb = sb.with_env(k, v);
    }
    let out = sb.console(
        &["--demo", "--clock", clock],
        &format!(":as zed\n:as admin\n/ambassadors add @zed Legal Europe/Berlin\n{then}"),
    );
    messages(&out)
}

#[test]
fn the_welcome_states_the_configured_check_in_cadence() {
    // Wednesday 2027-03-03.
    let clock = "2027-03-03T12:00:00Z";
    let weekly = welcome_with(&[], clock, "");
    let welcome = message_with(&weekly, "[dm:zed] *Welcome");
    assert!(
        welcome.contains(
            "Check-ins come here every Monday at 09:00 in your time zone (Europe/Berlin)."
        ),
        "{welcome}"
    );

    let fortnightly = welcome_with(&[("AMBASSADOR_BOT__CHECKINS__EVERY_WEEKS", "2")], clock, "");
    let welcome = message_with(&fortnightly, "[dm:zed] *Welcome");
    assert!(
        welcome.contains("Check-ins come here every other Monday at 09:00"),
        "{welcome}"
    );
    assert!(!welcome.contains("every week"), "{welcome}");

    let monthly = welcome_with(
        &[("AMBASSADOR_BOT__CHECKINS__SCHEDULE", "30 8 1-7 * Tue")],
        clock,
        "",
    );
    let welcome = message_with(&monthly, "[dm:zed] *Welcome");
    assert!(
        welcome.contains("Check-ins come here on the first Tuesday of every month at 08:30"),
        "{welcome}"
    );

    // The 15th of each month is none of the described rules: the welcome names the next prompt,
    // and the prompt does come then.
    let odd = welcome_with(
        &[("AMBASSADOR_BOT__CHECKINS__SCHEDULE", "0 9 15 * *")],
        clock,
        ":clock 2027-03-15T07:59:00Z\n:clock 2027-03-15T08:01:00Z\n",
    );
    let welcome = message_with(&odd, "[dm:zed] *Welcome");
    assert!(
        welcome.contains(
            "Check-ins come here on the program's schedule (next: Monday 2027-03-15 at 09:00) in your time zone (Europe/Berlin)."
        ),
        "{welcome}"
    );
    let before = odd
        .iter()
        .position(|m| m.starts_with("[clock] Monday 2027-03-15 07:59"))
        .expect("the clock moved");
    assert!(
        odd[before + 1..]
            .iter()
            .any(|m| m.starts_with("[dm:zed] *Check-in for 2027-03-15*")),
        "{odd:#?}"
    );
    assert!(
        !odd[..before]
            .iter()
            .any(|m| m.starts_with("[dm:zed] *Check-in")),
        "{odd:#?}"
    );
}

#[test]
fn a_vague_kudos_gets_a_nudge_and_is_not_recorded() {
    // A limit of one a day: the nudge must not use it up.
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_DAILY_LIMIT", "1");
    let out = sb.console(
        &["--demo"],
        ":as bob\n\
         /kudos @ada for help\n\
         /kudos @ada for the great #docs\n\
         /kudos @ada for fixing the flaky login test\n\
         :as ada\n\
         /kudos mine\n",
    );
    let m = messages(&out);
    assert!(m[0].starts_with("[only bob] "), "{out}");
    assert!(
        m[0].contains("say what the person did, and “help” is a bit short. What did @ada do?"),
        "{out}"
    );
    assert!(m[0].contains("at least 3 words, for example"), "{out}");
    assert!(
        m[0].contains("Nothing was recorded, and it does not count toward your daily limit."),
        "{out}"
    );
    // Tags are not words.
    assert!(m[1].starts_with("[only bob] Kudos mean most"), "{out}");
    assert_eq!(
        m[2],
        "[general] 🎉 Kudos to @ada from @bob for *fixing the flaky login test*"
    );
    assert!(m[3].contains("That was your last kudos for today"), "{out}");
    let mine = &m[4];
    assert!(mine.contains("fixing the flaky login test"), "{mine}");
    assert!(!mine.contains("for help"), "{mine}");
    assert!(!mine.contains("great"), "{mine}");

    // 0 turns the nudge off.
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_MIN_REASON_WORDS", "0");
    let out = sb.console(&["--demo"], ":as bob\n/kudos @ada for help\n");
    let m = messages(&out);
    assert_eq!(m[0], "[general] 🎉 Kudos to @ada from @bob for *help*");
}

#[test]
fn a_line_of_invalid_utf8_does_not_end_the_console() {
    let sb = Sandbox::new();
    let mut child = Command::new(support::bin())
        .args(["console", "--demo"])
        .current_dir(sb.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ambassador-bot");
    // Latin-1 "Finänce", then a line of stray bytes, then a good line.
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"/ambassadors who Fin\xe4nce\n\xff\xfe\x80\n/ambassadors who Finance\n")
        .expect("write stdin");
    let out = child.wait_with_output().expect("ambassador-bot runs");
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = messages(&text);
    assert_eq!(m.len(), 2, "{text}");
    assert!(
        m[0].contains(
            "There is no department or region called “Fin\u{FFFD}nce”. Did you mean Finance?"
        ),
        "{text}"
    );
    assert_eq!(m[1], "[only admin] Finance (EMEA): @linus.");
}
