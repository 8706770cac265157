//! A recording fake of the Slack Web API on loopback: checks the bearer token, the JSON bodies of
//! the write methods, the query or form arguments of the read methods, and Block Kit limits;
//! answers like Slack (its answer shapes from `ambassador_slack::testing`, `ok:false` errors, 429
//! with Retry-After), and keeps every message it accepted for the tests to assert on.
#![allow(dead_code)]

pub mod harness;
pub mod sign;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TOKEN: &str = "xoxb-test-token";
pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// The app-level token that opens Socket Mode connections.
pub const APP_TOKEN: &str = "xapp-1-A123456-test-app-token";

#[derive(Debug, Default)]
pub struct Recorded {
    /// Every Web API call by method name, accepted or not.
    pub calls: Vec<String>,
    /// Bodies of accepted `chat.postMessage` calls.
    pub posts: Vec<Value>,
    /// Bodies posted to response URLs, with the URL's id.
    pub responses: Vec<(String, Value)>,
    /// Answer the next n `chat.postMessage` calls with 429 + Retry-After.
    pub rate_limit_next: u32,
    /// Answer 429 once when this many messages have been accepted.
    pub rate_limit_at_post: Option<usize>,
    pub retry_after_secs: u64,
    /// Answer the next `chat.postMessage` with `ok:false` and this error.
    pub fail_next: Option<String>,
    /// Answer the next call with HTTP 503.
    pub unavailable_next: bool,
    /// `users.info` answers by id.
    pub users: HashMap<String, Value>,
    /// What `apps.connections.open` answers: the Socket Mode WebSocket URL.
    pub socket_url: Option<String>,
    /// Messages in channels, as (channel id, message) with `ts`, `user`, `text` and, for thread
    /// replies, `thread_ts`: what `conversations.history` and `conversations.replies` answer.
    pub messages: Vec<(String, Value)>,
    /// Bodies of accepted `chat.postEphemeral` calls.
    pub ephemerals: Vec<Value>,
    /// Bodies of accepted `views.open` calls (`trigger_id` and `view`).
    pub views_opened: Vec<Value>,
    /// Bodies of accepted `views.publish` calls (Home tabs).
    pub published: Vec<Value>,
    /// Complaints about what the adapter sent (should stay empty).
    pub violations: Vec<String>,
}

#[derive(Clone)]
pub struct FakeSlack {
    pub base: String,
    pub origin: String,
    pub state: Arc<Mutex<Recorded>>,
}

impl FakeSlack {
    pub async fn start() -> FakeSlack {
        let state = Arc::new(Mutex::new(Recorded {
            retry_after_secs: 1,
            ..Recorded::default()
        }));
        let app = Router::new()
            .route("/api/{method}", any(api))
            .route("/response/{id}", post(response_url))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeSlack {
            base: format!("http://{addr}/api"),
            origin: format!("http://{addr}"),
            state,
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Recorded) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub fn posts(&self) -> Vec<Value> {
        self.with(|s| {
            assert!(s.violations.is_empty(), "{:?}", s.violations);
            s.posts.clone()
        })
    }

    pub fn responses(&self) -> Vec<(String, Value)> {
        self.with(|s| s.responses.clone())
    }

    pub fn add_message(&self, channel: &str, message: Value) {
        self.with(|s| s.messages.push((channel.into(), message)));
    }

    pub fn ephemerals(&self) -> Vec<Value> {
        self.with(|s| s.ephemerals.clone())
    }

    pub fn views_opened(&self) -> Vec<Value> {
        self.with(|s| {
            assert!(s.violations.is_empty(), "{:?}", s.violations);
            s.views_opened.clone()
        })
    }

    /// The Home tabs published, checked like every message.
    pub fn published(&self) -> Vec<Value> {
        self.with(|s| {
            assert!(s.violations.is_empty(), "{:?}", s.violations);
            s.published.clone()
        })
    }

    pub fn add_user(&self, id: &str, display_name: &str, tz: &str) {
        self.with(|s| {
            s.users.insert(
                id.into(),
                ambassador_slack::testing::user(id, display_name, Some(tz)),
            )
        });
    }

    /// Waits until `check` holds (for work the adapter finishes after answering Slack).
    pub async fn wait_for(&self, what: &str, check: impl Fn(&Recorded) -> bool) {
        for _ in 0..200 {
            if self.with(|s| check(s)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "timed out waiting for {what}: {:?}",
            self.state.lock().unwrap()
        );
    }
}

/// Block Kit limits Slack enforces (`invalid_blocks` otherwise).
fn check_blocks(body: &Value) -> Result<(), String> {
    let Some(blocks) = body.get("blocks") else {
        return Ok(());
    };
    let blocks = blocks.as_array().ok_or("blocks is not an array")?;
    if blocks.len() > 50 {
        return Err(format!("{} blocks", blocks.len()));
    }
    // A block id, when given, names one block of the message.
    let mut block_ids = std::collections::HashSet::new();
    for b in blocks {
        if let Some(id) = b["block_id"].as_str()
            && (id.is_empty() || id.len() > 255 || !block_ids.insert(id))
        {
            return Err(format!("block_id {id:?}"));
        }
    }
    for b in blocks {
        let kind = b["type"].as_str().ok_or("block without type")?;
        if !["section", "header", "context", "divider", "actions"].contains(&kind) {
            return Err(format!("unexpected block type {kind}"));
        }
        if kind == "actions" {
            check_buttons(b)?;
        }
        if let Some(t) = b["text"]["text"].as_str() {
            let max = if kind == "header" { 150 } else { 3000 };
            if t.chars().count() > max || t.is_empty() {
                return Err(format!("{kind} text of {} characters", t.chars().count()));
            }
        }
        if let Some(f) = b["fields"].as_array()
            && (f.len() > 10
                || f.iter()
                    .any(|f| f["text"].as_str().unwrap_or("").chars().count() > 2000))
        {
            return Err("section fields over the limit".into());
        }
    }
    Ok(())
}

/// An actions block of buttons: at most 25, labels up to 75 characters, values up to 2,000,
/// `action_id`s unique in the block.
fn check_buttons(block: &Value) -> Result<(), String> {
    let elements = block["elements"]
        .as_array()
        .ok_or("actions without elements")?;
    if elements.is_empty() || elements.len() > 25 {
        return Err(format!("{} elements in an actions block", elements.len()));
    }
    let mut ids = std::collections::HashSet::new();
    for e in elements {
        if e["type"] != "button" {
            return Err(format!("unexpected element {}", e["type"]));
        }
        let label = e["text"]["text"].as_str().unwrap_or_default();
        if e["text"]["type"] != "plain_text" || label.is_empty() || label.chars().count() > 75 {
            return Err(format!("button label {label:?}"));
        }
        if e["value"]
            .as_str()
            .is_some_and(|v| v.chars().count() > 2000)
        {
            return Err("button value over 2,000 characters".into());
        }
        let id = e["action_id"].as_str().unwrap_or_default();
        if id.is_empty() || id.len() > 255 || !ids.insert(id.to_string()) {
            return Err(format!("button action_id {id:?}"));
        }
        if let Some(style) = e["style"].as_str()
            && !["primary", "danger"].contains(&style)
        {
            return Err(format!("button style {style}"));
        }
    }
    Ok(())
}

/// A modal as `views.open` takes it: a title of up to 24 characters, at most 100 blocks, inputs
/// with a `block_id`, a label and an element, `private_metadata` of up to 3,000 characters.
fn check_modal(view: &Value) -> Result<(), String> {
    if view["type"] != "modal" {
        return Err(format!("view type {}", view["type"]));
    }
    for key in ["title", "submit", "close"] {
        if let Some(t) = view[key]["text"].as_str()
            && (t.is_empty() || t.chars().count() > 24)
        {
            return Err(format!("modal {key} {t:?}"));
        }
    }
    if view["title"]["text"].as_str().is_none() {
        return Err("modal without title".into());
    }
    if view["private_metadata"]
        .as_str()
        .is_some_and(|m| m.chars().count() > 3000)
    {
        return Err("private_metadata over 3,000 characters".into());
    }
    let blocks = view["blocks"].as_array().ok_or("modal without blocks")?;
    if blocks.is_empty() || blocks.len() > 100 {
        return Err(format!("{} blocks in a modal", blocks.len()));
    }
    let mut inputs = 0;
    for b in blocks {
        if b["type"] == "input" {
            inputs += 1;
            if b["block_id"].as_str().is_none_or(str::is_empty)
                || b["label"]["text"].as_str().is_none_or(str::is_empty)
                || b["element"]["type"] != "plain_text_input"
                || b["element"]["max_length"]
                    .as_u64()
                    .is_some_and(|m| m > 3000)
            {
                return Err(format!("input block {b}"));
            }
        } else {
            check_blocks(&json!({"blocks": [b]}))?;
        }
    }
    if inputs > 0 && view["submit"]["text"].as_str().is_none() {
        return Err("a modal with inputs needs a submit label".into());
    }
    Ok(())
}

/// A Home tab view as `views.publish` takes it: `type: "home"`, at most 100 blocks, each within
/// the limits of message blocks.
fn check_home_view(view: &Value) -> Result<(), String> {
    if view["type"] != "home" {
        return Err(format!("view type {}", view["type"]));
    }
    let blocks = view["blocks"].as_array().ok_or("view without blocks")?;
    if blocks.is_empty() || blocks.len() > 100 {
        return Err(format!("{} blocks in a view", blocks.len()));
    }
    blocks
        .chunks(50)
        .try_for_each(|chunk| check_blocks(&json!({ "blocks": chunk })))
}

async fn api(
    State(state): State<Arc<Mutex<Recorded>>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut s = state.lock().unwrap();
    s.calls.push(method.clone());
    let answer = |method: &str, args: &Value, ts: &str| {
        axum::Json(ambassador_slack::testing::ok_answer(method, args, ts).unwrap()).into_response()
    };
    let ok_json = |v: Value| axum::Json(v).into_response();
    let err = |e: &str| axum::Json(json!({"ok": false, "error": e})).into_response();
    if method == "apps.connections.open" {
        // Only the app-level token opens Socket Mode connections.
        if headers.get("authorization").and_then(|v| v.to_str().ok())
            != Some(&format!("Bearer {APP_TOKEN}"))
        {
            return err("not_allowed_token_type");
        }
        return match &s.socket_url {
            Some(url) => ok_json(json!({"ok": true, "url": url})),
            None => err("internal_error"),
        };
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return err("invalid_auth");
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Slack's read methods take query or form arguments, not JSON.
    if method.starts_with("conversations.") || method == "users.info" || method == "auth.test" {
        let args = if body.is_empty() {
            query.unwrap_or_default()
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            body
        } else {
            s.violations
                .push(format!("{method}: arguments neither a query nor a form"));
            return err("invalid_arguments");
        };
        let args: HashMap<String, String> = serde_urlencoded::from_str(&args).unwrap_or_default();
        return match method.as_str() {
            "auth.test" => answer("auth.test", &json!({}), ""),
            "users.info" => match s.users.get(args.get("user").map_or("", String::as_str)) {
                Some(u) => ok_json(json!({"ok": true, "user": u})),
                None => err("user_not_found"),
            },
            _ => read_method(&mut s, &method, &args),
        };
    }
    if !content_type.starts_with("application/json") {
        s.violations.push(format!("{method}: not JSON"));
        return err("invalid_arguments");
    }
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        s.violations.push(format!("{method}: unreadable JSON"));
        return err("invalid_json");
    };
    if s.unavailable_next {
        s.unavailable_next = false;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match method.as_str() {
        "chat.postMessage" => {
            let at_post = s.rate_limit_at_post == Some(s.posts.len());
            if at_post || s.rate_limit_next > 0 {
                if at_post {
                    s.rate_limit_at_post = None;
                } else {
                    s.rate_limit_next -= 1;
                }
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", s.retry_after_secs.to_string())],
                    axum::Json(json!({"ok": false, "error": "ratelimited"})),
                )
                    .into_response();
            }
            if let Some(e) = s.fail_next.take() {
                return err(&e);
            }
            let channel = body["channel"].as_str().unwrap_or("");
            if channel.is_empty() {
                return err("channel_not_found");
            }
            if body["text"].as_str().is_none_or(str::is_empty) {
                s.violations
                    .push("chat.postMessage without fallback text".into());
            }
            if let Err(e) = check_blocks(&body) {
                s.violations.push(format!("chat.postMessage: {e}"));
                return err("invalid_blocks");
            }
            let ts = format!("1700000000.{:06}", s.posts.len());
            s.posts.push(body.clone());
            answer("chat.postMessage", &body, &ts)
        }
        "chat.postEphemeral" => {
            if body["channel"].as_str().is_none_or(str::is_empty)
                || body["user"].as_str().is_none_or(str::is_empty)
            {
                s.violations
                    .push("chat.postEphemeral without channel or user".into());
                return err("channel_not_found");
            }
            if let Err(e) = check_blocks(&body) {
                s.violations.push(format!("chat.postEphemeral: {e}"));
                return err("invalid_blocks");
            }
            s.ephemerals.push(body);
            answer("chat.postEphemeral", &json!({}), "1700000000.999999")
        }
        "views.publish" => {
            if body["user_id"].as_str().is_none_or(str::is_empty) {
                s.violations.push("views.publish without user_id".into());
                return err("invalid_arguments");
            }
            if let Err(e) = check_home_view(&body["view"]) {
                s.violations.push(format!("views.publish: {e}"));
                return err("invalid_arguments");
            }
            let ts = format!("1700000001.{:06}", s.published.len());
            s.published.push(body.clone());
            answer("views.publish", &body, &ts)
        }
        "views.open" => {
            if body["trigger_id"].as_str().is_none_or(str::is_empty) {
                s.violations.push("views.open without trigger_id".into());
                return err("invalid_trigger_id");
            }
            if let Err(e) = check_modal(&body["view"]) {
                s.violations.push(format!("views.open: {e}"));
                return err("invalid_arguments");
            }
            let ts = format!("1700000002.{:06}", s.views_opened.len());
            s.views_opened.push(body.clone());
            answer("views.open", &body, &ts)
        }
        _ => err("unknown_method"),
    }
}

/// `conversations.history` (`latest` inclusive, newest first, thread replies left out) and
/// `conversations.replies` (the message `ts` and its thread), as Slack answers them.
fn read_method(s: &mut Recorded, method: &str, args: &HashMap<String, String>) -> Response {
    let arg = |k: &str| args.get(k).map(String::as_str).unwrap_or_default();
    let channel = arg("channel");
    let ts_of = |m: &Value| m["ts"].as_str().unwrap_or_default().to_string();
    let in_channel = s
        .messages
        .iter()
        .filter(|(c, _)| c == channel)
        .map(|(_, m)| m.clone());
    let messages: Vec<Value> = match method {
        "conversations.history" => {
            if arg("inclusive") != "true" || arg("limit") != "1" || arg("latest").is_empty() {
                s.violations
                    .push(format!("conversations.history with {args:?}"));
            }
            let mut found: Vec<Value> = in_channel
                .filter(|m| m["thread_ts"].is_null() || m["thread_ts"] == m["ts"])
                .filter(|m| ts_of(m).as_str() <= arg("latest"))
                .collect();
            found.sort_by_key(|m| std::cmp::Reverse(ts_of(m)));
            found.truncate(1);
            found
        }
        "conversations.replies" => {
            let ts = arg("ts");
            let Some(target) = in_channel.clone().find(|m| ts_of(m) == ts) else {
                return axum::Json(json!({"ok": false, "error": "thread_not_found"}))
                    .into_response();
            };
            let thread = target["thread_ts"].as_str().unwrap_or(ts).to_string();
            let mut found: Vec<Value> = in_channel
                .filter(|m| ts_of(m) == thread || m["thread_ts"] == thread.as_str())
                .collect();
            found.sort_by_key(ts_of);
            found
        }
        _ => return axum::Json(json!({"ok": false, "error": "unknown_method"})).into_response(),
    };
    axum::Json(json!({"ok": true, "messages": messages, "has_more": false})).into_response()
}

async fn response_url(
    State(state): State<Arc<Mutex<Recorded>>>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let mut s = state.lock().unwrap();
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        s.violations.push("response_url: unreadable JSON".into());
        return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
    };
    if let Err(e) = check_blocks(&body) {
        s.violations.push(format!("response_url: {e}"));
        return (StatusCode::BAD_REQUEST, "invalid_blocks").into_response();
    }
    s.responses.push((id, body));
    "ok".into_response()
}
