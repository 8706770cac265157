//! The Web API client and the outbox messenger against the recording fake: errors mapped the way
//! the outbox needs them, a burst of 429s ridden out through the core dispatcher, and the digest
//! rendered as Block Kit.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, Destination, DigestSettings, DispatchSettings, Dispatcher, Effects, ManualClock,
    Message, Messenger, NewDepartment, NewKudos, OutboxStatus, Outgoing, Platform, Program, Rich,
    SendError, Settings,
};
use ambassador_slack::{SlackClient, SlackMessenger, render, verify::Secret};
use ambassador_store::SqlStore;
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;
use support::{FakeSlack, TOKEN};

fn messenger(fake: &FakeSlack, token: &str) -> SlackMessenger {
    SlackMessenger::new(SlackClient::new(&fake.base, Secret::new(token)))
}

fn outgoing(key: &str, to: Destination, text: &str) -> Outgoing {
    Outgoing {
        key: key.into(),
        to,
        message: Message::text(text),
    }
}

fn dm(id: &str) -> Destination {
    Destination::Direct(Account::new(Platform::Slack, id))
}

#[tokio::test]
async fn direct_messages_go_to_the_user_id_and_rooms_to_the_channel() {
    let fake = FakeSlack::start().await;
    let m = messenger(&fake, TOKEN);
    m.send(&outgoing("k1", dm("U5"), "hello <you>"))
        .await
        .unwrap();
    let room = Destination::Room {
        platform: Platform::Slack,
        id: "C0DIGEST".into(),
    };
    m.send(&outgoing("k2", room, "digest")).await.unwrap();
    let posts = fake.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0]["channel"], "U5");
    assert_eq!(posts[0]["text"], "hello &lt;you&gt;");
    assert_eq!(posts[0]["blocks"][0]["type"], "section");
    assert_eq!(posts[1]["channel"], "C0DIGEST");
}

#[tokio::test]
async fn slack_answers_become_the_right_send_errors() {
    let fake = FakeSlack::start().await;
    let m = messenger(&fake, TOKEN);
    fake.with(|s| s.rate_limit_next = 1);
    fake.with(|s| s.retry_after_secs = 7);
    match m.send(&outgoing("a", dm("U1"), "x")).await {
        Err(SendError::RateLimited(d)) => assert_eq!(d, std::time::Duration::from_secs(7)),
        other => panic!("{other:?}"),
    }
    fake.with(|s| s.fail_next = Some("channel_not_found".into()));
    assert!(
        matches!(m.send(&outgoing("b", dm("U1"), "x")).await, Err(SendError::Permanent(e)) if e.contains("channel_not_found"))
    );
    fake.with(|s| s.fail_next = Some("ratelimited".into()));
    assert!(matches!(
        m.send(&outgoing("c", dm("U1"), "x")).await,
        Err(SendError::RateLimited(_))
    ));
    fake.with(|s| s.fail_next = Some("internal_error".into()));
    assert!(matches!(
        m.send(&outgoing("d", dm("U1"), "x")).await,
        Err(SendError::Transient(_))
    ));
    fake.with(|s| s.unavailable_next = true);
    assert!(matches!(
        m.send(&outgoing("e", dm("U1"), "x")).await,
        Err(SendError::Transient(_))
    ));
    let wrong_token = messenger(&fake, "xoxb-wrong");
    assert!(
        matches!(wrong_token.send(&outgoing("f", dm("U1"), "x")).await, Err(SendError::Permanent(e)) if e.contains("invalid_auth"))
    );
    let matrix = Destination::Direct(Account::new(Platform::Matrix, "@a:b"));
    assert!(matches!(
        m.send(&outgoing("g", matrix, "x")).await,
        Err(SendError::Permanent(_))
    ));
    assert!(fake.posts().is_empty());

    // Nobody listening: a network error is transient.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    drop(listener);
    let down = SlackMessenger::new(SlackClient::new(&base, Secret::new(TOKEN)));
    assert!(matches!(
        down.send(&outgoing("h", dm("U1"), "x")).await,
        Err(SendError::Transient(_))
    ));
}

#[tokio::test]
async fn user_info_is_cached() {
    let fake = FakeSlack::start().await;
    fake.add_user("U5", "Ada Lovelace", "Europe/Berlin");
    let client = SlackClient::new(&fake.base, Secret::new(TOKEN));
    let ada = client.user("U5").await.unwrap();
    assert_eq!(ada.name, "Ada Lovelace");
    assert_eq!(ada.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(client.user("U5").await.unwrap(), ada);
    assert!(client.user("U404").await.is_err());
    let calls = fake.with(|s| s.calls.clone());
    assert_eq!(
        calls,
        ["users.info", "users.info"],
        "the second U5 came from the cache"
    );
    assert_eq!(client.bot_user_id().await.unwrap(), "UBOT");
}

#[tokio::test]
async fn a_long_message_resumes_after_a_rate_limit_without_repeating_parts() {
    let fake = FakeSlack::start().await;
    let m = messenger(&fake, TOKEN);
    let items: Vec<Rich> = (0..300)
        .map(|i| Rich::text(format!("line {i:03} {}", "z".repeat(80))))
        .collect();
    let message = Outgoing {
        key: "long".into(),
        to: dm("U1"),
        message: Message::new().heading("Long").list(items),
    };
    let parts = render(&message.message).len();
    assert!(parts >= 3);
    // The second part is refused once.
    fake.with(|s| s.rate_limit_at_post = Some(1));
    let mut attempts = 0;
    loop {
        attempts += 1;
        match m.send(&message).await {
            Ok(()) => break,
            Err(SendError::RateLimited(_)) => continue,
            Err(e) => panic!("{e}"),
        }
    }
    let posts = fake.posts();
    assert_eq!(
        posts.len(),
        parts,
        "every part exactly once (attempts: {attempts})"
    );
    let lines: usize = posts
        .iter()
        .map(|p| p.to_string().matches("line ").count())
        .sum();
    assert!(lines >= 300);
}

#[tokio::test]
async fn a_burst_of_429s_is_ridden_out_through_the_dispatcher() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open(
        &format!("sqlite://{}", dir.path().join("o.db").display()),
        4,
    )
    .await
    .unwrap();
    let start = Utc.with_ymd_and_hms(2025, 3, 4, 9, 0, 0).unwrap();
    let clock = ManualClock::new(start);
    let outbox: Vec<Outgoing> = (0..40)
        .map(|i| {
            outgoing(
                &format!("checkin-prompt/{i}"),
                dm(&format!("U{i:03}")),
                &format!("prompt {i}"),
            )
        })
        .collect();
    store
        .apply(
            &Effects {
                outbox,
                ..Effects::default()
            },
            start,
        )
        .await
        .unwrap();
    // Slack refuses 25 sends in a row, then again 10 after a while.
    fake.with(|s| {
        s.rate_limit_next = 25;
        s.retry_after_secs = 2;
    });
    let dispatcher = Dispatcher::new(
        messenger(&fake, TOKEN),
        DispatchSettings {
            batch: 10,
            ..DispatchSettings::default()
        },
    );
    let mut rounds = 0;
    let mut second_burst = false;
    loop {
        rounds += 1;
        assert!(rounds < 500, "the outbox never drained");
        let report = dispatcher.dispatch_once(&store, &clock).await.unwrap();
        if !second_burst && fake.with(|s| s.posts.len()) >= 20 {
            second_burst = true;
            fake.with(|s| s.rate_limit_next = 10);
        }
        if report.claimed == 0 && report.rate_limited_until.is_none() {
            let stats = store
                .outbox_items(&[OutboxStatus::Pending], 100)
                .await
                .unwrap();
            if stats.is_empty() {
                break;
            }
        }
        clock.advance(Duration::seconds(1));
    }
    let posts = fake.posts();
    let mut channels: Vec<String> = posts
        .iter()
        .map(|p| p["channel"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(channels.len(), 40, "no loss, no duplicates");
    channels.sort();
    channels.dedup();
    assert_eq!(channels.len(), 40);
    let failed = store
        .outbox_items(&[OutboxStatus::Failed], 100)
        .await
        .unwrap();
    assert!(failed.is_empty());
    let refused = fake.with(|s| s.calls.len()) - 40;
    assert_eq!(
        refused, 35,
        "each refusal paused the dispatcher instead of hammering Slack"
    );
}

#[tokio::test]
async fn the_digest_renders_as_block_kit() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open(
        &format!("sqlite://{}", dir.path().join("d.db").display()),
        4,
    )
    .await
    .unwrap();
    let friday = Utc.with_ymd_and_hms(2025, 3, 7, 15, 0, 0).unwrap();
    let eng = store
        .add_department(&NewDepartment {
            name: "Platform Engineering".into(),
            region: "EMEA".into(),
            headcount: Some(300),
        })
        .await
        .unwrap();
    store
        .add_department(&NewDepartment {
            name: "Sales".into(),
            region: "Americas".into(),
            headcount: None,
        })
        .await
        .unwrap();
    let person = |id: &str, name: &str| {
        let store = &store;
        let account = Account::new(Platform::Slack, id);
        let name = name.to_string();
        async move { store.ensure_person(&account, &name).await.unwrap() }
    };
    let ada = person("U1", "Ada").await;
    let bob = person("U2", "Bob <the builder>").await;
    let eve = person("U3", "Eve").await;
    store
        .add_ambassador(
            bob.id,
            eng.id,
            "Europe/Berlin",
            friday.date_naive() - Duration::days(30),
        )
        .await
        .unwrap();
    for (giver, receivers, reason, hours) in [
        (
            &ada,
            vec![bob.id],
            "running the InnerSource workshop & answering every question",
            50,
        ),
        (
            &eve,
            vec![bob.id, ada.id],
            "reviewing 12 pull requests in <24h",
            30,
        ),
    ] {
        store
            .record_kudos(
                &NewKudos {
                    giver: giver.id,
                    receivers,
                    reason: reason.into(),
                    tags: vec![],
                    given_at: friday - Duration::hours(hours),
                    room: "C0GENERAL".into(),
                    source: None,
                },
                100,
                friday - Duration::days(7),
            )
            .await
            .unwrap();
    }
    let settings = Settings {
        digest: DigestSettings {
            channels: vec![Destination::Room {
                platform: Platform::Slack,
                id: "C0DIGEST".into(),
            }],
            ..DigestSettings::default()
        },
        ..Settings::default()
    };
    let program = Program::new(store, Arc::new(ManualClock::new(friday)), settings);
    let effects = program.plan_digest(friday).await.unwrap();
    let digest = &effects.outbox.first().expect("a digest").message;
    let rendered = render(digest);
    assert_eq!(rendered.len(), 1);
    // As the JSON Slack receives (keys in order: the wire does not order them).
    insta::assert_json_snapshot!("digest", serde_json::to_value(&rendered[0]).unwrap());
}

/// Every answer the fakes give (`ambassador_slack::testing`) reads into slack-morphism's model of
/// that method's answer; a write whose answer did not read would otherwise pass unnoticed (a
/// write Slack accepted counts as delivered even when its answer does not read).
#[test]
fn the_fakes_answer_in_slacks_shapes() {
    use ambassador_slack::testing::{ok_answer, user};
    use serde_json::json;
    use slack_morphism::prelude::*;
    let message = json!({"channel": "D1", "text": "hi", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]});
    let read =
        |method: &str, args: &serde_json::Value| ok_answer(method, args, "1.000001").unwrap();
    serde_json::from_value::<SlackApiAuthTestResponse>(read("auth.test", &json!({}))).unwrap();
    let posted: SlackApiChatPostMessageResponse =
        serde_json::from_value(read("chat.postMessage", &message)).unwrap();
    assert_eq!(posted.message.content.text.as_deref(), Some("hi"));
    serde_json::from_value::<SlackApiChatPostEphemeralResponse>(read(
        "chat.postEphemeral",
        &json!({}),
    ))
    .unwrap();
    let home = json!({"user_id": "U1", "view": {"type": "home", "blocks": message["blocks"]}});
    serde_json::from_value::<SlackApiViewsPublishResponse>(read("views.publish", &home)).unwrap();
    let modal = json!({"trigger_id": "1.2", "view": {"type": "modal",
        "title": {"type": "plain_text", "text": "Apply"}, "blocks": message["blocks"]}});
    serde_json::from_value::<SlackApiViewsOpenResponse>(read("views.open", &modal)).unwrap();
    let ada: SlackApiUsersInfoResponse = serde_json::from_value(
        json!({"ok": true, "user": user("U5", "Ada Lovelace", Some("Europe/Berlin"))}),
    )
    .unwrap();
    assert_eq!(ada.user.tz.as_deref(), Some("Europe/Berlin"));
}

/// With rate control on (as `run` has it), `chat.postMessage` is paced at one a second, and a 429
/// is not retried inside the client: it reaches the outbox as "rate limited" with Slack's wait.
#[tokio::test]
async fn rate_control_paces_posts_and_leaves_a_429_to_the_outbox() {
    let fake = FakeSlack::start().await;
    let client = SlackClient::rate_controlled(&fake.base, Secret::new(TOKEN));
    assert_eq!(client.bot_user_id().await.unwrap(), "UBOT");
    let m = SlackMessenger::new(client);
    let started = std::time::Instant::now();
    m.send(&outgoing("a", dm("U1"), "first")).await.unwrap();
    m.send(&outgoing("b", dm("U2"), "second")).await.unwrap();
    let paced = started.elapsed();
    assert!(
        paced >= std::time::Duration::from_millis(900),
        "two posts in {paced:?}"
    );
    assert_eq!(fake.posts().len(), 2);

    fake.with(|s| {
        s.rate_limit_next = 1;
        s.retry_after_secs = 7;
    });
    match m.send(&outgoing("c", dm("U1"), "third")).await {
        Err(SendError::RateLimited(d)) => assert_eq!(d, std::time::Duration::from_secs(7)),
        other => panic!("{other:?}"),
    }
    let posts = fake.with(|s| s.calls.iter().filter(|c| *c == "chat.postMessage").count());
    assert_eq!(posts, 3, "the 429 was not retried by the client");
}
