//! The store conformance suite: every case runs against the memory store (`ambassador_core::testing`),
//! SQLite and PostgreSQL, except the few that reach into SQL, which run on SQLite and PostgreSQL.
//!
//! SQLite cases use a fresh database file in a temporary directory. PostgreSQL cases need
//! `TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`); each case gets its own schema,
//! dropped at the end, so cases run in parallel. Without `TEST_POSTGRES_URL` the PostgreSQL half is
//! skipped with a note, except under CI (`CI` set), where that is a failure.

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, AmbassadorStatus, Checkin, CheckinFilter, CheckinStatus, Department,
    DepartmentCoverage, Destination, DigestSnapshot, Effects, JobRun, JobRunStatus, KudosOutcome,
    Message, NewCheckin, NewDepartment, NewKudos, OutboxItem, OutboxStats, OutboxStatus, Outgoing,
    Person, PersonId, PersonRef, Platform, RenewalAsk, Rich, RosterFilter, StoreError,
};
use ambassador_store::{Backend, SqlStore};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// Generates `memory::<case>`, `sqlite::<case>` and `postgres::<case>` tests for every case of
/// `everywhere`, and `sqlite::<case>` and `postgres::<case>` for every case of `sql_only`.
macro_rules! conformance {
    (everywhere: [$($case:ident),* $(,)?], sql_only: [$($sql_case:ident),* $(,)?] $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::harness::on_memory(super::$case).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::harness::on_sqlite(super::$case).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $sql_case() {
                    super::harness::on_sqlite(super::$sql_case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::harness::on_postgres(super::$case).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $sql_case() {
                    super::harness::on_postgres(super::$sql_case).await;
                }
            )*
        }
    };
}

conformance! {
    // On the memory store, SQLite and PostgreSQL.
    everywhere: [
        decisions_queue_their_notices_in_their_own_transaction,
        people_are_created_once_and_found_by_account,
        display_names_follow_the_platform,
        the_same_id_on_two_platforms_is_two_people,
        person_time_zone_is_set_and_kept,
        a_chosen_time_zone_wins_and_the_roster_follows,
        departments_are_listed_by_region_then_name,
        department_names_collide_regardless_of_case_width_and_spacing,
        departments_can_be_renamed,
        renaming_onto_another_departments_name_conflicts,
        departments_move_between_regions,
        headcount_is_set_and_cleared,
        departments_are_looked_up_by_name_key,
        removing_a_department_is_refused_while_it_has_ambassadors,
        removing_a_department_takes_its_alumni_with_it,
        ambassadors_are_added_and_read_back,
        adding_an_ambassador_again_moves_them,
        status_changes_set_and_clear_until,
        ambassadors_are_removed_but_people_stay,
        people_are_found_with_their_roster_entries,
        roster_filters_by_region_department_and_alumni,
        roster_is_ordered_by_region_department_and_name,
        coverage_counts_active_and_paused_and_ignores_alumni,
        coverage_lists_uncovered_departments_in_order,
        coverage_filters_by_region_key,
        coverage_counts_departments_with_an_active_ambassador,
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
        unicode_names_round_trip,
        an_occurrence_is_claimed_once_across_concurrent_callers,
        a_skipped_occurrence_is_never_committed,
        job_runs_are_listed_by_occurrence_then_job_in_a_half_open_range,
        the_scheduler_cursor_never_moves_back,
        the_last_digest_snapshot_is_the_newest_before_the_instant,
        effects_are_insert_or_ignore,
        missed_reminded_and_flagged_mark_only_what_they_should,
        answers_append_or_replace_and_answered_at_is_set_once,
        concurrent_answers_all_land,
        the_current_checkin_is_the_newest_still_taking_answers,
        checkins_are_filtered_and_ordered_for_the_office,
        checkins_pause_until_a_day_and_resume,
        roster_filters_by_time_zone_and_status,
        roster_filters_by_accounts_across_platforms,
        roster_filters_by_terms_begun_or_ended_in_a_range,
        the_outbox_hands_out_due_items_of_the_asked_platforms,
        outbox_leases_keep_items_until_they_run_out,
        concurrent_claimers_never_get_the_same_item,
        outbox_items_move_between_pending_sent_and_failed,
        announcements_are_created_with_their_recipients_once,
        announcements_are_acknowledged_and_shared_once,
        announcement_reminders_are_due_once_for_the_unacknowledged,
        activities_are_logged_edited_and_deleted_by_their_author,
        activities_are_filtered_by_day_and_author_newest_first,
        applications_are_drafted_answered_submitted_and_decided_once,
        applications_are_declined_with_a_reason_or_withdrawn,
        concurrent_applications_never_both_start,
        nominations_conflict_while_open_and_close_on_decision,
        terms_follow_adds_moves_alumni_and_removals,
        misuse_reports_are_listed_and_resolved_once,
        kudos_received_and_counted_per_person,
        kudos_optouts_and_managers_are_set_and_cleared,
        last_active_is_the_latest_sign_of_life_of_active_ambassadors,
        renewals_are_confirmed_once_per_anniversary,
        the_first_moment_the_bot_knew_an_ambassador_is_kept,
        renewal_asks_are_recorded_once_with_their_instant,
        a_pause_takes_open_check_ins_out_of_their_round,
        a_lease_has_one_holder_until_it_runs_out,
        concurrent_takers_get_a_lease_once,
        released_leases_are_free_at_once,
        events_are_remembered_once_across_concurrent_callers,
        events_are_forgotten_after_a_day,
        requests_are_added_and_read_back_with_their_labels_once,
        requests_are_listed_newest_first_by_ambassador_and_openness,
        request_updates_answer_once_close_reopen_and_label,
        request_messages_from_the_office_acknowledge_and_threads_are_in_order,
        requests_are_edited_only_while_nobody_answered,
        overdue_requests_are_listed_once_through_the_effects,
    ],
    // On SQLite and PostgreSQL only: these reach under the port, into SQL. The memory store has no
    // migrations (migrations_are_idempotent, terms_are_backfilled_from_the_roster,
    // the_facts_migration_backfills_asks_and_first_knowledge), nor rows written in raw SQL
    // (is_empty_only_on_a_fresh_store deletes people, which no port does; the twenty-thousand
    // cases fill people and the roster in one statement and measure statement sizes).
    sql_only: [
        is_empty_only_on_a_fresh_store,
        migrations_are_idempotent,
        twenty_thousand_rows_commit_in_one_call,
        an_announcement_reaches_twenty_thousand_ambassadors_in_one_call,
        terms_are_backfilled_from_the_roster,
        the_facts_migration_backfills_asks_and_first_knowledge,
    ],
}

// ---------------------------------------------------------------- helpers

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn slack(id: &str) -> Account {
    Account::new(Platform::Slack, id)
}

async fn person(store: &impl Store, id: &str, name: &str) -> Person {
    store.ensure_person(&slack(id), name).await.unwrap()
}

async fn department(store: &impl Store, name: &str, region: &str) -> Department {
    store
        .add_department(&NewDepartment {
            name: name.to_owned(),
            region: region.to_owned(),
            headcount: None,
        })
        .await
        .unwrap()
}

fn names(departments: &[Department]) -> Vec<&str> {
    departments.iter().map(|d| d.name.as_str()).collect()
}

fn display_names(people: &[PersonRef]) -> Vec<&str> {
    people.iter().map(|p| p.display_name.as_str()).collect()
}

fn kudos(giver: &Person, receivers: &[&Person], given_at: DateTime<Utc>) -> NewKudos {
    NewKudos {
        giver: giver.id,
        receivers: receivers.iter().map(|p| p.id).collect(),
        reason: "for the release notes".to_owned(),
        tags: vec![],
        given_at,
        room: "#general".to_owned(),
        source: None,
    }
}

fn recorded(outcome: KudosOutcome) -> (i64, Option<u32>) {
    match outcome {
        KudosOutcome::Recorded { id, given_today } => (id, given_today),
        other => panic!("expected the kudos to be recorded, got {other:?}"),
    }
}

// ---------------------------------------------------------------- people

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

// ---------------------------------------------------------------- org map

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

// ---------------------------------------------------------------- roster

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

// ---------------------------------------------------------------- coverage

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

// ---------------------------------------------------------------- kudos

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

// ---------------------------------------------------------------- the store as a whole

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

async fn migrations_are_idempotent(store: SqlStore) {
    let finance = department(&store, "Finance", "EMEA").await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.departments().await.unwrap(), vec![finance]);
}

// ---------------------------------------------------------------- rhythm helpers

fn message(text: &str) -> Message {
    Message::text(Rich::text(text))
}

fn dm(key: &str, to: &Account) -> Outgoing {
    Outgoing {
        key: key.to_owned(),
        to: Destination::Direct(to.clone()),
        message: message(&format!("Hello from {key}")),
    }
}

fn room_message(key: &str, platform: Platform, room: &str) -> Outgoing {
    Outgoing {
        key: key.to_owned(),
        to: Destination::Room {
            platform,
            id: room.to_owned(),
        },
        message: Message::new()
            .heading("Weekly digest")
            .paragraph(Rich::text("Thanks to ").and_strong("everyone")),
    }
}

/// A person on the roster of `department`, active, in `time_zone`.
async fn ambassador(
    store: &impl Store,
    id: &str,
    name: &str,
    department: &Department,
    time_zone: &str,
) -> Person {
    let p = person(store, id, name).await;
    store
        .add_ambassador(p.id, department.id, time_zone, date(2024, 1, 1))
        .await
        .unwrap();
    p
}

/// A check-in of round `round` prompted at 09:00 UTC that day and closing three days later.
fn opening(round: NaiveDate, person: &Person) -> NewCheckin {
    let prompted_at = Utc.from_utc_datetime(&round.and_hms_opt(9, 0, 0).unwrap());
    NewCheckin {
        round,
        person: person.id,
        prompted_at,
        closes_at: prompted_at + Duration::days(3),
    }
}

fn open_checkins(checkins: Vec<NewCheckin>) -> Effects {
    Effects {
        open_checkins: checkins,
        ..Effects::default()
    }
}

fn queue(outbox: Vec<Outgoing>) -> Effects {
    Effects {
        outbox,
        ..Effects::default()
    }
}

async fn checkin_of(store: &impl Store, round: NaiveDate, person: &Person) -> Checkin {
    let found = store
        .checkins(&CheckinFilter {
            from_round: Some(round),
            to_round: Some(round),
            person: Some(person.id),
            ..CheckinFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "one check-in of {} in {round}", person.id);
    found.into_iter().next().unwrap().checkin
}

fn keys(items: &[OutboxItem]) -> Vec<&str> {
    items.iter().map(|i| i.outgoing.key.as_str()).collect()
}

async fn all_items(store: &impl Store) -> Vec<OutboxItem> {
    store.outbox_items(&[], 100_000).await.unwrap()
}

const LEASE: Duration = Duration::minutes(5);

// ---------------------------------------------------------------- scheduler

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

// ---------------------------------------------------------------- check-ins

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

// ---------------------------------------------------------------- outbox

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

// ---------------------------------------------------------------- bridge

use ambassador_core::{
    Activity, ActivityFilter, Announcement, AnnouncementRecipient, NewActivity, NewAnnouncement,
};

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

fn new_activity(author: &Person, text: &str, on: NaiveDate) -> NewActivity {
    NewActivity {
        author: author.id,
        text: text.to_owned(),
        tags: vec![],
        audience: None,
        on,
        logged_at: Utc.from_utc_datetime(&on.and_hms_opt(17, 30, 0).unwrap()),
    }
}

async fn activities_are_logged_edited_and_deleted_by_their_author<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &finance, "UTC").await;
    let logged_at = at(2024, 5, 6, 17, 30, 0) + Duration::microseconds(123_456);
    let new = NewActivity {
        author: ada.id,
        text: "Ran a 🚀 lunch & learn on 財務 — “prompting” for 40 people".to_owned(),
        tags: vec![
            "workshop".to_owned(),
            "ai".to_owned(),
            "lunch-learn".to_owned(),
        ],
        audience: Some(40),
        on: date(2024, 5, 6),
        logged_at,
    };
    let added = store.add_activity(&new).await.unwrap();
    assert_eq!(
        added,
        Activity {
            id: added.id,
            author: ada.id,
            text: new.text.clone(),
            tags: new.tags.clone(),
            audience: Some(40),
            on: date(2024, 5, 6),
            logged_at,
        }
    );
    assert_eq!(store.activity(added.id).await.unwrap(), Some(added.clone()));

    // Edited by its author: text, tags, audience and day replaced; author and logged_at kept.
    let mut edit = new_activity(&ada, "Ran a workshop (edited)", date(2024, 5, 3));
    edit.logged_at = logged_at + Duration::days(1);
    let updated = store
        .update_activity(added.id, ada.id, &edit)
        .await
        .unwrap();
    assert_eq!(
        updated,
        Activity {
            id: added.id,
            author: ada.id,
            text: "Ran a workshop (edited)".to_owned(),
            tags: vec![],
            audience: None,
            on: date(2024, 5, 3),
            logged_at,
        }
    );
    assert_eq!(
        store.activity(added.id).await.unwrap(),
        Some(updated.clone())
    );

    // Anyone else: not found, and nothing changes.
    let outcome = store.update_activity(added.id, grace.id, &new).await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
    let outcome = store.delete_activity(added.id, grace.id).await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
    assert_eq!(store.activity(added.id).await.unwrap(), Some(updated));

    // Deleted by its author, once.
    store.delete_activity(added.id, ada.id).await.unwrap();
    assert_eq!(store.activity(added.id).await.unwrap(), None);
    for outcome in [
        store.delete_activity(added.id, ada.id).await,
        store
            .update_activity(added.id, ada.id, &new)
            .await
            .map(drop),
    ] {
        assert!(
            matches!(outcome, Err(StoreError::NotFound(_))),
            "{outcome:?}"
        );
    }
    assert_eq!(store.activity(added.id + 100).await.unwrap(), None);

    // An unknown author is refused.
    let mut stray = new.clone();
    stray.author = grace.id + 1000;
    let outcome = store.add_activity(&stray).await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
}

async fn activities_are_filtered_by_day_and_author_newest_first<S: Store + Clone>(store: S) {
    let finance = department(&store, "Finance", "EMEA").await;
    let platform = department(&store, "Platform", "APAC").await;
    let ada = ambassador(&store, "U1", "Ada", &finance, "UTC").await;
    let grace = ambassador(&store, "U2", "Grace", &platform, "UTC").await;
    let gone = ambassador(&store, "U3", "Gone", &finance, "UTC").await;
    let log = |author: &Person, text: &str, on: NaiveDate| {
        let new = new_activity(author, text, on);
        let store = store.clone();
        async move { store.add_activity(&new).await.unwrap() }
    };
    let early = log(&ada, "early", date(2024, 5, 1)).await;
    let mid_a = log(&ada, "mid a", date(2024, 5, 3)).await;
    let mid_g = log(&grace, "mid g", date(2024, 5, 3)).await;
    let late = log(&ada, "late", date(2024, 5, 5)).await;
    let mid_b = log(&ada, "mid b", date(2024, 5, 3)).await;
    let _off = log(&gone, "off roster", date(2024, 5, 4)).await;
    store.remove_ambassador(gone.id).await.unwrap();
    store
        .set_ambassador_status(grace.id, AmbassadorStatus::Alumni, date(2024, 5, 10))
        .await
        .unwrap();

    let read = |filter: ActivityFilter| {
        let store = store.clone();
        async move {
            store
                .activities(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| {
                    assert_eq!(e.activity.author, e.ambassador.person.id);
                    e.activity.text
                })
                .collect::<Vec<_>>()
        }
    };
    // Newest day first, then newest id; alumni included, authors off the roster left out.
    assert_eq!(
        read(ActivityFilter::default()).await,
        ["late", "mid b", "mid g", "mid a", "early"]
    );
    let day = date(2024, 5, 3);
    assert_eq!(
        read(ActivityFilter {
            from: Some(day),
            to: Some(day),
            ..ActivityFilter::default()
        })
        .await,
        ["mid b", "mid g", "mid a"]
    );
    assert_eq!(
        read(ActivityFilter {
            from: Some(day),
            ..ActivityFilter::default()
        })
        .await,
        ["late", "mid b", "mid g", "mid a"]
    );
    assert_eq!(
        read(ActivityFilter {
            to: Some(day),
            ..ActivityFilter::default()
        })
        .await,
        ["mid b", "mid g", "mid a", "early"]
    );
    assert_eq!(
        read(ActivityFilter {
            from: Some(date(2024, 5, 2)),
            to: Some(date(2024, 5, 4)),
            author: Some(ada.id),
        })
        .await,
        ["mid b", "mid a"]
    );
    assert_eq!(
        read(ActivityFilter {
            author: Some(gone.id),
            ..ActivityFilter::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        read(ActivityFilter {
            from: Some(date(2024, 5, 6)),
            ..ActivityFilter::default()
        })
        .await,
        Vec::<String>::new()
    );

    // The entries carry the roster entry as it is now.
    let entries = store
        .activities(&ActivityFilter {
            author: Some(grace.id),
            ..ActivityFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].activity, mid_g);
    assert_eq!(
        entries[0].ambassador,
        store.ambassador(grace.id).await.unwrap().unwrap()
    );
    assert_eq!(entries[0].ambassador.status, AmbassadorStatus::Alumni);
    let all = store.activities(&ActivityFilter::default()).await.unwrap();
    let got: Vec<Activity> = all.into_iter().map(|e| e.activity).collect();
    assert_eq!(got, [late, mid_b, mid_g, mid_a, early]);
}

// ---------------------------------------------------------------- lifecycle

use ambassador_core::{ApplicationStatus, Term};

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

    let last = store.last_active().await.unwrap();
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

async fn known(store: &impl Store) -> Vec<Option<DateTime<Utc>>> {
    let last = store.last_active().await.unwrap();
    last.into_iter().map(|l| l.known_since).collect()
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
    // Back to before the migration, then migrate again.
    store
        .execute_script(
            "DROP TABLE renewal_asks; ALTER TABLE ambassadors DROP COLUMN known_since; \
             DELETE FROM _sqlx_migrations WHERE version = 8;",
        )
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
        .last_active()
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

// ---------------------------------------------------------------- requests

use ambassador_core::{NewRequest, Request, RequestChange, RequestFilter, RequestStatus};

fn new_request(ambassador: &Person, round: Option<NaiveDate>, text: &str) -> NewRequest {
    NewRequest {
        ambassador: ambassador.id,
        department: "Finance".to_owned(),
        region: "EMEA".to_owned(),
        round,
        text: text.to_owned(),
        labels: vec![],
        created_at: at(2024, 5, 6, 9, 0, 0),
    }
}

async fn add_quietly(store: &impl Store, new: &NewRequest) -> Request {
    store.add_request(new, &|_| Vec::new()).await.unwrap()
}

fn ids(requests: &[Request]) -> Vec<i64> {
    requests.iter().map(|r| r.id).collect()
}

async fn requests_are_added_and_read_back_with_their_labels_once<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let office = Account::new(Platform::Matrix, "@ispo:example.org");
    let round = date(2024, 5, 6);
    // An instant finer than a microsecond is kept to the microsecond on both back-ends.
    let created_at = at(2024, 5, 6, 9, 30, 0) + Duration::nanoseconds(7_001);
    let new = NewRequest {
        labels: vec![
            "CI-Sponsor".to_owned(),
            "#budget".to_owned(),
            "ci-sponsor".to_owned(),
            " ".to_owned(),
        ],
        created_at,
        ..new_request(&ada, Some(round), "A CI sponsor for the #budget review")
    };
    let added = store
        .add_request(&new, &|id| vec![dm(&format!("request:{id}:new"), &office)])
        .await
        .unwrap();
    assert_eq!(added.ambassador, ada.as_ref());
    assert_eq!(added.department, "Finance");
    assert_eq!(added.region, "EMEA");
    assert_eq!(added.round, Some(round));
    assert_eq!(added.text, "A CI sponsor for the #budget review");
    assert_eq!(added.status, RequestStatus::New);
    assert_eq!(added.owner, None);
    assert_eq!(added.labels, ["budget", "ci-sponsor"]);
    assert_eq!(
        added.created_at,
        at(2024, 5, 6, 9, 30, 0) + Duration::microseconds(7)
    );
    assert_eq!(
        (
            added.first_answer_at,
            added.closed_at,
            added.note.clone(),
            added.overdue_listed_at
        ),
        (None, None, None, None)
    );
    assert_eq!(store.request(added.id).await.unwrap(), Some(added.clone()));
    assert_eq!(store.request(added.id + 100).await.unwrap(), None);
    // The notice names the number, and is queued with the request.
    assert_eq!(
        pending_keys(&store).await,
        [format!("request:{}:new", added.id)]
    );

    // One request per ambassador and round: the second conflicts and queues nothing.
    assert!(matches!(
        store
            .add_request(&new_request(&ada, Some(round), "again"), &|id| {
                vec![dm(&format!("request:{id}:again"), &office)]
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(pending_keys(&store).await.len(), 1);
    // Another round, and any number of requests asked outside a round.
    let next_round = add_quietly(&store, &new_request(&ada, Some(date(2024, 5, 13)), "b")).await;
    let asked = add_quietly(&store, &new_request(&ada, None, "c")).await;
    let asked_again = add_quietly(&store, &new_request(&ada, None, "d")).await;
    assert_eq!(asked.round, None);
    assert_eq!(asked.labels, Vec::<String>::new());
    assert_eq!(
        ids(&store.requests(&RequestFilter::default()).await.unwrap()),
        [asked_again.id, asked.id, next_round.id, added.id]
    );

    // An unknown ambassador: nothing recorded, nothing queued.
    let ghost = Person {
        id: ada.id + 1000,
        ..ada.clone()
    };
    assert!(matches!(
        store
            .add_request(&new_request(&ghost, None, "who?"), &|id| {
                vec![dm(&format!("request:{id}:ghost"), &office)]
            })
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(pending_keys(&store).await.len(), 1);
    assert_eq!(
        store
            .requests(&RequestFilter::default())
            .await
            .unwrap()
            .len(),
        4
    );
}

async fn requests_are_listed_newest_first_by_ambassador_and_openness<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let office = person(&store, "U3", "Office").await;
    let now = at(2024, 5, 7, 10, 0, 0);
    let first = add_quietly(&store, &new_request(&ada, None, "one")).await;
    let second = add_quietly(&store, &new_request(&grace, None, "two")).await;
    let third = add_quietly(&store, &new_request(&ada, None, "three")).await;
    let fourth = add_quietly(&store, &new_request(&grace, None, "four")).await;
    let fifth = add_quietly(&store, &new_request(&ada, None, "five")).await;
    let status = |status| RequestChange {
        status: Some(status),
        ..RequestChange::default()
    };
    // Acknowledged and in progress are still open; done and declined are not.
    store
        .update_request(first.id, &status(RequestStatus::Done), now, &[])
        .await
        .unwrap();
    store
        .update_request(fourth.id, &status(RequestStatus::Declined), now, &[])
        .await
        .unwrap();
    store
        .update_request(third.id, &status(RequestStatus::InProgress), now, &[])
        .await
        .unwrap();
    store
        .add_request_message(second.id, office.id, true, "Seen", now, &[])
        .await
        .unwrap();

    let all = store.requests(&RequestFilter::default()).await.unwrap();
    assert_eq!(
        ids(&all),
        [fifth.id, fourth.id, third.id, second.id, first.id]
    );
    assert_eq!(all[1].labels, Vec::<String>::new());
    let open = RequestFilter {
        open_only: true,
        ..RequestFilter::default()
    };
    assert_eq!(
        ids(&store.requests(&open).await.unwrap()),
        [fifth.id, third.id, second.id]
    );
    let adas = RequestFilter {
        ambassador: Some(ada.id),
        ..RequestFilter::default()
    };
    assert_eq!(
        ids(&store.requests(&adas).await.unwrap()),
        [fifth.id, third.id, first.id]
    );
    let adas_open = RequestFilter {
        ambassador: Some(ada.id),
        open_only: true,
    };
    assert_eq!(
        ids(&store.requests(&adas_open).await.unwrap()),
        [fifth.id, third.id]
    );
    let nobodys = RequestFilter {
        ambassador: Some(office.id),
        ..RequestFilter::default()
    };
    assert_eq!(store.requests(&nobodys).await.unwrap(), []);
    // What the list says is what each request says.
    for request in &all {
        assert_eq!(
            store.request(request.id).await.unwrap().as_ref(),
            Some(request)
        );
    }
}

async fn request_updates_answer_once_close_reopen_and_label<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let office = person(&store, "U3", "Office").await;
    let lead = person(&store, "U4", "Lead").await;
    let new = NewRequest {
        labels: vec!["ci".to_owned()],
        ..new_request(&ada, None, "A CI sponsor")
    };
    let request = add_quietly(&store, &new).await;
    let t1 = at(2024, 5, 7, 10, 0, 0) + Duration::microseconds(3);
    let t2 = at(2024, 5, 8, 10, 0, 0);
    let t3 = at(2024, 5, 9, 10, 0, 0);
    let t4 = at(2024, 5, 10, 10, 0, 0);

    // Labels alone are the office's filing: no answer. Each label once, lowercase.
    let labelled = store
        .update_request(
            request.id,
            &RequestChange {
                add_labels: vec!["Budget".to_owned(), "ci".to_owned(), "budget".to_owned()],
                ..RequestChange::default()
            },
            t1,
            &[dm("labelled", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(labelled.labels, ["budget", "ci"]);
    assert_eq!(labelled.status, RequestStatus::New);
    assert_eq!(labelled.first_answer_at, None);

    // Taking it is an answer: the owner and the first answer's instant.
    let taken = store
        .update_request(
            request.id,
            &RequestChange {
                owner: Some(office.id),
                ..RequestChange::default()
            },
            t1,
            &[dm("taken", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(taken.owner, Some(office.as_ref()));
    assert_eq!(taken.first_answer_at, Some(t1));
    assert_eq!(
        taken.status,
        RequestStatus::New,
        "taking it keeps its status"
    );
    assert_eq!(taken.closed_at, None);

    // A status later keeps the first answer's instant; a new owner replaces the old one.
    let acknowledged = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Acknowledged),
                owner: Some(lead.id),
                ..RequestChange::default()
            },
            t2,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(acknowledged.status, RequestStatus::Acknowledged);
    assert_eq!(acknowledged.owner, Some(lead.as_ref()));
    assert_eq!(acknowledged.first_answer_at, Some(t1));
    assert_eq!(acknowledged.closed_at, None);

    // Done with a note: closed now; the owner stays when not changed.
    let done = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Done),
                note: Some("Sponsored by the CTO".to_owned()),
                add_labels: vec!["ci".to_owned(), "#sponsor".to_owned()],
                ..RequestChange::default()
            },
            t3,
            &[dm("done", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(done.status, RequestStatus::Done);
    assert_eq!(done.closed_at, Some(t3));
    assert_eq!(done.note.as_deref(), Some("Sponsored by the CTO"));
    assert_eq!(done.owner, Some(lead.as_ref()));
    assert_eq!(done.first_answer_at, Some(t1));
    assert_eq!(done.labels, ["budget", "ci", "sponsor"]);

    // A note alone changes neither the status nor when it closed.
    let noted = store
        .update_request(
            request.id,
            &RequestChange {
                note: Some("Sponsored by the CTO, from June".to_owned()),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(noted.status, RequestStatus::Done);
    assert_eq!(noted.closed_at, Some(t3));
    assert_eq!(
        noted.note.as_deref(),
        Some("Sponsored by the CTO, from June")
    );

    // Done again with an amended note: it closed when it first became done.
    let amended = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Done),
                note: Some("Sponsored by the CTO, from June".to_owned()),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(amended.closed_at, Some(t3));

    // Reopened: no longer closed; the note is kept until replaced.
    let reopened = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::InProgress),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(reopened.status, RequestStatus::InProgress);
    assert_eq!(reopened.closed_at, None);
    assert_eq!(reopened.first_answer_at, Some(t1));
    assert_eq!(
        reopened.note.as_deref(),
        Some("Sponsored by the CTO, from June")
    );
    // Declined: closed again, at that instant.
    let declined = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Declined),
                note: Some("No budget this year".to_owned()),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(declined.closed_at, Some(t4));
    assert_eq!(declined.note.as_deref(), Some("No budget this year"));
    assert_eq!(store.request(request.id).await.unwrap(), Some(declined));

    // Unknown request or owner: nothing changes, nothing is queued.
    assert!(matches!(
        store
            .update_request(
                request.id + 100,
                &RequestChange::default(),
                t4,
                &[dm("lost", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let before = store.request(request.id).await.unwrap();
    assert!(matches!(
        store
            .update_request(
                request.id,
                &RequestChange {
                    status: Some(RequestStatus::Done),
                    owner: Some(ada.id + 1000),
                    ..RequestChange::default()
                },
                t4,
                &[dm("ghost-owner", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.request(request.id).await.unwrap(), before);
    assert_eq!(pending_keys(&store).await, ["done", "labelled", "taken"]);
}

async fn request_messages_from_the_office_acknowledge_and_threads_are_in_order<S: Store + Clone>(
    store: S,
) {
    let ada = person(&store, "U1", "Ada").await;
    let office = person(&store, "U3", "Office").await;
    let request = add_quietly(&store, &new_request(&ada, None, "A CI sponsor")).await;
    let t1 = at(2024, 5, 7, 10, 0, 0);
    let t2 = at(2024, 5, 8, 10, 0, 0) + Duration::microseconds(9);
    let t3 = at(2024, 5, 9, 10, 0, 0);

    // The ambassador adds to their own request: not an answer.
    let own = store
        .add_request_message(request.id, ada.id, false, "Any news?", t1, &[])
        .await
        .unwrap();
    assert_eq!(own.status, RequestStatus::New);
    assert_eq!(own.first_answer_at, None);

    // The office answers: acknowledged, first answered now; the ambassador is told with it.
    let answered = store
        .add_request_message(
            request.id,
            office.id,
            true,
            "We are on it",
            t2,
            &[dm("reply", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(answered.status, RequestStatus::Acknowledged);
    assert_eq!(answered.first_answer_at, Some(t2));
    assert_eq!(pending_keys(&store).await, ["reply"]);

    // A later answer keeps the first instant and a status the office set.
    store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::InProgress),
                ..RequestChange::default()
            },
            t3,
            &[],
        )
        .await
        .unwrap();
    let later = store
        .add_request_message(request.id, office.id, true, "Half way", t3, &[])
        .await
        .unwrap();
    assert_eq!(later.status, RequestStatus::InProgress);
    assert_eq!(later.first_answer_at, Some(t2));

    let thread = store.request_messages(request.id).await.unwrap();
    let texts: Vec<(&str, bool, DateTime<Utc>)> = thread
        .iter()
        .map(|m| (m.text.as_str(), m.from_office, m.at))
        .collect();
    assert_eq!(
        texts,
        [
            ("Any news?", false, t1),
            ("We are on it", true, t2),
            ("Half way", true, t3)
        ]
    );
    assert_eq!(thread[0].author, ada.as_ref());
    assert_eq!(thread[1].author, office.as_ref());
    assert!(thread.iter().all(|m| m.request == request.id));

    // A thread of its own per request; an unknown request has none.
    let other = add_quietly(&store, &new_request(&ada, None, "Another")).await;
    assert_eq!(store.request_messages(other.id).await.unwrap(), []);
    assert_eq!(store.request_messages(other.id + 100).await.unwrap(), []);

    // Unknown request or author: nothing written, nothing queued.
    assert!(matches!(
        store
            .add_request_message(
                other.id + 100,
                office.id,
                true,
                "?",
                t3,
                &[dm("lost", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .add_request_message(
                other.id,
                ada.id + 1000,
                true,
                "?",
                t3,
                &[dm("ghost", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let untouched = store.request(other.id).await.unwrap().unwrap();
    assert_eq!(untouched.status, RequestStatus::New);
    assert_eq!(untouched.first_answer_at, None);
    assert_eq!(store.request_messages(other.id).await.unwrap(), []);
    assert_eq!(pending_keys(&store).await, ["reply"]);
}

async fn requests_are_edited_only_while_nobody_answered<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let office = person(&store, "U3", "Office").await;
    let now = at(2024, 5, 7, 10, 0, 0);
    let new = NewRequest {
        labels: vec!["ci".to_owned(), "budget".to_owned()],
        ..new_request(&ada, Some(date(2024, 5, 6)), "A CI sponsor #ci #budget")
    };
    let request = add_quietly(&store, &new).await;

    // Unanswered: text and labels replaced.
    assert!(
        store
            .edit_request(
                request.id,
                "A CI sponsor and a runner #ci #Runners",
                &["Runners".to_owned(), "ci".to_owned()]
            )
            .await
            .unwrap()
    );
    let edited = store.request(request.id).await.unwrap().unwrap();
    assert_eq!(edited.text, "A CI sponsor and a runner #ci #Runners");
    assert_eq!(edited.labels, ["ci", "runners"]);
    assert_eq!(edited.status, RequestStatus::New);
    // Edited to no labels at all.
    assert!(
        store
            .edit_request(request.id, "Just a sponsor", &[])
            .await
            .unwrap()
    );
    assert_eq!(
        store.request(request.id).await.unwrap().unwrap().labels,
        Vec::<String>::new()
    );

    // A thread, even the ambassador's own message, ends the edits.
    let with_thread = add_quietly(&store, &new_request(&ada, None, "Thread")).await;
    store
        .add_request_message(with_thread.id, ada.id, false, "More details", now, &[])
        .await
        .unwrap();
    assert!(
        !store
            .edit_request(with_thread.id, "Changed", &["x".to_owned()])
            .await
            .unwrap()
    );
    // So does an answer that kept it new (taking it), and a status.
    let taken = add_quietly(&store, &new_request(&ada, None, "Taken")).await;
    store
        .update_request(
            taken.id,
            &RequestChange {
                owner: Some(office.id),
                ..RequestChange::default()
            },
            now,
            &[],
        )
        .await
        .unwrap();
    assert!(!store.edit_request(taken.id, "Changed", &[]).await.unwrap());
    let acknowledged = add_quietly(&store, &new_request(&ada, None, "Acked")).await;
    store
        .update_request(
            acknowledged.id,
            &RequestChange {
                status: Some(RequestStatus::Acknowledged),
                ..RequestChange::default()
            },
            now,
            &[],
        )
        .await
        .unwrap();
    assert!(
        !store
            .edit_request(acknowledged.id, "Changed", &[])
            .await
            .unwrap()
    );
    // Labels the office added alone do not end the edits (they are no answer), and the edit
    // replaces them too.
    let filed = add_quietly(&store, &new_request(&ada, None, "Filed")).await;
    store
        .update_request(
            filed.id,
            &RequestChange {
                add_labels: vec!["office".to_owned()],
                ..RequestChange::default()
            },
            now,
            &[],
        )
        .await
        .unwrap();
    assert!(
        store
            .edit_request(filed.id, "Filed again", &["mine".to_owned()])
            .await
            .unwrap()
    );
    assert_eq!(
        store.request(filed.id).await.unwrap().unwrap().labels,
        ["mine"]
    );
    for (id, text) in [
        (with_thread.id, "Thread"),
        (taken.id, "Taken"),
        (acknowledged.id, "Acked"),
    ] {
        let kept = store.request(id).await.unwrap().unwrap();
        assert_eq!(kept.text, text);
        assert_eq!(kept.labels, Vec::<String>::new());
    }
    assert!(matches!(
        store.edit_request(request.id + 100, "?", &[]).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn overdue_requests_are_listed_once_through_the_effects<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let first = add_quietly(&store, &new_request(&ada, None, "one")).await;
    let second = add_quietly(&store, &new_request(&ada, None, "two")).await;
    let third = add_quietly(&store, &new_request(&ada, None, "three")).await;
    let listed = at(2024, 5, 13, 8, 0, 0) + Duration::microseconds(11);
    // The Monday summary lists two (and an unknown number, which changes nothing), with its
    // claim and its message.
    let effects = Effects {
        outbox: vec![dm("summary", &slack("U3"))],
        requests_listed: vec![first.id, second.id, third.id + 100],
        ..Effects::default()
    };
    assert!(
        store
            .commit_occurrence("summary", listed, listed, &effects)
            .await
            .unwrap()
    );
    let listed_at =
        |store: S, id| async move { store.request(id).await.unwrap().unwrap().overdue_listed_at };
    assert_eq!(listed_at(store.clone(), first.id).await, Some(listed));
    assert_eq!(listed_at(store.clone(), second.id).await, Some(listed));
    assert_eq!(listed_at(store.clone(), third.id).await, None);
    assert_eq!(pending_keys(&store).await, ["summary"]);

    // Listed again a week later: the first instant stays; the third gets its own.
    let later = at(2024, 5, 20, 8, 0, 0);
    store
        .apply(
            &Effects {
                requests_listed: vec![second.id, third.id],
                ..Effects::default()
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(listed_at(store.clone(), second.id).await, Some(listed));
    assert_eq!(listed_at(store.clone(), third.id).await, Some(later));
    // A claimed occurrence again writes nothing.
    assert!(
        !store
            .commit_occurrence(
                "summary",
                listed,
                later,
                &Effects {
                    requests_listed: vec![first.id],
                    ..Effects::default()
                }
            )
            .await
            .unwrap()
    );
    assert_eq!(listed_at(store.clone(), first.id).await, Some(listed));
}

// ---------------------------------------------------------------- migrations in step

/// What a migration makes, back-end types aside: each table with its column names, each index as
/// written, each column added, and the kind and target of every other statement.
fn schema_outline(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    code.split(';')
        .map(|statement| statement.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|statement| !statement.is_empty())
        .map(|statement| {
            let words: Vec<&str> = statement.split(' ').collect();
            let upper = statement.to_uppercase();
            if upper.starts_with("CREATE TABLE ") {
                let body =
                    &statement[statement.find('(').unwrap() + 1..statement.rfind(')').unwrap()];
                let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
                for (i, c) in body.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        ',' if depth == 0 => {
                            parts.push(&body[start..i]);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                parts.push(&body[start..]);
                let columns: Vec<String> = parts
                    .iter()
                    .map(|part| part.trim().to_owned())
                    .filter(|part| {
                        let first = part.split(' ').next().unwrap_or("").to_uppercase();
                        !["UNIQUE", "PRIMARY", "CHECK", "FOREIGN", "CONSTRAINT"]
                            .contains(&first.as_str())
                    })
                    .map(|part| part.split(' ').next().unwrap_or("").to_owned())
                    .collect();
                format!("table {} ({})", words[2], columns.join(", "))
            } else if upper.starts_with("CREATE INDEX ")
                || upper.starts_with("CREATE UNIQUE INDEX ")
            {
                statement
            } else if upper.starts_with("ALTER TABLE ") && upper.contains(" ADD COLUMN ") {
                format!("column {}.{}", words[2], words[5])
            } else {
                words[..words.len().min(3)].join(" ")
            }
        })
        .collect()
}

/// Both back-ends have the same migrations, and each makes the same tables, columns and indexes.
/// 0008 is the one exception: SQLite cannot change a CHECK constraint, so it rebuilds the table.
#[test]
fn migrations_are_in_step_on_both_back_ends() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let files = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        names.sort();
        names
    };
    let names = files("sqlite");
    assert_eq!(names, files("postgres"));
    let requests = std::fs::read_to_string(root.join("postgres/0010_requests.sql")).unwrap();
    assert!(
        schema_outline(&requests).contains(&"table request_labels (request_id, label)".to_owned()),
        "the outline names each table's columns"
    );
    for name in names.iter().filter(|name| !name.starts_with("0008_")) {
        let read = |backend: &str| std::fs::read_to_string(root.join(backend).join(name)).unwrap();
        assert_eq!(
            schema_outline(&read("sqlite")),
            schema_outline(&read("postgres")),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------- back-end specific

mod sqlite_only {
    use super::*;

    #[tokio::test]
    async fn opening_the_same_file_twice_migrates_once_and_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        let first = SqlStore::open(&url, 2).await.unwrap();
        assert_eq!(first.backend(), Backend::Sqlite);
        department(&first, "Finance", "EMEA").await;
        first.close().await;
        let second = SqlStore::open(&url, 2).await.unwrap();
        assert_eq!(names(&second.departments().await.unwrap()), ["Finance"]);
        second.close().await;
    }

    #[tokio::test]
    async fn a_missing_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let store = SqlStore::open(&format!("sqlite:{}", path.display()), 1)
            .await
            .unwrap();
        assert!(path.exists());
        assert!(store.is_empty().await.unwrap());
    }

    #[tokio::test]
    async fn coverage_copes_with_nul_characters_in_names() {
        // SQLite's length() stops at a NUL, so the packed coverage rows cannot be read; the
        // report must still come out right.
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        let store = SqlStore::open(&url, 2).await.unwrap();
        let finance = department(&store, "Finance", "EMEA").await;
        for (id, name) in [("U1", "A\0da"), ("U2", "Grace")] {
            let p = person(&store, id, name).await;
            store
                .add_ambassador(p.id, finance.id, "UTC", date(2024, 1, 1))
                .await
                .unwrap();
        }
        let coverage = store.coverage(None).await.unwrap();
        assert_eq!(display_names(&coverage[0].active), ["A\0da", "Grace"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_memory_databases_are_shared_by_all_callers() {
        let store = SqlStore::open("sqlite::memory:", 8).await.unwrap();
        department(&store, "Finance", "EMEA").await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.departments().await.unwrap().len()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 1);
        }
        // A second in-memory store is a different database.
        let other = SqlStore::open("sqlite::memory:", 1).await.unwrap();
        assert!(other.is_empty().await.unwrap());
    }
}

// ---------------------------------------------------------------- harness

// ---------------------------------------------------------------- coordination

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

mod harness {
    use ambassador_core::testing::MemoryStore;
    use ambassador_store::SqlStore;
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sqlx::{AssertSqlSafe, Connection, PgConnection};
    use std::future::Future;
    use std::str::FromStr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub async fn on_memory<F, Fut>(case: F)
    where
        F: FnOnce(MemoryStore) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(case(MemoryStore::new())).await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    pub async fn on_sqlite<F, Fut>(case: F)
    where
        F: FnOnce(SqlStore) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = SqlStore::open(&url, 5)
            .await
            .expect("open a fresh SQLite store");
        let outcome = tokio::spawn(case(store.clone())).await;
        store.close().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    /// The PostgreSQL server to test against, or `None` (after saying so) when there is none.
    fn postgres_url() -> Option<String> {
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => Some(url),
            _ => {
                if std::env::var("CI").is_ok_and(|ci| !ci.is_empty()) {
                    panic!(
                        "TEST_POSTGRES_URL is not set, but CI is: the PostgreSQL half of the store \
                         conformance suite must run in CI. Set it, e.g. \
                         TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test"
                    );
                }
                eprintln!(
                    "skipped the PostgreSQL half of this case: TEST_POSTGRES_URL is not set \
                     (e.g. TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test)"
                );
                None
            }
        }
    }

    fn unique_schema() -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!(
            "t_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos
        )
    }

    pub async fn on_postgres<F, Fut>(case: F)
    where
        F: FnOnce(SqlStore) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Some(url) = postgres_url() else { return };
        let mut admin = PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("TEST_POSTGRES_URL is set but unreachable: {e}"));
        let schema = unique_schema();
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create the test schema");

        let options = PgConnectOptions::from_str(&url)
            .expect("TEST_POSTGRES_URL is a PostgreSQL URL")
            .options([("search_path", schema.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect_with(options)
            .await
            .expect("connect to the test schema");
        let store = SqlStore::from_pg_pool(pool);
        let migrated = store.migrate().await;
        let outcome = match &migrated {
            Ok(()) => Some(tokio::spawn(case(store.clone())).await),
            Err(_) => None,
        };
        store.close().await;

        sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&mut admin)
            .await
            .expect("drop the test schema");
        admin.close().await.ok();
        migrated.expect("migrate the test schema");
        if let Some(Err(e)) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

// ---------------------------------------------------------------- decisions and their notices

/// The outbox keys waiting to be sent, sorted.
async fn pending_keys(store: &impl Store) -> Vec<String> {
    let mut keys: Vec<String> = store
        .outbox_items(&[OutboxStatus::Pending], 100)
        .await
        .unwrap()
        .into_iter()
        .map(|item| item.outgoing.key)
        .collect();
    keys.sort();
    keys
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
