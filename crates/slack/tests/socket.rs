//! Socket Mode against a local WebSocket fake that speaks Slack's envelope protocol (hello,
//! envelopes, acknowledgements, disconnect), with the recording fake of the Web API answering
//! `apps.connections.open` with the fake's URL, a real SQLite store, and the bot's client.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{Account, ManualClock, Platform, Program, Settings};
use ambassador_slack::socket::{self, SocketSettings};
use ambassador_slack::{SlackApp, SlackSettings};
use ambassador_store::SqlStore;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use support::{APP_TOKEN, FakeSlack, SIGNING_SECRET, TOKEN};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Frame;

type TestProgram = Program<SqlStore, Arc<ManualClock>>;

/// Slack's deadline for acknowledging an envelope.
const ACK_DEADLINE: Duration = Duration::from_secs(3);

/// The Socket Mode server: every connection the bot opens is handed to the test.
struct FakeSocket {
    connections: mpsc::UnboundedReceiver<Connection>,
}

impl FakeSocket {
    /// Starts listening; the `ws://` URL for `apps.connections.open` to give out.
    async fn start() -> (FakeSocket, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/link/?ticket=1234", listener.local_addr().unwrap());
        let (tx, connections) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await
                    && tx.send(Connection { ws }).is_err()
                {
                    break;
                }
            }
        });
        (FakeSocket { connections }, url)
    }

    /// The next connection the bot opens.
    async fn next(&mut self) -> Connection {
        tokio::time::timeout(Duration::from_secs(10), self.connections.recv())
            .await
            .expect("the bot opened no Socket Mode connection within 10 s")
            .expect("the fake stopped")
    }
}

struct Connection {
    ws: WebSocketStream<TcpStream>,
}

impl Connection {
    async fn send(&mut self, message: Value) {
        self.ws
            .send(Frame::text(message.to_string()))
            .await
            .unwrap();
    }

    async fn hello(&mut self) {
        self.send(json!({
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-test", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A123456"},
        }))
        .await;
    }

    /// Sends an envelope and waits for its acknowledgement, which must come within Slack's
    /// deadline.
    async fn envelope(&mut self, id: &str, kind: &str, payload: Value, retry: u64) -> Value {
        self.send(json!({
            "envelope_id": id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
            "retry_attempt": retry,
            "retry_reason": if retry > 0 { "timeout" } else { "" },
        }))
        .await;
        self.ack(id).await
    }

    /// Waits for the acknowledgement of envelope `id`, which must come within Slack's deadline.
    async fn ack(&mut self, id: &str) -> Value {
        let wait = async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Frame::Text(text))) => {
                        let ack: Value = serde_json::from_str(text.as_str()).unwrap();
                        if ack["envelope_id"] == id {
                            return ack;
                        }
                        panic!("unexpected message from the bot: {ack}");
                    }
                    Some(Ok(_)) => continue,
                    other => panic!("the connection ended before the acknowledgement: {other:?}"),
                }
            }
        };
        tokio::time::timeout(ACK_DEADLINE, wait)
            .await
            .unwrap_or_else(|_| panic!("envelope {id} not acknowledged within 3 s"))
    }
}

struct Harness {
    program: Arc<TestProgram>,
    fake: FakeSlack,
    socket: FakeSocket,
    client: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.client.abort();
    }
}

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 0, 0).unwrap()
}

async fn harness() -> Harness {
    harness_with(|_, _| {}).await
}

async fn harness_with(
    configure: impl FnOnce(&mut SocketSettings, &SlackApp<SqlStore, Arc<ManualClock>>),
) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let store = SqlStore::open(&url, 4).await.unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    let settings = Settings {
        office: vec![Account::new(Platform::Slack, "UOFFICE")],
        ..Settings::default()
    };
    let program = Arc::new(Program::new(store, clock, settings));
    let fake = FakeSlack::start().await;
    let (socket, ws_url) = FakeSocket::start().await;
    fake.with(|s| s.socket_url = Some(ws_url));
    let mut slack = SlackSettings::new(SIGNING_SECRET, TOKEN);
    slack.api_base = fake.base.clone();
    slack.bot_user_id = Some("UBOT".into());
    let app = SlackApp::new(program.clone(), slack);
    let mut socket_settings = SocketSettings::new(APP_TOKEN);
    socket_settings.min_backoff = Duration::from_millis(50);
    socket_settings.max_backoff = Duration::from_millis(400);
    configure(&mut socket_settings, &app);
    let client = tokio::spawn(socket::run(app, socket_settings));
    Harness {
        program,
        fake,
        socket,
        client,
        _dir: dir,
    }
}

impl Harness {
    fn command(&self, user: (&str, &str), channel: &str, command: &str, text: &str) -> Value {
        json!({
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": "T0001",
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user.0,
            "user_name": user.1,
            "command": command,
            "text": text,
            "api_app_id": "A123456",
            "is_enterprise_install": "false",
            "response_url": format!("{}/response/1", self.fake.origin),
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        })
    }

    fn event(&self, event_id: &str, event: Value) -> Value {
        json!({
            "token": "XXYYZZ",
            "team_id": "T0001",
            "api_app_id": "A123456",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": start_time().timestamp(),
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": true}],
        })
    }

    fn opens(&self) -> usize {
        self.fake.with(|s| {
            s.calls
                .iter()
                .filter(|m| *m == "apps.connections.open")
                .count()
        })
    }

    async fn kudos_count(&self) -> usize {
        self.program
            .store
            .kudos_between(
                start_time() - chrono::Duration::days(1),
                start_time() + chrono::Duration::days(1),
            )
            .await
            .unwrap()
            .len()
    }

    /// A `/kudos` on `connection`: acknowledged with the in-channel answer, and recorded.
    async fn kudos_on(&self, connection: &mut Connection, envelope_id: &str, text: &str) {
        let before = self.kudos_count().await;
        let command = self.command(("U1", "ada"), "C0GENERAL", "/kudos", text);
        let ack = connection
            .envelope(envelope_id, "slash_commands", command, 0)
            .await;
        assert_eq!(ack["payload"]["response_type"], "in_channel", "{ack}");
        let blocks = ack["payload"]["blocks"].to_string();
        assert!(blocks.contains("<@U2>"), "{ack}");
        assert_eq!(self.kudos_count().await, before + 1);
    }
}

#[tokio::test]
async fn a_slash_command_is_acknowledged_with_its_answer_and_recorded() {
    let handled = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = handled.clone();
    let mut h = harness_with(move |_, app| {
        app.on_handled(Arc::new(move |e: &ambassador_slack::DeliveryHandled| {
            seen.lock()
                .unwrap()
                .push((e.kind.clone(), e.command.clone(), e.status.clone()));
        }));
    })
    .await;
    let mut connection = h.socket.next().await;
    connection.hello().await;
    h.kudos_on(
        &mut connection,
        "1d2b3c4d-0001",
        "<@U2|bob> for the great workshop",
    )
    .await;
    let kudos = h
        .program
        .store
        .kudos_between(
            start_time() - chrono::Duration::days(1),
            start_time() + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(kudos[0].receivers[0].display_name, "bob");
    assert_eq!(kudos[0].room, "C0GENERAL");
    assert!(kudos[0].reason.contains("great workshop"));
    // The giver's private follow-up goes through the response URL, as over HTTP.
    h.fake
        .wait_for("the private follow-up", |s| s.responses.len() == 1)
        .await;
    assert_eq!(h.fake.responses()[0].1["response_type"], "ephemeral");
    // A payload the bot cannot read still gets an acknowledgement and a short answer.
    let ack = connection
        .envelope("1d2b3c4d-0002", "slash_commands", json!({"text": 3}), 0)
        .await;
    assert_eq!(ack["payload"]["response_type"], "ephemeral", "{ack}");
    // Where Slack takes no answer with the acknowledgement, the answer goes to the response URL.
    let command = h.command(
        ("U1", "ada"),
        "C0GENERAL",
        "/kudos",
        "<@U2|bob> for the meeting notes today",
    );
    connection
        .send(json!({
            "envelope_id": "1d2b3c4d-0003",
            "type": "slash_commands",
            "payload": command,
            "accepts_response_payload": false,
        }))
        .await;
    let ack = connection.ack("1d2b3c4d-0003").await;
    assert_eq!(ack, json!({"envelope_id": "1d2b3c4d-0003"}));
    h.fake
        .wait_for("the answer at the response URL", |s| {
            s.responses
                .iter()
                .any(|(_, r)| r["response_type"] == "in_channel")
        })
        .await;
    assert_eq!(h.kudos_count().await, 2);
    assert_eq!(h.opens(), 1);
    // Each envelope was reported (for the metrics).
    let handled = handled.lock().unwrap().clone();
    assert_eq!(handled.len(), 3, "{handled:?}");
    assert_eq!(
        handled[0],
        (
            "slash_commands".to_string(),
            Some("/kudos".to_string()),
            "ack".to_string()
        )
    );
}

#[tokio::test]
async fn a_direct_message_event_is_acknowledged_and_answered_once() {
    let mut h = harness().await;
    let mut connection = h.socket.next().await;
    connection.hello().await;
    let event = h.event(
        "Ev0SOCKET1",
        json!({"type": "message", "channel": "D1", "channel_type": "im", "user": "U9",
               "text": "hello", "ts": "1741082400.000100"}),
    );
    let ack = connection
        .envelope("ev-envelope-1", "events_api", event.clone(), 0)
        .await;
    assert_eq!(ack, json!({"envelope_id": "ev-envelope-1"}));
    h.fake.wait_for("the answer", |s| !s.posts.is_empty()).await;
    // Slack redelivers the same event in a new envelope: acknowledged, not answered again.
    let ack = connection
        .envelope("ev-envelope-2", "events_api", event, 1)
        .await;
    assert_eq!(ack, json!({"envelope_id": "ev-envelope-2"}));
    // Interactions are acknowledged too.
    let ack = connection
        .envelope(
            "ia-envelope-1",
            "interactive",
            json!({"type": "block_actions", "user": {"id": "U9"}, "actions": []}),
            0,
        )
        .await;
    assert_eq!(ack, json!({"envelope_id": "ia-envelope-1"}));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let posts = h.fake.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["channel"], "D1");
    assert!(
        posts[0]["text"]
            .as_str()
            .unwrap()
            .contains("/ambassadors help"),
        "{posts:?}"
    );
}

#[tokio::test]
async fn the_home_tab_is_published_over_socket_mode_once() {
    let mut h = harness().await;
    let mut connection = h.socket.next().await;
    connection.hello().await;
    let event = h.event(
        "Ev0SOCKETHOME",
        json!({"type": "app_home_opened", "user": "U9", "channel": "D1", "tab": "home",
               "event_ts": "1515449522000016", "view": {"id": "VPASKP233", "type": "home", "blocks": []}}),
    );
    let ack = connection
        .envelope("home-envelope-1", "events_api", event.clone(), 0)
        .await;
    assert_eq!(ack, json!({"envelope_id": "home-envelope-1"}));
    h.fake
        .wait_for("the Home tab", |s| !s.published.is_empty())
        .await;
    // Redelivered in a new envelope: acknowledged, not published again.
    let ack = connection
        .envelope("home-envelope-2", "events_api", event, 1)
        .await;
    assert_eq!(ack, json!({"envelope_id": "home-envelope-2"}));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let published = h.fake.published();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["user_id"], "U9");
    assert_eq!(published[0]["view"]["type"], "home");
    assert!(h.fake.posts().is_empty());
}

#[tokio::test]
async fn a_disconnect_opens_a_new_connection_that_handles_commands() {
    let mut h = harness().await;
    let mut first = h.socket.next().await;
    first.hello().await;
    h.kudos_on(&mut first, "env-1", "<@U2|bob> for the Friday workshop")
        .await;
    first
        .send(json!({
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "applink-test"},
        }))
        .await;
    // The bot closes the old connection and asks for a new URL.
    let mut second = h.socket.next().await;
    assert_eq!(h.opens(), 2);
    let closed = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match first.ws.next().await {
                Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the old connection was not closed");
    second.hello().await;
    h.kudos_on(&mut second, "env-2", "<@U2|bob> for the code review")
        .await;
    assert_eq!(h.kudos_count().await, 2);
}

#[tokio::test]
async fn a_dropped_connection_is_replaced() {
    let mut h = harness().await;
    let mut first = h.socket.next().await;
    first.hello().await;
    h.kudos_on(&mut first, "env-1", "<@U2|bob> for the Friday workshop")
        .await;
    // The TCP connection goes away without a disconnect message or a close frame.
    drop(first);
    let mut second = h.socket.next().await;
    assert_eq!(h.opens(), 2);
    second.hello().await;
    h.kudos_on(&mut second, "env-2", "<@U2|bob> for the code review")
        .await;
}

#[tokio::test]
async fn a_failing_connections_open_is_retried_with_backoff() {
    let mut h = harness().await;
    // Slack is unavailable for a while; the bot keeps asking, then connects.
    let url = h.fake.with(|s| s.socket_url.take());
    h.fake
        .wait_for("three attempts", |s| {
            s.calls
                .iter()
                .filter(|m| *m == "apps.connections.open")
                .count()
                >= 3
        })
        .await;
    h.fake.with(|s| s.socket_url = url);
    let mut connection = h.socket.next().await;
    connection.hello().await;
    h.kudos_on(&mut connection, "env-1", "<@U2|bob> for the patience today")
        .await;
}

#[tokio::test]
async fn a_silent_connection_is_replaced() {
    let mut h = harness_with(|s, _| {
        s.ping_every = Duration::from_secs(60);
        s.silence_limit = Duration::from_millis(300);
    })
    .await;
    let mut first = h.socket.next().await;
    first.hello().await;
    // The connection stays open but nothing more comes (a half-open TCP connection looks so).
    let mut second = h.socket.next().await;
    assert_eq!(h.opens(), 2);
    second.hello().await;
    h.kudos_on(&mut second, "env-1", "<@U2|bob> for the patience today")
        .await;
    drop(first);
}

#[tokio::test]
async fn a_modal_submitted_over_socket_mode_gets_its_field_errors_in_the_acknowledgement() {
    let mut h = harness().await;
    h.program
        .store
        .add_department(&ambassador_core::NewDepartment {
            name: "Finance".into(),
            region: "Americas".into(),
            headcount: Some(80),
        })
        .await
        .unwrap();
    let mut connection = h.socket.next().await;
    connection.hello().await;
    // `/ambassadors apply` opens the application modal: the acknowledgement carries no message.
    let command = h.command(("U3", "eve"), "C0GENERAL", "/ambassadors", "apply");
    let ack = connection
        .envelope("2e000000-0001", "slash_commands", command, 0)
        .await;
    assert_eq!(ack, json!({"envelope_id": "2e000000-0001"}));
    let opened = h.fake.views_opened();
    assert_eq!(opened.len(), 1);
    let view = opened[0]["view"].clone();
    let submission = |department: &str| {
        ambassador_slack::testing::view_submission(
            &view,
            ("U3", "eve"),
            &[
                ("a1", "To connect Finance with the platform teams."),
                ("a2", "I review pull requests to the shared ledger library."),
                ("a3", "Office hours."),
                ("department", department),
            ],
        )
    };
    let ack = connection
        .envelope("2e000000-0002", "interactive", submission("Fnance"), 0)
        .await;
    assert_eq!(ack["payload"]["response_action"], "errors", "{ack}");
    assert!(
        ack["payload"]["errors"]["department"]
            .as_str()
            .unwrap()
            .contains("Finance"),
        "{ack}"
    );
    let eve = h
        .program
        .store
        .find_person(&Account::new(Platform::Slack, "U3"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        h.program
            .store
            .pending_application(eve.id)
            .await
            .unwrap()
            .is_none(),
        "nothing saved while the form is wrong"
    );
    let ack = connection
        .envelope("2e000000-0003", "interactive", submission("Finance"), 0)
        .await;
    assert_eq!(ack, json!({"envelope_id": "2e000000-0003"}));
    let app = h
        .program
        .store
        .pending_application(eve.id)
        .await
        .unwrap()
        .expect("the application was sent");
    assert_eq!(app.status, ambassador_core::ApplicationStatus::Open);
    assert_eq!(app.department.unwrap().name, "Finance");
}
