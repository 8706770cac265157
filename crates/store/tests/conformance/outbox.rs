//! Conformance of the outbox (`OutboxStore`): claims, leases, statuses, and the notices decisions
//! queue with themselves.

use super::*;

conformance! {
    everywhere: [
        the_outbox_hands_out_due_items_of_the_asked_platforms,
        outbox_leases_keep_items_until_they_run_out,
        concurrent_claimers_never_get_the_same_item,
        outbox_items_move_between_pending_sent_and_failed,
        decisions_queue_their_notices_in_their_own_transaction,
    ],
    sql_only: [],
}

const LEASE: Duration = Duration::minutes(5);

async fn the_outbox_hands_out_due_items_of_the_asked_platforms<S: Store + Clone>(store: S) {
    let t0 = at(2024, 5, 6, 9, 0, 0);
    let matrix_user = Account::new(Platform::Matrix, "@ada:example.org");
    store
        .apply(
            &queue(vec![
                dm("s1", &slack("U1")),
                room_message("m1", Platform::Matrix, "!room:example.org"),
                dm("c1", &Account::new(Platform::Console, "ada")),
                dm("m2", &matrix_user),
            ]),
            t0,
        )
        .await
        .unwrap();
    let t1 = t0 + Duration::minutes(1);
    store
        .apply(
            &queue(
                (2..=6)
                    .map(|i| dm(&format!("s{i}"), &slack("U1")))
                    .collect(),
            ),
            t1,
        )
        .await
        .unwrap();

    // Not due yet.
    assert!(
        store
            .claim_outbox(&[Platform::Slack], t0 - Duration::seconds(1), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .claim_outbox(&[], t1, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let slack_now = store
        .claim_outbox(&[Platform::Slack], t0, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(keys(&slack_now), ["s1"]);
    assert_eq!(slack_now[0].outgoing, dm("s1", &slack("U1")));
    assert_eq!(slack_now[0].status, OutboxStatus::Pending);
    let matrix_and_console = store
        .claim_outbox(&[Platform::Matrix, Platform::Console], t1, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(keys(&matrix_and_console), ["m1", "c1", "m2"]);
    assert_eq!(
        matrix_and_console[2].outgoing.to,
        Destination::Direct(matrix_user)
    );
    // The limit takes the first due, in order.
    let two = store
        .claim_outbox(&[Platform::Slack], t1, LEASE, 2)
        .await
        .unwrap();
    assert_eq!(keys(&two), ["s2", "s3"]);
    // A retry moves an item behind the others.
    store
        .outbox_retry(two[0].id, t1 + Duration::seconds(30), None, false)
        .await
        .unwrap();
    let rest = store
        .claim_outbox(&[Platform::Slack], t1 + Duration::seconds(30), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(keys(&rest), ["s4", "s5", "s6", "s2"]);
    assert!(
        store
            .claim_outbox(&Platform::ALL, t1 + Duration::seconds(30), LEASE, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn outbox_leases_keep_items_until_they_run_out<S: Store + Clone>(store: S) {
    let t0 = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(&queue(vec![dm("k1", &slack("U1"))]), t0)
        .await
        .unwrap();
    let lease = Duration::seconds(60);
    let claim = |now| {
        let store = store.clone();
        async move {
            keys(
                &store
                    .claim_outbox(&[Platform::Slack], now, lease, 10)
                    .await
                    .unwrap(),
            )
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(claim(t0).await, ["k1"]);
    assert!(claim(t0).await.is_empty());
    assert!(claim(t0 + Duration::seconds(59)).await.is_empty());
    // The dispatcher that held it died: after the lease another gets it, with a new lease.
    assert_eq!(claim(t0 + Duration::seconds(60)).await, ["k1"]);
    assert!(claim(t0 + Duration::seconds(90)).await.is_empty());
    // A retry releases the lease: due again at once when asked to be.
    let id = all_items(&store).await[0].id;
    store
        .outbox_retry(id, t0 + Duration::seconds(95), Some("timeout"), true)
        .await
        .unwrap();
    assert!(claim(t0 + Duration::seconds(94)).await.is_empty());
    assert_eq!(claim(t0 + Duration::seconds(95)).await, ["k1"]);
    // Sent items are never handed out again.
    store
        .outbox_sent(id, t0 + Duration::seconds(96))
        .await
        .unwrap();
    assert!(claim(t0 + Duration::days(1)).await.is_empty());
}

async fn concurrent_claimers_never_get_the_same_item<S: Store + Clone>(store: S) {
    let t0 = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(
            &queue(
                (0..200)
                    .map(|i| dm(&format!("k{i:03}"), &slack(&format!("U{i}"))))
                    .collect(),
            ),
            t0,
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_outbox(&[Platform::Slack], t0, LEASE, 10)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                assert!(batch.len() <= 10);
                mine.extend(batch.into_iter().map(|item| item.id));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap());
    }
    let total = claimed.len();
    claimed.sort_unstable();
    claimed.dedup();
    assert_eq!(claimed.len(), total, "an item went to two claimers");
    assert_eq!(total, 200, "every item was claimed");
}

async fn outbox_items_move_between_pending_sent_and_failed<S: Store + Clone>(store: S) {
    assert_eq!(store.outbox_stats().await.unwrap(), OutboxStats::default());
    let t0 = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(
            &queue(vec![
                dm("a", &slack("U1")),
                dm("b", &slack("U2")),
                dm("c", &slack("U3")),
            ]),
            t0,
        )
        .await
        .unwrap();
    let claimed = store
        .claim_outbox(&[Platform::Slack], t0, LEASE, 10)
        .await
        .unwrap();
    let [a, b, c] = [claimed[0].id, claimed[1].id, claimed[2].id];
    let t1 = t0 + Duration::seconds(1);
    store.outbox_sent(a, t1).await.unwrap();
    store
        .outbox_retry(b, t0 + Duration::minutes(1), Some("HTTP 503"), true)
        .await
        .unwrap();
    store.outbox_failed(c, "user_not_found", t1).await.unwrap();
    let by_key = |items: Vec<OutboxItem>, key: &str| {
        items
            .into_iter()
            .find(|i| i.outgoing.key == key)
            .unwrap_or_else(|| panic!("item {key}"))
    };
    let items = all_items(&store).await;
    let sent = by_key(items.clone(), "a");
    assert_eq!(sent.status, OutboxStatus::Sent);
    assert_eq!(sent.sent_at, Some(t1));
    assert_eq!(sent.attempts, 0);
    let retried = by_key(items.clone(), "b");
    assert_eq!(retried.status, OutboxStatus::Pending);
    assert_eq!(retried.attempts, 1);
    assert_eq!(retried.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(retried.next_attempt_at, t0 + Duration::minutes(1));
    assert_eq!(retried.sent_at, None);
    let failed = by_key(items, "c");
    assert_eq!(failed.status, OutboxStatus::Failed);
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.last_error.as_deref(), Some("user_not_found"));

    // A rate-limit answer does not count as an attempt.
    store
        .outbox_retry(b, t0 + Duration::minutes(2), Some("rate limited"), false)
        .await
        .unwrap();
    store
        .outbox_retry(b, t0 + Duration::minutes(3), Some("HTTP 502"), true)
        .await
        .unwrap();
    let retried = by_key(all_items(&store).await, "b");
    assert_eq!(retried.attempts, 2);
    assert_eq!(retried.last_error.as_deref(), Some("HTTP 502"));
    assert_eq!(retried.next_attempt_at, t0 + Duration::minutes(3));

    // Finished items stay finished when a slow dispatcher reports late.
    store.outbox_failed(a, "timeout", t1).await.unwrap();
    store
        .outbox_retry(c, t1, Some("again"), true)
        .await
        .unwrap();
    let items = all_items(&store).await;
    assert_eq!(by_key(items.clone(), "a").status, OutboxStatus::Sent);
    assert_eq!(by_key(items.clone(), "c").status, OutboxStatus::Failed);
    assert_eq!(by_key(items, "c").attempts, 1);
    assert!(
        store
            .claim_outbox(&[Platform::Slack], t1, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Listing by status, oldest first.
    let t2 = t0 + Duration::hours(1);
    store
        .apply(&queue(vec![dm("d", &slack("U4"))]), t2)
        .await
        .unwrap();
    let list = |statuses: Vec<OutboxStatus>, limit| {
        let store = store.clone();
        async move {
            keys(&store.outbox_items(&statuses, limit).await.unwrap())
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(vec![], 100).await, ["a", "b", "c", "d"]);
    assert_eq!(list(vec![], 2).await, ["a", "b"]);
    assert_eq!(list(vec![OutboxStatus::Pending], 100).await, ["b", "d"]);
    assert_eq!(list(vec![OutboxStatus::Sent], 100).await, ["a"]);
    assert_eq!(
        list(vec![OutboxStatus::Failed, OutboxStatus::Sent], 100).await,
        ["a", "c"]
    );
    assert_eq!(
        store.outbox_stats().await.unwrap(),
        OutboxStats {
            pending: 2,
            failed: 1,
            sent: 1,
            oldest_pending: Some(t0),
        }
    );
    store.outbox_sent(b, t2).await.unwrap();
    assert_eq!(
        store.outbox_stats().await.unwrap(),
        OutboxStats {
            pending: 1,
            failed: 1,
            sent: 2,
            oldest_pending: Some(t2),
        }
    );

    let unknown = a + b + c + 1000;
    assert!(matches!(
        store.outbox_sent(unknown, t2).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.outbox_retry(unknown, t2, None, true).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.outbox_failed(unknown, "x", t2).await,
        Err(StoreError::NotFound(_))
    ));
}

/// A decision and the messages it makes to other people commit together: queued when the
/// decision took effect, on the recipient's own platform, and not at all when it did not (decided
/// already, over the limit, nobody on the roster).
async fn decisions_queue_their_notices_in_their_own_transaction<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    let bob = person(&store, "U2", "Bob").await;
    let office = Account::new(Platform::Matrix, "@ispo:example.org");
    let now = at(2024, 5, 7, 10, 0, 0);

    let draft = store.start_application(ada.id, 3, now).await.unwrap();
    store
        .submit_application(draft.id, finance.id, now, &[dm("sent", &office)])
        .await
        .unwrap();
    assert_eq!(pending_keys(&store).await, ["sent"]);
    let queued = store
        .outbox_items(&[OutboxStatus::Pending], 10)
        .await
        .unwrap();
    assert_eq!(queued[0].outgoing.to, Destination::Direct(office.clone()));
    assert_eq!(queued[0].outgoing.to.platform(), Platform::Matrix);

    // Decided: its notice with it. Decided again (too late): nothing changes, nothing is queued.
    store
        .decide_application(
            draft.id,
            ApplicationStatus::Declined,
            Some("not now"),
            now,
            &[dm("declined", &ada.account)],
        )
        .await
        .unwrap()
        .expect("decided");
    assert_eq!(
        store
            .decide_application(
                draft.id,
                ApplicationStatus::Approved,
                None,
                now,
                &[dm("approved", &ada.account)]
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(pending_keys(&store).await, ["declined", "sent"]);

    // A report's notice names its number, known inside the transaction.
    let report = store
        .add_report(bob.id, ada.id, "claims to speak for us", now, &|id| {
            vec![dm(&format!("report-{id}"), &office)]
        })
        .await
        .unwrap();
    assert!(
        pending_keys(&store)
            .await
            .contains(&format!("report-{}", report.id))
    );
    // Resolved once: the reporter is told once.
    assert!(
        store
            .resolve_report(
                report.id,
                ada.id,
                None,
                now,
                &[dm("resolved", &bob.account)]
            )
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .resolve_report(
                report.id,
                ada.id,
                None,
                now,
                &[dm("resolved-again", &bob.account)]
            )
            .await
            .unwrap()
            .is_none()
    );

    // Roster changes: the welcome with the entry; no status change for someone not on the roster.
    store
        .add_ambassador_notifying(
            ada.id,
            finance.id,
            "Europe/Berlin",
            date(2024, 5, 7),
            &[dm("welcome", &ada.account)],
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_ambassador_status_notifying(
                bob.id,
                AmbassadorStatus::Alumni,
                date(2024, 5, 8),
                &[dm("ghost", &office)],
                now
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .set_ambassador_status_notifying(
            ada.id,
            AmbassadorStatus::Alumni,
            date(2024, 5, 8),
            &[dm("stepped-down", &office)],
            now,
        )
        .await
        .unwrap();

    // Kudos: the manager's copy with the kudos; over the daily limit, neither.
    let first = store
        .record_kudos_notifying(&kudos(&bob, &[&ada], now), 1, now, &[dm("copy-1", &office)])
        .await
        .unwrap();
    assert!(matches!(first, KudosOutcome::Recorded { .. }));
    let second = store
        .record_kudos_notifying(&kudos(&bob, &[&ada], now), 1, now, &[dm("copy-2", &office)])
        .await
        .unwrap();
    assert!(matches!(second, KudosOutcome::LimitReached { .. }));
    // A nomination's invitation with it; the same nomination again conflicts and queues nothing.
    store
        .add_nomination(
            bob.id,
            ada.id,
            "runs the guild",
            now,
            &[dm("nominated", &bob.account)],
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_nomination(
                bob.id,
                ada.id,
                "again",
                now,
                &[dm("nominated-again", &bob.account)]
            )
            .await,
        Err(StoreError::Conflict(_))
    ));

    let mut expected = vec![
        "copy-1".to_string(),
        "declined".into(),
        "nominated".into(),
        format!("report-{}", report.id),
        "resolved".into(),
        "sent".into(),
        "stepped-down".into(),
        "welcome".into(),
    ];
    expected.sort();
    assert_eq!(pending_keys(&store).await, expected);
}
