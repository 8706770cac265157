//! Check-ins: one row per ambassador and round, opened by the scheduler (see `effects`), answered
//! in chat, read by the program office.

use crate::error::DbResultExt;
use crate::rows::{AmbassadorRow, CheckinRow, ambassador_columns, checkin_columns};
use crate::{Backend, SqlStore, to_micros};
use ambassador_core::{
    Checkin, CheckinCounts, CheckinEntry, CheckinFilter, CheckinStatus, CheckinStore, PersonId,
    RoundFigures, RoundId, StoreError, StoreResult, name_key,
};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::BTreeMap;

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

    async fn round_figures(
        &self,
        from_round: RoundId,
        region: Option<&str>,
    ) -> StoreResult<Vec<RoundFigures>> {
        self.guarded(|| async move {
            let store = self;
            let region_key = region.map(name_key);
            let (rows, medians) = with_pool!(store, |pool, backend| {
                async {
                    // The tallies the database keeps as check-ins, ambassadors and departments are
                    // written (migration 0013); a region's least spelling is compared byte by byte on
                    // both databases.
                    let c = match backend {
                        Backend::Sqlite => "",
                        Backend::Postgres => " COLLATE \"C\"",
                    };
                    let counts = format!(
                        "SELECT t.round, t.region_key, MIN(t.region{c}) AS region, \
                                SUM(t.n) AS prompted, \
                                SUM(CASE WHEN t.status = 'answered' THEN t.n ELSE 0 END) AS answered, \
                                SUM(CASE WHEN t.status = 'skipped' THEN t.n ELSE 0 END) AS skipped, \
                                SUM(CASE WHEN t.status = 'paused' THEN t.n ELSE 0 END) AS paused, \
                                SUM(CASE WHEN t.timed THEN t.n ELSE 0 END) AS timed, \
                                MAX(t.closes_at) AS last_closes_at \
                         FROM checkin_tallies t \
                         WHERE t.n > 0 AND t.round >= $1 AND ($2 IS NULL OR t.region_key = $2) \
                         GROUP BY t.region_key, t.round"
                    );
                    let rows: Vec<RoundCountRow> =
                        sqlx::query_as(sqlx::AssertSqlSafe(counts.as_str()))
                            .bind(from_round)
                            .bind(&region_key)
                            .fetch_all(pool)
                            .await?;
                    // The median time to answer of each round (of an even number, the later of
                    // the two middle ones). PostgreSQL picks it with `percentile_disc` (the first
                    // of the ordered times at or past the fraction: just over a half picks
                    // position n/2 + 1 for any n under 500 million); SQLite has no such function
                    // and reads each round's middle answer off an index of the times to answer.
                    let answered = "FROM checkins c \
                         JOIN ambassadors a ON a.person_id = c.person_id \
                         JOIN departments d ON d.id = a.department_id \
                         WHERE c.status = 'answered' AND c.answered_at IS NOT NULL \
                           AND ($2 IS NULL OR d.region_key = $2)";
                    let mut medians = BTreeMap::new();
                    if backend == Backend::Postgres {
                        let rows: Vec<(RoundId, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "SELECT c.round, CAST(EXTRACT(EPOCH FROM percentile_disc(0.500000001) \
                                 WITHIN GROUP (ORDER BY c.answered_at - c.prompted_at)) * 1000000 \
                                 AS BIGINT) \
                             {answered} AND c.round >= $1 GROUP BY c.round"
                        )))
                        .bind(from_round)
                        .bind(&region_key)
                        .fetch_all(pool)
                        .await?;
                        for (round, micros) in rows {
                            medians.insert(round, chrono::Duration::microseconds(micros));
                        }
                    } else {
                        let statement = format!(
                            "SELECT c.prompted_at, c.answered_at {answered} AND c.round = $1 \
                             ORDER BY julianday(c.answered_at) - julianday(c.prompted_at) \
                             LIMIT 1 OFFSET $3"
                        );
                        let mut timed: BTreeMap<RoundId, i64> = BTreeMap::new();
                        for row in &rows {
                            *timed.entry(row.round).or_default() += row.timed;
                        }
                        for (round, n) in timed.into_iter().filter(|(_, n)| *n > 0) {
                            let middle: Option<(DateTime<Utc>, DateTime<Utc>)> =
                                sqlx::query_as(sqlx::AssertSqlSafe(statement.as_str()))
                                    .bind(round)
                                    .bind(&region_key)
                                    .bind(n / 2)
                                    .fetch_optional(pool)
                                    .await?;
                            if let Some((prompted, answered)) = middle {
                                medians.insert(round, answered - prompted);
                            }
                        }
                    }
                    Ok::<_, sqlx::Error>((rows, medians))
                }
                .await
                .db()?
            });
            let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
            let mut figures: Vec<RoundFigures> = Vec::new();
            let mut keyed: Vec<(RoundId, String, RoundFigures)> = rows
                .into_iter()
                .map(|r| {
                    let f = RoundFigures {
                        round: r.round,
                        region: Some(r.region),
                        counts: CheckinCounts {
                            prompted: count(r.prompted),
                            answered: count(r.answered),
                            skipped: count(r.skipped),
                            paused: count(r.paused),
                        },
                        last_closes_at: r.last_closes_at,
                        median_to_answer: None,
                    };
                    (r.round, r.region_key, f)
                })
                .collect();
            keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            // Within a round the whole scope's row comes first, then its regions.
            let mut whole_at = 0;
            for (round, _, f) in keyed {
                if figures.last().is_none_or(|last| last.round != round) {
                    whole_at = figures.len();
                    figures.push(RoundFigures {
                        region: None,
                        counts: CheckinCounts::default(),
                        median_to_answer: medians.get(&round).copied(),
                        ..f.clone()
                    });
                }
                let whole = &mut figures[whole_at];
                whole.counts.add_all(f.counts);
                whole.last_closes_at = whole.last_closes_at.max(f.last_closes_at);
                figures.push(f);
            }
            Ok(figures)
        })
        .await
    }
}

#[derive(sqlx::FromRow)]
struct RoundCountRow {
    round: RoundId,
    region_key: String,
    region: String,
    prompted: i64,
    answered: i64,
    skipped: i64,
    paused: i64,
    timed: i64,
    last_closes_at: DateTime<Utc>,
}
