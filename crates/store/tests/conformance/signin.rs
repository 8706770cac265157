//! Conformance of dashboard sign-in (`SignInStore`): one-time links and the sessions they start.

use super::*;
use ambassador_core::SignIn;

conformance! {
    everywhere: [
        a_link_signs_its_person_in_once,
        a_link_runs_out,
        concurrent_uses_of_a_link_sign_in_once,
        a_session_lasts_while_it_is_used_and_ends_on_sign_out,
        links_for_unknown_people_are_refused,
    ],
    sql_only: [tokens_are_stored_only_as_hashes],
}

async fn a_link_signs_its_person_in_once<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    let ada = person(&store, "U1", "Ada").await;
    let token = link(&store, ada.id, t0).await;
    let other = link(&store, ada.id, t0).await;
    assert_ne!(token, other, "every link is new");
    assert!(token.len() >= 32);
    let session = match redeem(&store, &token, t0 + Duration::minutes(9)).await {
        SignIn::SignedIn { person, session } => {
            assert_eq!(person, ada);
            session
        }
        other => panic!("not signed in: {other:?}"),
    };
    assert_ne!(session, token);
    assert_eq!(
        store
            .session_person(&session, t0 + Duration::minutes(9), Duration::hours(8))
            .await
            .unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        redeem(&store, &token, t0 + Duration::minutes(9)).await,
        SignIn::Used
    );
    assert_eq!(redeem(&store, "no-such-token", t0).await, SignIn::Unknown);
    // A session token is no link, and a link no session.
    assert_eq!(redeem(&store, &session, t0).await, SignIn::Unknown);
    assert_eq!(
        store
            .session_person(&other, t0, Duration::hours(8))
            .await
            .unwrap(),
        None
    );
}

async fn a_link_runs_out<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    let ada = person(&store, "U1", "Ada").await;
    let token = link(&store, ada.id, t0).await;
    // At the very end it has run out; nothing is signed in.
    assert_eq!(
        redeem(&store, &token, t0 + Duration::minutes(10)).await,
        SignIn::Expired
    );
    assert_eq!(
        redeem(&store, &token, t0 + Duration::minutes(11)).await,
        SignIn::Expired
    );
}

async fn concurrent_uses_of_a_link_sign_in_once<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    let ada = person(&store, "U1", "Ada").await;
    let token = link(&store, ada.id, t0).await;
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (store, token) = (store.clone(), token.clone());
            tokio::spawn(async move { store.redeem_sign_in_link(&token, t0).await })
        })
        .collect();
    let mut signed_in = 0;
    for t in tries {
        match t.await.unwrap().unwrap() {
            SignIn::SignedIn { .. } => signed_in += 1,
            SignIn::Used => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(signed_in, 1);
}

async fn a_session_lasts_while_it_is_used_and_ends_on_sign_out<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    let idle = Duration::hours(8);
    let ada = person(&store, "U1", "Ada").await;
    let token = link(&store, ada.id, t0).await;
    let SignIn::SignedIn { session, .. } = redeem(&store, &token, t0).await else {
        panic!("not signed in");
    };
    // Used after 7 hours, then 7 more: still on (each use counts from then).
    for at in [t0 + Duration::hours(7), t0 + Duration::hours(14)] {
        assert_eq!(
            store.session_person(&session, at, idle).await.unwrap(),
            Some(ada.clone())
        );
    }
    // Unused for 8 hours: ended, and it stays ended.
    let late = t0 + Duration::hours(22);
    assert_eq!(
        store.session_person(&session, late, idle).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .session_person(&session, late + Duration::seconds(1), idle)
            .await
            .unwrap(),
        None
    );
    // Signing out ends a live session; ending an unknown one is nothing.
    let token = link(&store, ada.id, late).await;
    let SignIn::SignedIn { session, .. } = redeem(&store, &token, late).await else {
        panic!("not signed in");
    };
    store.end_session(&session).await.unwrap();
    store.end_session("never-was").await.unwrap();
    assert_eq!(
        store.session_person(&session, late, idle).await.unwrap(),
        None
    );
}

async fn links_for_unknown_people_are_refused<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    assert!(matches!(
        store
            .issue_sign_in_link(4242, t0, Duration::minutes(10))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn tokens_are_stored_only_as_hashes(store: SqlStore) {
    use sha2::{Digest, Sha256};
    let t0 = at(2027, 1, 4, 9, 0, 0);
    let ada = person(&store, "U1", "Ada").await;
    let token = link(&store, ada.id, t0).await;
    // Rows keyed by the token as it is: there are none, so the link still works.
    store
        .execute_script(&format!(
            "DELETE FROM sign_in_links WHERE token_hash = '{token}'"
        ))
        .await
        .unwrap();
    let SignIn::SignedIn { session, .. } = redeem(&store, &token, t0).await else {
        panic!("the link was stored under its plain token");
    };
    // The session is kept under the SHA-256 of its token: deleting that row ends it.
    let hash = hex::encode(Sha256::digest(session.as_bytes()));
    store
        .execute_script(&format!(
            "DELETE FROM dashboard_sessions WHERE token_hash = '{session}'"
        ))
        .await
        .unwrap();
    assert!(
        store
            .session_person(&session, t0, Duration::hours(8))
            .await
            .unwrap()
            .is_some()
    );
    store
        .execute_script(&format!(
            "DELETE FROM dashboard_sessions WHERE token_hash = '{hash}'"
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .session_person(&session, t0, Duration::hours(8))
            .await
            .unwrap(),
        None
    );
}

/// A 10-minute sign-in link for `person`, made at `at`.
async fn link(store: &impl Store, person: PersonId, at: DateTime<Utc>) -> String {
    store
        .issue_sign_in_link(person, at, Duration::minutes(10))
        .await
        .unwrap()
}

/// What using `token` at `at` comes to.
async fn redeem(store: &impl Store, token: &str, at: DateTime<Utc>) -> SignIn {
    store.redeem_sign_in_link(token, at).await.unwrap()
}
