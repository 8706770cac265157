//! Requests on Slack (issue #18): an ambassador asks, the program office lists the open requests
//! with a Reply, a Take it and a Mark done button under each, and answers through modals. Signed
//! requests to the endpoints, a real SQLite store, and the recording fake of the Slack Web API;
//! messages to the ambassador travel through the outbox.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{Account, NewDepartment, Platform, Request, RequestStatus};
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};
use std::collections::HashSet;
use support::harness::{Harness, harness, inputs, start_time};

/// Presses so far, to stamp each one (Slack gives every press its own `action_ts`).
static PRESSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The mrkdwn and plain texts of a message's or view's blocks, one a line.
fn texts(blocks: &Value) -> String {
    blocks
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            let mut t = vec![b["text"]["text"].as_str().unwrap_or_default().to_string()];
            if let Some(elements) = b["elements"].as_array() {
                t.extend(
                    elements
                        .iter()
                        .filter_map(|e| e["text"].as_str().map(str::to_string)),
                );
            }
            t
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The buttons of a Block Kit message, in order.
fn buttons(message: &Value) -> Vec<Value> {
    message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The button `label` of request `id` in `message`: its action names the request.
fn button_of(message: &Value, label: &str, id: i64) -> Value {
    buttons(message)
        .into_iter()
        .find(|b| {
            let value = b["value"].as_str().unwrap_or_default();
            b["text"]["text"] == label
                && (value.contains(&format!("\"id\":{id}}}"))
                    || value.ends_with(&format!(" {id}\"}}")))
        })
        .unwrap_or_else(|| panic!("no button {label:?} for request #{id} in {message}"))
}

impl Harness {
    /// Presses `button` in a message in `channel`, as `user`, the way Slack reports it.
    async fn press_button(&self, button: &Value, user: &str, channel: &str) -> StatusCode {
        let press = PRESSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.interact(json!({
            "type": "block_actions",
            "user": {"id": user, "username": user, "name": user, "team_id": "T0001"},
            "api_app_id": "A123456",
            "token": "9s8d9as89d8as9d8as989",
            "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": channel, "is_ephemeral": true},
            "trigger_id": format!("12321423423.333649436676.{user}.{press}"),
            "team": {"id": "T0001", "domain": "example"},
            "channel": {"id": channel, "name": "general"},
            "response_url": format!("{}/response/{user}", self.fake.origin),
            "actions": [{
                "action_id": button["action_id"], "block_id": format!("b{press}"),
                "text": button["text"], "value": button["value"], "type": "button",
                "action_ts": format!("1548426417.{press:06}"),
            }],
        }))
        .await
        .0
    }

    async fn request(&self, id: i64) -> Request {
        self.program.store.request(id).await.unwrap().unwrap()
    }

    /// Direct messages the fake accepted for `user` whose blocks contain `text`.
    fn dms(&self, user: &str, text: &str) -> Vec<Value> {
        self.fake
            .posts()
            .into_iter()
            .filter(|p| p["channel"] == user && texts(&p["blocks"]).contains(text))
            .collect()
    }
}

/// Ada (U5, Finance) and Bob (U6, Sales) are ambassadors.
async fn two_ambassadors(h: &Harness) {
    let store = &h.program.store;
    for (user, name, dept, region) in [
        ("U5", "ada", "Finance", "EMEA"),
        ("U6", "bob", "Sales", "Americas"),
    ] {
        let d = store
            .add_department(&NewDepartment {
                name: dept.into(),
                region: region.into(),
                headcount: Some(100),
            })
            .await
            .unwrap();
        let p = store
            .ensure_person(&Account::new(Platform::Slack, user), name)
            .await
            .unwrap();
        store
            .add_ambassador(p.id, d.id, "Europe/Berlin", start_time().date_naive())
            .await
            .unwrap();
    }
}

/// Every `action_id` and `block_id` of a message once: Slack identifies what was pressed by them.
fn assert_distinct_ids(message: &Value) {
    let action_ids: Vec<String> = buttons(message)
        .iter()
        .map(|b| b["action_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        action_ids.iter().collect::<HashSet<_>>().len(),
        action_ids.len(),
        "an action_id repeats: {action_ids:?}"
    );
    let block_ids: Vec<&str> = message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .collect();
    assert_eq!(
        block_ids.iter().collect::<HashSet<_>>().len(),
        block_ids.len(),
        "a block_id repeats: {block_ids:?}"
    );
    assert!(message["blocks"].as_array().unwrap().len() <= 50);
}

#[tokio::test]
async fn the_office_answers_requests_with_the_buttons_and_modals_of_its_list() {
    let h = harness().await;
    two_ambassadors(&h).await;

    // Two ambassadors ask.
    let (status, body) = h
        .command(
            ("U5", "ada"),
            "C1",
            "/ambassadors",
            "ask A sponsor for the shared CI runners",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_type"], "ephemeral", "{body}");
    assert!(
        texts(&body["blocks"]).contains("Your request #1 is with the program office"),
        "{body}"
    );
    h.clock.advance(Duration::minutes(5));
    h.command(
        ("U6", "bob"),
        "C1",
        "/ambassadors",
        "ask Slides for the InnerSource pitch to sales leads",
    )
    .await;

    // The office lists them: one message, each open request with its three buttons.
    h.clock.advance(Duration::hours(1));
    let (status, list) = h
        .command(("UOFFICE", "olivia"), "C1", "/ambassadors", "requests")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["response_type"], "ephemeral", "{list}");
    let shown = texts(&list["blocks"]);
    assert!(shown.contains("shared CI runners"), "{shown}");
    assert!(shown.contains("InnerSource pitch"), "{shown}");
    let labels: Vec<Value> = buttons(&list)
        .iter()
        .map(|b| b["text"]["text"].clone())
        .collect();
    assert_eq!(
        labels,
        [
            "Reply",
            "Take it",
            "Mark done",
            "Reply",
            "Take it",
            "Mark done"
        ]
        .map(|l| json!(l))
    );
    assert_distinct_ids(&list);

    // Reply on Ada's request opens a modal with her request in it.
    let reply = button_of(&list, "Reply", 1);
    assert_eq!(
        h.press_button(&reply, "UOFFICE", "C1").await,
        StatusCode::OK
    );
    let view = h.last_view();
    assert_eq!(view["title"]["text"], "Reply to request #1");
    assert!(view["title"]["text"].as_str().unwrap().chars().count() <= 24);
    assert_eq!(view["submit"]["text"], "Send");
    assert_eq!(inputs(&view), ["text"]);
    let intro = texts(&view["blocks"]);
    assert!(intro.contains("<@U5>"), "{intro}");
    assert!(
        intro.contains("A sponsor for the shared CI runners"),
        "{intro}"
    );

    // An empty reply stays in the modal with the error beside its field; nothing is stored.
    let (status, body) = h.submit_view(&view, "UOFFICE", &[("text", "  ")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["text"]
            .as_str()
            .unwrap()
            .contains("a few words"),
        "{body}"
    );
    assert!(
        h.program
            .store
            .request_messages(1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(h.request(1).await.status, RequestStatus::New);

    // A reply: the modal closes, Ada hears it by direct message, the request is acknowledged.
    let (status, body) = h
        .submit_view(
            &view,
            "UOFFICE",
            &[(
                "text",
                "The platform team can sponsor them; we ask on Friday.",
            )],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_null(), "the modal closes: {body}");
    let r = h.request(1).await;
    assert_eq!(r.status, RequestStatus::Acknowledged);
    assert!(r.first_answer_at.is_some());
    let thread = h.program.store.request_messages(1).await.unwrap();
    assert_eq!(thread.len(), 1);
    assert!(thread[0].from_office);
    h.deliver_outbox_until("the reply, to Ada", |s| {
        s.posts
            .iter()
            .any(|p| p["channel"] == "U5" && texts(&p["blocks"]).contains("we ask on Friday"))
    })
    .await;
    let to_ada = h.dms("U5", "we ask on Friday");
    assert_eq!(to_ada.len(), 1);
    assert!(
        texts(&to_ada[0]["blocks"]).contains("The program office answered your request #1"),
        "{}",
        to_ada[0]
    );
    // The office is told where it went, and Bob heard nothing of it.
    h.fake
        .wait_for("the office's confirmation", |s| {
            s.posts.iter().any(|p| {
                p["channel"] == "UOFFICE" && texts(&p["blocks"]).contains("Sent on request #1")
            })
        })
        .await;
    assert!(h.dms("U6", "").is_empty(), "{:?}", h.dms("U6", ""));

    // Someone outside the office presses Mark done on the office's list: a notice, no form.
    let done = button_of(&list, "Mark done", 1);
    for intruder in ["U9", "U5"] {
        let before = h.fake.views_opened().len();
        h.press_button(&done, intruder, "C1").await;
        let opened = h.fake.views_opened();
        assert_eq!(opened.len(), before + 1);
        let notice = &opened[before]["view"];
        assert!(notice["submit"].is_null(), "a notice, not a form: {notice}");
        assert!(
            texts(&notice["blocks"]).contains("Only the program office marks requests done"),
            "{notice}"
        );
    }
    // A forged submission of the done form is refused as well, and changes nothing.
    h.press_button(&done, "UOFFICE", "C1").await;
    let done_view = h.last_view();
    let (status, body) = h
        .submit_view(&done_view, "U9", &[("note", "Closed by me")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_null(), "{body}");
    h.fake
        .wait_for("the refusal", |s| {
            s.posts.iter().any(|p| {
                p["channel"] == "U9"
                    && texts(&p["blocks"]).contains("Only the program office marks requests done")
            })
        })
        .await;
    let r = h.request(1).await;
    assert_eq!(r.status, RequestStatus::Acknowledged);
    assert_eq!(r.note, None);

    // The office marks it done with a note: Ada gets the news with the note.
    assert_eq!(done_view["title"]["text"], "Request #1 done");
    assert_eq!(inputs(&done_view), ["note"]);
    assert!(texts(&done_view["blocks"]).contains("shared CI runners"));
    h.clock.advance(Duration::days(2));
    let (status, body) = h
        .submit_view(
            &done_view,
            "UOFFICE",
            &[("note", "The platform team sponsors the runners from April.")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_null(), "{body}");
    let r = h.request(1).await;
    assert_eq!(r.status, RequestStatus::Done);
    assert_eq!(
        r.note.as_deref(),
        Some("The platform team sponsors the runners from April.")
    );
    assert!(r.closed_at.is_some());
    h.deliver_outbox_until("the news, to Ada", |s| {
        s.posts.iter().any(|p| {
            p["channel"] == "U5" && texts(&p["blocks"]).contains("Your request #1 is done")
        })
    })
    .await;
    let news = h.dms("U5", "Your request #1 is done");
    assert_eq!(news.len(), 1);
    assert!(
        texts(&news[0]["blocks"]).contains("sponsors the runners from April"),
        "{}",
        news[0]
    );

    // Take it on Bob's request: the answer comes beside the list; Bob is told.
    let take = button_of(&list, "Take it", 2);
    h.press_button(&take, "UOFFICE", "C1").await;
    h.fake
        .wait_for("the answer to Take it", |s| {
            s.responses.iter().any(|(id, b)| {
                id == "UOFFICE"
                    && b.to_string()
                        .contains("Request #2 is yours and in progress")
            })
        })
        .await;
    assert_eq!(h.request(2).await.status, RequestStatus::InProgress);
    h.deliver_outbox_until("the news, to Bob", |s| {
        s.posts.iter().any(|p| {
            p["channel"] == "U6"
                && texts(&p["blocks"]).contains("is taking care of your request #2")
        })
    })
    .await;

    // The list now shows Bob's request alone, with its buttons.
    let (_, list) = h
        .command(("UOFFICE", "olivia"), "C1", "/ambassadors", "requests")
        .await;
    let shown = texts(&list["blocks"]);
    assert!(!shown.contains("shared CI runners"), "{shown}");
    assert!(shown.contains("InnerSource pitch"), "{shown}");
    assert_eq!(buttons(&list).len(), 3);
}
