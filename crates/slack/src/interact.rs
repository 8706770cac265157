//! Interactivity: buttons and modals. A button carries a core [`Action`] as its value: a command
//! run as the person who pressed it (with their own role), or a form opened as a modal with
//! `views.open`. A submitted modal goes back to the core; what is wrong is shown in the modal
//! beside its field, and nothing is saved until it is right.
//!
//! Both transports come here: the signed `/slack/interactivity` endpoint and Socket Mode's
//! `interactive` envelopes (whose acknowledgement carries the same JSON body). Payloads are read
//! as slack-morphism's `SlackInteractionEvent`.

use crate::app::{SlackApp, deliver, deliveries, within_deadline};
use crate::inbound::bot_account;
use crate::render::{FORM_CALLBACK, INPUT_ACTION, modal, notice_modal};
use ambassador_core::{
    Account, Action, Clock, FormKind, Inbound, Message, Platform, Store, Submitted, apology,
};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use slack_morphism::blocks::{
    SlackView, SlackViewState, SlackViewSubmissionErrorsResponse, SlackViewSubmissionResponse,
};
use slack_morphism::events::{
    SlackInteractionActionContainer, SlackInteractionBlockActionsEvent, SlackInteractionEvent,
    SlackInteractionViewSubmissionEvent,
};
use slack_morphism::{SlackActionId, SlackBasicUserInfo};
use std::collections::HashMap;
use std::sync::Arc;
use tracing::Instrument;

/// What a modal carries back in `private_metadata`: the form, and where it was opened from.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Metadata {
    form: FormKind,
    #[serde(default)]
    channel: String,
}

/// Who acted, as a chat line for the core.
fn inbound_of<S: Store, C: Clock>(
    app: &SlackApp<S, C>,
    user: &SlackBasicUserInfo,
    channel: &str,
    text: String,
) -> Option<Inbound> {
    let id = Some(user.id.0.as_str()).filter(|u| !u.is_empty())?;
    let name = user.name.as_ref().or(user.username.as_ref());
    Some(Inbound {
        sender: Account::new(Platform::Slack, id),
        sender_name: name.cloned().unwrap_or_default(),
        room: channel.to_string(),
        text,
        bot: bot_account(app.bot()),
        direct: channel.starts_with('D'),
        create_mentioned: true,
    })
}

/// An interaction payload (already authenticated), read as slack-morphism's
/// `SlackInteractionEvent`; the acknowledgement to give. One that does not read as its model is
/// logged; a modal then stays open with an apology (nothing typed is lost), a button press is
/// acknowledged.
pub(crate) async fn handle_interaction<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    payload: Value,
) -> Response {
    let kind = payload["type"].as_str().unwrap_or_default().to_string();
    let span = tracing::info_span!(
        "slack_interaction",
        platform = "slack",
        kind = %kind,
        user = %payload["user"]["id"].as_str().unwrap_or_default(),
    );
    async {
        match SlackInteractionEvent::deserialize(&payload) {
            Ok(SlackInteractionEvent::BlockActions(event)) => block_actions(app, &event).await,
            Ok(SlackInteractionEvent::ViewSubmission(event)) => {
                view_submission(app, &event, &payload).await
            }
            Ok(_) => {
                tracing::debug!("Slack interaction acknowledged and ignored");
                StatusCode::OK.into_response()
            }
            Err(e) => {
                tracing::warn!(error = %e, "a Slack interaction that does not read as slack-morphism's model");
                not_taken(&payload)
            }
        }
    }
    .instrument(span)
    .await
}

/// A button pressed in one of the bot's messages (or its Home tab).
async fn block_actions<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    event: &SlackInteractionBlockActionsEvent,
) -> Response {
    let in_message = match &event.container {
        SlackInteractionActionContainer::Message(m) => m.channel_id.as_ref(),
        SlackInteractionActionContainer::MessageAttachment(m) => m.channel_id.as_ref(),
        SlackInteractionActionContainer::View(_) => None,
    };
    let channel = event
        .channel
        .as_ref()
        .map(|c| &c.id)
        .or(in_message)
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let Some(pressed) = event.actions.as_ref().and_then(|a| a.first()) else {
        return StatusCode::OK.into_response();
    };
    let action: Action = match pressed.value.as_deref().map(serde_json::from_str::<Action>) {
        Some(Ok(action)) => action,
        _ => {
            tracing::debug!(action_id = %pressed.action_id.0, "not one of the bot's buttons");
            return StatusCode::OK.into_response();
        }
    };
    let Some(user) = &event.user else {
        return StatusCode::OK.into_response();
    };
    match action {
        Action::Command(command) => {
            let Some(inbound) = inbound_of(app, user, &channel, format!("/{command}")) else {
                return StatusCode::OK.into_response();
            };
            tracing::info!(command = %command, "button pressed");
            let response_url = event
                .response_url
                .as_ref()
                .map(|u| u.0.to_string())
                .unwrap_or_default();
            let user = inbound.sender.id.clone();
            let worker = app.clone();
            within_deadline(app, tracing::Span::current(), async move {
                let handled = worker.program.handle(&inbound).await;
                // From a message the answer comes as a new message beside it; from the Home tab
                // (no response URL) by direct message.
                let room = response_url.is_empty().then_some(user.as_str());
                let all = deliveries(Ok(handled), &user, room);
                deliver(&worker.client, &response_url, all).await;
            })
            .await
        }
        Action::Form(form) => {
            let Some(inbound) = inbound_of(app, user, &channel, String::new()) else {
                return StatusCode::OK.into_response();
            };
            if let Err(e) = open_form(app, &inbound, &form, &event.trigger_id.0, &channel).await {
                tracing::warn!(error = %e, "could not open a modal");
            }
            StatusCode::OK.into_response()
        }
    }
}

/// Opens `form` as a modal for the person behind `inbound`, or a modal that says why not.
pub(crate) async fn open_form<S: Store, C: Clock>(
    app: &SlackApp<S, C>,
    inbound: &Inbound,
    form: &FormKind,
    trigger_id: &str,
    channel: &str,
) -> Result<(), String> {
    // The application asks the time zone, prefilled with the profile's: known before it opens.
    if *form == FormKind::Application {
        app.meet(&inbound.sender.id).await;
    }
    let opening = app
        .program
        .open_form(inbound, form)
        .await
        .map_err(|e| e.to_string())?;
    let view = match opening {
        Ok(f) => {
            let metadata = serde_json::to_string(&Metadata {
                form: f.kind.clone(),
                channel: channel.to_string(),
            })
            .map_err(|e| e.to_string())?;
            modal(&f, &metadata)
        }
        Err(message) => notice_modal("Not now", &message),
    };
    app.client
        .open_view(trigger_id, &view)
        .await
        .map_err(|e| e.to_string())
}

/// The submitted values: (block id, text) of each of the form's inputs.
fn submitted_values(state: Option<&SlackViewState>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (block_id, actions) in state.into_iter().flat_map(|s| &s.values) {
        if let Some(input) = actions.get(&SlackActionId::new(INPUT_ACTION.to_string())) {
            // An empty optional field comes as `"value": null`.
            out.push((block_id.0.clone(), input.value.clone().unwrap_or_default()));
        }
    }
    out
}

/// Errors beside their fields; Slack keeps the modal open with what was typed.
/// slack-morphism's `SlackViewSubmissionResponse::Errors`; each error cut to 1,000 characters.
fn field_errors(errors: &[(String, String)]) -> Response {
    let errors: HashMap<String, String> = errors
        .iter()
        .map(|(field, e)| (field.clone(), e.chars().take(1000).collect()))
        .collect();
    axum::Json(SlackViewSubmissionResponse::Errors(
        SlackViewSubmissionErrorsResponse::new(errors),
    ))
    .into_response()
}

/// An interaction that could not be taken (the store could not be asked whether it is new): a
/// modal stays open with what was typed and the apology beside its first field; a button press
/// is acknowledged and can be pressed again.
pub(crate) fn not_taken(payload: &Value) -> Response {
    if payload["type"] != "view_submission" {
        return StatusCode::OK.into_response();
    }
    let first_field = payload["view"]["blocks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["type"] == "input"))
        .and_then(|b| b["block_id"].as_str())
        .unwrap_or_default()
        .to_string();
    field_errors(&[(first_field, apology_text())])
}

/// A modal form sent (`payload`: as it came, for the apology beside its first field).
async fn view_submission<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    event: &SlackInteractionViewSubmissionEvent,
    payload: &Value,
) -> Response {
    let SlackView::Modal(view) = &event.view.view else {
        return StatusCode::OK.into_response();
    };
    if view.callback_id.as_ref().map(|c| c.0.as_str()) != Some(FORM_CALLBACK) {
        tracing::debug!(callback_id = ?view.callback_id, "not one of the bot's modals");
        return StatusCode::OK.into_response();
    }
    let metadata: Metadata = match view
        .private_metadata
        .as_deref()
        .map(serde_json::from_str::<Metadata>)
    {
        Some(Ok(m)) => m,
        _ => {
            tracing::warn!("a modal came back without readable metadata; closed");
            return StatusCode::OK.into_response();
        }
    };
    let Some(inbound) = inbound_of(app, &event.user, &metadata.channel, String::new()) else {
        return StatusCode::OK.into_response();
    };
    let values = submitted_values(event.view.state_params.state.as_ref());
    let user = inbound.sender.id.clone();
    let worker = app.clone();
    let form = metadata.form.clone();
    let mut task = tokio::spawn(
        async move { worker.program.submit_form(&inbound, &form, &values).await }.in_current_span(),
    );
    match tokio::time::timeout(app.settings.ack_deadline, &mut task).await {
        Ok(Ok(Ok(Submitted::Invalid(errors)))) => field_errors(&errors),
        Ok(Ok(Ok(Submitted::Done(replies)))) => {
            tracing::info!(form = ?metadata.form, "form submitted");
            let client = app.client.clone();
            let all = deliveries(Ok(Ok(Some(replies))), &user, Some(user.as_str()));
            tokio::spawn(async move { deliver(&client, "", all).await }.in_current_span());
            StatusCode::OK.into_response()
        }
        Ok(Ok(Err(e))) => {
            tracing::error!(error = %e, "the store failed while taking a form");
            not_taken(payload)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "taking a form panicked");
            not_taken(payload)
        }
        Err(_) => {
            // Slow: close the modal now; the answer comes by direct message.
            let app = app.clone();
            tokio::spawn(
                async move {
                    let replies = match task.await {
                        Ok(Ok(Submitted::Done(replies))) => replies,
                        Ok(Ok(Submitted::Invalid(errors))) => vec![ambassador_core::Reply::caller(
                            Message::text("Your form could not be taken: ")
                                .list(errors.into_iter().map(|(_, e)| e.into()).collect()),
                        )],
                        _ => vec![ambassador_core::Reply::caller(apology())],
                    };
                    let all = deliveries(Ok(Ok(Some(replies))), &user, Some(user.as_str()));
                    deliver(&app.client, "", all).await;
                }
                .in_current_span(),
            );
            StatusCode::OK.into_response()
        }
    }
}

fn apology_text() -> String {
    ambassador_core::render_plain(&apology())
}
