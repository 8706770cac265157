//! HTTP benchmark of the Slack endpoint (prints figures; not a timed test).
//!
//! Serves the Slack router in-process on a loopback port over a real store (a SQLite file, and
//! PostgreSQL when `TEST_POSTGRES_URL` is set), with a local fake of the Web API and response URLs,
//! and drives it with 64 concurrent HTTP clients sending correctly signed `/kudos @U… for …`
//! slash commands from 5,000 distinct givers. Requests are sent on an open-loop schedule (a fixed
//! offered rate); a request's latency counts from its scheduled time, so a server that falls
//! behind shows it in the figures instead of slowing the clients down.
//!
//! (a) 1,000 requests per second for 10 s: p50 and p99. Target: p99 under 20 ms.
//! (b) a ramp of 1,000, 2,000, 3,000 … requests per second, 5 s each, until p99 passes 100 ms or
//!     the rate is no longer sustained: the highest rate sustained with p99 ≤ 100 ms. Target: at
//!     least 3,000.
//!
//!     cargo bench -p ambassador-slack --bench kudos_http
//!     TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p ambassador-slack --bench kudos_http
//!
//! `BENCH_DB_CONNECTIONS` sets the store's pool size (default 5, as `database.max_connections`).
//!
//! The clients run in the same process and share the machine's cores with the server.

#[path = "../../bot/benches/support/mod.rs"]
mod support;

#[path = "../../bot/benches/support/load.rs"]
mod load;

use ambassador_core::{Program, Settings, SystemClock};
use ambassador_slack::{SlackApp, SlackSettings, router};
use ambassador_store::SqlStore;
use axum::response::IntoResponse;
use load::{CLIENTS, Endpoint, open_loop, quantile};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

const SECRET: &str = "bench-signing-secret";
const TOKEN: &str = "xoxb-bench";

/// A fake Web API and response URL endpoint: accepts everything, answering in Slack's shapes.
async fn fake_slack() -> String {
    use ambassador_slack::testing as slack_api;
    use axum::extract::{Path, RawQuery};
    let app = axum::Router::new()
        .route(
            "/api/{method}",
            axum::routing::any(
                |Path(method): Path<String>, RawQuery(query): RawQuery, body: String| async move {
                    axum::Json(slack_api::answer(
                        &method,
                        &slack_api::args(query.as_deref(), &body),
                    ))
                    .into_response()
                },
            ),
        )
        .route("/response/{id}", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Serves the Slack endpoints over `store`; the URL of `/slack/commands`.
async fn serve(store: SqlStore, fake: &str) -> String {
    let settings = Settings {
        kudos_daily_limit: 0,
        ..Settings::default()
    };
    let program = Arc::new(Program::new(store, SystemClock, settings));
    let mut slack = SlackSettings::new(SECRET, TOKEN);
    slack.api_base = format!("{fake}/api");
    slack.bot_user_id = Some("UBOT".into());
    let app = router(SlackApp::new(program, slack));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/slack/commands")
}

struct Step {
    offered: u32,
    achieved: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

/// Sends `rate` requests per second for `secs` seconds from [`CLIENTS`] clients.
async fn step(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    counter: &Arc<AtomicU64>,
    rate: u32,
    secs: u64,
) -> Step {
    let load = open_loop(http, endpoint, counter, u64::from(rate), secs, None).await;
    Step {
        offered: rate,
        achieved: load.achieved(),
        p50: quantile(&load.latencies, 0.50),
        p99: quantile(&load.latencies, 0.99),
        errors: load.errors,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn print(step: &Step) {
    println!(
        "  offered {:>5}/s  achieved {:>7.0}/s  p50 {:>9}  p99 {:>9}  errors {}",
        step.offered,
        step.achieved,
        ms(step.p50),
        ms(step.p99),
        step.errors
    );
}

async fn run(name: &str, store: SqlStore) {
    println!("{name}:");
    let fake = fake_slack().await;
    let endpoint = Endpoint {
        url: serve(store, &fake).await,
        response_url: format!("{fake}/response/1"),
        signing_secret: SECRET.to_string(),
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let counter = Arc::new(AtomicU64::new(0));
    // Warm up: every giver and receiver gets known, connections open.
    let warm = step(&http, &endpoint, &counter, 1_000, 6).await;
    print!("  warm-up:");
    print(&warm);
    let fixed = step(&http, &endpoint, &counter, 1_000, 10).await;
    println!(
        "  (a) 1,000 req/s for 10 s: p50 {}, p99 {} (target p99 < 20 ms: {})",
        ms(fixed.p50),
        ms(fixed.p99),
        if fixed.p99 < Duration::from_millis(20) {
            "met"
        } else {
            "missed"
        }
    );
    print(&fixed);
    println!("  (b) ramp, 5 s per step:");
    let mut best = None;
    let mut rate = 1_000;
    loop {
        let s = step(&http, &endpoint, &counter, rate, 5).await;
        print(&s);
        let sustained = s.p99 <= Duration::from_millis(100)
            && s.achieved >= 0.95 * rate as f64
            && s.errors == 0;
        if !sustained {
            break;
        }
        best = Some(rate);
        rate += 1_000;
        if rate > 20_000 {
            break;
        }
        // Let the server drain between steps.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    match best {
        Some(b) => println!(
            "  highest rate sustained with p99 <= 100 ms: {b} req/s (target >= 3,000: {})",
            if b >= 3_000 { "met" } else { "missed" }
        ),
        None => println!("  no step sustained with p99 <= 100 ms (target >= 3,000: missed)"),
    }
}

#[tokio::main]
async fn main() {
    let connections = std::env::var("BENCH_DB_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    println!("{CLIENTS} clients, {connections} database connections");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = SqlStore::open(&sqlite, connections)
        .await
        .expect("open SQLite");
    run("SQLite", store).await;
    if let Some(schema) = support::PgSchema::create("bench_http").await {
        let store = SqlStore::open(&schema.url, connections)
            .await
            .expect("open PostgreSQL");
        run("PostgreSQL", store.clone()).await;
        store.close().await;
        schema.drop().await;
    }
}
