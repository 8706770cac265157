//! The [`Store`] port of ambassador-core over sqlx: SQLite (the embedded default) and PostgreSQL.
//!
//! One body of SQL serves both back-ends. [`SqlStore`] holds either pool, and every operation is
//! written once inside `with_pool!`, which expands the same code for each pool type, so the two
//! back-ends can only differ where the code says so explicitly (the PostgreSQL advisory lock in
//! [`Store::record_kudos`], `FOR UPDATE SKIP LOCKED` in [`Store::claim_outbox`]). The SQL sticks
//! to what both accept: `$1` placeholders (SQLite binds them by number, repeats included),
//! `ON CONFLICT` (with `DO UPDATE ... WHERE`), `RETURNING`, `FILTER`, `string_agg` (SQLite 3.44 or
//! later; the bundled one is newer), multi-row `VALUES` and row values (`(a, b) IN (VALUES ...)`).
//! A list of choices from a small fixed set (platforms, statuses) is bound as one parameter per
//! possible value, NULL for the unwanted ones, so the statement stays the same. Orderings the
//! contract promises are applied in Rust, so they do not depend on a database collation.
//!
//! Every transaction starts with a write (SQLite then takes its write lock at once, instead of
//! failing to upgrade a read that another writer made stale), and every instant is cut to
//! microseconds (`to_micros`) so both back-ends give back what was written.
//!
//! The schema lives in the top-level `migrations/sqlite` and `migrations/postgres` directories and is
//! embedded in the binary; [`SqlStore::migrate`] applies it.

/// Runs `$body` against whichever pool `$store` holds. The body is expanded once per back-end, so
/// it is type-checked against both; `$backend` (optional) names a [`Backend`] value for the rare
/// statement only one of them needs.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        with_pool!($store, |$pool, _backend| $body)
    };
    ($store:expr, |$pool:ident, $backend:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite($pool) => {
                let $backend = $crate::Backend::Sqlite;
                $body
            }
            $crate::Pools::Postgres($pool) => {
                let $backend = $crate::Backend::Postgres;
                $body
            }
        }
    };
}

mod activity;
mod announcements;
mod checkins;
mod coordination;
mod error;
mod kudos;
mod lifecycle;
mod org;
mod outbox;
mod people;
mod requests;
mod roster;
mod rows;
mod scheduler;

use ambassador_core::{
    Account, Ambassador, AmbassadorStatus, Checkin, CheckinEntry, CheckinFilter, CheckinStatus,
    Department, DepartmentCoverage, DepartmentId, DigestSnapshot, Effects, JobRun, Kudos,
    KudosOutcome, NewDepartment, NewKudos, OutboxItem, OutboxStats, OutboxStatus, Outgoing, Person,
    PersonId, Platform, RenewalAsk, RosterFilter, RoundId, SignsOfLife, StorageFault, Store,
    StoreError, StoreResult,
};
use ambassador_core::{
    Activity, ActivityEntry, ActivityFilter, ActivityId, Announcement, AnnouncementId,
    AnnouncementRecipient, NewActivity,
};
use ambassador_core::{
    Application, ApplicationId, ApplicationStatus, MisuseReport, Nomination, ReportId, Term,
};
use ambassador_core::{
    NewRequest, Request, RequestChange, RequestFilter, RequestId, RequestMessage,
};
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use error::DbResultExt;
use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, PgPool, SqlitePool};
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// `at` as both back-ends keep it: PostgreSQL stores microseconds, so every instant is cut to them
/// before it is written or compared (an instant read back equals the one written).
pub(crate) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// Which database a [`SqlStore`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

#[derive(Clone, Debug)]
enum Pools {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The [`Store`] over a SQLite or PostgreSQL connection pool. Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct SqlStore {
    pools: Pools,
    /// New inbound event keys this store remembered (old ones are pruned every so many).
    events_remembered: Arc<AtomicU32>,
    /// The storage fault the latest write failed with (see [`fault_code`]), shared by clones.
    write_fault: Arc<AtomicU8>,
    /// When a connection the server dropped was last met (shared with the pool's hand-out check).
    losses: Arc<Losses>,
}

/// How long after meeting a dropped connection the connections opened before it are checked
/// (pinged) before they are handed out: they may have been dropped too (a terminated session, a
/// restarted server drops them all), and the one retry of the failed call must not meet another.
const LOSS_SUSPICION: Duration = Duration::from_secs(60);

/// When this store last met a connection the server had dropped.
#[derive(Debug)]
struct Losses {
    since: Instant,
    /// Milliseconds from `since` to the latest loss; `u64::MAX` for none.
    latest: AtomicU64,
}

impl Default for Losses {
    fn default() -> Self {
        Losses {
            since: Instant::now(),
            latest: AtomicU64::new(u64::MAX),
        }
    }
}

impl Losses {
    fn note(&self) {
        let at = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.latest.store(at, Ordering::Relaxed);
    }

    /// True when a connection `age` old was opened before a loss met less than
    /// [`LOSS_SUSPICION`] ago, so it may have been dropped with the one that failed.
    fn may_be_dropped(&self, age: Duration) -> bool {
        let latest = self.latest.load(Ordering::Relaxed);
        if latest == u64::MAX {
            return false;
        }
        let since_loss = self
            .since
            .elapsed()
            .saturating_sub(Duration::from_millis(latest));
        since_loss < LOSS_SUSPICION && age >= since_loss
    }
}

/// The lease row [`SqlStore::probe_write`] writes: expired as soon as written, never held.
const WRITE_PROBE_LEASE: &str = "store-write-probe";

fn fault_code(fault: Option<StorageFault>) -> u8 {
    match fault {
        None => 0,
        Some(StorageFault::DiskFull) => 1,
        Some(StorageFault::ReadOnly) => 2,
        Some(StorageFault::Io) => 3,
        Some(StorageFault::Unavailable) => 4,
    }
}

fn fault_from_code(code: u8) -> Option<StorageFault> {
    match code {
        1 => Some(StorageFault::DiskFull),
        2 => Some(StorageFault::ReadOnly),
        3 => Some(StorageFault::Io),
        4 => Some(StorageFault::Unavailable),
        _ => None,
    }
}

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long connecting to PostgreSQL may take before it is reported as unreachable.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled PostgreSQL connection idle longer than this is pinged before it is handed out (one
/// round trip), so that one the server dropped meanwhile is replaced instead of failing a request.
/// A busier connection is handed out as it is: pinging on every acquire would add a round trip to
/// every store call.
const PG_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

impl SqlStore {
    /// Connects without migrating. Accepts `sqlite:` URLs (`sqlite://ambassador-bot.db` relative to the
    /// working directory, `sqlite:///abs/path.db`, `sqlite::memory:`; the file is created when missing)
    /// and `postgres://` / `postgresql://` URLs. An in-memory SQLite database uses one connection, so
    /// every caller sees the same database.
    pub async fn connect(url: &str, max_connections: u32) -> Result<SqlStore, StoreError> {
        let max_connections = max_connections.max(1);
        let (scheme, rest) = url.trim().split_once(':').unwrap_or(("", ""));
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let url = format!("sqlite:{rest}");
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let mut options = SqliteConnectOptions::from_str(&url)
                    .db()?
                    .create_if_missing(true)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .synchronous(SqliteSynchronous::Normal);
                // A SQLite connection is a file handle with no peer that could hang up: no ping on
                // acquire (sqlx's default sends one to the connection's worker thread every time).
                let mut pool = SqlitePoolOptions::new().test_before_acquire(false);
                if in_memory {
                    // The database lives as long as its last connection: keep exactly one, forever.
                    pool = pool
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                } else {
                    options = options.journal_mode(SqliteJournalMode::Wal);
                    pool = pool.max_connections(max_connections);
                }
                let pool = pool.connect_with(options).await.db()?;
                tracing::debug!(in_memory, "connected to SQLite");
                Ok(SqlStore::from_sqlite_pool(pool))
            }
            "postgres" | "postgresql" => {
                let options = PgConnectOptions::from_str(url).db()?;
                // One direct connection first: a refused connection or a bad password is reported
                // at once and as itself, where the pool would retry until its timeout.
                let probe =
                    tokio::time::timeout(PG_CONNECT_TIMEOUT, PgConnection::connect_with(&options))
                        .await
                        .map_err(|_| {
                            StoreError::Backend(
                                format!(
                                    "PostgreSQL did not answer within {} s",
                                    PG_CONNECT_TIMEOUT.as_secs()
                                )
                                .into(),
                            )
                        })?
                        .db()?;
                let _ = probe.close().await;
                let losses = Arc::new(Losses::default());
                let seen = losses.clone();
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(PG_CONNECT_TIMEOUT)
                    .test_before_acquire(false)
                    .before_acquire(move |conn, meta| {
                        let seen = seen.clone();
                        Box::pin(async move {
                            if meta.idle_for > PG_PING_AFTER_IDLE || seen.may_be_dropped(meta.age) {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await
                    .db()?;
                tracing::debug!("connected to PostgreSQL");
                let mut store = SqlStore::from_pg_pool(pool);
                store.losses = losses;
                Ok(store)
            }
            _ => {
                // Only the scheme is repeated: the rest of a URL may hold a password.
                let scheme = if scheme.is_empty() {
                    "no scheme".to_owned()
                } else {
                    format!("scheme `{scheme}:`")
                };
                Err(StoreError::Backend(
                    format!(
                        "unsupported database URL ({scheme}): use sqlite: (e.g. \
                         sqlite://ambassador-bot.db, sqlite:///var/lib/ambassador/bot.db or \
                         sqlite::memory:) or postgres:// (also postgresql://, e.g. \
                         postgres://user@host:5432/dbname)"
                    )
                    .into(),
                ))
            }
        }
    }

    /// [`connect`](Self::connect), then [`migrate`](Self::migrate).
    pub async fn open(url: &str, max_connections: u32) -> Result<SqlStore, StoreError> {
        let store = SqlStore::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// A store over an existing SQLite pool (its connections should have foreign keys on, as
    /// [`connect`](Self::connect) sets them).
    pub fn from_sqlite_pool(pool: SqlitePool) -> SqlStore {
        SqlStore {
            pools: Pools::Sqlite(pool),
            events_remembered: Arc::default(),
            write_fault: Arc::default(),
            losses: Arc::default(),
        }
    }

    /// A store over an existing PostgreSQL pool (e.g. one whose connections set a `search_path`).
    pub fn from_pg_pool(pool: PgPool) -> SqlStore {
        SqlStore {
            pools: Pools::Postgres(pool),
            events_remembered: Arc::default(),
            write_fault: Arc::default(),
            losses: Arc::default(),
        }
    }

    /// Applies the embedded migrations that have not run yet. Safe to call on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.pools {
            Pools::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await,
            Pools::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await,
        };
        result.map_err(|e| StoreError::Backend(Box::new(e)))
    }

    pub fn backend(&self) -> Backend {
        match &self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a raw SQL script of one or more statements, without bind parameters (for bulk-filling
    /// benchmark data). Write instants in SQLite as `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` (the form
    /// the store binds, so that text order is time order) and dates as `YYYY-MM-DD`; fill the `*_key`
    /// columns with `ambassador_core::name_key` of the names. On PostgreSQL, after inserting explicit
    /// ids, move the identity sequences past them (`SELECT setval(pg_get_serial_sequence(...), ...)`).
    #[doc(hidden)]
    pub async fn execute_script(&self, sql: &str) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .db()?;
        });
        Ok(())
    }

    async fn is_empty_once(&self) -> StoreResult<bool> {
        let any: bool = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM departments) \
                     OR EXISTS (SELECT 1 FROM people) \
                     OR EXISTS (SELECT 1 FROM kudos)",
            )
            .fetch_one(pool)
            .await
            .db()?
        });
        Ok(!any)
    }

    /// Runs one store operation (`op` makes a fresh attempt of it). A connection the server
    /// dropped (terminated, restarted, a network cut) is retried once, on a new connection, when
    /// the attempt cannot have changed anything: the error came before any write outside a
    /// transaction and before any commit, so PostgreSQL rolled back whatever the attempt did.
    /// A write refused for a storage fault (disk full, read-only, I/O) marks the store as unable
    /// to write ([`write_fault`](Self::write_fault)) until a write succeeds.
    async fn guarded<T, F, Fut>(&self, op: F) -> StoreResult<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let (mut result, mut wrote) = error::attempt(op(), false).await;
        if let Err(e) = &result
            && !wrote
            && error::is_lost_connection(e)
        {
            tracing::info!(error = %e, "the database connection was lost; trying once more on a new one");
            self.losses.note();
            (result, wrote) = error::attempt(op(), true).await;
        }
        match &result {
            Err(StoreError::Storage { fault, .. }) if fault.blocks_writes() => {
                self.write_fault
                    .store(fault_code(Some(*fault)), Ordering::Relaxed);
            }
            Ok(_) if wrote => {
                self.write_fault.store(fault_code(None), Ordering::Relaxed);
            }
            _ => {}
        }
        result
    }

    /// The storage fault the latest write failed with (disk full, read-only database, I/O
    /// error), or `None` when the latest write succeeded (or none failed yet).
    pub fn write_fault(&self) -> Option<StorageFault> {
        fault_from_code(self.write_fault.load(Ordering::Relaxed))
    }

    /// Writes one small row (the never-held lease `store-write-probe`) to learn whether the
    /// database accepts writes again; clears [`write_fault`](Self::write_fault) when it does.
    pub async fn probe_write(&self) -> StoreResult<()> {
        self.guarded(|| async {
            error::may_write();
            with_pool!(self, |pool| {
                sqlx::query(
                    "INSERT INTO leases (name, holder, expires_at) VALUES ($1, '', $2) \
                     ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at",
                )
                .bind(WRITE_PROBE_LEASE)
                .bind(to_micros(Utc::now()))
                .execute(pool)
                .await
                .db()?;
            });
            Ok(())
        })
        .await
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }
}

impl Store for SqlStore {
    async fn ensure_person(&self, account: &Account, display_name: &str) -> StoreResult<Person> {
        self.guarded(|| people::ensure_person(self, account, display_name))
            .await
    }

    async fn find_person(&self, account: &Account) -> StoreResult<Option<Person>> {
        self.guarded(|| people::find_person(self, account)).await
    }

    async fn find_people_and_ambassadors(
        &self,
        accounts: &[Account],
    ) -> StoreResult<Vec<(Person, Option<Ambassador>)>> {
        self.guarded(|| people::find_people_and_ambassadors(self, accounts))
            .await
    }

    async fn set_person_time_zone(
        &self,
        person: PersonId,
        time_zone: &str,
        chosen: bool,
    ) -> StoreResult<bool> {
        self.guarded(|| people::set_person_time_zone(self, person, time_zone, chosen))
            .await
    }

    async fn add_department(&self, department: &NewDepartment) -> StoreResult<Department> {
        self.guarded(|| org::add_department(self, department)).await
    }

    async fn rename_department(&self, id: DepartmentId, new_name: &str) -> StoreResult<Department> {
        self.guarded(|| org::rename_department(self, id, new_name))
            .await
    }

    async fn set_department_region(
        &self,
        id: DepartmentId,
        region: &str,
    ) -> StoreResult<Department> {
        self.guarded(|| org::set_department_region(self, id, region))
            .await
    }

    async fn set_headcount(
        &self,
        id: DepartmentId,
        headcount: Option<u32>,
    ) -> StoreResult<Department> {
        self.guarded(|| org::set_headcount(self, id, headcount))
            .await
    }

    async fn remove_department(&self, id: DepartmentId) -> StoreResult<()> {
        self.guarded(|| org::remove_department(self, id)).await
    }

    async fn departments(&self) -> StoreResult<Vec<Department>> {
        self.guarded(|| org::departments(self)).await
    }

    async fn department_by_name(&self, name: &str) -> StoreResult<Option<Department>> {
        self.guarded(|| org::department_by_name(self, name)).await
    }

    async fn add_ambassador(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
    ) -> StoreResult<Ambassador> {
        self.guarded(|| {
            roster::add_ambassador(self, person, department, time_zone, since, &[], Utc::now())
        })
        .await
    }

    async fn add_ambassador_notifying(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
    ) -> StoreResult<Ambassador> {
        self.guarded(|| {
            roster::add_ambassador(self, person, department, time_zone, since, notices, now)
        })
        .await
    }

    async fn set_ambassador_status(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
    ) -> StoreResult<Ambassador> {
        self.guarded(|| roster::set_ambassador_status(self, person, status, on, &[], Utc::now()))
            .await
    }

    async fn set_ambassador_status_notifying(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
    ) -> StoreResult<Ambassador> {
        self.guarded(|| roster::set_ambassador_status(self, person, status, on, notices, now))
            .await
    }

    async fn remove_ambassador(&self, person: PersonId) -> StoreResult<()> {
        self.guarded(|| roster::remove_ambassador(self, person))
            .await
    }

    async fn ambassador(&self, person: PersonId) -> StoreResult<Option<Ambassador>> {
        self.guarded(|| roster::ambassador(self, person)).await
    }

    async fn roster(&self, filter: &RosterFilter) -> StoreResult<Vec<Ambassador>> {
        self.guarded(|| roster::roster(self, filter)).await
    }

    async fn coverage(&self, region: Option<&str>) -> StoreResult<Vec<DepartmentCoverage>> {
        self.guarded(|| roster::coverage(self, region)).await
    }

    async fn record_kudos(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
    ) -> StoreResult<KudosOutcome> {
        self.guarded(|| kudos::record_kudos(self, kudos, daily_limit, day_start, &[]))
            .await
    }

    async fn record_kudos_notifying(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<KudosOutcome> {
        self.guarded(|| kudos::record_kudos(self, kudos, daily_limit, day_start, notices))
            .await
    }

    async fn take_back_kudos(&self, giver: PersonId, source: &str) -> StoreResult<Option<Kudos>> {
        self.guarded(|| kudos::take_back_kudos(self, giver, source))
            .await
    }

    async fn kudos_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Kudos>> {
        self.guarded(|| kudos::kudos_between(self, from, to)).await
    }

    async fn kudos_latest(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<(u64, Vec<Kudos>)> {
        self.guarded(|| kudos::kudos_latest(self, from, to, limit))
            .await
    }

    async fn kudos_tally(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ambassador_core::KudosTally>> {
        self.guarded(|| kudos::kudos_tally(self, from, to)).await
    }

    async fn kudos_by_region(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, u64)>> {
        self.guarded(|| kudos::kudos_by_region(self, from, to))
            .await
    }

    async fn coverage_counts(&self) -> StoreResult<(u32, u32)> {
        self.guarded(|| roster::coverage_counts(self)).await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        self.guarded(|| self.is_empty_once()).await
    }

    async fn start_application(
        &self,
        person: PersonId,
        questions: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Application> {
        self.guarded(|| lifecycle::start_application(self, person, questions, now))
            .await
    }

    async fn pending_application(&self, person: PersonId) -> StoreResult<Option<Application>> {
        self.guarded(|| lifecycle::pending_application(self, person))
            .await
    }

    async fn set_application_answer(
        &self,
        id: ApplicationId,
        index: u32,
        text: &str,
    ) -> StoreResult<Application> {
        self.guarded(|| lifecycle::set_application_answer(self, id, index, text))
            .await
    }

    async fn submit_application(
        &self,
        id: ApplicationId,
        department: DepartmentId,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Application> {
        self.guarded(|| lifecycle::submit_application(self, id, department, now, notices))
            .await
    }

    async fn decide_application(
        &self,
        id: ApplicationId,
        status: ApplicationStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Option<Application>> {
        self.guarded(|| lifecycle::decide_application(self, id, status, reason, now, notices))
            .await
    }

    async fn applications(&self, statuses: &[ApplicationStatus]) -> StoreResult<Vec<Application>> {
        self.guarded(|| lifecycle::applications(self, statuses))
            .await
    }

    async fn add_nomination(
        &self,
        nominee: PersonId,
        nominator: PersonId,
        reason: &str,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Nomination> {
        self.guarded(|| lifecycle::add_nomination(self, nominee, nominator, reason, now, notices))
            .await
    }

    async fn open_nominations(&self) -> StoreResult<Vec<Nomination>> {
        self.guarded(|| lifecycle::open_nominations(self)).await
    }

    async fn terms(&self, person: PersonId) -> StoreResult<Vec<Term>> {
        self.guarded(|| lifecycle::terms(self, person)).await
    }

    async fn add_report(
        &self,
        reporter: PersonId,
        subject: PersonId,
        text: &str,
        now: DateTime<Utc>,
        notify: &(dyn Fn(ReportId) -> Vec<Outgoing> + Send + Sync),
    ) -> StoreResult<MisuseReport> {
        self.guarded(|| lifecycle::add_report(self, reporter, subject, text, now, notify))
            .await
    }

    async fn reports(&self, open_only: bool) -> StoreResult<Vec<MisuseReport>> {
        self.guarded(|| lifecycle::reports(self, open_only)).await
    }

    async fn resolve_report(
        &self,
        id: ReportId,
        by: PersonId,
        note: Option<&str>,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Option<MisuseReport>> {
        self.guarded(|| lifecycle::resolve_report(self, id, by, note, now, notices))
            .await
    }

    async fn add_request(
        &self,
        new: &NewRequest,
        notify: &(dyn Fn(RequestId) -> Vec<Outgoing> + Send + Sync),
    ) -> StoreResult<Request> {
        self.guarded(|| requests::add_request(self, new, notify))
            .await
    }

    async fn request(&self, id: RequestId) -> StoreResult<Option<Request>> {
        self.guarded(|| requests::request(self, id)).await
    }

    async fn requests(&self, filter: &RequestFilter) -> StoreResult<Vec<Request>> {
        self.guarded(|| requests::requests(self, filter)).await
    }

    async fn edit_request(
        &self,
        id: RequestId,
        text: &str,
        labels: &[String],
    ) -> StoreResult<bool> {
        self.guarded(|| requests::edit_request(self, id, text, labels))
            .await
    }

    async fn update_request(
        &self,
        id: RequestId,
        change: &RequestChange,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Request> {
        self.guarded(|| requests::update_request(self, id, change, now, notices))
            .await
    }

    async fn add_request_message(
        &self,
        id: RequestId,
        author: PersonId,
        from_office: bool,
        text: &str,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Request> {
        self.guarded(|| {
            requests::add_request_message(self, id, author, from_office, text, now, notices)
        })
        .await
    }

    async fn request_messages(&self, id: RequestId) -> StoreResult<Vec<RequestMessage>> {
        self.guarded(|| requests::request_messages(self, id)).await
    }

    async fn kudos_received(&self, person: PersonId) -> StoreResult<Vec<Kudos>> {
        self.guarded(|| kudos::kudos_received(self, person)).await
    }

    async fn kudos_counts(&self, person: PersonId) -> StoreResult<(u32, u32)> {
        self.guarded(|| kudos::kudos_counts(self, person)).await
    }

    async fn set_kudos_optout(&self, person: PersonId, optout: bool) -> StoreResult<()> {
        self.guarded(|| lifecycle::set_kudos_optout(self, person, optout))
            .await
    }

    async fn kudos_optouts(&self) -> StoreResult<Vec<Account>> {
        self.guarded(|| lifecycle::kudos_optouts(self)).await
    }

    async fn set_manager(&self, person: PersonId, manager: Option<PersonId>) -> StoreResult<()> {
        self.guarded(|| lifecycle::set_manager(self, person, manager))
            .await
    }

    async fn manager(&self, person: PersonId) -> StoreResult<Option<Person>> {
        self.guarded(|| lifecycle::manager(self, person)).await
    }

    async fn last_active(&self) -> StoreResult<Vec<SignsOfLife>> {
        self.guarded(|| lifecycle::last_active(self)).await
    }

    async fn note_known_since(&self, person: PersonId, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| roster::note_known_since(self, person, at))
            .await
    }

    async fn confirm_renewal(
        &self,
        person: PersonId,
        anniversary: NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.guarded(|| lifecycle::confirm_renewal(self, person, anniversary, now))
            .await
    }

    async fn renewals_confirmed(
        &self,
        since: NaiveDate,
    ) -> StoreResult<Vec<(PersonId, NaiveDate)>> {
        self.guarded(|| lifecycle::renewals_confirmed(self, since))
            .await
    }

    async fn renewal_asks(&self, since: NaiveDate) -> StoreResult<Vec<RenewalAsk>> {
        self.guarded(|| lifecycle::renewal_asks(self, since)).await
    }

    async fn set_checkins_paused_until(
        &self,
        person: PersonId,
        until: Option<NaiveDate>,
    ) -> StoreResult<()> {
        self.guarded(|| roster::set_checkins_paused_until(self, person, until))
            .await
    }

    async fn pause_open_checkins(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<RoundId>> {
        self.guarded(|| checkins::pause_open_checkins(self, person, now))
            .await
    }

    async fn ambassador_time_zones(&self) -> StoreResult<Vec<String>> {
        self.guarded(|| roster::ambassador_time_zones(self)).await
    }

    async fn current_checkin(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Checkin>> {
        self.guarded(|| checkins::current_checkin(self, person, now))
            .await
    }

    async fn write_checkin_answer(
        &self,
        round: RoundId,
        person: PersonId,
        text: &str,
        replace: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<Checkin> {
        self.guarded(|| checkins::write_checkin_answer(self, round, person, text, replace, at))
            .await
    }

    async fn set_checkin_status(
        &self,
        round: RoundId,
        person: PersonId,
        status: CheckinStatus,
    ) -> StoreResult<Checkin> {
        self.guarded(|| checkins::set_checkin_status(self, round, person, status))
            .await
    }

    async fn checkins(&self, filter: &CheckinFilter) -> StoreResult<Vec<CheckinEntry>> {
        self.guarded(|| checkins::checkins(self, filter)).await
    }

    async fn commit_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
        effects: &Effects,
    ) -> StoreResult<bool> {
        self.guarded(|| scheduler::commit(self, Some((job, occurrence)), effects, at))
            .await
    }

    async fn skip_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.guarded(|| scheduler::skip_occurrence(self, job, occurrence, at))
            .await
    }

    async fn job_runs(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<JobRun>> {
        self.guarded(|| scheduler::job_runs(self, from, to)).await
    }

    async fn scheduler_cursor(&self, job: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.guarded(|| scheduler::scheduler_cursor(self, job))
            .await
    }

    async fn advance_scheduler_cursor(&self, job: &str, until: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| scheduler::advance_scheduler_cursor(self, job, until))
            .await
    }

    async fn apply(&self, effects: &Effects, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| scheduler::commit(self, None, effects, at))
            .await
            .map(drop)
    }

    async fn last_digest_snapshot(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<Option<DigestSnapshot>> {
        self.guarded(|| scheduler::last_digest_snapshot(self, before))
            .await
    }

    async fn claim_outbox(
        &self,
        platforms: &[Platform],
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        self.guarded(|| outbox::claim_outbox(self, platforms, now, lease, limit))
            .await
    }

    async fn outbox_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| outbox::outbox_sent(self, id, at)).await
    }

    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
        count_attempt: bool,
    ) -> StoreResult<()> {
        self.guarded(|| outbox::outbox_retry(self, id, next_attempt_at, error, count_attempt))
            .await
    }

    async fn outbox_failed(&self, id: i64, error: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| outbox::outbox_failed(self, id, error, at))
            .await
    }

    async fn outbox_items(
        &self,
        statuses: &[OutboxStatus],
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        self.guarded(|| outbox::outbox_items(self, statuses, limit))
            .await
    }

    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        self.guarded(|| outbox::outbox_stats(self)).await
    }

    async fn announcements(&self, since: DateTime<Utc>) -> StoreResult<Vec<Announcement>> {
        self.guarded(|| announcements::announcements(self, since))
            .await
    }

    async fn announcement_recipients(
        &self,
        announcements: &[AnnouncementId],
    ) -> StoreResult<Vec<AnnouncementRecipient>> {
        self.guarded(|| announcements::announcement_recipients(self, announcements))
            .await
    }

    async fn open_announcements(&self, person: PersonId) -> StoreResult<Vec<Announcement>> {
        self.guarded(|| announcements::open_announcements(self, person))
            .await
    }

    async fn acknowledge_announcement(
        &self,
        announcement: AnnouncementId,
        person: PersonId,
        shared: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.guarded(|| {
            announcements::acknowledge_announcement(self, announcement, person, shared, at)
        })
        .await
    }

    async fn announcement_reminders_due(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<(Announcement, AnnouncementRecipient)>> {
        self.guarded(|| announcements::announcement_reminders_due(self, before))
            .await
    }

    async fn add_activity(&self, activity: &NewActivity) -> StoreResult<Activity> {
        self.guarded(|| activity::add_activity(self, activity))
            .await
    }

    async fn update_activity(
        &self,
        id: ActivityId,
        author: PersonId,
        activity: &NewActivity,
    ) -> StoreResult<Activity> {
        self.guarded(|| activity::update_activity(self, id, author, activity))
            .await
    }

    async fn delete_activity(&self, id: ActivityId, author: PersonId) -> StoreResult<()> {
        self.guarded(|| activity::delete_activity(self, id, author))
            .await
    }

    async fn activity(&self, id: ActivityId) -> StoreResult<Option<Activity>> {
        self.guarded(|| activity::activity(self, id)).await
    }

    async fn activities(&self, filter: &ActivityFilter) -> StoreResult<Vec<ActivityEntry>> {
        self.guarded(|| activity::activities(self, filter)).await
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.guarded(|| coordination::acquire_lease(self, name, holder, ttl, now))
            .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<bool> {
        self.guarded(|| coordination::release_lease(self, name, holder))
            .await
    }

    async fn lease_holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        self.guarded(|| coordination::lease_holder(self, name, now))
            .await
    }

    async fn remember_event(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        self.guarded(|| coordination::remember_event(self, key, now))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_url_schemes_are_refused_with_the_accepted_ones_named() {
        for url in [
            "mysql://root:secret@localhost/bot",
            "ambassador-bot.db",
            "",
            "http://example.org/db",
        ] {
            let error = SqlStore::connect(url, 1).await.unwrap_err().to_string();
            assert!(error.contains("unsupported database URL"), "{error}");
            assert!(
                error.contains("sqlite:") && error.contains("postgres://"),
                "{error}"
            );
            assert!(!error.contains("secret"), "the password leaked: {error}");
        }
    }

    #[tokio::test]
    async fn url_schemes_are_case_insensitive() {
        let store = SqlStore::open("SQLite::memory:", 4).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        assert!(store.is_empty().await.unwrap());
    }

    #[tokio::test]
    async fn sqlite_binds_dollar_placeholders_by_number_and_repeats_them() {
        let store = SqlStore::connect("sqlite::memory:", 1).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        let Pools::Sqlite(pool) = &store.pools else {
            unreachable!()
        };
        let joined: String = sqlx::query_scalar("SELECT $2 || $1 || $2 || $1")
            .bind("a")
            .bind("b")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(joined, "baba");
        let matched: bool = sqlx::query_scalar("SELECT $1 IS NULL OR $1 = 'x'")
            .bind(None::<String>)
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(matched);
    }

    #[tokio::test]
    async fn sqlite_instants_sort_as_text_in_time_order() {
        // given_at is TEXT in SQLite: the form sqlx binds must order like the instants it encodes.
        let store = SqlStore::connect("sqlite::memory:", 1).await.unwrap();
        let Pools::Sqlite(pool) = &store.pools else {
            unreachable!()
        };
        let base = DateTime::parse_from_rfc3339("2024-05-01T09:00:00Z")
            .unwrap()
            .to_utc();
        let later = [
            base,
            base + chrono::Duration::microseconds(1),
            base + chrono::Duration::milliseconds(1),
            base + chrono::Duration::milliseconds(120),
            base + chrono::Duration::seconds(1),
        ];
        for pair in later.windows(2) {
            let before: bool = sqlx::query_scalar("SELECT $1 < $2")
                .bind(pair[0])
                .bind(pair[1])
                .fetch_one(pool)
                .await
                .unwrap();
            assert!(before, "{} < {}", pair[0], pair[1]);
        }
    }
}
