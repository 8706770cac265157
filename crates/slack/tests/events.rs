//! Events through the signed `/slack/events` endpoint: removing the kudos reaction takes the kudos
//! back, and opening the App Home tab publishes the viewer's home. A real SQLite store and the
//! recording fake of the Slack Web API on loopback.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{Account, NewDepartment, Platform};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde_json::{Value, json};
use support::harness::{Harness, harness_with};

const BOBS_MESSAGE: &str = "1741082000.000100";
const ADAS_MESSAGE: &str = "1741082100.000200";

async fn harness() -> Harness {
    let h = harness_with(|s| s.kudos_reaction = Some("raised_hands".into())).await;
    h.fake.add_user("U1", "Ada", "Europe/Berlin");
    h.fake.add_user("U2", "Bob", "Europe/Berlin");
    h.fake.add_user("U3", "Carol", "Europe/Berlin");
    h.fake.add_message(
        "C0GENERAL",
        json!({"type": "message", "user": "U2", "ts": BOBS_MESSAGE, "text": "I fixed the flaky build"}),
    );
    h.fake.add_message(
        "C0GENERAL",
        json!({"type": "message", "user": "U1", "ts": ADAS_MESSAGE, "text": "Release notes are out"}),
    );
    h
}

/// A `reaction_added` or `reaction_removed` event, shaped like Slack's documented examples.
fn reaction(kind: &str, user: &str, emoji: &str, author: &str, ts: &str) -> Value {
    json!({
        "type": kind,
        "user": user,
        "reaction": emoji,
        "item_user": author,
        "item": {"type": "message", "channel": "C0GENERAL", "ts": ts},
        "event_ts": "1741082400.000100",
    })
}

fn added(user: &str, author: &str, ts: &str) -> Value {
    reaction("reaction_added", user, "raised_hands", author, ts)
}

fn removed(user: &str, author: &str, ts: &str) -> Value {
    reaction("reaction_removed", user, "raised_hands", author, ts)
}

/// Slack's documented `app_home_opened` example, for `user`.
fn home_opened(user: &str) -> Value {
    json!({
        "type": "app_home_opened",
        "user": user,
        "channel": "D0LAN2Q65",
        "event_ts": "1515449522000016",
        "tab": "home",
        "view": {"id": "VPASKP233", "type": "home", "blocks": []},
    })
}

impl Harness {
    /// Lets work the adapter does after answering Slack finish.
    async fn settle(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

fn texts(blocks: &Value) -> String {
    let mut out = Vec::new();
    for b in blocks.as_array().unwrap() {
        if let Some(t) = b["text"]["text"].as_str() {
            out.push(t.to_string());
        }
        for f in b["fields"].as_array().into_iter().flatten() {
            out.push(f["text"].as_str().unwrap_or_default().to_string());
        }
        for e in b["elements"].as_array().into_iter().flatten() {
            out.push(e["text"].as_str().unwrap_or_default().to_string());
        }
    }
    out.join("\n")
}

// ---------------------------------------------------------------- kudos reaction removed

#[tokio::test]
async fn removing_the_kudos_reaction_takes_the_kudos_back() {
    let h = harness().await;
    h.post_event("EvA1", added("U1", "U2", BOBS_MESSAGE)).await;
    h.fake
        .wait_for("the kudos and the giver's note", |s| {
            s.posts.len() == 1 && s.ephemerals.len() == 1
        })
        .await;
    assert_eq!(h.all_kudos().await.len(), 1);

    // Ada takes her reaction off (with a skin tone, which does not matter).
    h.post_event(
        "EvA2",
        reaction(
            "reaction_removed",
            "U1",
            "raised_hands::skin-tone-2",
            "U2",
            BOBS_MESSAGE,
        ),
    )
    .await;
    h.fake
        .wait_for("the taken-back note", |s| s.ephemerals.len() == 2)
        .await;
    assert!(h.all_kudos().await.is_empty());
    let note = &h.fake.ephemerals()[1];
    assert_eq!(note["user"], "U1");
    assert_eq!(note["channel"], "C0GENERAL");
    let text = note["text"].as_str().unwrap();
    assert!(text.contains("taken back"), "{text}");
    assert!(text.contains("<@U2>"), "{text}");
    assert!(text.contains("I fixed the flaky build"), "{text}");
    // Bob's own view agrees: nothing received.
    let (status, mine) = h.command(("U2", "U2"), "C0GENERAL", "/kudos", "mine").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        texts(&mine["blocks"]).contains("No kudos received yet"),
        "{mine}"
    );
    assert_eq!(
        h.program
            .store
            .kudos_counts(
                h.program
                    .store
                    .find_person(&Account::new(Platform::Slack, "U1"))
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            )
            .await
            .unwrap(),
        (0, 0)
    );

    // Adding it again gives the kudos again, once despite a retried delivery.
    h.post_event("EvA3", added("U1", "U2", BOBS_MESSAGE)).await;
    h.post_event("EvA3", added("U1", "U2", BOBS_MESSAGE)).await;
    h.fake
        .wait_for("the second kudos", |s| s.posts.len() == 2)
        .await;
    h.settle().await;
    assert_eq!(h.all_kudos().await.len(), 1);
    assert_eq!(h.fake.posts().len(), 2);
}

#[tokio::test]
async fn the_same_reaction_twice_counts_once() {
    // Two deliveries of one gesture with different event ids (two emoji skin tones, say).
    let h = harness().await;
    h.post_event("EvD1", added("U1", "U2", BOBS_MESSAGE)).await;
    h.fake.wait_for("the kudos", |s| s.posts.len() == 1).await;
    h.post_event(
        "EvD2",
        reaction(
            "reaction_added",
            "U1",
            "raised_hands::skin-tone-3",
            "U2",
            BOBS_MESSAGE,
        ),
    )
    .await;
    h.settle().await;
    assert_eq!(h.all_kudos().await.len(), 1);
    assert_eq!(h.fake.posts().len(), 1, "no second public kudos");
    assert_eq!(h.fake.ephemerals().len(), 1, "no second note");
}

#[tokio::test]
async fn a_removal_without_a_matching_kudos_does_nothing() {
    let h = harness().await;
    // A reaction from before the feature (or before the bot was added) is removed.
    h.post_event("EvN1", removed("U1", "U2", BOBS_MESSAGE))
        .await;
    // A kudos refused (to yourself) leaves nothing to take back.
    h.post_event("EvN2", added("U1", "U1", ADAS_MESSAGE)).await;
    h.fake
        .wait_for("the refusal", |s| s.ephemerals.len() == 1)
        .await;
    h.post_event("EvN3", removed("U1", "U1", ADAS_MESSAGE))
        .await;
    // Another emoji removed is not the kudos reaction.
    h.post_event(
        "EvN4",
        reaction("reaction_removed", "U1", "tada", "U2", BOBS_MESSAGE),
    )
    .await;
    h.settle().await;
    assert!(h.all_kudos().await.is_empty());
    assert!(h.fake.posts().is_empty());
    let notes = h.fake.ephemerals();
    assert_eq!(notes.len(), 1, "only the refusal: {notes:?}");
    assert!(notes[0]["text"].as_str().unwrap().contains("yourself"));
}

#[tokio::test]
async fn a_removal_by_someone_else_leaves_the_kudos() {
    let h = harness().await;
    h.post_event("EvS1", added("U1", "U2", BOBS_MESSAGE)).await;
    h.post_event("EvS2", added("U3", "U2", BOBS_MESSAGE)).await;
    h.fake
        .wait_for("both kudos", |s| {
            s.posts.len() == 2 && s.ephemerals.len() == 2
        })
        .await;
    assert_eq!(h.all_kudos().await.len(), 2);
    // Carol takes hers back: Ada's stays.
    h.post_event("EvS3", removed("U3", "U2", BOBS_MESSAGE))
        .await;
    h.fake
        .wait_for("Carol's note", |s| s.ephemerals.len() == 3)
        .await;
    let left = h.all_kudos().await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].giver.display_name, "Ada");
    assert_eq!(h.fake.ephemerals()[2]["user"], "U3");
    // A removal Carol already made, delivered again with another id, takes nothing more.
    h.post_event("EvS4", removed("U3", "U2", BOBS_MESSAGE))
        .await;
    h.settle().await;
    assert_eq!(h.all_kudos().await.len(), 1);
    assert_eq!(h.fake.ephemerals().len(), 3);
}

// ---------------------------------------------------------------- App Home

/// Finance (EMEA) with Bob as its ambassador since 2024-12-02, Legal (EMEA, 300 people) without.
async fn program_with_bob_in_finance(h: &Harness) {
    let store = &h.program.store;
    let mut ids = Vec::new();
    for (name, headcount) in [("Finance", 120), ("Legal", 300)] {
        ids.push(
            store
                .add_department(&NewDepartment {
                    name: name.into(),
                    region: "EMEA".into(),
                    headcount: Some(headcount),
                })
                .await
                .unwrap()
                .id,
        );
    }
    let bob = store
        .ensure_person(&Account::new(Platform::Slack, "U2"), "Bob")
        .await
        .unwrap();
    store
        .add_ambassador(
            bob.id,
            ids[0],
            "Europe/Berlin",
            NaiveDate::from_ymd_opt(2024, 12, 2).unwrap(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn opening_the_home_tab_publishes_the_viewers_kudos_and_status_once() {
    let h = harness().await;
    program_with_bob_in_finance(&h).await;
    h.command(
        ("U1", "U1"),
        "C0GENERAL",
        "/kudos",
        "<@U2|bob> for the release checklist",
    )
    .await;
    let body = h.event_body("EvH1", home_opened("U2"));
    let first = h.signed("/slack/events", "application/json", &body);
    assert_eq!(h.send(first).await.0, StatusCode::OK);
    // Slack retries the delivery: published once all the same.
    let mut again = h.signed("/slack/events", "application/json", &body);
    again
        .headers_mut()
        .insert("x-slack-retry-num", "1".parse().unwrap());
    again
        .headers_mut()
        .insert("x-slack-retry-reason", "http_timeout".parse().unwrap());
    assert_eq!(h.send(again).await.0, StatusCode::OK);
    h.fake
        .wait_for("the Home tab", |s| !s.published.is_empty())
        .await;
    h.settle().await;
    let published = h.fake.published();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["user_id"], "U2");
    assert_eq!(published[0]["view"]["type"], "home");
    let text = texts(&published[0]["view"]["blocks"]);
    for wanted in [
        "Hi Bob!",
        "*Received*\n1",
        "*Given*\n0",
        "the release checklist",
        "<@U1>",
        "*Department*\nFinance",
        "*Region*\nEMEA",
        "*Ambassador since*\n2024-12-02",
        "*Status*\nActive",
        // The default schedule: Mondays 09:00 in the ambassador's zone.
        "Next check-in: Monday 10 March, 09:00 (Europe/Berlin)",
    ] {
        assert!(text.contains(wanted), "{wanted:?} in {text}");
    }
    assert!(!text.contains("Coverage at a glance"), "{text}");
    assert!(
        h.fake
            .with(|s| s.posts.is_empty() && s.ephemerals.is_empty()),
        "the home is a view, not a message"
    );
}

#[tokio::test]
async fn the_office_sees_coverage_and_a_member_sees_how_to_join() {
    let h = harness().await;
    program_with_bob_in_finance(&h).await;
    h.fake.add_user("UOFFICE", "Olivia", "Europe/Berlin");
    h.post_event("EvO1", home_opened("UOFFICE")).await;
    h.post_event("EvO2", home_opened("U3")).await;
    h.fake
        .wait_for("two Home tabs", |s| s.published.len() == 2)
        .await;
    let published = h.fake.published();
    let of = |user: &str| {
        published
            .iter()
            .find(|p| p["user_id"] == user)
            .unwrap_or_else(|| panic!("no Home tab for {user}"))
    };
    let office = texts(&of("UOFFICE")["view"]["blocks"]);
    for wanted in [
        "Coverage at a glance",
        "*Departments with an ambassador*\n1 of 2 (50%)",
        "*Active ambassadors*\n1",
        // Bob started three months ago and has done nothing the bot knows of.
        "*Silent ambassadors*\n1 (nothing in 60 days)",
        "Uncovered: Legal",
        "`/ambassadors coverage`",
    ] {
        assert!(office.contains(wanted), "{wanted:?} in {office}");
    }
    insta::assert_json_snapshot!("office_home_view", of("UOFFICE")["view"]);

    let member = texts(&of("U3")["view"]["blocks"]);
    for wanted in [
        "Hi Carol!",
        "You are not an ambassador",
        "`/ambassadors who &lt;department&gt;`",
        "`/ambassadors apply`",
    ] {
        assert!(member.contains(wanted), "{wanted:?} in {member}");
    }
    assert!(!member.contains("Coverage at a glance"), "{member}");

    // A button on the Home tab (no response URL there) answers by direct message.
    assert_eq!(
        press_on_home(
            &h,
            &of("UOFFICE")["view"]["blocks"],
            "Coverage report",
            "home"
        )
        .await,
        StatusCode::OK
    );
    h.fake
        .wait_for("the coverage report by direct message", |s| {
            s.posts.iter().any(|p| {
                p["channel"] == "UOFFICE"
                    && texts(&p["blocks"]).contains("Coverage — whole organization")
            })
        })
        .await;
}

#[tokio::test]
async fn the_home_tab_shows_an_ambassador_their_requests_and_the_office_those_waiting() {
    use chrono::Duration;
    let h = harness().await;
    program_with_bob_in_finance(&h).await;
    let bob = ("U2", "bob");
    let office = ("UOFFICE", "olivia");
    let run = |who: (&'static str, &'static str), text: &'static str| {
        let h = &h;
        async move {
            let (status, body) = h.command(who, "C1", "/ambassadors", text).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!texts(&body["blocks"]).contains("Sorry"), "{text}: {body}");
        }
    };
    // An old need, done more than 30 days ago: no longer on the page.
    run(bob, "ask An old need for a wiki").await;
    run(office, "status 1 done The wiki is up").await;
    h.clock.advance(Duration::days(31));
    run(bob, "ask Slides for the InnerSource pitch").await;
    run(bob, "ask A budget for the hackathon").await;
    run(office, "reply 3 We ask finance on Friday.").await;
    run(office, "status 2 done The slides are in the shared drive.").await;
    run(bob, "ask A room for office hours").await;
    // Six days later #4 has had no answer: longer than the five days the office has.
    h.clock.advance(Duration::days(6));

    h.post_event("EvR1", home_opened("U2")).await;
    h.post_event("EvR2", home_opened("UOFFICE")).await;
    h.fake
        .wait_for("two Home tabs", |s| s.published.len() == 2)
        .await;
    let published = h.fake.published();
    let of = |user: &str| {
        published
            .iter()
            .find(|p| p["user_id"] == user)
            .unwrap_or_else(|| panic!("no Home tab for {user}"))["view"]
            .clone()
    };
    let page = texts(&of("U2")["blocks"]);
    for wanted in [
        "Your requests",
        "*#4* · *new* · asked 2025-04-04: _A room for office hours_ — no answer yet",
        "*#3* · *acknowledged* · asked 2025-04-04: _A budget for the hackathon_ — the office: We ask finance on Friday.",
        "*#2* · *done* 2025-04-04 · asked 2025-04-04: _Slides for the InnerSource pitch_ — note: The slides are in the shared drive.",
        "`/ambassadors reply N &lt;text&gt;`",
    ] {
        assert!(page.contains(wanted), "{wanted:?} in {page}");
    }
    assert!(!page.contains("old need"), "{page}");
    assert!(page.find("*#4*").unwrap() < page.find("*#2*").unwrap());
    assert!(of("U2")["blocks"].as_array().unwrap().len() < 40);

    let glance = texts(&of("UOFFICE")["blocks"]);
    assert!(
        glance.contains(
            "2 open requests, 1 waiting for a first answer for more than 5 days: `/ambassadors requests --oldest`"
        ),
        "{glance}"
    );
    // Its Requests button lists them, oldest first, by direct message.
    assert_eq!(
        press_on_home(&h, &of("UOFFICE")["blocks"], "Requests", "requests").await,
        StatusCode::OK
    );
    h.fake
        .wait_for("the open requests by direct message", |s| {
            s.posts.iter().any(|p| {
                p["channel"] == "UOFFICE" && texts(&p["blocks"]).contains("Requests — open (2)")
            })
        })
        .await;
    let list = h
        .fake
        .posts()
        .into_iter()
        .find(|p| texts(&p["blocks"]).contains("Requests — open (2)"))
        .unwrap();
    let shown = texts(&list["blocks"]);
    assert!(
        shown.find("*#3*").unwrap() < shown.find("*#4*").unwrap(),
        "oldest first: {shown}"
    );
}

/// Presses the button labelled `label` among the Home tab's `blocks`, as the office, the way
/// Slack reports a press there (a view, no response URL); `trigger` ends its trigger id.
async fn press_on_home(h: &Harness, blocks: &Value, label: &str, trigger: &str) -> StatusCode {
    let button = blocks
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .find(|e| e["text"]["text"] == label)
        .unwrap_or_else(|| panic!("a {label} button"));
    h.interact(json!({
        "type": "block_actions",
        "user": {"id": "UOFFICE", "username": "olivia", "name": "olivia", "team_id": "T0001"},
        "team": {"id": "T0001", "domain": "example"},
        "api_app_id": "A123456",
        "container": {"type": "view", "view_id": "VPASKP233"},
        "trigger_id": format!("12321423423.333649436676.{trigger}"),
        "view": {"id": "VPASKP233", "type": "home", "blocks": []},
        "actions": [{"action_id": button["action_id"], "value": button["value"], "type": "button"}],
    }))
    .await
    .0
}
