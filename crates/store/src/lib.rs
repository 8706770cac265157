//! The [`Store`](ambassador_core::Store) port of ambassador-core over sqlx: SQLite (the embedded default) and PostgreSQL.
//!
//! One body of SQL serves both back-ends. [`SqlStore`] holds either pool, and every operation is
//! written once inside `with_pool!`, which expands the same code for each pool type, so the two
//! back-ends can only differ where the code says so explicitly (the PostgreSQL advisory lock in
//! [`KudosStore::record_kudos`](ambassador_core::KudosStore::record_kudos), `FOR UPDATE SKIP
//! LOCKED` in [`OutboxStore::claim_outbox`](ambassador_core::OutboxStore::claim_outbox)). Each
//! port of a concern (people, org, roster, …) is implemented once, in the module of that concern;
//! every call goes through `SqlStore::guarded` (one retry on a lost connection, write faults
//! noted). The SQL sticks
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
mod signin;

use ambassador_core::{StorageFault, StoreError, StoreResult};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
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

#[cfg(test)]
mod tests {
    use super::*;
    use ambassador_core::OrgStore;

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
