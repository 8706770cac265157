//! Check-in rounds through the console on a simulated clock: a quarter of rounds with reminders,
//! a vacation pause, a silent ambassador flagged once and the weekly digests beside them; the
//! check-in commands; a prompt fan-out killed mid-way and restarted.

mod support;

use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use support::{Sandbox, messages};

fn count(msgs: &[String], prefix: &str) -> usize {
    msgs.iter().filter(|m| m.starts_with(prefix)).count()
}

#[test]
fn a_quarter_of_check_ins_reminders_pauses_flags_and_digests() {
    let sb = Sandbox::new();
    let first_monday = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    let mut script = String::new();
    for week in 0..13 {
        let monday = first_monday + Duration::weeks(week);
        // 12:00 UTC: the prompts of Sydney, Tokyo, Helsinki, Berlin and London are out.
        script += &format!(":clock {monday}T12:00:00Z\n");
        script += &format!(
            ":as ada\n:dm\nWeek {week}: two InnerSource office hours.\nThe build team needs a CI sponsor.\n"
        );
        script +=
            &format!(":as grace\n:in general\n/checkin Week {week}: onboarding docs merged.\n");
        if week == 0 {
            script += ":as hedy\n/checkin pause until 2027-01-24\n";
        }
        if week == 1 {
            // New York's prompt is out at 14:00 UTC.
            script += &format!(":clock {monday}T16:00:00Z\n:as margaret\n/checkin skip\n");
        }
        if week == 2 {
            script += ":as bob\n:in general\n/kudos @ada for the InnerSource onboarding workshop #workshop\n";
        }
    }
    script += ":clock 2027-04-04T12:00:00Z\n:as admin\n:in general\n/ambassadors checkins\n/ambassadors feedback Platform Engineering since 2027-03-01\n:as linus\n/ambassadors checkins\n";

    let out = sb.console(&["--demo", "--clock", "2027-01-03T12:00:00Z"], &script);
    let m = messages(&out);

    // Prompts: every Monday for the active ambassadors; none for tim (paused on the roster); hedy
    // not for the two rounds of her vacation.
    let prompts = |who: &str| count(&m, &format!("[dm:{who}] *Check-in for "));
    assert_eq!(prompts("ada"), 13);
    assert_eq!(prompts("linus"), 13);
    assert_eq!(prompts("tim"), 0);
    assert_eq!(
        prompts("hedy"),
        11,
        "no prompts on 2027-01-11 and 2027-01-18"
    );
    assert!(!out.contains("[dm:hedy] *Check-in for 2027-01-11*"));
    assert!(out.contains("[dm:hedy] *Check-in for 2027-01-25*"));

    // Reminders only to those who did not answer or skip.
    let reminders = |who: &str| count(&m, &format!("[dm:{who}] A friendly reminder"));
    assert_eq!(reminders("ada"), 0);
    assert_eq!(reminders("grace"), 0);
    assert_eq!(reminders("linus"), 13);
    assert_eq!(reminders("margaret"), 12, "not in the round she skipped");
    assert_eq!(
        reminders("hedy"),
        10,
        "not in the round that was open when she paused, nor in the two of her vacation"
    );

    // Silent ambassadors are flagged to the office once each, never again.
    let flags: Vec<&String> = m
        .iter()
        .filter(|x| x.starts_with("[dm:admin]") && x.contains("has not answered the last"))
        .collect();
    for who in ["linus", "margaret", "katherine", "alan", "hedy"] {
        assert_eq!(
            flags
                .iter()
                .filter(|f| f.contains(&format!("@{who} ")))
                .count(),
            1,
            "{who} flagged once: {flags:#?}"
        );
    }
    assert!(
        !flags
            .iter()
            .any(|f| f.contains("@ada ") || f.contains("@grace "))
    );
    assert!(
        flags
            .iter()
            .any(|f| f.contains("@linus (Finance, EMEA) has not answered the last 2 check-ins"))
    );

    // Weekly digests on Fridays in the shared channel; they name who was praised, never who missed.
    let digests: Vec<&String> = m
        .iter()
        .filter(|x| x.starts_with("[general] *Weekly digest"))
        .collect();
    assert_eq!(digests.len(), 13, "one per Friday");
    let week3 = digests
        .iter()
        .find(|d| d.contains("week to 2027-01-22"))
        .expect("the digest of the week with the kudos");
    assert!(
        week3.contains("@ada, thanked by @bob for _the InnerSource onboarding workshop #workshop_"),
        "{week3}"
    );
    assert!(week3.contains("EMEA · Platform Engineering"));
    assert!(
        week3.contains(
            "*Check-ins:* 40% of the ambassadors expected answered the round of 2027-01-11 (2 of 5)."
        ),
        "a participation rate (2 of the 5 who did not skip): {week3}"
    );
    for d in &digests {
        assert!(
            !d.contains("@linus"),
            "a digest never names who missed: {d}"
        );
    }
    let quiet = digests
        .iter()
        .find(|d| d.contains("week to 2027-01-29"))
        .unwrap();
    assert!(quiet.contains("A quiet week"), "{quiet}");

    // The office's views.
    let view = m
        .iter()
        .find(|x| x.starts_with("[only admin] *Check-ins*"))
        .expect("checkins view");
    assert!(view.contains("2027-03-29"), "{view}");
    assert!(
        view.contains("Not answered yet in the round of 2027-03-29: "),
        "{view}"
    );
    let feedback = m
        .iter()
        .find(|x| {
            x.starts_with("[only admin] *Feedback from Platform Engineering since 2027-03-01*")
        })
        .expect("feedback view");
    assert!(feedback.contains("@ada, round of 2027-03-29: Week 12: two InnerSource office hours."));
    assert!(feedback.contains("The build team needs a CI sponsor."));
    assert!(feedback.contains("@grace, round of 2027-03-29: Week 12: onboarding docs merged."));
    assert!(!feedback.contains("Data Science"));
    // Answers are private: members are refused.
    assert!(
        m.last()
            .unwrap()
            .starts_with("[only linus] Only the program office")
    );
}

#[test]
fn checkin_commands_explain_themselves() {
    let sb = Sandbox::new();
    let out = sb.console(
        &["--demo", "--clock", "2027-01-04T12:00:00Z"],
        ":as bob\n/checkin hello\n\
         :as ada\n/checkin show\n/checkin pause until 2026-12-01\n/checkin pause until 2029-01-01\n/checkin resume\n\
         :clock 2027-01-04T12:00:01Z\n:dm\nhello?\n",
    );
    let m = messages(&out);
    assert!(
        m[0].starts_with("[only bob] Check-ins are for ambassadors"),
        "{out}"
    );
    // ada's first prompt is at 09:00 London the next Monday: nothing open yet.
    assert!(m[1].contains("There is no open check-in round for you right now. The next one starts Monday 11 January, 09:00."), "{}", m[1]);
    assert!(m[2].contains("is not in the future"));
    assert!(m[3].contains("more than a year away"));
    assert!(m[4].contains("Your check-ins are not paused."));
    assert!(
        m[6].starts_with("[dm:ada] I understand commands here"),
        "{out}"
    );
}

/// Runs the console on `db_dir` with `args`, feeding `script`.
fn spawn_console(db_dir: &std::path::Path, args: &[&str], script: &str) -> std::process::Child {
    let mut cmd = Command::new(support::bin());
    cmd.arg("console")
        .args(args)
        .current_dir(db_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("AMBASSADOR_BOT") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().expect("start the console");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).unwrap();
    drop(stdin);
    child
}

fn headers(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("[dm:"))
        .map(|l| l.split(']').next().unwrap().to_string())
        .collect()
}

#[test]
fn a_fan_out_killed_mid_way_is_finished_after_restart_without_doubles() {
    const N: usize = 2000;
    let sb = Sandbox::new();
    let mut departments = String::from("name,region,headcount\nOperations,EMEA,5000\n");
    departments.push_str("Legal,EMEA,10\n");
    let mut roster = String::from("person,department,time_zone\n");
    for i in 0..N {
        roster += &format!("p{i:04},Operations,UTC\n");
    }
    let d = sb.file("departments.csv", &departments);
    let r = sb.file("roster.csv", &roster);
    let out = sb.run(
        &[
            "import",
            "--departments",
            d.to_str().unwrap(),
            "--roster",
            r.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The first run: the clock reaches Monday 09:00 UTC and 2,000 prompts go out; it is killed
    // after a few hundred.
    let mut child = spawn_console(
        sb.path(),
        &["--clock", "2027-01-04T08:59:00Z"],
        ":clock 2027-01-04T09:00:00Z\n",
    );
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    let mut seen = 0;
    let mut line = String::new();
    while seen < 500 {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.starts_with("[dm:") {
            seen += 1;
        }
        first.push_str(&line);
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    stdout.read_to_string(&mut first).unwrap();
    let first_run = headers(&first);
    assert!(
        first_run.len() >= 500 && first_run.len() < N,
        "killed mid-way: {}",
        first_run.len()
    );

    // The restart, after the dead run's lease ran out, delivers the rest.
    let child = spawn_console(sb.path(), &["--clock", "2027-01-04T09:05:00Z"], "");
    let rest = child.wait_with_output().unwrap();
    assert!(rest.status.success());
    let second_run = headers(&String::from_utf8_lossy(&rest.stdout));

    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for h in first_run.iter().chain(&second_run) {
        *delivered.entry(h.clone()).or_default() += 1;
    }
    assert_eq!(delivered.len(), N, "every prompt delivered");
    let doubles: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        doubles.len() <= 1,
        "at most the message in flight twice: {doubles:?}"
    );
    assert!(doubles.iter().all(|(_, n)| **n == 2));

    // Nothing is left in the outbox.
    let out = sb.run(&["outbox"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Outbox: 0 pending, 0 failed"), "{text}");
}
