//! The admin subcommands as an operator uses them: `--help`, `check-config`, `migrate`, `import`.

mod support;

use support::Sandbox;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_lists_the_subcommands() {
    let sb = Sandbox::new();
    let out = sb.run(&["--help"], "");
    assert!(out.status.success());
    let text = stdout(&out);
    for sub in ["console", "migrate", "import", "check-config"] {
        assert!(text.contains(sub), "--help lists {sub}: {text}");
    }
    let out = sb.run(&["console", "--help"], "");
    assert!(stdout(&out).contains("--demo"));
}

#[test]
fn check_config_accepts_the_defaults_and_the_example() {
    let sb = Sandbox::new();
    let out = sb.run(&["check-config"], "");
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("Configuration OK (from defaults"));
    let example = include_str!("../bot-config.example.toml");
    sb.file("bot-config.toml", example);
    let out = sb.run(&["check-config"], "");
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("Configuration OK (from bot-config.toml"));
}

#[test]
fn check_config_names_unknown_keys_bad_values_and_missing_secrets() {
    let sb = Sandbox::new()
        .with_env("AMBASSADOR_BOT__MATRIX__ENABLED", "true")
        .with_env(
            "AMBASSADOR_BOT__MATRIX__HOMESERVER",
            "http://127.0.0.1:8008",
        );
    let file = sb.file(
        "custom.toml",
        "[program]\nkudos_limit = 3\ntime_zone = \"Europe/Berlim\"\noffice = [\"slack:U1\", \"teams:x\"]\n\n[slack]\nenabled = true\nbot_token = \"xoxb-should-not-be-printed\"\n",
    );
    let out = sb.run(&["--config", file.to_str().unwrap(), "check-config"], "");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "error: program.kudos_limit: unknown key (did you mean program.kudos_daily_limit?)"
        ),
        "{text}"
    );
    assert!(
        text.contains("error: program.time_zone: `Europe/Berlim` is not an IANA time zone"),
        "{text}"
    );
    assert!(
        text.contains("error: program.office[1]: unknown platform `teams`"),
        "{text}"
    );
    assert!(
        text.contains("error: slack.signing_secret: Slack is enabled but this secret is missing"),
        "{text}"
    );
    assert!(
        !text.contains("slack.bot_token:"),
        "the token is set: {text}"
    );
    assert!(text.contains("error: matrix.user:"), "{text}");
    assert!(text.contains("error: matrix.password:"), "{text}");
    assert!(
        !text.contains("should-not-be-printed"),
        "secrets are never printed"
    );
    assert!(
        !text.contains("matrix.homeserver:"),
        "set from the environment: {text}"
    );
}

#[test]
fn check_config_reports_a_wrong_type_with_its_key() {
    let sb = Sandbox::new();
    sb.file(
        "bot-config.toml",
        "[program]\nkudos_daily_limit = \"five\"\n",
    );
    let out = sb.run(&["check-config"], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kudos_daily_limit"), "{err}");
}

#[test]
fn a_missing_config_file_is_an_error() {
    let sb = Sandbox::new();
    let out = sb.run(&["--config", "nope.toml", "check-config"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml does not exist"));
}

#[test]
fn migrate_creates_the_default_sqlite_database() {
    let sb = Sandbox::new();
    let out = sb.run(&["migrate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(sb.path().join("ambassador-bot.db").is_file());
    let again = sb.run(&["migrate"], "");
    assert!(again.status.success());
}

#[test]
fn import_is_idempotent_and_reports_rejected_rows() {
    let sb = Sandbox::new();
    let departments = sb.file(
        "departments.csv",
        "name,region,headcount\n\
         Platform Engineering,EMEA,120\n\
         Finance,EMEA,\"1,080\"\n\
         Sales,Americas,400\n\
         ,APAC,10\n\
         Legal,EMEA,lots\n",
    );
    let roster = sb.file(
        "roster.csv",
        "person,department,time_zone,display_name\n\
         ada,platform engineering,Europe/London,Ada L.\n\
         slack:U012AB3CD,Finance,Europe/Berlin,Grace\n\
         matrix:@linus:example.org,Sales,,\n\
         bob,Salse,UTC,\n\
         carol,Finance,Mars/Olympus,\n",
    );
    let args = [
        "import",
        "--departments",
        departments.to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
    ];
    let first = sb.run(&args, "");
    let text = stdout(&first);
    assert_eq!(
        first.status.code(),
        Some(2),
        "rejected rows give exit code 2: {text}"
    );
    assert!(
        text.contains("departments: 3 added, 0 updated, 0 unchanged, 2 rejected"),
        "{text}"
    );
    assert!(
        text.contains("departments.csv:5: name and region are required"),
        "{text}"
    );
    assert!(
        text.contains("departments.csv:6: headcount `lots` is not a whole number"),
        "{text}"
    );
    assert!(
        text.contains("roster: 3 added, 0 updated, 0 unchanged, 2 rejected"),
        "{text}"
    );
    assert!(
        text.contains("roster.csv:5: unknown department `Salse` (did you mean Sales?)"),
        "{text}"
    );
    assert!(
        text.contains("roster.csv:6: `Mars/Olympus` is not an IANA time zone"),
        "{text}"
    );

    let second = sb.run(&args, "");
    let text = stdout(&second);
    assert!(
        text.contains("departments: 0 added, 0 updated, 3 unchanged, 2 rejected"),
        "{text}"
    );
    assert!(
        text.contains("roster: 0 added, 0 updated, 3 unchanged, 2 rejected"),
        "{text}"
    );

    let out = sb.console(&[], "/ambassadors coverage\n/ambassadors who @ada\n");
    assert!(
        out.contains("*3 of 3* departments have an ambassador"),
        "{out}"
    );
    assert!(
        out.contains("@Ada L. is the ambassador of Platform Engineering (EMEA)"),
        "{out}"
    );
    assert!(out.contains("1,080"), "{out}");
}

#[test]
fn import_without_files_says_what_to_give() {
    let sb = Sandbox::new();
    let out = sb.run(&["import"], "");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("give --departments FILE and/or --roster FILE")
    );
}

#[test]
fn environment_variables_override_the_file() {
    // The file makes bob the program office; the environment makes it carol, with a limit of 1.
    let sb = Sandbox::new()
        .with_env(
            "AMBASSADOR_BOT__PROGRAM__OFFICE",
            "console:carol,slack:U012AB3CD",
        )
        .with_env("AMBASSADOR_BOT__PROGRAM__KUDOS_DAILY_LIMIT", "1");
    sb.file(
        "bot-config.toml",
        "[program]\n# the office\noffice = [\"console:bob\"]\nkudos_daily_limit = 9\n",
    );
    let out = sb.console(
        &["--as", "bob"],
        "/ambassadors dept add Finance EMEA 80\n:as carol\n/ambassadors dept add Finance EMEA 80\n:as admin\n/kudos @carol for the budget review\n",
    );
    let m = support::messages(&out);
    assert!(
        m[0].starts_with("[only bob] Only the program office can do that"),
        "{out}"
    );
    assert!(
        m[1].starts_with("[only carol] Added department *Finance*"),
        "{out}"
    );
    assert!(m[3].contains("That was your last kudos for today"), "{out}");
}
