//! The Slack endpoints in-process over a real SQLite store, with the recording fake of the Web API
//! behind them, and requests signed the way Slack signs them.

use super::sign::sign;
use super::{FakeSlack, SIGNING_SECRET, TOKEN};
use ambassador_core::store_ports::*;
use ambassador_core::{Account, Clock, Kudos, ManualClock, Platform, Program, Settings};
use ambassador_slack::{SlackApp, SlackSettings, router, verify::Secret};
use ambassador_store::SqlStore;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// Commands sent so far, for each its own trigger id.
static COMMANDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub type TestProgram = Program<SqlStore, Arc<ManualClock>>;

pub struct Harness {
    pub router: Router,
    pub program: Arc<TestProgram>,
    pub clock: Arc<ManualClock>,
    pub fake: FakeSlack,
    pub dir: tempfile::TempDir,
}

/// Tuesday 4 March 2025, 10:00 UTC.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 0, 0).unwrap()
}

/// The endpoints with `UOFFICE` as the program office, the bot `UBOT`, and the adapter's settings
/// as `configure` leaves them.
pub async fn harness_with(configure: impl FnOnce(&mut SlackSettings)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let store = SqlStore::open(&url, 4).await.unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    let settings = Settings {
        office: vec![Account::new(Platform::Slack, "UOFFICE")],
        ..Settings::default()
    };
    let program = Arc::new(Program::new(store, clock.clone(), settings));
    let fake = FakeSlack::start().await;
    let mut slack = SlackSettings::new(SIGNING_SECRET, TOKEN);
    slack.api_base = fake.base.clone();
    slack.bot_user_id = Some("UBOT".into());
    configure(&mut slack);
    let router = router(SlackApp::new(program.clone(), slack));
    Harness {
        router,
        program,
        clock,
        fake,
        dir,
    }
}

pub async fn harness() -> Harness {
    harness_with(|_| {}).await
}

impl Harness {
    /// Runs the outbox dispatcher (as `run` does, with the Slack messenger) until the fake has
    /// seen what `check` waits for: messages to anyone but the caller travel that way.
    pub async fn deliver_outbox_until(&self, what: &str, check: impl Fn(&super::Recorded) -> bool) {
        use ambassador_core::{DispatchSettings, Dispatcher};
        use ambassador_slack::{SlackClient, SlackMessenger};
        let dispatcher = Dispatcher::new(
            SlackMessenger::new(SlackClient::new(&self.fake.base, Secret::new(TOKEN))),
            DispatchSettings::default(),
        );
        for _ in 0..200 {
            dispatcher
                .dispatch_once(&self.program.store, &*self.clock)
                .await
                .unwrap();
            if self.fake.with(|s| check(s)) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for {what} through the outbox");
    }

    /// A request signed with the signing secret at the harness's clock.
    pub fn signed(&self, path: &str, content_type: &str, body: &str) -> Request<Body> {
        let ts = self.clock.now().timestamp().to_string();
        let sig = sign(SIGNING_SECRET, &ts, body.as_bytes());
        Request::post(path)
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", sig)
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    /// The status and the JSON body (`null` when there is none) of the endpoints' answer.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// A slash command form as Slack posts it.
    pub fn command_body(
        &self,
        user: (&str, &str),
        channel: &str,
        command: &str,
        text: &str,
    ) -> String {
        serde_urlencoded::to_string([
            ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
            ("team_id", "T0001"),
            ("team_domain", "example"),
            ("channel_id", channel),
            ("channel_name", "general"),
            ("user_id", user.0),
            ("user_name", user.1),
            ("command", command),
            ("text", text),
            ("response_url", &format!("{}/response/1", self.fake.origin)),
            // Each command is its own: Slack gives every one a new trigger (the same body
            // signed at the same second again is a replay).
            (
                "trigger_id",
                &format!(
                    "13345224609.738474920.{:x}",
                    COMMANDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                ),
            ),
            ("api_app_id", "A123456"),
        ])
        .unwrap()
    }

    pub async fn command(
        &self,
        user: (&str, &str),
        channel: &str,
        command: &str,
        text: &str,
    ) -> (StatusCode, Value) {
        let body = self.command_body(user, channel, command, text);
        self.send(self.signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            &body,
        ))
        .await
    }

    /// An Events API callback around `event`.
    pub fn event_body(&self, event_id: &str, event: Value) -> String {
        json!({
            "token": "XXYYZZ",
            "team_id": "T0001",
            "api_app_id": "A123456",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": self.clock.now().timestamp(),
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": true}],
        })
        .to_string()
    }

    /// Posts an event, signed; Slack expects 200.
    pub async fn post_event(&self, event_id: &str, event: Value) {
        let body = self.event_body(event_id, event);
        let request = self.signed("/slack/events", "application/json", &body);
        assert_eq!(self.send(request).await.0, StatusCode::OK);
    }

    /// The kudos recorded within a day of the start.
    pub async fn all_kudos(&self) -> Vec<Kudos> {
        self.program
            .store
            .kudos_between(
                start_time() - Duration::days(1),
                start_time() + Duration::days(1),
            )
            .await
            .unwrap()
    }

    /// The last modal opened.
    pub fn last_view(&self) -> Value {
        self.fake.views_opened().last().expect("a modal was opened")["view"].clone()
    }

    /// Submits `view` (a modal the bot opened) with `values` by field (block id), as `user`; a
    /// field not given is submitted empty.
    pub async fn submit_view(
        &self,
        view: &Value,
        user: &str,
        values: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        self.interact(ambassador_slack::testing::view_submission(
            view,
            (user, user),
            values,
        ))
        .await
    }

    /// Submits the last modal opened, with `values` by field, as `user`.
    pub async fn submit(&self, user: &str, values: &[(&str, &str)]) -> (StatusCode, Value) {
        self.submit_view(&self.last_view(), user, values).await
    }

    /// Posts an interaction payload to the signed interactivity endpoint.
    pub async fn interact(&self, payload: Value) -> (StatusCode, Value) {
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        self.send(self.signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            &body,
        ))
        .await
    }
}

/// The input fields (block ids) of a modal.
pub fn inputs(view: &Value) -> Vec<String> {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "input")
        .map(|b| b["block_id"].as_str().unwrap().to_string())
        .collect()
}
