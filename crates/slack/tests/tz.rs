//! The Slack profile's time zone (`tz` of `users.info`): stored when the adapter first meets a
//! person and when it changes (`user_change`), without a `users.info` call per command; the
//! ambassador's own `/ambassadors timezone` wins over it; the application modal asks the zone,
//! prefilled from the profile. Signed requests against a real SQLite store and the recording fake
//! of the Slack Web API.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{Account, Ambassador, NewDepartment, Person, Platform};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::harness::{Harness, harness};

async fn person(h: &Harness, id: &str) -> Option<Person> {
    h.program
        .store
        .find_person(&Account::new(Platform::Slack, id))
        .await
        .unwrap()
}

async fn roster_entry(h: &Harness, id: &str) -> Option<Ambassador> {
    let p = person(h, id).await?;
    h.program.store.ambassador(p.id).await.unwrap()
}

/// Waits until `check` holds for the store (the adapter stores the zone after answering Slack).
async fn until<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Lets work the adapter does after answering Slack finish.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

fn users_info_calls(h: &Harness) -> usize {
    h.fake
        .with(|s| s.calls.iter().filter(|c| *c == "users.info").count())
}

/// A `user_change` event as Slack sends it: the whole user object, with the new `tz`.
fn user_change(id: &str, name: &str, tz: &str) -> Value {
    json!({
        "type": "user_change",
        "user": {"id": id, "name": name.to_lowercase(), "real_name": name, "tz": tz,
                 "tz_label": "", "tz_offset": 0, "is_bot": false,
                 "profile": {"display_name": name, "real_name": name}},
        "cache_ts": 1741082400,
        "event_ts": "1741082400.000100",
    })
}

fn text_of(body: &Value) -> String {
    body.to_string()
}

#[tokio::test]
async fn the_profile_zone_is_stored_on_first_sight_without_a_call_per_kudos() {
    let h = harness().await;
    h.fake.add_user("U1", "Ada", "America/New_York");
    for i in 0..3 {
        let (status, body) = h
            .command(
                ("U1", "ada"),
                "C0GENERAL",
                "/kudos",
                &format!("<@U2|bob> for release notes, part {i}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text_of(&body).contains("Kudos to <@U2> from <@U1>"),
            "{body}"
        );
    }
    until("Ada's profile zone in the store", || async {
        person(&h, "U1").await.and_then(|p| p.time_zone).as_deref() == Some("America/New_York")
    })
    .await;
    let ada = person(&h, "U1").await.unwrap();
    assert!(!ada.time_zone_chosen, "a profile's zone, not her choice");
    settle().await;
    // One look-up for the person, none per command; Bob, named in the mention, costs none.
    assert_eq!(users_info_calls(&h), 1);
    assert_eq!(h.all_kudos().await.len(), 3);
}

#[tokio::test]
async fn a_profile_change_moves_the_check_ins_until_the_ambassador_chooses_a_zone() {
    let h = harness().await;
    h.fake.add_user("U1", "Ada", "Europe/Berlin");
    h.fake.add_user("UOFFICE", "Office", "Europe/London");
    h.program
        .store
        .add_department(&NewDepartment {
            name: "Sales".into(),
            region: "Americas".into(),
            headcount: None,
        })
        .await
        .unwrap();
    // The office adds Ada before the bot has met her: the program's zone (UTC) for now.
    let (_, body) = h
        .command(
            ("UOFFICE", "office"),
            "C1",
            "/ambassadors",
            "add <@U1|ada> Sales",
        )
        .await;
    assert!(text_of(&body).contains("time zone UTC"), "{body}");
    // Her first command: the profile's zone is stored, and her check-ins follow it.
    h.command(("U1", "ada"), "C1", "/ambassadors", "record")
        .await;
    until("check-ins in her profile's zone", || async {
        roster_entry(&h, "U1").await.unwrap().time_zone == "Europe/Berlin"
    })
    .await;

    // She travels; Slack tells the bot her new zone.
    h.post_event("EvTZ1", user_change("U1", "Ada", "Asia/Tokyo"))
        .await;
    until("check-ins in her new zone", || async {
        roster_entry(&h, "U1").await.unwrap().time_zone == "Asia/Tokyo"
    })
    .await;

    // Her own choice wins from now on.
    let (_, body) = h
        .command(
            ("U1", "ada"),
            "C1",
            "/ambassadors",
            "timezone America/New_York",
        )
        .await;
    assert!(
        text_of(&body).contains("Your time zone is now *America/New_York* (it was Asia/Tokyo)."),
        "{body}"
    );
    assert_eq!(
        roster_entry(&h, "U1").await.unwrap().time_zone,
        "America/New_York"
    );
    h.post_event("EvTZ2", user_change("U1", "Ada", "Asia/Kolkata"))
        .await;
    settle().await;
    let ada = person(&h, "U1").await.unwrap();
    assert_eq!(ada.time_zone.as_deref(), Some("America/New_York"));
    assert!(ada.time_zone_chosen);
    assert_eq!(
        roster_entry(&h, "U1").await.unwrap().time_zone,
        "America/New_York"
    );
    let (_, body) = h
        .command(("U1", "ada"), "C1", "/ambassadors", "record")
        .await;
    assert!(
        text_of(&body).contains("Time zone: America/New_York (own choice)"),
        "{body}"
    );

    // A profile change of someone the bot never met makes no one new.
    h.post_event("EvTZ3", user_change("U9", "Zed", "Europe/Paris"))
        .await;
    settle().await;
    assert!(person(&h, "U9").await.is_none());
    // One look-up per person met (the office, Ada); the events carry the profile.
    assert_eq!(users_info_calls(&h), 2);
}

#[tokio::test]
async fn the_application_modal_asks_the_zone_prefilled_from_the_profile() {
    let h = harness().await;
    h.fake.add_user("U7", "Carol", "America/New_York");
    h.program
        .store
        .add_department(&NewDepartment {
            name: "Sales".into(),
            region: "Americas".into(),
            headcount: None,
        })
        .await
        .unwrap();
    let (status, body) = h
        .command(("U7", "carol"), "C1", "/ambassadors", "apply")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_null(), "a modal, no message: {body}");
    let opened = h.fake.views_opened();
    let view = opened[0]["view"].clone();
    let zone = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "time_zone")
        .unwrap_or_else(|| panic!("no time zone field in {view}"))
        .clone();
    assert_eq!(zone["element"]["initial_value"], "America/New_York");

    let submit = |tz: &str| {
        ambassador_slack::testing::view_submission(
            &view,
            ("U7", "carol"),
            &[
                ("a1", "To connect Sales with the platform teams."),
                ("a2", "I review pull requests to the shared CRM library."),
                ("a3", "Office hours."),
                ("department", "Sales"),
                ("time_zone", tz),
            ],
        )
    };
    // A typo is pointed out beside the field, with the closest names; nothing is sent.
    let (_, body) = h.interact(submit("America/New_Yrok")).await;
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["time_zone"]
            .as_str()
            .unwrap()
            .contains("Did you mean America/New_York"),
        "{body}"
    );
    let (_, body) = h.interact(submit("America/Chicago")).await;
    assert!(body.is_null(), "{body}");
    let (_, body) = h
        .command(
            ("UOFFICE", "office"),
            "C1",
            "/ambassadors",
            "approve <@U7|carol>",
        )
        .await;
    assert!(
        text_of(&body).contains("time zone America/Chicago"),
        "the zone she gave, not the profile's: {body}"
    );
    assert_eq!(
        roster_entry(&h, "U7").await.unwrap().time_zone,
        "America/Chicago"
    );
}
