//! Running the `ambassador-bot` binary the way a user would.
#![allow(dead_code)]

pub mod running;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// A TCP port on loopback that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ambassador-bot")
}

/// A working directory of its own (with its own SQLite database) for one test.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write file");
        p
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The binary with `args`, in the sandbox directory, with a clean `AMBASSADOR_BOT__*`
    /// environment plus the sandbox's, stdout and stderr piped.
    fn command(&self, args: &[&str], stdin: Stdio) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("AMBASSADOR_BOT") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary with `args` and `stdin` and waits for it.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args, Stdio::piped())
            .spawn()
            .expect("start ambassador-bot");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("ambassador-bot runs")
    }

    /// Starts the binary with `args` (stdin closed) and returns at once.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args, Stdio::null())
            .spawn()
            .expect("start ambassador-bot")
    }

    /// A console session: the script on stdin, stdout returned. Fails the test on a non-zero exit.
    pub fn console(&self, args: &[&str], script: &str) -> String {
        let mut all = vec!["console"];
        all.extend_from_slice(args);
        let out = self.run(&all, script);
        let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
        assert!(
            out.status.success(),
            "console exited with {}\nstdout:\n{stdout}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

/// The messages of a console transcript: each starts with `[where]`, indented lines belong to it.
pub fn messages(transcript: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in transcript.lines() {
        if line.starts_with('[') {
            out.push(line.to_string());
        } else if let Some(last) = out.last_mut() {
            last.push('\n');
            last.push_str(line);
        } else {
            panic!("a line before any message: {line:?}");
        }
    }
    out
}

/// The one message containing `needle`.
pub fn message_with<'a>(messages: &'a [String], needle: &str) -> &'a str {
    let found: Vec<&String> = messages.iter().filter(|m| m.contains(needle)).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one message with {needle:?} in {messages:#?}"
    );
    found[0]
}

/// The line of a message that mentions `needle`.
pub fn line_with<'a>(message: &'a str, needle: &str) -> &'a str {
    message
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{message}"))
}

/// A PostgreSQL schema of its own for one test, dropped at the end; its URL sets the search path.
pub struct PgSchema {
    base: String,
    name: String,
    pub url: String,
}

/// Runs admin SQL on its own thread and runtime, so it works from sync and async tests alike.
fn pg_admin(base: &str, sql: &str) {
    let (base, sql) = (base.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let store = ambassador_store::SqlStore::connect(&base, 1)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at TEST_POSTGRES_URL is unreachable: {e}"));
            store.execute_script(&sql).await.expect("admin SQL");
            store.close().await;
        });
    })
    .join()
    .expect("admin SQL thread");
}

impl PgSchema {
    /// `None` (with a note) when `TEST_POSTGRES_URL` is unset outside CI; a failure in CI.
    pub fn new(test: &str) -> Option<PgSchema> {
        let base = match std::env::var("TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
                    panic!("TEST_POSTGRES_URL is not set, and CI must run the PostgreSQL tests");
                }
                eprintln!(
                    "note: {test}: PostgreSQL half skipped (set TEST_POSTGRES_URL to run it)"
                );
                return None;
            }
        };
        let name = format!(
            "t_{test}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        pg_admin(&base, &format!("CREATE SCHEMA {name}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Some(PgSchema { base, name, url })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        pg_admin(
            &self.base,
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
        );
    }
}

/// Slack's signature of a request: `v0=` and the HMAC-SHA256 of `v0:TIMESTAMP:BODY` under `secret`.
pub fn slack_signature(secret: &str, timestamp: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// A slash command's form as Slack posts it: `user` types `command text` in #general.
pub fn slash_form(user: &str, command: &str, text: &str, response_url: &str) -> String {
    serde_urlencoded::to_string([
        ("team_id", "T0001"),
        ("channel_id", "C0GENERAL"),
        ("channel_name", "general"),
        ("user_id", user),
        ("user_name", &user.to_lowercase()),
        ("command", command),
        ("text", text),
        ("response_url", response_url),
        ("trigger_id", "1.2.3"),
        ("api_app_id", "A1"),
    ])
    .expect("a form")
}

/// Posts a form `body` to `url`, signed now with `secret` as Slack signs it.
pub async fn post_signed(url: &str, secret: &str, body: String) -> reqwest::Response {
    let ts = chrono::Utc::now().timestamp().to_string();
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", &ts)
        .header("x-slack-signature", slack_signature(secret, &ts, &body))
        .body(body)
        .send()
        .await
        .expect("the bot answers")
}

/// A child's stdout and stderr, read to the end (each empty when it was not piped).
pub fn output_of(child: &mut Child) -> (String, String) {
    use std::io::Read;
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut out).unwrap();
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_string(&mut err).unwrap();
    }
    (out, err)
}

/// Sends SIGTERM to `child` and waits up to `within` for it to exit (past that it is killed and
/// the test fails); its exit status.
pub fn sigterm(child: &mut Child, within: Duration) -> ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "kill -TERM {}", child.id());
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ambassador-bot did not stop within {within:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
