//! Conformance of the scheduler (`SchedulerStore`): claimed occurrences, effects, cursors, digest
//! snapshots.

use super::*;

conformance! {
    everywhere: [
        an_occurrence_is_claimed_once_across_concurrent_callers,
        a_skipped_occurrence_is_never_committed,
        job_runs_are_listed_by_occurrence_then_job_in_a_half_open_range,
        the_scheduler_cursor_never_moves_back,
        the_last_digest_snapshot_is_the_newest_before_the_instant,
        effects_are_insert_or_ignore,
        missed_reminded_and_flagged_mark_only_what_they_should,
    ],
    // On SQLite and PostgreSQL only, as they reach under the port into SQL:
    // twenty_thousand_rows_commit_in_one_call: its people are written in raw SQL, and it is about
    // statement sizes.
    sql_only: [
        twenty_thousand_rows_commit_in_one_call,
    ],
}

async fn an_occurrence_is_claimed_once_across_concurrent_callers<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "Europe/Paris").await;
    let occurrence = at(2024, 5, 6, 7, 0, 0);
    let round = date(2024, 5, 6);
    let effects = Effects {
        outbox: (0..40)
            .map(|i| dm(&format!("prompt/{i}"), &slack(&format!("U{i}"))))
            .collect(),
        open_checkins: vec![opening(round, &ada)],
        digest_snapshot: Some(DigestSnapshot {
            occurrence,
            departments_covered: 1,
            departments_total: 1,
        }),
        ..Effects::default()
    };
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let effects = effects.clone();
        tasks.push(tokio::spawn(async move {
            store
                .commit_occurrence(
                    "checkin-prompt@Europe/Paris",
                    occurrence,
                    occurrence + Duration::seconds(i),
                    &effects,
                )
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one caller claims the occurrence");
    // The effects are there, once.
    let items = all_items(&store).await;
    assert_eq!(items.len(), 40);
    let mut unique: Vec<&str> = keys(&items);
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 40);
    assert_eq!(store.outbox_stats().await.unwrap().pending, 40);
    assert_eq!(
        checkin_of(&store, round, &ada).await.status,
        CheckinStatus::Open
    );
    let runs = store
        .job_runs(occurrence, occurrence + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].job, "checkin-prompt@Europe/Paris");
    assert_eq!(runs[0].status, JobRunStatus::Done);
    assert_eq!(
        store
            .last_digest_snapshot(occurrence + Duration::days(1))
            .await
            .unwrap()
            .map(|s| s.departments_covered),
        Some(1)
    );
    // Later callers (a restart, another replica) find it claimed and write nothing.
    let more = queue(vec![dm("prompt/late", &slack("U99"))]);
    assert!(
        !store
            .commit_occurrence("checkin-prompt@Europe/Paris", occurrence, occurrence, &more)
            .await
            .unwrap()
    );
    assert_eq!(all_items(&store).await.len(), 40);
}

async fn a_skipped_occurrence_is_never_committed<S: Store + Clone>(store: S) {
    let occurrence = at(2024, 5, 6, 9, 0, 0);
    let now = at(2024, 5, 9, 12, 0, 0);
    assert!(
        store
            .skip_occurrence("digest", occurrence, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .skip_occurrence("digest", occurrence, now)
            .await
            .unwrap()
    );
    let effects = Effects {
        outbox: vec![room_message("digest/1", Platform::Slack, "C1")],
        digest_snapshot: Some(DigestSnapshot {
            occurrence,
            departments_covered: 1,
            departments_total: 2,
        }),
        ..Effects::default()
    };
    assert!(
        !store
            .commit_occurrence("digest", occurrence, now, &effects)
            .await
            .unwrap()
    );
    assert!(all_items(&store).await.is_empty());
    assert_eq!(store.last_digest_snapshot(now).await.unwrap(), None);
    // The same instant of another job is a different occurrence; once done it cannot be skipped.
    assert!(
        store
            .commit_occurrence("reminder", occurrence, now, &Effects::default())
            .await
            .unwrap()
    );
    assert!(
        !store
            .skip_occurrence("reminder", occurrence, now)
            .await
            .unwrap()
    );
    let runs = store
        .job_runs(occurrence, occurrence + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        runs,
        [
            JobRun {
                job: "digest".to_owned(),
                occurrence,
                status: JobRunStatus::Skipped,
                ran_at: now,
            },
            JobRun {
                job: "reminder".to_owned(),
                occurrence,
                status: JobRunStatus::Done,
                ran_at: now,
            },
        ]
    );
}

async fn job_runs_are_listed_by_occurrence_then_job_in_a_half_open_range<S: Store + Clone>(
    store: S,
) {
    let (t1, t2, t3) = (
        at(2024, 5, 6, 9, 0, 0),
        at(2024, 5, 6, 10, 0, 0),
        at(2024, 5, 6, 11, 0, 0),
    );
    let now = at(2024, 5, 6, 12, 0, 0);
    for (job, occurrence) in [("b", t2), ("a", t2), ("c", t1), ("a", t3)] {
        assert!(
            store
                .commit_occurrence(job, occurrence, now, &Effects::default())
                .await
                .unwrap()
        );
    }
    let listed: Vec<(String, DateTime<Utc>)> = store
        .job_runs(t1, t3)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.job, r.occurrence))
        .collect();
    assert_eq!(
        listed,
        [
            ("c".to_owned(), t1),
            ("a".to_owned(), t2),
            ("b".to_owned(), t2)
        ]
    );
    assert!(store.job_runs(t3, t3).await.unwrap().is_empty());
}

async fn the_scheduler_cursor_never_moves_back<S: Store + Clone>(store: S) {
    assert_eq!(store.scheduler_cursor("digest").await.unwrap(), None);
    let (t1, t2, t3) = (
        at(2024, 5, 6, 9, 0, 0),
        at(2024, 5, 6, 10, 0, 0),
        at(2024, 5, 6, 11, 0, 0),
    );
    store.advance_scheduler_cursor("digest", t2).await.unwrap();
    assert_eq!(store.scheduler_cursor("digest").await.unwrap(), Some(t2));
    store.advance_scheduler_cursor("digest", t1).await.unwrap();
    assert_eq!(store.scheduler_cursor("digest").await.unwrap(), Some(t2));
    store.advance_scheduler_cursor("digest", t2).await.unwrap();
    store.advance_scheduler_cursor("digest", t3).await.unwrap();
    assert_eq!(store.scheduler_cursor("digest").await.unwrap(), Some(t3));
    assert_eq!(store.scheduler_cursor("reminder").await.unwrap(), None);
    store
        .advance_scheduler_cursor("reminder", t1)
        .await
        .unwrap();
    assert_eq!(store.scheduler_cursor("reminder").await.unwrap(), Some(t1));
    assert_eq!(store.scheduler_cursor("digest").await.unwrap(), Some(t3));
}

async fn the_last_digest_snapshot_is_the_newest_before_the_instant<S: Store + Clone>(store: S) {
    let snapshot = |occurrence, covered| DigestSnapshot {
        occurrence,
        departments_covered: covered,
        departments_total: 10,
    };
    let (d1, d2, d3) = (
        at(2024, 5, 6, 9, 0, 0),
        at(2024, 5, 13, 9, 0, 0),
        at(2024, 5, 20, 9, 0, 0),
    );
    assert_eq!(store.last_digest_snapshot(d3).await.unwrap(), None);
    for (occurrence, covered) in [(d2, 5), (d1, 3), (d3, 6)] {
        let effects = Effects {
            digest_snapshot: Some(snapshot(occurrence, covered)),
            ..Effects::default()
        };
        assert!(
            store
                .commit_occurrence("digest", occurrence, occurrence, &effects)
                .await
                .unwrap()
        );
    }
    assert_eq!(store.last_digest_snapshot(d1).await.unwrap(), None);
    assert_eq!(
        store.last_digest_snapshot(d2).await.unwrap(),
        Some(snapshot(d1, 3))
    );
    assert_eq!(
        store
            .last_digest_snapshot(d2 + Duration::seconds(1))
            .await
            .unwrap(),
        Some(snapshot(d2, 5))
    );
    assert_eq!(
        store
            .last_digest_snapshot(at(2030, 1, 1, 0, 0, 0))
            .await
            .unwrap(),
        Some(snapshot(d3, 6))
    );
    // A snapshot of an occurrence already recorded is not replaced.
    store
        .apply(
            &Effects {
                digest_snapshot: Some(snapshot(d1, 9)),
                ..Effects::default()
            },
            d3,
        )
        .await
        .unwrap();
    assert_eq!(
        store.last_digest_snapshot(d2).await.unwrap(),
        Some(snapshot(d1, 3))
    );
}

async fn effects_are_insert_or_ignore<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let round = date(2024, 5, 6);
    let t0 = at(2024, 5, 6, 9, 0, 0);
    let first = Effects {
        outbox: vec![
            dm("prompt/ada", &ada.account),
            dm("prompt/ada", &ada.account),
            room_message("office/1", Platform::Slack, "C0FFICE"),
        ],
        open_checkins: vec![opening(round, &ada)],
        ..Effects::default()
    };
    store.apply(&first, t0).await.unwrap();
    let items = all_items(&store).await;
    assert_eq!(keys(&items), ["prompt/ada", "office/1"]);
    // What the outbox gives back is what went in.
    assert_eq!(items[0].outgoing, first.outbox[0]);
    assert_eq!(items[1].outgoing, first.outbox[2]);
    assert_eq!(items[0].created_at, t0);
    assert_eq!(items[0].next_attempt_at, t0);
    assert_eq!(items[0].status, OutboxStatus::Pending);
    assert_eq!(items[0].attempts, 0);
    let answered = store
        .write_checkin_answer(round, ada.id, "All good", false, t0 + Duration::hours(1))
        .await
        .unwrap();

    // The same keys again, with other content and later: nothing changes; new keys are added.
    let mut changed = dm("prompt/ada", &ada.account);
    changed.message = message("Something else");
    let mut reopened = opening(round, &ada);
    reopened.closes_at += Duration::days(7);
    let again = Effects {
        outbox: vec![changed, dm("prompt/grace", &grace.account)],
        open_checkins: vec![reopened, opening(round, &grace)],
        ..Effects::default()
    };
    let t1 = t0 + Duration::days(1);
    store.apply(&again, t1).await.unwrap();
    let after = all_items(&store).await;
    assert_eq!(keys(&after), ["prompt/ada", "office/1", "prompt/grace"]);
    assert_eq!(&after[..2], &items[..]);
    assert_eq!(after[2].created_at, t1);
    assert_eq!(checkin_of(&store, round, &ada).await, answered);
    assert_eq!(
        checkin_of(&store, round, &grace).await.status,
        CheckinStatus::Open
    );
    // Empty effects write nothing and succeed.
    store.apply(&Effects::default(), t1).await.unwrap();
    assert_eq!(all_items(&store).await.len(), 3);
}

async fn missed_reminded_and_flagged_mark_only_what_they_should<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let alan = ambassador(&store, "U3", "Alan", &finance, "UTC").await;
    let round = date(2024, 5, 6);
    let t0 = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(
            &open_checkins(vec![
                opening(round, &ada),
                opening(round, &grace),
                opening(round, &alan),
            ]),
            t0,
        )
        .await
        .unwrap();
    store
        .write_checkin_answer(round, ada.id, "Shipped", false, t0 + Duration::hours(2))
        .await
        .unwrap();
    store
        .set_checkin_status(round, grace.id, CheckinStatus::Skipped)
        .await
        .unwrap();

    let reminded_at = t0 + Duration::days(1);
    store
        .commit_occurrence(
            "checkin-reminder@UTC",
            reminded_at,
            reminded_at,
            &Effects {
                reminded: vec![(round, alan.id)],
                ..Effects::default()
            },
        )
        .await
        .unwrap();
    let closed_at = t0 + Duration::days(3);
    let everyone = vec![
        (round, ada.id),
        (round, grace.id),
        (round, alan.id),
        // A check-in that does not exist is no reason to fail.
        (date(2020, 1, 6), alan.id),
    ];
    assert!(
        store
            .commit_occurrence(
                "checkin-close@UTC",
                closed_at,
                closed_at,
                &Effects {
                    missed: everyone,
                    flagged: vec![(round, alan.id)],
                    ..Effects::default()
                },
            )
            .await
            .unwrap()
    );
    let ada_checkin = checkin_of(&store, round, &ada).await;
    assert_eq!(ada_checkin.status, CheckinStatus::Answered);
    assert_eq!(ada_checkin.answer, "Shipped");
    assert_eq!(ada_checkin.reminded_at, None);
    assert!(!ada_checkin.flagged);
    assert_eq!(
        checkin_of(&store, round, &grace).await.status,
        CheckinStatus::Skipped
    );
    let alan_checkin = checkin_of(&store, round, &alan).await;
    assert_eq!(alan_checkin.status, CheckinStatus::Missed);
    assert_eq!(alan_checkin.reminded_at, Some(reminded_at));
    assert!(alan_checkin.flagged);
    assert_eq!(alan_checkin.answered_at, None);
    assert_eq!(alan_checkin.prompted_at, t0);
    assert_eq!(alan_checkin.closes_at, t0 + Duration::days(3));
}

async fn twenty_thousand_rows_commit_in_one_call(store: SqlStore) {
    const N: usize = 20_000;
    // People straight in SQL (one statement both back-ends accept): ids 1..=N in a fresh store.
    store
        .execute_script(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N}) \
             INSERT INTO people (platform, external_id, display_name) \
             SELECT 'slack', 'U' || i, 'Person ' || i FROM n"
        ))
        .await
        .unwrap();
    let last = store
        .find_person(&slack(&format!("U{N}")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.id, N as i64);
    let round = date(2024, 5, 6);
    let t0 = at(2024, 5, 6, 9, 0, 0);
    let effects = Effects {
        outbox: (1..=N)
            .map(|i| {
                let mut out = dm(&format!("prompt/{round}/{i}"), &slack(&format!("U{i}")));
                out.message = Message::new()
                    .heading("Check-in time")
                    .paragraph(Rich::text("How did the last two weeks go? ").and_em("Challenges"))
                    .list(vec![
                        Rich::text("What went well"),
                        Rich::text("What you need from the program office"),
                    ]);
                out
            })
            .collect(),
        open_checkins: (1..=N as i64)
            .map(|person| NewCheckin {
                round,
                person,
                prompted_at: t0,
                closes_at: t0 + Duration::days(3),
            })
            .collect(),
        ..Effects::default()
    };
    let started = std::time::Instant::now();
    assert!(
        store
            .commit_occurrence("checkin-prompt@UTC", t0, t0, &effects)
            .await
            .unwrap()
    );
    let took = started.elapsed();
    println!(
        "{}: committed {N} outbox rows and {N} check-ins in one call in {took:?}",
        store.backend()
    );
    let pairs: Vec<(NaiveDate, i64)> = (1..=N as i64).map(|person| (round, person)).collect();
    let marks = Effects {
        reminded: pairs.clone(),
        missed: pairs.clone(),
        flagged: pairs,
        ..Effects::default()
    };
    let started = std::time::Instant::now();
    let closed = t0 + Duration::days(3);
    assert!(
        store
            .commit_occurrence("checkin-close@UTC", closed, closed, &marks)
            .await
            .unwrap()
    );
    println!(
        "{}: marked {N} check-ins reminded, missed and flagged in one call in {:?}",
        store.backend(),
        started.elapsed()
    );
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(stats.pending, N as u64);
    assert_eq!(stats.oldest_pending, Some(t0));
    let items = all_items(&store).await;
    assert_eq!(items.len(), N);
    assert_eq!(items[N - 1].outgoing, effects.outbox[N - 1]);
    for person in [1, N as i64 / 2, N as i64] {
        // Missed, so no longer current: setting the status it has reads it back unchanged.
        let checkin = store
            .set_checkin_status(round, person, CheckinStatus::Missed)
            .await
            .unwrap();
        assert!(checkin.flagged);
        assert_eq!(checkin.reminded_at, Some(closed));
    }
}
