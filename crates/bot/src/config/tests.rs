use super::validate::Problem;
use super::*;

#[test]
fn defaults_are_valid_and_match_the_core() {
    let c = Config::default();
    assert_eq!(c.problems(), vec![]);
    let s = c.settings().unwrap();
    assert_eq!(s.office, Settings::default().office);
    assert_eq!(s.kudos_daily_limit, 5);
}

#[test]
fn secrets_do_not_show_in_debug() {
    let mut c = Config::default();
    c.slack.bot_token = Secret("xoxb-very-secret".into());
    assert!(!format!("{c:?}").contains("very-secret"));
}

#[test]
fn enabled_platforms_need_their_secrets() {
    let mut c = Config::default();
    c.slack.enabled = true;
    c.matrix.enabled = true;
    let keys: Vec<String> = c.problems().into_iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            "slack.bot_token",
            "slack.signing_secret",
            "matrix.homeserver",
            "matrix.user",
            "matrix.password"
        ]
    );
}

#[test]
fn socket_mode_needs_the_app_token_not_the_signing_secret() {
    let mut c = Config::default();
    c.slack.enabled = true;
    c.slack.mode = "socket".into();
    c.slack.bot_token = Secret("xoxb-1".into());
    let keys: Vec<String> = c.problems().into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["slack.app_token"]);
    c.slack.app_token = Secret("xoxb-wrong-kind".into());
    let problems = c.problems();
    assert_eq!(problems.len(), 1);
    assert!(!problems[0].to_string().contains("wrong-kind"));
    c.slack.app_token = Secret("xapp-1-A1-secret".into());
    assert_eq!(c.problems(), vec![]);
    assert!(!format!("{c:?}").contains("xapp-1"));
    // An unknown mode is named; the HTTP secrets are then asked for.
    c.slack.mode = "websocket".into();
    c.slack.signing_secret = Secret("s".into());
    let keys: Vec<String> = c.problems().into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["slack.mode"]);
}

#[test]
fn http_limits_out_of_range_are_refused_with_their_key_and_range() {
    let mut c = Config::default();
    assert_eq!(
        c.http.limits(),
        Ok(crate::serve::Limits {
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(30),
            max_connections: 1024,
        })
    );
    c.http.header_timeout = "0s".into();
    c.http.body_timeout = "300000y".into();
    c.http.max_connections = 0;
    let problems: Vec<String> = c.problems().iter().map(ToString::to_string).collect();
    for (key, says) in [
        ("http.header_timeout", "allowed 1s to 5m"),
        ("http.body_timeout", "1s to 5m"),
        ("http.max_connections", "allowed 1 to 100000"),
    ] {
        assert!(
            problems.iter().any(|p| p.contains(key) && p.contains(says)),
            "{key}: {problems:?}"
        );
    }
    c.http.header_timeout = "soon".into();
    c.http.body_timeout = "5m".into();
    c.http.max_connections = 100_001;
    let problems: Vec<String> = c.problems().iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("http.header_timeout")
            && problems[0].contains("`soon` is not a duration")
    );
    assert!(problems[1].contains("http.max_connections"));
}

#[test]
fn every_key_is_documented_in_the_example() {
    let example = include_str!("../../../../bot-config.example.toml");
    let parsed: serde_json::Value = config::Config::builder()
        .add_source(config::File::from_str(example, config::FileFormat::Toml))
        .build()
        .unwrap()
        .try_deserialize()
        .unwrap();
    let mut extra = Vec::new();
    unknown(
        &parsed,
        &serde_json::to_value(Config::default()).unwrap(),
        "",
        &mut extra,
    );
    assert_eq!(
        extra,
        Vec::<String>::new(),
        "the example has keys no setting reads"
    );
    for key in known_keys() {
        let (section, field) = key.split_once('.').unwrap();
        assert!(
            parsed[section].get(field).is_some(),
            "bot-config.example.toml does not set `{key}`"
        );
    }
    // Every key line has a comment right above it.
    let lines: Vec<&str> = example.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start_matches('#').trim();
        if t.contains(" = ") && !line.starts_with('#') {
            assert!(
                i > 0 && lines[i - 1].starts_with('#'),
                "`{line}` in bot-config.example.toml has no comment above it"
            );
        }
    }
}

fn set_duration(c: &mut Config, key: &str, text: &str) {
    let field = match key {
        "checkins.remind_after" => &mut c.checkins.remind_after,
        "checkins.close_after" => &mut c.checkins.close_after,
        "scheduler.grace" => &mut c.scheduler.grace,
        "announcements.remind_after" => &mut c.announcements.remind_after,
        "lifecycle.nudge_after" => &mut c.lifecycle.nudge_after,
        "lifecycle.ask_office_after" => &mut c.lifecycle.ask_office_after,
        "lifecycle.suggest_alumni_after" => &mut c.lifecycle.suggest_alumni_after,
        "lifecycle.renewal_grace" => &mut c.lifecycle.renewal_grace,
        "outbox.base_backoff" => &mut c.outbox.base_backoff,
        "outbox.max_backoff" => &mut c.outbox.max_backoff,
        "outbox.lease" => &mut c.outbox.lease,
        "requests.acknowledge_within" => &mut c.requests.acknowledge_within,
        other => panic!("no duration {other}"),
    };
    *field = text.to_string();
}

fn set_count(c: &mut Config, key: &str, value: u32) {
    match key {
        "database.max_connections" => c.database.max_connections = value,
        "program.kudos_daily_limit" => c.program.kudos_daily_limit = value,
        "program.kudos_min_reason_words" => c.program.kudos_min_reason_words = value,
        "program.kudos_max_people" => c.program.kudos_max_people = value,
        "program.thin_headcount_per_ambassador" => c.program.thin_headcount_per_ambassador = value,
        "program.many_ambassadors_per_region" => c.program.many_ambassadors_per_region = value,
        "program.max_text_chars" => c.program.max_text_chars = value as usize,
        "checkins.every_weeks" => c.checkins.every_weeks = value,
        "checkins.silent_rounds" => c.checkins.silent_rounds = value,
        "outbox.max_attempts" => c.outbox.max_attempts = value,
        "outbox.batch" => c.outbox.batch = value,
        // Within its range, as long as there are that many questions (checked on its own below).
        "requests.need_question" => {
            c.requests.need_question = value;
            c.checkins.questions = (1..=50).map(|i| format!("Question {i}?")).collect();
        }
        other => panic!("no count {other}"),
    }
}

#[test]
fn every_duration_and_count_has_a_range_and_the_defaults_are_in_it() {
    let c = Config::default();
    let durations: Vec<&str> = c.durations().iter().map(|(k, _)| *k).collect();
    let ranged: Vec<&str> = DURATION_RANGES.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(durations, ranged);
    let counts: Vec<&str> = c.counts().iter().map(|(k, _)| *k).collect();
    let ranged: Vec<&str> = COUNT_RANGES.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(counts, ranged);
    for (key, text) in c.durations() {
        assert!(bounded_duration(key, text).is_ok(), "{key} = {text}");
    }
    for (key, value) in c.counts() {
        assert!(bounded_count(key, value).is_ok(), "{key} = {value}");
    }
    // The example documents every range.
    let example = include_str!("../../../../bot-config.example.toml");
    for (key, least, most) in DURATION_RANGES {
        let allowed = format!("{least} to {most}");
        assert!(
            example.contains(&allowed),
            "bot-config.example.toml gives the range of {key} ({allowed})"
        );
    }
    for (key, lo, hi) in COUNT_RANGES {
        let allowed = format!("{lo} to {hi}");
        assert!(
            example.contains(&allowed),
            "bot-config.example.toml gives the range of {key} ({allowed})"
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Duration texts: any number with any unit, two parts, and anything at all.
    fn duration_text() -> impl Strategy<Value = String> {
        let unit = prop::sample::select(vec![
            "", "ns", "us", "ms", "s", "sec", "m", "min", "h", "d", "day", "days", "w", "M", "y",
            "years",
        ]);
        prop_oneof![
            (any::<u64>(), unit.clone()).prop_map(|(n, u)| format!("{n}{u}")),
            (0u64..400_000, unit.clone()).prop_map(|(n, u)| format!("{n}{u}")),
            (0u64..5000, unit.clone(), 0u64..100_000, unit)
                .prop_map(|(a, u, b, v)| format!("{a}{u} {b}{v}")),
            "\\PC{0,24}",
            "[0-9]{1,25}[a-zA-Z]{0,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 3000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Any duration text for any duration setting: refused by check-config (with the key
        /// and the range, in one line) or accepted within its range, and then every sum the
        /// scheduler and the outbox compute with it stays on the calendar.
        #[test]
        fn durations_are_refused_or_accepted_within_range_and_never_overflow(
            index in 0..DURATION_RANGES.len(),
            text in duration_text(),
            secs in 0i64..7_258_118_400, // 1970 to 2200: the clocks the bot runs on
            attempts in any::<u32>(),
        ) {
            let (key, least, most) = DURATION_RANGES[index];
            let mut c = Config::default();
            set_duration(&mut c, key, &text);
            let problems = c.problems();
            match bounded_duration(key, &text) {
                Err(e) => {
                    prop_assert!(!e.contains('\n'), "{e}");
                    prop_assert!(
                        problems.contains(&Problem { key: key.into(), message: e.clone() }),
                        "check-config refuses {key} = {text:?} with {e}: {problems:?}"
                    );
                    if parse_duration(&text).is_ok() {
                        prop_assert!(e.contains(&format!("allowed {least} to {most}")), "{e}");
                    }
                    prop_assert!(c.settings().is_err() || c.dispatch().is_err());
                }
                Ok(d) => {
                    prop_assert!(d >= parse_duration(least).unwrap());
                    prop_assert!(d <= parse_duration(most).unwrap());
                    prop_assert!(
                        !problems.iter().any(|p| p.message.contains("out of range")),
                        "{problems:?}"
                    );
                }
            }
            if problems.is_empty() {
                let s = c.settings().unwrap();
                let o = c.dispatch().unwrap();
                let now = chrono::DateTime::from_timestamp(secs, 0).unwrap();
                let l = &s.lifecycle;
                for d in [
                    s.grace,
                    s.announce_remind_after,
                    s.checkins.remind_after,
                    s.checkins.close_after,
                    l.nudge_after,
                    l.ask_office_after,
                    l.suggest_alumni_after,
                    l.renewal_grace,
                    o.lease,
                    o.base_backoff,
                    o.max_backoff,
                ] {
                    // What the scheduler does with them: occurrences plus and minus a
                    // duration, a day past it, and how late an occurrence is.
                    let later = now + d;
                    let earlier = now - d;
                    let day_after = (now + chrono::Duration::days(1)) - d;
                    prop_assert!(earlier <= later && day_after <= later + chrono::Duration::days(1));
                    prop_assert!(now - earlier >= chrono::Duration::zero());
                    prop_assert!(d.num_days() <= 3653);
                }
                // The outbox's wait after any number of failures, from any moment.
                let wait = ambassador_core::program::backoff(&o, attempts);
                prop_assert!(wait <= o.max_backoff);
                prop_assert!(now.checked_add_signed(wait).is_some());
            }
        }

        /// Any count for any count setting: refused with the key and the range, or accepted
        /// within it.
        #[test]
        fn counts_are_refused_or_accepted_within_range(
            index in 0..COUNT_RANGES.len(),
            value in any::<u32>(),
        ) {
            let (key, lo, hi) = COUNT_RANGES[index];
            let mut c = Config::default();
            set_count(&mut c, key, value);
            let named = c.problems().into_iter().find(|p| p.key == key);
            if (lo..=hi).contains(&u64::from(value)) {
                prop_assert!(named.is_none(), "{named:?}");
            } else {
                let p = named.expect("refused");
                prop_assert!(p.message.contains(&format!("allowed {lo} to {hi}")), "{p}");
            }
        }
    }
}

#[test]
fn the_need_question_must_be_one_of_the_questions() {
    let mut c = Config::default();
    c.requests.need_question = 5;
    let problems = c.problems();
    let p = problems
        .iter()
        .find(|p| p.key == "requests.need_question")
        .expect("refused");
    assert!(
        p.message.contains(
            "there are 4 check-in questions; give the number of one (1 = the first), or 0 for none"
        ),
        "{}",
        p.message
    );
    c.requests.need_question = 0;
    assert!(c.problems().is_empty());
    assert_eq!(c.settings().unwrap().requests.need_question, None);
    c.requests.need_question = 4;
    assert_eq!(c.settings().unwrap().requests.need_question, Some(3));
}
