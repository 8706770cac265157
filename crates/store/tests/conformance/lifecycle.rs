//! Conformance of the lifecycle (`LifecycleStore`): applications, nominations, terms, misuse
//! reports, opt-outs, managers, signs of life, renewals.

use super::*;

conformance! {
    everywhere: [
        applications_are_drafted_answered_submitted_and_decided_once,
        applications_are_declined_with_a_reason_or_withdrawn,
        concurrent_applications_never_both_start,
        nominations_conflict_while_open_and_close_on_decision,
        terms_follow_adds_moves_alumni_and_removals,
        departments_in_office_follow_the_terms,
        misuse_reports_are_listed_and_resolved_once,
        kudos_optouts_and_managers_are_set_and_cleared,
        last_active_is_the_latest_sign_of_life_of_active_ambassadors,
        renewals_are_confirmed_once_per_anniversary,
        renewal_asks_are_recorded_once_with_their_instant,
    ],
    // On SQLite and PostgreSQL only, as they reach under the port into SQL:
    // terms_are_backfilled_from_the_roster: it undoes and reruns a migration.
    // the_facts_migration_backfills_asks_and_first_knowledge: it undoes and reruns a migration.
    sql_only: [
        terms_are_backfilled_from_the_roster,
        the_facts_migration_backfills_asks_and_first_knowledge,
    ],
}

fn term(department: &Department, since: NaiveDate, until: Option<NaiveDate>) -> Term {
    Term {
        department: department.clone(),
        since,
        until,
    }
}

async fn applications_are_drafted_answered_submitted_and_decided_once<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    let started_at = at(2024, 5, 6, 9, 0, 0) + Duration::microseconds(123_456);
    assert_eq!(store.pending_application(ada.id).await.unwrap(), None);

    let draft = store
        .start_application(ada.id, 3, started_at)
        .await
        .unwrap();
    assert_eq!(draft.person, ada);
    assert_eq!(draft.status, ApplicationStatus::Draft);
    assert_eq!(draft.answers, ["", "", ""]);
    assert_eq!(draft.department, None);
    assert_eq!(draft.created_at, started_at);
    assert_eq!(
        (draft.submitted_at, draft.decided_at, draft.reason.clone()),
        (None, None, None)
    );
    assert_eq!(
        store.pending_application(ada.id).await.unwrap(),
        Some(draft.clone())
    );
    // One pending application per person.
    assert!(matches!(
        store.start_application(ada.id, 3, started_at).await,
        Err(StoreError::Conflict(_))
    ));

    let answered = store
        .set_application_answer(draft.id, 1, "I ran the 📚 \"docs\" guild, 財務 too")
        .await
        .unwrap();
    assert_eq!(
        answered.answers,
        ["", "I ran the 📚 \"docs\" guild, 財務 too", ""]
    );
    let answered = store
        .set_application_answer(draft.id, 0, "Because\nit matters")
        .await
        .unwrap();
    let answered = store
        .set_application_answer(answered.id, 1, "Replaced")
        .await
        .unwrap();
    assert_eq!(answered.answers, ["Because\nit matters", "Replaced", ""]);
    assert!(matches!(
        store.set_application_answer(draft.id, 3, "too far").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .set_application_answer(draft.id + 100, 0, "nobody's")
            .await,
        Err(StoreError::NotFound(_))
    ));

    let submitted_at = at(2024, 5, 7, 10, 0, 0);
    let open = store
        .submit_application(draft.id, finance.id, submitted_at, &[])
        .await
        .unwrap();
    assert_eq!(open.status, ApplicationStatus::Open);
    assert_eq!(open.department, Some(finance.clone()));
    assert_eq!(open.submitted_at, Some(submitted_at));
    assert_eq!(open.answers, answered.answers);
    // An open application takes no more answers and is not submitted again.
    assert!(matches!(
        store.set_application_answer(draft.id, 2, "late").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .submit_application(draft.id, finance.id, submitted_at, &[])
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.pending_application(ada.id).await.unwrap(),
        Some(open.clone())
    );
    assert!(matches!(
        store.start_application(ada.id, 3, submitted_at).await,
        Err(StoreError::Conflict(_))
    ));

    let decided_at = at(2024, 5, 8, 11, 0, 0);
    let approved = store
        .decide_application(open.id, ApplicationStatus::Approved, None, decided_at, &[])
        .await
        .unwrap()
        .expect("the open application is approved");
    assert_eq!(approved.status, ApplicationStatus::Approved);
    assert_eq!(approved.decided_at, Some(decided_at));
    assert_eq!(approved.reason, None);
    // A second office member comes too late, whatever they decide.
    for status in [
        ApplicationStatus::Approved,
        ApplicationStatus::Declined,
        ApplicationStatus::Withdrawn,
    ] {
        assert_eq!(
            store
                .decide_application(open.id, status, Some("no"), at(2024, 5, 9, 0, 0, 0), &[])
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(store.pending_application(ada.id).await.unwrap(), None);
    assert_eq!(
        store
            .applications(&[ApplicationStatus::Approved])
            .await
            .unwrap(),
        std::slice::from_ref(&approved)
    );

    // Decided, the person may apply again.
    let again = store
        .start_application(ada.id, 2, at(2025, 1, 1, 0, 0, 0))
        .await
        .unwrap();
    assert_ne!(again.id, approved.id);
    assert_eq!(again.answers, ["", ""]);
}

async fn applications_are_declined_with_a_reason_or_withdrawn<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let linus = person(&store, "U3", "Linus").await;

    // A draft cannot be approved or declined, only withdrawn.
    let draft = store
        .start_application(ada.id, 1, at(2024, 5, 1, 9, 0, 0))
        .await
        .unwrap();
    for status in [ApplicationStatus::Approved, ApplicationStatus::Declined] {
        assert_eq!(
            store
                .decide_application(draft.id, status, None, at(2024, 5, 2, 0, 0, 0), &[])
                .await
                .unwrap(),
            None
        );
    }
    let withdrawn = store
        .decide_application(
            draft.id,
            ApplicationStatus::Withdrawn,
            None,
            at(2024, 5, 3, 0, 0, 0),
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(withdrawn.status, ApplicationStatus::Withdrawn);
    assert_eq!(withdrawn.submitted_at, None);
    assert_eq!(withdrawn.decided_at, Some(at(2024, 5, 3, 0, 0, 0)));
    assert_eq!(store.pending_application(ada.id).await.unwrap(), None);

    // Grace submits later than Linus but started earlier.
    let g = store
        .start_application(grace.id, 1, at(2024, 5, 1, 0, 0, 0))
        .await
        .unwrap();
    let l = store
        .start_application(linus.id, 1, at(2024, 5, 2, 0, 0, 0))
        .await
        .unwrap();
    let l = store
        .submit_application(l.id, finance.id, at(2024, 5, 3, 0, 0, 0), &[])
        .await
        .unwrap();
    let g = store
        .submit_application(g.id, finance.id, at(2024, 5, 4, 0, 0, 0), &[])
        .await
        .unwrap();
    assert_eq!(
        store
            .applications(&[ApplicationStatus::Open])
            .await
            .unwrap(),
        [l.clone(), g.clone()]
    );
    let declined = store
        .decide_application(
            g.id,
            ApplicationStatus::Declined,
            Some("Finance has two already — try Legal?"),
            at(2024, 5, 5, 0, 0, 0),
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(declined.status, ApplicationStatus::Declined);
    assert_eq!(
        declined.reason.as_deref(),
        Some("Finance has two already — try Legal?")
    );
    // An open one can be withdrawn too.
    let l = store
        .decide_application(
            l.id,
            ApplicationStatus::Withdrawn,
            None,
            at(2024, 5, 6, 0, 0, 0),
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(l.status, ApplicationStatus::Withdrawn);
    assert_eq!(
        store
            .applications(&[ApplicationStatus::Open])
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        store
            .applications(&[ApplicationStatus::Withdrawn, ApplicationStatus::Declined])
            .await
            .unwrap(),
        [withdrawn, l, declined]
    );
    assert_eq!(store.applications(&[]).await.unwrap(), []);
    // A department that goes away leaves the application without one.
    let legal = department(&store, "Legal", "APAC").await;
    let a = store
        .start_application(ada.id, 1, at(2024, 6, 1, 0, 0, 0))
        .await
        .unwrap();
    let a = store
        .submit_application(a.id, legal.id, at(2024, 6, 2, 0, 0, 0), &[])
        .await
        .unwrap();
    assert_eq!(a.department, Some(legal.clone()));
    store.remove_department(legal.id).await.unwrap();
    let a = store.pending_application(ada.id).await.unwrap().unwrap();
    assert_eq!(a.department, None);
    assert!(matches!(
        store
            .start_application(ada.id + 100, 1, at(2024, 6, 1, 0, 0, 0))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn concurrent_applications_never_both_start<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .start_application(ada.id, 3, at(2024, 5, 1, 0, 0, 0))
                .await
        }));
    }
    let mut started = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => started += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("expected a conflict, got {e}"),
        }
    }
    assert_eq!(started, 1);
}

async fn nominations_conflict_while_open_and_close_on_decision<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let linus = person(&store, "U3", "Linus").await;
    let first_at = at(2024, 5, 1, 9, 0, 0) + Duration::microseconds(7);
    let first = store
        .add_nomination(ada.id, grace.id, "Runs the best 🧪 demos", first_at, &[])
        .await
        .unwrap();
    assert_eq!(first.nominee, ada.as_ref());
    assert_eq!(first.nominee_id, ada.id);
    assert_eq!(first.nominator, grace.as_ref());
    assert_eq!(first.reason, "Runs the best 🧪 demos");
    assert_eq!(first.created_at, first_at);
    assert_eq!(first.closed_at, None);
    assert!(matches!(
        store
            .add_nomination(ada.id, grace.id, "again", at(2024, 5, 2, 0, 0, 0), &[])
            .await,
        Err(StoreError::Conflict(_))
    ));
    let second = store
        .add_nomination(
            ada.id,
            linus.id,
            "Helps everyone",
            at(2024, 5, 2, 0, 0, 0),
            &[],
        )
        .await
        .unwrap();
    let other = store
        .add_nomination(linus.id, grace.id, "Kernel", at(2024, 4, 1, 0, 0, 0), &[])
        .await
        .unwrap();
    assert_eq!(
        store.open_nominations().await.unwrap(),
        [other.clone(), first.clone(), second.clone()]
    );
    assert!(matches!(
        store
            .add_nomination(ada.id + 100, grace.id, "who?", at(2024, 5, 2, 0, 0, 0), &[])
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Ada applies and is declined: her nominations close, Linus's stays.
    let application = store
        .start_application(ada.id, 1, at(2024, 5, 3, 0, 0, 0))
        .await
        .unwrap();
    store
        .submit_application(application.id, finance.id, at(2024, 5, 4, 0, 0, 0), &[])
        .await
        .unwrap();
    // A refused decision closes nothing.
    assert_eq!(
        store
            .decide_application(
                application.id + 100,
                ApplicationStatus::Declined,
                None,
                at(2024, 5, 5, 0, 0, 0),
                &[]
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.open_nominations().await.unwrap().len(), 3);
    store
        .decide_application(
            application.id,
            ApplicationStatus::Declined,
            Some("not yet"),
            at(2024, 5, 6, 0, 0, 0),
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.open_nominations().await.unwrap(), [other]);
    // Closed, Grace may nominate Ada again.
    let renewed = store
        .add_nomination(
            ada.id,
            grace.id,
            "Still great",
            at(2024, 9, 1, 0, 0, 0),
            &[],
        )
        .await
        .unwrap();
    assert_ne!(renewed.id, first.id);
}

async fn terms_follow_adds_moves_alumni_and_removals<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "APAC").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    assert_eq!(store.terms(ada.id).await.unwrap(), []);

    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2023, 1, 1))
        .await
        .unwrap();
    assert_eq!(
        store.terms(ada.id).await.unwrap(),
        [term(&finance, date(2023, 1, 1), None)]
    );
    // Pausing and resuming keep the term going.
    for status in [AmbassadorStatus::Paused, AmbassadorStatus::Active] {
        store
            .set_ambassador_status(ada.id, status, date(2023, 3, 1))
            .await
            .unwrap();
    }
    // A move ends one term and begins the next on the same day.
    store
        .add_ambassador(ada.id, legal.id, "Asia/Tokyo", date(2023, 6, 1))
        .await
        .unwrap();
    assert_eq!(
        store.terms(ada.id).await.unwrap(),
        [
            term(&finance, date(2023, 1, 1), Some(date(2023, 6, 1))),
            term(&legal, date(2023, 6, 1), None),
        ]
    );
    store
        .set_ambassador_status(ada.id, AmbassadorStatus::Alumni, date(2024, 2, 29))
        .await
        .unwrap();
    let served = [
        term(&finance, date(2023, 1, 1), Some(date(2023, 6, 1))),
        term(&legal, date(2023, 6, 1), Some(date(2024, 2, 29))),
    ];
    assert_eq!(store.terms(ada.id).await.unwrap(), served);
    // Back from alumni: a new term.
    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2024, 9, 1))
        .await
        .unwrap();
    let mut expected = served.to_vec();
    expected.push(term(&finance, date(2024, 9, 1), None));
    assert_eq!(store.terms(ada.id).await.unwrap(), expected);
    // Removing (a correction) takes the open term only.
    store.remove_ambassador(ada.id).await.unwrap();
    assert_eq!(store.terms(ada.id).await.unwrap(), served);

    // Added twice the same day (a correction of the department): one term, the latest.
    store
        .add_ambassador(grace.id, finance.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    store
        .add_ambassador(grace.id, legal.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    assert_eq!(
        store.terms(grace.id).await.unwrap(),
        [term(&legal, date(2024, 1, 1), None)]
    );

    // A renamed department is still the one served in; a removed one is remembered by name.
    let renamed = store
        .rename_department(finance.id, "Finance & Controlling")
        .await
        .unwrap();
    store.remove_ambassador(grace.id).await.unwrap();
    store.remove_department(legal.id).await.unwrap();
    let gone = Department {
        id: 0,
        headcount: None,
        ..legal.clone()
    };
    assert_eq!(
        store.terms(ada.id).await.unwrap(),
        [
            term(&renamed, date(2023, 1, 1), Some(date(2023, 6, 1))),
            term(&gone, date(2023, 6, 1), Some(date(2024, 2, 29))),
        ]
    );
}

async fn terms_are_backfilled_from_the_roster(store: SqlStore) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2023, 1, 1))
        .await
        .unwrap();
    store
        .add_ambassador(grace.id, finance.id, "UTC", date(2022, 1, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Alumni, date(2023, 12, 31))
        .await
        .unwrap();
    // Back to before the lifecycle migration, roster kept; then migrate again.
    store
        .execute_script(
            "DROP TABLE renewals; DROP TABLE managers; DROP TABLE kudos_optouts; \
             DROP TABLE misuse_reports; DROP TABLE ambassador_terms; DROP TABLE nominations; \
             DROP TABLE applications; DELETE FROM _sqlx_migrations WHERE version = 6;",
        )
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(
        store.terms(ada.id).await.unwrap(),
        [term(&finance, date(2023, 1, 1), None)]
    );
    assert_eq!(
        store.terms(grace.id).await.unwrap(),
        [term(&finance, date(2022, 1, 1), Some(date(2023, 12, 31)))]
    );
}

async fn misuse_reports_are_listed_and_resolved_once<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let office = person(&store, "U3", "Office").await;
    let first = store
        .add_report(
            ada.id,
            grace.id,
            "Signs vendor deals \"as ambassador\"",
            at(2024, 5, 2, 0, 0, 0),
            &|_| Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(first.reporter, ada.as_ref());
    assert_eq!(first.subject, grace.as_ref());
    assert_eq!(first.text, "Signs vendor deals \"as ambassador\"");
    assert_eq!(first.created_at, at(2024, 5, 2, 0, 0, 0));
    assert_eq!(
        (
            first.resolved_at,
            first.resolved_by.clone(),
            first.resolution.clone()
        ),
        (None, None, None)
    );
    let earlier = store
        .add_report(grace.id, ada.id, "Spam", at(2024, 5, 1, 0, 0, 0), &|_| {
            Vec::new()
        })
        .await
        .unwrap();
    assert_eq!(
        store.reports(true).await.unwrap(),
        [earlier.clone(), first.clone()]
    );

    let resolved_at = at(2024, 5, 3, 0, 0, 0) + Duration::microseconds(42);
    let resolved = store
        .resolve_report(
            first.id,
            office.id,
            Some("Talked to Grace"),
            resolved_at,
            &[],
        )
        .await
        .unwrap()
        .expect("an open report is resolved");
    assert_eq!(resolved.resolved_at, Some(resolved_at));
    assert_eq!(resolved.resolved_by, Some(office.as_ref()));
    assert_eq!(resolved.resolution.as_deref(), Some("Talked to Grace"));
    assert_eq!(
        store
            .resolve_report(
                first.id,
                office.id,
                Some("again"),
                at(2024, 5, 4, 0, 0, 0),
                &[]
            )
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store
            .resolve_report(first.id + 100, office.id, None, resolved_at, &[])
            .await,
        Err(StoreError::NotFound(_))
    ));
    let quiet = store
        .resolve_report(earlier.id, office.id, None, resolved_at, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(quiet.resolution, None);
    assert_eq!(store.reports(true).await.unwrap(), []);
    assert_eq!(store.reports(false).await.unwrap(), [quiet, resolved]);
}

async fn kudos_optouts_and_managers_are_set_and_cleared<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let boss = person(&store, "U3", "Boss").await;
    assert!(store.kudos_optouts().await.unwrap().is_empty());
    store.set_kudos_optout(grace.id, true).await.unwrap();
    store.set_kudos_optout(ada.id, true).await.unwrap();
    store.set_kudos_optout(ada.id, true).await.unwrap();
    assert_eq!(
        store.kudos_optouts().await.unwrap(),
        [ada.account.clone(), grace.account.clone()]
    );
    store.set_kudos_optout(ada.id, false).await.unwrap();
    store.set_kudos_optout(ada.id, false).await.unwrap();
    assert_eq!(
        store.kudos_optouts().await.unwrap(),
        vec![grace.account.clone()]
    );
    assert!(matches!(
        store.set_kudos_optout(boss.id + 100, true).await,
        Err(StoreError::NotFound(_))
    ));

    assert_eq!(store.manager(ada.id).await.unwrap(), None);
    store.set_manager(ada.id, Some(grace.id)).await.unwrap();
    assert_eq!(store.manager(ada.id).await.unwrap(), Some(grace.clone()));
    store.set_manager(ada.id, Some(boss.id)).await.unwrap();
    assert_eq!(store.manager(ada.id).await.unwrap(), Some(boss.clone()));
    assert_eq!(store.manager(boss.id).await.unwrap(), None);
    store.set_manager(ada.id, None).await.unwrap();
    store.set_manager(ada.id, None).await.unwrap();
    assert_eq!(store.manager(ada.id).await.unwrap(), None);
    assert!(matches!(
        store.set_manager(ada.id, Some(boss.id + 100)).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn last_active_is_the_latest_sign_of_life_of_active_ambassadors<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "APAC").await;
    let answers = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let logs = ambassador(&store, "U2", "Bea", &finance, "UTC").await;
    let praises = ambassador(&store, "U3", "Cy", &legal, "UTC").await;
    let silent = ambassador(&store, "U4", "Dee", &finance, "UTC").await;
    let paused = ambassador(&store, "U5", "Eve", &finance, "UTC").await;
    let alumni = ambassador(&store, "U6", "Fay", &finance, "UTC").await;
    let outsider = person(&store, "U7", "Gus").await;
    store
        .set_ambassador_status(paused.id, AmbassadorStatus::Paused, date(2024, 2, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(alumni.id, AmbassadorStatus::Alumni, date(2024, 2, 1))
        .await
        .unwrap();

    // Each of the first three is latest in a different source.
    let round = date(2024, 5, 6);
    let everyone = [&answers, &logs, &praises, &paused];
    store
        .apply(
            &open_checkins(everyone.iter().map(|p| opening(round, p)).collect()),
            at(2024, 5, 6, 9, 0, 0),
        )
        .await
        .unwrap();
    let answered = |m: i64| at(2024, 5, 6, 12, 0, 0) + Duration::microseconds(m);
    for (p, m) in [
        (&answers, 900),
        (&logs, 100),
        (&praises, 100),
        (&paused, 999),
    ] {
        store
            .write_checkin_answer(round, p.id, "All good", false, answered(m))
            .await
            .unwrap();
    }
    let activity_at = |m: i64| at(2024, 5, 6, 12, 0, 0) + Duration::microseconds(m);
    for (p, m) in [
        (&answers, 500),
        (&logs, 800),
        (&praises, 200),
        (&alumni, 999),
    ] {
        let mut new = new_activity(p, "Talk", date(2024, 5, 6));
        new.logged_at = activity_at(m);
        store.add_activity(&new).await.unwrap();
    }
    let given_at = |m: i64| at(2024, 5, 6, 12, 0, 0) + Duration::microseconds(m);
    for (p, m) in [(&answers, 300), (&logs, 300), (&praises, 700)] {
        recorded(
            store
                .record_kudos(
                    &kudos(p, &[&outsider], given_at(m)),
                    10,
                    at(2024, 5, 6, 0, 0, 0),
                )
                .await
                .unwrap(),
        );
    }
    // Receiving kudos is no sign of life.
    recorded(
        store
            .record_kudos(
                &kudos(&outsider, &[&silent], at(2024, 5, 7, 0, 0, 0)),
                10,
                at(2024, 5, 7, 0, 0, 0),
            )
            .await
            .unwrap(),
    );

    let last = store.last_active(None).await.unwrap();
    let got: Vec<(&str, Option<DateTime<Utc>>)> = last
        .iter()
        .map(|l| (l.ambassador.person.display_name.as_str(), l.last_seen))
        .collect();
    // Ordered like the roster: region (APAC first), department, name.
    assert_eq!(
        got,
        [
            ("Cy", Some(given_at(700))),
            ("Ada", Some(answered(900))),
            ("Bea", Some(activity_at(800))),
            ("Dee", None),
        ]
    );
    assert_eq!(
        last[1].ambassador,
        store.ambassador(answers.id).await.unwrap().unwrap()
    );
    assert!(last.iter().all(|l| l.known_since.is_none()), "never noted");

    // Only the quiet: no sign of life after the instant (one at it is no later), and a term begun
    // by the day after it.
    let quiet = |at: DateTime<Utc>| {
        let store = store.clone();
        async move {
            store
                .last_active(Some(at))
                .await
                .unwrap()
                .iter()
                .map(|l| l.ambassador.person.display_name.clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(quiet(answered(800)).await, ["Cy", "Bea", "Dee"]);
    assert_eq!(quiet(answered(699)).await, ["Dee"]);
    // Terms began on 2024-01-01.
    assert_eq!(quiet(at(2023, 12, 31, 0, 0, 0)).await, ["Dee"]);
    assert!(quiet(at(2023, 12, 30, 23, 59, 59)).await.is_empty());
    // Known to the bot only since later: not quiet since before then.
    store
        .note_known_since(silent.id, answered(750))
        .await
        .unwrap();
    assert_eq!(quiet(answered(800)).await, ["Cy", "Bea", "Dee"]);
    assert_eq!(quiet(answered(749)).await, ["Cy"]);
}

async fn renewal_asks_are_recorded_once_with_their_instant<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let sent = at(2024, 5, 6, 10, 0, 0) + Duration::microseconds(5);
    let asks = Effects {
        renewal_asks: vec![(ada.id, date(2024, 5, 1)), (grace.id, date(2023, 3, 1))],
        ..Effects::default()
    };
    assert!(
        store
            .commit_occurrence("lifecycle", sent, sent, &asks)
            .await
            .unwrap()
    );
    // Asked again the next day (a replay): the first instant stays.
    let again = Effects {
        renewal_asks: vec![(ada.id, date(2024, 5, 1))],
        ..Effects::default()
    };
    store.apply(&again, at(2024, 5, 7, 10, 0, 0)).await.unwrap();
    assert_eq!(
        store.renewal_asks(date(2023, 1, 1)).await.unwrap(),
        [
            RenewalAsk {
                person: ada.id,
                anniversary: date(2024, 5, 1),
                asked_at: sent
            },
            RenewalAsk {
                person: grace.id,
                anniversary: date(2023, 3, 1),
                asked_at: sent
            },
        ]
    );
    assert_eq!(
        store.renewal_asks(date(2024, 1, 1)).await.unwrap().len(),
        1,
        "only anniversaries on or after the day"
    );
}

async fn the_facts_migration_backfills_asks_and_first_knowledge(store: SqlStore) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let bea = ambassador(&store, "U2", "Bea", &finance, "UTC").await;
    let prompted = at(2024, 5, 6, 9, 0, 0);
    store
        .apply(
            &open_checkins(vec![opening(date(2024, 5, 6), &ada)]),
            prompted,
        )
        .await
        .unwrap();
    let asked = at(2024, 5, 1, 10, 0, 0);
    let key = format!("renewal:{}:2024-05-01:ask", ada.id);
    store
        .apply(
            &queue(vec![
                dm(&key, &slack("U1")),
                dm("renewal:999999:2024-05-01:ask", &slack("U9")),
                dm("renewal:x:ask", &slack("U1")),
            ]),
            asked,
        )
        .await
        .unwrap();
    // Back to before the migration, then migrate again. SQLite's 0008 rebuilds the check-ins
    // table, which the tallies' triggers (0013) name: they go too, and come back with 0013.
    let after = match store.backend() {
        Backend::Sqlite => {
            "DROP TRIGGER checkin_tallies_checkin_added; \
             DROP TRIGGER checkin_tallies_checkin_changed; \
             DROP TRIGGER checkin_tallies_checkin_deleted; \
             DROP TRIGGER checkin_tallies_ambassador_added; \
             DROP TRIGGER checkin_tallies_ambassador_moved; \
             DROP TRIGGER checkin_tallies_ambassador_removed; \
             DROP TRIGGER checkin_tallies_department_moved; \
             DROP TABLE checkin_tallies; DELETE FROM _sqlx_migrations WHERE version = 13;"
        }
        Backend::Postgres => "",
    };
    store
        .execute_script(&format!(
            "DROP TABLE renewal_asks; ALTER TABLE ambassadors DROP COLUMN known_since; \
             DELETE FROM _sqlx_migrations WHERE version = 8; {after}"
        ))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(
        store.renewal_asks(date(2024, 1, 1)).await.unwrap(),
        [RenewalAsk {
            person: ada.id,
            anniversary: date(2024, 5, 1),
            asked_at: asked
        }]
    );
    let known: Vec<(PersonId, Option<DateTime<Utc>>)> = store
        .last_active(None)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.ambassador.person.id, l.known_since))
        .collect();
    assert_eq!(
        known[0],
        (ada.id, Some(prompted)),
        "its first check-in prompt"
    );
    assert_eq!(known[1].0, bea.id);
    assert!(
        known[1].1.is_some_and(|t| t > prompted),
        "never prompted: the migration's time"
    );
    // The check-ins survived the rebuild and take the new status.
    assert_eq!(
        store.pause_open_checkins(ada.id, prompted).await.unwrap(),
        [date(2024, 5, 6)]
    );
}

async fn renewals_are_confirmed_once_per_anniversary<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let now = at(2024, 5, 6, 9, 0, 0);
    assert!(
        store
            .confirm_renewal(ada.id, date(2024, 5, 1), now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .confirm_renewal(ada.id, date(2024, 5, 1), now)
            .await
            .unwrap()
    );
    assert!(
        store
            .confirm_renewal(ada.id, date(2023, 5, 1), now)
            .await
            .unwrap()
    );
    assert!(
        store
            .confirm_renewal(grace.id, date(2024, 3, 1), now)
            .await
            .unwrap()
    );
    assert_eq!(
        store.renewals_confirmed(date(2024, 1, 1)).await.unwrap(),
        [(ada.id, date(2024, 5, 1)), (grace.id, date(2024, 3, 1))]
    );
    assert_eq!(
        store.renewals_confirmed(date(2023, 5, 1)).await.unwrap(),
        [
            (ada.id, date(2023, 5, 1)),
            (ada.id, date(2024, 5, 1)),
            (grace.id, date(2024, 3, 1))
        ]
    );
    assert_eq!(
        store.renewals_confirmed(date(2024, 5, 2)).await.unwrap(),
        []
    );
    assert!(matches!(
        store
            .confirm_renewal(ada.id + 100, date(2024, 5, 1), now)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn departments_in_office_follow_the_terms<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "APAC").await;
    let sales = department(&store, "Sales", "APAC").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let on = |day| store.departments_in_office_on(day);
    assert!(on(date(2023, 1, 1)).await.unwrap().is_empty());
    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2023, 1, 1))
        .await
        .unwrap();
    store
        .add_ambassador(grace.id, finance.id, "UTC", date(2023, 2, 1))
        .await
        .unwrap();
    // Ada moves to Legal in June; Grace becomes alumna in September.
    store
        .add_ambassador(ada.id, legal.id, "UTC", date(2023, 6, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Alumni, date(2023, 9, 1))
        .await
        .unwrap();
    assert!(on(date(2022, 12, 31)).await.unwrap().is_empty());
    assert_eq!(on(date(2023, 1, 1)).await.unwrap(), [finance.id]);
    assert_eq!(on(date(2023, 5, 31)).await.unwrap(), [finance.id]);
    // The day of the move counts for the new department only; Grace still holds Finance.
    let mut both = vec![finance.id, legal.id];
    both.sort_unstable();
    assert_eq!(on(date(2023, 6, 1)).await.unwrap(), both);
    assert_eq!(on(date(2023, 8, 31)).await.unwrap(), both);
    // From the day Grace became alumna, Finance has nobody in office.
    assert_eq!(on(date(2023, 9, 1)).await.unwrap(), [legal.id]);
    assert!(!on(date(2024, 1, 1)).await.unwrap().contains(&sales.id));
}
