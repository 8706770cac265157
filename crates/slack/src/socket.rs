//! Socket Mode: Slack delivers slash commands, events and interactions over a WebSocket the bot
//! opens itself, so the bot needs no public URL. The connection is authenticated by the app-level
//! token (`xapp-…`), so there are no request signatures here.
//!
//! The protocol: `apps.connections.open` (with the app token) gives a `wss://` URL; Slack says
//! `hello`, then sends envelopes `{"envelope_id", "type", "payload", "accepts_response_payload"}`,
//! each to be acknowledged within 3 s by sending `{"envelope_id"}` back (for a slash command, with
//! the answer as `payload`, like the body of an HTTP acknowledgement). A `disconnect` message, a
//! closed or dropped connection, or a silent one ends it; the bot then opens a new one, with
//! backoff while that fails. Commands and events are handled by the same code as over HTTP.
//!
//! This connection is the project's own rather than slack-morphism's `SlackClientSocketModeListener`,
//! which handles one envelope at a time per connection, drops acknowledgements still being worked
//! out when Slack says `disconnect`, and logs the connection URL with its ticket when a connection
//! fails (the README's "Libraries" gives the evidence).

use crate::app::{DeliveryHandled, SlackApp};
use crate::http::{answer_command, handle_event};
use crate::inbound::CommandForm;
use crate::send::SlackClient;
use crate::verify::Secret;
use ambassador_core::{Clock, Store};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Frame;

/// How the Socket Mode client behaves; the defaults suit Slack.
#[derive(Clone)]
pub struct SocketSettings {
    /// The app-level token (`xapp-…`, with the `connections:write` scope).
    pub app_token: Secret,
    /// The first wait before opening a connection again after a failure; it doubles up to
    /// `max_backoff` while failures go on, and starts over once a connection says hello.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How often the bot pings the server.
    pub ping_every: Duration,
    /// A connection silent for this long (not even a pong) is taken for dead and replaced.
    pub silence_limit: Duration,
}

impl std::fmt::Debug for SocketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketSettings")
            .field("app_token", &self.app_token)
            .field("min_backoff", &self.min_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("ping_every", &self.ping_every)
            .field("silence_limit", &self.silence_limit)
            .finish()
    }
}

impl SocketSettings {
    pub fn new(app_token: &str) -> Self {
        SocketSettings {
            app_token: Secret::new(app_token),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            ping_every: Duration::from_secs(30),
            silence_limit: Duration::from_secs(90),
        }
    }
}

/// Why a connection could not be opened or kept.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("apps.connections.open: {0}")]
    Open(String),
    #[error("websocket: {0}")]
    WebSocket(String),
    #[error("no message from Slack for {0:?}")]
    Silent(Duration),
}

/// Runs Socket Mode for as long as the task lives: opens a connection, handles what arrives on
/// it, and opens a new one when it ends, with backoff while that fails.
pub async fn run<S: Store, C: Clock>(app: Arc<SlackApp<S, C>>, settings: SocketSettings) {
    // wss:// goes through rustls; several crypto back-ends are compiled in, so name one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let opener = SlackClient::new(&app.settings.api_base, settings.app_token.clone());
    let mut backoff = settings.min_backoff;
    let mut connections: u64 = 0;
    loop {
        connections += 1;
        let mut greeted = false;
        let ended = connection(&app, &opener, &settings, connections, &mut greeted).await;
        let wait = match &ended {
            // Slack asked for a new connection: open it at once.
            Ok(Ending::Refresh) => Duration::ZERO,
            // A connection that worked is replaced soon; failures back off further each time.
            _ if greeted => settings.min_backoff,
            _ => backoff,
        };
        match ended {
            Ok(Ending::Refresh) => tracing::info!(
                connection = connections,
                "Slack asked for a new Socket Mode connection; opening it"
            ),
            Ok(Ending::Closed) => tracing::info!(
                connection = connections,
                retry_in = ?wait,
                "the Slack Socket Mode connection was closed; opening a new one"
            ),
            Err(e) => tracing::warn!(
                connection = connections,
                error = %e,
                retry_in = ?wait,
                "the Slack Socket Mode connection failed; opening a new one"
            ),
        }
        backoff = if greeted {
            settings.min_backoff
        } else {
            (backoff * 2).min(settings.max_backoff)
        };
        tokio::time::sleep(wait).await;
    }
}

/// How a connection that did not fail ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// Slack sent `disconnect`: a new connection is wanted.
    Refresh,
    /// The connection was closed.
    Closed,
}

/// How long opening the WebSocket may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long acknowledgements still being worked out may use a connection Slack asked to replace.
const DRAIN_FOR: Duration = Duration::from_secs(3);

/// Sends the acknowledgements still to come on a connection being replaced, then closes it.
async fn drain<K>(mut sink: K, mut pending: mpsc::UnboundedReceiver<String>, number: u64)
where
    K: futures_util::Sink<Frame> + Unpin,
{
    let sent = tokio::time::timeout(DRAIN_FOR, async {
        while let Some(ack) = pending.recv().await {
            if sink.send(Frame::text(ack)).await.is_err() {
                return false;
            }
        }
        true
    })
    .await;
    if sent != Ok(true) {
        tracing::warn!(
            connection = number,
            "some Socket Mode acknowledgements were lost with the old connection"
        );
    }
    let _ = sink.close().await;
}

/// One connection, from `apps.connections.open` to its end.
async fn connection<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    opener: &SlackClient,
    settings: &SocketSettings,
    number: u64,
    greeted: &mut bool,
) -> Result<Ending, SocketError> {
    let url = opener
        .open_socket()
        .await
        .map_err(|e| SocketError::Open(e.to_string()))?;
    let (socket, _) = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .map_err(|_| SocketError::WebSocket(format!("no connection within {CONNECT_TIMEOUT:?}")))?
        .map_err(|e| SocketError::WebSocket(e.to_string()))?;
    tracing::debug!(connection = number, "Slack Socket Mode connected");
    let (mut sink, mut stream) = socket.split();
    // Acknowledgements come from the tasks handling envelopes; they are written here.
    let (acks, mut pending) = mpsc::unbounded_channel::<String>();
    let mut ping = tokio::time::interval(settings.ping_every);
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        let silence = tokio::time::sleep_until(last_heard + settings.silence_limit);
        tokio::select! {
            Some(ack) = pending.recv() => {
                sink.send(Frame::text(ack))
                    .await
                    .map_err(|e| SocketError::WebSocket(e.to_string()))?;
            }
            _ = ping.tick() => {
                sink.send(Frame::Ping(Default::default()))
                    .await
                    .map_err(|e| SocketError::WebSocket(e.to_string()))?;
            }
            _ = silence => {
                let _ = sink.close().await;
                return Err(SocketError::Silent(settings.silence_limit));
            }
            frame = stream.next() => {
                last_heard = tokio::time::Instant::now();
                let text = match frame {
                    None | Some(Ok(Frame::Close(_))) => return Ok(Ending::Closed),
                    Some(Err(e)) => return Err(SocketError::WebSocket(e.to_string())),
                    Some(Ok(Frame::Text(text))) => text,
                    Some(Ok(_)) => continue,
                };
                let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
                    tracing::warn!(connection = number, bytes = text.len(), "unreadable Socket Mode message ignored");
                    continue;
                };
                match message["type"].as_str() {
                    Some("hello") => {
                        *greeted = true;
                        tracing::info!(
                            connection = number,
                            connections = ?message["num_connections"].as_u64(),
                            "Slack Socket Mode connected"
                        );
                    }
                    Some("disconnect") => {
                        tracing::info!(
                            connection = number,
                            reason = message["reason"].as_str().unwrap_or("unknown"),
                            "Slack sent disconnect"
                        );
                        // Answers being worked out still go out on this connection.
                        drop(acks);
                        tokio::spawn(drain(sink, pending, number));
                        return Ok(Ending::Refresh);
                    }
                    _ => {
                        let Some(envelope_id) = message["envelope_id"].as_str() else {
                            tracing::debug!(kind = ?message["type"].as_str(), "Socket Mode message ignored");
                            continue;
                        };
                        let envelope_id = envelope_id.to_string();
                        let app = app.clone();
                        let acks = acks.clone();
                        tokio::spawn(async move {
                            let started = std::time::Instant::now();
                            let kind = message["type"].as_str().unwrap_or_default().to_string();
                            let command = message["payload"]["command"].as_str().map(str::to_string);
                            let ack = envelope(&app, &envelope_id, message).await;
                            app.report_handled(|| DeliveryHandled {
                                kind,
                                command,
                                status: "ack".into(),
                                elapsed: started.elapsed(),
                            });
                            if acks.send(ack.to_string()).is_err() {
                                tracing::warn!(envelope_id, "the Socket Mode connection ended before the acknowledgement");
                            }
                        });
                    }
                }
            }
        }
    }
}

/// Handles one envelope; the acknowledgement to send back. Events and interactions are
/// acknowledged at once (their answers are messages); a slash command's answer rides on its
/// acknowledgement when Slack accepts one.
async fn envelope<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    envelope_id: &str,
    message: Value,
) -> Value {
    let ack = json!({ "envelope_id": envelope_id });
    let kind = message["type"].as_str().unwrap_or_default().to_string();
    let retry = message["retry_attempt"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0);
    let accepts_payload = message["accepts_response_payload"]
        .as_bool()
        .unwrap_or(false);
    let mut message = message;
    let payload = message["payload"].take();
    match kind.as_str() {
        "slash_commands" => {
            let form: CommandForm = match serde_json::from_value(payload) {
                Ok(form) => form,
                Err(e) => {
                    tracing::warn!(envelope_id, error = %e, "unreadable Socket Mode slash command");
                    return json!({
                        "envelope_id": envelope_id,
                        "payload": {
                            "response_type": "ephemeral",
                            "text": "Sorry, I could not read that command. Please try again.",
                        },
                    });
                }
            };
            let response_url = form.response_url().to_string();
            match response_json(answer_command(app, form).await).await {
                Some(body) if accepts_payload => {
                    json!({ "envelope_id": envelope_id, "payload": body })
                }
                // Slack takes no answer with this acknowledgement: the response URL gets it.
                Some(body) => {
                    let client = app.client.clone();
                    tokio::spawn(async move {
                        if let Err(e) = client.respond_with(&response_url, body).await {
                            tracing::warn!(error = %e, "a Slack reply could not be delivered");
                        }
                    });
                    ack
                }
                None => ack,
            }
        }
        "events_api" => {
            let app = app.clone();
            let mut headers = HeaderMap::new();
            if let Some(n) = retry {
                headers.insert("x-slack-retry-num", HeaderValue::from(n));
            }
            let body = payload.to_string();
            tokio::spawn(async move {
                handle_event(&app, &headers, body.as_bytes()).await;
            });
            ack
        }
        "interactive" => {
            // A modal's field errors ride on the acknowledgement.
            match response_json(crate::interact::handle_interaction(app, payload).await).await {
                Some(body) => json!({ "envelope_id": envelope_id, "payload": body }),
                None => ack,
            }
        }
        other => {
            tracing::debug!(
                envelope_id,
                kind = other,
                "Socket Mode envelope acknowledged and ignored"
            );
            ack
        }
    }
}

/// The JSON body of an acknowledgement, if it has one.
async fn response_json(response: Response) -> Option<Value> {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
