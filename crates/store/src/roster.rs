//! The roster (who is ambassador for which department) and the coverage report.

use crate::error::{DbResultExt, is_foreign_key_violation, to_store_error};
use crate::rows::{AmbassadorRow, DepartmentRow, by_display_name, person_ref, select_ambassadors};
use crate::scheduler::{outbox_rows, queue_outbox};
use crate::{SqlStore, to_micros};
use ambassador_core::{
    Account, Ambassador, AmbassadorStatus, DepartmentCoverage, DepartmentId, Outgoing, PersonId,
    PersonRef, RosterFilter, RosterStore, StoreError, StoreResult, name_key,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;
use std::fmt::Write as _;

pub(crate) async fn add_ambassador(
    store: &SqlStore,
    person: PersonId,
    department: DepartmentId,
    time_zone: &str,
    since: NaiveDate,
    notices: &[Outgoing],
    now: DateTime<Utc>,
) -> StoreResult<Ambassador> {
    let outbox = outbox_rows(notices)?;
    let now = to_micros(now);
    let result: Result<AmbassadorRow, sqlx::Error> = with_pool!(store, |pool| {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO ambassadors \
                     (person_id, department_id, status, since, until, time_zone, updated_at) \
                 VALUES ($1, $2, 'active', $3, NULL, $4, $5) \
                 ON CONFLICT (person_id) DO UPDATE SET \
                     department_id = excluded.department_id, status = 'active', \
                     since = excluded.since, until = NULL, time_zone = excluded.time_zone, \
                     updated_at = excluded.updated_at",
            )
            .bind(person)
            .bind(department)
            .bind(since)
            .bind(time_zone)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
            // The term this begins: the open one ends on `since` (one that began on or after
            // `since` was a mistake being corrected and goes: a term never ends before it
            // began), and the new one copies the department's name and region.
            sqlx::query(
                "DELETE FROM ambassador_terms \
                 WHERE person_id = $1 AND until IS NULL AND since >= $2",
            )
            .bind(person)
            .bind(since)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE ambassador_terms SET until = $2 WHERE person_id = $1 AND until IS NULL",
            )
            .bind(person)
            .bind(since)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO ambassador_terms (person_id, department_id, department, region, since) \
                 SELECT $1, id, name, region, $3 FROM departments WHERE id = $2",
            )
            .bind(person)
            .bind(department)
            .bind(since)
            .execute(&mut *tx)
            .await?;
            queue_outbox!(pool, tx, outbox, now);
            let row = sqlx::query_as(concat!(select_ambassadors!(), " WHERE a.person_id = $1"))
                .bind(person)
                .fetch_one(&mut *tx)
                .await?;
            crate::error::commit(tx).await?;
            Ok(row)
        }
        .await
    });
    match result {
        Ok(row) => row.into_ambassador(),
        Err(e) if is_foreign_key_violation(&e) => Err(missing_reference(store, person).await),
        Err(e) => Err(to_store_error(e)),
    }
}

/// Which reference of a roster entry does not exist.
async fn missing_reference(store: &SqlStore, person: PersonId) -> StoreError {
    let person_exists: Result<bool, StoreError> = with_pool!(store, |pool| {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM people WHERE id = $1)")
            .bind(person)
            .fetch_one(pool)
            .await
            .db()
    });
    match person_exists {
        Ok(false) => StoreError::NotFound(format!("person {person}")),
        Ok(true) => StoreError::NotFound("department".to_owned()),
        Err(e) => e,
    }
}

pub(crate) async fn set_ambassador_status(
    store: &SqlStore,
    person: PersonId,
    status: AmbassadorStatus,
    on: NaiveDate,
    notices: &[Outgoing],
    now: DateTime<Utc>,
) -> StoreResult<Ambassador> {
    let outbox = outbox_rows(notices)?;
    let now = to_micros(now);
    let until = (status == AmbassadorStatus::Alumni).then_some(on);
    let row: Option<AmbassadorRow> = with_pool!(store, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE ambassadors SET status = $1, until = $2, updated_at = $3 \
                 WHERE person_id = $4",
            )
            .bind(status.as_str())
            .bind(until)
            .bind(Utc::now())
            .bind(person)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Ok(None);
            }
            if let Some(until) = until {
                // Stepping down ends the term. (Paused and active again keep it going; alumni come
                // back through `add_ambassador`, which opens a new term.)
                sqlx::query(
                    "UPDATE ambassador_terms SET until = $1 \
                     WHERE person_id = $2 AND until IS NULL",
                )
                .bind(until)
                .bind(person)
                .execute(&mut *tx)
                .await?;
            }
            queue_outbox!(pool, tx, outbox, now);
            let row = sqlx::query_as(concat!(select_ambassadors!(), " WHERE a.person_id = $1"))
                .bind(person)
                .fetch_one(&mut *tx)
                .await?;
            crate::error::commit(tx).await?;
            Ok(Some(row))
        }
        .await
        .db()?
    });
    row.ok_or_else(|| not_on_roster(person))?.into_ambassador()
}

fn not_on_roster(person: PersonId) -> StoreError {
    StoreError::NotFound(format!("person {person} on the roster"))
}

/// Accounts per statement of [`roster`] (two parameters each). Kept well under 16 KB of statement
/// and parameters even for long Matrix ids: sqlx 0.9.0 leaves Nagle's algorithm on, so over TLS
/// a bigger statement can wait ~40 ms for a delayed ACK.
const ACCOUNTS_PER_STATEMENT: usize = 200;

#[derive(sqlx::FromRow)]
struct CoverageRow {
    #[sqlx(flatten)]
    department: DepartmentRow,
    paused: i64,
    /// The department's active ambassadors packed by [`unpack_people`]'s format; NULL for none.
    active: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ActiveRow {
    department_id: i64,
    platform: String,
    external_id: String,
    display_name: String,
}

impl RosterStore for SqlStore {
    async fn add_ambassador(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
    ) -> StoreResult<Ambassador> {
        self.guarded(|| add_ambassador(self, person, department, time_zone, since, &[], Utc::now()))
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
        self.guarded(|| add_ambassador(self, person, department, time_zone, since, notices, now))
            .await
    }

    async fn set_ambassador_status(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
    ) -> StoreResult<Ambassador> {
        self.guarded(|| set_ambassador_status(self, person, status, on, &[], Utc::now()))
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
        self.guarded(|| set_ambassador_status(self, person, status, on, notices, now))
            .await
    }

    async fn remove_ambassador(&self, person: PersonId) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            let deleted = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let deleted = sqlx::query("DELETE FROM ambassadors WHERE person_id = $1")
                        .bind(person)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    // A removal corrects a mistake: the term it opened never happened. Closed terms stay.
                    sqlx::query(
                        "DELETE FROM ambassador_terms WHERE person_id = $1 AND until IS NULL",
                    )
                    .bind(person)
                    .execute(&mut *tx)
                    .await?;
                    crate::error::commit(tx).await?;
                    Ok::<_, sqlx::Error>(deleted)
                }
                .await
                .db()?
            });
            if deleted == 0 {
                return Err(not_on_roster(person));
            }
            Ok(())
        })
        .await
    }

    async fn ambassador(&self, person: PersonId) -> StoreResult<Option<Ambassador>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<AmbassadorRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(select_ambassadors!(), " WHERE a.person_id = $1"))
                    .bind(person)
                    .fetch_optional(pool)
                    .await
                    .db()?
            });
            row.map(AmbassadorRow::into_ambassador).transpose()
        })
        .await
    }

    async fn roster(&self, filter: &RosterFilter) -> StoreResult<Vec<Ambassador>> {
        self.guarded(|| async move {
            let store = self;
            let region = filter.region.as_deref().map(name_key);
            let mut sql = String::from(concat!(
                select_ambassadors!(),
                " WHERE ($1 IS NULL OR d.region_key = $1) \
            AND ($2 IS NULL OR d.id = $2) \
            AND (CASE WHEN $4 IS NULL THEN ($3 OR a.status <> 'alumni') \
                      ELSE a.status = $4 END) \
            AND ($5 IS NULL OR a.time_zone = $5)"
            ));
            // The optional restrictions below are written only when asked for, so that each can use its
            // index (a `$n IS NULL OR ...` clause cannot): an unrestricted roster keeps the statement above.
            let mut next = 6;
            if filter.changed_between.is_some() {
                sql.push_str(
                    " AND ((a.since > $6 AND a.since <= $7) OR (a.until > $6 AND a.until <= $7))",
                );
                next = 8;
            }
            let mut accounts: Vec<&Account> = filter.accounts.iter().collect();
            accounts.sort_unstable();
            accounts.dedup();
            // One statement per chunk of accounts (none: one statement for all); the chunks' entries are
            // distinct, as the accounts are.
            let chunks: Vec<&[&Account]> = if accounts.is_empty() {
                vec![&[]]
            } else {
                accounts.chunks(ACCOUNTS_PER_STATEMENT).collect()
            };

            let mut rows: Vec<AmbassadorRow> = Vec::new();
            for chunk in chunks {
                let mut sql = sql.clone();
                if !chunk.is_empty() {
                    // As a subquery, the list leads SQLite to each person by the (platform, external_id)
                    // index instead of being looked up for every person.
                    sql.push_str(
                " AND (p.platform, p.external_id) IN (SELECT column1, column2 FROM (VALUES ",
            );
                    for i in 0..chunk.len() {
                        let n = next + 2 * i;
                        let separator = if i == 0 { "" } else { ", " };
                        let _ = write!(sql, "{separator}(${n}, ${})", n + 1);
                    }
                    sql.push_str(") AS v)");
                }
                let found: Vec<AmbassadorRow> = with_pool!(store, |pool| {
                    let mut query = sqlx::query_as(AssertSqlSafe(sql))
                        .bind(region.as_deref())
                        .bind(filter.department)
                        .bind(filter.include_alumni)
                        .bind(filter.status.map(AmbassadorStatus::as_str))
                        .bind(filter.time_zone.as_deref());
                    if let Some((from, to)) = filter.changed_between {
                        query = query.bind(from).bind(to);
                    }
                    for account in chunk {
                        query = query
                            .bind(account.platform.as_str())
                            .bind(account.id.as_str());
                    }
                    // Planned afresh each time when restricted further (not kept prepared): a statement
                    // naming accounts is used once, and PostgreSQL's generic plan for the terms in a range
                    // (which cannot tell which `$n IS NULL` hold) walks every department.
                    query
                        .persistent(chunk.is_empty() && filter.changed_between.is_none())
                        .fetch_all(pool)
                        .await
                        .db()?
                });
                rows.extend(found);
            }
            rows.sort_by_cached_key(AmbassadorRow::order_key);
            rows.into_iter()
                .map(AmbassadorRow::into_ambassador)
                .collect()
        })
        .await
    }

    async fn coverage(&self, region: Option<&str>) -> StoreResult<Vec<DepartmentCoverage>> {
        self.guarded(|| async move {
            let store = self;
            let region = region.map(name_key);
            // One row per department, its active ambassadors packed into one string, rather than one row
            // per ambassador: decoding rows is most of the cost of a large report.
            let mut rows: Vec<CoverageRow> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT d.id, d.name, d.name_key, d.region, d.region_key, d.headcount, \
                    COALESCE(x.paused, 0) AS paused, x.active \
             FROM departments d \
             LEFT JOIN ( \
                 SELECT a.department_id, \
                        COUNT(*) FILTER (WHERE a.status = 'paused') AS paused, \
                        string_agg( \
                            p.platform || ' ' || length(p.external_id) || ' ' || p.external_id \
                                || length(p.display_name) || ' ' || p.display_name, \
                            '') FILTER (WHERE a.status = 'active') AS active \
                 FROM ambassadors a \
                 JOIN people p ON p.id = a.person_id \
                 WHERE a.status <> 'alumni' \
                   AND ($1 IS NULL OR a.department_id IN \
                        (SELECT id FROM departments WHERE region_key = $1)) \
                 GROUP BY a.department_id \
             ) x ON x.department_id = d.id \
             WHERE ($1 IS NULL OR d.region_key = $1)",
                )
                .bind(&region)
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.sort_unstable_by(|a, b| a.department.order(&b.department));

            let unpacked: Option<Vec<Vec<PersonRef>>> = rows
                .iter()
                .map(|row| {
                    row.active
                        .as_deref()
                        .map_or(Some(Vec::new()), unpack_people)
                })
                .collect();
            let mut active_lists = match unpacked {
                Some(lists) => lists,
                // A length the database counted differently from Rust (a NUL in SQLite text, a database
                // not encoded in UTF-8): read the active ambassadors row by row instead.
                None => active_rows(store, region.as_deref(), &rows).await?,
            };

            rows.into_iter()
                .zip(active_lists.iter_mut())
                .map(|(row, active)| {
                    active.sort_by(by_display_name);
                    Ok(DepartmentCoverage {
                        department: row.department.into_department()?,
                        active: std::mem::take(active),
                        paused: u32::try_from(row.paused).unwrap_or(u32::MAX),
                    })
                })
                .collect()
        })
        .await
    }

    /// How many departments have an active ambassador, and how many there are.
    async fn coverage_counts(&self) -> StoreResult<(u32, u32)> {
        self.guarded(|| async move {
            let store = self;
            let (covered, total): (i64, i64) = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM departments d WHERE EXISTS ( \
                        SELECT 1 FROM ambassadors a \
                        WHERE a.department_id = d.id AND a.status = 'active')), \
                    (SELECT COUNT(*) FROM departments)",
                )
                .fetch_one(pool)
                .await
                .db()?
            });
            let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
            Ok((count(covered), count(total)))
        })
        .await
    }

    async fn note_known_since(&self, person: PersonId, at: DateTime<Utc>) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let updated = with_pool!(store, |pool| {
                sqlx::query(
            "UPDATE ambassadors SET known_since = COALESCE(known_since, $1) WHERE person_id = $2",
        )
        .bind(to_micros(at))
        .bind(person)
        .execute(pool)
        .await
        .db()?
        .rows_affected()
            });
            if updated == 0 {
                return Err(not_on_roster(person));
            }
            Ok(())
        })
        .await
    }

    async fn set_checkins_paused_until(
        &self,
        person: PersonId,
        until: Option<NaiveDate>,
    ) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let updated = with_pool!(store, |pool| {
                sqlx::query(
                    "UPDATE ambassadors SET checkins_paused_until = $1, updated_at = $2 \
             WHERE person_id = $3",
                )
                .bind(until)
                .bind(Utc::now())
                .bind(person)
                .execute(pool)
                .await
                .db()?
                .rows_affected()
            });
            if updated == 0 {
                return Err(not_on_roster(person));
            }
            Ok(())
        })
        .await
    }

    async fn ambassador_time_zones(&self) -> StoreResult<Vec<String>> {
        self.guarded(|| async move {
            let store = self;
            let mut zones: Vec<String> = with_pool!(store, |pool| {
                sqlx::query_scalar(
                    "SELECT DISTINCT time_zone FROM ambassadors WHERE status = 'active'",
                )
                .fetch_all(pool)
                .await
                .db()?
            });
            // Sorted here, not by the database's collation.
            zones.sort_unstable();
            Ok(zones)
        })
        .await
    }
}

/// The active ambassadors of each of `rows`' departments, one query row per ambassador.
async fn active_rows(
    store: &SqlStore,
    region: Option<&str>,
    rows: &[CoverageRow],
) -> StoreResult<Vec<Vec<PersonRef>>> {
    let active: Vec<ActiveRow> = with_pool!(store, |pool| {
        sqlx::query_as(
            "SELECT a.department_id, p.platform, p.external_id, p.display_name \
             FROM ambassadors a \
             JOIN people p ON p.id = a.person_id \
             JOIN departments d ON d.id = a.department_id \
             WHERE a.status = 'active' AND ($1 IS NULL OR d.region_key = $1)",
        )
        .bind(region)
        .fetch_all(pool)
        .await
        .db()?
    });
    let mut by_department: HashMap<i64, Vec<PersonRef>> = HashMap::new();
    for row in active {
        by_department
            .entry(row.department_id)
            .or_default()
            .push(person_ref(
                &row.platform,
                row.external_id,
                row.display_name,
            )?);
    }
    Ok(rows
        .iter()
        .map(|row| by_department.remove(&row.department.id).unwrap_or_default())
        .collect())
}

/// Reads people packed as `<platform> <n> <external id: n characters><m> <display name: m characters>`,
/// one after the other. The lengths make any character in ids and names safe; `None` when the
/// text does not follow the format.
fn unpack_people(mut packed: &str) -> Option<Vec<PersonRef>> {
    let mut people = Vec::new();
    while !packed.is_empty() {
        let (platform, rest) = packed.split_once(' ')?;
        let (external_id, rest) = counted(rest)?;
        let (display_name, rest) = counted(rest)?;
        let person = person_ref(platform, external_id.to_owned(), display_name.to_owned()).ok()?;
        people.push(person);
        packed = rest;
    }
    Some(people)
}

/// Splits `<n> <n characters>...` into the `n` characters and the rest.
fn counted(text: &str) -> Option<(&str, &str)> {
    let (count, rest) = text.split_once(' ')?;
    let count: usize = count.parse().ok()?;
    let end = rest
        .char_indices()
        .map(|(at, _)| at)
        .chain(std::iter::once(rest.len()))
        .nth(count)?;
    Some(rest.split_at(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ambassador_core::{Account, Platform};

    #[test]
    fn packed_people_unpack_whatever_their_names_contain() {
        let packed = "slack 5 U01236 4 3 Ad\
                      matrix 16 @zoë:example.org7 Zoë 1 😀\
                      console 0 0 ";
        let people = unpack_people(packed).unwrap();
        assert_eq!(
            people,
            [
                PersonRef {
                    account: Account::new(Platform::Slack, "U0123"),
                    display_name: "4 3 Ad".to_owned(),
                },
                PersonRef {
                    account: Account::new(Platform::Matrix, "@zoë:example.org"),
                    display_name: "Zoë 1 😀".to_owned(),
                },
                PersonRef {
                    account: Account::new(Platform::Console, ""),
                    display_name: String::new(),
                },
            ]
        );
        assert_eq!(unpack_people(""), Some(vec![]));
        for broken in [
            "slack",
            "slack 5 U01",
            "slack 2 U12 x",
            "irc 1 a1 b",
            "slack x a1 b",
        ] {
            assert_eq!(unpack_people(broken), None, "{broken}");
        }
    }
}
