//! Conformance of the roster (`RosterStore`): entries, their filters and order, coverage, check-in
//! pauses, first knowledge.

use super::*;

conformance! {
    everywhere: [
        ambassadors_are_added_and_read_back,
        adding_an_ambassador_again_moves_them,
        status_changes_set_and_clear_until,
        ambassadors_are_removed_but_people_stay,
        roster_filters_by_region_department_and_alumni,
        roster_is_ordered_by_region_department_and_name,
        roster_filters_by_time_zone_and_status,
        roster_filters_by_accounts_across_platforms,
        roster_filters_by_terms_begun_or_ended_in_a_range,
        coverage_counts_active_and_paused_and_ignores_alumni,
        coverage_lists_uncovered_departments_in_order,
        coverage_filters_by_region_key,
        coverage_counts_departments_with_an_active_ambassador,
        checkins_pause_until_a_day_and_resume,
        the_first_moment_the_bot_knew_an_ambassador_is_kept,
    ],
    sql_only: [],
}

async fn known(store: &impl Store) -> Vec<Option<DateTime<Utc>>> {
    let last = store.last_active(None).await.unwrap();
    last.into_iter().map(|l| l.known_since).collect()
}

async fn ambassadors_are_added_and_read_back<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    assert_eq!(store.ambassador(ada.id).await.unwrap(), None);
    let added = store
        .add_ambassador(ada.id, finance.id, "Europe/Paris", date(2024, 4, 2))
        .await
        .unwrap();
    assert_eq!(added.person, ada);
    assert_eq!(added.department, finance);
    assert_eq!(added.status, AmbassadorStatus::Active);
    assert_eq!(added.since, date(2024, 4, 2));
    assert_eq!(added.until, None);
    assert_eq!(added.time_zone, "Europe/Paris");
    assert_eq!(store.ambassador(ada.id).await.unwrap(), Some(added.clone()));
    assert_eq!(
        store.roster(&RosterFilter::default()).await.unwrap(),
        vec![added]
    );
    // Unknown people or departments are refused.
    assert!(matches!(
        store
            .add_ambassador(ada.id + 1000, finance.id, "UTC", date(2024, 1, 1))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .add_ambassador(ada.id, finance.id + 1000, "UTC", date(2024, 1, 1))
            .await,
        Err(StoreError::NotFound(_))
    ));
    // The failed attempt left the entry alone.
    assert_eq!(
        store.ambassador(ada.id).await.unwrap().unwrap().department,
        finance
    );
}

async fn adding_an_ambassador_again_moves_them<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "APAC").await;
    let ada = person(&store, "U1", "Ada").await;
    store
        .add_ambassador(ada.id, finance.id, "Europe/London", date(2024, 1, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(ada.id, AmbassadorStatus::Alumni, date(2024, 6, 30))
        .await
        .unwrap();
    let moved = store
        .add_ambassador(ada.id, legal.id, "Asia/Tokyo", date(2024, 9, 1))
        .await
        .unwrap();
    assert_eq!(moved.department, legal);
    assert_eq!(moved.status, AmbassadorStatus::Active);
    assert_eq!(moved.since, date(2024, 9, 1));
    assert_eq!(moved.until, None);
    assert_eq!(moved.time_zone, "Asia/Tokyo");
    let roster = store
        .roster(&RosterFilter {
            include_alumni: true,
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(roster, vec![moved]);
}

async fn status_changes_set_and_clear_until<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    let paused = store
        .set_ambassador_status(ada.id, AmbassadorStatus::Paused, date(2024, 2, 1))
        .await
        .unwrap();
    assert_eq!(paused.status, AmbassadorStatus::Paused);
    assert_eq!(paused.until, None);
    let alumni = store
        .set_ambassador_status(ada.id, AmbassadorStatus::Alumni, date(2024, 3, 15))
        .await
        .unwrap();
    assert_eq!(alumni.status, AmbassadorStatus::Alumni);
    assert_eq!(alumni.until, Some(date(2024, 3, 15)));
    assert_eq!(alumni.since, date(2024, 1, 1));
    assert_eq!(store.ambassador(ada.id).await.unwrap(), Some(alumni));
    let back = store
        .set_ambassador_status(ada.id, AmbassadorStatus::Active, date(2024, 5, 1))
        .await
        .unwrap();
    assert_eq!(back.status, AmbassadorStatus::Active);
    assert_eq!(back.until, None);
    let grace = person(&store, "U2", "Grace").await;
    assert!(matches!(
        store
            .set_ambassador_status(grace.id, AmbassadorStatus::Paused, date(2024, 5, 1))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn ambassadors_are_removed_but_people_stay<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    store.remove_ambassador(ada.id).await.unwrap();
    assert_eq!(store.ambassador(ada.id).await.unwrap(), None);
    assert_eq!(
        store.find_person(&slack("U1")).await.unwrap(),
        Some(ada.clone())
    );
    assert!(matches!(
        store.remove_ambassador(ada.id).await,
        Err(StoreError::NotFound(_))
    ));
    // With no ambassadors left, the department can go.
    store.remove_department(finance.id).await.unwrap();
}

async fn roster_filters_by_region_department_and_alumni<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let sales = department(&store, "Sales", "Americas").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let alan = person(&store, "U3", "Alan").await;
    let edsger = person(&store, "U4", "Edsger").await;
    for (p, d) in [
        (&ada, &finance),
        (&grace, &legal),
        (&alan, &sales),
        (&edsger, &finance),
    ] {
        store
            .add_ambassador(p.id, d.id, "UTC", date(2024, 1, 1))
            .await
            .unwrap();
    }
    store
        .set_ambassador_status(edsger.id, AmbassadorStatus::Alumni, date(2024, 2, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Paused, date(2024, 2, 1))
        .await
        .unwrap();
    let who = |roster: Vec<ambassador_core::Ambassador>| -> Vec<String> {
        roster.into_iter().map(|a| a.person.display_name).collect()
    };
    let all = store.roster(&RosterFilter::default()).await.unwrap();
    assert_eq!(who(all), ["Alan", "Ada", "Grace"]);
    let emea = store
        .roster(&RosterFilter {
            region: Some(" emea ".to_owned()),
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(who(emea), ["Ada", "Grace"]);
    let finance_only = store
        .roster(&RosterFilter {
            department: Some(finance.id),
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(who(finance_only), ["Ada"]);
    let finance_with_alumni = store
        .roster(&RosterFilter {
            department: Some(finance.id),
            include_alumni: true,
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(who(finance_with_alumni), ["Ada", "Edsger"]);
    let both_filters = store
        .roster(&RosterFilter {
            region: Some("Americas".to_owned()),
            department: Some(finance.id),
            include_alumni: true,
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    assert!(both_filters.is_empty());
    let nowhere = store
        .roster(&RosterFilter {
            region: Some("Antarctica".to_owned()),
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    assert!(nowhere.is_empty());
}

async fn roster_is_ordered_by_region_department_and_name<S: Store + Clone>(store: S) {
    let zeta = department(&store, "Zeta", "apac").await;
    let alpha = department(&store, "alpha", "EMEA").await;
    let beta = department(&store, "Beta", "emea").await;
    let entries = [
        ("U1", "zoe", &alpha),
        ("U2", "Bob", &beta),
        ("U3", "Yan", &zeta),
        ("U4", "amir", &alpha),
        ("U5", "Anna", &beta),
        ("U6", "Ben", &alpha),
    ];
    for (id, name, d) in entries {
        let p = person(&store, id, name).await;
        store
            .add_ambassador(p.id, d.id, "UTC", date(2024, 1, 1))
            .await
            .unwrap();
    }
    let roster = store.roster(&RosterFilter::default()).await.unwrap();
    let order: Vec<(&str, &str)> = roster
        .iter()
        .map(|a| (a.department.name.as_str(), a.person.display_name.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("Zeta", "Yan"),
            ("alpha", "amir"),
            ("alpha", "Ben"),
            ("alpha", "zoe"),
            ("Beta", "Anna"),
            ("Beta", "Bob"),
        ]
    );
}

async fn coverage_counts_active_and_paused_and_ignores_alumni<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let people = [
        ("U1", "Grace", AmbassadorStatus::Active),
        ("U2", "ada", AmbassadorStatus::Active),
        ("U3", "Alan", AmbassadorStatus::Paused),
        ("U4", "Barbara", AmbassadorStatus::Paused),
        ("U5", "Edsger", AmbassadorStatus::Alumni),
    ];
    for (id, name, status) in people {
        let p = person(&store, id, name).await;
        store
            .add_ambassador(p.id, finance.id, "UTC", date(2024, 1, 1))
            .await
            .unwrap();
        if status != AmbassadorStatus::Active {
            store
                .set_ambassador_status(p.id, status, date(2024, 2, 1))
                .await
                .unwrap();
        }
    }
    let coverage = store.coverage(None).await.unwrap();
    assert_eq!(coverage.len(), 1);
    let DepartmentCoverage {
        department,
        active,
        paused,
    } = &coverage[0];
    assert_eq!(department, &finance);
    assert_eq!(display_names(active), ["ada", "Grace"]);
    assert_eq!(active[0].account, slack("U2"));
    assert_eq!(*paused, 2);
}

async fn coverage_lists_uncovered_departments_in_order<S: Store + Clone>(store: S) {
    let sales = department(&store, "Sales", "Americas").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let finance = department(&store, "Finance", "EMEA").await;
    let data = department(&store, "Data", "americas").await;
    let ada = person(&store, "U1", "Ada").await;
    store
        .add_ambassador(ada.id, legal.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    let coverage = store.coverage(None).await.unwrap();
    let listed: Vec<&str> = coverage
        .iter()
        .map(|c| c.department.name.as_str())
        .collect();
    assert_eq!(listed, ["Data", "Sales", "Finance", "Legal"]);
    for c in &coverage {
        assert_eq!(c.paused, 0);
        if c.department.id == legal.id {
            assert_eq!(display_names(&c.active), ["Ada"]);
        } else {
            assert!(c.active.is_empty(), "{} has nobody", c.department.name);
        }
    }
    let departments: Vec<Department> = coverage.into_iter().map(|c| c.department).collect();
    assert_eq!(departments, vec![data, sales, finance, legal]);
}

async fn coverage_filters_by_region_key<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "North America").await;
    department(&store, "Legal", "EMEA").await;
    let sales = department(&store, "Sales", "north  america").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    store
        .add_ambassador(grace.id, sales.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    let coverage = store.coverage(Some("NORTH AMERICA ")).await.unwrap();
    let listed: Vec<(&str, Vec<&str>)> = coverage
        .iter()
        .map(|c| (c.department.name.as_str(), display_names(&c.active)))
        .collect();
    assert_eq!(listed, [("Finance", vec!["Ada"]), ("Sales", vec!["Grace"])]);
    assert!(store.coverage(Some("APAC")).await.unwrap().is_empty());
    assert_eq!(store.coverage(None).await.unwrap().len(), 3);
}

async fn coverage_counts_departments_with_an_active_ambassador<S: Store + Clone>(store: S) {
    assert_eq!(store.coverage_counts().await.unwrap(), (0, 0));
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let sales = department(&store, "Sales", "Americas").await;
    let data = department(&store, "Data", "Americas").await;
    let ops = department(&store, "Ops", "APAC").await;
    let entries = [
        ("U1", "Ada", &finance, AmbassadorStatus::Active),
        ("U2", "Grace", &finance, AmbassadorStatus::Paused),
        ("U3", "Alan", &legal, AmbassadorStatus::Paused),
        ("U4", "Edsger", &sales, AmbassadorStatus::Alumni),
        ("U5", "Barbara", &ops, AmbassadorStatus::Active),
        ("U6", "Ken", &ops, AmbassadorStatus::Active),
    ];
    let mut people = Vec::new();
    for (id, name, d, status) in entries {
        let p = ambassador(&store, id, name, d, "UTC").await;
        if status != AmbassadorStatus::Active {
            store
                .set_ambassador_status(p.id, status, date(2024, 2, 1))
                .await
                .unwrap();
        }
        people.push(p);
    }
    // Finance (one active, one paused) and Ops (two active) are covered; Legal (paused only),
    // Sales (alumni only) and Data (nobody) are not.
    let counts = store.coverage_counts().await.unwrap();
    assert_eq!(counts, (2, 5));
    let coverage = store.coverage(None).await.unwrap();
    let covered = coverage.iter().filter(|c| !c.active.is_empty()).count() as u32;
    assert_eq!(counts, (covered, coverage.len() as u32));

    store
        .set_ambassador_status(people[0].id, AmbassadorStatus::Paused, date(2024, 3, 1))
        .await
        .unwrap();
    assert_eq!(store.coverage_counts().await.unwrap(), (1, 5));
    store
        .set_ambassador_status(people[2].id, AmbassadorStatus::Active, date(2024, 3, 1))
        .await
        .unwrap();
    assert_eq!(store.coverage_counts().await.unwrap(), (2, 5));
    store.remove_department(data.id).await.unwrap();
    store.remove_department(sales.id).await.unwrap();
    assert_eq!(store.coverage_counts().await.unwrap(), (2, 3));
}

async fn checkins_pause_until_a_day_and_resume<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    assert_eq!(
        store
            .ambassador(ada.id)
            .await
            .unwrap()
            .unwrap()
            .checkins_paused_until,
        None
    );
    store
        .set_checkins_paused_until(ada.id, Some(date(2024, 8, 31)))
        .await
        .unwrap();
    let paused = store.ambassador(ada.id).await.unwrap().unwrap();
    assert_eq!(paused.checkins_paused_until, Some(date(2024, 8, 31)));
    assert_eq!(paused.status, AmbassadorStatus::Active);
    assert_eq!(
        store.roster(&RosterFilter::default()).await.unwrap(),
        vec![paused]
    );
    store.set_checkins_paused_until(ada.id, None).await.unwrap();
    assert_eq!(
        store
            .ambassador(ada.id)
            .await
            .unwrap()
            .unwrap()
            .checkins_paused_until,
        None
    );
    let grace = person(&store, "U2", "Grace").await;
    assert!(matches!(
        store
            .set_checkins_paused_until(grace.id, Some(date(2024, 8, 31)))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn roster_filters_by_time_zone_and_status<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "Europe/Paris").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "Asia/Tokyo").await;
    let alan = ambassador(&store, "U3", "Alan", &finance, "Europe/Paris").await;
    ambassador(&store, "U4", "Edsger", &legal, "America/New_York").await;
    ambassador(&store, "U5", "Bob", &legal, "Europe/Paris").await;
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Paused, date(2024, 2, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(alan.id, AmbassadorStatus::Alumni, date(2024, 2, 1))
        .await
        .unwrap();
    let who = |filter: RosterFilter| {
        let store = store.clone();
        async move {
            store
                .roster(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.person.display_name)
                .collect::<Vec<_>>()
        }
    };
    let paris = Some("Europe/Paris".to_owned());
    assert_eq!(
        who(RosterFilter {
            time_zone: paris.clone(),
            ..RosterFilter::default()
        })
        .await,
        ["Ada", "Bob"]
    );
    assert_eq!(
        who(RosterFilter {
            time_zone: paris.clone(),
            include_alumni: true,
            ..RosterFilter::default()
        })
        .await,
        ["Ada", "Alan", "Bob"]
    );
    // Time zones match exactly.
    assert!(
        who(RosterFilter {
            time_zone: Some("europe/paris".to_owned()),
            ..RosterFilter::default()
        })
        .await
        .is_empty()
    );
    // A status overrides include_alumni either way.
    assert_eq!(
        who(RosterFilter {
            status: Some(AmbassadorStatus::Alumni),
            ..RosterFilter::default()
        })
        .await,
        ["Alan"]
    );
    assert_eq!(
        who(RosterFilter {
            status: Some(AmbassadorStatus::Active),
            include_alumni: true,
            ..RosterFilter::default()
        })
        .await,
        ["Ada", "Bob", "Edsger"]
    );
    assert_eq!(
        who(RosterFilter {
            status: Some(AmbassadorStatus::Paused),
            ..RosterFilter::default()
        })
        .await,
        ["Grace"]
    );
    assert_eq!(
        who(RosterFilter {
            status: Some(AmbassadorStatus::Active),
            time_zone: paris,
            department: Some(legal.id),
            ..RosterFilter::default()
        })
        .await,
        ["Bob"]
    );
    // The zones the scheduler runs check-ins in: active ambassadors' only, once each, sorted.
    assert_eq!(
        store.ambassador_time_zones().await.unwrap(),
        ["America/New_York", "Europe/Paris"]
    );
    store
        .set_ambassador_status(ada.id, AmbassadorStatus::Paused, date(2024, 3, 1))
        .await
        .unwrap();
    assert_eq!(
        store.ambassador_time_zones().await.unwrap(),
        ["America/New_York", "Europe/Paris"]
    );
}

async fn roster_filters_by_accounts_across_platforms<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let sales = department(&store, "Sales", "Americas").await;
    let on_slack = slack("ada");
    let on_console = Account::new(Platform::Console, "ada");
    let on_matrix = Account::new(Platform::Matrix, "@ada:example.org");
    let grace_on_matrix = Account::new(Platform::Matrix, "@grace:matrix.example.org:8448");
    let entries = [
        (&on_slack, "Ada S", &finance),
        (&on_console, "Ada C", &legal),
        (&on_matrix, "Ada M", &sales),
        (&grace_on_matrix, "Grace", &finance),
    ];
    let mut people = Vec::new();
    for (account, name, d) in entries {
        let p = store.ensure_person(account, name).await.unwrap();
        store
            .add_ambassador(p.id, d.id, "UTC", date(2024, 1, 1))
            .await
            .unwrap();
        people.push(p);
    }
    store
        .set_ambassador_status(people[1].id, AmbassadorStatus::Alumni, date(2024, 2, 1))
        .await
        .unwrap();
    // Known but not on the roster.
    let bob = store
        .ensure_person(&Account::new(Platform::Matrix, "@bob:example.org"), "Bob")
        .await
        .unwrap();
    let who = |filter: RosterFilter| {
        let store = store.clone();
        async move {
            store
                .roster(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.person.display_name)
                .collect::<Vec<_>>()
        }
    };
    let only = |accounts: &[&Account]| RosterFilter {
        accounts: accounts.iter().map(|a| (*a).clone()).collect(),
        include_alumni: true,
        ..RosterFilter::default()
    };
    // Ordered like the whole roster; platform and id both have to match.
    assert_eq!(
        who(only(&[&grace_on_matrix, &on_matrix, &on_slack])).await,
        ["Ada M", "Ada S", "Grace"]
    );
    assert_eq!(who(only(&[&on_console])).await, ["Ada C"]);
    assert!(
        who(only(&[&Account::new(Platform::Slack, "@ada:example.org")]))
            .await
            .is_empty()
    );
    assert!(who(only(&[&slack("Ada")])).await.is_empty());
    assert!(
        who(only(&[&Account::new(Platform::Matrix, "@ada:example")]))
            .await
            .is_empty()
    );
    // People off the roster, unknown accounts and repeats change nothing.
    assert_eq!(
        who(only(&[
            &bob.account,
            &slack("U404"),
            &on_slack,
            &on_slack,
            &on_matrix
        ]))
        .await,
        ["Ada M", "Ada S"]
    );
    // Combined with the other filters.
    let everyone = [&on_slack, &on_console, &on_matrix, &grace_on_matrix];
    assert_eq!(
        who(RosterFilter {
            include_alumni: false,
            ..only(&everyone)
        })
        .await,
        ["Ada M", "Ada S", "Grace"]
    );
    assert_eq!(
        who(RosterFilter {
            region: Some("emea".to_owned()),
            ..only(&everyone)
        })
        .await,
        ["Ada S", "Grace", "Ada C"]
    );
    assert_eq!(
        who(RosterFilter {
            department: Some(finance.id),
            ..only(&[&on_slack, &on_matrix])
        })
        .await,
        ["Ada S"]
    );
    assert_eq!(
        who(RosterFilter {
            status: Some(AmbassadorStatus::Alumni),
            ..only(&everyone)
        })
        .await,
        ["Ada C"]
    );
    // Hundreds of accounts (more than one statement takes), the known ones spread among them.
    let mut many: Vec<Account> = (0..2500)
        .map(|i| slack(&format!("X{i:04}")))
        .chain((0..300).map(|i| Account::new(Platform::Matrix, format!("@n{i}:example.org"))))
        .collect();
    many.extend(everyone.iter().map(|a| (*a).clone()));
    many.reverse();
    let found = store
        .roster(&RosterFilter {
            accounts: many,
            include_alumni: true,
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    let names: Vec<&str> = found
        .iter()
        .map(|a| a.person.display_name.as_str())
        .collect();
    assert_eq!(names, ["Ada M", "Ada S", "Grace", "Ada C"]);
    assert_eq!(found[1].person, people[0]);
}

async fn roster_filters_by_terms_begun_or_ended_in_a_range<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let (from, to) = (date(2024, 3, 1), date(2024, 3, 8));
    // (name, since, until (alumni), department)
    let entries = [
        ("Ann", from, None, &finance),
        ("Bea", date(2024, 3, 2), None, &finance),
        ("Cid", to, None, &finance),
        ("Dan", date(2024, 3, 9), None, &finance),
        ("Eve", date(2024, 1, 1), Some(from), &finance),
        ("Fay", date(2024, 1, 1), Some(date(2024, 3, 4)), &finance),
        ("Gus", date(2024, 1, 1), Some(to), &legal),
        ("Hal", date(2024, 1, 1), Some(date(2024, 3, 9)), &finance),
        ("Ivy", date(2024, 1, 1), None, &finance),
        ("Jo", date(2024, 3, 5), Some(date(2024, 4, 1)), &finance),
        ("Kim", date(2024, 2, 1), Some(date(2024, 2, 20)), &finance),
    ];
    let mut people = Vec::new();
    for (i, (name, since, until, d)) in entries.into_iter().enumerate() {
        let p = person(&store, &format!("U{i}"), name).await;
        store
            .add_ambassador(p.id, d.id, "UTC", since)
            .await
            .unwrap();
        if let Some(until) = until {
            store
                .set_ambassador_status(p.id, AmbassadorStatus::Alumni, until)
                .await
                .unwrap();
        }
        people.push(p);
    }
    // A paused entry keeps its since; it began in the range.
    store
        .set_ambassador_status(people[1].id, AmbassadorStatus::Paused, date(2024, 3, 3))
        .await
        .unwrap();
    let who = |filter: RosterFilter| {
        let store = store.clone();
        async move {
            store
                .roster(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.person.display_name)
                .collect::<Vec<_>>()
        }
    };
    let changed = RosterFilter {
        changed_between: Some((from, to)),
        include_alumni: true,
        ..RosterFilter::default()
    };
    // Exclusive from, inclusive to, for since and until alike.
    assert_eq!(
        who(changed.clone()).await,
        ["Bea", "Cid", "Fay", "Jo", "Gus"]
    );
    assert_eq!(
        who(RosterFilter {
            include_alumni: false,
            ..changed.clone()
        })
        .await,
        ["Bea", "Cid"]
    );
    assert_eq!(
        who(RosterFilter {
            status: Some(AmbassadorStatus::Alumni),
            ..changed.clone()
        })
        .await,
        ["Fay", "Jo", "Gus"]
    );
    assert_eq!(
        who(RosterFilter {
            department: Some(legal.id),
            ..changed.clone()
        })
        .await,
        ["Gus"]
    );
    assert_eq!(
        who(RosterFilter {
            accounts: vec![slack("U2"), slack("U3"), slack("U6"), slack("U7")],
            ..changed.clone()
        })
        .await,
        ["Cid", "Gus"]
    );
    // A one-day range: only that day; an empty one: nothing.
    assert_eq!(
        who(RosterFilter {
            changed_between: Some((date(2024, 3, 8), date(2024, 3, 9))),
            ..changed.clone()
        })
        .await,
        ["Dan", "Hal"]
    );
    assert!(
        who(RosterFilter {
            changed_between: Some((to, to)),
            ..changed.clone()
        })
        .await
        .is_empty()
    );
    // Someone who comes back starts a new term: the old `until` no longer counts.
    store
        .add_ambassador(people[6].id, legal.id, "UTC", date(2024, 3, 20))
        .await
        .unwrap();
    assert_eq!(who(changed).await, ["Bea", "Cid", "Fay", "Jo"]);
}

async fn the_first_moment_the_bot_knew_an_ambassador_is_kept<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    assert_eq!(known(&store).await, [None]);
    let first = at(2024, 5, 6, 9, 0, 0) + Duration::microseconds(250);
    store.note_known_since(ada.id, first).await.unwrap();
    // A later import or a move to another department keeps the first moment.
    store
        .note_known_since(ada.id, at(2024, 6, 1, 0, 0, 0))
        .await
        .unwrap();
    store
        .add_ambassador(ada.id, legal.id, "UTC", date(2024, 6, 2))
        .await
        .unwrap();
    assert_eq!(known(&store).await, [Some(first)]);
    // A new entry after a removal starts afresh.
    store.remove_ambassador(ada.id).await.unwrap();
    store
        .add_ambassador(ada.id, legal.id, "UTC", date(2024, 7, 1))
        .await
        .unwrap();
    assert_eq!(known(&store).await, [None]);
    let outsider = person(&store, "U2", "Gus").await;
    assert!(matches!(
        store.note_known_since(outsider.id, first).await,
        Err(StoreError::NotFound(_))
    ));
}
