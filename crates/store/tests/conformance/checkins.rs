//! Conformance of check-ins (`CheckinStore`): answers, the current check-in, the office's view,
//! pauses.

use super::*;

conformance! {
    everywhere: [
        answers_append_or_replace_and_answered_at_is_set_once,
        concurrent_answers_all_land,
        the_current_checkin_is_the_newest_still_taking_answers,
        checkins_are_filtered_and_ordered_for_the_office,
        a_pause_takes_open_check_ins_out_of_their_round,
        round_figures_count_each_round_by_region_with_the_median_time_to_answer,
        round_figures_follow_the_roster_and_the_org_map_as_they_change,
    ],
    sql_only: [],
}

async fn answers_append_or_replace_and_answered_at_is_set_once<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let round = date(2024, 5, 6);
    let t0 = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(
            &open_checkins(vec![opening(round, &ada), opening(round, &grace)]),
            t0,
        )
        .await
        .unwrap();
    let (t1, t2, t3) = (
        t0 + Duration::hours(1),
        t0 + Duration::hours(2),
        t0 + Duration::hours(3),
    );
    let first = store
        .write_checkin_answer(round, ada.id, "Shipped the docs", false, t1)
        .await
        .unwrap();
    assert_eq!(first.answer, "Shipped the docs");
    assert_eq!(first.status, CheckinStatus::Answered);
    assert_eq!(first.answered_at, Some(t1));
    let second = store
        .write_checkin_answer(round, ada.id, "Need a budget", false, t2)
        .await
        .unwrap();
    assert_eq!(second.answer, "Shipped the docs\nNeed a budget");
    assert_eq!(second.answered_at, Some(t1));
    let replaced = store
        .write_checkin_answer(round, ada.id, "Only this — ça va 👍", true, t3)
        .await
        .unwrap();
    assert_eq!(replaced.answer, "Only this — ça va 👍");
    assert_eq!(replaced.answered_at, Some(t1));
    assert_eq!(checkin_of(&store, round, &ada).await, replaced);

    // An empty answer changes nothing.
    let empty = store
        .write_checkin_answer(round, grace.id, "", false, t1)
        .await
        .unwrap();
    assert_eq!(empty.answer, "");
    assert_eq!(empty.status, CheckinStatus::Open);
    assert_eq!(empty.answered_at, None);
    // A skipped check-in that gets an answer after all is answered.
    let skipped = store
        .set_checkin_status(round, grace.id, CheckinStatus::Skipped)
        .await
        .unwrap();
    assert_eq!(skipped.status, CheckinStatus::Skipped);
    let late = store
        .write_checkin_answer(round, grace.id, "Back after all", false, t2)
        .await
        .unwrap();
    assert_eq!(late.status, CheckinStatus::Answered);
    assert_eq!(late.answered_at, Some(t2));

    let elsewhere = date(2024, 5, 20);
    assert!(matches!(
        store
            .write_checkin_answer(elsewhere, ada.id, "x", false, t1)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .set_checkin_status(elsewhere, ada.id, CheckinStatus::Skipped)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn concurrent_answers_all_land<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let round = date(2024, 5, 6);
    let t0 = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(&open_checkins(vec![opening(round, &ada)]), t0)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write_checkin_answer(round, ada.id, &format!("line {i}"), false, t0)
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let answer = checkin_of(&store, round, &ada).await.answer;
    let mut lines: Vec<&str> = answer.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        (0..8).map(|i| format!("line {i}")).collect::<Vec<_>>()
    );
}

async fn the_current_checkin_is_the_newest_still_taking_answers<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let (r1, r2) = (date(2024, 5, 6), date(2024, 5, 8));
    store
        .apply(
            &open_checkins(vec![opening(r1, &ada), opening(r2, &ada)]),
            at(2024, 5, 6, 9, 0, 0),
        )
        .await
        .unwrap();
    let current = |now| {
        let store = store.clone();
        async move {
            store
                .current_checkin(ada.id, now)
                .await
                .unwrap()
                .map(|c| c.round)
        }
    };
    // r1 closes on the 9th at 09:00, r2 on the 11th at 09:00.
    let both_open = at(2024, 5, 8, 12, 0, 0);
    assert_eq!(current(both_open).await, Some(r2));
    assert_eq!(current(at(2024, 5, 6, 10, 0, 0)).await, Some(r2));
    store
        .write_checkin_answer(r2, ada.id, "done", false, both_open)
        .await
        .unwrap();
    assert_eq!(current(both_open).await, Some(r2));
    store
        .set_checkin_status(r2, ada.id, CheckinStatus::Skipped)
        .await
        .unwrap();
    assert_eq!(current(both_open).await, Some(r2));
    // A missed check-in takes no answers; the older round still does.
    store
        .set_checkin_status(r2, ada.id, CheckinStatus::Missed)
        .await
        .unwrap();
    assert_eq!(current(both_open).await, Some(r1));
    store
        .set_checkin_status(r2, ada.id, CheckinStatus::Open)
        .await
        .unwrap();
    // closes_at is exclusive.
    assert_eq!(current(at(2024, 5, 9, 8, 59, 59)).await, Some(r2));
    store
        .set_checkin_status(r2, ada.id, CheckinStatus::Missed)
        .await
        .unwrap();
    assert_eq!(current(at(2024, 5, 9, 8, 59, 59)).await, Some(r1));
    assert_eq!(current(at(2024, 5, 9, 9, 0, 0)).await, None);
    assert_eq!(
        store.current_checkin(grace.id, both_open).await.unwrap(),
        None
    );
}

async fn checkins_are_filtered_and_ordered_for_the_office<S: Store + Clone>(store: S) {
    let zeta = department(&store, "Zeta", "apac").await;
    let alpha = department(&store, "alpha", "EMEA").await;
    let beta = department(&store, "Beta", "emea").await;
    let yan = ambassador(&store, "U1", "Yan", &zeta, "Asia/Tokyo").await;
    let zoe = ambassador(&store, "U2", "zoe", &alpha, "UTC").await;
    let amir = ambassador(&store, "U3", "amir", &alpha, "UTC").await;
    let bob = ambassador(&store, "U4", "Bob", &beta, "UTC").await;
    let (r1, r2) = (date(2024, 5, 6), date(2024, 5, 20));
    let t0 = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(
            &open_checkins(vec![
                opening(r1, &bob),
                opening(r1, &zoe),
                opening(r1, &amir),
                opening(r1, &yan),
                opening(r2, &zoe),
                opening(r2, &yan),
                opening(r2, &amir),
            ]),
            t0,
        )
        .await
        .unwrap();
    store
        .write_checkin_answer(r1, zoe.id, "Ran a workshop", false, t0)
        .await
        .unwrap();
    // Answered, then skipped after all: the answer stays.
    store
        .set_checkin_status(r1, zoe.id, CheckinStatus::Skipped)
        .await
        .unwrap();
    store
        .write_checkin_answer(r2, amir.id, "Need time", false, t0)
        .await
        .unwrap();
    store
        .set_checkin_status(r1, yan.id, CheckinStatus::Skipped)
        .await
        .unwrap();
    // Alumni keep their check-ins.
    store
        .set_ambassador_status(bob.id, AmbassadorStatus::Alumni, date(2024, 5, 10))
        .await
        .unwrap();

    let read = |filter: CheckinFilter| {
        let store = store.clone();
        async move {
            store
                .checkins(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.checkin.round, e.ambassador.person.display_name))
                .collect::<Vec<_>>()
        }
    };
    let row = |round: NaiveDate, name: &str| (round, name.to_owned());
    assert_eq!(
        read(CheckinFilter::default()).await,
        [
            row(r2, "Yan"),
            row(r2, "amir"),
            row(r2, "zoe"),
            row(r1, "Yan"),
            row(r1, "amir"),
            row(r1, "zoe"),
            row(r1, "Bob"),
        ]
    );
    assert_eq!(
        read(CheckinFilter {
            from_round: Some(r2),
            ..CheckinFilter::default()
        })
        .await,
        [row(r2, "Yan"), row(r2, "amir"), row(r2, "zoe")]
    );
    assert_eq!(
        read(CheckinFilter {
            to_round: Some(r1),
            person: Some(bob.id),
            ..CheckinFilter::default()
        })
        .await,
        [row(r1, "Bob")]
    );
    assert!(
        read(CheckinFilter {
            from_round: Some(date(2024, 5, 7)),
            to_round: Some(date(2024, 5, 19)),
            ..CheckinFilter::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        read(CheckinFilter {
            person: Some(zoe.id),
            ..CheckinFilter::default()
        })
        .await,
        [row(r2, "zoe"), row(r1, "zoe")]
    );
    assert_eq!(
        read(CheckinFilter {
            statuses: vec![CheckinStatus::Answered],
            ..CheckinFilter::default()
        })
        .await,
        [row(r2, "amir")]
    );
    assert_eq!(
        read(CheckinFilter {
            statuses: vec![CheckinStatus::Skipped, CheckinStatus::Open],
            ..CheckinFilter::default()
        })
        .await,
        [
            row(r2, "Yan"),
            row(r2, "zoe"),
            row(r1, "Yan"),
            row(r1, "amir"),
            row(r1, "zoe"),
            row(r1, "Bob"),
        ]
    );
    assert_eq!(
        read(CheckinFilter {
            answered_only: true,
            ..CheckinFilter::default()
        })
        .await,
        [row(r2, "amir"), row(r1, "zoe")]
    );
    assert_eq!(
        read(CheckinFilter {
            answered_only: true,
            statuses: vec![CheckinStatus::Skipped],
            ..CheckinFilter::default()
        })
        .await,
        [row(r1, "zoe")]
    );
    // Each entry carries the roster entry as `ambassador` reads it.
    let entries = store
        .checkins(&CheckinFilter {
            person: Some(bob.id),
            ..CheckinFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        Some(entries[0].ambassador.clone()),
        store.ambassador(bob.id).await.unwrap()
    );
    assert_eq!(entries[0].ambassador.status, AmbassadorStatus::Alumni);
    assert_eq!(entries[0].checkin.person, bob.id);
    assert_eq!(entries[0].checkin.status, CheckinStatus::Open);
    let zoe_r1 = checkin_of(&store, r1, &zoe).await;
    assert_eq!(zoe_r1.status, CheckinStatus::Skipped);
    assert_eq!(zoe_r1.answer, "Ran a workshop");
}

async fn a_pause_takes_open_check_ins_out_of_their_round<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let bea = ambassador(&store, "U2", "Bea", &finance, "UTC").await;
    let (earlier, round) = (date(2024, 4, 29), date(2024, 5, 6));
    store
        .apply(
            &open_checkins(vec![
                opening(earlier, &ada),
                opening(round, &ada),
                opening(round, &bea),
            ]),
            at(2024, 5, 6, 9, 0, 0),
        )
        .await
        .unwrap();
    store
        .write_checkin_answer(round, bea.id, "All good", false, at(2024, 5, 6, 10, 0, 0))
        .await
        .unwrap();
    // The round of 2024-04-29 has closed; bea answered: only ada's open one is taken out.
    let now = at(2024, 5, 6, 12, 0, 0);
    assert_eq!(
        store.pause_open_checkins(ada.id, now).await.unwrap(),
        [round]
    );
    assert_eq!(
        store.pause_open_checkins(bea.id, now).await.unwrap(),
        Vec::<NaiveDate>::new()
    );
    assert_eq!(
        checkin_of(&store, round, &ada).await.status,
        CheckinStatus::Paused
    );
    assert_eq!(
        checkin_of(&store, earlier, &ada).await.status,
        CheckinStatus::Open
    );
    assert_eq!(
        checkin_of(&store, round, &bea).await.status,
        CheckinStatus::Answered
    );
    // No longer current (nothing to answer), and found by its status.
    assert_eq!(store.current_checkin(ada.id, now).await.unwrap(), None);
    let paused = store
        .checkins(&CheckinFilter {
            statuses: vec![CheckinStatus::Paused],
            ..CheckinFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(paused.len(), 1);
    assert_eq!(paused[0].ambassador.person, ada);
}

async fn round_figures_count_each_round_by_region_with_the_median_time_to_answer<
    S: Store + Clone,
>(
    store: S,
) {
    // One region spelt two ways (its least spelling names it), and another region.
    let finance = department(&store, "Finance", "EMEA").await;
    let sales = department(&store, "Sales", "Emea").await;
    let tokyo = department(&store, "Tokyo", "APAC").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let bob = ambassador(&store, "U3", "Bob", &sales, "UTC").await;
    let ken = ambassador(&store, "U4", "Ken", &tokyo, "UTC").await;
    let everyone = [&ada, &grace, &bob, &ken];
    let (before, r1, r2) = (date(2024, 4, 29), date(2024, 5, 6), date(2024, 5, 13));
    for round in [before, r1, r2] {
        let openings = everyone.iter().map(|p| opening(round, p)).collect();
        store
            .apply(&open_checkins(openings), at(2024, 4, 29, 9, 0, 0))
            .await
            .unwrap();
    }
    let answer = |round: NaiveDate, p: &Person, after: Duration| {
        let (store, id) = (store.clone(), p.id);
        let prompted = Utc.from_utc_datetime(&round.and_hms_opt(9, 0, 0).unwrap());
        async move {
            store
                .write_checkin_answer(round, id, "Done", false, prompted + after)
                .await
                .unwrap();
        }
    };
    answer(before, &ada, Duration::days(2)).await;
    answer(r1, &ada, Duration::hours(1)).await;
    answer(r1, &grace, Duration::hours(5)).await;
    answer(r1, &ken, Duration::hours(2)).await;
    answer(r2, &ada, Duration::minutes(30)).await;
    for (round, p, status) in [
        (r1, &bob, CheckinStatus::Skipped),
        (r2, &grace, CheckinStatus::Paused),
        (r2, &bob, CheckinStatus::Missed),
    ] {
        store.set_checkin_status(round, p.id, status).await.unwrap();
    }
    let closes = |round: NaiveDate| opening(round, &ada).closes_at;
    let row = |round, region: Option<&str>, counts: [u32; 4], median: Option<Duration>| {
        ambassador_core::RoundFigures {
            round,
            region: region.map(str::to_owned),
            counts: ambassador_core::CheckinCounts {
                prompted: counts[0],
                answered: counts[1],
                skipped: counts[2],
                paused: counts[3],
            },
            last_closes_at: closes(round),
            median_to_answer: median,
        }
    };
    assert_eq!(
        store.round_figures(date(2024, 5, 1), None).await.unwrap(),
        vec![
            // Answer times 1 h, 2 h and 5 h: the middle one.
            row(r1, None, [4, 3, 1, 0], Some(Duration::hours(2))),
            row(r1, Some("APAC"), [1, 1, 0, 0], None),
            row(r1, Some("EMEA"), [3, 2, 1, 0], None),
            row(r2, None, [4, 1, 0, 1], Some(Duration::minutes(30))),
            row(r2, Some("APAC"), [1, 0, 0, 0], None),
            row(r2, Some("EMEA"), [3, 1, 0, 1], None),
        ]
    );
    // One region (any spelling): its rounds, and its own median (of two, the later one).
    assert_eq!(
        store
            .round_figures(date(2024, 5, 1), Some("emea"))
            .await
            .unwrap(),
        vec![
            row(r1, None, [3, 2, 1, 0], Some(Duration::hours(5))),
            row(r1, Some("EMEA"), [3, 2, 1, 0], None),
            row(r2, None, [3, 1, 0, 1], Some(Duration::minutes(30))),
            row(r2, Some("EMEA"), [3, 1, 0, 1], None),
        ]
    );
    // The same check-ins as the office's list counts.
    let listed = store
        .checkins(&CheckinFilter {
            from_round: Some(date(2024, 5, 1)),
            ..CheckinFilter::default()
        })
        .await
        .unwrap();
    let prompted: u32 = store
        .round_figures(date(2024, 5, 1), None)
        .await
        .unwrap()
        .iter()
        .filter(|f| f.region.is_none())
        .map(|f| f.counts.prompted)
        .sum();
    assert_eq!(prompted as usize, listed.len());
    assert!(
        store
            .round_figures(date(2024, 5, 1), Some("Nowhere"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .round_figures(date(2024, 6, 1), None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The figures of each round, per region, counted from the office's list of check-ins (the live
/// count the databases keep tallies of): prompted, answered, skipped, paused, and when the last one
/// closes, under each region's least spelling.
async fn figures_from_the_list(
    store: &impl Store,
    from: NaiveDate,
) -> Vec<(NaiveDate, String, [u32; 4], DateTime<Utc>)> {
    let listed = store
        .checkins(&CheckinFilter {
            from_round: Some(from),
            ..CheckinFilter::default()
        })
        .await
        .unwrap();
    type Counted = (String, [u32; 4], DateTime<Utc>);
    let mut counted: std::collections::BTreeMap<(NaiveDate, String), Counted> = Default::default();
    for entry in &listed {
        let region = &entry.ambassador.department.region;
        let row = counted
            .entry((entry.checkin.round, ambassador_core::name_key(region)))
            .or_insert_with(|| (region.clone(), [0; 4], entry.checkin.closes_at));
        row.0 = row.0.clone().min(region.clone());
        row.1[0] += 1;
        match entry.checkin.status {
            CheckinStatus::Answered => row.1[1] += 1,
            CheckinStatus::Skipped => row.1[2] += 1,
            CheckinStatus::Paused => row.1[3] += 1,
            _ => {}
        }
        row.2 = row.2.max(entry.checkin.closes_at);
    }
    counted
        .into_iter()
        .map(|((round, _), (region, counts, closes))| (round, region, counts, closes))
        .collect()
}

async fn round_figures_follow_the_roster_and_the_org_map_as_they_change<S: Store + Clone>(
    store: S,
) {
    let finance = department(&store, "Finance", "EMEA").await;
    let sales = department(&store, "Sales", "Emea").await;
    let tokyo = department(&store, "Tokyo", "APAC").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let bob = ambassador(&store, "U3", "Bob", &sales, "UTC").await;
    let ken = ambassador(&store, "U4", "Ken", &tokyo, "Asia/Tokyo").await;
    let (r1, r2) = (date(2024, 5, 6), date(2024, 5, 13));
    for round in [r1, r2] {
        // Each person's check-in closes at their own instant.
        let openings = [&ada, &grace, &bob, &ken]
            .iter()
            .enumerate()
            .map(|(i, p)| NewCheckin {
                closes_at: opening(round, p).closes_at + Duration::hours(i as i64),
                ..opening(round, p)
            })
            .collect();
        store
            .apply(&open_checkins(openings), at(2024, 5, 6, 9, 0, 0))
            .await
            .unwrap();
    }
    let figures = || async {
        store
            .round_figures(r1, None)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|f| {
                let c = f.counts;
                let counts = [c.prompted, c.answered, c.skipped, c.paused];
                f.region.map(|r| (f.round, r, counts, f.last_closes_at))
            })
            .collect::<Vec<_>>()
    };
    macro_rules! same_as_the_list {
        ($what:literal) => {
            assert_eq!(
                figures().await,
                figures_from_the_list(&store, r1).await,
                $what
            );
        };
    }
    same_as_the_list!("opened");
    store
        .write_checkin_answer(r1, ada.id, "Done", false, at(2024, 5, 6, 10, 0, 0))
        .await
        .unwrap();
    store
        .set_checkin_status(r1, bob.id, CheckinStatus::Skipped)
        .await
        .unwrap();
    store
        .set_checkin_status(r2, ken.id, CheckinStatus::Paused)
        .await
        .unwrap();
    same_as_the_list!("answered, skipped, paused");
    // Bob moves to Tokyo: his check-ins count in APAC from now on.
    store
        .add_ambassador(bob.id, tokyo.id, "UTC", date(2024, 5, 20))
        .await
        .unwrap();
    same_as_the_list!("moved to another department");
    // Finance moves to another region; Sales is respelt within its region.
    store
        .set_department_region(finance.id, "Americas")
        .await
        .unwrap();
    store.set_department_region(sales.id, "emea").await.unwrap();
    same_as_the_list!("departments moved and respelt");
    // Ken leaves the roster (his check-ins are no longer counted), then comes back in Finance.
    store.remove_ambassador(ken.id).await.unwrap();
    same_as_the_list!("removed");
    assert!(
        figures().await.iter().all(|f| f.1 != "APAC" || f.2[0] == 1),
        "only Bob's check-ins are left in APAC"
    );
    store
        .add_ambassador(ken.id, finance.id, "Asia/Tokyo", date(2024, 5, 20))
        .await
        .unwrap();
    store
        .write_checkin_answer(
            r2,
            grace.id,
            "Late but done",
            false,
            at(2024, 5, 14, 9, 0, 0),
        )
        .await
        .unwrap();
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Alumni, date(2024, 5, 20))
        .await
        .unwrap();
    same_as_the_list!("back on the roster, alumni");
    assert!(!figures().await.is_empty());
}
