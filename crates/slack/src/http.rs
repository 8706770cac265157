//! The HTTP endpoints Slack posts to: `/slack/commands`, `/slack/events`, `/slack/interactivity`.
//! Every request is verified (signature and timestamp) before its body is parsed.

use crate::app::*;
use crate::inbound::{
    CommandForm, direct_message, home_opened, kudos_reaction, kudos_reaction_removed,
};
use crate::render::{SlackMessage, command_response, render};
use crate::send::SlackUser;
use ambassador_core::{Account, Clock, Message, Platform, Store, apology};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use slack_morphism::events::{SlackEventCallbackBody, SlackPushEvent};
use std::sync::Arc;
use tracing::Instrument;

/// What a repeated slash command gets, for its sender alone.
pub const DUPLICATE_COMMAND: &str = "That command was already received; it ran once.";

/// The Slack endpoints, to be mounted by the binary's HTTP server. Every request is reported to
/// the app's hook ([`SlackApp::on_handled`]) once answered.
pub fn router<S: Store, C: Clock>(app: Arc<SlackApp<S, C>>) -> Router {
    Router::new()
        .route("/slack/commands", post(commands::<S, C>))
        .route("/slack/events", post(events::<S, C>))
        .route("/slack/interactivity", post(interactivity::<S, C>))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            report_handled::<S, C>,
        ))
        .with_state(app)
}

/// Times a request and reports it to the app's hook with its status and, for a slash command,
/// the command named in its form (read before the signature is checked, so that refused
/// requests are counted by command too). Without a hook the request passes untouched.
async fn report_handled<S: Store, C: Clock>(
    State(app): State<Arc<SlackApp<S, C>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if app.handled_hook.get().is_none() {
        return next.run(request).await;
    }
    let kind = match request.uri().path() {
        "/slack/commands" => "slash_commands",
        "/slack/events" => "events_api",
        "/slack/interactivity" => "interactive",
        _ => "other",
    };
    let (request, command) = if kind == "slash_commands" {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response();
        };
        let command = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|form| form.into_iter().find(|(k, _)| k == "command"))
            .map(|(_, c)| c);
        (
            axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)),
            command,
        )
    } else {
        (request, None)
    };
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    app.report_handled(|| DeliveryHandled {
        kind: kind.into(),
        command,
        status: response.status().as_u16().to_string(),
        elapsed: started.elapsed(),
    });
    response
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, "invalid request signature").into_response()
}

fn ack_json(response_type: &str, message: &SlackMessage) -> Response {
    axum::Json(command_response(response_type, message)).into_response()
}

fn ephemeral(message: &Message) -> Response {
    let parts = render(message);
    ack_json("ephemeral", &parts[0])
}

async fn commands<S: Store, C: Clock>(
    State(app): State<Arc<SlackApp<S, C>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if app.authenticate("commands", &headers, &body).is_err() {
        return unauthorized();
    }
    match app.first_delivery("commands", &headers).await {
        Ok(()) => {}
        Err(Replayed::Duplicate) => return ephemeral(&Message::text(DUPLICATE_COMMAND)),
        Err(Replayed::Unchecked) => return ephemeral(&apology()),
    }
    let form: CommandForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable slash command payload");
            return ephemeral(&Message::text(
                "Sorry, I could not read that command. Please try again.",
            ));
        }
    };
    answer_command(&app, form).await
}

/// A slash command, whichever transport brought it (a signed HTTP form or a Socket Mode
/// envelope): handled within the acknowledgement deadline; the acknowledgement to give.
pub(crate) async fn answer_command<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    form: CommandForm,
) -> Response {
    let inbound = form.inbound(app.bot());
    // `/ambassadors apply` and a bare `/checkin` open their form as a modal where Slack gave a
    // trigger; should that fail, they are answered in chat as everywhere else.
    if !form.trigger_id().is_empty()
        && let Some(kind) = app.program.form_for_command(&inbound.text)
    {
        match crate::interact::open_form(app, &inbound, &kind, form.trigger_id(), form.channel_id())
            .await
        {
            Ok(()) => return StatusCode::OK.into_response(),
            Err(e) => tracing::warn!(error = %e, "could not open the form; answering in chat"),
        }
    }
    let span = tracing::info_span!(
        "slack_command",
        platform = "slack",
        room = %form.channel_id(),
        user = %form.user_id(),
        command = %form.command(),
    );
    let worker = app.clone();
    let mut task = tokio::spawn(
        async move {
            worker.introduce_mentioned(&inbound.text).await;
            let handled = worker.program.handle(&inbound).await;
            // The sender's profile zone, the first time this process sees them: in the
            // background, so no command (not `/kudos` either) waits for `users.info`.
            let meeting = worker.clone();
            tokio::spawn(async move { meeting.meet(&inbound.sender.id).await }.in_current_span());
            handled
        }
        .instrument(span.clone()),
    );
    match tokio::time::timeout(app.settings.ack_deadline, &mut task).await {
        Ok(handled) => {
            let mut all = deliveries(handled, form.user_id(), None);
            let first = all
                .iter()
                .position(|d| matches!(d, Delivery::Respond { .. }))
                .map(|i| all.remove(i));
            if !all.is_empty() {
                let client = app.client.clone();
                let url = form.response_url().to_string();
                tokio::spawn(async move { deliver(&client, &url, all).await }.instrument(span));
            }
            match first {
                Some(Delivery::Respond {
                    response_type,
                    message,
                }) => ack_json(response_type, &message),
                _ => StatusCode::OK.into_response(),
            }
        }
        Err(_) => {
            // Slow: acknowledge now, answer through the response URL when done.
            let client = app.client.clone();
            let url = form.response_url().to_string();
            let caller = form.user_id().to_string();
            tokio::spawn(
                async move {
                    tracing::info!("answering through the response URL");
                    let all = deliveries(task.await, &caller, None);
                    deliver(&client, &url, all).await;
                }
                .instrument(span),
            );
            StatusCode::OK.into_response()
        }
    }
}

async fn events<S: Store, C: Clock>(
    State(app): State<Arc<SlackApp<S, C>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if app.authenticate("events", &headers, &body).is_err() {
        return unauthorized();
    }
    handle_event(&app, &headers, &body).await
}

/// The event types the adapter acts on.
const HANDLED_EVENTS: &[&str] = &[
    "message",
    "reaction_added",
    "reaction_removed",
    "user_change",
    "app_home_opened",
];

/// An Events API payload, read as slack-morphism's `SlackPushEvent`, whichever transport brought it (a signed HTTP request or a Socket Mode
/// envelope); `headers` carries `X-Slack-Retry-Num` when Slack retries.
pub(crate) async fn handle_event<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let payload: SlackPushEvent = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable Slack event payload");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let callback = match payload {
        SlackPushEvent::UrlVerification(v) => {
            return axum::Json(json!({ "challenge": v.challenge })).into_response();
        }
        SlackPushEvent::EventCallback(callback) => callback,
        SlackPushEvent::AppRateLimited(limited) => {
            tracing::warn!(minute = %limited.minute_rate_limited.0, "Slack held back events: app_rate_limited");
            return StatusCode::OK.into_response();
        }
    };
    let event_id = callback.event_id.0.as_str();
    let retry = headers
        .get("x-slack-retry-num")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0");
    if !event_id.is_empty()
        && !app
            .seen_events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .first_time(event_id)
    {
        tracing::info!(event_id, retry, "duplicate Slack event delivery dropped");
        return StatusCode::OK.into_response();
    }
    // Retries may reach another replica: the store remembers event ids for all of them. Should
    // it fail, the event is handled (a possible double beats a lost message).
    if !event_id.is_empty() {
        let key = format!("slack:{event_id}");
        match app.program.first_sighting(&key).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(
                    event_id,
                    retry,
                    "Slack event already handled by another replica; dropped"
                );
                return StatusCode::OK.into_response();
            }
            Err(e) => {
                tracing::warn!(event_id, error = %e, "cannot check the event against the store; handling it");
            }
        }
    }
    let wanted = app.settings.kudos_reaction.as_deref();
    let dm = match &callback.event {
        SlackEventCallbackBody::ReactionAdded(event) => {
            let Some(reaction) = wanted.and_then(|w| kudos_reaction(event, w)) else {
                return StatusCode::OK.into_response();
            };
            let span = tracing::info_span!(
                "slack_event",
                platform = "slack",
                room = %reaction.channel,
                user = %reaction.user,
                event_id,
                command = "kudos reaction",
            );
            let worker = app.clone();
            return within_deadline(app, span, async move {
                worker.kudos_by_reaction(reaction).await
            })
            .await;
        }
        SlackEventCallbackBody::ReactionRemoved(event) => {
            let Some(removed) = wanted.and_then(|w| kudos_reaction_removed(event, w)) else {
                return StatusCode::OK.into_response();
            };
            let span = tracing::info_span!("slack_event", platform = "slack", room = %removed.channel,
                user = %removed.user, event_id, command = "kudos reaction removed");
            let worker = app.clone();
            return within_deadline(app, span, async move {
                worker.take_back_by_reaction(removed).await
            })
            .await;
        }
        SlackEventCallbackBody::UserChange(event) if !event.user.id.0.is_empty() => {
            let user = SlackUser::from_slack(&event.user);
            let span = tracing::info_span!("slack_event", platform = "slack", user = %user.id, event_id,
                command = "profile change");
            let worker = app.clone();
            return within_deadline(app, span, async move {
                // Only people the bot knows: a profile change does not make anyone new.
                let account = Account::new(Platform::Slack, &user.id);
                if matches!(worker.program.known_person(&account).await, Ok(Some(_))) {
                    worker.note_profile(&user).await;
                }
            })
            .await;
        }
        SlackEventCallbackBody::AppHomeOpened(event) => {
            let Some(user) = home_opened(event) else {
                return StatusCode::OK.into_response();
            };
            let channel = event.channel.0.clone();
            let span = tracing::info_span!("slack_event", platform = "slack", user = %user, event_id,
                command = "app home");
            let worker = app.clone();
            return within_deadline(app, span, async move {
                worker.publish_home(user, channel).await
            })
            .await;
        }
        SlackEventCallbackBody::Message(event) => direct_message(event, app.bot()),
        SlackEventCallbackBody::Unknown(event) => {
            // A type slack-morphism does not model, or one of the types above that did not read
            // as its model (its models are strict): said, so that a lost event is seen.
            let kind = event["type"].as_str().unwrap_or_default();
            if HANDLED_EVENTS.contains(&kind) {
                tracing::warn!(
                    event_id,
                    kind,
                    "a Slack event that does not read as slack-morphism's model was ignored"
                );
            } else {
                tracing::debug!(event_id, kind, "Slack event ignored");
            }
            None
        }
        _ => None,
    };
    let Some(dm) = dm else {
        tracing::debug!(event_id, "Slack event ignored");
        return StatusCode::OK.into_response();
    };
    let span = tracing::info_span!(
        "slack_event",
        platform = "slack",
        room = %dm.channel,
        user = %dm.user,
        event_id,
    );
    let worker = app.clone();
    // Answer Slack within its deadline; the work goes on if it takes longer.
    within_deadline(app, span, async move {
        let (name, profile) = match worker.client.user(&dm.user).await {
            Ok(user) => (user.name.clone(), Some(user)),
            Err(e) => {
                tracing::debug!(error = %e, "users.info failed; keeping the stored name");
                (String::new(), None)
            }
        };
        let inbound = dm.inbound(name, worker.bot());
        worker.introduce_mentioned(&inbound.text).await;
        let handled = worker.program.handle(&inbound).await;
        let all = deliveries(Ok(handled), &dm.user, Some(&dm.channel));
        deliver(&worker.client, "", all).await;
        if let Some(profile) = &profile {
            worker.note_profile(profile).await;
        }
    })
    .await
}

async fn interactivity<S: Store, C: Clock>(
    State(app): State<Arc<SlackApp<S, C>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if app.authenticate("interactivity", &headers, &body).is_err() {
        return unauthorized();
    }
    #[derive(serde::Deserialize)]
    struct Form {
        payload: String,
    }
    let Some(payload) = serde_urlencoded::from_bytes::<Form>(&body)
        .ok()
        .and_then(|f| serde_json::from_str::<Value>(&f.payload).ok())
    else {
        tracing::warn!("unreadable Slack interaction payload");
        return StatusCode::BAD_REQUEST.into_response();
    };
    match app.first_delivery("interactivity", &headers).await {
        Ok(()) => crate::interact::handle_interaction(&app, payload).await,
        // Acknowledged, nothing done: the first delivery did it (a modal closes, as it did).
        Err(Replayed::Duplicate) => StatusCode::OK.into_response(),
        Err(Replayed::Unchecked) => crate::interact::not_taken(&payload),
    }
}
