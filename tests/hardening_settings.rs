//! Bad settings are refused before anything starts: every duration, count and size has a range,
//! `check-config` names the key and the range, `run` and `console` refuse the same, and nothing
//! panics.

mod support;

use std::time::{Duration, Instant};
use support::{Sandbox, free_port};

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A value out of range for each setting, and the range `check-config` must name.
const OUT_OF_RANGE: &[(&str, &str, &str)] = &[
    (
        "announcements.remind_after",
        "\"300000y\"",
        "allowed 1m to 365days",
    ),
    (
        "announcements.remind_after",
        "\"0s\"",
        "allowed 1m to 365days",
    ),
    (
        "checkins.remind_after",
        "\"1000days\"",
        "allowed 1m to 90days",
    ),
    (
        "checkins.close_after",
        "\"300000y\"",
        "allowed 1m to 90days",
    ),
    ("scheduler.grace", "\"300000y\"", "allowed 0s to 30days"),
    (
        "lifecycle.nudge_after",
        "\"11y\"",
        "allowed 1day to 3653days",
    ),
    (
        "lifecycle.ask_office_after",
        "\"300000y\"",
        "allowed 1day to 3653days",
    ),
    (
        "lifecycle.suggest_alumni_after",
        "\"300000y\"",
        "allowed 1day to 3653days",
    ),
    (
        "lifecycle.renewal_grace",
        "\"300000y\"",
        "allowed 0s to 365days",
    ),
    ("outbox.base_backoff", "\"300000y\"", "allowed 1s to 1day"),
    ("outbox.max_backoff", "\"300000y\"", "allowed 1s to 7days"),
    ("outbox.lease", "\"300000y\"", "allowed 1s to 1day"),
    ("outbox.lease", "\"0s\"", "allowed 1s to 1day"),
    ("database.max_connections", "4000000000", "allowed 1 to 100"),
    ("database.max_connections", "0", "allowed 1 to 100"),
    (
        "program.kudos_daily_limit",
        "4000000000",
        "allowed 0 to 1000",
    ),
    (
        "program.kudos_min_reason_words",
        "4000000000",
        "allowed 0 to 100",
    ),
    (
        "program.thin_headcount_per_ambassador",
        "4000000000",
        "allowed 1 to 1000000",
    ),
    (
        "program.many_ambassadors_per_region",
        "0",
        "allowed 1 to 10000",
    ),
    (
        "program.max_text_chars",
        "99999999999",
        "allowed 20 to 40000",
    ),
    ("checkins.every_weeks", "4000000000", "allowed 1 to 52"),
    ("checkins.silent_rounds", "4000000000", "allowed 1 to 100"),
    ("outbox.max_attempts", "4000000000", "allowed 1 to 100"),
    ("outbox.batch", "4000000000", "allowed 1 to 1000"),
];

fn file_with(key: &str, value: &str) -> String {
    let (section, field) = key.split_once('.').unwrap();
    format!("[{section}]\n{field} = {value}\n")
}

#[test]
fn check_config_refuses_every_duration_and_count_out_of_range_naming_key_and_range() {
    let sb = Sandbox::new();
    for (key, value, range) in OUT_OF_RANGE {
        sb.file("bot-config.toml", &file_with(key, value));
        let out = sb.run(&["check-config"], "");
        let text = text(&out);
        assert_eq!(out.status.code(), Some(1), "{key} = {value}:\n{text}");
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("error: {key}: ")) && l.contains(range))
            .unwrap_or_else(|| panic!("{key} = {value} is named:\n{text}"));
        assert!(line.contains(range), "{key} = {value}: {line}");
        assert!(!line.contains("panicked"), "{text}");
    }
}

/// Waits for `run` to exit; a `run` that starts with a configuration `check-config` refuses is
/// stopped and fails the test.
fn wait_for_exit(mut child: std::process::Child, what: &str) -> std::process::Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("run").is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            let out = child.wait_with_output().expect("run");
            panic!(
                "`run` started with {what}, which check-config refuses:\n{}",
                text(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("run")
}

#[test]
fn run_and_console_refuse_what_check_config_refuses_before_starting_never_panicking() {
    for (key, value, range) in OUT_OF_RANGE {
        let sb = Sandbox::new()
            .with_env("AMBASSADOR_BOT__SLACK__ENABLED", "true")
            .with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", "xoxb-1")
            .with_env("AMBASSADOR_BOT__SLACK__SIGNING_SECRET", "s")
            .with_env("AMBASSADOR_BOT__SLACK__BOT_USER_ID", "UBOT")
            .with_env(
                "AMBASSADOR_BOT__SLACK__API_BASE_URL",
                "http://127.0.0.1:9/api",
            )
            .with_env("AMBASSADOR_BOT__DIGEST__CHANNELS", "slack:C0DIGEST")
            .with_env(
                "AMBASSADOR_BOT__HTTP__LISTEN",
                &format!("127.0.0.1:{}", free_port()),
            );
        sb.file("bot-config.toml", &file_with(key, value));
        let checked = text(&sb.run(&["check-config"], ""));
        let refusal = checked
            .lines()
            .find(|l| l.starts_with(&format!("error: {key}: ")) && l.contains(range))
            .unwrap_or_else(|| panic!("check-config names {key}:\n{checked}"))
            .trim_start_matches("error: ")
            .to_string();
        assert!(refusal.contains(range), "{refusal}");

        let what = format!("{key} = {value}");
        let run = wait_for_exit(sb.spawn(&["run"]), &what);
        let console = sb.run(
            &["console", "--clock", "2027-03-29T08:00:00Z"],
            ":clock +30d\n",
        );
        for (name, out) in [("run", run), ("console", console)] {
            let text = text(&out);
            assert_eq!(out.status.code(), Some(1), "`{name}` with {what}:\n{text}");
            assert!(!text.contains("panicked"), "`{name}` with {what}:\n{text}");
            let error = text
                .lines()
                .find(|l| l.starts_with("error: "))
                .unwrap_or_else(|| panic!("`{name}` with {what} says why:\n{text}"));
            assert!(
                error.contains(&refusal),
                "`{name}` with {what} gives check-config's reason ({refusal}): {error}"
            );
            assert!(
                !text.contains("[clock]") && !text.contains("[console]"),
                "`{name}` refuses before anything starts:\n{text}"
            );
        }
    }
}
