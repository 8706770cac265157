//! End to end through the Slack endpoints with correctly signed requests, a real SQLite store and a
//! recording fake of the Slack Web API on loopback.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, CheckinFilter, Effects, NewCheckin, NewDepartment, Platform, Program,
};
use ambassador_slack::{SlackApp, SlackSettings, router, verify::Secret};
use ambassador_store::SqlStore;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use support::harness::{Harness, harness, harness_with, inputs, start_time};
use support::{SIGNING_SECRET, TOKEN};
use tower::ServiceExt;

fn block_texts(v: &Value) -> String {
    v["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn kudos_answer_in_channel_naming_the_receiver() {
    let h = harness().await;
    let (status, body) = h
        .command(
            ("U1", "ada"),
            "C0GENERAL",
            "/kudos",
            "<@U2|bob> for the great workshop",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_type"], "in_channel", "{body}");
    let text = block_texts(&body);
    assert!(text.contains("<@U2>"), "{text}");
    assert!(text.contains("great workshop"), "{text}");
    assert!(body["text"].as_str().unwrap().contains("<@U2>"));
    let kudos = h.all_kudos().await;
    assert_eq!(kudos.len(), 1);
    assert_eq!(kudos[0].receivers[0].display_name, "bob");
    assert_eq!(
        kudos[0].receivers[0].account,
        Account::new(Platform::Slack, "U2")
    );
    assert_eq!(kudos[0].room, "C0GENERAL");
    // The second reply (only for the giver) follows through the response URL.
    h.fake
        .wait_for("the private follow-up", |s| s.responses.len() == 1)
        .await;
    assert_eq!(h.fake.responses()[0].1["response_type"], "ephemeral");
}

#[tokio::test]
async fn a_signed_command_missing_what_slack_always_sends_is_answered_and_runs_nothing() {
    let h = harness().await;
    let body = h.command_body(
        ("U1", "ada"),
        "C0GENERAL",
        "/kudos",
        "<@U2|bob> for the great workshop",
    );
    let cut = body
        .split('&')
        .filter(|pair| !pair.starts_with("response_url="))
        .collect::<Vec<_>>()
        .join("&");
    assert_ne!(cut, body);
    let (status, answer) = h
        .send(h.signed("/slack/commands", "application/x-www-form-urlencoded", &cut))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["response_type"], "ephemeral", "{answer}");
    assert_eq!(
        answer["text"],
        "Sorry, I could not read that command. Please try again."
    );
    let kudos = h.all_kudos().await;
    assert!(kudos.is_empty(), "{kudos:?}");
}

#[tokio::test]
async fn coverage_report_is_ephemeral_block_kit() {
    let h = harness().await;
    for (name, region, headcount) in [
        ("Platform Engineering", "EMEA", Some(400)),
        ("R&D <Labs>", "EMEA", Some(120)),
        ("Sales", "Americas", None),
    ] {
        h.program
            .store
            .add_department(&NewDepartment {
                name: name.into(),
                region: region.into(),
                headcount,
            })
            .await
            .unwrap();
    }
    let (status, body) = h
        .command(
            ("UOFFICE", "olivia"),
            "C0GENERAL",
            "/ambassadors",
            "add <@U7|grace> \"Platform Engineering\" Europe/Berlin",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(block_texts(&body).contains("<@U7>"), "{body}");
    let (status, body) = h
        .command(
            ("UOFFICE", "olivia"),
            "C0GENERAL",
            "/ambassadors",
            "coverage",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_type"], "ephemeral");
    assert!(body["blocks"].as_array().unwrap().len() > 1);
    insta::assert_json_snapshot!("coverage_report", body);
}

#[tokio::test]
async fn unsigned_forged_and_replayed_requests_get_401() {
    let h = harness().await;
    let body = h.command_body(("U1", "ada"), "C1", "/kudos", "<@U2|bob> for tea");
    let unsigned = Request::post("/slack/commands")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(h.send(unsigned).await.0, StatusCode::UNAUTHORIZED);

    let mut forged = h.signed(
        "/slack/commands",
        "application/x-www-form-urlencoded",
        &body,
    );
    *forged.body_mut() = Body::from(body.replace("tea", "nothing"));
    assert_eq!(h.send(forged).await.0, StatusCode::UNAUTHORIZED);

    let truncated_body = &body[..body.len() / 2];
    let mut truncated = h.signed(
        "/slack/commands",
        "application/x-www-form-urlencoded",
        &body,
    );
    *truncated.body_mut() = Body::from(truncated_body.to_string());
    assert_eq!(h.send(truncated).await.0, StatusCode::UNAUTHORIZED);

    let replayed = h.signed(
        "/slack/events",
        "application/json",
        r#"{"type":"url_verification","challenge":"x"}"#,
    );
    h.clock.advance(Duration::minutes(6));
    assert_eq!(h.send(replayed).await.0, StatusCode::UNAUTHORIZED);

    let interaction = h.signed(
        "/slack/interactivity",
        "application/x-www-form-urlencoded",
        "payload=%7B%7D",
    );
    h.clock.advance(Duration::minutes(-12));
    assert_eq!(h.send(interaction).await.0, StatusCode::UNAUTHORIZED);

    // Nothing was recorded.
    let kudos = h.all_kudos().await;
    assert!(kudos.is_empty());
}

#[tokio::test]
async fn url_verification_answers_the_challenge() {
    let h = harness().await;
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let (status, answer) = h
        .send(h.signed("/slack/events", "application/json", body))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

/// An ambassador with an open check-in; returns their person id.
async fn open_checkin(h: &Harness, user: &str, name: &str) -> i64 {
    let store = &h.program.store;
    let dept = store
        .add_department(&NewDepartment {
            name: "Platform Engineering".into(),
            region: "EMEA".into(),
            headcount: Some(200),
        })
        .await
        .unwrap();
    let person = store
        .ensure_person(&Account::new(Platform::Slack, user), name)
        .await
        .unwrap();
    store
        .add_ambassador(
            person.id,
            dept.id,
            "Europe/Berlin",
            start_time().date_naive(),
        )
        .await
        .unwrap();
    store
        .apply(
            &Effects {
                open_checkins: vec![NewCheckin {
                    round: start_time().date_naive(),
                    person: person.id,
                    prompted_at: start_time(),
                    closes_at: start_time() + Duration::days(6),
                }],
                ..Effects::default()
            },
            start_time(),
        )
        .await
        .unwrap();
    person.id
}

#[tokio::test]
async fn a_direct_message_answers_the_open_checkin_once_despite_retries() {
    let h = harness().await;
    h.fake.add_user("U5", "Ada Lovelace", "Europe/Berlin");
    let person = open_checkin(&h, "U5", "ada").await;
    let event = json!({
        "type": "message",
        "channel": "D0ADA",
        "channel_type": "im",
        "user": "U5",
        "text": "We ran an InnerSource workshop &amp; two teams joined",
        "ts": "1741082400.000100",
        "event_ts": "1741082400.000100",
    });
    let body = h.event_body("Ev0ADA1", event);
    let (status, _) = h
        .send(h.signed("/slack/events", "application/json", &body))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Slack retries the same event (it thought the first delivery failed).
    for retry in 1..=2 {
        let mut again = h.signed("/slack/events", "application/json", &body);
        again
            .headers_mut()
            .insert("x-slack-retry-num", retry.to_string().parse().unwrap());
        again
            .headers_mut()
            .insert("x-slack-retry-reason", "http_timeout".parse().unwrap());
        assert_eq!(h.send(again).await.0, StatusCode::OK);
    }
    h.fake
        .wait_for("the reply to the answer", |s| !s.posts.is_empty())
        .await;
    let checkins = h
        .program
        .store
        .checkins(&CheckinFilter {
            person: Some(person),
            ..CheckinFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(checkins.len(), 1);
    assert_eq!(
        checkins[0].checkin.answer, "We ran an InnerSource workshop & two teams joined",
        "answered once, unescaped"
    );
    let posts = h.fake.posts();
    assert_eq!(posts.len(), 1, "one reply: {posts:?}");
    assert_eq!(posts[0]["channel"], "D0ADA");
    // The display name came from users.info.
    let ada = h
        .program
        .store
        .find_person(&Account::new(Platform::Slack, "U5"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada.display_name, "Ada Lovelace");
}

#[tokio::test]
async fn a_retry_that_reaches_another_replica_is_dropped_there() {
    let h = harness().await;
    h.fake.add_user("U5", "Ada Lovelace", "Europe/Berlin");
    let person = open_checkin(&h, "U5", "ada").await;
    // A second replica: its own process memory, the same database.
    let url = format!("sqlite://{}", h.dir.path().join("bot.db").display());
    let store = SqlStore::open(&url, 4).await.unwrap();
    let other = Arc::new(Program::new(
        store,
        h.clock.clone(),
        h.program.settings.clone(),
    ));
    let mut slack = SlackSettings::new(SIGNING_SECRET, TOKEN);
    slack.api_base = h.fake.base.clone();
    slack.bot_user_id = Some("UBOT".into());
    let replica = router(SlackApp::new(other, slack));

    let event = json!({
        "type": "message",
        "channel": "D0ADA",
        "channel_type": "im",
        "user": "U5",
        "text": "Two office hours this week",
        "ts": "1741082400.000200",
        "event_ts": "1741082400.000200",
    });
    let body = h.event_body("Ev0REPLICA", event);
    assert_eq!(
        h.send(h.signed("/slack/events", "application/json", &body))
            .await
            .0,
        StatusCode::OK
    );
    let mut retry = h.signed("/slack/events", "application/json", &body);
    retry
        .headers_mut()
        .insert("x-slack-retry-num", "1".parse().unwrap());
    let response = replica.clone().oneshot(retry).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    h.fake
        .wait_for("the reply to the answer", |s| !s.posts.is_empty())
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let checkins = h
        .program
        .store
        .checkins(&CheckinFilter {
            person: Some(person),
            ..CheckinFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(checkins[0].checkin.answer, "Two office hours this week");
    assert_eq!(h.fake.posts().len(), 1, "one reply: {:?}", h.fake.posts());
}

#[tokio::test]
async fn bot_messages_and_the_bots_own_are_ignored() {
    let h = harness().await;
    for (id, event) in [
        (
            "Ev1",
            json!({"type": "message", "channel": "D1", "channel_type": "im", "user": "UBOT", "text": "hello", "ts": "1741082400.000101"}),
        ),
        (
            "Ev2",
            json!({"type": "message", "channel": "D1", "channel_type": "im", "bot_id": "B1", "user": "U9", "text": "hello", "ts": "1741082400.000102"}),
        ),
        (
            "Ev3",
            json!({"type": "message", "subtype": "message_changed", "channel": "D1", "channel_type": "im", "text": "x", "ts": "1741082400.000103"}),
        ),
        (
            "Ev4",
            json!({"type": "app_home_opened", "user": "U9", "channel": "D1", "tab": "home"}),
        ),
    ] {
        let body = h.event_body(id, event);
        assert_eq!(
            h.send(h.signed("/slack/events", "application/json", &body))
                .await
                .0,
            StatusCode::OK
        );
    }
    // A person's message to the bot gets an answer (help, no check-in open).
    let body = h.event_body("Ev5", json!({"type": "message", "channel": "D1", "channel_type": "im", "user": "U9", "text": "hello", "ts": "1741082400.000105"}));
    assert_eq!(
        h.send(h.signed("/slack/events", "application/json", &body))
            .await
            .0,
        StatusCode::OK
    );
    h.fake.wait_for("the answer", |s| !s.posts.is_empty()).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let posts = h.fake.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts[0]["text"]
            .as_str()
            .unwrap()
            .contains("/ambassadors help")
    );
}

#[tokio::test]
async fn slow_answers_go_to_the_response_url() {
    let h = harness_with(|s| s.ack_deadline = std::time::Duration::ZERO).await;
    let (status, body) = h
        .command(
            ("U1", "ada"),
            "C0GENERAL",
            "/kudos",
            "<@U2|bob> for the great workshop",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::Null, "acknowledged at once with an empty body");
    h.fake
        .wait_for("the delayed answer", |s| !s.responses.is_empty())
        .await;
    h.fake
        .wait_for("both answers", |s| s.responses.len() == 2)
        .await;
    let responses = h.fake.responses();
    assert_eq!(responses[0].0, "1");
    assert_eq!(responses[0].1["response_type"], "in_channel");
    assert!(block_texts(&responses[0].1).contains("<@U2>"));
    // The giver's own note (kudos left today) stays private.
    assert_eq!(responses[1].1["response_type"], "ephemeral");
}

#[tokio::test]
async fn errors_are_ephemeral_never_500() {
    let h = harness().await;
    let (status, body) = h.command(("U1", "ada"), "C1", "/kudos", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_type"], "ephemeral");
    // A form Slack would never send: still a 200 with an ephemeral explanation.
    let (status, body) = h
        .send(h.signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            "text=hello",
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_type"], "ephemeral");
    // The store failing: the apology, ephemeral.
    h.program.store.close().await;
    let (status, body) = h
        .command(("U1", "ada"), "C1", "/kudos", "<@U2|bob> for tea")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_type"], "ephemeral");
    assert!(body["text"].as_str().unwrap().contains("Sorry"), "{body}");
}

#[tokio::test]
async fn interactivity_is_verified_and_acknowledged() {
    let h = harness().await;
    let payload = json!({"type": "block_actions", "user": {"id": "U1"}, "actions": []}).to_string();
    let body = serde_urlencoded::to_string([("payload", payload)]).unwrap();
    let (status, _) = h
        .send(h.signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            &body,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
}

impl Harness {
    /// Presses the button labelled `label` in `message` (a posted or acknowledged message), as
    /// `user`, the way Slack reports it.
    async fn press(
        &self,
        message: &Value,
        label: &str,
        user: (&str, &str),
        channel: &str,
    ) -> (StatusCode, Value) {
        let button = buttons(message)
            .into_iter()
            .find(|b| b["text"]["text"] == label)
            .unwrap_or_else(|| panic!("no button {label:?} in {message}"));
        self.interact(json!({
            "type": "block_actions",
            "user": {"id": user.0, "username": user.1, "name": user.1, "team_id": "T0001"},
            "api_app_id": "A123456",
            "token": "9s8d9as89d8as9d8as989",
            "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": channel, "is_ephemeral": false},
            "trigger_id": format!("12321423423.333649436676.{}", user.0),
            "team": {"id": "T0001", "domain": "example"},
            "channel": {"id": channel, "name": "directmessage"},
            "response_url": format!("{}/response/{}", self.fake.origin, user.0),
            "actions": [{
                "action_id": button["action_id"], "block_id": "=qXel", "text": button["text"],
                "value": button["value"], "type": "button",
                // Each press is its own: Slack stamps it (a repeated one would be a replay).
                "action_ts": format!("1548426417.{:06}", PRESSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
            }],
        }))
        .await
    }
}

/// Presses so far, to stamp each one.
static PRESSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The buttons of a Block Kit message.
fn buttons(message: &Value) -> Vec<Value> {
    message["blocks"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter(|b| b["type"] == "actions")
                .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

async fn platform_engineering(h: &Harness) -> ambassador_core::Department {
    h.program
        .store
        .add_department(&NewDepartment {
            name: "Platform Engineering".into(),
            region: "EMEA".into(),
            headcount: Some(200),
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_checkin_prompt_is_answered_through_its_modal() {
    use ambassador_core::{DispatchSettings, Dispatcher};
    use ambassador_slack::{SlackClient, SlackMessenger};
    let h = harness().await;
    let store = &h.program.store;
    let dept = platform_engineering(&h).await;
    let ada = store
        .ensure_person(&Account::new(Platform::Slack, "U5"), "Ada")
        .await
        .unwrap();
    store
        .add_ambassador(ada.id, dept.id, "Europe/Berlin", start_time().date_naive())
        .await
        .unwrap();
    // The scheduler sends Monday's prompt (09:00 in Berlin) through the outbox to Slack.
    h.program.tick().await.unwrap();
    h.clock
        .set(Utc.with_ymd_and_hms(2025, 3, 10, 8, 0, 30).unwrap());
    let report = h.program.tick().await.unwrap();
    assert!(
        report
            .ran
            .iter()
            .any(|(job, _)| job == "checkin-prompt@Europe/Berlin"),
        "{report:?}"
    );
    let dispatcher = Dispatcher::new(
        SlackMessenger::new(SlackClient::new(&h.fake.base, Secret::new(TOKEN))),
        DispatchSettings::default(),
    );
    dispatcher.dispatch_once(store, &*h.clock).await.unwrap();
    let prompt = h
        .fake
        .posts()
        .into_iter()
        .find(|p| p["channel"] == "U5")
        .expect("the prompt went to Ada");
    assert!(block_texts(&prompt).contains("What do you need from the program office?"));
    insta::assert_json_snapshot!("checkin_prompt", prompt);

    // "Answer" opens a modal with one field per question.
    let (status, _) = h.press(&prompt, "Answer", ("U5", "ada"), "D05").await;
    assert_eq!(status, StatusCode::OK);
    let opened = h.fake.views_opened();
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["trigger_id"], "12321423423.333649436676.U5");
    let view = &opened[0]["view"];
    assert_eq!(view["title"]["text"], "Check-in");
    assert_eq!(inputs(view), ["q1", "q2", "q3", "q4"]);
    insta::assert_json_snapshot!("checkin_modal", view);
    assert!(
        view["blocks"][1]["label"]["text"]
            .as_str()
            .unwrap()
            .contains("challenges")
    );

    // An empty form stays open with the error beside the first field; nothing is saved.
    let (status, body) = h.submit("U5", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(body["errors"]["q1"].as_str().unwrap().contains("empty"));
    let overlong = "x".repeat(4001);
    let (_, body) = h.submit("U5", &[("q2", &overlong)]).await;
    assert!(
        body["errors"]["q2"].as_str().unwrap().contains("4001"),
        "{body}"
    );

    let checkin = || async {
        store
            .checkins(&CheckinFilter::default())
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.ambassador.person.id == ada.id)
            .unwrap()
            .checkin
    };
    assert!(checkin().await.answer.is_empty());

    let values = [
        ("q1", "Two teams argue over who owns the CI templates."),
        ("q4", "A budget for an inner-source hackathon 🎉"),
    ];
    // A submission that does not read as slack-morphism's model (here without the team Slack
    // always names) keeps the modal open with an apology, and what was typed stays in it.
    let mut unreadable =
        ambassador_slack::testing::view_submission(&h.last_view(), ("U5", "U5"), &values);
    unreadable.as_object_mut().unwrap().remove("team");
    let (status, body) = h.interact(unreadable).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["q1"].as_str().unwrap().contains("Sorry"),
        "{body}"
    );
    assert!(checkin().await.answer.is_empty());

    let (status, body) = h.submit("U5", &values).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_null(), "the modal closes: {body}");
    let saved = checkin().await;
    assert_eq!(saved.status.as_str(), "answered");
    assert_eq!(
        saved.answer,
        "What challenges did you or your department meet?\nTwo teams argue over who owns the CI templates.\n\nWhat do you need from the program office?\nA budget for an inner-source hackathon 🎉"
    );
    h.fake
        .wait_for("the thank-you", |s| {
            s.posts
                .iter()
                .any(|p| p["channel"] == "U5" && block_texts(p).contains("Thank you!"))
        })
        .await;

    // The same form sent twice is kept once.
    h.submit("U5", &values).await;
    assert_eq!(checkin().await.answer, saved.answer);
}

#[tokio::test]
async fn an_application_sent_by_modal_is_approved_by_button() {
    let h = harness().await;
    platform_engineering(&h).await;
    h.fake.add_user("U7", "Carol", "Europe/Berlin");

    // `/ambassadors apply` opens the application modal instead of a conversation.
    let (status, body) = h
        .command(("U7", "carol"), "C1", "/ambassadors", "apply")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_null(), "no message, a modal: {body}");
    let opened = h.fake.views_opened();
    assert_eq!(opened.len(), 1);
    assert_eq!(
        inputs(&opened[0]["view"]),
        ["a1", "a2", "a3", "department", "time_zone"]
    );

    // A misspelt department is pointed out beside its field, with the closest name.
    let answers = [
        (
            "a1",
            "I want to help my team share the data tooling we built.",
        ),
        ("a2", "I maintain the shared notebook library."),
        ("a3", "A monthly office hour."),
        ("department", "Platfrom Enginering"),
    ];
    let (_, body) = h.submit("U7", &answers).await;
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["department"]
            .as_str()
            .unwrap()
            .contains("Platform Engineering"),
        "{body}"
    );
    assert!(body["errors"].get("a1").is_none());
    let mut answers = answers;
    answers[3].1 = "platform engineering";
    let (_, body) = h.submit("U7", &answers).await;
    assert!(body.is_null(), "{body}");
    h.deliver_outbox_until("the office's notice", |s| {
        s.posts.iter().any(|p| {
            p["channel"] == "UOFFICE" && block_texts(p).contains("New ambassador application")
        })
    })
    .await;

    // The office reviews; the view has Approve and Decline buttons.
    let (_, view) = h
        .command(("UOFFICE", "office"), "C1", "/ambassadors", "applications")
        .await;
    assert!(block_texts(&view).contains("monthly office hour"), "{view}");
    let labels: Vec<Value> = buttons(&view)
        .iter()
        .map(|b| b["text"]["text"].clone())
        .collect();
    assert_eq!(labels, [json!("Approve"), json!("Decline…")]);

    // A member who presses the button gets the office's refusal; nothing changes.
    h.press(&view, "Approve", ("U9", "mallory"), "C1").await;
    h.fake
        .wait_for("the refusal", |s| {
            s.responses
                .iter()
                .any(|(id, b)| id == "U9" && b.to_string().contains("Only the program office"))
        })
        .await;
    let carol = h
        .program
        .store
        .find_person(&Account::new(Platform::Slack, "U7"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        h.program
            .store
            .ambassador(carol.id)
            .await
            .unwrap()
            .is_none()
    );

    // The office approves: Carol is on the roster and welcomed; a second press changes nothing.
    h.press(&view, "Approve", ("UOFFICE", "office"), "C1").await;
    h.fake
        .wait_for("the approval", |s| {
            s.responses
                .iter()
                .any(|(id, b)| id == "UOFFICE" && b.to_string().contains("Approved"))
        })
        .await;
    let a = h.program.store.ambassador(carol.id).await.unwrap().unwrap();
    assert_eq!(a.department.name, "Platform Engineering");
    h.deliver_outbox_until("the welcome", |s| {
        s.posts
            .iter()
            .any(|p| p["channel"] == "U7" && block_texts(p).contains("Welcome, ambassador"))
    })
    .await;
    h.press(&view, "Approve", ("UOFFICE", "office"), "C1").await;
    h.fake
        .wait_for("the second answer", |s| {
            s.responses.iter().filter(|(id, _)| id == "UOFFICE").count() == 2
        })
        .await;
    let welcomes = h
        .fake
        .posts()
        .iter()
        .filter(|p| p["channel"] == "U7" && block_texts(p).contains("Welcome, ambassador"))
        .count();
    assert_eq!(welcomes, 1);
}

#[tokio::test]
async fn a_decline_asks_its_reason_in_a_modal() {
    let h = harness().await;
    platform_engineering(&h).await;
    h.command(("U8", "dave"), "C1", "/ambassadors", "apply")
        .await;
    let answers = [
        ("a1", "Because."),
        ("a2", "Not yet."),
        ("a3", "Ideas."),
        ("department", "Platform Engineering"),
    ];
    h.submit("U8", &answers).await;
    let (_, view) = h
        .command(("UOFFICE", "office"), "C1", "/ambassadors", "applications")
        .await;
    h.press(&view, "Decline…", ("UOFFICE", "office"), "C1")
        .await;
    let opened = h.fake.views_opened();
    assert_eq!(opened.len(), 2);
    assert_eq!(opened[1]["view"]["title"]["text"], "Decline application");
    assert_eq!(inputs(&opened[1]["view"]), ["reason"]);
    let (_, body) = h.submit("UOFFICE", &[("reason", "   ")]).await;
    assert!(body["errors"]["reason"].is_string(), "{body}");
    let (_, body) = h
        .submit(
            "UOFFICE",
            &[(
                "reason",
                "We have two ambassadors in Platform Engineering already.",
            )],
        )
        .await;
    assert!(body.is_null(), "{body}");
    h.deliver_outbox_until("the reason, to Dave", |s| {
        s.posts
            .iter()
            .any(|p| p["channel"] == "U8" && block_texts(p).contains("two ambassadors in Platform"))
    })
    .await;
    // A member cannot open the decline form.
    h.press(&view, "Decline…", ("U9", "mallory"), "C1").await;
    let opened = h.fake.views_opened();
    assert_eq!(opened.len(), 3);
    assert!(
        opened[2]["view"]["submit"].is_null(),
        "a notice, not a form"
    );
    assert!(
        opened[2]["view"]
            .to_string()
            .contains("Only the program office")
    );
}

fn reaction(user: &str, emoji: &str, author: &str, channel: &str, ts: &str) -> Value {
    // The shape of Slack's documented `reaction_added` example.
    json!({
        "type": "reaction_added",
        "user": user,
        "reaction": emoji,
        "item_user": author,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1741082400.000100",
    })
}

async fn reaction_harness() -> Harness {
    let h = harness_with(|s| s.kudos_reaction = Some("raised_hands".into())).await;
    h.fake.add_user("U1", "Ada", "Europe/Berlin");
    h.fake.add_user("U2", "Bob", "Europe/Berlin");
    h.fake.add_message(
        "C0GENERAL",
        json!({"type": "message", "user": "U2", "ts": "1741082000.000100", "text": "I fixed the flaky build &amp; the docs"}),
    );
    h.fake.add_message(
        "C0GENERAL",
        json!({"type": "message", "user": "U1", "ts": "1741082100.000200", "text": "Release notes are out"}),
    );
    // A reply in the thread of Bob's message, newer than both.
    h.fake.add_message(
        "C0GENERAL",
        json!({"type": "message", "user": "U2", "ts": "1741082200.000300", "thread_ts": "1741082000.000100", "text": "and the flaky test too"}),
    );
    h.fake.add_message(
        "C0GENERAL",
        json!({"type": "message", "user": "UBOT", "ts": "1741082300.000400", "text": "This week's kudos"}),
    );
    h
}

impl Harness {
    async fn react(&self, event_id: &str, event: Value) {
        let body = self.event_body(event_id, event);
        let (status, _) = self
            .send(self.signed("/slack/events", "application/json", &body))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_kudos_reaction_thanks_the_author_in_the_thread() {
    let h = reaction_harness().await;
    h.react(
        "EvR1",
        reaction("U1", "raised_hands", "U2", "C0GENERAL", "1741082000.000100"),
    )
    .await;
    h.fake
        .wait_for("the public kudos and the note", |s| {
            !s.posts.is_empty() && !s.ephemerals.is_empty()
        })
        .await;
    let kudos = h.all_kudos().await;
    assert_eq!(kudos.len(), 1, "{kudos:?}");
    assert_eq!(kudos[0].giver.account, Account::new(Platform::Slack, "U1"));
    assert_eq!(kudos[0].giver.display_name, "Ada");
    assert_eq!(
        kudos[0].receivers[0].account,
        Account::new(Platform::Slack, "U2")
    );
    assert_eq!(kudos[0].receivers[0].display_name, "Bob");
    assert!(
        kudos[0]
            .reason
            .contains("I fixed the flaky build & the docs"),
        "{}",
        kudos[0].reason
    );
    assert_eq!(kudos[0].room, "C0GENERAL");
    let posts = h.fake.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["channel"], "C0GENERAL");
    assert_eq!(posts[0]["thread_ts"], "1741082000.000100");
    assert!(
        posts[0]["text"].as_str().unwrap().contains("<@U2>"),
        "{}",
        posts[0]
    );
    assert!(
        block_texts(&posts[0]).contains("flaky build"),
        "{}",
        posts[0]
    );
    let notes = h.fake.ephemerals();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["channel"], "C0GENERAL");
    assert_eq!(notes[0]["user"], "U1");

    // A reply in a thread is not in the channel's history: found through conversations.replies,
    // and the kudos goes to the same thread. A retried delivery counts once.
    h.react(
        "EvR2",
        reaction(
            "U1",
            "raised_hands::skin-tone-2",
            "U2",
            "C0GENERAL",
            "1741082200.000300",
        ),
    )
    .await;
    h.react(
        "EvR2",
        reaction(
            "U1",
            "raised_hands::skin-tone-2",
            "U2",
            "C0GENERAL",
            "1741082200.000300",
        ),
    )
    .await;
    h.fake
        .wait_for("the second kudos", |s| s.posts.len() >= 2)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let kudos = h.all_kudos().await;
    assert_eq!(kudos.len(), 2, "{kudos:?}");
    assert!(
        kudos
            .iter()
            .any(|k| k.reason.contains("and the flaky test too"))
    );
    let posts = h.fake.posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[1]["thread_ts"], "1741082000.000100");
    assert!(
        h.fake
            .with(|s| s.calls.contains(&"conversations.replies".to_string()))
    );
}

#[tokio::test]
async fn other_reactions_and_reactions_to_the_bot_give_nothing() {
    let h = reaction_harness().await;
    h.react(
        "EvO1",
        reaction("U1", "tada", "U2", "C0GENERAL", "1741082000.000100"),
    )
    .await;
    h.react(
        "EvO2",
        reaction(
            "U1",
            "raised_hands",
            "UBOT",
            "C0GENERAL",
            "1741082300.000400",
        ),
    )
    .await;
    let mut on_a_file = reaction("U1", "raised_hands", "U2", "C0GENERAL", "1741082000.000100");
    on_a_file["item"] = json!({"type": "file", "file": "F0001"});
    h.react("EvO3", on_a_file).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(h.all_kudos().await.is_empty());
    assert!(h.fake.posts().is_empty());
    assert!(h.fake.ephemerals().is_empty());
    assert!(
        h.fake.with(|s| s.calls.is_empty()),
        "{:?}",
        h.fake.with(|s| s.calls.clone())
    );

    // Off by default: the configured emoji does nothing either.
    let off = harness().await;
    off.react(
        "EvO4",
        reaction("U1", "raised_hands", "U2", "C0GENERAL", "1741082000.000100"),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(off.all_kudos().await.is_empty());
    assert!(off.fake.with(|s| s.calls.is_empty()));
}

#[tokio::test]
async fn a_reaction_to_your_own_message_is_refused_to_you_alone() {
    let h = reaction_harness().await;
    h.react(
        "EvS1",
        reaction("U1", "raised_hands", "U1", "C0GENERAL", "1741082100.000200"),
    )
    .await;
    h.fake
        .wait_for("the refusal", |s| !s.ephemerals.is_empty())
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(h.all_kudos().await.is_empty());
    assert!(h.fake.posts().is_empty());
    let notes = h.fake.ephemerals();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["user"], "U1");
    assert_eq!(notes[0]["channel"], "C0GENERAL");
    assert!(
        notes[0]["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("yourself"),
        "{}",
        notes[0]
    );
}
