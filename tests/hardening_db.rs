//! Database faults as an operator meets them, through `ambassador-bot run` and signed Slack
//! commands: PostgreSQL dropping the bot's connections (a `pg_terminate_backend`, a restart) costs
//! no command, and a SQLite database that stops accepting writes is logged as the storage fault it
//! is, turns `/readyz` 503 while it lasts, and 200 again once writes go through.

mod support;

use ambassador_slack::testing as slack_api;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::any;
use serde_json::Value;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{PgSchema, Sandbox, free_port};

const TOKEN: &str = "xoxb-hardening-db-token-41a7";
const SIGNING_SECRET: &str = "hardening-db-signing-secret-c2d9";
const APOLOGY: &str = "Sorry, something went wrong";

/// A fake of Slack's Web API: `ok:true` to everything, in Slack's shapes.
async fn fake_slack() -> String {
    async fn api(
        Path(method): Path<String>,
        RawQuery(query): RawQuery,
        State(()): State<()>,
        body: String,
    ) -> axum::Json<Value> {
        axum::Json(slack_api::answer(
            &method,
            &slack_api::args(query.as_deref(), &body),
        ))
    }
    let app = Router::new()
        .route("/api/{method}", any(api))
        .with_state(());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api")
}

/// `run` with Slack against `api` on `port` and the database at `url`, started through `sh` with
/// SIGXFSZ ignored (so a file-size limit set on it later fails its writes instead of killing it).
fn start(sb: &Sandbox, api: &str, port: u16, url: &str) -> Running {
    sb.file(
        "bot-config.toml",
        &format!(
            "[database]\nurl = \"{url}\"\n\n[slack]\nenabled = true\napi_base_url = \"{api}\"\n\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\n\n[scheduler]\ngrace = \"1s\"\n"
        ),
    );
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "trap '' XFSZ; exec \"$0\" \"$@\"",
        support::bin(),
        "run",
        "--log-format",
        "json",
    ])
    .current_dir(sb.path())
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("AMBASSADOR_BOT") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", TOKEN)
        .env("AMBASSADOR_BOT__SLACK__SIGNING_SECRET", SIGNING_SECRET);
    Running(Some(cmd.spawn().expect("start ambassador-bot")))
}

/// Kills the child if the test fails before it exits.
struct Running(Option<Child>);

impl Running {
    fn pid(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }

    /// Stops the bot (SIGTERM) and returns its stdout and stderr.
    fn stop(mut self) -> String {
        let mut child = self.0.take().unwrap();
        support::sigterm(&mut child, Duration::from_secs(30));
        let (out, err) = support::output_of(&mut child);
        out + &err
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn readyz(http: &reqwest::Client, port: u16) -> Option<(u16, String)> {
    let r = http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.unwrap_or_default()))
}

/// Waits until `/readyz` answers `want` (the bot got there, or the test fails after 30 s).
async fn wait_for_readyz(http: &reqwest::Client, port: u16, want: u16, running: &mut Running) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = readyz(http, port).await;
        if got.as_ref().is_some_and(|(s, _)| *s == want) {
            return;
        }
        if let Some(status) = running.0.as_mut().unwrap().try_wait().unwrap() {
            let out = running_output(running);
            panic!("run exited early with {status}\n{out}");
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never answered {want} (last: {got:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn running_output(running: &mut Running) -> String {
    let child = running.0.as_mut().unwrap();
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut out);
    }
    out
}

/// Sends a signed `/kudos` from `giver` and returns the text of the answer.
async fn kudos(port: u16, giver: &str, why: &str) -> String {
    let body = support::slash_form(
        giver,
        "/kudos",
        &format!("<@U2|bob> for {why}"),
        "http://127.0.0.1:9/response",
    );
    let url = format!("http://127.0.0.1:{port}/slack/commands");
    let answer = support::post_signed(&url, SIGNING_SECRET, body).await;
    assert_eq!(answer.status(), 200);
    answer.text().await.unwrap()
}

/// Sets the bot's file-size limit (`prlimit`, the soft limit only, so that no privilege is needed
/// to lift it again): `0` fails every write to its database files the way a full disk does;
/// `unlimited` gives the space back.
fn file_size_limit(pid: u32, limit: &str) {
    let status = Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            &format!("--fsize={limit}:unlimited"),
        ])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit --fsize={limit} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refusing_writes_is_a_storage_fault_and_readyz_follows_it() {
    let api = fake_slack().await;
    let port = free_port();
    let sb = Sandbox::new();
    let mut running = start(&sb, &api, port, "sqlite://bot.db");
    let http = reqwest::Client::new();
    wait_for_readyz(&http, port, 200, &mut running).await;
    let given = kudos(port, "U1", "the first workshop").await;
    assert!(given.contains("the first workshop"), "{given}");

    // The disk refuses writes: the command gets the apology (nothing changed), /readyz says so.
    file_size_limit(running.pid(), "0");
    let refused = kudos(port, "U3", "the second workshop").await;
    assert!(refused.contains(APOLOGY), "{refused}");
    let (status, why) = readyz(&http, port).await.expect("readyz answers");
    if status != 503 {
        let log = running.stop();
        panic!("/readyz {status} {why}\n{log}");
    }
    assert!(why.contains("does not accept writes"), "{why}");

    // Space comes back: ready again without a restart, and commands work.
    file_size_limit(running.pid(), "unlimited");
    wait_for_readyz(&http, port, 200, &mut running).await;
    let given = kudos(port, "U4", "the third workshop").await;
    assert!(given.contains("the third workshop"), "{given}");

    let log = running.stop();
    let failure = log
        .lines()
        .find(|l| {
            l.contains("the store failed while handling a Slack request")
                || l.contains("cannot check a signed Slack request against replays")
        })
        .unwrap_or_else(|| panic!("the failed command is logged:\n{log}"));
    assert!(failure.contains("storage fault"), "{failure}");
    assert!(!failure.contains("not found"), "{failure}");
}

/// Terminates every backend of `application_name` (and waits until each one is gone).
async fn terminate_backends(base: &str, application_name: &str) {
    let admin = ambassador_store::SqlStore::connect(base, 1)
        .await
        .expect("PostgreSQL at TEST_POSTGRES_URL answers");
    admin
        .execute_script(&format!(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity \
             WHERE application_name = '{application_name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .expect("terminate the bot's connections");
    admin.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dropping_the_bots_connections_costs_no_command() {
    let Some(schema) = PgSchema::new("hardening_db_dropped") else {
        return;
    };
    let base = std::env::var("TEST_POSTGRES_URL").unwrap();
    let application_name = format!("hardening_db_{}", std::process::id());
    let url = format!("{}&application_name={application_name}", schema.url);
    let api = fake_slack().await;
    let port = free_port();
    let sb = Sandbox::new();
    let mut running = start(&sb, &api, port, &url);
    let http = reqwest::Client::new();
    wait_for_readyz(&http, port, 200, &mut running).await;
    let given = kudos(port, "U1", "the first workshop").await;
    assert!(given.contains("the first workshop"), "{given}");

    // PostgreSQL drops every connection the bot holds; the next commands are answered as usual.
    for (round, giver) in ["U3", "U4", "U5"].into_iter().enumerate() {
        terminate_backends(&base, &application_name).await;
        let why = format!("workshop number {round}");
        let given = kudos(port, giver, &why).await;
        if given.contains(APOLOGY) {
            let log = running.stop();
            panic!("round {round}: {given}\n{log}");
        }
        assert!(given.contains(&why), "round {round}: {given}");
    }
    let (status, why) = readyz(&http, port).await.expect("readyz answers");
    assert_eq!(status, 200, "{why}");
    running.stop();
}

/// Reads the console's stdout until `needle` appears (or the console ends); what it read.
fn read_until(out: &std::sync::mpsc::Receiver<String>, seen: &mut String, needle: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match out.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(_) => return false,
        }
    }
    true
}

#[test]
fn the_console_says_when_the_disk_refuses_scheduled_work_and_goes_on_when_space_returns() {
    use std::io::{BufRead, Write};
    let sb = Sandbox::new();
    // Through `sh` with SIGXFSZ ignored, as in `start`: the limit then fails writes like a full disk.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "trap '' XFSZ; exec \"$0\" \"$@\"",
        support::bin(),
        "console",
        "--demo",
        "--clock",
        "2027-01-03T12:00:00Z",
    ])
    .current_dir(sb.path())
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("AMBASSADOR_BOT") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().expect("start the console");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    writeln!(stdin, ":as ada\n/kudos @bob for the first workshop").unwrap();
    assert!(
        read_until(&rx, &mut seen, "the first workshop"),
        "the kudos is answered:\n{seen}"
    );

    // The disk refuses writes: the week's prompts cannot be claimed. The console says so in a line
    // and stays (before, it ended the session with the store error).
    file_size_limit(child.id(), "0");
    writeln!(stdin, ":clock +7d").unwrap();
    assert!(
        read_until(&rx, &mut seen, "scheduled work could not run"),
        "the failure is said:\n{seen}"
    );
    assert!(!seen.contains("Check-in for"), "nothing was sent:\n{seen}");

    // Space comes back: the week runs with the next move of the clock, its prompts included.
    file_size_limit(child.id(), "unlimited");
    writeln!(stdin, ":clock +7d").unwrap();
    assert!(
        read_until(&rx, &mut seen, "Check-in for 2027-01-04"),
        "the prompts go out once writes work again:\n{seen}"
    );
    drop(stdin);
    let status = child.wait().expect("the console ends");
    assert!(
        status.success(),
        "the console exits 0 at the end of input:\n{seen}"
    );
}
