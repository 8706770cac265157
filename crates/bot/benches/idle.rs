//! Idle memory and start-to-ready time of `ambassador-bot run` (prints figures; not a timed test).
//!
//!     cargo bench -p ambassador-bot --bench idle
//!     BENCH_MATRIX=0 cargo bench -p ambassador-bot --bench idle      # Slack only, no Synapse
//!     BENCH_IDLE_SECS=30 BENCH_STARTS=10 cargo bench -p ambassador-bot --bench idle
//!
//! The optimized `ambassador-bot` binary runs against a SQLite database holding 100 departments
//! and 1,000 ambassadors (loaded with `ambassador-bot import`), a local fake of Slack's Web API,
//! and a real Synapse on loopback (the Matrix adapter's test harness,
//! `crates/matrix/tests/support/synapse.sh`). Scenarios:
//!
//! 1. Slack only;
//! 2. Slack and Matrix, first start (password login, then the first sync);
//! 3. Slack and Matrix, restarted (the saved session and store are reused).
//!
//! For each: the time from spawning the process to the first `200` from `/healthz` (database open,
//! adapters signed in, HTTP server up) and from `/readyz` (with Matrix: after the first sync),
//! the median and maximum over BENCH_STARTS starts (default 5); then, in the first start, the
//! resident memory (VmRSS from /proc) after BENCH_IDLE_SECS (default 10) seconds idle, the largest
//! VmRSS seen while idle and the peak (VmHWM). Targets (issue #7): idle RSS under 40 MB with Slack
//! and Matrix connected; start to ready under 1 s plus the homeserver's first sync.
//!
//! Without a usable Python for Synapse the Matrix scenarios are skipped with a line that says so.

#[path = "support/load.rs"]
mod load;

use hmac::{Hmac, Mac};
use load::{Running, env_number, fake_slack, free_port};
use serde_json::{Value, json};
use sha1::Sha1;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const AMBASSADORS: usize = 1_000;
const DEPARTMENTS: usize = 100;
const REGIONS: [&str; 5] = ["EMEA", "Americas", "APAC", "India", "China"];
const TIME_ZONES: [&str; 6] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
];
const RSS_TARGET_MB: f64 = 40.0;
const READY_TARGET: Duration = Duration::from_secs(1);

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// A Synapse on loopback, started with the Matrix adapter's harness script; it stops when this
/// process exits.
struct Synapse {
    url: String,
    secret: String,
}

fn start_synapse() -> Result<Synapse, String> {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../matrix/tests/support/synapse.sh");
    let venv = std::env::var_os("SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("synapse-venv"));
    let started = Instant::now();
    let install = Command::new("bash")
        .arg(&script)
        .arg("install")
        .arg(&venv)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if !install.status.success() {
        return Err(String::from_utf8_lossy(&install.stderr).trim().to_string());
    }
    let port = free_port();
    let runs = target_dir().join("synapse-runs");
    std::fs::create_dir_all(&runs).map_err(|e| e.to_string())?;
    let dir = runs.join(format!("bench-{}-{port}", std::process::id()));
    let log = std::fs::File::create(runs.join(format!("bench-{}-{port}.log", std::process::id())))
        .map_err(|e| e.to_string())?;
    let secret = format!("bench-{}-{port}", std::process::id());
    Command::new("bash")
        .arg(&script)
        .arg("run")
        .arg(&venv)
        .arg(&dir)
        .arg(port.to_string())
        .arg(&secret)
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start Synapse: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if http_status(port, "GET", "/_matrix/client/versions") == Some(200) {
            println!(
                "Synapse: up on 127.0.0.1:{port} in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            return Ok(Synapse {
                url: format!("http://127.0.0.1:{port}"),
                secret,
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "Synapse did not answer on port {port} within 120 s"
    ))
}

impl Synapse {
    /// Registers `localpart` with the shared secret; returns (user id, password).
    async fn register(&self, localpart: &str) -> (String, String) {
        let http = reqwest::Client::new();
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        let nonce = nonce["nonce"].as_str().unwrap().to_string();
        let password = format!("pw-{localpart}-bench");
        let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes()).unwrap();
        for part in [nonce.as_bytes(), localpart.as_bytes(), password.as_bytes()] {
            mac.update(part);
            mac.update(b"\0");
        }
        mac.update(b"notadmin");
        let body: Value = http
            .post(&url)
            .json(&json!({
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": false,
                "mac": hex::encode(mac.finalize().into_bytes()),
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let user = body["user_id"]
            .as_str()
            .unwrap_or_else(|| panic!("registering {localpart}: {body}"));
        (user.to_string(), password)
    }
}

/// The status of `METHOD path` on 127.0.0.1:port, or `None` when nothing answers.
fn http_status(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "{method} {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

/// A field of /proc/PID/status in MB (`VmRSS`, `VmHWM`).
fn proc_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Writes the CSV files and imports them; returns how long the import took.
fn fill(bin: &str, dir: &Path) -> Duration {
    let mut departments = String::from("name,region,headcount\n");
    for d in 0..DEPARTMENTS {
        departments.push_str(&format!(
            "Department {d:03},{},{}\n",
            REGIONS[d % REGIONS.len()],
            200 + d * 7
        ));
    }
    let mut roster = String::from("person,department,time_zone,display_name\n");
    for i in 0..AMBASSADORS {
        // Half on Slack, half on Matrix.
        let person = if i % 2 == 0 {
            format!("slack:U{i:06}")
        } else {
            format!("matrix:@ambassador{i}:localhost")
        };
        roster.push_str(&format!(
            "{person},Department {:03},{},Ambassador {i}\n",
            i % DEPARTMENTS,
            TIME_ZONES[i % TIME_ZONES.len()]
        ));
    }
    std::fs::write(dir.join("departments.csv"), departments).unwrap();
    std::fs::write(dir.join("roster.csv"), roster).unwrap();
    let started = Instant::now();
    let out = Command::new(bin)
        .args([
            "--config",
            "bot-config.toml",
            "import",
            "--departments",
            "departments.csv",
            "--roster",
            "roster.csv",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "import failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    took
}

/// A cron day of the month two weeks away, so that nothing scheduled falls due while measuring:
/// the figures are for an idle bot.
fn quiet_day() -> u32 {
    use chrono::Datelike;
    (chrono::Utc::now().day() + 13) % 28 + 1
}

struct Start {
    healthz: Duration,
    readyz: Duration,
}

struct Idle {
    rss: f64,
    max_rss: f64,
    hwm: f64,
    /// Of `rss`: heap and stacks, and pages of mapped files (the binary, libraries, databases).
    anon: f64,
    file: f64,
}

/// Starts `run`, times /healthz and /readyz, optionally idles and reads the memory, then stops it
/// with SIGTERM.
fn start_once(
    bin: &str,
    dir: &Path,
    env: &[(String, String)],
    port: u16,
    idle: Option<Duration>,
    log: &str,
) -> (Start, Option<Idle>) {
    let log_file = std::fs::File::create(dir.join(log)).unwrap();
    let mut cmd = Command::new(bin);
    cmd.args(["--config", "bot-config.toml", "run"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut running = Running(Some(cmd.spawn().expect("start ambassador-bot run")));
    let pid = running.0.as_ref().unwrap().id();
    let mut healthz = None;
    let deadline = started + Duration::from_secs(120);
    let readyz = loop {
        if healthz.is_none() && http_status(port, "GET", "/healthz") == Some(200) {
            healthz = Some(started.elapsed());
        }
        if healthz.is_some() && http_status(port, "GET", "/readyz") == Some(200) {
            break started.elapsed();
        }
        if let Some(status) = running.0.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "run exited with {status}; its log:\n{}",
                std::fs::read_to_string(dir.join(log)).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "not ready within 120 s");
        std::thread::sleep(Duration::from_millis(5));
    };
    let start = Start {
        healthz: healthz.unwrap(),
        readyz,
    };
    let idle = idle.map(|d| {
        let until = Instant::now() + d;
        let mut max_rss: f64 = 0.0;
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(250));
            max_rss = max_rss.max(proc_mb(pid, "VmRSS"));
        }
        Idle {
            rss: proc_mb(pid, "VmRSS"),
            max_rss,
            hwm: proc_mb(pid, "VmHWM"),
            anon: proc_mb(pid, "RssAnon"),
            file: proc_mb(pid, "RssFile"),
        }
    });
    let mut child = running.0.take().unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let stop_deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > stop_deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "run did not stop cleanly on SIGTERM ({status:?})"
    );
    (start, idle)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

struct Scenario {
    name: &'static str,
    env: Vec<(String, String)>,
    starts: u64,
    /// Matrix: ready includes the homeserver's first sync.
    matrix: bool,
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_ambassador-bot");
    let idle_secs = env_number("BENCH_IDLE_SECS", 10);
    let starts = env_number("BENCH_STARTS", 5).max(1);
    let with_matrix = std::env::var("BENCH_MATRIX").map_or(true, |v| v != "0");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let api = rt.block_on(fake_slack(calls.clone()));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let day = quiet_day();
    std::fs::write(
        dir.path().join("bot-config.toml"),
        format!(
            r#"[database]
url = "sqlite://bot.db"

[program]
office = ["slack:U000000"]

[checkins]
schedule = "0 9 {day} * *"

[digest]
schedule = "0 15 {day} * *"
channels = ["slack:C0GENERAL"]

[reports]
quarterly_schedule = "0 10 {day} * *"

[slack]
enabled = true
api_base_url = "{api}"

[http]
listen = "127.0.0.1:{port}"

[log]
format = "json"
"#
        ),
    )
    .unwrap();

    println!(
        "Idle benchmark: `ambassador-bot run`, {AMBASSADORS} ambassadors in {DEPARTMENTS} departments (SQLite), fake Slack Web API{}",
        if with_matrix { ", Synapse" } else { "" }
    );
    let import = fill(bin, dir.path());
    println!("import of the org map and the roster: {}", ms(import));

    let mut base_env = vec![
        (
            "AMBASSADOR_BOT__SLACK__BOT_TOKEN".to_string(),
            "xoxb-bench-token".to_string(),
        ),
        (
            "AMBASSADOR_BOT__SLACK__SIGNING_SECRET".to_string(),
            "bench-signing-secret".to_string(),
        ),
    ];
    let mut scenarios = vec![Scenario {
        name: "Slack",
        env: base_env.clone(),
        starts,
        matrix: false,
    }];
    if with_matrix {
        match start_synapse() {
            Ok(synapse) => {
                let (user, password) = rt.block_on(synapse.register("ambassador-bot"));
                base_env.extend([
                    ("AMBASSADOR_BOT__MATRIX__ENABLED".into(), "true".into()),
                    (
                        "AMBASSADOR_BOT__MATRIX__HOMESERVER".into(),
                        synapse.url.clone(),
                    ),
                    ("AMBASSADOR_BOT__MATRIX__USER".into(), user),
                    ("AMBASSADOR_BOT__MATRIX__PASSWORD".into(), password),
                    (
                        "AMBASSADOR_BOT__MATRIX__STORE_DIR".into(),
                        "matrix-store".into(),
                    ),
                ]);
                scenarios.push(Scenario {
                    name: "Slack + Matrix, first start",
                    env: base_env.clone(),
                    starts: 1,
                    matrix: true,
                });
                scenarios.push(Scenario {
                    name: "Slack + Matrix, restart",
                    env: base_env.clone(),
                    starts,
                    matrix: true,
                });
            }
            Err(e) => println!("Matrix: skipped, Synapse could not start: {e}"),
        }
    }

    let mut failed = Vec::new();
    for s in &scenarios {
        let mut times = Vec::new();
        let mut idle = None;
        for i in 0..s.starts {
            let wait = (i == 0).then(|| Duration::from_secs(idle_secs));
            let (start, measured) = start_once(
                bin,
                dir.path(),
                &s.env,
                port,
                wait,
                &format!("run-{}-{i}.log", s.name.replace([' ', ',', '+'], "")),
            );
            times.push(start);
            if measured.is_some() {
                idle = measured;
            }
        }
        let mut ready: Vec<Duration> = times.iter().map(|t| t.readyz).collect();
        let mut health: Vec<Duration> = times.iter().map(|t| t.healthz).collect();
        ready.sort();
        health.sort();
        let median = |v: &[Duration]| v[v.len() / 2];
        let idle = idle.unwrap();
        println!();
        println!(
            "{} ({} start{}):",
            s.name,
            s.starts,
            if s.starts == 1 { "" } else { "s" }
        );
        println!(
            "  start → /healthz 200 (database, sign-ins, HTTP up): median {}, max {}",
            ms(median(&health)),
            ms(*health.last().unwrap())
        );
        println!(
            "  start → /readyz 200{}: median {}, max {}",
            if s.matrix {
                " (after the first sync)"
            } else {
                ""
            },
            ms(median(&ready)),
            ms(*ready.last().unwrap())
        );
        if s.matrix {
            let sync: Vec<Duration> = times.iter().map(|t| t.readyz - t.healthz).collect();
            println!(
                "  of which /healthz → /readyz (the homeserver's first sync): max {}",
                ms(*sync.iter().max().unwrap())
            );
        }
        println!(
            "  after {idle_secs} s idle: VmRSS {:.1} MB (max while idle {:.1} MB, peak VmHWM {:.1} MB); target < {RSS_TARGET_MB} MB",
            idle.rss, idle.max_rss, idle.hwm
        );
        println!(
            "    of which anonymous (heap, stacks) {:.1} MB, mapped files (the binary, libraries, memory-mapped databases) {:.1} MB",
            idle.anon, idle.file
        );
        if idle.rss >= RSS_TARGET_MB {
            failed.push(format!("{}: idle RSS {:.1} MB", s.name, idle.rss));
        }
        // Ready in under a second, not counting what the homeserver's first sync takes.
        let own = times
            .iter()
            .map(|t| if s.matrix { t.healthz } else { t.readyz })
            .max()
            .unwrap();
        if own >= READY_TARGET {
            failed.push(format!(
                "{}: {} to ready (without the first sync)",
                s.name,
                ms(own)
            ));
        }
    }
    println!();
    println!(
        "fake Slack Web API calls: {} (auth.test at each start)",
        calls.load(Ordering::Relaxed)
    );
    if failed.is_empty() {
        println!(
            "targets met: idle RSS < {RSS_TARGET_MB} MB, start to ready < 1 s plus the first sync"
        );
    } else {
        println!("TARGETS MISSED: {}", failed.join("; "));
    }
}
