//! Hostile names on Slack (issue #21, "Names"): a profile's display name is stored without
//! invisible characters and cut to a chat line.

mod support;

use ambassador_core::{Account, Platform, Store};
use axum::http::StatusCode;
use std::time::Duration;
use support::harness::harness_with;

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
