//! Conformance of announcements (`AnnouncementStore`): recipients, acknowledgements, reminders.

use super::*;

conformance! {
    everywhere: [
        announcements_are_created_with_their_recipients_once,
        announcements_are_acknowledged_and_shared_once,
        announcement_reminders_are_due_once_for_the_unacknowledged,
    ],
    // On SQLite and PostgreSQL only, as they reach under the port into SQL:
    // an_announcement_reaches_twenty_thousand_ambassadors_in_one_call: its people and roster are
    // written in raw SQL, and it is about statement sizes.
    sql_only: [
        an_announcement_reaches_twenty_thousand_ambassadors_in_one_call,
    ],
}

fn new_announcement(
    key: &str,
    author: &Person,
    recipients: &[&Person],
    created_at: DateTime<Utc>,
) -> NewAnnouncement {
    NewAnnouncement {
        key: key.to_owned(),
        author: author.id,
        text: format!("Town hall on Friday ({key})"),
        audience: "all ambassadors".to_owned(),
        created_at,
        recipients: recipients.iter().map(|p| p.id).collect(),
    }
}

/// Effects creating the announcement and queueing one direct message per recipient.
fn announce(announcement: NewAnnouncement, recipients: &[&Person]) -> Effects {
    Effects {
        outbox: recipients
            .iter()
            .map(|p| {
                dm(
                    &format!("announce:{}:{}", announcement.key, p.id),
                    &p.account,
                )
            })
            .collect(),
        announcement: Some(announcement),
        ..Effects::default()
    }
}

fn expected_announcement(new: &NewAnnouncement, id: i64, author: &Person) -> Announcement {
    Announcement {
        id,
        key: new.key.clone(),
        author: PersonRef {
            account: author.account.clone(),
            display_name: author.display_name.clone(),
        },
        text: new.text.clone(),
        audience: new.audience.clone(),
        created_at: new.created_at,
    }
}

fn recipient_names(recipients: &[AnnouncementRecipient]) -> Vec<(i64, &str)> {
    recipients
        .iter()
        .map(|r| (r.announcement, r.ambassador.person.display_name.as_str()))
        .collect()
}

async fn receipt(store: &impl Store, announcement: i64, person: &Person) -> AnnouncementRecipient {
    store
        .announcement_recipients(&[announcement])
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.ambassador.person.id == person.id)
        .unwrap_or_else(|| panic!("{} received announcement {announcement}", person.id))
}

async fn only_announcement(store: &impl Store, key: &str) -> Announcement {
    store
        .announcements(at(2000, 1, 1, 0, 0, 0))
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("announcement {key}"))
}

async fn announcements_are_created_with_their_recipients_once<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let platform = department(&store, "Platform", "APAC").await;
    let office = person(&store, "U0", "Program Office").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &platform, "Asia/Tokyo").await;
    let linus = ambassador(&store, "U3", "linus", &finance, "UTC").await;
    let t0 = at(2024, 5, 6, 9, 0, 0);
    let first = new_announcement("a1", &office, &[&linus, &grace, &ada, &ada], t0);
    let effects = announce(first.clone(), &[&ada, &grace, &linus]);
    store.apply(&effects, t0).await.unwrap();

    let listed = store.announcements(t0).await.unwrap();
    assert_eq!(listed.len(), 1);
    let a1 = listed[0].id;
    assert_eq!(listed, [expected_announcement(&first, a1, &office)]);
    // Written in the same transaction: the announcement, its recipients and their messages.
    assert_eq!(all_items(&store).await.len(), 3);
    let recipients = store.announcement_recipients(&[a1]).await.unwrap();
    // Region key, department, display name: APAC before EMEA, Ada before linus.
    assert_eq!(
        recipient_names(&recipients),
        [(a1, "Grace"), (a1, "Ada"), (a1, "linus")]
    );
    assert_eq!(
        recipients[0].ambassador,
        store.ambassador(grace.id).await.unwrap().unwrap()
    );
    for r in &recipients {
        assert_eq!((r.acked_at, r.shared_at, r.reminded_at), (None, None, None));
    }

    // The same key again, with other text and recipients: nothing changes.
    let mut again = new_announcement("a1", &ada, &[&ada], t0 + Duration::hours(1));
    again.text = "Something else".to_owned();
    store
        .apply(&announce(again, &[&ada]), t0 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        store.announcements(t0).await.unwrap(),
        [expected_announcement(&first, a1, &office)]
    );
    assert_eq!(
        store.announcement_recipients(&[a1]).await.unwrap(),
        recipients
    );
    assert_eq!(all_items(&store).await.len(), 3);

    // Through a claimed occurrence too; listed newest first from `since` on (inclusive).
    let t1 = t0 + Duration::days(1);
    let second = new_announcement("a2", &office, &[&ada, &grace], t1);
    assert!(
        store
            .commit_occurrence(
                "announce",
                t1,
                t1,
                &announce(second.clone(), &[&ada, &grace])
            )
            .await
            .unwrap()
    );
    let a2 = only_announcement(&store, "a2").await.id;
    assert_eq!(
        store.announcements(t0).await.unwrap(),
        [
            expected_announcement(&second, a2, &office),
            expected_announcement(&first, a1, &office)
        ]
    );
    assert_eq!(
        store
            .announcements(t0 + Duration::seconds(1))
            .await
            .unwrap(),
        [expected_announcement(&second, a2, &office)]
    );
    assert_eq!(
        store
            .announcements(t1 + Duration::seconds(1))
            .await
            .unwrap(),
        []
    );
    assert_eq!(all_items(&store).await.len(), 5);

    // Ordered by announcement whatever order they are asked in; alumni stay, recipients off the
    // roster are left out.
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Alumni, date(2024, 5, 8))
        .await
        .unwrap();
    store.remove_ambassador(linus.id).await.unwrap();
    let both = store.announcement_recipients(&[a2, a1, a2]).await.unwrap();
    assert_eq!(
        recipient_names(&both),
        [(a1, "Grace"), (a1, "Ada"), (a2, "Grace"), (a2, "Ada")]
    );
    assert_eq!(both[0].ambassador.status, AmbassadorStatus::Alumni);
    assert_eq!(store.announcement_recipients(&[]).await.unwrap(), []);
    assert_eq!(
        store.announcement_recipients(&[a2 + 100]).await.unwrap(),
        []
    );

    // An unknown recipient fails the whole transaction: no announcement, no message.
    let mut broken = new_announcement("a3", &office, &[&ada], t1);
    broken.recipients.push(ada.id + 1000);
    let outcome = store.apply(&announce(broken, &[&ada]), t1).await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
    assert_eq!(store.announcements(t0).await.unwrap().len(), 2);
    assert_eq!(all_items(&store).await.len(), 5);
}

async fn announcements_are_acknowledged_and_shared_once<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let office = person(&store, "U0", "Program Office").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let t0 = at(2024, 5, 6, 9, 0, 0);
    let first = new_announcement("a1", &office, &[&ada, &grace], t0);
    let second = new_announcement("a2", &office, &[&ada], t0 + Duration::days(1));
    store
        .apply(&announce(first.clone(), &[]), t0)
        .await
        .unwrap();
    store
        .apply(&announce(second.clone(), &[]), t0)
        .await
        .unwrap();
    let a1 = only_announcement(&store, "a1").await.id;
    let a2 = only_announcement(&store, "a2").await.id;

    assert_eq!(
        store.open_announcements(ada.id).await.unwrap(),
        [
            expected_announcement(&second, a2, &office),
            expected_announcement(&first, a1, &office)
        ]
    );
    assert_eq!(
        store.open_announcements(grace.id).await.unwrap(),
        [expected_announcement(&first, a1, &office)]
    );
    assert_eq!(store.open_announcements(office.id).await.unwrap(), []);

    // Acknowledged: no longer open, for them only.
    let t1 = t0 + Duration::days(2);
    store
        .acknowledge_announcement(a1, ada.id, false, t1)
        .await
        .unwrap();
    assert_eq!(
        store.open_announcements(ada.id).await.unwrap(),
        [expected_announcement(&second, a2, &office)]
    );
    assert_eq!(store.open_announcements(grace.id).await.unwrap().len(), 1);
    let r = receipt(&store, a1, &ada).await;
    assert_eq!((r.acked_at, r.shared_at), (Some(t1), None));

    // Acknowledged again, then shared: the first acknowledgement stays.
    let t2 = t1 + Duration::hours(1);
    store
        .acknowledge_announcement(a1, ada.id, false, t2)
        .await
        .unwrap();
    store
        .acknowledge_announcement(a1, ada.id, true, t2)
        .await
        .unwrap();
    let r = receipt(&store, a1, &ada).await;
    assert_eq!((r.acked_at, r.shared_at), (Some(t1), Some(t2)));
    let t3 = t2 + Duration::hours(1);
    store
        .acknowledge_announcement(a1, ada.id, true, t3)
        .await
        .unwrap();
    assert_eq!(receipt(&store, a1, &ada).await, r);

    // Shared straight away: acknowledged at the same instant.
    store
        .acknowledge_announcement(a2, ada.id, true, t3)
        .await
        .unwrap();
    let r = receipt(&store, a2, &ada).await;
    assert_eq!((r.acked_at, r.shared_at), (Some(t3), Some(t3)));
    assert_eq!(store.open_announcements(ada.id).await.unwrap(), []);
    let untouched = receipt(&store, a1, &grace).await;
    assert_eq!((untouched.acked_at, untouched.shared_at), (None, None));

    // Not a recipient, or no such announcement.
    for (announcement, who) in [(a2, grace.id), (a1, office.id), (a2 + 100, ada.id)] {
        let outcome = store
            .acknowledge_announcement(announcement, who, true, t3)
            .await;
        assert!(
            matches!(outcome, Err(StoreError::NotFound(_))),
            "{outcome:?}"
        );
    }
    assert_eq!(store.open_announcements(grace.id).await.unwrap().len(), 1);
}

async fn announcement_reminders_are_due_once_for_the_unacknowledged<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let platform = department(&store, "Platform", "APAC").await;
    let office = person(&store, "U0", "Program Office").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &platform, "UTC").await;
    let linus = ambassador(&store, "U3", "Linus", &finance, "UTC").await;
    let gone = ambassador(&store, "U4", "Gone", &finance, "UTC").await;
    let t0 = at(2024, 5, 6, 9, 0, 0);
    let t1 = t0 + Duration::days(2);
    let everyone = [&ada, &grace, &linus, &gone];
    store
        .apply(
            &announce(new_announcement("a1", &office, &everyone, t0), &[]),
            t0,
        )
        .await
        .unwrap();
    store
        .apply(
            &announce(new_announcement("a2", &office, &everyone, t1), &[]),
            t1,
        )
        .await
        .unwrap();
    let a1 = only_announcement(&store, "a1").await;
    let a2 = only_announcement(&store, "a2").await;
    store.remove_ambassador(gone.id).await.unwrap();
    store
        .acknowledge_announcement(a1.id, ada.id, false, t0 + Duration::hours(1))
        .await
        .unwrap();
    let due = |before: DateTime<Utc>| {
        let store = store.clone();
        async move {
            store
                .announcement_reminders_due(before)
                .await
                .unwrap()
                .into_iter()
                .map(|(a, r)| {
                    assert_eq!(a.id, r.announcement);
                    (a.key, r.ambassador.person.display_name)
                })
                .collect::<Vec<_>>()
        }
    };
    let pairs = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(k, n)| ((*k).to_owned(), (*n).to_owned()))
            .collect::<Vec<_>>()
    };

    // Created strictly before the instant; acknowledged and off-roster recipients are left out.
    assert_eq!(due(t0).await, []);
    let first_due = pairs(&[("a1", "Grace"), ("a1", "Linus")]);
    assert_eq!(due(t0 + Duration::seconds(1)).await, first_due);
    assert_eq!(due(t1).await, first_due);
    assert_eq!(
        due(t1 + Duration::seconds(1)).await,
        pairs(&[
            ("a1", "Grace"),
            ("a1", "Linus"),
            ("a2", "Grace"),
            ("a2", "Ada"),
            ("a2", "Linus")
        ])
    );
    let listed = store
        .announcement_reminders_due(t0 + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(listed[0].0, a1);
    assert_eq!(
        listed[0].1,
        store
            .announcement_recipients(&[a1.id])
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.ambassador.person.id == grace.id)
            .unwrap()
    );

    // Reminded through effects (with the claim of an occurrence, or applied): due no more.
    let t2 = t1 + Duration::days(1);
    let reminded = Effects {
        announcement_reminded: vec![(a1.id, grace.id), (a2.id, ada.id)],
        outbox: vec![dm("announce:a1:grace:reminder", &grace.account)],
        ..Effects::default()
    };
    assert!(
        store
            .commit_occurrence("announce-remind", t2, t2, &reminded)
            .await
            .unwrap()
    );
    assert_eq!(receipt(&store, a1.id, &grace).await.reminded_at, Some(t2));
    assert_eq!(receipt(&store, a1.id, &linus).await.reminded_at, None);
    assert_eq!(receipt(&store, a2.id, &grace).await.reminded_at, None);
    assert_eq!(
        due(t2).await,
        pairs(&[("a1", "Linus"), ("a2", "Grace"), ("a2", "Linus")])
    );
    let t3 = t2 + Duration::hours(1);
    store
        .apply(
            &Effects {
                announcement_reminded: vec![(a1.id, linus.id)],
                ..Effects::default()
            },
            t3,
        )
        .await
        .unwrap();
    assert_eq!(receipt(&store, a1.id, &linus).await.reminded_at, Some(t3));
    // A reminded recipient who then acknowledges keeps both instants.
    store
        .acknowledge_announcement(a2.id, grace.id, false, t3)
        .await
        .unwrap();
    assert_eq!(due(t3).await, pairs(&[("a2", "Linus")]));
}

async fn an_announcement_reaches_twenty_thousand_ambassadors_in_one_call(store: SqlStore) {
    const N: usize = 20_000;
    let finance = department(&store, "Finance", "EMEA").await;
    let since = match store.backend() {
        Backend::Sqlite => "'2024-01-01'",
        Backend::Postgres => "DATE '2024-01-01'",
    };
    store
        .execute_script(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N}) \
             INSERT INTO people (platform, external_id, display_name) \
             SELECT 'slack', 'U' || i, 'Person ' || i FROM n; \
             INSERT INTO ambassadors (person_id, department_id, status, since, time_zone) \
             SELECT id, {}, 'active', {since}, 'UTC' FROM people",
            finance.id
        ))
        .await
        .unwrap();
    let office = person(&store, "U0", "Program Office").await;
    let t0 = at(2024, 5, 6, 9, 0, 0);
    let ids: Vec<i64> = (1..=N as i64).collect();
    let effects = Effects {
        outbox: ids
            .iter()
            .map(|i| dm(&format!("announce:big:{i}"), &slack(&format!("U{i}"))))
            .collect(),
        announcement: Some(NewAnnouncement {
            key: "big".to_owned(),
            author: office.id,
            text: "Everyone: the town hall moved to Thursday".to_owned(),
            audience: "all ambassadors".to_owned(),
            created_at: t0,
            recipients: ids.clone(),
        }),
        ..Effects::default()
    };
    let started = std::time::Instant::now();
    assert!(
        store
            .commit_occurrence("announce", t0, t0, &effects)
            .await
            .unwrap()
    );
    println!(
        "{}: created an announcement to {N} ambassadors with their messages in {:?}",
        store.backend(),
        started.elapsed()
    );
    let big = only_announcement(&store, "big").await;
    assert_eq!(
        store
            .announcement_recipients(&[big.id])
            .await
            .unwrap()
            .len(),
        N
    );
    assert_eq!(all_items(&store).await.len(), N);
    let before = t0 + Duration::days(2);
    assert_eq!(
        store
            .announcement_reminders_due(before)
            .await
            .unwrap()
            .len(),
        N
    );
    let started = std::time::Instant::now();
    store
        .apply(
            &Effects {
                announcement_reminded: ids.iter().map(|&p| (big.id, p)).collect(),
                ..Effects::default()
            },
            before,
        )
        .await
        .unwrap();
    println!(
        "{}: marked {N} announcement recipients reminded in {:?}",
        store.backend(),
        started.elapsed()
    );
    assert_eq!(store.announcement_reminders_due(before).await.unwrap(), []);
    assert_eq!(store.open_announcements(N as i64).await.unwrap(), [big]);
}
