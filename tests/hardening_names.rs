//! Hostile names and oversized input (issue #21, "Names"): a display name with a right-to-left
//! override is shown without it in public lines; `import` rejects a row whose name is too long (a
//! 10 MB department name) or unreadable with its line number and imports the rest, on SQLite and
//! PostgreSQL; values quoted back in its report carry no terminal escapes; a kudos names at most
//! `program.kudos_max_people` people.

mod support;

use support::{PgSchema, Sandbox, message_with, messages};

/// The sandbox on SQLite, and one on a PostgreSQL schema of its own when `TEST_POSTGRES_URL` is set
/// (a failure in CI when it is not).
fn on_both_stores(test: &str, scenario: impl Fn(&Sandbox)) {
    scenario(&Sandbox::new());
    if let Some(schema) = PgSchema::new(test) {
        scenario(&Sandbox::new().with_env("AMBASSADOR_BOT__DATABASE__URL", &schema.url));
    }
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const WEDNESDAY: &str = "2027-03-10T12:00:00Z";
const RLO: char = '\u{202E}';

#[test]
fn a_display_name_with_a_right_to_left_override_is_shown_without_it_in_public_lines() {
    on_both_stores("names_rlo", |sb| {
        // "@\u{202E}nimda" is displayed as "@admin" by a chat client.
        let out = sb.console(
            &["--demo", "--clock", WEDNESDAY],
            &format!(
                ":as {RLO}nimda\n:as bob\n/kudos @{RLO}nimda for the cross-team release notes\n\
                 :clock 2027-03-12T16:00:00Z\n"
            ),
        );
        let m = messages(&out);
        let public = message_with(&m, "Kudos to @");
        assert!(
            public.contains("Kudos to @nimda from @bob for *the cross-team release notes*"),
            "{public}"
        );
        let digest = message_with(&m, "*Weekly digest — week to 2027-03-12*");
        assert!(
            digest.contains("@nimda") && digest.contains("the cross-team release notes"),
            "{digest}"
        );
        assert!(
            !out.contains(RLO),
            "a bidi override reached the output:\n{out}"
        );
    });
}

#[test]
fn import_rejects_a_10_mb_department_name_with_its_line_and_imports_the_rest() {
    on_both_stores("names_import", |sb| {
        let huge = "D".repeat(10 << 20);
        let departments = sb.file(
            "departments.csv",
            &format!(
                "name,region,headcount\n\
                 Finance,EMEA,10\n\
                 {huge},EMEA,5\n\
                 Legal{RLO},EMEA,3\n\
                 Sales,{huge},4\n\
                 Research,APAC,1\n"
            ),
        );
        let roster = sb.file(
            "roster.csv",
            &format!(
                "person,department,display_name\n\
                 ada,Finance,{huge}\n\
                 grace,Legal,Grace{RLO} H.\n\
                 {huge},Finance,\n"
            ),
        );
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
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "rejected rows give exit code 2: {text}"
        );
        assert!(
            text.len() < 2_000,
            "the report quotes no megabytes: {} bytes",
            text.len()
        );
        assert!(
            text.contains("departments: 3 added, 0 updated, 0 unchanged, 2 rejected"),
            "{text}"
        );
        assert!(
            text.contains(
                "departments.csv:3: name is 10,485,760 characters long; names take up to 80"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "departments.csv:5: region is 10,485,760 characters long; names take up to 80"
            ),
            "{text}"
        );
        assert!(
            text.contains("roster: 1 added, 0 updated, 0 unchanged, 2 rejected"),
            "{text}"
        );
        assert!(
            text.contains(
                "roster.csv:2: display_name is 10,485,760 characters long; names take up to 80"
            ),
            "{text}"
        );
        assert!(
            text.contains("roster.csv:4: `DDDDD")
                && text.contains("…` is not an account: ids are at most 255 characters"),
            "{text}"
        );
        let console = sb.console(&[], "/ambassadors coverage\n/ambassadors who Legal\n");
        assert!(
            console.contains("*1 of 3* departments have an ambassador"),
            "{console}"
        );
        assert!(console.contains("Legal (EMEA): @Grace H."), "{console}");
        assert!(!console.contains(RLO), "{console}");
    });
}

#[test]
fn import_rejects_a_line_that_is_not_utf8_and_imports_the_rest() {
    on_both_stores("names_utf8", |sb| {
        let path = sb.path().join("departments.csv");
        let mut bytes = b"name,region\nFinance,EMEA\n".to_vec();
        bytes.extend_from_slice(b"Fin\xff\xfeance,EMEA\nLegal,EMEA\n");
        std::fs::write(&path, bytes).unwrap();
        let out = sb.run(&["import", "--departments", path.to_str().unwrap()], "");
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("departments: 2 added, 0 updated, 0 unchanged, 1 rejected"),
            "{text}"
        );
        assert!(
            text.contains("departments.csv:3: the line is not UTF-8 text"),
            "{text}"
        );
    });
}

#[test]
fn import_quotes_bad_values_back_without_terminal_escapes() {
    let sb = Sandbox::new();
    let departments = sb.file("departments.csv", "name,region\nFinance,EMEA\n");
    // An escape sequence that would retitle (or worse) the operator's terminal.
    let roster = sb.file(
        "roster.csv",
        "person,department,time_zone\n\
         ada,\u{1b}]0;owned\u{7}Finance\u{1b}[2J,\n\
         bob,Finance,\u{1b}[31mMars/Olympus\u{9b}1m\n",
    );
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
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("roster.csv:2: unknown department `]0;ownedFinance[2J`"),
        "{text}"
    );
    assert!(
        text.contains("roster.csv:3: `[31mMars/Olympus1m` is not an IANA time zone"),
        "{text}"
    );
    assert!(
        !text.contains(|c: char| c.is_control() && c != '\n'),
        "a control character reached the terminal: {text:?}"
    );
}

/// `:as` each of `people`, then back to `admin`: they are known to the bot.
fn introduce(people: &[String]) -> String {
    let mut script: String = people.iter().map(|p| format!(":as {p}\n")).collect();
    script.push_str(":as admin\n");
    script
}

#[test]
fn a_kudos_naming_more_than_ten_people_is_refused_and_ten_are_thanked() {
    let sb = Sandbox::new();
    let people: Vec<String> = (1..=11).map(|i| format!("p{i}")).collect();
    let mentions = |n: usize| -> String {
        people[..n]
            .iter()
            .map(|p| format!("@{p}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let script = format!(
        "{}/kudos {} for the release party planning\n/kudos {} for the release party planning\n/kudos mine\n",
        introduce(&people),
        mentions(11),
        mentions(10),
    );
    let out = sb.console(&[], &script);
    let m = messages(&out);
    let refused = message_with(&m, "A kudos can name");
    assert!(
        refused.contains("A kudos can name up to 10 people; this one names 11.")
            && refused.contains("Nothing was recorded."),
        "{refused}"
    );
    let public: Vec<&String> = m.iter().filter(|l| l.contains("🎉 Kudos to")).collect();
    assert_eq!(
        public.len(),
        1,
        "only the kudos naming 10 is posted: {m:#?}"
    );
    assert!(
        public[0].contains("@p10") && !public[0].contains("@p11"),
        "{}",
        public[0]
    );
    // The refused one did not count toward the daily limit of 5.
    message_with(&m, "You have 4 kudos left today");
}

#[test]
fn the_most_people_a_kudos_names_is_a_setting_with_bounds() {
    let people: Vec<String> = (1..=4).map(|i| format!("p{i}")).collect();
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_MAX_PEOPLE", "3");
    let out = sb.console(
        &[],
        &format!(
            "{}/kudos @p1 @p2 @p3 @p4 for the release party planning\n/kudos @p1 @p2 @p3 for the release party planning\n",
            introduce(&people)
        ),
    );
    assert!(
        out.contains("A kudos can name up to 3 people; this one names 4."),
        "{out}"
    );
    assert!(out.contains("🎉 Kudos to @p1, @p2 and @p3"), "{out}");
    for bad in ["0", "101"] {
        let sb = Sandbox::new().with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_MAX_PEOPLE", bad);
        let check = sb.run(&["check-config"], "");
        let text = stdout(&check);
        assert!(!check.status.success(), "{bad}: {text}");
        assert!(
            text.contains(&format!(
                "program.kudos_max_people: {bad} is out of range: allowed 1 to 100"
            )),
            "{text}"
        );
    }
}
