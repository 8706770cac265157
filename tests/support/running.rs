//! `ambassador-bot run` against a fake Slack: the fake Web API, a sandbox configured for it, the
//! running process (killed if a test fails first), readiness, and the demo organization with a
//! closed check-in round.

use super::{Sandbox, output_of};
use ambassador_slack::testing as slack_api;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::any;
use serde_json::Value;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "xoxb-run-test-token-7c1d";

pub const SIGNING_SECRET: &str = "run-test-signing-secret-9f3e2a";

/// The Web API calls the bot made, by method.
pub type Calls = Arc<Mutex<Vec<String>>>;

/// A tiny fake of Slack's Web API: `ok:true` to everything, in Slack's shapes.
pub async fn fake_slack() -> (String, Calls) {
    async fn api(
        State(calls): State<Calls>,
        Path(method): Path<String>,
        RawQuery(query): RawQuery,
        body: String,
    ) -> axum::Json<Value> {
        calls.lock().unwrap().push(method.clone());
        axum::Json(slack_api::answer(
            &method,
            &slack_api::args(query.as_deref(), &body),
        ))
    }
    let calls = Calls::default();
    let app = Router::new()
        .route("/api/{method}", any(api))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/api"), calls)
}

/// A sandbox whose configuration enables Slack against `api`, listening on `port`.
pub fn slack_sandbox(api: &str, port: u16) -> Sandbox {
    let sb = Sandbox::new();
    sb.file(
        "bot-config.toml",
        &format!(
            "[database]\nurl = \"sqlite://bot.db\"\n\n[slack]\nenabled = true\napi_base_url = \"{api}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    );
    // The secrets come from the environment, as the README recommends.
    sb.with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", TOKEN)
        .with_env("AMBASSADOR_BOT__SLACK__SIGNING_SECRET", SIGNING_SECRET)
}

/// Kills the child if the test fails before it exits.
pub struct Running(pub Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The demo organization with a closed check-in round two weeks ago, made through the console on
/// a simulated clock: 7 active ambassadors prompted, ada answers, grace skips, 5 miss it.
pub fn with_a_closed_checkin_round(sb: &Sandbox) {
    use chrono::{Datelike, Days, Utc};
    let today = Utc::now().date_naive();
    let sunday = today - Days::new(u64::from(today.weekday().num_days_from_sunday()) + 14);
    // Tuesday: every time zone had its Monday 09:00; the next Sunday 20:00 UTC: every check-in
    // closed (6 days after its prompt), no new one out yet.
    let script = format!(
        ":clock {}T12:00:00Z\n:as ada\n:dm\nTwo office hours.\n:as grace\n:in general\n/checkin skip\n:clock {}T20:00:00Z\n",
        sunday + Days::new(2),
        sunday + Days::new(7)
    );
    let out = sb.console(
        &["--demo", "--clock", &format!("{sunday}T12:00:00Z")],
        &script,
    );
    assert!(out.contains("Check-in"), "the round went out:\n{out}");
}

/// Waits until `/readyz` answers 200 (with Matrix: the first sync is done).
pub async fn wait_ready(running: &mut Running, base: &str, within: Duration) -> Duration {
    let started = Instant::now();
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return started.elapsed();
        }
        if let Some(status) = running.0.as_mut().unwrap().try_wait().unwrap() {
            let (out, err) = output_of(running.0.as_mut().unwrap());
            panic!("run exited early with {status}\nstdout:\n{out}\nstderr:\n{err}");
        }
        assert!(started.elapsed() < within, "/readyz never answered 200");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
