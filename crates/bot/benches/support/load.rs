//! Open-loop load of signed `/kudos` slash commands, shared by the kudos benchmarks: the Slack
//! adapter's `kudos_http` (server in the same process) and `kudos_external` (`ambassador-bot run`
//! as a process of its own). Requests go out on a fixed schedule whatever the answers; a request's
//! latency counts from when it was due, so a server that falls behind shows it in the figures
//! instead of slowing the load down.

// Each benchmark uses the parts it needs.
#![allow(dead_code)]

#[path = "../../../slack/tests/support/sign.rs"]
mod signer;

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Connections the load is sent over.
pub const CLIENTS: usize = 64;
/// Distinct givers and receivers.
pub const GIVERS: u64 = 5_000;
pub const RECEIVERS: u64 = 200;

/// A process of the benchmark's, killed should the benchmark panic.
pub struct Running(pub Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A number from the environment, else `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A loopback port free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Request `i`: from giver `giver` (else one of [`GIVERS`]), with a reason no other request has.
pub fn kudos_body(i: u64, giver: Option<u64>, response_url: &str) -> String {
    let giver = giver.unwrap_or(i % GIVERS);
    let receiver = (i * 7 + 1) % RECEIVERS;
    serde_urlencoded::to_string([
        ("token", "bench"),
        ("team_id", "T0001"),
        ("channel_id", "C0GENERAL"),
        ("channel_name", "general"),
        ("user_id", &format!("UG{giver:05}")),
        ("user_name", &format!("giver{giver}")),
        ("command", "/kudos"),
        (
            "text",
            &format!(
                "<@UR{receiver:04}|receiver{receiver}> for reviewing pull request {i} #review"
            ),
        ),
        ("response_url", response_url),
        ("trigger_id", "1.2.3"),
    ])
    .unwrap()
}

/// Where the load goes.
pub struct Endpoint {
    /// The slash command URL.
    pub url: String,
    /// The `response_url` each command carries.
    pub response_url: String,
    pub signing_secret: String,
}

/// What one run of the load saw.
pub struct Load {
    /// Every request's latency, sorted.
    pub latencies: Vec<Duration>,
    /// The latencies of the requests due in the last ten seconds, sorted.
    pub tail: Vec<Duration>,
    /// Requests not answered `200` with an in-channel answer.
    pub errors: u64,
    pub acknowledged: u64,
    pub seconds: f64,
}

/// The `p` quantile (0 to 1) of sorted latencies.
pub fn quantile(sorted: &[Duration], p: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

impl Load {
    pub fn achieved(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }
}

/// Sends `rate` requests a second for `secs` seconds over [`CLIENTS`] connections; `giver`: all
/// from one giver. `counter` numbers the requests across runs (each reason stays unique).
pub async fn open_loop(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    counter: &Arc<AtomicU64>,
    rate: u64,
    secs: u64,
    giver: Option<u64>,
) -> Load {
    let total = rate * secs;
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(20);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let tail_from = start + Duration::from_secs(secs.saturating_sub(10));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let http = http.clone();
        let (url, response_url, secret) = (
            endpoint.url.clone(),
            endpoint.response_url.clone(),
            endpoint.signing_secret.clone(),
        );
        let (next, counter) = (next.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut tail) = (Vec::new(), Vec::new());
            let (mut errors, mut acknowledged) = (0u64, 0u64);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let due = start + interval.mul_f64(n as f64);
                tokio::time::sleep_until(due.into()).await;
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let body = kudos_body(i, giver, &response_url);
                let ts = chrono::Utc::now().timestamp().to_string();
                let signature = signer::sign(&secret, &ts, body.as_bytes());
                let result = http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-slack-request-timestamp", ts)
                    .header("x-slack-signature", signature)
                    .body(body)
                    .send()
                    .await;
                let ok = match result {
                    Ok(r) => {
                        r.status().is_success()
                            && r.text().await.is_ok_and(|t| t.contains("in_channel"))
                    }
                    Err(_) => false,
                };
                if ok {
                    acknowledged += 1;
                } else {
                    errors += 1;
                }
                let latency = due.elapsed();
                latencies.push(latency);
                if due >= tail_from {
                    tail.push(latency);
                }
            }
            (latencies, tail, errors, acknowledged)
        }));
    }
    let mut load = Load {
        latencies: Vec::new(),
        tail: Vec::new(),
        errors: 0,
        acknowledged: 0,
        seconds: 0.0,
    };
    for t in tasks {
        let (l, t, e, a) = t.await.unwrap();
        load.latencies.extend(l);
        load.tail.extend(t);
        load.errors += e;
        load.acknowledged += a;
    }
    load.seconds = start.elapsed().as_secs_f64();
    load.latencies.sort();
    load.tail.sort();
    load
}

/// A fake of Slack's Web API that accepts every call, answering in Slack's shapes; its base URL
/// (`…/api`). `calls` counts the calls.
pub async fn fake_slack(calls: Arc<AtomicU64>) -> String {
    use axum::extract::{Path as UrlPath, RawQuery, State};
    use axum::routing::any;
    async fn api(
        State(calls): State<Arc<AtomicU64>>,
        UrlPath(method): UrlPath<String>,
        RawQuery(query): RawQuery,
        body: String,
    ) -> axum::Json<serde_json::Value> {
        calls.fetch_add(1, Ordering::Relaxed);
        axum::Json(ambassador_slack::testing::answer(
            &method,
            &ambassador_slack::testing::args(query.as_deref(), &body),
        ))
    }
    let app = axum::Router::new()
        .route("/api/{method}", any(api))
        .with_state(calls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api")
}
