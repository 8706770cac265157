//! The scheduler's state: claimed occurrences (`job_runs`), cursors, digest snapshots, and the
//! effects a decision writes (outbox rows, check-in changes, announcements, requests listed) in
//! the same transaction as its claim.

use crate::error::{DbResultExt, corrupt, is_foreign_key_violation, to_store_error};
use crate::{SqlStore, to_micros};
use ambassador_core::{
    DigestSnapshot, Effects, JobRun, JobRunStatus, Outgoing, PersonId, RoundId, SchedulerStore,
    StoreError, StoreResult,
};
use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Pool, QueryBuilder, Type};

/// Parameters per multi-row statement: under SQLite's 32,766 and PostgreSQL's 65,535. Statements
/// are few and big rather than many and small: 20,000 outbox rows (6 parameters each) take 4
/// statements. Each round trip counts: sqlx 0.9.0 leaves Nagle's algorithm on, so over TLS a
/// statement too big for one TLS record can wait ~40 ms for a delayed ACK (sqlx issue #4335).
const PARAMETERS_PER_STATEMENT: usize = 30_000;

/// Rows per statement for rows of `parameters` parameters each.
pub(crate) const fn rows_per_statement(parameters: usize) -> usize {
    PARAMETERS_PER_STATEMENT / parameters
}

/// An empty query builder for the pool's database (the pool only names the type). Its statements
/// are not kept prepared (`persistent(false)` when built): each chunk length is a new statement,
/// and a prepared multi-row statement holds thousands of parameters on every connection.
pub(crate) fn builder<DB: Database>(_pool: &Pool<DB>, sql: &str) -> QueryBuilder<DB> {
    QueryBuilder::new(sql)
}

/// Appends `(round, person_id) IN (VALUES (…), …)` for `pairs`.
fn push_checkin_keys<DB>(query: &mut QueryBuilder<DB>, pairs: &[(RoundId, PersonId)])
where
    DB: Database,
    for<'a> RoundId: Encode<'a, DB> + Type<DB>,
    for<'a> PersonId: Encode<'a, DB> + Type<DB>,
{
    query.push("(round, person_id) IN (");
    query.push_values(pairs, |mut tuple, (round, person)| {
        tuple.push_bind(*round).push_bind(*person);
    });
    query.push(")");
}

/// An outbox row ready to insert.
pub(crate) struct OutboxInsert<'a> {
    pub(crate) key: &'a str,
    pub(crate) platform: &'static str,
    pub(crate) destination: String,
    pub(crate) message: String,
}

/// The rows of these messages, ready to insert (their destination and message as JSON).
pub(crate) fn outbox_rows(items: &[Outgoing]) -> StoreResult<Vec<OutboxInsert<'_>>> {
    items
        .iter()
        .map(|outgoing| {
            let json = |value: Result<String, serde_json::Error>| {
                value.map_err(|e| {
                    StoreError::Backend(
                        format!("cannot write outbox item `{}` as JSON: {e}", outgoing.key).into(),
                    )
                })
            };
            Ok(OutboxInsert {
                key: &outgoing.key,
                platform: outgoing.to.platform().as_str(),
                destination: json(serde_json::to_string(&outgoing.to))?,
                message: json(serde_json::to_string(&outgoing.message))?,
            })
        })
        .collect()
}

/// Inserts outbox rows (from [`outbox_rows`]) as pending in the open transaction `$tx`, so a
/// decision and the messages it makes commit together; a key already queued is left as it is.
macro_rules! queue_outbox {
    ($pool:expr, $tx:ident, $rows:expr, $at:expr) => {
        for chunk in $rows.chunks($crate::scheduler::rows_per_statement(6)) {
            let mut insert = $crate::scheduler::builder(
                $pool,
                "INSERT INTO outbox (key, platform, destination, message, status, attempts, \
                     next_attempt_at, created_at) ",
            );
            insert.push_values(chunk, |mut row, item| {
                row.push_bind(item.key)
                    .push_bind(item.platform)
                    .push_bind(&item.destination)
                    .push_bind(&item.message)
                    .push("'pending'")
                    .push("0")
                    .push_bind($at)
                    .push_bind($at);
            });
            insert.push(" ON CONFLICT (key) DO NOTHING");
            insert.build().persistent(false).execute(&mut *$tx).await?;
        }
    };
}
pub(crate) use queue_outbox;

/// Claims `(job, occurrence)` when `claim` is given (`Ok(false)`, writing nothing, when it was
/// claimed already), then applies `effects`, all in one transaction.
pub(crate) async fn commit(
    store: &SqlStore,
    claim: Option<(&str, DateTime<Utc>)>,
    effects: &Effects,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    if claim.is_none() && effects.is_empty() {
        return Ok(true);
    }
    let at = to_micros(at);
    let claim = claim.map(|(job, occurrence)| (job, to_micros(occurrence)));
    let outbox = outbox_rows(&effects.outbox)?;
    let open_checkins: Vec<_> = effects
        .open_checkins
        .iter()
        .map(|c| {
            (
                c.round,
                c.person,
                to_micros(c.prompted_at),
                to_micros(c.closes_at),
            )
        })
        .collect();
    let mut recipients: Vec<PersonId> = effects
        .announcement
        .as_ref()
        .map(|a| a.recipients.clone())
        .unwrap_or_default();
    recipients.sort_unstable();
    recipients.dedup();

    let outcome: Result<bool, sqlx::Error> = with_pool!(store, |pool| {
        async {
            // The first statement writes, so SQLite takes its write lock at once (no upgrade from
            // a read that another writer could invalidate); on PostgreSQL the insert of a key that
            // another transaction holds uncommitted waits for it, then conflicts.
            let mut tx = pool.begin().await?;
            if let Some((job, occurrence)) = claim {
                let claimed = sqlx::query(
                    "INSERT INTO job_runs (job, occurrence, status, ran_at) \
                     VALUES ($1, $2, 'done', $3) ON CONFLICT (job, occurrence) DO NOTHING",
                )
                .bind(job)
                .bind(occurrence)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }

            queue_outbox!(pool, tx, outbox, at);

            for chunk in open_checkins.chunks(rows_per_statement(4)) {
                let mut insert = builder(
                    pool,
                    "INSERT INTO checkins (round, person_id, status, prompted_at, closes_at) ",
                );
                insert.push_values(chunk, |mut row, (round, person, prompted_at, closes_at)| {
                    row.push_bind(*round)
                        .push_bind(*person)
                        .push("'open'")
                        .push_bind(*prompted_at)
                        .push_bind(*closes_at);
                });
                insert.push(" ON CONFLICT (round, person_id) DO NOTHING");
                insert.build().persistent(false).execute(&mut *tx).await?;
            }

            for chunk in effects.reminded.chunks(rows_per_statement(2)) {
                let mut update = builder(pool, "UPDATE checkins SET reminded_at = ");
                update.push_bind(at).push(" WHERE ");
                push_checkin_keys(&mut update, chunk);
                update.build().persistent(false).execute(&mut *tx).await?;
            }
            for chunk in effects.missed.chunks(rows_per_statement(2)) {
                let mut update = builder(
                    pool,
                    "UPDATE checkins SET status = 'missed' WHERE status = 'open' AND ",
                );
                push_checkin_keys(&mut update, chunk);
                update.build().persistent(false).execute(&mut *tx).await?;
            }
            for chunk in effects.flagged.chunks(rows_per_statement(2)) {
                let mut update = builder(pool, "UPDATE checkins SET flagged = TRUE WHERE ");
                push_checkin_keys(&mut update, chunk);
                update.build().persistent(false).execute(&mut *tx).await?;
            }

            if let Some(announcement) = &effects.announcement {
                // One with the same key exists already: it stays as it is, recipients included.
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO announcements (key, author_id, text, audience, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING id",
                )
                .bind(&announcement.key)
                .bind(announcement.author)
                .bind(&announcement.text)
                .bind(&announcement.audience)
                .bind(to_micros(announcement.created_at))
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = id {
                    for chunk in recipients.chunks(rows_per_statement(2)) {
                        let mut insert = builder(
                            pool,
                            "INSERT INTO announcement_recipients (announcement_id, person_id) ",
                        );
                        insert.push_values(chunk, |mut row, person| {
                            row.push_bind(id).push_bind(*person);
                        });
                        insert.push(" ON CONFLICT (announcement_id, person_id) DO NOTHING");
                        insert.build().persistent(false).execute(&mut *tx).await?;
                    }
                }
            }
            for chunk in effects.announcement_reminded.chunks(rows_per_statement(2)) {
                let mut update = builder(pool, "UPDATE announcement_recipients SET reminded_at = ");
                update
                    .push_bind(at)
                    .push(" WHERE (announcement_id, person_id) IN (");
                update.push_values(chunk, |mut tuple, (announcement, person)| {
                    tuple.push_bind(*announcement).push_bind(*person);
                });
                update.push(")");
                update.build().persistent(false).execute(&mut *tx).await?;
            }

            for chunk in effects.renewal_asks.chunks(rows_per_statement(3)) {
                let mut insert = builder(
                    pool,
                    "INSERT INTO renewal_asks (person_id, anniversary, asked_at) ",
                );
                insert.push_values(chunk, |mut row, (person, anniversary)| {
                    row.push_bind(*person).push_bind(*anniversary).push_bind(at);
                });
                insert.push(" ON CONFLICT (person_id, anniversary) DO NOTHING");
                insert.build().persistent(false).execute(&mut *tx).await?;
            }

            for chunk in effects.requests_listed.chunks(rows_per_statement(1)) {
                // Listed once: a request listed before keeps its first instant.
                let mut update = builder(pool, "UPDATE requests SET overdue_listed_at = ");
                update
                    .push_bind(at)
                    .push(" WHERE overdue_listed_at IS NULL AND id IN (");
                let mut ids = update.separated(", ");
                for id in chunk {
                    ids.push_bind(*id);
                }
                ids.push_unseparated(")");
                update.build().persistent(false).execute(&mut *tx).await?;
            }

            if let Some(snapshot) = &effects.digest_snapshot {
                sqlx::query(
                    "INSERT INTO digest_snapshots \
                         (occurrence, departments_covered, departments_total) \
                     VALUES ($1, $2, $3) ON CONFLICT (occurrence) DO NOTHING",
                )
                .bind(to_micros(snapshot.occurrence))
                .bind(i64::from(snapshot.departments_covered))
                .bind(i64::from(snapshot.departments_total))
                .execute(&mut *tx)
                .await?;
            }

            crate::error::commit(tx).await?;
            Ok(true)
        }
        .await
    });
    match outcome {
        Ok(done) => Ok(done),
        Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound(
            "a person of a check-in to open, an announcement or a renewal ask".to_owned(),
        )),
        Err(e) => Err(to_store_error(e)),
    }
}

#[derive(sqlx::FromRow)]
struct JobRunRow {
    job: String,
    occurrence: DateTime<Utc>,
    status: String,
    ran_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    occurrence: DateTime<Utc>,
    departments_covered: i64,
    departments_total: i64,
}

impl SchedulerStore for SqlStore {
    async fn commit_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
        effects: &Effects,
    ) -> StoreResult<bool> {
        self.guarded(|| commit(self, Some((job, occurrence)), effects, at))
            .await
    }

    async fn skip_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let inserted = with_pool!(store, |pool| {
                sqlx::query(
                    "INSERT INTO job_runs (job, occurrence, status, ran_at) \
             VALUES ($1, $2, 'skipped', $3) ON CONFLICT (job, occurrence) DO NOTHING",
                )
                .bind(job)
                .bind(to_micros(occurrence))
                .bind(to_micros(at))
                .execute(pool)
                .await
                .db()?
                .rows_affected()
            });
            Ok(inserted == 1)
        })
        .await
    }

    async fn job_runs(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<JobRun>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<JobRunRow> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT job, occurrence, status, ran_at FROM job_runs \
             WHERE occurrence >= $1 AND occurrence < $2",
                )
                .bind(to_micros(from))
                .bind(to_micros(to))
                .fetch_all(pool)
                .await
                .db()?
            });
            // Ordered here: job names compare by bytes, not by the database's collation.
            rows.sort_unstable_by(|a, b| (a.occurrence, &a.job).cmp(&(b.occurrence, &b.job)));
            rows.into_iter()
                .map(|row| {
                    Ok(JobRun {
                        status: match row.status.as_str() {
                            "done" => JobRunStatus::Done,
                            "skipped" => JobRunStatus::Skipped,
                            other => return Err(corrupt(format!("job run status `{other}`"))),
                        },
                        job: row.job,
                        occurrence: row.occurrence,
                        ran_at: row.ran_at,
                    })
                })
                .collect()
        })
        .await
    }

    async fn scheduler_cursor(&self, job: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.guarded(|| async move {
            let store = self;
            Ok(with_pool!(store, |pool| {
                sqlx::query_scalar("SELECT checked_until FROM scheduler_cursors WHERE job = $1")
                    .bind(job)
                    .fetch_optional(pool)
                    .await
                    .db()?
            }))
        })
        .await
    }

    async fn advance_scheduler_cursor(&self, job: &str, until: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            with_pool!(store, |pool| {
                sqlx::query(
                    "INSERT INTO scheduler_cursors (job, checked_until) VALUES ($1, $2) \
             ON CONFLICT (job) DO UPDATE SET checked_until = excluded.checked_until \
             WHERE excluded.checked_until > scheduler_cursors.checked_until",
                )
                .bind(job)
                .bind(to_micros(until))
                .execute(pool)
                .await
                .db()?;
            });
            Ok(())
        })
        .await
    }

    async fn apply(&self, effects: &Effects, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| commit(self, None, effects, at))
            .await
            .map(drop)
    }

    async fn last_digest_snapshot(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<Option<DigestSnapshot>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<SnapshotRow> = with_pool!(store, |pool| {
                sqlx::query_as(
            "SELECT occurrence, departments_covered, departments_total FROM digest_snapshots \
             WHERE occurrence < $1 ORDER BY occurrence DESC LIMIT 1",
        )
        .bind(to_micros(before))
        .fetch_optional(pool)
        .await
        .db()?
            });
            row.map(|row| {
                let count =
                    |n: i64| u32::try_from(n).map_err(|_| corrupt(format!("department count {n}")));
                Ok(DigestSnapshot {
                    occurrence: row.occurrence,
                    departments_covered: count(row.departments_covered)?,
                    departments_total: count(row.departments_total)?,
                })
            })
            .transpose()
        })
        .await
    }
}
