//! The Slack Web API as the adapter uses it: `chat.postMessage`, `users.info`, `auth.test`, and
//! posts to a slash command's `response_url`; and the outbox's [`Messenger`] over it.

use crate::render::{SlackMessage, command_response, home_view, render};
use crate::verify::Secret;
use ambassador_core::{Destination, Messenger, Outgoing, Platform, SendError};
use serde_json::{Value, json};
use slack_morphism::blocks::{SlackBlock, SlackView};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Slack's Web API.
pub const DEFAULT_API_BASE: &str = "https://slack.com/api";

/// `ok:false` errors worth retrying (Slack's own outages).
const TRANSIENT_ERRORS: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
];

/// A user as `users.info` describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackUser {
    pub id: String,
    /// The display name, else the real name, else the user name.
    pub name: String,
    /// The IANA time zone (`tz`), when Slack knows it.
    pub time_zone: Option<String>,
    pub is_bot: bool,
}

impl SlackUser {
    /// A user object as `users.info` and the `user_change` event carry it.
    pub fn from_json(id: &str, u: &Value) -> SlackUser {
        let non_empty = |v: &Value| {
            v.as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        };
        SlackUser {
            id: id.to_string(),
            name: non_empty(&u["profile"]["display_name"])
                .or_else(|| non_empty(&u["profile"]["real_name"]))
                .or_else(|| non_empty(&u["real_name"]))
                .or_else(|| non_empty(&u["name"]))
                .unwrap_or_else(|| id.to_string()),
            time_zone: non_empty(&u["tz"]),
            is_bot: u["is_bot"].as_bool().unwrap_or(false),
        }
    }
}

/// How long `users.info` answers are reused.
const USER_CACHE_TTL: Duration = Duration::from_secs(60 * 60);
const USER_CACHE_MAX: usize = 10_000;

/// A Web API client with the bot token.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    base: String,
    token: Secret,
    users: Arc<Mutex<HashMap<String, (Instant, SlackUser)>>>,
}

impl std::fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl SlackClient {
    /// `base`: the Web API base URL (`https://slack.com/api`, or a local fake in tests).
    pub fn new(base: &str, token: Secret) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        SlackClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
            users: Arc::default(),
        }
    }

    /// Calls a Web API method with a JSON body; the `ok:true` answer, or why not.
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, SendError> {
        let url = format!("{}/{method}", self.base);
        let request = self
            .http
            .post(&url)
            .bearer_auth(self.token.expose())
            .json(body);
        self.answer(method, request).await
    }

    /// Calls a Web API method with form arguments (the read methods, such as
    /// `conversations.history`, take no JSON body).
    pub async fn call_form(&self, method: &str, args: &[(&str, &str)]) -> Result<Value, SendError> {
        let url = format!("{}/{method}", self.base);
        let body = serde_urlencoded::to_string(args)
            .map_err(|e| SendError::Permanent(format!("{method}: {e}")))?;
        let request = self
            .http
            .post(&url)
            .bearer_auth(self.token.expose())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        self.answer(method, request).await
    }

    async fn answer(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, SendError> {
        let response = request
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("{method}: {}", e.without_url())))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        if status.as_u16() == 429 {
            return Err(SendError::RateLimited(
                retry_after.unwrap_or(Duration::from_secs(1)),
            ));
        }
        if status.is_server_error() {
            return Err(SendError::Transient(format!("{method}: HTTP {status}")));
        }
        let value: Value = response
            .json()
            .await
            .map_err(|e| SendError::Transient(format!("{method}: unreadable answer: {e}")))?;
        if value["ok"].as_bool() == Some(true) {
            return Ok(value);
        }
        let error = value["error"]
            .as_str()
            .unwrap_or("unknown_error")
            .to_string();
        Err(if error == "ratelimited" || error == "rate_limited" {
            SendError::RateLimited(retry_after.unwrap_or(Duration::from_secs(1)))
        } else if TRANSIENT_ERRORS.contains(&error.as_str()) || status.is_server_error() {
            SendError::Transient(format!("{method}: {error}"))
        } else {
            SendError::Permanent(format!("{method}: {error}"))
        })
    }

    /// `chat.postMessage` to a channel id, or to a user id (Slack opens the direct conversation).
    pub async fn post_message(
        &self,
        channel: &str,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        let body = json!({
            "channel": channel,
            "text": message.text,
            "blocks": message.blocks,
            "unfurl_links": false,
            "unfurl_media": false,
        });
        self.call("chat.postMessage", &body).await.map(|_| ())
    }

    /// `chat.postMessage` as a reply in the thread of the message `thread_ts`.
    pub async fn post_in_thread(
        &self,
        channel: &str,
        thread_ts: &str,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        let body = json!({
            "channel": channel,
            "thread_ts": thread_ts,
            "text": message.text,
            "blocks": message.blocks,
            "unfurl_links": false,
            "unfurl_media": false,
        });
        self.call("chat.postMessage", &body).await.map(|_| ())
    }

    /// `chat.postEphemeral`: a message in a channel that only `user` sees.
    pub async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        let body = json!({
            "channel": channel,
            "user": user,
            "text": message.text,
            "blocks": message.blocks,
        });
        self.call("chat.postEphemeral", &body).await.map(|_| ())
    }

    /// `views.publish`: the Home tab of `user`, these blocks (see [`crate::render::render_view`]).
    pub async fn publish_home(&self, user: &str, blocks: Vec<SlackBlock>) -> Result<(), SendError> {
        let body = json!({
            "user_id": user,
            "view": home_view(blocks),
        });
        self.call("views.publish", &body).await.map(|_| ())
    }

    /// A message's text and the `ts` of the thread it is in (its own `ts` when it starts none):
    /// `conversations.history` with the message's `ts` as `latest`, inclusive; a thread reply is
    /// not in the channel's history, so `conversations.replies` is asked next. `None`: no message
    /// with that `ts` was found.
    pub async fn message(
        &self,
        channel: &str,
        ts: &str,
    ) -> Result<Option<(String, String)>, SendError> {
        let found = |answer: &Value| {
            answer["messages"].as_array().and_then(|messages| {
                messages.iter().find(|m| m["ts"] == ts).map(|m| {
                    (
                        m["text"].as_str().unwrap_or_default().to_string(),
                        m["thread_ts"].as_str().unwrap_or(ts).to_string(),
                    )
                })
            })
        };
        let history = self
            .call_form(
                "conversations.history",
                &[
                    ("channel", channel),
                    ("latest", ts),
                    ("inclusive", "true"),
                    ("limit", "1"),
                ],
            )
            .await?;
        if let Some(message) = found(&history) {
            return Ok(Some(message));
        }
        let replies = self
            .call_form(
                "conversations.replies",
                &[
                    ("channel", channel),
                    ("ts", ts),
                    ("latest", ts),
                    ("oldest", ts),
                    ("inclusive", "true"),
                    ("limit", "1"),
                ],
            )
            .await?;
        Ok(found(&replies))
    }

    /// `views.open`: shows a modal to the person whose click or command gave `trigger_id` (valid
    /// for 3 seconds).
    pub async fn open_view(&self, trigger_id: &str, view: &SlackView) -> Result<(), SendError> {
        self.call(
            "views.open",
            &json!({"trigger_id": trigger_id, "view": view}),
        )
        .await
        .map(|_| ())
    }

    /// Posts to a slash command's or a button's `response_url` (no token: the URL is the
    /// credential). The answer is a new message; a button's message stays as it was.
    pub async fn respond(
        &self,
        response_url: &str,
        response_type: &str,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        let body = serde_json::to_value(command_response(response_type, message))
            .map_err(|e| SendError::Permanent(format!("response_url: {e}")))?;
        self.respond_with(response_url, body).await
    }

    /// Posts an answer already written as Slack's JSON (`response_type`, `text`, `blocks`) to a
    /// `response_url`, as a new message.
    pub async fn respond_with(&self, response_url: &str, mut body: Value) -> Result<(), SendError> {
        body["replace_original"] = json!(false);
        let response = self
            .http
            .post(response_url)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("response_url: {}", e.without_url())))?;
        let status = response.status();
        if status.as_u16() == 429 {
            return Err(SendError::RateLimited(
                retry_after(response.headers()).unwrap_or(Duration::from_secs(1)),
            ));
        }
        if status.is_server_error() {
            return Err(SendError::Transient(format!("response_url: HTTP {status}")));
        }
        if !status.is_success() {
            return Err(SendError::Permanent(format!("response_url: HTTP {status}")));
        }
        Ok(())
    }

    /// `users.info`, cached for an hour.
    pub async fn user(&self, id: &str) -> Result<SlackUser, SendError> {
        if let Some((at, user)) = self.users.lock().unwrap_or_else(|e| e.into_inner()).get(id)
            && at.elapsed() < USER_CACHE_TTL
        {
            return Ok(user.clone());
        }
        let answer = self.call("users.info", &json!({ "user": id })).await?;
        let user = SlackUser::from_json(id, &answer["user"]);
        let mut cache = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= USER_CACHE_MAX {
            cache.retain(|_, (at, _)| at.elapsed() < USER_CACHE_TTL);
            if cache.len() >= USER_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(id.to_string(), (Instant::now(), user.clone()));
        Ok(user)
    }

    /// `auth.test`: the bot's own user id.
    pub async fn bot_user_id(&self) -> Result<String, SendError> {
        let answer = self.call("auth.test", &json!({})).await?;
        answer["user_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| SendError::Permanent("auth.test: no user_id".into()))
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The Slack side of the outbox: renders and posts through `chat.postMessage`. A message longer
/// than Slack allows goes out in parts; after a failure part-way, a retry of the same key resumes
/// after the last part sent, so nothing is posted twice by this process.
#[derive(Clone, Debug)]
pub struct SlackMessenger {
    pub client: SlackClient,
    progress: Arc<Mutex<HashMap<String, usize>>>,
}

impl SlackMessenger {
    pub fn new(client: SlackClient) -> Self {
        SlackMessenger {
            client,
            progress: Arc::default(),
        }
    }
}

/// Where a destination goes on Slack: a channel id or a user id.
pub fn channel_of(to: &Destination) -> Result<&str, SendError> {
    if to.platform() != Platform::Slack {
        return Err(SendError::Permanent(format!(
            "{to} is not a Slack destination"
        )));
    }
    Ok(match to {
        Destination::Direct(account) => &account.id,
        Destination::Room { id, .. } => id,
    })
}

impl Messenger for SlackMessenger {
    fn platform(&self) -> Platform {
        Platform::Slack
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let channel = channel_of(&message.to)?;
        let parts = render(&message.message);
        let done = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&message.key)
            .copied()
            .unwrap_or(0);
        for (i, part) in parts.iter().enumerate().skip(done) {
            if let Err(e) = self.client.post_message(channel, part).await {
                let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
                if i > 0 {
                    if progress.len() > 10_000 {
                        progress.clear();
                    }
                    progress.insert(message.key.clone(), i);
                }
                return Err(e);
            }
        }
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&message.key);
        Ok(())
    }
}
