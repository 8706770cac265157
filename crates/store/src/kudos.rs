//! Kudos: recorded under a daily limit per giver, read back by time range.

use crate::error::{DbResultExt, is_foreign_key_violation, to_store_error};
use crate::rows::{by_display_name, person_ref};
use crate::{Backend, SqlStore, to_micros};
use ambassador_core::{Kudos, KudosOutcome, NewKudos, PersonRef, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The first key of the PostgreSQL advisory locks that serialize one giver's kudos ("kudo"). The
/// two-key lock space is separate from the one-`bigint` space other code (sqlx's migrator)
/// uses, so these locks never wait on theirs.
const KUDOS_LOCK_CLASS: i32 = 0x6B75_646F;

pub(crate) async fn record_kudos(
    store: &SqlStore,
    kudos: &NewKudos,
    daily_limit: u32,
    day_start: DateTime<Utc>,
) -> StoreResult<KudosOutcome> {
    let given_at = to_micros(kudos.given_at);
    let day_start = to_micros(day_start);
    let tags = kudos.tags.join(" ");
    let mut receivers = kudos.receivers.clone();
    receivers.sort_unstable();
    receivers.dedup();

    let outcome: Result<KudosOutcome, sqlx::Error> = with_pool!(store, |pool, backend| {
        async {
            let mut tx = pool.begin().await?;
            if backend == Backend::Postgres {
                // SQLite serializes writers by itself; PostgreSQL needs one giver's calls in line.
                sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                    .bind(KUDOS_LOCK_CLASS)
                    // Folding the id into 32 bits may make two givers share a lock; harmless.
                    .bind(kudos.giver as i32)
                    .execute(&mut *tx)
                    .await?;
            }
            // Insert first, then count (this one included): on SQLite the insert takes the write
            // lock, so the count sees every committed kudos of the giver.
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO kudos (giver_id, reason, tags, room, given_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(kudos.giver)
            .bind(&kudos.reason)
            .bind(&tags)
            .bind(&kudos.room)
            .bind(given_at)
            .fetch_one(&mut *tx)
            .await?;
            let given: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM kudos WHERE giver_id = $1 AND given_at >= $2",
            )
            .bind(kudos.giver)
            .bind(day_start)
            .fetch_one(&mut *tx)
            .await?;
            let given = u32::try_from(given).unwrap_or(u32::MAX);
            if given > daily_limit {
                tx.rollback().await?;
                return Ok(KudosOutcome::LimitReached {
                    given_today: given - 1,
                });
            }
            for receiver in &receivers {
                sqlx::query("INSERT INTO kudos_receivers (kudos_id, person_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(receiver)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(KudosOutcome::Recorded {
                id,
                given_today: given,
            })
        }
        .await
    });
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound(format!(
            "person among giver {} and receivers {:?}",
            kudos.giver, kudos.receivers
        ))),
        Err(e) => Err(to_store_error(e)),
    }
}

#[derive(sqlx::FromRow)]
struct KudosRow {
    id: i64,
    reason: String,
    tags: String,
    room: String,
    given_at: DateTime<Utc>,
    platform: String,
    external_id: String,
    display_name: String,
}

#[derive(sqlx::FromRow)]
struct ReceiverRow {
    kudos_id: i64,
    platform: String,
    external_id: String,
    display_name: String,
}

pub(crate) async fn kudos_between(
    store: &SqlStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<Kudos>> {
    let (from, to) = (to_micros(from), to_micros(to));
    let (kudos, receivers): (Vec<KudosRow>, Vec<ReceiverRow>) = with_pool!(store, |pool| {
        async {
            let kudos = sqlx::query_as(
                "SELECT k.id, k.reason, k.tags, k.room, k.given_at, \
                        p.platform, p.external_id, p.display_name \
                 FROM kudos k JOIN people p ON p.id = k.giver_id \
                 WHERE k.given_at >= $1 AND k.given_at < $2 \
                 ORDER BY k.given_at, k.id",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            // Kudos and their receivers are committed together, so every kudos read above finds
            // its receivers here; receivers of kudos committed in between are ignored below.
            let receivers = sqlx::query_as(
                "SELECT r.kudos_id, p.platform, p.external_id, p.display_name \
                 FROM kudos k \
                 JOIN kudos_receivers r ON r.kudos_id = k.id \
                 JOIN people p ON p.id = r.person_id \
                 WHERE k.given_at >= $1 AND k.given_at < $2",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            Ok::<_, sqlx::Error>((kudos, receivers))
        }
        .await
        .db()?
    });

    let mut by_kudos: HashMap<i64, Vec<PersonRef>> = HashMap::with_capacity(kudos.len());
    for row in receivers {
        by_kudos.entry(row.kudos_id).or_default().push(person_ref(
            &row.platform,
            row.external_id,
            row.display_name,
        )?);
    }
    kudos
        .into_iter()
        .map(|row| {
            let mut receivers = by_kudos.remove(&row.id).unwrap_or_default();
            receivers.sort_by(by_display_name);
            Ok(Kudos {
                id: row.id,
                giver: person_ref(&row.platform, row.external_id, row.display_name)?,
                receivers,
                reason: row.reason,
                tags: row.tags.split_whitespace().map(str::to_owned).collect(),
                given_at: row.given_at,
                room: row.room,
            })
        })
        .collect()
}
