//! Conformance of the org map (`OrgStore`): departments, their regions and headcounts, and a fresh
//! store.

use super::*;

conformance! {
    everywhere: [
        departments_are_listed_by_region_then_name,
        department_names_collide_regardless_of_case_width_and_spacing,
        departments_can_be_renamed,
        renaming_onto_another_departments_name_conflicts,
        departments_move_between_regions,
        headcount_is_set_and_cleared,
        departments_are_looked_up_by_name_key,
        removing_a_department_is_refused_while_it_has_ambassadors,
        removing_a_department_takes_its_alumni_with_it,
    ],
    // On SQLite and PostgreSQL only, as they reach under the port into SQL:
    // is_empty_only_on_a_fresh_store: it deletes people, which no port does.
    sql_only: [
        is_empty_only_on_a_fresh_store,
    ],
}

async fn departments_are_listed_by_region_then_name<S: Store + Clone>(store: S) {
    assert!(store.departments().await.unwrap().is_empty());
    department(&store, "Sales", "EMEA").await;
    department(&store, "legal", "Americas").await;
    department(&store, "Finance", "emea").await;
    department(&store, "Data Science", "americas").await;
    department(&store, "Engineering", "APAC").await;
    let listed = store.departments().await.unwrap();
    assert_eq!(
        names(&listed),
        ["Data Science", "legal", "Engineering", "Finance", "Sales"]
    );
    // Names and regions come back as written.
    assert_eq!(listed[0].region, "americas");
    assert_eq!(listed[1].region, "Americas");
}

async fn department_names_collide_regardless_of_case_width_and_spacing<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    for clash in [
        "finance",
        "FINANCE ",
        "  Finance",
        "Ｆｉｎａｎｃｅ",
        "ＦＩＮＡＮＣＥ",
    ] {
        let result = store
            .add_department(&NewDepartment {
                name: clash.to_owned(),
                region: "APAC".to_owned(),
                headcount: Some(3),
            })
            .await;
        match result {
            Err(StoreError::Conflict(message)) => assert!(
                message.contains("Finance"),
                "the conflict for `{clash}` should name the department, got `{message}`"
            ),
            other => panic!("`{clash}` should conflict with `Finance`, got {other:?}"),
        }
    }
    let spaced = department(&store, "Platform  Engineering", "EMEA").await;
    assert!(matches!(
        store
            .add_department(&NewDepartment {
                name: "platform\u{3000}engineering".to_owned(),
                region: "EMEA".to_owned(),
                headcount: None,
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    let listed = store.departments().await.unwrap();
    assert_eq!(listed, vec![finance, spaced]);
}

async fn departments_can_be_renamed<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let renamed = store
        .rename_department(finance.id, "Finance & Accounting")
        .await
        .unwrap();
    assert_eq!(renamed.id, finance.id);
    assert_eq!(renamed.name, "Finance & Accounting");
    assert_eq!(renamed.region, "EMEA");
    // Changing only the case of a department's own name is allowed.
    let recased = store
        .rename_department(finance.id, "FINANCE & ACCOUNTING")
        .await
        .unwrap();
    assert_eq!(recased.name, "FINANCE & ACCOUNTING");
    assert_eq!(
        store
            .department_by_name("finance & accounting")
            .await
            .unwrap(),
        Some(recased.clone())
    );
    assert_eq!(store.department_by_name("Finance").await.unwrap(), None);
    // The old name is free again.
    department(&store, "Finance", "APAC").await;
    assert!(matches!(
        store.rename_department(finance.id + 1000, "Nope").await,
        Err(StoreError::NotFound(_))
    ));
}

async fn renaming_onto_another_departments_name_conflicts<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    match store.rename_department(legal.id, " finance").await {
        Err(StoreError::Conflict(message)) => assert!(message.contains("Finance"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Nothing changed.
    assert_eq!(store.departments().await.unwrap(), vec![finance, legal]);
}

async fn departments_move_between_regions<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let moved = store
        .set_department_region(finance.id, "Americas")
        .await
        .unwrap();
    assert_eq!(moved.region, "Americas");
    assert_eq!(moved.name, "Finance");
    let in_americas = store.coverage(Some("AMERICAS")).await.unwrap();
    assert_eq!(in_americas.len(), 1);
    assert!(store.coverage(Some("EMEA")).await.unwrap().is_empty());
    assert!(matches!(
        store.set_department_region(finance.id + 1000, "APAC").await,
        Err(StoreError::NotFound(_))
    ));
}

async fn headcount_is_set_and_cleared<S: Store + Clone>(store: S) {
    let finance = store
        .add_department(&NewDepartment {
            name: "Finance".to_owned(),
            region: "EMEA".to_owned(),
            headcount: Some(120),
        })
        .await
        .unwrap();
    assert_eq!(finance.headcount, Some(120));
    let big = store
        .set_headcount(finance.id, Some(u32::MAX))
        .await
        .unwrap();
    assert_eq!(big.headcount, Some(u32::MAX));
    let cleared = store.set_headcount(finance.id, None).await.unwrap();
    assert_eq!(cleared.headcount, None);
    assert_eq!(store.departments().await.unwrap()[0].headcount, None);
    let zero = store.set_headcount(finance.id, Some(0)).await.unwrap();
    assert_eq!(zero.headcount, Some(0));
    assert!(matches!(
        store.set_headcount(finance.id + 1000, Some(1)).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn departments_are_looked_up_by_name_key<S: Store + Clone>(store: S) {
    let pe = department(&store, "Platform Engineering", "EMEA").await;
    for spelling in [
        "platform engineering",
        "  PLATFORM   engineering ",
        "Ｐｌａｔｆｏｒｍ\u{3000}Ｅｎｇｉｎｅｅｒｉｎｇ",
    ] {
        assert_eq!(
            store.department_by_name(spelling).await.unwrap(),
            Some(pe.clone()),
            "`{spelling}`"
        );
    }
    assert_eq!(store.department_by_name("platform").await.unwrap(), None);
}

async fn removing_a_department_is_refused_while_it_has_ambassadors<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let alan = person(&store, "U3", "Alan").await;
    for p in [&ada, &grace, &alan] {
        store
            .add_ambassador(p.id, finance.id, "Europe/London", date(2024, 1, 1))
            .await
            .unwrap();
    }
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Paused, date(2024, 2, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(alan.id, AmbassadorStatus::Alumni, date(2024, 2, 1))
        .await
        .unwrap();
    assert!(matches!(
        store.remove_department(finance.id).await,
        Err(StoreError::HasAmbassadors(2))
    ));
    store.remove_ambassador(ada.id).await.unwrap();
    // Paused ambassadors still hold the department.
    assert!(matches!(
        store.remove_department(finance.id).await,
        Err(StoreError::HasAmbassadors(1))
    ));
    // A refused removal keeps everything, alumni included.
    assert_eq!(store.departments().await.unwrap(), vec![finance.clone()]);
    let alumni = store
        .roster(&RosterFilter {
            include_alumni: true,
            ..RosterFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(alumni.len(), 2);
}

async fn removing_a_department_takes_its_alumni_with_it<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let legal = department(&store, "Legal", "EMEA").await;
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    store
        .add_ambassador(ada.id, finance.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    store
        .set_ambassador_status(ada.id, AmbassadorStatus::Alumni, date(2024, 3, 1))
        .await
        .unwrap();
    store
        .add_ambassador(grace.id, legal.id, "UTC", date(2024, 1, 1))
        .await
        .unwrap();
    store.remove_department(finance.id).await.unwrap();
    assert_eq!(store.departments().await.unwrap(), vec![legal]);
    assert_eq!(store.ambassador(ada.id).await.unwrap(), None);
    // The person stays; other departments' ambassadors too.
    assert!(store.find_person(&slack("U1")).await.unwrap().is_some());
    assert!(store.ambassador(grace.id).await.unwrap().is_some());
    assert!(matches!(
        store.remove_department(finance.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn is_empty_only_on_a_fresh_store(store: SqlStore) {
    assert!(store.is_empty().await.unwrap());
    person(&store, "U1", "Ada").await;
    assert!(!store.is_empty().await.unwrap());
    store.execute_script("DELETE FROM people").await.unwrap();
    assert!(store.is_empty().await.unwrap());
    // A department alone also counts.
    let finance = department(&store, "Finance", "EMEA").await;
    assert!(!store.is_empty().await.unwrap());
    store.remove_department(finance.id).await.unwrap();
    assert!(store.is_empty().await.unwrap());
}
