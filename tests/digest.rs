//! The weekly kudos digest through the console: counts and the latest kudos of a busy week, and an
//! empty week that can be skipped.

mod support;

use support::{Sandbox, messages};

#[test]
fn a_busy_week_digest_shows_counts_and_the_latest_kudos_and_an_empty_week_can_be_skipped() {
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_DAILY_LIMIT", "0");
    let mut script = String::from(":as bob\n");
    for i in 0..45 {
        let who = ["ada", "hedy", "margaret"][i % 3];
        script += &format!("/kudos @{who} for review number {i}\n");
    }
    script += ":clock 2027-01-08T16:00:00Z\n";
    let out = sb.console(&["--demo", "--clock", "2027-01-06T12:00:00Z"], &script);
    let m = messages(&out);
    let digest = m
        .iter()
        .find(|x| x.starts_with("[general] *Weekly digest — week to 2027-01-08*"))
        .expect("the digest");
    assert!(
        digest.contains("*🎉 49 kudos this week*"),
        "45 and the demo's 4: {digest}"
    );
    assert!(
        digest.contains("By region: Across the organization 1 · Americas 16 · APAC 16 · EMEA 16."),
        "{digest}"
    );
    assert!(digest.contains("The latest 40:"));
    assert!(digest.contains("review number 44") && !digest.contains("review number 4_"));
    assert!(
        !digest.contains("for _review number 3_"),
        "older ones are counted, not listed"
    );

    // With empty_week = skip, a week without news posts nothing.
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__DIGEST__EMPTY_WEEK", "skip");
    let out = sb.console(
        &["--clock", "2027-01-06T12:00:00Z"],
        ":clock 2027-01-15T16:00:00Z\n",
    );
    assert!(!out.contains("Weekly digest"), "{out}");
    let sb = Sandbox::new();
    let out = sb.console(
        &["--clock", "2027-01-06T12:00:00Z"],
        ":clock 2027-01-08T16:00:00Z\n",
    );
    assert!(out.contains("A quiet week"), "{out}");
}
