//! The outbox: messages written with the decisions that made them (see `scheduler::commit`),
//! leased to dispatchers, and marked sent, retried or given up on.

use crate::error::{DbResultExt, corrupt};
use crate::{Backend, SqlStore, to_micros};
use ambassador_core::{
    OutboxItem, OutboxStats, OutboxStatus, OutboxStore, Outgoing, Platform, StoreError, StoreResult,
};
use chrono::{DateTime, Utc};

/// The outbox columns, in [`OutboxRow`]'s order.
macro_rules! outbox_columns {
    () => {
        "id, key, destination, message, status, attempts, next_attempt_at, last_error, \
         created_at, sent_at"
    };
}

/// The claim, up to the end of its subquery: `$1` the end of the lease, `$2`..`$4` the platform
/// slots, `$5` now, `$6` the limit.
macro_rules! claim_head {
    () => {
        "UPDATE outbox SET locked_until = $1 \
         WHERE id IN ( \
             SELECT id FROM outbox \
             WHERE status = 'pending' AND platform IN ($2, $3, $4) \
               AND next_attempt_at <= $5 \
               AND (locked_until IS NULL OR locked_until <= $5) \
             ORDER BY next_attempt_at, id \
             LIMIT $6"
    };
}

/// The platforms fill fixed slots of the claim (NULL never matches `IN`), so its statement stays
/// the same whatever the caller asks for.
const _: () = assert!(
    Platform::ALL.len() == 3,
    "a new platform needs a slot in claim_head!"
);

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    key: String,
    destination: String,
    message: String,
    status: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl OutboxRow {
    fn into_item(self) -> StoreResult<OutboxItem> {
        let id = self.id;
        let bad_json = |what: &str, e: serde_json::Error| {
            corrupt(format!(
                "the {what} of outbox item {id} is not valid JSON: {e}"
            ))
        };
        Ok(OutboxItem {
            id,
            outgoing: Outgoing {
                key: self.key,
                to: serde_json::from_str(&self.destination)
                    .map_err(|e| bad_json("destination", e))?,
                message: serde_json::from_str(&self.message).map_err(|e| bad_json("message", e))?,
            },
            status: outbox_status(&self.status)?,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| corrupt(format!("outbox attempts {}", self.attempts)))?,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error,
            created_at: self.created_at,
            sent_at: self.sent_at,
        })
    }
}

const STATUSES: [OutboxStatus; 3] = [
    OutboxStatus::Pending,
    OutboxStatus::Sent,
    OutboxStatus::Failed,
];

fn outbox_status(value: &str) -> StoreResult<OutboxStatus> {
    STATUSES
        .into_iter()
        .find(|status| status.as_str() == value)
        .ok_or_else(|| corrupt(format!("outbox status `{value}`")))
}

/// `Ok` when outbox item `id` exists, `NotFound` otherwise.
async fn exists(store: &SqlStore, id: i64) -> StoreResult<()> {
    let found: bool = with_pool!(store, |pool| {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM outbox WHERE id = $1)")
            .bind(id)
            .fetch_one(pool)
            .await
            .db()?
    });
    if found { Ok(()) } else { Err(no_item(id)) }
}

fn no_item(id: i64) -> StoreError {
    StoreError::NotFound(format!("outbox item {id}"))
}

#[derive(sqlx::FromRow)]
struct StatsRow {
    pending: i64,
    failed: i64,
    sent: i64,
    oldest_pending: Option<DateTime<Utc>>,
}

impl OutboxStore for SqlStore {
    async fn claim_outbox(
        &self,
        platforms: &[Platform],
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            if platforms.is_empty() || limit == 0 {
                return Ok(Vec::new());
            }
            let now = to_micros(now);
            let locked_until = to_micros(now.checked_add_signed(lease).unwrap_or(now));
            let slot = |i: usize| {
                let platform = Platform::ALL[i];
                platforms.contains(&platform).then_some(platform.as_str())
            };
            let mut rows: Vec<OutboxRow> = with_pool!(store, |pool, backend| {
                // PostgreSQL runs claims side by side: each locks the rows it picks and skips those
                // another claim holds, so no row goes to two claimers and none waits. SQLite runs one
                // writer at a time (the UPDATE takes the write lock before it reads), so the same
                // statement without the locking clause is already exclusive.
                let sql = match backend {
                    Backend::Postgres => concat!(
                        claim_head!(),
                        " FOR UPDATE SKIP LOCKED) RETURNING ",
                        outbox_columns!()
                    ),
                    Backend::Sqlite => concat!(claim_head!(), ") RETURNING ", outbox_columns!()),
                };
                sqlx::query_as(sql)
                    .bind(locked_until)
                    .bind(slot(0))
                    .bind(slot(1))
                    .bind(slot(2))
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await
                    .db()?
            });
            // RETURNING promises no order.
            rows.sort_unstable_by_key(|row| (row.next_attempt_at, row.id));
            rows.into_iter().map(OutboxRow::into_item).collect()
        })
        .await
    }

    async fn outbox_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Whatever its status: a message that went out was sent, even when another dispatcher had
            // given up on it meanwhile.
            //
            // PostgreSQL: the mark is committed without waiting for the WAL flush. A crash of the bot
            // loses nothing (the commit is done); only a crash of the database server within the next
            // fraction of a second could forget the latest marks and so resend those messages. Waiting
            // for the flush would cap one dispatcher at a few hundred messages a second.
            let updated = with_pool!(store, |pool, backend| {
                let mut tx = pool.begin().await.db()?;
                if backend == crate::Backend::Postgres {
                    sqlx::query("SET LOCAL synchronous_commit = off")
                        .execute(&mut *tx)
                        .await
                        .db()?;
                }
                let n = sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $2, locked_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
                crate::error::commit(tx).await.db()?;
                n
            });
            if updated == 0 {
                return Err(no_item(id));
            }
            Ok(())
        })
        .await
    }

    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
        count_attempt: bool,
    ) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            // Only a pending item goes back in line: one that another dispatcher sent (after this one's
            // lease ran out) or gave up on stays as it is.
            let updated = with_pool!(store, |pool| {
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $2, last_error = $3, \
                 attempts = attempts + CASE WHEN $4 THEN 1 ELSE 0 END, locked_until = NULL \
             WHERE id = $1 AND status = 'pending'",
                )
                .bind(id)
                .bind(to_micros(next_attempt_at))
                .bind(error)
                .bind(count_attempt)
                .execute(pool)
                .await
                .db()?
                .rows_affected()
            });
            if updated == 0 {
                return exists(store, id).await;
            }
            Ok(())
        })
        .await
    }

    async fn outbox_failed(&self, id: i64, error: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            // Only from pending, like a retry: a message another dispatcher sent stays sent.
            let updated = with_pool!(store, |pool| {
                sqlx::query(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $2, \
                 failed_at = $3, locked_until = NULL \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(error)
        .bind(to_micros(at))
        .execute(pool)
        .await
        .db()?
        .rows_affected()
            });
            if updated == 0 {
                return exists(store, id).await;
            }
            Ok(())
        })
        .await
    }

    async fn outbox_items(
        &self,
        statuses: &[OutboxStatus],
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        self.guarded(|| async move {
            let store = self;
            let slot = |i: usize| {
                statuses
                    .contains(&STATUSES[i])
                    .then_some(STATUSES[i].as_str())
            };
            let rows: Vec<OutboxRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    outbox_columns!(),
                    " FROM outbox WHERE ($1 OR status IN ($2, $3, $4)) \
              ORDER BY created_at, id LIMIT $5"
                ))
                .bind(statuses.is_empty())
                .bind(slot(0))
                .bind(slot(1))
                .bind(slot(2))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.into_iter().map(OutboxRow::into_item).collect()
        })
        .await
    }

    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        self.guarded(|| async move {
            let store = self;
            let row: StatsRow = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT COUNT(*) FILTER (WHERE status = 'pending') AS pending, \
                    COUNT(*) FILTER (WHERE status = 'failed') AS failed, \
                    COUNT(*) FILTER (WHERE status = 'sent') AS sent, \
                    MIN(created_at) FILTER (WHERE status = 'pending') AS oldest_pending \
             FROM outbox",
                )
                .fetch_one(pool)
                .await
                .db()?
            });
            let count = |n: i64| u64::try_from(n).unwrap_or(0);
            Ok(OutboxStats {
                pending: count(row.pending),
                failed: count(row.failed),
                sent: count(row.sent),
                oldest_pending: row.oldest_pending,
            })
        })
        .await
    }
}
