//! Secrets are never printed: database URLs that parse or not, tokens and passwords, a
//! configuration file with a syntax error on a secret's line, whatever the subcommand.

mod support;

use support::{PgSchema, Sandbox, free_port};

/// Every subcommand that loads the configuration, as an operator would call it.
fn subcommands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["check-config"],
        vec!["run"],
        vec!["migrate"],
        vec!["console"],
        vec!["export", "kudos"],
        vec!["export", "roster"],
        vec!["export", "coverage"],
        vec!["export", "checkins"],
        vec!["export", "activity"],
        vec!["export", "record", "slack:U1"],
        vec!["outbox"],
        vec!["import", "--departments", "departments.csv"],
        vec!["import", "--roster", "roster.csv"],
    ]
}

/// A sandbox where `run` gets as far as the database: Slack enabled with its (secret) tokens.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new()
        .with_env("AMBASSADOR_BOT__SLACK__ENABLED", "true")
        .with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", "xoxb-SECRET-TOKEN-7")
        .with_env("AMBASSADOR_BOT__SLACK__SIGNING_SECRET", "SECRET-SIGNING-8")
        .with_env("AMBASSADOR_BOT__SLACK__BOT_USER_ID", "UBOT")
        .with_env(
            "AMBASSADOR_BOT__SLACK__API_BASE_URL",
            "http://127.0.0.1:9/api",
        )
        .with_env(
            "AMBASSADOR_BOT__HTTP__LISTEN",
            &format!("127.0.0.1:{}", free_port()),
        )
        .with_env("AMBASSADOR_BOT__DIGEST__CHANNELS", "slack:C0DIGEST");
    sb.file(
        "departments.csv",
        "name,region,headcount\nPayments,EMEA,40\n",
    );
    sb.file("roster.csv", "person,department\nslack:U1,Payments\n");
    sb
}

/// Runs `args` to its end (stdin closed at once) and returns stdout and stderr together.
fn output(sb: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let out = sb.run(args, "");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn assert_no_secret(args: &[&str], what: &str, code: Option<i32>, text: &str) {
    assert!(
        !text.contains("SECRET"),
        "`{}` with {what} printed a secret (exit {code:?}):\n{text}",
        args.join(" ")
    );
    assert!(
        !text.contains("panicked"),
        "`{}` with {what} panicked:\n{text}",
        args.join(" ")
    );
}

#[test]
fn a_database_url_that_does_not_parse_is_never_printed_with_its_password() {
    let urls = [
        // One slash missing: no longer `scheme://user:password@`.
        "postgres:/user:SECRET-PW-1@127.0.0.1:1/db",
        "postgresql:user:SECRET-PW-2@127.0.0.1:1/db",
        // Secrets in the query string too.
        "postgres://user:SECRET-PW-3@127.0.0.1:1/db?password=SECRET-Q-4&sslpassword=SECRET-Q-5",
        "sqlite://user:SECRET-PW-6@/nonexistent-h1-dir/bot.db",
    ];
    for url in urls {
        for (how, sb) in [
            ("the file", sandbox()),
            (
                "the environment",
                sandbox().with_env("AMBASSADOR_BOT__DATABASE__URL", url),
            ),
        ] {
            if how == "the file" {
                sb.file("bot-config.toml", &format!("[database]\nurl = \"{url}\"\n"));
            }
            for args in subcommands() {
                let (code, text) = output(&sb, &args);
                let what = format!("database.url = {url} in {how}");
                assert_no_secret(&args, &what, code, &text);
                if args != ["check-config"] {
                    assert_ne!(code, Some(0), "`{}` with {what}:\n{text}", args.join(" "));
                    let errors: Vec<&str> =
                        text.lines().filter(|l| l.starts_with("error:")).collect();
                    assert_eq!(
                        errors.len(),
                        1,
                        "`{}` with {what} says one error:\n{text}",
                        args.join(" ")
                    );
                    assert!(errors[0].contains("database"), "{text}");
                }
            }
        }
    }
}

#[test]
fn a_working_postgres_url_with_a_password_and_secret_parameters_is_never_printed() {
    let Some(pg) = PgSchema::new("hardening_secrets") else {
        return;
    };
    // The test server trusts the connection: the password is given but not needed, and sqlx
    // names the parameter it does not know (with its value) in its log.
    let (scheme, rest) = pg.url.split_once("://").expect("a URL");
    let rest = match rest.split_once('@') {
        Some((user, host)) => format!("{}:SECRET-PG-9@{host}", user.split(':').next().unwrap()),
        None => format!("postgres:SECRET-PG-9@{rest}"),
    };
    let url = format!("{scheme}://{rest}&sslpassword=SECRET-PG-10");
    let sb = sandbox().with_env("AMBASSADOR_BOT__DATABASE__URL", &url);
    for args in [
        vec!["migrate"],
        vec!["check-config"],
        vec!["outbox"],
        vec!["export", "roster"],
        vec!["import", "--departments", "departments.csv"],
        vec!["console"],
    ] {
        let (code, text) = output(&sb, &args);
        assert_no_secret(&args, "a PostgreSQL URL with a password", code, &text);
        assert_eq!(code, Some(0), "`{}`:\n{text}", args.join(" "));
    }
    let (_, text) = output(&sb, &["migrate"]);
    assert!(text.contains(":***@"), "{text}");
}

#[test]
fn a_syntax_error_on_a_secret_line_names_the_file_line_and_key_not_the_value() {
    let files = [
        (
            "[slack]\nenabled = true\nbot_token = \"xoxb-SECRET-11\n",
            "line 3 (key `slack.bot_token`)",
        ),
        (
            "[slack]\nsigning_secret = SECRET-12\n",
            "line 2 (key `slack.signing_secret`)",
        ),
        (
            "# the bot\n[matrix]\nuser = \"bot\"\npassword = 'SECRET-13\n",
            "line 4 (key `matrix.password`)",
        ),
        (
            "[database]\nurl = \"postgres://bot:SECRET-14@db/amb\nmax_connections = 5\n",
            "line 2 (key `database.url`)",
        ),
        (
            "[slack]\napp_token = \"xapp-SECRET-15\" \"xapp-SECRET-16\"\n",
            "line 2 (key `slack.app_token`)",
        ),
    ];
    let sb = sandbox();
    for (content, want) in files {
        sb.file("bot-config.toml", content);
        for args in subcommands() {
            let (code, text) = output(&sb, &args);
            assert_no_secret(&args, "a broken file", code, &text);
            assert_eq!(code, Some(1), "`{}`:\n{text}", args.join(" "));
            assert_eq!(
                text.trim().lines().count(),
                1,
                "`{}` says it in one line:\n{text}",
                args.join(" ")
            );
            assert!(
                text.starts_with(&format!("error: bot-config.toml {want}: ")),
                "`{}` names the line and key ({want}):\n{text}",
                args.join(" ")
            );
        }
    }
}
