//! The store conformance suite: every case runs against the memory store
//! (`ambassador_core::testing`), SQLite and PostgreSQL, except the few that reach under the port
//! into SQL (migrations, rows written in raw SQL), which run on SQLite and PostgreSQL only. One
//! module per concern (port), each listing its cases in `conformance!`; tests are named
//! `<concern>::<back-end>::<case>`, so `cargo test -p ambassador-store --test conformance kudos::`
//! runs one concern and `memory::` one back-end.
//!
//! Memory cases need nothing. SQLite cases use a fresh database file in a temporary directory.
//! PostgreSQL cases need `TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`);
//! each case gets its own schema, dropped at the end, so cases run in parallel. Without
//! `TEST_POSTGRES_URL` the PostgreSQL half is skipped with a note, except under CI (`CI` set),
//! where that is a failure.

/// Generates, in the module of a concern, `memory::<case>`, `sqlite::<case>` and `postgres::<case>`
/// tests for every case of `everywhere`, and `sqlite::<case>` and `postgres::<case>` for every case
/// of `sql_only`. Each case is an `async fn(store)`, generic over the store when it runs
/// everywhere.
macro_rules! conformance {
    (everywhere: [$($case:ident),* $(,)?], sql_only: [$($sql_case:ident),* $(,)?] $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::on_memory(super::$case).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::on_sqlite(super::$case).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $sql_case() {
                    crate::harness::on_sqlite(super::$sql_case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::on_postgres(super::$case).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $sql_case() {
                    crate::harness::on_postgres(super::$sql_case).await;
                }
            )*
        }
    };
}

mod activity;
mod announcements;
mod backends;
mod checkins;
mod coordination;
mod kudos;
mod lifecycle;
mod org;
mod outbox;
mod people;
mod requests;
mod roster;
mod scheduler;
mod signin;

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, Activity, ActivityFilter, AmbassadorStatus, Announcement, AnnouncementRecipient,
    ApplicationStatus, Checkin, CheckinFilter, CheckinStatus, Department, DepartmentCoverage,
    Destination, DigestSnapshot, Effects, JobRun, JobRunStatus, KudosOutcome, Message, NewActivity,
    NewAnnouncement, NewCheckin, NewDepartment, NewKudos, NewRequest, OutboxItem, OutboxStats,
    OutboxStatus, Outgoing, Person, PersonId, PersonRef, Platform, RenewalAsk, Request,
    RequestChange, RequestFilter, RequestStatus, Rich, RosterFilter, StoreError, Term,
};
use ambassador_store::{Backend, SqlStore};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

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

// ---------------------------------------------------------------- harness

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
