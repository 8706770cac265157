//! Conformance of people (`PeopleStore`): one per platform account, their names and time zones.

use super::*;

conformance! {
    everywhere: [
        people_are_created_once_and_found_by_account,
        display_names_follow_the_platform,
        the_same_id_on_two_platforms_is_two_people,
        person_time_zone_is_set_and_kept,
        a_chosen_time_zone_wins_and_the_roster_follows,
        people_are_found_with_their_roster_entries,
        unicode_names_round_trip,
    ],
    sql_only: [],
}

async fn people_are_created_once_and_found_by_account<S: Store + Clone>(store: S) {
    assert_eq!(store.find_person(&slack("U1")).await.unwrap(), None);
    let first = person(&store, "U1", "Ada").await;
    let again = person(&store, "U1", "Ada").await;
    assert_eq!(first, again);
    assert_eq!(first.account, slack("U1"));
    assert_eq!(first.display_name, "Ada");
    assert_eq!(first.time_zone, None);
    assert_eq!(
        store.find_person(&slack("U1")).await.unwrap(),
        Some(first.clone())
    );
    let other = person(&store, "U2", "Grace").await;
    assert_ne!(other.id, first.id);
}

async fn display_names_follow_the_platform<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let renamed = person(&store, "U1", "Ada Lovelace").await;
    assert_eq!(renamed.id, ada.id);
    assert_eq!(renamed.display_name, "Ada Lovelace");
    // A blank name (the platform did not say) keeps the known one.
    let blank = person(&store, "U1", "  ").await;
    assert_eq!(blank.display_name, "Ada Lovelace");
    let found = store.find_person(&slack("U1")).await.unwrap().unwrap();
    assert_eq!(found.display_name, "Ada Lovelace");
    // Someone first seen without a name is known by their account id.
    let nameless = person(&store, "U9", "").await;
    assert_eq!(nameless.display_name, "U9");
}

async fn the_same_id_on_two_platforms_is_two_people<S: Store + Clone>(store: S) {
    let on_slack = person(&store, "ada", "Ada").await;
    let on_console = store
        .ensure_person(&Account::new(Platform::Console, "ada"), "Ada")
        .await
        .unwrap();
    let on_matrix = store
        .ensure_person(&Account::new(Platform::Matrix, "@ada:example.org"), "Ada")
        .await
        .unwrap();
    assert_ne!(on_slack.id, on_console.id);
    assert_ne!(on_matrix.id, on_console.id);
    assert_eq!(on_console.account.platform, Platform::Console);
    let found = store
        .find_person(&Account::new(Platform::Matrix, "@ada:example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, on_matrix.id);
    assert_eq!(found.account.id, "@ada:example.org");
}

async fn person_time_zone_is_set_and_kept<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    assert!(
        store
            .set_person_time_zone(ada.id, "Europe/London", false)
            .await
            .unwrap()
    );
    let found = store.find_person(&slack("U1")).await.unwrap().unwrap();
    assert_eq!(found.time_zone.as_deref(), Some("Europe/London"));
    assert!(!found.time_zone_chosen);
    // A later sighting does not forget it.
    assert_eq!(
        person(&store, "U1", "Ada L").await.time_zone.as_deref(),
        Some("Europe/London")
    );
    // The same zone again changes nothing.
    assert!(
        !store
            .set_person_time_zone(ada.id, "Europe/London", false)
            .await
            .unwrap()
    );
    assert!(matches!(
        store
            .set_person_time_zone(ada.id + 1000, "UTC", false)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_person_time_zone(ada.id + 1000, "UTC", true).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn a_chosen_time_zone_wins_and_the_roster_follows<S: Store + Clone>(store: S) {
    let sales = department(&store, "Sales", "Americas").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let since = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    store
        .add_ambassador(ada.id, sales.id, "Europe/London", since)
        .await
        .unwrap();
    store
        .add_ambassador(grace.id, sales.id, "Europe/London", since)
        .await
        .unwrap();
    let zone_of = |id| {
        let store = store.clone();
        async move { store.ambassador(id).await.unwrap().unwrap().time_zone }
    };
    // A profile's zone moves the person and their check-ins (the scheduler reads the roster).
    assert!(
        store
            .set_person_time_zone(ada.id, "Asia/Tokyo", false)
            .await
            .unwrap()
    );
    assert_eq!(zone_of(ada.id).await, "Asia/Tokyo");
    assert_eq!(zone_of(grace.id).await, "Europe/London", "only hers");
    assert_eq!(
        store.ambassador_time_zones().await.unwrap(),
        ["Asia/Tokyo", "Europe/London"]
    );
    // Her own choice wins, and is marked as hers.
    assert!(
        store
            .set_person_time_zone(ada.id, "America/New_York", true)
            .await
            .unwrap()
    );
    let found = store.find_person(&slack("U1")).await.unwrap().unwrap();
    assert_eq!(found.time_zone.as_deref(), Some("America/New_York"));
    assert!(found.time_zone_chosen);
    assert_eq!(zone_of(ada.id).await, "America/New_York");
    // A profile no longer moves it.
    assert!(
        !store
            .set_person_time_zone(ada.id, "Asia/Kolkata", false)
            .await
            .unwrap()
    );
    let (p, a) = store
        .find_people_and_ambassadors(&[slack("U1")])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(p.time_zone.as_deref(), Some("America/New_York"));
    assert!(p.time_zone_chosen);
    assert_eq!(a.unwrap().time_zone, "America/New_York");
    // Choosing the zone the person already has still puts the roster back on it.
    store
        .add_ambassador(ada.id, sales.id, "Europe/Paris", since)
        .await
        .unwrap();
    assert!(
        store
            .set_person_time_zone(ada.id, "America/New_York", true)
            .await
            .unwrap()
    );
    assert_eq!(zone_of(ada.id).await, "America/New_York");
    // Someone not on the roster just gets the zone.
    let carol = person(&store, "U3", "Carol").await;
    assert!(
        store
            .set_person_time_zone(carol.id, "Europe/Berlin", true)
            .await
            .unwrap()
    );
    assert!(store.ambassador(carol.id).await.unwrap().is_none());
}

async fn people_are_found_with_their_roster_entries<S: Store + Clone>(store: S) {
    let lookup = |accounts: Vec<Account>| {
        let store = store.clone();
        async move {
            let mut found = store.find_people_and_ambassadors(&accounts).await.unwrap();
            found.sort_by_key(|(p, _)| p.id);
            found
        }
    };
    assert_eq!(lookup(vec![]).await, vec![]);
    assert_eq!(lookup(vec![slack("U1")]).await, vec![]);
    let ada = person(&store, "U1", "Ada").await;
    store
        .set_person_time_zone(ada.id, "Europe/Paris", false)
        .await
        .unwrap();
    let ada = store.find_person(&slack("U1")).await.unwrap().unwrap();
    let grace = person(&store, "U2", "Grace").await;
    assert_eq!(lookup(vec![slack("U1")]).await, vec![(ada.clone(), None)]);
    // Unknown accounts (the same id elsewhere is someone else) are left out; repeats are found once.
    assert_eq!(
        lookup(vec![
            slack("U2"),
            Account::new(Platform::Matrix, "U1"),
            slack("U9"),
            slack("U1"),
            slack("U2"),
        ])
        .await,
        vec![(ada.clone(), None), (grace.clone(), None)]
    );
    let finance = department(&store, "Finance", "EMEA").await;
    store.set_headcount(finance.id, Some(120)).await.unwrap();
    store
        .add_ambassador(ada.id, finance.id, "Asia/Tokyo", date(2024, 1, 1))
        .await
        .unwrap();
    store
        .set_checkins_paused_until(ada.id, Some(date(2024, 3, 1)))
        .await
        .unwrap();
    // Each status, alumni included, reads as `ambassador` gives it.
    for (status, on) in [
        (AmbassadorStatus::Active, date(2024, 1, 1)),
        (AmbassadorStatus::Paused, date(2024, 2, 1)),
        (AmbassadorStatus::Alumni, date(2024, 6, 1)),
    ] {
        if status != AmbassadorStatus::Active {
            store
                .set_ambassador_status(ada.id, status, on)
                .await
                .unwrap();
        }
        let entry = store.ambassador(ada.id).await.unwrap();
        assert_eq!(entry.as_ref().map(|a| a.status), Some(status));
        assert_eq!(
            lookup(vec![slack("U1"), slack("U2")]).await,
            vec![(ada.clone(), entry), (grace.clone(), None)]
        );
    }
    store.remove_ambassador(ada.id).await.unwrap();
    assert_eq!(lookup(vec![slack("U1")]).await, vec![(ada, None)]);
    // Many accounts at once.
    let many: Vec<Account> = (0..450).map(|i| slack(&format!("M{i}"))).collect();
    for account in &many[..300] {
        store.ensure_person(account, "Someone").await.unwrap();
    }
    assert_eq!(lookup(many).await.len(), 300);
}

async fn unicode_names_round_trip<S: Store + Clone>(store: S) {
    let names = [
        ("🚀 Launch Team", "🌍 Global"),
        ("財務部", "アジア太平洋"),
        ("قسم المالية", "الشرق الأوسط"),
        ("Zürich Straße", "DACH"),
    ];
    for (name, region) in names {
        department(&store, name, region).await;
    }
    let listed = store.departments().await.unwrap();
    for (name, region) in names {
        let found = store.department_by_name(name).await.unwrap().unwrap();
        assert_eq!((found.name.as_str(), found.region.as_str()), (name, region));
        assert!(listed.contains(&found));
    }
    let people = [
        ("U1", "李雷"),
        ("U2", "Zoë 😀"),
        ("U3", "שרה כהן"),
        ("U4", "👩🏽‍💻"),
    ];
    let mut persons = Vec::new();
    for (id, name) in people {
        let p = person(&store, id, name).await;
        assert_eq!(p.display_name, name);
        assert_eq!(
            store
                .find_person(&slack(id))
                .await
                .unwrap()
                .unwrap()
                .display_name,
            name
        );
        persons.push(p);
    }
    let matrix = Account::new(Platform::Matrix, "@zoë:例え.jp");
    let on_matrix = store.ensure_person(&matrix, "Zoë").await.unwrap();
    assert_eq!(store.find_person(&matrix).await.unwrap(), Some(on_matrix));
    let launch = store
        .department_by_name("🚀 LAUNCH team")
        .await
        .unwrap()
        .unwrap();
    store
        .add_ambassador(persons[2].id, launch.id, "Asia/Jerusalem", date(2024, 1, 1))
        .await
        .unwrap();
    store
        .add_ambassador(persons[3].id, launch.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    let accented = store
        .ensure_person(&slack("U5"), "Rene\u{301} 2 x")
        .await
        .unwrap();
    store
        .add_ambassador(accented.id, launch.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    let coverage = store.coverage(Some("🌍 global")).await.unwrap();
    assert_eq!(
        display_names(&coverage[0].active),
        ["Rene\u{301} 2 x", "שרה כהן", "👩🏽‍💻"]
    );
    assert_eq!(coverage[0].active[0].account, slack("U5"));
    let day = at(2024, 5, 1, 0, 0, 0);
    let mut new = kudos(&persons[0], &[&persons[1], &persons[3]], day);
    new.reason = "谢谢! 🎉 شكرا".to_owned();
    new.tags = vec!["感谢".to_owned(), "équipe".to_owned()];
    new.room = "#общий".to_owned();
    recorded(store.record_kudos(&new, 5, day).await.unwrap());
    let read = store
        .kudos_between(day, day + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(read[0].reason, "谢谢! 🎉 شكرا");
    assert_eq!(read[0].tags, ["感谢", "équipe"]);
    assert_eq!(read[0].room, "#общий");
    assert_eq!(read[0].giver.display_name, "李雷");
}
