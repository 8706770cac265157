//! Conformance of the activity log (`ActivityStore`).

use super::*;

conformance! {
    everywhere: [
        activities_are_logged_edited_and_deleted_by_their_author,
        activities_are_filtered_by_day_and_author_newest_first,
    ],
    sql_only: [],
}

async fn activities_are_logged_edited_and_deleted_by_their_author<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let logged_at = at(2024, 5, 6, 17, 30, 0) + Duration::microseconds(123_456);
    let new = NewActivity {
        author: ada.id,
        text: "Ran a 🚀 lunch & learn on 財務 — “prompting” for 40 people".to_owned(),
        tags: vec![
            "workshop".to_owned(),
            "ai".to_owned(),
            "lunch-learn".to_owned(),
        ],
        audience: Some(40),
        on: date(2024, 5, 6),
        logged_at,
    };
    let added = store.add_activity(&new).await.unwrap();
    assert_eq!(
        added,
        Activity {
            id: added.id,
            author: ada.id,
            text: new.text.clone(),
            tags: new.tags.clone(),
            audience: Some(40),
            on: date(2024, 5, 6),
            logged_at,
        }
    );
    assert_eq!(store.activity(added.id).await.unwrap(), Some(added.clone()));

    // Edited by its author: text, tags, audience and day replaced; author and logged_at kept.
    let mut edit = new_activity(&ada, "Ran a workshop (edited)", date(2024, 5, 3));
    edit.logged_at = logged_at + Duration::days(1);
    let updated = store
        .update_activity(added.id, ada.id, &edit)
        .await
        .unwrap();
    assert_eq!(
        updated,
        Activity {
            id: added.id,
            author: ada.id,
            text: "Ran a workshop (edited)".to_owned(),
            tags: vec![],
            audience: None,
            on: date(2024, 5, 3),
            logged_at,
        }
    );
    assert_eq!(
        store.activity(added.id).await.unwrap(),
        Some(updated.clone())
    );

    // Anyone else: not found, and nothing changes.
    let outcome = store.update_activity(added.id, grace.id, &new).await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
    let outcome = store.delete_activity(added.id, grace.id).await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
    assert_eq!(store.activity(added.id).await.unwrap(), Some(updated));

    // Deleted by its author, once.
    store.delete_activity(added.id, ada.id).await.unwrap();
    assert_eq!(store.activity(added.id).await.unwrap(), None);
    for outcome in [
        store.delete_activity(added.id, ada.id).await,
        store
            .update_activity(added.id, ada.id, &new)
            .await
            .map(drop),
    ] {
        assert!(
            matches!(outcome, Err(StoreError::NotFound(_))),
            "{outcome:?}"
        );
    }
    assert_eq!(store.activity(added.id + 100).await.unwrap(), None);

    // An unknown author is refused.
    let mut stray = new.clone();
    stray.author = grace.id + 1000;
    let outcome = store.add_activity(&stray).await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
}

async fn activities_are_filtered_by_day_and_author_newest_first<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let platform = department(&store, "Platform", "APAC").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &platform, "UTC").await;
    let gone = ambassador(&store, "U3", "Gone", &finance, "UTC").await;
    let log = |author: &Person, text: &str, on: NaiveDate| {
        let new = new_activity(author, text, on);
        let store = store.clone();
        async move { store.add_activity(&new).await.unwrap() }
    };
    let early = log(&ada, "early", date(2024, 5, 1)).await;
    let mid_a = log(&ada, "mid a", date(2024, 5, 3)).await;
    let mid_g = log(&grace, "mid g", date(2024, 5, 3)).await;
    let late = log(&ada, "late", date(2024, 5, 5)).await;
    let mid_b = log(&ada, "mid b", date(2024, 5, 3)).await;
    let _off = log(&gone, "off roster", date(2024, 5, 4)).await;
    store.remove_ambassador(gone.id).await.unwrap();
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Alumni, date(2024, 5, 10))
        .await
        .unwrap();

    let read = |filter: ActivityFilter| {
        let store = store.clone();
        async move {
            store
                .activities(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| {
                    assert_eq!(e.activity.author, e.ambassador.person.id);
                    e.activity.text
                })
                .collect::<Vec<_>>()
        }
    };
    // Newest day first, then newest id; alumni included, authors off the roster left out.
    assert_eq!(
        read(ActivityFilter::default()).await,
        ["late", "mid b", "mid g", "mid a", "early"]
    );
    let day = date(2024, 5, 3);
    assert_eq!(
        read(ActivityFilter {
            from: Some(day),
            to: Some(day),
            ..ActivityFilter::default()
        })
        .await,
        ["mid b", "mid g", "mid a"]
    );
    assert_eq!(
        read(ActivityFilter {
            from: Some(day),
            ..ActivityFilter::default()
        })
        .await,
        ["late", "mid b", "mid g", "mid a"]
    );
    assert_eq!(
        read(ActivityFilter {
            to: Some(day),
            ..ActivityFilter::default()
        })
        .await,
        ["mid b", "mid g", "mid a", "early"]
    );
    assert_eq!(
        read(ActivityFilter {
            from: Some(date(2024, 5, 2)),
            to: Some(date(2024, 5, 4)),
            author: Some(ada.id),
        })
        .await,
        ["mid b", "mid a"]
    );
    assert_eq!(
        read(ActivityFilter {
            author: Some(gone.id),
            ..ActivityFilter::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        read(ActivityFilter {
            from: Some(date(2024, 5, 6)),
            ..ActivityFilter::default()
        })
        .await,
        Vec::<String>::new()
    );

    // The entries carry the roster entry as it is now.
    let entries = store
        .activities(&ActivityFilter {
            author: Some(grace.id),
            ..ActivityFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].activity, mid_g);
    assert_eq!(
        entries[0].ambassador,
        store.ambassador(grace.id).await.unwrap().unwrap()
    );
    assert_eq!(entries[0].ambassador.status, AmbassadorStatus::Alumni);
    let all = store.activities(&ActivityFilter::default()).await.unwrap();
    let got: Vec<Activity> = all.into_iter().map(|e| e.activity).collect();
    assert_eq!(got, [late, mid_b, mid_g, mid_a, early]);
}
