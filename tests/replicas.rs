//! Two `ambassador-bot run` replicas on one PostgreSQL schema, Slack enabled against a local fake
//! of the Web API, on a fast simulated clock (the hidden `--sim-clock` testing aid): a week of
//! check-in prompts, reminders and the weekly digest goes out exactly once, also when one replica
//! is killed (SIGKILL) in the middle of sending the prompts.
//!
//! The fake answers every call of the Web API at once, except the very first `chat.postMessage`:
//! that one it holds without answering and without counting it as delivered (a request lost with
//! its sender), and the test kills the replica that sent it. Its claimed messages stay reserved
//! for the outbox lease (3 s) and then go out through the other replica.

mod support;

use ambassador_core::OutboxStatus;
use ambassador_core::store_ports::*;
use ambassador_slack::testing as slack_api;
use ambassador_store::SqlStore;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::any;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{PgSchema, Sandbox, free_port};

const TOKEN: &str = "xoxb-replicas-test-token";
const SIGNING_SECRET: &str = "replicas-test-signing-secret";
/// Simulated seconds per real second: the week below takes about 55 s.
const SPEED: f64 = 12_000.0;

/// One `chat.postMessage` the fake answered: which replica sent it, to where, what.
#[derive(Clone, Debug)]
struct Post {
    replica: String,
    channel: String,
    text: String,
}

#[derive(Default)]
struct Fake {
    posts: Vec<Post>,
    /// The held request: (replica, channel, text).
    held: Option<(String, String, String)>,
}

type Shared = Arc<Mutex<Fake>>;

async fn fake_slack() -> (String, Shared) {
    async fn api(
        State(fake): State<Shared>,
        Path((replica, method)): Path<(String, String)>,
        RawQuery(query): RawQuery,
        body: String,
    ) -> axum::Json<Value> {
        let body = slack_api::args(query.as_deref(), &body);
        if method == "chat.postMessage" {
            let channel = body["channel"].as_str().unwrap_or_default().to_string();
            let text = body["text"].as_str().unwrap_or_default().to_string();
            let hold = {
                let mut f = fake.lock().unwrap();
                if f.held.is_none() {
                    f.held = Some((replica.clone(), channel.clone(), text.clone()));
                    true
                } else {
                    f.posts.push(Post {
                        replica,
                        channel,
                        text,
                    });
                    false
                }
            };
            if hold {
                std::future::pending::<()>().await;
            }
        }
        axum::Json(slack_api::answer(&method, &body))
    }
    let fake = Shared::default();
    let app = Router::new()
        .route("/{replica}/api/{method}", any(api))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

/// A sandbox whose configuration points at the shared database, the fake's `/{name}/api` and a
/// port of its own. The daily lifecycle job runs on New Year's Day only: the test counts the
/// week's check-in messages and the digest.
fn sandbox(db: &str, api: &str, name: &str, port: u16) -> Sandbox {
    let sb = Sandbox::new();
    sb.file(
        "bot-config.toml",
        &format!(
            "[database]\nurl = \"{db}\"\n\n\
             [program]\noffice = [\"slack:UOFFICE\"]\n\n\
             [slack]\nenabled = true\napi_base_url = \"{api}/{name}/api\"\nbot_user_id = \"UBOT\"\n\n\
             [digest]\nchannels = [\"slack:C0DIGEST\"]\n\n\
             [outbox]\nlease = \"3s\"\nbase_backoff = \"1s\"\n\n\
             [lifecycle]\nschedule = \"0 10 1 1 *\"\n\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    );
    sb.with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", TOKEN)
        .with_env("AMBASSADOR_BOT__SLACK__SIGNING_SECRET", SIGNING_SECRET)
}

/// Kills the child if the test fails before it exits.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    err
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Berlin (five) and New York (three), in two departments.
const AMBASSADORS: [(&str, &str); 8] = [
    ("U0BER1", "Europe/Berlin"),
    ("U0BER2", "Europe/Berlin"),
    ("U0BER3", "Europe/Berlin"),
    ("U0BER4", "Europe/Berlin"),
    ("U0BER5", "Europe/Berlin"),
    ("U0NYC1", "America/New_York"),
    ("U0NYC2", "America/New_York"),
    ("U0NYC3", "America/New_York"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_send_a_week_exactly_once_when_one_is_killed() {
    let Some(pg) = PgSchema::new("replicas") else {
        return;
    };
    let (api, fake) = fake_slack().await;
    let ports = [free_port(), free_port()];
    let names = ["r0", "r1"];
    let boxes: Vec<Sandbox> = (0..2)
        .map(|i| sandbox(&pg.url, &api, names[i], ports[i]))
        .collect();

    // The org and the roster, as an operator loads them.
    let departments = boxes[0].file(
        "departments.csv",
        "name,region,headcount\nPlatform Engineering,EMEA,120\nSales,Americas,300\n",
    );
    let mut roster = String::from("person,department,time_zone,display_name\n");
    for (id, zone) in AMBASSADORS {
        let dept = if zone.starts_with("Europe") {
            "Platform Engineering"
        } else {
            "Sales"
        };
        roster += &format!("{id},{dept},{zone},Ambassador {id}\n");
    }
    let roster = boxes[0].file("roster.csv", &roster);
    let import = boxes[0].run(
        &[
            "import",
            "--departments",
            departments.to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--platform",
            "slack",
        ],
        "",
    );
    assert!(
        import.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&import.stderr)
    );

    // A Sunday morning to the Sunday afternoon after: Monday's prompts (07:00 UTC in Berlin,
    // 13:00 UTC in New York), Wednesday's reminders, Friday's digest (15:00 UTC), Sunday's close.
    let start = utc("2031-05-11T06:00:00Z");
    let end = utc("2031-05-18T14:00:00Z");
    let epoch = Utc::now() + chrono::Duration::seconds(2);
    let sim_now = || {
        start
            + chrono::Duration::milliseconds(
                ((Utc::now() - epoch).num_milliseconds() as f64 * SPEED) as i64,
            )
    };
    let (start_arg, epoch_arg, speed_arg) =
        (start.to_rfc3339(), epoch.to_rfc3339(), SPEED.to_string());
    let args = [
        "run",
        "--sim-clock",
        &start_arg,
        "--sim-speed",
        &speed_arg,
        "--sim-epoch",
        &epoch_arg,
    ];
    let mut replicas: Vec<Running> = boxes
        .iter()
        .map(|sb| Running(Some(sb.spawn(&args))))
        .collect();

    // Both serve HTTP and are ready.
    let http = reqwest::Client::new();
    for (i, port) in ports.iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .send()
                .await
                && r.status() == 200
            {
                break;
            }
            let child = replicas[i].0.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{} exited with {status}:\n{}", names[i], stderr_of(child));
            }
            assert!(Instant::now() < deadline, "{} never got ready", names[i]);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(
        sim_now() < utc("2031-05-12T06:00:00Z"),
        "the replicas took too long to start: nothing may be due yet"
    );

    // Kill the replica whose prompt the fake holds, in the middle of its batch.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (victim, held_channel, held_text) = loop {
        if let Some(held) = fake.lock().unwrap().held.clone() {
            break held;
        }
        for (i, r) in replicas.iter_mut().enumerate() {
            let child = r.0.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{} exited with {status}:\n{}", names[i], stderr_of(child));
            }
        }
        assert!(Instant::now() < deadline, "no message was ever sent");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let v = names.iter().position(|n| *n == victim).unwrap();
    let mut killed = replicas[v].0.take().unwrap();
    killed.kill().unwrap();
    killed.wait().unwrap();
    let killed_at = sim_now();
    let survivor = 1 - v;
    assert!(
        held_text.contains("Check-in for 2031-05-12"),
        "the first message is a prompt: {held_text}"
    );

    // The survivor carries the rest of the week.
    let store = SqlStore::connect(&pg.url, 2).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let pending = store.outbox_stats().await.unwrap().pending;
        if sim_now() > end && pending == 0 {
            break;
        }
        let child = replicas[survivor].0.as_mut().unwrap();
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the survivor exited with {status}:\n{}", stderr_of(child));
        }
        assert!(
            Instant::now() < deadline,
            "the week did not finish: simulated {}, {pending} pending",
            sim_now()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut child = replicas[survivor].0.take().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let survivor_log = stderr_of(&mut child);
    assert!(status.success(), "survivor: {status}\n{survivor_log}");

    // What Slack received.
    let posts = fake.lock().unwrap().posts.clone();
    let mut by_message: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in &posts {
        by_message
            .entry((p.channel.clone(), p.text.clone()))
            .or_default()
            .push(p.replica.clone());
    }
    let doubled: Vec<_> = by_message.iter().filter(|(_, r)| r.len() > 1).collect();
    assert!(doubled.is_empty(), "sent more than once: {doubled:#?}");
    for (id, _) in AMBASSADORS {
        let to_them: Vec<&Post> = posts.iter().filter(|p| p.channel == id).collect();
        let prompts = to_them
            .iter()
            .filter(|p| p.text.contains("Check-in for 2031-05-12"))
            .count();
        let reminders = to_them
            .iter()
            .filter(|p| p.text.contains("reminder: your check-in for 2031-05-12"))
            .count();
        assert_eq!((prompts, reminders), (1, 1), "{id}: {to_them:#?}");
    }
    let digests: Vec<&Post> = posts
        .iter()
        .filter(|p| p.text.contains("Weekly digest"))
        .collect();
    assert_eq!(digests.len(), 1, "{digests:#?}");
    assert_eq!(digests[0].channel, "C0DIGEST");
    assert!(
        digests[0].text.contains("week to 2031-05-16"),
        "{digests:#?}"
    );
    // The held prompt went out once, through the survivor after the outbox lease ran out.
    let held = &by_message[&(held_channel.clone(), held_text.clone())];
    assert_eq!(held, &[names[survivor].to_string()]);

    // The outbox agrees: every message sent once, nothing pending or given up on.
    let items = store.outbox_items(&[], 1000).await.unwrap();
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.failed), (0, 0));
    assert_eq!(
        stats.sent as usize,
        posts.len(),
        "one post per outbox message: {items:#?}\n{posts:#?}"
    );
    assert!(items.iter().all(|i| i.status == OutboxStatus::Sent));
    let runs = store.job_runs(start, end).await.unwrap();
    eprintln!(
        "replicas: {} posts ({} by the survivor), {} outbox items, {} job runs; killed {victim} at simulated {killed_at}",
        posts.len(),
        posts
            .iter()
            .filter(|p| p.replica == names[survivor])
            .count(),
        items.len(),
        runs.len()
    );
    store.close().await;
}
