//! Conformance of coordination between replicas (`CoordinationStore`): leases and inbound events.

use super::*;

conformance! {
    everywhere: [
        a_lease_has_one_holder_until_it_runs_out,
        concurrent_takers_get_a_lease_once,
        released_leases_are_free_at_once,
        events_are_remembered_once_across_concurrent_callers,
        events_are_forgotten_after_a_day,
    ],
    sql_only: [],
}

async fn a_lease_has_one_holder_until_it_runs_out<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    let ttl = Duration::seconds(30);
    assert_eq!(store.lease_holder("matrix-sync", t0).await.unwrap(), None);
    assert!(
        store
            .acquire_lease("matrix-sync", "a", ttl, t0)
            .await
            .unwrap()
    );
    assert_eq!(
        store.lease_holder("matrix-sync", t0).await.unwrap(),
        Some(("a".to_owned(), t0 + ttl))
    );
    // Another holder waits while it runs, up to the last microsecond.
    assert!(
        !store
            .acquire_lease("matrix-sync", "b", ttl, t0)
            .await
            .unwrap()
    );
    let last = t0 + ttl - Duration::microseconds(1);
    assert!(
        !store
            .acquire_lease("matrix-sync", "b", ttl, last)
            .await
            .unwrap()
    );
    // Other names are other leases.
    assert!(store.acquire_lease("other", "b", ttl, t0).await.unwrap());
    // The holder renews it: it now runs 30 s from the renewal.
    let renewal = t0 + Duration::seconds(10);
    assert!(
        store
            .acquire_lease("matrix-sync", "a", ttl, renewal)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("matrix-sync", "b", ttl, t0 + ttl)
            .await
            .unwrap()
    );
    assert_eq!(
        store.lease_holder("matrix-sync", t0 + ttl).await.unwrap(),
        Some(("a".to_owned(), renewal + ttl))
    );
    // Not renewed in time (the holder died): it runs out, and another takes it over.
    let expiry = renewal + ttl;
    assert_eq!(
        store.lease_holder("matrix-sync", expiry).await.unwrap(),
        None
    );
    assert!(
        store
            .acquire_lease("matrix-sync", "b", ttl, expiry)
            .await
            .unwrap()
    );
    assert_eq!(
        store.lease_holder("matrix-sync", expiry).await.unwrap(),
        Some(("b".to_owned(), expiry + ttl))
    );
    // The old holder, back, can neither renew it nor give it up.
    let later = expiry + Duration::seconds(1);
    assert!(
        !store
            .acquire_lease("matrix-sync", "a", ttl, later)
            .await
            .unwrap()
    );
    assert!(!store.release_lease("matrix-sync", "a").await.unwrap());
    assert_eq!(
        store.lease_holder("matrix-sync", later).await.unwrap(),
        Some(("b".to_owned(), expiry + ttl))
    );
}

async fn concurrent_takers_get_a_lease_once<S: Store + Clone>(store: S) {
    let ttl = Duration::seconds(30);
    // A free lease, then the same lease once it ran out: each time one taker of sixteen wins.
    for (round, now) in [at(2027, 1, 4, 9, 0, 0), at(2027, 1, 4, 9, 1, 0)]
        .into_iter()
        .enumerate()
    {
        let mut tasks = Vec::new();
        for i in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let holder = format!("replica-{round}-{i}");
                let won = store
                    .acquire_lease("matrix-sync", &holder, ttl, now)
                    .await
                    .unwrap();
                won.then_some(holder)
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            winners.extend(task.await.unwrap());
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(
            store.lease_holder("matrix-sync", now).await.unwrap(),
            Some((winners[0].clone(), now + ttl))
        );
    }
}

async fn released_leases_are_free_at_once<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    let ttl = Duration::seconds(30);
    assert!(
        !store.release_lease("matrix-sync", "a").await.unwrap(),
        "nobody holds it"
    );
    assert!(
        store
            .acquire_lease("matrix-sync", "a", ttl, t0)
            .await
            .unwrap()
    );
    assert!(
        !store.release_lease("matrix-sync", "b").await.unwrap(),
        "b does not hold it"
    );
    assert!(
        store
            .acquire_lease("matrix-sync", "a", ttl, t0)
            .await
            .unwrap()
    );
    assert!(store.release_lease("matrix-sync", "a").await.unwrap());
    assert_eq!(store.lease_holder("matrix-sync", t0).await.unwrap(), None);
    let soon = t0 + Duration::seconds(1);
    assert!(
        store
            .acquire_lease("matrix-sync", "b", ttl, soon)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("matrix-sync", "a", ttl, soon)
            .await
            .unwrap()
    );
}

async fn events_are_remembered_once_across_concurrent_callers<S: Store + Clone>(store: S) {
    let now = at(2027, 1, 4, 9, 0, 0);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Eight deliveries of each of four events, as retries reaching several replicas.
            let key = format!("slack:Ev0{}", i % 4);
            let first = store
                .remember_event(&key, now + Duration::milliseconds(i))
                .await
                .unwrap();
            first.then_some(key)
        }));
    }
    let mut firsts = Vec::new();
    for task in tasks {
        firsts.extend(task.await.unwrap());
    }
    firsts.sort_unstable();
    assert_eq!(
        firsts,
        ["slack:Ev00", "slack:Ev01", "slack:Ev02", "slack:Ev03"]
    );
    assert!(
        !store
            .remember_event("slack:Ev00", now + Duration::hours(1))
            .await
            .unwrap()
    );
    assert!(store.remember_event("slack:Ev04", now).await.unwrap());
}

async fn events_are_forgotten_after_a_day<S: Store + Clone>(store: S) {
    let t0 = at(2027, 1, 4, 9, 0, 0);
    assert!(store.remember_event("slack:Ev1", t0).await.unwrap());
    let almost = t0 + Duration::days(1) - Duration::seconds(1);
    assert!(!store.remember_event("slack:Ev1", almost).await.unwrap());
    // A day later it counts as new, once.
    let later = t0 + Duration::days(1) + Duration::seconds(1);
    assert!(store.remember_event("slack:Ev1", later).await.unwrap());
    assert!(!store.remember_event("slack:Ev1", later).await.unwrap());
    // Many new keys a week later (old rows get pruned on the way) forget nothing recent.
    let week = t0 + Duration::days(7);
    for i in 0..300 {
        assert!(
            store
                .remember_event(&format!("slack:EvW{i}"), week)
                .await
                .unwrap()
        );
    }
    for i in 0..300 {
        assert!(
            !store
                .remember_event(&format!("slack:EvW{i}"), week)
                .await
                .unwrap()
        );
    }
    assert!(store.remember_event("slack:Ev1", week).await.unwrap());
}
