//! `ambassador-bot run` as an operator runs it: Slack enabled against a local fake of the Web API,
//! or Matrix against a real Synapse, a free port, a temporary SQLite database; health, readiness,
//! commands, metrics, SIGTERM, restarts, and secrets that never reach the logs.
// matrix-sdk's futures are deep: the Matrix test users need a higher limit to prove them `Send`.
#![recursion_limit = "256"]

/// The Matrix adapter's harness: a real Synapse on loopback and test users.
#[path = "../crates/matrix/tests/support/mod.rs"]
mod matrix_support;
mod support;

use ambassador_slack::testing as slack_api;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::any;
use serde_json::{Value, json};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::running::*;
use support::{Sandbox, free_port};

/// Sends SIGTERM and expects `run` to exit 0 within 8 s; returns its stdout and stderr.
async fn terminate(child: &mut Child) -> (String, String) {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(8);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("run did not stop within 8 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (out, err) = support::output_of(child);
    assert!(
        status.success(),
        "exit {status}\nstdout:\n{out}\nstderr:\n{err}"
    );
    (out, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_slack_health_and_metrics_and_stops_on_sigterm() {
    let (api, calls) = fake_slack().await;
    let port = free_port();
    let sb = slack_sandbox(&api, port);
    with_a_closed_checkin_round(&sb);
    // Occurrences due while the test runs (a prompt on a Monday) would queue messages: skip them.
    let sb = sb.with_env("AMBASSADOR_BOT__SCHEDULER__GRACE", "1s");
    let mut running = Running(Some(sb.spawn(&["run", "--log-format", "json"])));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // Ready once the database answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            break;
        }
        if let Some(status) = running.0.as_mut().unwrap().try_wait().unwrap() {
            let (out, err) = support::output_of(running.0.as_mut().unwrap());
            panic!("run exited early with {status}\nstdout:\n{out}\nstderr:\n{err}");
        }
        assert!(Instant::now() < deadline, "/readyz never answered 200");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    assert!(
        calls.lock().unwrap().iter().any(|m| m == "auth.test"),
        "the bot asks Slack for its user id"
    );

    // A signed slash command is answered in the channel.
    let body = support::slash_form(
        "U1",
        "/kudos",
        "<@U2|bob> for the great workshop",
        &format!("{api}/response"),
    );
    let answer = support::post_signed(
        &format!("{base}/slack/commands"),
        SIGNING_SECRET,
        body.clone(),
    )
    .await;
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["response_type"], "in_channel", "{answer}");
    assert!(answer.to_string().contains("great workshop"), "{answer}");

    // A wrong signature is refused.
    let refused = http
        .post(format!("{base}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "x-slack-request-timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("x-slack-signature", "v0=00")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // Metrics in the Prometheus text format.
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    for series in [
        "ambassador_commands_handled_total{platform=\"slack\",command=\"/kudos\",status=\"200\"} 1",
        "ambassador_commands_handled_total{platform=\"slack\",command=\"/kudos\",status=\"401\"} 1",
        "ambassador_command_duration_seconds_count{platform=\"slack\"} 2",
        "# TYPE ambassador_outbox_sends_total counter",
        "# TYPE ambassador_scheduler_runs_total counter",
        "ambassador_outbox_pending 0",
        "ambassador_outbox_oldest_pending_age_seconds 0",
        "ambassador_coverage_ratio 0.75",
        "# TYPE ambassador_commands_handled_total counter",
        "# TYPE ambassador_command_duration_seconds histogram",
        "ambassador_command_duration_seconds_bucket{platform=\"slack\",le=\"+Inf\"} 2",
        "# TYPE ambassador_checkin_response_ratio gauge",
        "ambassador_checkin_answered 1",
        "ambassador_checkin_expected 6",
        "ambassador_checkin_response_ratio 0.1666",
    ] {
        assert!(text.contains(series), "/metrics lacks {series:?}:\n{text}");
    }

    // SIGTERM: exits 0 within a few seconds.
    let mut child = running.0.take().unwrap();
    let (out, err) = terminate(&mut child).await;

    // JSON logs, and never a secret in them.
    assert!(err.contains("shutting down"), "{err}");
    for line in err.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not a JSON log line: {line}"
        );
    }
    for secret in [TOKEN, SIGNING_SECRET] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "a secret reached the output:\nstdout:\n{out}\nstderr:\n{err}"
        );
    }
}

#[test]
fn run_without_a_platform_says_what_to_set() {
    let sb = Sandbox::new();
    let out = sb.run(&["run"], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in ["slack.enabled", "matrix.enabled", "console"] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
}

#[test]
fn run_refuses_a_slack_configuration_without_secrets() {
    let sb = Sandbox::new().with_env("AMBASSADOR_BOT__SLACK__ENABLED", "true");
    let out = sb.run(&["run"], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("slack.bot_token"), "{err}");
    assert!(err.contains("check-config"), "{err}");
}

const APP_TOKEN: &str = "xapp-1-A1-run-test-app-token-5e8b";

/// `run` with `slack.mode = "socket"`: no Slack endpoints on the HTTP server; the bot opens a
/// Socket Mode connection with the app token (to a local WebSocket fake), answers a `/kudos`
/// envelope in its acknowledgement, and never logs the app token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_in_socket_mode_connects_to_slack_instead_of_serving_it() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as Frame;

    let ws = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_url = format!("ws://{}/link", ws.local_addr().unwrap());
    // The Web API: apps.connections.open only with the app token; the rest ok:true.
    let opened = Calls::default();
    let api = {
        async fn api(
            State((opened, url)): State<(Calls, String)>,
            Path(method): Path<String>,
            RawQuery(query): RawQuery,
            headers: axum::http::HeaderMap,
            body: String,
        ) -> axum::Json<Value> {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            axum::Json(match method.as_str() {
                "apps.connections.open" if auth == format!("Bearer {APP_TOKEN}") => {
                    opened.lock().unwrap().push(method);
                    json!({"ok": true, "url": url})
                }
                "apps.connections.open" => json!({"ok": false, "error": "not_allowed_token_type"}),
                _ => slack_api::answer(&method, &slack_api::args(query.as_deref(), &body)),
            })
        }
        let app = Router::new()
            .route("/api/{method}", any(api))
            .with_state((opened.clone(), ws_url));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/api")
    };
    let port = free_port();
    let sb = Sandbox::new();
    sb.file(
        "bot-config.toml",
        &format!(
            "[database]\nurl = \"sqlite://bot.db\"\n\n[slack]\nenabled = true\nmode = \"socket\"\napi_base_url = \"{api}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    );
    // No signing secret: Socket Mode does without.
    let sb = sb
        .with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", TOKEN)
        .with_env("AMBASSADOR_BOT__SLACK__APP_TOKEN", APP_TOKEN);
    let mut running = Running(Some(sb.spawn(&["run", "--log-format", "json"])));

    // The bot connects; hello, then a slash command envelope.
    let accepted = tokio::time::timeout(Duration::from_secs(30), ws.accept()).await;
    let Ok(Ok((tcp, _))) = accepted else {
        let child = running.0.as_mut().unwrap();
        let _ = child.kill();
        let (out, err) = support::output_of(child);
        panic!("no Socket Mode connection within 30 s\nstdout:\n{out}\nstderr:\n{err}");
    };
    let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
    assert_eq!(opened.lock().unwrap().len(), 1);
    socket
        .send(Frame::text(
            json!({"type": "hello", "num_connections": 1}).to_string(),
        ))
        .await
        .unwrap();
    let command = json!({
        "team_id": "T0001", "channel_id": "C0GENERAL", "channel_name": "general",
        "user_id": "U1", "user_name": "ada", "command": "/kudos",
        "text": "<@U2|bob> for the great workshop",
        "response_url": format!("{api}/response"), "trigger_id": "1.2.3", "api_app_id": "A1",
    });
    socket
        .send(Frame::text(
            json!({"envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf", "type": "slash_commands",
                   "payload": command, "accepts_response_payload": true})
            .to_string(),
        ))
        .await
        .unwrap();
    let ack = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match socket.next().await {
                Some(Ok(Frame::Text(t))) => {
                    return serde_json::from_str::<Value>(t.as_str()).unwrap();
                }
                Some(Ok(_)) => continue,
                other => panic!("the bot closed the connection: {other:?}"),
            }
        }
    })
    .await
    .expect("no acknowledgement within 3 s");
    assert_eq!(ack["envelope_id"], "57d6a792-4d35-4d0b-b6aa-3361493e1caf");
    assert_eq!(ack["payload"]["response_type"], "in_channel", "{ack}");
    assert!(
        ack["payload"]["text"].as_str().unwrap().contains("<@U2>"),
        "{ack}"
    );

    // The Slack endpoints are not served in Socket Mode; health is.
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let commands = http
        .post(format!("{base}/slack/commands"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(commands.status(), 404);
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The envelope is counted like a request.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "ambassador_commands_handled_total{platform=\"slack\",command=\"/kudos\",status=\"ack\"} 1"
        ),
        "{metrics}"
    );

    let mut child = running.0.take().unwrap();
    let (out, err) = terminate(&mut child).await;
    assert!(err.contains("Socket Mode"), "{err}");
    for secret in [TOKEN, APP_TOKEN] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "a secret reached the output:\nstdout:\n{out}\nstderr:\n{err}"
        );
    }
}

/// The README's Matrix setup, followed: a bot account registered on Synapse, `matrix.enabled`,
/// the homeserver, the user and (from the environment) the password; then `run`. Invited to a
/// room, the bot joins and answers; restarted, it signs in with its saved session and answers
/// new commands once, never the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_matrix_against_synapse_and_a_restart_answers_nothing_twice() {
    use matrix_sdk::ruma::UserId;
    use matrix_support::user::User;
    let synapse = matrix_support::synapse::synapse();
    let bot = synapse.register("ambassador-bot", "Ambassador Bot").await;
    let office = synapse.register("ispo", "Program Office").await;
    let port = free_port();
    let sb = Sandbox::new();
    sb.file(
        "bot-config.toml",
        &format!(
            "[database]\nurl = \"sqlite://bot.db\"\n\n[program]\noffice = [\"matrix:{}\"]\n\n[matrix]\nenabled = true\nhomeserver = \"{}\"\nuser = \"{}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
            office.user_id, synapse.url, bot.user_id
        ),
    );
    let sb = sb
        .with_env("AMBASSADOR_BOT__MATRIX__PASSWORD", &bot.password)
        .with_env("AMBASSADOR_BOT__SCHEDULER__GRACE", "1s");
    let base = format!("http://127.0.0.1:{port}");
    let mut running = Running(Some(sb.spawn(&["run"])));
    wait_ready(&mut running, &base, Duration::from_secs(60)).await;

    let ispo = User::login(synapse, &office).await;
    let bot_id = UserId::parse(bot.user_id.as_str()).unwrap();
    let room = ispo
        .create_room("Ambassador program", false, &[&bot_id])
        .await;
    ispo.wait_joined(room.room_id(), &bot_id).await;
    ispo.say(&room, "!ambassadors dept add Finance EMEA 80")
        .await;
    let from_bot = |needle: &'static str| {
        let bot_id = bot_id.clone();
        move |r: &matrix_support::user::Received| {
            r.event.sender == bot_id && r.body().contains(needle)
        }
    };
    ispo.wait_for("the department added", from_bot("Finance"))
        .await;
    ispo.say(&room, "!ambassadors coverage").await;
    let coverage = ispo
        .wait_for(
            "the coverage report",
            from_bot("Coverage — whole organization"),
        )
        .await;
    assert!(coverage.body().contains("0 of 1"), "{}", coverage.body());
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ambassador_commands_handled_total{platform=\"matrix\""),
        "{metrics}"
    );
    let (out, err) = terminate(running.0.as_mut().unwrap()).await;
    running.0 = None;
    assert!(
        !out.contains(&bot.password) && !err.contains(&bot.password),
        "the password reached the logs"
    );

    // Restarted: the saved session and the database carry on; the earlier commands stay answered.
    let mut running = Running(Some(sb.spawn(&["run"])));
    wait_ready(&mut running, &base, Duration::from_secs(60)).await;
    // Each answer for the office alone goes to its direct room, with a pointer in the room.
    let answered = ispo.count_after(Duration::ZERO, from_bot("")).await;
    ispo.say(&room, "!ambassadors who Finance").await;
    let deadline = Instant::now() + Duration::from_secs(40);
    while ispo
        .count_after(Duration::from_millis(100), from_bot(""))
        .await
        < answered + 2
    {
        assert!(Instant::now() < deadline, "no answer after the restart");
    }
    let after = ispo.count_after(Duration::from_secs(3), from_bot("")).await;
    let bodies: Vec<String> = ispo
        .received()
        .iter()
        .filter(|r| from_bot("")(r))
        .map(|r| format!("{} {}", r.room_id, r.body()))
        .collect();
    assert_eq!(
        after,
        answered + 2,
        "the new command answered once, the history never: {bodies:#?}"
    );
    assert!(
        bodies[answered..]
            .iter()
            .any(|b| b.contains("Finance (EMEA) has no active ambassador"))
            && bodies[answered..]
                .iter()
                .any(|b| b.contains("I answered you in our direct room")),
        "{bodies:#?}"
    );
    terminate(running.0.as_mut().unwrap()).await;
    running.0 = None;
}

/// What the recording fake of Slack's Web API saw: each call's method and JSON body.
type Recorded = Arc<Mutex<Vec<(String, Value)>>>;

/// A fake of Slack's Web API that records every call with its body, knows each user's name, and
/// answers the first `chat.postMessage` to `limited` with 429 and `Retry-After: 1`, as Slack
/// does under load.
async fn recording_slack(limited: &'static str) -> (String, Recorded) {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    #[derive(Clone)]
    struct Fake {
        calls: Recorded,
        limited: &'static str,
        refused: Arc<Mutex<bool>>,
    }
    async fn api(
        State(fake): State<Fake>,
        Path(method): Path<String>,
        RawQuery(query): RawQuery,
        _headers: HeaderMap,
        body: String,
    ) -> Response {
        let body = slack_api::args(query.as_deref(), &body);
        if method == "chat.postMessage" && body["channel"] == fake.limited {
            let mut refused = fake.refused.lock().unwrap();
            if !*refused {
                *refused = true;
                fake.calls
                    .lock()
                    .unwrap()
                    .push(("429 chat.postMessage".into(), body));
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    axum::Json(json!({"ok": false, "error": "ratelimited"})),
                )
                    .into_response();
            }
        }
        fake.calls
            .lock()
            .unwrap()
            .push((method.clone(), body.clone()));
        axum::Json(slack_api::answer(&method, &body)).into_response()
    }
    let fake = Fake {
        calls: Recorded::default(),
        limited,
        refused: Arc::default(),
    };
    let calls = fake.calls.clone();
    let app = Router::new()
        .route("/api/{method}", any(api))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/api"), calls)
}

/// Posts a signed slash command from `user`; returns the acknowledgement's JSON (or null).
async fn slash(base: &str, api: &str, user: &str, command: &str, text: &str) -> Value {
    let body = support::slash_form(user, command, text, &format!("{api}/response"));
    post_signed_form(base, "/slack/commands", body)
        .await
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// Posts a form body to `path`, signed now as Slack signs it; expects 200.
async fn post_signed_form(base: &str, path: &str, body: String) -> reqwest::Response {
    let answer = support::post_signed(&format!("{base}{path}"), SIGNING_SECRET, body).await;
    assert_eq!(answer.status(), 200);
    answer
}

/// Submits the modal last opened through the fake (`views.open`) as `user`, with `values` by field.
async fn submit_form(base: &str, calls: &Recorded, user: &str, values: &[(&str, &str)]) {
    let view = calls
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(m, _)| m == "views.open")
        .map(|(_, b)| b["view"].clone())
        .expect("a modal was opened");
    let payload = slack_api::view_submission(&view, (user, user), values).to_string();
    let body = serde_urlencoded::to_string([("payload", payload)]).unwrap();
    let text = post_signed_form(base, "/slack/interactivity", body)
        .await
        .text()
        .await
        .unwrap();
    assert!(!text.contains("errors"), "the form was refused: {text}");
}

/// One `run` with Slack (the recording fake) and Matrix (Synapse): an application written on
/// Slack reaches every office member on their own platform through the outbox, exactly once:
/// three on Matrix, where Synapse holds the bot to one message a second (so the second and third
/// notices are refused with `M_LIMIT_EXCEEDED` first), and one on Slack, whose first send is
/// answered 429. None is dropped, none doubled. (The applicant uses the form `/ambassadors apply`
/// opens on Slack.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_on_slack_reaches_the_office_on_matrix_and_slack_once_through_rate_limits() {
    use matrix_sdk::ruma::UserId;
    use matrix_support::user::User;
    let synapse = matrix_support::synapse::synapse();
    let bot = synapse.register("xp-bot", "Ambassador Bot").await;
    let admin = synapse.register_admin("xp-admin").await;
    let mut office = Vec::new();
    for name in ["xp-ispo1", "xp-ispo2", "xp-ispo3"] {
        office.push(synapse.register(name, "Program Office").await);
    }
    let (api, slack_calls) = recording_slack("UOFFICE").await;
    let port = free_port();
    let sb = Sandbox::new();
    let office_list: Vec<String> = office
        .iter()
        .map(|o| format!("\"matrix:{}\"", o.user_id))
        .chain(["\"slack:UOFFICE\"".to_string()])
        .collect();
    sb.file(
        "bot-config.toml",
        &format!(
            "[database]\nurl = \"sqlite://bot.db\"\n\n[program]\noffice = [{}]\n\n[slack]\nenabled = true\napi_base_url = \"{api}\"\n\n[matrix]\nenabled = true\nhomeserver = \"{}\"\nuser = \"{}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
            office_list.join(", "),
            synapse.url,
            bot.user_id
        ),
    );
    let sb = sb
        .with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", TOKEN)
        .with_env("AMBASSADOR_BOT__SLACK__SIGNING_SECRET", SIGNING_SECRET)
        .with_env("AMBASSADOR_BOT__MATRIX__PASSWORD", &bot.password)
        .with_env("AMBASSADOR_BOT__SCHEDULER__GRACE", "1s");
    let base = format!("http://127.0.0.1:{port}");
    let mut running = Running(Some(sb.spawn(&["run"])));
    wait_ready(&mut running, &base, Duration::from_secs(60)).await;
    let mut members = Vec::new();
    for o in &office {
        members.push(User::login(synapse, o).await);
    }
    // From here on Synapse lets the bot send one message a second, with no burst beyond it.
    synapse.limit_messages(&admin, &bot.user_id, 1, 1).await;

    // The office (on Slack) sets up the org map; an applicant on Slack applies in the direct
    // conversation, question by question.
    let added = slash(
        &base,
        &api,
        "UOFFICE",
        "/ambassadors",
        "dept add Finance EMEA 80",
    )
    .await;
    assert!(added.to_string().contains("Finance"), "{added}");
    slash(&base, &api, "UAPPLICANT", "/ambassadors", "apply").await;
    submit_form(
        &base,
        &slack_calls,
        "UAPPLICANT",
        &[
            ("a1", "I want to help my department share code."),
            (
                "a2",
                "I maintain two internal libraries used by other teams.",
            ),
            ("a3", "Run office hours for Finance every month."),
            ("department", "Finance"),
        ],
    )
    .await;

    // Every office member on Matrix gets the notice in their direct room with the bot, once.
    let bot_id = UserId::parse(bot.user_id.as_str()).unwrap();
    for member in &members {
        let id = bot_id.clone();
        let invited = member
            .wait_for("the office's notice of the application", move |r| {
                r.event.sender == id && r.body().contains("New ambassador application")
            })
            .await;
        assert!(
            invited.body().contains("Finance (EMEA)"),
            "{}",
            invited.body()
        );
    }
    // And the one on Slack, after the 429.
    let deadline = Instant::now() + Duration::from_secs(30);
    let slack_notices = || {
        slack_calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, b)| {
                m == "chat.postMessage"
                    && b["channel"] == "UOFFICE"
                    && b.to_string().contains("New ambassador application")
            })
            .count()
    };
    while slack_notices() == 0 {
        assert!(
            Instant::now() < deadline,
            "the Slack office member never got the notice"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing more arrives: each exactly once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for member in &members {
        let id = bot_id.clone();
        let notices = member
            .count_after(Duration::ZERO, move |r| {
                r.event.sender == id && r.body().contains("New ambassador application")
            })
            .await;
        assert_eq!(notices, 1, "each office member on Matrix is told once");
    }
    assert_eq!(slack_notices(), 1, "the Slack office member is told once");
    assert!(
        slack_calls
            .lock()
            .unwrap()
            .iter()
            .any(|(m, b)| m == "429 chat.postMessage"
                && b.to_string().contains("New ambassador application")),
        "the first send to Slack was refused with 429"
    );
    // Both platforms really answered "slow down", and both senders waited it out.
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for platform in ["matrix", "slack"] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("ambassador_outbox_sends_total")
                    && l.contains(&format!("platform=\"{platform}\""))
                    && l.contains("result=\"rate_limited\"")
                    && !l.ends_with(" 0")),
            "{platform} was rate limited at least once:\n{metrics}"
        );
    }
    // The applicant heard back in their direct conversation on Slack; nothing went elsewhere.
    let calls = slack_calls.lock().unwrap().clone();
    assert!(
        calls.iter().any(|(m, b)| m == "chat.postMessage"
            && b["channel"] == "UAPPLICANT"
            && b.to_string().contains("Application sent")),
        "{calls:#?}"
    );
    drop(calls);
    terminate(running.0.as_mut().unwrap()).await;
    running.0 = None;
}
