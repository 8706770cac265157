//! Conformance of kudos (`KudosStore`): the daily limit, sources, taking back, and every way they
//! are read.

use super::*;

conformance! {
    everywhere: [
        kudos_round_trip_with_receivers_and_tags,
        kudos_between_is_half_open,
        kudos_latest_counts_the_range_and_lists_the_newest,
        kudos_are_counted_by_the_regions_of_their_receivers,
        kudos_are_tallied_per_person_without_those_who_opted_out,
        daily_limit_allows_exactly_the_limit,
        daily_limit_counts_from_day_start,
        concurrent_kudos_never_pass_the_limit,
        a_busy_giver_is_counted_up_to_the_limit_and_not_at_all_without_one,
        kudos_with_unknown_people_are_refused,
        kudos_from_a_source_count_once_per_giver,
        kudos_taken_back_count_nowhere_and_can_be_given_again,
        concurrent_take_backs_take_a_kudos_once,
        kudos_received_and_counted_per_person,
        kudos_figures_count_periods_tags_departments_and_the_most_active,
    ],
    sql_only: [],
}

async fn kudos_round_trip_with_receivers_and_tags<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "grace").await;
    let alan = person(&store, "U3", "Alan").await;
    let given_at = at(2024, 5, 1, 9, 30, 15) + Duration::milliseconds(250);
    let outcome = store
        .record_kudos(
            &NewKudos {
                giver: ada.id,
                receivers: vec![grace.id, alan.id],
                reason: "shipping the release\non a Friday".to_owned(),
                tags: vec!["teamwork".to_owned(), "release".to_owned()],
                given_at,
                room: "C024BE91L".to_owned(),
                source: None,
            },
            5,
            at(2024, 5, 1, 0, 0, 0),
        )
        .await
        .unwrap();
    let (id, given_today) = recorded(outcome);
    assert_eq!(given_today, Some(1));
    let plain = recorded(
        store
            .record_kudos(
                &kudos(&grace, &[&ada], given_at + Duration::minutes(1)),
                5,
                at(2024, 5, 1, 0, 0, 0),
            )
            .await
            .unwrap(),
    );
    let read = store
        .kudos_between(at(2024, 5, 1, 0, 0, 0), at(2024, 5, 2, 0, 0, 0))
        .await
        .unwrap();
    assert_eq!(read.len(), 2);
    let first = &read[0];
    assert_eq!(first.id, id);
    assert_eq!(first.giver, ada.as_ref());
    assert_eq!(first.receivers, vec![alan.as_ref(), grace.as_ref()]);
    assert_eq!(first.reason, "shipping the release\non a Friday");
    assert_eq!(first.tags, ["teamwork", "release"]);
    assert_eq!(first.given_at, given_at);
    assert_eq!(first.room, "C024BE91L");
    assert_eq!(read[1].id, plain.0);
    assert!(read[1].tags.is_empty());
    assert_eq!(read[1].receivers, vec![ada.as_ref()]);
}

async fn kudos_between_is_half_open<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let times = [
        at(2024, 4, 30, 23, 59, 59),
        at(2024, 5, 1, 0, 0, 0),
        at(2024, 5, 1, 12, 0, 0) + Duration::microseconds(1),
        at(2024, 5, 7, 23, 59, 59) + Duration::milliseconds(999),
        at(2024, 5, 8, 0, 0, 0),
    ];
    // Recorded out of order; read back oldest first.
    for t in [times[3], times[0], times[4], times[2], times[1]] {
        recorded(
            store
                .record_kudos(&kudos(&ada, &[&grace], t), 100, t - Duration::days(1))
                .await
                .unwrap(),
        );
    }
    let week = store
        .kudos_between(at(2024, 5, 1, 0, 0, 0), at(2024, 5, 8, 0, 0, 0))
        .await
        .unwrap();
    let when: Vec<DateTime<Utc>> = week.iter().map(|k| k.given_at).collect();
    assert_eq!(when, times[1..4]);
    assert!(
        store
            .kudos_between(at(2024, 6, 1, 0, 0, 0), at(2024, 7, 1, 0, 0, 0))
            .await
            .unwrap()
            .is_empty()
    );
    let empty = store
        .kudos_between(at(2024, 5, 1, 0, 0, 0), at(2024, 5, 1, 0, 0, 0))
        .await
        .unwrap();
    assert!(empty.is_empty());
}

async fn kudos_latest_counts_the_range_and_lists_the_newest<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "grace").await;
    let alan = person(&store, "U3", "Alan").await;
    let (from, to) = (at(2024, 5, 1, 0, 0, 0), at(2024, 5, 8, 0, 0, 0));
    let tie = at(2024, 5, 6, 12, 0, 0);
    let times = [
        from - Duration::microseconds(1),
        from,
        at(2024, 5, 2, 9, 0, 0),
        tie,
        tie,
        to - Duration::microseconds(1),
        to,
    ];
    // Recorded out of order; the two at `tie` in this order (ids decide between them).
    let mut ids = [0; 7];
    for i in [5, 0, 4, 6, 2, 3, 1] {
        let receivers: &[&Person] = if i % 2 == 0 {
            &[&ada, &grace, &alan]
        } else {
            &[&ada]
        };
        let giver = if i % 2 == 0 { &ada } else { &grace };
        let (id, _) = recorded(
            store
                .record_kudos(
                    &kudos(giver, receivers, times[i]),
                    100,
                    from - Duration::days(1),
                )
                .await
                .unwrap(),
        );
        ids[i] = id;
    }
    let all = store.kudos_between(from, to).await.unwrap();
    let listed: Vec<i64> = all.iter().map(|k| k.id).collect();
    assert_eq!(listed, [ids[1], ids[2], ids[4], ids[3], ids[5]]);

    // The newest two: the last kudos and, of the two at the same instant, the later id.
    let (total, newest) = store.kudos_latest(from, to, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(newest, all[3..]);
    assert_eq!(newest[0].given_at, tie);
    assert_eq!(newest[1].given_at, to - Duration::microseconds(1));
    // Receivers by display name, giver and text as kudos_between reads them.
    let three = &store.kudos_latest(from, to, 3).await.unwrap().1[0];
    assert_eq!(three.id, ids[4]);
    assert_eq!(
        three.receivers,
        [ada.as_ref(), alan.as_ref(), grace.as_ref()]
    );
    assert_eq!(three.giver, ada.as_ref());
    // A limit beyond the count lists everything.
    for limit in [5, 6, 1000, u32::MAX] {
        assert_eq!(
            store.kudos_latest(from, to, limit).await.unwrap(),
            (5, all.clone()),
            "limit {limit}"
        );
    }
    // No limit: the count alone.
    assert_eq!(store.kudos_latest(from, to, 0).await.unwrap(), (5, vec![]));
    // Half-open at both ends.
    let (total, edge) = store
        .kudos_latest(from, from + Duration::microseconds(1), 10)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(edge.iter().map(|k| k.id).collect::<Vec<_>>(), [ids[1]]);
    let (total, edge) = store
        .kudos_latest(to, to + Duration::days(1), 10)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(edge.iter().map(|k| k.id).collect::<Vec<_>>(), [ids[6]]);
    // Nothing in range, or an empty range.
    assert_eq!(
        store
            .kudos_latest(at(2024, 6, 1, 0, 0, 0), at(2024, 7, 1, 0, 0, 0), 10)
            .await
            .unwrap(),
        (0, vec![])
    );
    assert_eq!(
        store.kudos_latest(from, from, 10).await.unwrap(),
        (0, vec![])
    );
    assert_eq!(store.kudos_latest(to, from, 10).await.unwrap(), (0, vec![]));
}

async fn kudos_are_tallied_per_person_without_those_who_opted_out<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let bob = person(&store, "U2", "bob").await;
    let carol = person(&store, "U3", "Carol").await;
    let dave = person(&store, "U4", "Dave").await;
    let eve = person(&store, "U5", "Eve").await;
    let (from, to) = (at(2024, 5, 1, 0, 0, 0), at(2024, 6, 1, 0, 0, 0));
    let given: [(&Person, &[&Person], DateTime<Utc>); 6] = [
        // One kudos naming three people: one given, one received by each.
        (&ada, &[&bob, &carol, &dave], from),
        (&ada, &[&bob], at(2024, 5, 10, 0, 0, 0)),
        (&bob, &[&ada], to - Duration::microseconds(1)),
        (&eve, &[&bob], at(2024, 5, 20, 0, 0, 0)),
        // Outside the range.
        (&carol, &[&ada], to),
        (&carol, &[&ada], from - Duration::microseconds(1)),
    ];
    for (giver, receivers, t) in given {
        recorded(
            store
                .record_kudos(&kudos(giver, receivers, t), 100, from - Duration::days(1))
                .await
                .unwrap(),
        );
    }
    let row = |p: &Person, received: u64, given: u64| ambassador_core::KudosTally {
        person: p.as_ref(),
        received,
        given,
    };
    assert_eq!(
        store.kudos_tally(from, to).await.unwrap(),
        [
            row(&ada, 1, 2),
            row(&bob, 3, 1),
            row(&carol, 1, 0),
            row(&dave, 1, 0),
            row(&eve, 0, 1),
        ]
    );
    // Opted out: left out, whether they gave or received.
    store.set_kudos_optout(bob.id, true).await.unwrap();
    store.set_kudos_optout(eve.id, true).await.unwrap();
    assert_eq!(
        store.kudos_tally(from, to).await.unwrap(),
        [row(&ada, 1, 2), row(&carol, 1, 0), row(&dave, 1, 0)]
    );
    store.set_kudos_optout(bob.id, false).await.unwrap();
    assert_eq!(store.kudos_tally(from, to).await.unwrap().len(), 4);
    assert!(store.kudos_tally(from, from).await.unwrap().is_empty());
    assert!(
        store
            .kudos_tally(at(2024, 7, 1, 0, 0, 0), at(2024, 8, 1, 0, 0, 0))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn kudos_are_counted_by_the_regions_of_their_receivers<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let sales = department(&store, "Sales", "Americas").await;
    let data = department(&store, "Data", "americas ").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &legal, "UTC").await;
    let alan = ambassador(&store, "U3", "Alan", &sales, "UTC").await;
    let dora = ambassador(&store, "U4", "Dora", &data, "UTC").await;
    let bob = person(&store, "U5", "Bob").await;
    let carol = person(&store, "U6", "Carol").await;
    let eve = person(&store, "U7", "Eve").await;
    // Paused and alumni receivers still count in their region.
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Paused, date(2024, 2, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(alan.id, AmbassadorStatus::Alumni, date(2024, 2, 1))
        .await
        .unwrap();
    let (from, to) = (at(2024, 5, 1, 0, 0, 0), at(2024, 5, 8, 0, 0, 0));
    let given: [(&[&Person], DateTime<Utc>); 9] = [
        // EMEA
        (&[&ada], from),
        // EMEA once, though two receivers are there
        (&[&ada, &grace], at(2024, 5, 2, 0, 0, 0)),
        // EMEA and Americas
        (&[&ada, &alan], at(2024, 5, 3, 0, 0, 0)),
        // Off the roster
        (&[&bob], at(2024, 5, 4, 0, 0, 0)),
        // Off the roster once
        (&[&bob, &carol], at(2024, 5, 5, 0, 0, 0)),
        // Americas (an alumnus) and off the roster
        (&[&alan, &bob], at(2024, 5, 6, 0, 0, 0)),
        // Americas once: two spellings of one region
        (&[&alan, &dora], to - Duration::microseconds(1)),
        // Outside the range
        (&[&ada, &bob], to),
        (&[&ada, &bob], from - Duration::microseconds(1)),
    ];
    for (receivers, t) in given {
        recorded(
            store
                .record_kudos(&kudos(&eve, receivers, t), 100, from - Duration::days(1))
                .await
                .unwrap(),
        );
    }
    let counts = store.kudos_by_region(from, to).await.unwrap();
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert_eq!(counts[0], (String::new(), 3));
    // The name of a region spelled two ways is one of its spellings.
    assert!(
        ["Americas", "americas "].contains(&counts[1].0.as_str()),
        "{counts:?}"
    );
    assert_eq!(counts[1].1, 3);
    assert_eq!(counts[2], ("EMEA".to_owned(), 3));
    // Kudos given in the range after some given outside it: ids no longer follow time.
    recorded(
        store
            .record_kudos(
                &kudos(&eve, &[&grace, &bob], at(2024, 5, 7, 0, 0, 0)),
                100,
                from - Duration::days(1),
            )
            .await
            .unwrap(),
    );
    let counts = store.kudos_by_region(from, to).await.unwrap();
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert_eq!(counts[0], (String::new(), 4));
    assert_eq!(counts[1].1, 3);
    assert_eq!(counts[2], ("EMEA".to_owned(), 4));

    // Only the roster's regions (ordered by key), or only off the roster.
    assert_eq!(
        store
            .kudos_by_region(from, at(2024, 5, 4, 0, 0, 0))
            .await
            .unwrap(),
        [("Americas".to_owned(), 1), ("EMEA".to_owned(), 3)]
    );
    assert_eq!(
        store
            .kudos_by_region(at(2024, 5, 4, 0, 0, 0), at(2024, 5, 6, 0, 0, 0))
            .await
            .unwrap(),
        [(String::new(), 2)]
    );
    // A receiver who leaves the roster counts off it from then on.
    store.remove_ambassador(ada.id).await.unwrap();
    assert_eq!(
        store
            .kudos_by_region(from, at(2024, 5, 4, 0, 0, 0))
            .await
            .unwrap(),
        [
            (String::new(), 3),
            ("Americas".to_owned(), 1),
            ("EMEA".to_owned(), 1)
        ]
    );
    assert!(
        store
            .kudos_by_region(at(2024, 6, 1, 0, 0, 0), at(2024, 7, 1, 0, 0, 0))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.kudos_by_region(from, from).await.unwrap().is_empty());
}

async fn daily_limit_allows_exactly_the_limit<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let day = at(2024, 5, 1, 0, 0, 0);
    for n in 1..=3 {
        let (_, given_today) = recorded(
            store
                .record_kudos(&kudos(&ada, &[&grace], day + Duration::hours(n)), 3, day)
                .await
                .unwrap(),
        );
        assert_eq!(given_today, Some(n as u32));
    }
    let refused = store
        .record_kudos(&kudos(&ada, &[&grace], day + Duration::hours(5)), 3, day)
        .await
        .unwrap();
    assert_eq!(refused, KudosOutcome::LimitReached { given_today: 3 });
    // The refused kudos left no trace, and others may still give.
    let today = store
        .kudos_between(day, day + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(today.len(), 3);
    assert!(today.iter().all(|k| k.receivers == vec![grace.as_ref()]));
    recorded(
        store
            .record_kudos(&kudos(&grace, &[&ada], day + Duration::hours(6)), 3, day)
            .await
            .unwrap(),
    );
    // A limit of zero refuses everything.
    let ed = person(&store, "U3", "Edsger").await;
    assert_eq!(
        store
            .record_kudos(&kudos(&ed, &[&ada], day + Duration::hours(7)), 0, day)
            .await
            .unwrap(),
        KudosOutcome::LimitReached { given_today: 0 }
    );
}

async fn daily_limit_counts_from_day_start<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    // Ada's day starts at 22:00 UTC (a UTC+2 midnight).
    let day_start = at(2024, 5, 1, 22, 0, 0);
    for t in [
        day_start - Duration::seconds(1),
        day_start - Duration::hours(3),
    ] {
        recorded(
            store
                .record_kudos(&kudos(&ada, &[&grace], t), 2, t - Duration::hours(1))
                .await
                .unwrap(),
        );
    }
    // Kudos before the day started do not count against today's limit.
    let (_, first) = recorded(
        store
            .record_kudos(&kudos(&ada, &[&grace], day_start), 2, day_start)
            .await
            .unwrap(),
    );
    assert_eq!(first, Some(1));
    let (_, second) = recorded(
        store
            .record_kudos(
                &kudos(&ada, &[&grace], day_start + Duration::minutes(5)),
                2,
                day_start,
            )
            .await
            .unwrap(),
    );
    assert_eq!(second, Some(2));
    assert_eq!(
        store
            .record_kudos(
                &kudos(&ada, &[&grace], day_start + Duration::minutes(6)),
                2,
                day_start,
            )
            .await
            .unwrap(),
        KudosOutcome::LimitReached { given_today: 2 }
    );
    // The next day starts fresh.
    let next = day_start + Duration::days(1);
    let (_, next_first) = recorded(
        store
            .record_kudos(&kudos(&ada, &[&grace], next), 2, next)
            .await
            .unwrap(),
    );
    assert_eq!(next_first, Some(1));
}

async fn a_busy_giver_is_counted_up_to_the_limit_and_not_at_all_without_one<S: Store + Clone>(
    store: S,
) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let day = at(2024, 5, 1, 0, 0, 0);
    let minute = |n: i64| day + Duration::minutes(n);
    // No limit: recorded, the day not counted, with or without receivers.
    for n in 0..6 {
        let (_, given_today) = recorded(
            store
                .record_kudos(&kudos(&ada, &[&grace], minute(n)), u32::MAX, day)
                .await
                .unwrap(),
        );
        assert_eq!(given_today, None);
    }
    let (_, given_today) = recorded(
        store
            .record_kudos(&kudos(&ada, &[], minute(6)), u32::MAX, day)
            .await
            .unwrap(),
    );
    assert_eq!(given_today, None);
    // A limit set later counts the day's kudos, all seven, up to the limit: she has given hers.
    assert_eq!(
        store
            .record_kudos(&kudos(&ada, &[&grace], minute(7)), 3, day)
            .await
            .unwrap(),
        KudosOutcome::LimitReached { given_today: 3 }
    );
    // Under a higher limit the count is exact, with or without receivers.
    let (_, given_today) = recorded(
        store
            .record_kudos(&kudos(&ada, &[&grace], minute(8)), 10, day)
            .await
            .unwrap(),
    );
    assert_eq!(given_today, Some(8));
    let (_, given_today) = recorded(
        store
            .record_kudos(&kudos(&ada, &[], minute(9)), 10, day)
            .await
            .unwrap(),
    );
    assert_eq!(given_today, Some(9));
    let stored = store
        .kudos_between(day, day + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(stored.len(), 9, "the refused one left no trace");
}

async fn concurrent_kudos_never_pass_the_limit<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let day = at(2024, 5, 1, 0, 0, 0);
    let mut tasks = Vec::new();
    for n in 0..10 {
        let store = store.clone();
        let new = kudos(&ada, &[&grace], day + Duration::minutes(n));
        tasks.push(tokio::spawn(async move {
            store.record_kudos(&new, 5, day).await.unwrap()
        }));
    }
    let mut counts = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            KudosOutcome::Recorded { given_today, .. } => counts.push(given_today.unwrap()),
            KudosOutcome::LimitReached { given_today } => {
                assert_eq!(given_today, 5);
                refused += 1;
            }
        }
    }
    counts.sort_unstable();
    assert_eq!(counts, [1, 2, 3, 4, 5]);
    assert_eq!(refused, 5);
    let stored = store
        .kudos_between(day, day + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(stored.len(), 5);
}

async fn kudos_with_unknown_people_are_refused<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let day = at(2024, 5, 1, 0, 0, 0);
    let mut to_nobody = kudos(&ada, &[], day);
    to_nobody.receivers = vec![ada.id + 1000];
    assert!(matches!(
        store.record_kudos(&to_nobody, 5, day).await,
        Err(StoreError::NotFound(_))
    ));
    let mut from_nobody = kudos(&ada, &[&ada], day);
    from_nobody.giver = ada.id + 1000;
    assert!(matches!(
        store.record_kudos(&from_nobody, 5, day).await,
        Err(StoreError::NotFound(_))
    ));
    // Nothing half-recorded.
    assert!(
        store
            .kudos_between(day, day + Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
}

const SOURCE: &str = "slack:reaction:C0GENERAL:1741082000.000100";

async fn kudos_from_a_source_count_once_per_giver<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let alan = person(&store, "U3", "Alan").await;
    let day = at(2024, 5, 1, 0, 0, 0);
    let mut by_reaction = kudos(&ada, &[&grace], day + Duration::hours(9));
    by_reaction.source = Some(SOURCE.to_owned());
    recorded(store.record_kudos(&by_reaction, 5, day).await.unwrap());
    // The same giver and source again: refused, and nothing counted.
    let again = store.record_kudos(&by_reaction, 5, day).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    // Another giver on the same message, and the same giver elsewhere, count.
    let mut other_giver = by_reaction.clone();
    other_giver.giver = alan.id;
    recorded(store.record_kudos(&other_giver, 5, day).await.unwrap());
    let mut other_message = by_reaction.clone();
    other_message.source = Some("slack:reaction:C0GENERAL:1741082999.000900".to_owned());
    recorded(store.record_kudos(&other_message, 5, day).await.unwrap());
    // Kudos without a source never collide.
    for _ in 0..2 {
        recorded(
            store
                .record_kudos(&kudos(&ada, &[&grace], day + Duration::hours(10)), 5, day)
                .await
                .unwrap(),
        );
    }
    assert_eq!(store.kudos_counts(grace.id).await.unwrap(), (5, 0));
    assert_eq!(store.kudos_counts(ada.id).await.unwrap(), (0, 4));
}

async fn kudos_taken_back_count_nowhere_and_can_be_given_again<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let alan = person(&store, "U3", "Alan").await;
    let emea = department(&store, "Finance", "EMEA").await;
    store
        .add_ambassador(grace.id, emea.id, "Europe/Berlin", date(2024, 1, 1))
        .await
        .unwrap();
    let day = at(2024, 5, 1, 0, 0, 0);
    let (from, to) = (day, day + Duration::days(1));
    let mut by_reaction = kudos(&ada, &[&grace, &alan], day + Duration::hours(9));
    by_reaction.source = Some(SOURCE.to_owned());
    by_reaction.tags = vec!["docs".to_owned()];
    let (id, _) = recorded(store.record_kudos(&by_reaction, 5, day).await.unwrap());
    let kept = recorded(
        store
            .record_kudos(&kudos(&ada, &[&grace], day + Duration::hours(10)), 5, day)
            .await
            .unwrap(),
    );

    // Nobody else takes it back, nor another source.
    assert_eq!(store.take_back_kudos(alan.id, SOURCE).await.unwrap(), None);
    assert_eq!(
        store
            .take_back_kudos(ada.id, "slack:reaction:C0GENERAL:1")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.kudos_counts(grace.id).await.unwrap(), (2, 0));

    let gone = store
        .take_back_kudos(ada.id, SOURCE)
        .await
        .unwrap()
        .expect("the kudos is taken back");
    assert_eq!(gone.id, id);
    assert_eq!(gone.giver.display_name, "Ada");
    assert_eq!(display_names(&gone.receivers), ["Alan", "Grace"]);
    assert_eq!(gone.reason, by_reaction.reason);
    assert_eq!(gone.tags, ["docs"]);
    assert_eq!(gone.given_at, by_reaction.given_at);
    assert_eq!(gone.room, by_reaction.room);
    // It counts nowhere: counts, lists, the latest, the regions, the person's kudos.
    assert_eq!(store.kudos_counts(grace.id).await.unwrap(), (1, 0));
    assert_eq!(store.kudos_counts(alan.id).await.unwrap(), (0, 0));
    assert_eq!(store.kudos_counts(ada.id).await.unwrap(), (0, 1));
    let left = store.kudos_between(from, to).await.unwrap();
    assert_eq!(left.iter().map(|k| k.id).collect::<Vec<_>>(), [kept.0]);
    assert_eq!(store.kudos_latest(from, to, 5).await.unwrap().0, 1);
    assert_eq!(
        store.kudos_by_region(from, to).await.unwrap(),
        [("EMEA".to_owned(), 1)]
    );
    assert!(store.kudos_received(alan.id).await.unwrap().is_empty());
    // A second take-back finds nothing.
    assert_eq!(store.take_back_kudos(ada.id, SOURCE).await.unwrap(), None);

    // Given again from the same source: it counts again.
    recorded(store.record_kudos(&by_reaction, 5, day).await.unwrap());
    assert_eq!(store.kudos_counts(alan.id).await.unwrap(), (1, 0));
}

async fn concurrent_take_backs_take_a_kudos_once<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let day = at(2024, 5, 1, 0, 0, 0);
    let mut by_reaction = kudos(&ada, &[&grace], day + Duration::hours(9));
    by_reaction.source = Some(SOURCE.to_owned());
    recorded(store.record_kudos(&by_reaction, 5, day).await.unwrap());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let giver = ada.id;
        tasks.push(tokio::spawn(async move {
            store.take_back_kudos(giver, SOURCE).await.unwrap()
        }));
    }
    let mut taken = 0;
    for task in tasks {
        if task.await.unwrap().is_some() {
            taken += 1;
        }
    }
    assert_eq!(taken, 1);
    assert_eq!(store.kudos_counts(grace.id).await.unwrap(), (0, 0));
}

async fn kudos_received_and_counted_per_person<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let bob = person(&store, "U3", "bob").await;
    let late = recorded(
        store
            .record_kudos(
                &kudos(&grace, &[&grace, &ada, &bob], at(2024, 5, 3, 0, 0, 0)),
                10,
                at(2024, 5, 3, 0, 0, 0),
            )
            .await
            .unwrap(),
    );
    let early = recorded(
        store
            .record_kudos(
                &kudos(&bob, &[&ada], at(2024, 5, 1, 0, 0, 0)),
                10,
                at(2024, 5, 1, 0, 0, 0),
            )
            .await
            .unwrap(),
    );
    recorded(
        store
            .record_kudos(
                &kudos(&ada, &[&grace], at(2024, 5, 2, 0, 0, 0)),
                10,
                at(2024, 5, 2, 0, 0, 0),
            )
            .await
            .unwrap(),
    );
    let received = store.kudos_received(ada.id).await.unwrap();
    let ids: Vec<i64> = received.iter().map(|k| k.id).collect();
    assert_eq!(ids, [early.0, late.0]);
    assert_eq!(received[0].giver, bob.as_ref());
    assert_eq!(
        display_names(&received[1].receivers),
        ["Ada", "bob", "Grace"]
    );
    assert_eq!(received[1].given_at, at(2024, 5, 3, 0, 0, 0));
    assert_eq!(store.kudos_counts(ada.id).await.unwrap(), (2, 1));
    assert_eq!(store.kudos_counts(grace.id).await.unwrap(), (2, 1));
    let nobody = person(&store, "U4", "Nobody").await;
    assert_eq!(store.kudos_received(nobody.id).await.unwrap(), []);
    assert_eq!(store.kudos_counts(nobody.id).await.unwrap(), (0, 0));
}

async fn kudos_figures_count_periods_tags_departments_and_the_most_active<S: Store + Clone>(
    store: S,
) {
    let finance = department(&store, "Finance", "EMEA").await;
    let sales = department(&store, "Sales", "EMEA").await;
    let tokyo = department(&store, "Tokyo", "APAC").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let bob = ambassador(&store, "U3", "Bob", &sales, "UTC").await;
    let ken = ambassador(&store, "U4", "Ken", &tokyo, "UTC").await;
    let mia = person(&store, "U5", "Mia").await;
    let zoe = person(&store, "U6", "Zoe").await;
    store.set_kudos_optout(zoe.id, true).await.unwrap();
    let tagged = |k: NewKudos, tags: &[&str]| NewKudos {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..k
    };
    let given = [
        // Before the first week (not counted).
        kudos(&ada, &[&ken], at(2024, 5, 5, 23, 59, 59)),
        // Week one.
        tagged(
            kudos(&ada, &[&bob, &ken], at(2024, 5, 6, 0, 0, 0)),
            &["docs", "release"],
        ),
        tagged(kudos(&bob, &[&ada], at(2024, 5, 7, 10, 0, 0)), &["docs"]),
        // At the end of the last week (not counted), recorded between the weeks' kudos: its id
        // lies among theirs.
        kudos(&ken, &[&mia], at(2024, 5, 20, 0, 0, 0)),
        // Week two.
        kudos(&mia, &[&ada, &bob], at(2024, 5, 14, 10, 0, 0)),
        tagged(
            kudos(&zoe, &[&ken], at(2024, 5, 15, 10, 0, 0)),
            &["release"],
        ),
        kudos(&mia, &[&ken], at(2024, 5, 16, 10, 0, 0)),
        kudos(&ada, &[&zoe], at(2024, 5, 17, 10, 0, 0)),
        // Two receivers in one department: once for it.
        kudos(&ken, &[&ada, &grace], at(2024, 5, 19, 23, 59, 59)),
    ];
    for k in &given {
        recorded(
            store
                .record_kudos(k, 100, k.given_at - Duration::days(1))
                .await
                .unwrap(),
        );
    }
    let bounds = [
        at(2024, 5, 6, 0, 0, 0),
        at(2024, 5, 13, 0, 0, 0),
        at(2024, 5, 20, 0, 0, 0),
    ];
    let figures = store.kudos_figures(&bounds, 3).await.unwrap();
    assert_eq!(figures.per_period, vec![2, 5]);
    assert_eq!(
        figures.tags,
        vec![("docs".to_string(), 2), ("release".to_string(), 2)]
    );
    let by_name = |list: &[(Department, u64)]| -> Vec<(String, u64)> {
        list.iter().map(|(d, n)| (d.name.clone(), *n)).collect()
    };
    assert_eq!(
        by_name(&figures.departments),
        vec![
            ("Finance".into(), 3),
            ("Sales".into(), 2),
            ("Tokyo".into(), 3)
        ]
    );
    let named = |list: &[(PersonRef, u64)]| -> Vec<(String, u64)> {
        list.iter()
            .map(|(p, n)| (p.display_name.clone(), *n))
            .collect()
    };
    // Zoe opted out: counted nowhere by name. Ties go by display name.
    assert_eq!(
        named(&figures.givers),
        vec![("Ada".into(), 2), ("Mia".into(), 2), ("Bob".into(), 1)]
    );
    assert_eq!(
        named(&figures.receivers),
        vec![("Ada".into(), 3), ("Ken".into(), 3), ("Bob".into(), 2)]
    );
    // Regions as `kudos_by_region` counts them (Zoe, thanked once, is on no roster).
    assert_eq!(
        figures.regions,
        store.kudos_by_region(bounds[0], bounds[2]).await.unwrap()
    );
    assert_eq!(
        figures.regions,
        vec![
            (String::new(), 1),
            ("APAC".to_string(), 3),
            ("EMEA".to_string(), 4)
        ]
    );
    // The same kudos as the tally counts.
    let tally = store.kudos_tally(bounds[0], bounds[2]).await.unwrap();
    let most_received = tally.iter().map(|t| t.received).max().unwrap();
    assert_eq!(figures.receivers[0].1, most_received);

    // Three periods of different lengths.
    let thirds = [bounds[0], bounds[1], at(2024, 5, 16, 0, 0, 0), bounds[2]];
    let split = store.kudos_figures(&thirds, 3).await.unwrap();
    assert_eq!(split.per_period, vec![2, 2, 3]);
    assert_eq!(split.tags, figures.tags);

    // Week one alone (no other kudos among its ids).
    let week_one = store.kudos_figures(&bounds[..2], 3).await.unwrap();
    assert_eq!(week_one.per_period, vec![2]);
    assert_eq!(
        by_name(&week_one.departments),
        vec![
            ("Finance".into(), 1),
            ("Sales".into(), 1),
            ("Tokyo".into(), 1)
        ]
    );
    assert_eq!(
        named(&week_one.receivers),
        vec![("Ada".into(), 1), ("Bob".into(), 1), ("Ken".into(), 1)]
    );
    assert_eq!(
        week_one.regions,
        vec![("APAC".to_string(), 1), ("EMEA".to_string(), 2)]
    );

    // Nothing named when asked for none; no period without two bounds.
    let none = store.kudos_figures(&bounds, 0).await.unwrap();
    assert!(none.givers.is_empty() && none.receivers.is_empty());
    assert_eq!(none.per_period, vec![2, 5]);
    assert_eq!(
        store
            .kudos_figures(&bounds[..1], 3)
            .await
            .unwrap()
            .per_period,
        Vec::<u64>::new()
    );
}
