//! The Slack Web API as the adapter uses it, through slack-morphism's client: `chat.postMessage`,
//! `chat.postEphemeral`, `conversations.history` and `.replies`, `users.info`, `views.open`,
//! `views.publish`, `auth.test`, `apps.connections.open`; posts to a slash command's
//! `response_url` (a plain HTTP post, see [`SlackClient::respond`]); and the outbox's [`Messenger`]
//! over it.

use crate::render::{SlackMessage, command_response, home_view, render};
use crate::verify::Secret;
use ambassador_core::{Destination, Messenger, Outgoing, Platform, SendError};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use slack_morphism::blocks::{SlackBlock, SlackView};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::{
    SlackApiAppsConnectionOpenRequest, SlackApiChatPostEphemeralRequest,
    SlackApiChatPostMessageRequest, SlackApiConversationsHistoryRequest,
    SlackApiConversationsRepliesRequest, SlackApiRateControlConfig, SlackApiUsersInfoRequest,
    SlackApiViewsOpenRequest, SlackApiViewsPublishRequest, SlackClientHyperConnector,
};
use slack_morphism::{
    ClientResult, SlackApiToken, SlackApiTokenValue, SlackChannelId, SlackHistoryMessage,
    SlackMessageContent, SlackTeamId, SlackTriggerId, SlackTs, SlackUserId,
};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
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

/// How long one Web API call may take (slack-morphism's client sets no deadline of its own).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The parts of slack-morphism's user the bot uses.
    pub fn from_slack(u: &slack_morphism::SlackUser) -> SlackUser {
        let id = u.id.0.as_str();
        let non_empty = |v: Option<&String>| v.filter(|s| !s.trim().is_empty()).cloned();
        let profile = u.profile.as_ref();
        SlackUser {
            id: id.to_string(),
            name: non_empty(profile.and_then(|p| p.display_name.as_ref()))
                .or_else(|| non_empty(profile.and_then(|p| p.real_name.as_ref())))
                .or_else(|| non_empty(u.real_name.as_ref()))
                .or_else(|| non_empty(u.name.as_ref()))
                .unwrap_or_else(|| id.to_string()),
            time_zone: non_empty(u.tz.as_ref()),
            is_bot: u.flags.is_bot.unwrap_or(false),
        }
    }
}

/// How long `users.info` answers are reused.
const USER_CACHE_TTL: Duration = Duration::from_secs(60 * 60);
const USER_CACHE_MAX: usize = 10_000;

type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;

/// A Web API client with the bot token: slack-morphism's hyper client pointed at the base URL.
#[derive(Clone)]
pub struct SlackClient {
    api: Arc<slack_morphism::SlackClient<Connector>>,
    /// For `response_url` posts only (see [`SlackClient::respond`]).
    http: reqwest::Client,
    base: String,
    token: SlackApiToken,
    /// The workspace, once `auth.test` has named it: rate control counts per workspace.
    team: Arc<OnceLock<SlackTeamId>>,
    users: Arc<Mutex<HashMap<String, (Instant, SlackUser)>>>,
}

impl std::fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// What a write reports when Slack accepted it: a `ProtocolError` after an HTTP 200 with no
/// `error` means slack-morphism could not read the rest of an answer that said `ok` (its models
/// are strict); the message is there, and sending it again would post it twice.
fn accepted<T>(method: &str, result: ClientResult<T>) -> ClientResult<()> {
    match result {
        Ok(_) => Ok(()),
        Err(SlackClientError::ProtocolError(e)) => {
            tracing::warn!(method, error = %e, "Slack accepted the call; its answer did not read");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Awaits one call of slack-morphism's client within [`CALL_TIMEOUT`].
async fn within<T>(
    method: &str,
    call: impl Future<Output = ClientResult<T>>,
) -> Result<T, SendError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(result) => result.map_err(|e| send_error(method, e)),
        Err(_) => Err(SendError::Transient(format!(
            "{method}: no answer within {CALL_TIMEOUT:?}"
        ))),
    }
}

/// A slack-morphism error as the outbox reads it: wait (rate limited), retry later (Slack or the
/// network is down), or give up (the call itself is wrong).
fn send_error(method: &str, e: SlackClientError) -> SendError {
    match e {
        SlackClientError::RateLimitError(e) => {
            SendError::RateLimited(e.retry_after.unwrap_or(Duration::from_secs(1)))
        }
        SlackClientError::ApiError(e) if e.code == "ratelimited" || e.code == "rate_limited" => {
            SendError::RateLimited(Duration::from_secs(1))
        }
        SlackClientError::ApiError(e) if TRANSIENT_ERRORS.contains(&e.code.as_str()) => {
            SendError::Transient(format!("{method}: {}", e.code))
        }
        SlackClientError::ApiError(e) => SendError::Permanent(format!("{method}: {}", e.code)),
        SlackClientError::HttpError(e) if e.status_code.is_server_error() => {
            SendError::Transient(format!("{method}: HTTP {}", e.status_code))
        }
        SlackClientError::HttpError(e) => {
            SendError::Permanent(format!("{method}: HTTP {}", e.status_code))
        }
        SlackClientError::ProtocolError(e) => {
            SendError::Permanent(format!("{method}: unreadable answer: {}", e.json_error))
        }
        SlackClientError::HttpProtocolError(_)
        | SlackClientError::EndOfStream(_)
        | SlackClientError::SystemError(_)
        | SlackClientError::SocketModeProtocolError(_) => {
            SendError::Transient(format!("{method}: no answer from Slack"))
        }
    }
}

/// HTTPS with the web PKI's roots and ring (the provider the Socket Mode connection uses too);
/// plain http too, for a fake Web API on loopback. HTTP/2 when the server offers it.
fn https_connector() -> HttpsConnector<HttpConnector> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // ring offers every default protocol version, so this cannot fail.
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports TLS 1.2 and 1.3")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config);
    builder
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build()
}

impl SlackClient {
    /// `base`: the Web API base URL (`https://slack.com/api`, or a local fake in tests: plain
    /// http is allowed for it). No rate control: see [`SlackClient::rate_controlled`].
    pub fn new(base: &str, token: Secret) -> Self {
        Self::build(base, token, None)
    }

    /// With slack-morphism's rate control on: calls wait their turn within Slack's published
    /// tiers (counted per workspace once `auth.test` named it) and `chat.postMessage` within its
    /// special limit, one a second. A 429 is not retried in here: it reaches the outbox as
    /// "rate limited", which waits out its `Retry-After`.
    pub fn rate_controlled(base: &str, token: Secret) -> Self {
        Self::build(base, token, Some(SlackApiRateControlConfig::new()))
    }

    fn build(base: &str, token: Secret, rate_control: Option<SlackApiRateControlConfig>) -> Self {
        let base = base.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .unwrap_or_default();
        let connector =
            SlackClientHyperConnector::with_connector(https_connector()).with_slack_api_url(&base);
        let connector = match rate_control {
            Some(config) => connector.with_rate_control(config),
            None => connector,
        };
        SlackClient {
            api: Arc::new(slack_morphism::SlackClient::new(connector)),
            http,
            base,
            token: SlackApiToken::new(SlackApiTokenValue(token.expose().to_string())),
            team: Arc::default(),
            users: Arc::default(),
        }
    }

    /// The token, with the workspace once known.
    fn token(&self) -> SlackApiToken {
        match self.team.get() {
            Some(team) => self.token.clone().with_team_id(team.clone()),
            None => self.token.clone(),
        }
    }

    fn content(message: &SlackMessage) -> SlackMessageContent {
        SlackMessageContent::new()
            .with_text(message.text.clone())
            .with_blocks(message.blocks.clone())
    }

    /// `chat.postMessage` to a channel id, or to a user id (Slack opens the direct conversation).
    pub async fn post_message(
        &self,
        channel: &str,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        self.post(channel, None, message).await
    }

    /// `chat.postMessage` as a reply in the thread of the message `thread_ts`.
    pub async fn post_in_thread(
        &self,
        channel: &str,
        thread_ts: &str,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        self.post(channel, Some(thread_ts), message).await
    }

    async fn post(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        let request = SlackApiChatPostMessageRequest::new(
            SlackChannelId(channel.to_string()),
            Self::content(message),
        )
        .opt_thread_ts(thread_ts.map(|t| SlackTs(t.to_string())))
        .with_unfurl_links(false)
        .with_unfurl_media(false);
        let token = self.token();
        let s = self.api.open_session(&token);
        within("chat.postMessage", async {
            accepted("chat.postMessage", s.chat_post_message(&request).await)
        })
        .await
    }

    /// `chat.postEphemeral`: a message in a channel that only `user` sees.
    pub async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        message: &SlackMessage,
    ) -> Result<(), SendError> {
        let request = SlackApiChatPostEphemeralRequest::new(
            SlackChannelId(channel.to_string()),
            SlackUserId(user.to_string()),
            Self::content(message),
        );
        let token = self.token();
        let s = self.api.open_session(&token);
        within("chat.postEphemeral", async {
            accepted("chat.postEphemeral", s.chat_post_ephemeral(&request).await)
        })
        .await
    }

    /// `views.publish`: the Home tab of `user`, these blocks (see [`crate::render::render_view`]).
    pub async fn publish_home(&self, user: &str, blocks: Vec<SlackBlock>) -> Result<(), SendError> {
        let request =
            SlackApiViewsPublishRequest::new(SlackUserId(user.to_string()), home_view(blocks));
        let token = self.token();
        let s = self.api.open_session(&token);
        within("views.publish", async {
            accepted("views.publish", s.views_publish(&request).await)
        })
        .await
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
        let found = |messages: &[SlackHistoryMessage]| {
            messages.iter().find(|m| m.origin.ts.0 == ts).map(|m| {
                (
                    m.content.text.clone().unwrap_or_default(),
                    m.origin
                        .thread_ts
                        .as_ref()
                        .map_or_else(|| ts.to_string(), |t| t.0.clone()),
                )
            })
        };
        let history = SlackApiConversationsHistoryRequest::new()
            .with_channel(SlackChannelId(channel.to_string()))
            .with_latest(SlackTs(ts.to_string()))
            .with_inclusive(true)
            .with_limit(1);
        let token = self.token();
        let s = self.api.open_session(&token);
        let history = within("conversations.history", async {
            s.conversations_history(&history).await
        })
        .await?;
        if let Some(message) = found(&history.messages) {
            return Ok(Some(message));
        }
        let replies = SlackApiConversationsRepliesRequest::new(
            SlackChannelId(channel.to_string()),
            SlackTs(ts.to_string()),
        )
        .with_latest(SlackTs(ts.to_string()))
        .with_oldest(SlackTs(ts.to_string()))
        .with_inclusive(true)
        .with_limit(1);
        let replies = within("conversations.replies", async {
            s.conversations_replies(&replies).await
        })
        .await?;
        Ok(found(&replies.messages))
    }

    /// `views.open`: shows a modal to the person whose click or command gave `trigger_id` (valid
    /// for 3 seconds).
    pub async fn open_view(&self, trigger_id: &str, view: &SlackView) -> Result<(), SendError> {
        let request =
            SlackApiViewsOpenRequest::new(SlackTriggerId(trigger_id.to_string()), view.clone());
        let token = self.token();
        let s = self.api.open_session(&token);
        within("views.open", async {
            accepted("views.open", s.views_open(&request).await)
        })
        .await
    }

    /// `apps.connections.open` (with the app-level token): the URL of a Socket Mode WebSocket.
    pub async fn open_socket(&self) -> Result<String, SendError> {
        let token = self.token();
        let s = self.api.open_session(&token);
        let answer = within("apps.connections.open", async {
            s.apps_connections_open(&SlackApiAppsConnectionOpenRequest::new())
                .await
        })
        .await?;
        Ok(answer.url.0.to_string())
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
        let request = SlackApiUsersInfoRequest::new(SlackUserId(id.to_string()));
        let token = self.token();
        let s = self.api.open_session(&token);
        let answer = within("users.info", async { s.users_info(&request).await }).await?;
        let user = SlackUser::from_slack(&answer.user);
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

    /// `auth.test`: the bot's own user id. The workspace it names is kept for rate control.
    pub async fn bot_user_id(&self) -> Result<String, SendError> {
        let token = self.token();
        let s = self.api.open_session(&token);
        let answer = within("auth.test", async { s.auth_test().await }).await?;
        let _ = self.team.set(answer.team_id);
        Ok(answer.user_id.0)
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
