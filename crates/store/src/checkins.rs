//! Check-ins: one row per ambassador and round, opened by the scheduler (see `effects`), answered
//! in chat, read by the program office.

use crate::error::DbResultExt;
use crate::rows::{AmbassadorRow, CheckinRow, ambassador_columns, checkin_columns};
use crate::{SqlStore, to_micros};
use ambassador_core::{
    Checkin, CheckinEntry, CheckinFilter, CheckinStatus, CheckinStore, PersonId, RoundId,
    StoreError, StoreResult,
};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

/// The answer after a write: `$3` replace, `$4` the text, `$5` the text after a newline. Appending
/// to an empty answer gives the text alone; appending nothing leaves the answer as it is.
macro_rules! new_answer {
    () => {
        "(CASE WHEN $3 OR answer = '' THEN $4 WHEN $4 = '' THEN answer ELSE answer || $5 END)"
    };
}

fn no_checkin(round: RoundId, person: PersonId) -> StoreError {
    StoreError::NotFound(format!("check-in of person {person} in round {round}"))
}

#[derive(sqlx::FromRow)]
struct CheckinEntryRow {
    #[sqlx(flatten)]
    checkin: CheckinRow,
    #[sqlx(flatten)]
    ambassador: AmbassadorRow,
}

/// The check-in statuses, in the order of the `$6`..`$10` slots of [`checkins`]' query.
const STATUSES: [CheckinStatus; 5] = [
    CheckinStatus::Open,
    CheckinStatus::Answered,
    CheckinStatus::Skipped,
    CheckinStatus::Missed,
    CheckinStatus::Paused,
];

impl CheckinStore for SqlStore {
    async fn pause_open_checkins(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<RoundId>> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let mut rounds: Vec<RoundId> = with_pool!(store, |pool| {
                sqlx::query_scalar(
                    "UPDATE checkins SET status = 'paused' \
             WHERE person_id = $1 AND status = 'open' AND closes_at > $2 RETURNING round",
                )
                .bind(person)
                .bind(to_micros(now))
                .fetch_all(pool)
                .await
                .db()?
            });
            rounds.sort_unstable();
            Ok(rounds)
        })
        .await
    }

    async fn current_checkin(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Checkin>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<CheckinRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    checkin_columns!(),
                    " FROM checkins \
              WHERE person_id = $1 AND closes_at > $2 \
                AND status IN ('open', 'answered', 'skipped') \
              ORDER BY round DESC LIMIT 1"
                ))
                .bind(person)
                .bind(to_micros(now))
                .fetch_optional(pool)
                .await
                .db()?
            });
            row.map(CheckinRow::into_checkin).transpose()
        })
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
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let after_newline = format!("\n{text}");
            // One statement (every SET expression sees the row as it was), so two messages answering at
            // once both land: each appends to what the other wrote.
            let row: Option<CheckinRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "UPDATE checkins SET answer = ",
                    new_answer!(),
                    ", status = CASE WHEN ",
                    new_answer!(),
                    " <> '' THEN 'answered' ELSE status END, \
               answered_at = CASE WHEN answered_at IS NULL AND ",
                    new_answer!(),
                    " <> '' THEN $6 ELSE answered_at END \
             WHERE round = $1 AND person_id = $2 RETURNING ",
                    checkin_columns!()
                ))
                .bind(round)
                .bind(person)
                .bind(replace)
                .bind(text)
                .bind(&after_newline)
                .bind(to_micros(at))
                .fetch_all(pool)
                .await
                .map(crate::error::first_row)
                .db()?
            });
            row.ok_or_else(|| no_checkin(round, person))?.into_checkin()
        })
        .await
    }

    async fn set_checkin_status(
        &self,
        round: RoundId,
        person: PersonId,
        status: CheckinStatus,
    ) -> StoreResult<Checkin> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let row: Option<CheckinRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
            "UPDATE checkins SET status = $3 WHERE round = $1 AND person_id = $2 RETURNING ",
            checkin_columns!()
        ))
        .bind(round)
        .bind(person)
        .bind(status.as_str())
        .fetch_all(pool)
        .await
        .map(crate::error::first_row)
        .db()?
            });
            row.ok_or_else(|| no_checkin(round, person))?.into_checkin()
        })
        .await
    }

    async fn checkins(&self, filter: &CheckinFilter) -> StoreResult<Vec<CheckinEntry>> {
        self.guarded(|| async move {
            let store = self;
            // The wanted statuses fill fixed slots (NULL never matches `IN`), so the statement stays the
            // same whatever the filter.
            let slot = |status: CheckinStatus| {
                filter.statuses.contains(&status).then_some(status.as_str())
            };
            let mut rows: Vec<CheckinEntryRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
            "SELECT ",
            ambassador_columns!(),
            ", c.round, c.status AS checkin_status, c.prompted_at, c.closes_at, c.reminded_at, \
               c.answer, c.answered_at, c.flagged \
             FROM checkins c \
             JOIN ambassadors a ON a.person_id = c.person_id \
             JOIN people p ON p.id = c.person_id \
             JOIN departments d ON d.id = a.department_id \
             WHERE ($1 IS NULL OR c.round >= $1) \
               AND ($2 IS NULL OR c.round <= $2) \
               AND ($3 IS NULL OR c.person_id = $3) \
               AND (NOT $4 OR c.answer <> '') \
               AND ($5 OR c.status IN ($6, $7, $8, $9, $10))"
        ))
        .bind(filter.from_round)
        .bind(filter.to_round)
        .bind(filter.person)
        .bind(filter.answered_only)
        .bind(filter.statuses.is_empty())
        .bind(slot(STATUSES[0]))
        .bind(slot(STATUSES[1]))
        .bind(slot(STATUSES[2]))
        .bind(slot(STATUSES[3]))
        .bind(slot(STATUSES[4]))
        .fetch_all(pool)
        .await
        .db()?
            });
            rows.sort_by_cached_key(|row| (Reverse(row.checkin.round), row.ambassador.order_key()));
            rows.into_iter()
                .map(|row| {
                    Ok(CheckinEntry {
                        checkin: row.checkin.into_checkin()?,
                        ambassador: row.ambassador.into_ambassador()?,
                    })
                })
                .collect()
        })
        .await
    }
}
