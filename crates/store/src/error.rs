//! Turning sqlx errors into the port's [`StoreError`].

use ambassador_core::{StorageFault, StoreError, StoreResult};
use sqlx::error::{DatabaseError, ErrorKind};
use std::cell::Cell;
use std::io;

/// `.db()?` on a sqlx result: the general mapping of sqlx errors to [`StoreError`].
pub(crate) trait DbResultExt<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn db(self) -> StoreResult<T> {
        self.map_err(to_store_error)
    }
}

/// Unique violations become `Conflict` (naming the constraint), a missing row `NotFound`, a full
/// disk, a read-only database, failing files or a lost connection `Storage` (see
/// [`storage_fault`]), the rest `Backend`. Operations that know better (which name collided, which
/// id is unknown) check [`is_unique_violation`] / [`is_foreign_key_violation`] first and say so in
/// their own words.
pub(crate) fn to_store_error(error: sqlx::Error) -> StoreError {
    if let Some(fault) = storage_fault(&error) {
        return StoreError::Storage {
            fault,
            source: Box::new(error),
        };
    }
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound("no matching row".to_owned()),
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
            StoreError::Conflict(match db.constraint() {
                Some(constraint) => format!("a row with the same key ({constraint})"),
                None => db.message().to_owned(),
            })
        }
        _ => StoreError::Backend(Box::new(error)),
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    kind(error) == Some(ErrorKind::UniqueViolation)
}

pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    kind(error) == Some(ErrorKind::ForeignKeyViolation)
}

fn kind(error: &sqlx::Error) -> Option<ErrorKind> {
    match error {
        sqlx::Error::Database(db) => Some(db.kind()),
        _ => None,
    }
}

/// A value in the database the domain cannot represent (e.g. an unknown platform name).
pub(crate) fn corrupt(what: String) -> StoreError {
    StoreError::Backend(format!("unexpected data in the database: {what}").into())
}

// SQLite's primary result codes (the low byte of an extended code) that are storage faults.
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;

/// What kind of storage fault `error` is, if it is one: SQLite's `SQLITE_FULL`, `SQLITE_READONLY`,
/// `SQLITE_IOERR`/`SQLITE_CANTOPEN`; PostgreSQL's `disk_full` (53100), `read_only_sql_transaction`
/// (25006), `io_error` (58030), its connection exceptions (08xxx), shut-downs (57P0x) and
/// exhausted resources (53xxx); a connection that broke, and a pool that cannot hand one out.
pub(crate) fn storage_fault(error: &sqlx::Error) -> Option<StorageFault> {
    match error {
        sqlx::Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                let code = sqlite.code()?.parse::<i64>().ok()?;
                match code & 0xff {
                    SQLITE_FULL => Some(StorageFault::DiskFull),
                    SQLITE_READONLY => Some(StorageFault::ReadOnly),
                    SQLITE_IOERR | SQLITE_CANTOPEN => Some(StorageFault::Io),
                    _ => None,
                }
            } else {
                let code = db.code()?;
                match code.as_ref() {
                    "53100" => Some(StorageFault::DiskFull),
                    "25006" => Some(StorageFault::ReadOnly),
                    "58030" => Some(StorageFault::Io),
                    c if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => {
                        Some(StorageFault::Unavailable)
                    }
                    _ => None,
                }
            }
        }
        sqlx::Error::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<CommitLost>()) => {
            Some(StorageFault::Unavailable)
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(StorageFault::Unavailable),
        _ => None,
    }
}

/// True when `error` says the connection to the server is gone (it hung up, was terminated or
/// shut down): a statement that got this error did not complete, and PostgreSQL rolled back
/// whatever its transaction had done, so the work can be done again on a new connection unless it
/// may already have been committed (see [`may_write`] and [`commit`]).
pub(crate) fn is_connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(e) => {
            !e.get_ref().is_some_and(|inner| inner.is::<CommitLost>())
                && matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                        | io::ErrorKind::UnexpectedEof
                        | io::ErrorKind::NotConnected
                )
        }
        sqlx::Error::Database(db)
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some() =>
        {
            // admin_shutdown, crash_shutdown, connection_failure, connection_does_not_exist,
            // connection_exception.
            matches!(
                db.code().as_deref(),
                Some("57P01" | "57P02" | "08006" | "08003" | "08000")
            )
        }
        _ => false,
    }
}

/// A connection lost while committing: whether the transaction was committed is unknown, so the
/// work must not be done again.
#[derive(Debug, thiserror::Error)]
#[error(
    "the connection to the database was lost while committing, so whether the change was saved is \
     unknown: {0}"
)]
pub(crate) struct CommitLost(#[source] sqlx::Error);

tokio::task_local! {
    /// Whether the store operation running in this task may already have changed the database.
    static MAY_HAVE_WRITTEN: Cell<bool>;
}

/// Marks the running store operation as one that may have changed the database from here on (a
/// statement outside a transaction that writes is about to run): a lost connection after this
/// point is not retried, since the write may have been made.
pub(crate) fn may_write() {
    let _ = MAY_HAVE_WRITTEN.try_with(|w| w.set(true));
}

/// `tx.commit()`, marking the operation as one that may have written (see [`may_write`]); a lost
/// connection while committing is reported as such (a storage fault that is never retried).
pub(crate) async fn commit<DB: sqlx::Database>(
    tx: sqlx::Transaction<'_, DB>,
) -> Result<(), sqlx::Error> {
    may_write();
    tx.commit().await.map_err(|e| {
        if is_connection_lost(&e) {
            sqlx::Error::Io(io::Error::other(CommitLost(e)))
        } else {
            e
        }
    })
}

tokio::task_local! {
    /// Whether the store operation running in this task is the one retry after a lost connection.
    static RETRYING: bool;
}

/// True inside the retry of a store operation whose first attempt lost its connection: an
/// operation that writes outside a transaction without calling [`may_write`] uses it to recognise
/// its own first write, whose answer the lost connection swallowed.
pub(crate) fn retrying() -> bool {
    RETRYING.try_with(|r| *r).unwrap_or(false)
}

/// How one attempt of a store operation went: its result, and whether it may have written.
pub(crate) async fn attempt<T>(
    op: impl std::future::Future<Output = StoreResult<T>>,
    retry: bool,
) -> (StoreResult<T>, bool) {
    RETRYING
        .scope(
            retry,
            MAY_HAVE_WRITTEN.scope(Cell::new(false), async {
                let result = op.await;
                (result, MAY_HAVE_WRITTEN.with(Cell::get))
            }),
        )
        .await
}

/// True when `error` is a lost connection (see [`is_connection_lost`]) reported by the store.
pub(crate) fn is_lost_connection(error: &StoreError) -> bool {
    match error {
        StoreError::Storage { source, .. } => source
            .downcast_ref::<sqlx::Error>()
            .is_some_and(is_connection_lost),
        _ => false,
    }
}

// A write outside a transaction that returns rows (`RETURNING`) is read with `fetch_all`, never
// `fetch_one`/`fetch_optional`: those stop SQLite's statement at its first row, and the commit
// that ends the statement (and fails on a full disk or a read-only file) then goes unreported,
// so a row that was never saved would be handed back as saved.

/// The first of the rows a write returned (see above); `RowNotFound` when there is none.
pub(crate) fn only_row<T>(rows: Vec<T>) -> Result<T, sqlx::Error> {
    rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)
}

/// The first of the rows a write returned, if any (see above).
pub(crate) fn first_row<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}
