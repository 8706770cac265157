//! Coordination between replicas that share one database: named leases (one holder at a time,
//! taken over once it runs out) and the inbound events already seen (so a retried delivery that
//! reaches another replica is dropped there too).

use crate::error::DbResultExt;
use crate::{SqlStore, to_micros};
use ambassador_core::{CoordinationStore, StoreResult};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::atomic::Ordering;

/// How long an event key is remembered.
const EVENT_MEMORY: TimeDelta = TimeDelta::days(1);
/// Old event rows are deleted on the first new key a store sees and on every this-many-th after.
const PRUNE_EVERY: u32 = 256;

impl CoordinationStore for SqlStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let now = to_micros(now);
            let expires_at = to_micros(now.checked_add_signed(ttl).unwrap_or(now));
            // One statement: PostgreSQL's `ON CONFLICT DO UPDATE` locks the row and re-checks the
            // condition against its newest version, SQLite runs one writer at a time, so of two
            // concurrent callers only one finds the lease free.
            let taken = with_pool!(store, |pool| {
                sqlx::query(
                    "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE \
                 SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
                )
                .bind(name)
                .bind(holder)
                .bind(expires_at)
                .bind(now)
                .execute(pool)
                .await
                .db()?
                .rows_affected()
            });
            Ok(taken == 1)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<bool> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let released = with_pool!(store, |pool| {
                sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                    .bind(name)
                    .bind(holder)
                    .execute(pool)
                    .await
                    .db()?
                    .rows_affected()
            });
            Ok(released == 1)
        })
        .await
    }

    async fn lease_holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        self.guarded(|| async move {
            let store = self;
            Ok(with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT holder, expires_at FROM leases WHERE name = $1 AND expires_at > $2",
                )
                .bind(name)
                .bind(to_micros(now))
                .fetch_optional(pool)
                .await
                .db()?
            }))
        })
        .await
    }

    async fn remember_event(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        self.guarded(|| async move {
            let store = self;
            // A write outside a transaction, yet safe to run again after a lost connection (so no
            // `may_write`): in the retry, a row carrying this very instant is the first attempt's own
            // write, whose answer the lost connection swallowed, and the key still counts as new. (A
            // genuine second delivery stored in the same microsecond would count as new too; no real
            // retry or replay comes that close.)
            let own_instant = crate::error::retrying();
            let now = to_micros(now);
            let forgotten_before = to_micros(now.checked_sub_signed(EVENT_MEMORY).unwrap_or(now));
            // A key seen more than a day ago counts as new: its row is taken over, as if it had been
            // deleted already.
            let new = with_pool!(store, |pool| {
                sqlx::query(
                    "INSERT INTO seen_events (key, seen_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at \
                 WHERE seen_events.seen_at < $3 OR ($4 AND seen_events.seen_at = $2)",
                )
                .bind(key)
                .bind(now)
                .bind(forgotten_before)
                .bind(own_instant)
                .execute(pool)
                .await
                .db()?
                .rows_affected()
            }) == 1;
            if new
                && store
                    .events_remembered
                    .fetch_add(1, Ordering::Relaxed)
                    .is_multiple_of(PRUNE_EVERY)
            {
                let pruned = with_pool!(store, |pool| {
                    sqlx::query("DELETE FROM seen_events WHERE seen_at < $1")
                        .bind(forgotten_before)
                        .execute(pool)
                        .await
                        .db()?
                        .rows_affected()
                });
                tracing::debug!(pruned, "forgot old inbound event keys");
            }
            Ok(new)
        })
        .await
    }
}
