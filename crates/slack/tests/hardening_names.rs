//! Hostile names and huge mention lists on Slack (issue #21, "Names"): a kudos naming 500 people is
//! refused without a `users.info` call per person; a profile's display name is stored without
//! invisible characters and cut to a chat line.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{Account, Platform};
use axum::http::StatusCode;
use std::time::Duration;
use support::harness::harness_with;

fn users_info_calls(h: &support::harness::Harness) -> usize {
    h.fake
        .with(|s| s.calls.iter().filter(|c| *c == "users.info").count())
}

#[tokio::test]
async fn a_kudos_naming_500_people_is_refused_with_a_bounded_number_of_profile_look_ups() {
    // A long deadline: the answer comes after all the work the command does.
    let h = harness_with(|s| s.ack_deadline = Duration::from_secs(120)).await;
    let mut mentions = Vec::new();
    for i in 0..500 {
        let id = format!("U{i:04}");
        h.fake
            .add_user(&id, &format!("Person {i}"), "Europe/Berlin");
        mentions.push(format!("<@{id}>"));
    }
    let (status, body) = h
        .command(
            ("UADA", "ada"),
            "C0GENERAL",
            "/kudos",
            &format!("{} for the release party planning", mentions.join(" ")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // At most the 10 a kudos may name, and the sender's own profile.
    let calls = users_info_calls(&h);
    assert!(calls <= 11, "{calls} users.info calls for one command");
    assert!(
        body.to_string()
            .contains("A kudos can name up to 10 people; this one names 500."),
        "{body}"
    );
    assert!(h.all_kudos().await.is_empty(), "nothing was recorded");
}

#[tokio::test]
async fn a_profile_display_name_is_stored_without_invisible_characters_and_cut_to_a_line() {
    let h = harness_with(|s| s.ack_deadline = Duration::from_secs(120)).await;
    let long = format!("\u{2060}Ada\u{061C} \u{200B}{}", "L".repeat(200));
    h.fake.add_user("U7", &long, "Europe/Berlin");
    let (status, body) = h
        .command(
            ("UBOB", "bob"),
            "C0GENERAL",
            "/kudos",
            "<@U7> for the release party planning",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.to_string().contains("Kudos to <@U7>"), "{body}");
    let ada = h
        .program
        .store
        .find_person(&Account::new(Platform::Slack, "U7"))
        .await
        .unwrap()
        .expect("met through the mention");
    assert!(
        ada.display_name.starts_with("Ada LLL"),
        "{:?}",
        ada.display_name
    );
    assert_eq!(
        ada.display_name.chars().count(),
        80,
        "{:?}",
        ada.display_name
    );
    assert!(ada.display_name.ends_with('…'));
}
