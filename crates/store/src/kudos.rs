//! Kudos: recorded under a daily limit per giver, read back by time range.

use crate::error::{DbResultExt, is_foreign_key_violation, is_unique_violation, to_store_error};
use crate::rows::{by_display_name, optional_person_ref, person_ref};
use crate::scheduler::{builder, outbox_rows, queue_outbox};
use crate::{Backend, SqlStore, to_micros};
use ambassador_core::{
    Kudos, KudosFigures, KudosOutcome, KudosStore, KudosTally, NewKudos, Outgoing, PersonId,
    PersonRef, StoreError, StoreResult,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The first key of the PostgreSQL advisory locks that serialize one giver's kudos ("kudo"). The
/// two-key lock space is separate from the one-`bigint` space other code (sqlx's migrator)
/// uses, so these locks never wait on theirs.
const KUDOS_LOCK_CLASS: i32 = 0x6B75_646F;

/// A giver's kudos of the day, counted up to `$3`.
const COUNT_TODAY: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM kudos WHERE giver_id = $1 \
                           AND given_at >= $2 LIMIT $3) AS today";

pub(crate) async fn record_kudos(
    store: &SqlStore,
    kudos: &NewKudos,
    daily_limit: u32,
    day_start: DateTime<Utc>,
    notices: &[Outgoing],
) -> StoreResult<KudosOutcome> {
    let outbox = outbox_rows(notices)?;
    let given_at = to_micros(kudos.given_at);
    let day_start = to_micros(day_start);
    let tags = kudos.tags.join(" ");
    let mut receivers = kudos.receivers.clone();
    receivers.sort_unstable();
    receivers.dedup();

    // Three statements in one transaction: on PostgreSQL each is a round trip, and the giver's
    // lock rides on the first.
    let outcome: Result<KudosOutcome, sqlx::Error> = with_pool!(store, |pool, backend| {
        async {
            let mut tx = pool.begin().await?;
            // SQLite serializes writers by itself (the insert takes the write lock); PostgreSQL
            // needs one giver's calls in line, so its insert first takes the giver's advisory lock
            // (folding the id into 32 bits may make two givers share a lock; harmless).
            let insert = if backend == Backend::Postgres {
                "INSERT INTO kudos (giver_id, reason, tags, room, given_at, source) \
                 SELECT $1, $2, $3, $4, $5, $6 FROM (SELECT pg_advisory_xact_lock($7, $8)) AS locked \
                 RETURNING id"
            } else {
                "INSERT INTO kudos (giver_id, reason, tags, room, given_at, source) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
            };
            let mut query = sqlx::query_scalar(insert)
                .bind(kudos.giver)
                .bind(&kudos.reason)
                .bind(&tags)
                .bind(&kudos.room)
                .bind(given_at)
                .bind(kudos.source.as_deref());
            if backend == Backend::Postgres {
                query = query.bind(KUDOS_LOCK_CLASS).bind(kudos.giver as i32);
            }
            let id: i64 = query.fetch_one(&mut *tx).await?;
            // Then, under a limit, count the giver's kudos of the day, this one included, in a
            // later statement: it sees every kudos committed before the write lock (SQLite) or
            // the giver's lock (PostgreSQL, whose statements each see what was committed before
            // they began). The count stops at one over the limit, so a giver who gives many
            // costs no more than one who gives the limit; with no limit nothing is counted. The
            // receivers go in with the count; over the limit, all of it is rolled back.
            let limited = daily_limit != u32::MAX;
            let cap = i64::from(daily_limit) + 1;
            let given: Option<i64> = match (receivers.is_empty(), limited) {
                (true, false) => None,
                (true, true) => Some(
                    sqlx::query_scalar(COUNT_TODAY)
                        .bind(kudos.giver)
                        .bind(day_start)
                        .bind(cap)
                        .fetch_one(&mut *tx)
                        .await?,
                ),
                (false, _) => {
                    let mut insert =
                        builder(pool, "INSERT INTO kudos_receivers (kudos_id, person_id) ");
                    insert.push_values(&receivers, |mut row, receiver| {
                        row.push_bind(id).push_bind(*receiver);
                    });
                    if limited {
                        insert.push(
                            " RETURNING (SELECT COUNT(*) FROM (SELECT 1 FROM kudos WHERE giver_id = ",
                        );
                        insert.push_bind(kudos.giver);
                        insert.push(" AND given_at >= ");
                        insert.push_bind(day_start);
                        insert.push(" LIMIT ");
                        insert.push_bind(cap);
                        insert.push(") AS today)");
                        let counts: Vec<i64> =
                            insert.build_query_scalar().fetch_all(&mut *tx).await?;
                        counts.first().copied()
                    } else {
                        insert.build().execute(&mut *tx).await?;
                        None
                    }
                }
            };
            let given = given.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
            if let Some(given) = given
                && given > daily_limit
            {
                tx.rollback().await?;
                return Ok(KudosOutcome::LimitReached {
                    given_today: given - 1,
                });
            }
            queue_outbox!(pool, tx, outbox, given_at);
            crate::error::commit(tx).await?;
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
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "kudos from {} by giver {}",
            kudos.source.as_deref().unwrap_or_default(),
            kudos.giver
        ))),
        Err(e) => Err(to_store_error(e)),
    }
}

#[derive(sqlx::FromRow)]
struct GoneRow {
    id: i64,
    reason: String,
    tags: String,
    room: String,
    given_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PersonRefRow {
    platform: String,
    external_id: String,
    display_name: String,
}

impl PersonRefRow {
    fn into_ref(self) -> StoreResult<PersonRef> {
        person_ref(&self.platform, self.external_id, self.display_name)
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

/// Kudos rows (in the order wanted) with their receivers, each kudos' receivers ordered by display
/// name; receivers of kudos not among `kudos` are ignored.
fn assemble(kudos: Vec<KudosRow>, receivers: Vec<ReceiverRow>) -> StoreResult<Vec<Kudos>> {
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

#[derive(sqlx::FromRow)]
struct TallyRow {
    platform: String,
    external_id: String,
    display_name: String,
    received: i64,
    given: i64,
}

/// One receiver of one of the newest kudos (or the kudos alone, when it has no receiver), with
/// the number of kudos in the whole range.
#[derive(sqlx::FromRow)]
struct LatestRow {
    #[sqlx(flatten)]
    kudos: KudosRow,
    total: i64,
    receiver_platform: Option<String>,
    receiver_external_id: Option<String>,
    receiver_display_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TopRow {
    platform: String,
    external_id: String,
    display_name: String,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct DepartmentCountRow {
    #[sqlx(flatten)]
    department: crate::rows::DepartmentRow,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct RegionRow {
    region_key: String,
    region: String,
    kudos: i64,
}

/// The ids of the kudos given in a range: the least and greatest, how many, and how many kudos
/// (given whenever) have an id between those two. Binds the range's instants as $1 and $2. `id + 0`
/// keeps PostgreSQL from reading MIN and MAX off the primary key, past every older kudos.
#[derive(sqlx::FromRow)]
struct IdSpan {
    lo: Option<i64>,
    hi: Option<i64>,
    given: i64,
    spanned: i64,
}

const ID_SPAN: &str = "SELECT b.lo, b.hi, b.given, \
        (SELECT COUNT(*) FROM kudos c WHERE c.id >= b.lo AND c.id <= b.hi) AS spanned \
     FROM (SELECT MIN(id + 0) AS lo, MAX(id + 0) AS hi, COUNT(*) AS given \
           FROM kudos WHERE given_at >= $1 AND given_at < $2) b";

/// Where the receivers of the kudos given in a range are: their primary key starts with the kudos
/// id, so they are read between the least and greatest id of those kudos, not by joining every
/// receiver of all time to the kudos (PostgreSQL's choice). Ids follow time, so usually no other
/// kudos lies between those two; when one does (`joined`), each receiver's kudos is joined to check
/// its time.
struct ReceiverIds {
    lo: i64,
    hi: i64,
    joined: bool,
}

impl IdSpan {
    /// `None` when no kudos was given in the range.
    fn receivers(&self) -> Option<ReceiverIds> {
        Some(ReceiverIds {
            lo: self.lo?,
            hi: self.hi?,
            joined: self.given != self.spanned,
        })
    }
}

impl ReceiverIds {
    /// `FROM … WHERE …` of those receivers (`r`), with `joins` after the receivers: the ids bound
    /// as $1 and $2 and, when `joined`, the range's instants as $3 and $4 (see [`bind_receivers`]).
    fn clause(&self, joins: &str) -> String {
        if self.joined {
            format!(
                "FROM kudos_receivers r JOIN kudos k ON k.id = r.kudos_id {joins} \
                 WHERE r.kudos_id >= $1 AND r.kudos_id <= $2 \
                   AND k.given_at >= $3 AND k.given_at < $4"
            )
        } else {
            format!("FROM kudos_receivers r {joins} WHERE r.kudos_id >= $1 AND r.kudos_id <= $2")
        }
    }

    /// Kudos counted by region for those receivers: a kudos counts once per region among its
    /// receivers, off the roster under "". A region spelled in several ways (same key) is named by
    /// its least spelling.
    fn region_counts(&self) -> String {
        format!(
            "SELECT COALESCE(d.region_key, '') AS region_key, \
                    COALESCE(MIN(d.region), '') AS region, \
                    COUNT(DISTINCT r.kudos_id) AS kudos {} \
             GROUP BY COALESCE(d.region_key, '')",
            self.clause(
                "LEFT JOIN ambassadors a ON a.person_id = r.person_id \
                 LEFT JOIN departments d ON d.id = a.department_id"
            )
        )
    }
}

/// Binds what [`ReceiverIds::clause`] names to `query`.
macro_rules! bind_receivers {
    ($query:expr, $ids:expr, $from:expr, $to:expr) => {{
        let query = $query.bind($ids.lo).bind($ids.hi);
        if $ids.joined {
            query.bind($from).bind($to)
        } else {
            query
        }
    }};
}

/// Region counts as [`KudosStore::kudos_by_region`] returns them: by region key; receivers off the
/// roster, and a region whose name has no key, both under "".
fn regions_counted(mut rows: Vec<RegionRow>) -> Vec<(String, u64)> {
    rows.sort_unstable_by(|a, b| a.region_key.cmp(&b.region_key));
    rows.into_iter()
        .map(|row| {
            let region = if row.region_key.is_empty() {
                String::new()
            } else {
                row.region
            };
            (region, u64::try_from(row.kudos).unwrap_or(0))
        })
        .collect()
}

impl KudosStore for SqlStore {
    async fn record_kudos(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
    ) -> StoreResult<KudosOutcome> {
        self.guarded(|| record_kudos(self, kudos, daily_limit, day_start, &[]))
            .await
    }

    async fn record_kudos_notifying(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<KudosOutcome> {
        self.guarded(|| record_kudos(self, kudos, daily_limit, day_start, notices))
            .await
    }

    /// Deletes the kudos `giver` gave from `source`, with its receivers, and returns it.
    async fn take_back_kudos(&self, giver: PersonId, source: &str) -> StoreResult<Option<Kudos>> {
        self.guarded(|| async move {
            let store = self;
            type Gone = Option<(GoneRow, PersonRefRow, Vec<PersonRefRow>)>;
            let gone: Gone = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    // Deleting comes first: it takes SQLite's write lock and PostgreSQL's row locks, so a
                    // concurrent caller waits and then finds nothing. The receivers go before their kudos
                    // (which would take them along), to be named in the answer.
                    let receivers: Vec<i64> = sqlx::query_scalar(
                        "DELETE FROM kudos_receivers WHERE kudos_id IN \
                 (SELECT id FROM kudos WHERE giver_id = $1 AND source = $2) \
                 RETURNING person_id",
                    )
                    .bind(giver)
                    .bind(source)
                    .fetch_all(&mut *tx)
                    .await?;
                    let row: Option<GoneRow> = sqlx::query_as(
                        "DELETE FROM kudos WHERE giver_id = $1 AND source = $2 \
                 RETURNING id, reason, tags, room, given_at",
                    )
                    .bind(giver)
                    .bind(source)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(row) = row else {
                        tx.rollback().await?;
                        return Ok(None);
                    };
                    let person =
                        "SELECT platform, external_id, display_name FROM people WHERE id = $1";
                    let giver: PersonRefRow = sqlx::query_as(person)
                        .bind(giver)
                        .fetch_one(&mut *tx)
                        .await?;
                    let mut people = Vec::with_capacity(receivers.len());
                    for id in receivers {
                        people.push(
                            sqlx::query_as::<_, PersonRefRow>(person)
                                .bind(id)
                                .fetch_one(&mut *tx)
                                .await?,
                        );
                    }
                    crate::error::commit(tx).await?;
                    Ok::<_, sqlx::Error>(Some((row, giver, people)))
                }
                .await
                .db()?
            });
            let Some((row, giver, people)) = gone else {
                return Ok(None);
            };
            let mut receivers = people
                .into_iter()
                .map(PersonRefRow::into_ref)
                .collect::<StoreResult<Vec<_>>>()?;
            receivers.sort_by(by_display_name);
            Ok(Some(Kudos {
                id: row.id,
                giver: giver.into_ref()?,
                receivers,
                reason: row.reason,
                tags: row.tags.split_whitespace().map(str::to_owned).collect(),
                given_at: row.given_at,
                room: row.room,
            }))
        })
        .await
    }

    async fn kudos_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Kudos>> {
        self.guarded(|| async move {
            let store = self;
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

            assemble(kudos, receivers)
        })
        .await
    }

    async fn kudos_latest(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<(u64, Vec<Kudos>)> {
        self.guarded(|| async move {
            let store = self;
            let (from, to) = (to_micros(from), to_micros(to));
            let count = |n: i64| u64::try_from(n).unwrap_or(0);
            if limit == 0 {
                let total: i64 = with_pool!(store, |pool| {
                    sqlx::query_scalar(
                        "SELECT COUNT(*) FROM kudos WHERE given_at >= $1 AND given_at < $2",
                    )
                    .bind(from)
                    .bind(to)
                    .fetch_one(pool)
                    .await
                    .db()?
                });
                return Ok((count(total), Vec::new()));
            }
            // One statement, so the count and the kudos listed agree: the newest kudos (by the index on
            // given_at), one row per receiver, each row carrying the count.
            let rows: Vec<LatestRow> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT k.id, k.reason, k.tags, k.room, k.given_at, \
                    g.platform, g.external_id, g.display_name, \
                    (SELECT COUNT(*) FROM kudos c \
                     WHERE c.given_at >= $1 AND c.given_at < $2) AS total, \
                    p.platform AS receiver_platform, p.external_id AS receiver_external_id, \
                    p.display_name AS receiver_display_name \
             FROM (SELECT id, giver_id, reason, tags, room, given_at FROM kudos \
                   WHERE given_at >= $1 AND given_at < $2 \
                   ORDER BY given_at DESC, id DESC LIMIT $3) k \
             JOIN people g ON g.id = k.giver_id \
             LEFT JOIN kudos_receivers r ON r.kudos_id = k.id \
             LEFT JOIN people p ON p.id = r.person_id",
                )
                .bind(from)
                .bind(to)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .db()?
            });
            // No row: no kudos in the range at all (the limit is at least one).
            let total = rows.first().map_or(0, |row| count(row.total));

            let mut kudos: Vec<Kudos> = Vec::new();
            let mut index: HashMap<i64, usize> = HashMap::new();
            for row in rows {
                let receiver = optional_person_ref(
                    row.receiver_platform,
                    row.receiver_external_id,
                    row.receiver_display_name,
                )?;
                let at = match index.get(&row.kudos.id) {
                    Some(&at) => at,
                    None => {
                        let k = row.kudos;
                        index.insert(k.id, kudos.len());
                        kudos.push(Kudos {
                            id: k.id,
                            giver: person_ref(&k.platform, k.external_id, k.display_name)?,
                            receivers: Vec::new(),
                            reason: k.reason,
                            tags: k.tags.split_whitespace().map(str::to_owned).collect(),
                            given_at: k.given_at,
                            room: k.room,
                        });
                        kudos.len() - 1
                    }
                };
                kudos[at].receivers.extend(receiver);
            }
            kudos.sort_unstable_by_key(|k| (k.given_at, k.id));
            for k in &mut kudos {
                k.receivers.sort_by(by_display_name);
            }
            Ok((total, kudos))
        })
        .await
    }

    /// Kudos given in `[from, to)` per person: received (once per kudos naming them) and given (once
    /// per kudos), opted-out people left out, ordered by display name.
    async fn kudos_tally(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<KudosTally>> {
        self.guarded(|| async move {
            let store = self;
            let (from, to) = (to_micros(from), to_micros(to));
            let rows: Vec<TallyRow> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT p.platform, p.external_id, p.display_name, t.received, t.given \
             FROM (SELECT u.person_id, SUM(u.received) AS received, SUM(u.given) AS given \
                   FROM (SELECT r.person_id AS person_id, 1 AS received, 0 AS given \
                         FROM kudos k JOIN kudos_receivers r ON r.kudos_id = k.id \
                         WHERE k.given_at >= $1 AND k.given_at < $2 \
                         UNION ALL \
                         SELECT k.giver_id AS person_id, 0 AS received, 1 AS given \
                         FROM kudos k WHERE k.given_at >= $1 AND k.given_at < $2) u \
                   GROUP BY u.person_id) t \
             JOIN people p ON p.id = t.person_id \
             WHERE NOT EXISTS (SELECT 1 FROM kudos_optouts o WHERE o.person_id = t.person_id)",
                )
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await
                .db()?
            });
            let count = |n: i64| u64::try_from(n).unwrap_or(0);
            let mut tally = rows
                .into_iter()
                .map(|row| {
                    Ok(KudosTally {
                        person: person_ref(&row.platform, row.external_id, row.display_name)?,
                        received: count(row.received),
                        given: count(row.given),
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            tally.sort_by(|a, b| by_display_name(&a.person, &b.person));
            Ok(tally)
        })
        .await
    }

    async fn kudos_by_region(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, u64)>> {
        self.guarded(|| async move {
            let store = self;
            let (from, to) = (to_micros(from), to_micros(to));
            let rows: Vec<RegionRow> = with_pool!(store, |pool, backend| {
                async {
                    // Both statements read one snapshot (PostgreSQL hands out ids before commits). Read
                    // only: SQLite never has to upgrade this transaction to a write.
                    let mut tx = pool
                        .begin_with(match backend {
                            Backend::Sqlite => "BEGIN",
                            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                        })
                        .await?;
                    let span: IdSpan = sqlx::query_as(ID_SPAN)
                        .bind(from)
                        .bind(to)
                        .fetch_one(&mut *tx)
                        .await?;
                    let rows = match span.receivers() {
                        Some(ids) => {
                            let sql = ids.region_counts();
                            bind_receivers!(
                                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
                                ids,
                                from,
                                to
                            )
                            .fetch_all(&mut *tx)
                            .await?
                        }
                        None => Vec::new(),
                    };
                    crate::error::commit(tx).await?;
                    Ok::<_, sqlx::Error>(rows)
                }
                .await
                .db()?
            });
            Ok(regions_counted(rows))
        })
        .await
    }

    async fn kudos_figures(&self, bounds: &[DateTime<Utc>], top: u32) -> StoreResult<KudosFigures> {
        self.guarded(|| async move {
            let store = self;
            // Fewer than two bounds: no period, and nothing given in an empty range.
            let &[from, .., to] = bounds else {
                return Ok(KudosFigures::default());
            };
            let (from, to) = (to_micros(from), to_micros(to));
            let (by_period, departments, givers, receivers, regions) = with_pool!(store, |pool, backend| {
                async {
                // Ties in the top lists go by display name, platform and account id, byte by byte
                // on both databases.
                let c = match backend {
                    Backend::Sqlite => "",
                    Backend::Postgres => " COLLATE \"C\"",
                };
                let most = |counted: &str| {
                    format!(
                        "SELECT p.platform, p.external_id, p.display_name, t.n \
                         FROM ({counted}) t JOIN people p ON p.id = t.person_id \
                         WHERE NOT EXISTS (SELECT 1 FROM kudos_optouts o WHERE o.person_id = t.person_id) \
                         ORDER BY t.n DESC, p.display_name{c}, p.platform{c}, p.external_id{c} \
                         LIMIT {top}"
                    )
                };
                // The counts run side by side, each on its own connection; those of the receivers
                // once it is known where the range's receivers are. (A kudos committed meanwhile
                // may be counted by some and not others, as with any counts read one after the
                // other.)
                // Each kudos's period (the bounds between the first and the last, as $3 on) and
                // its tags, counted in one pass.
                let periods = bounds.len().saturating_sub(1);
                let period = if periods < 2 {
                    "0".to_owned()
                } else {
                    let whens: String = (1..periods)
                        .map(|i| format!("WHEN given_at < ${} THEN {} ", i + 2, i - 1))
                        .collect();
                    format!("CASE {whens}ELSE {} END", periods - 1)
                };
                let periods_sql = format!(
                    "SELECT CAST({period} AS BIGINT) AS period, tags, COUNT(*) AS n FROM kudos \
                     WHERE given_at >= $1 AND given_at < $2 GROUP BY 1, 2"
                );
                let mut query = sqlx::query_as::<_, (i64, String, i64)>(sqlx::AssertSqlSafe(
                    periods_sql.as_str(),
                ))
                .bind(from)
                .bind(to);
                for &bound in &bounds[1..periods] {
                    query = query.bind(to_micros(bound));
                }
                let by_period = query.fetch_all(pool);
                let givers_sql = most(
                    "SELECT k.giver_id AS person_id, COUNT(*) AS n FROM kudos k \
                     WHERE k.given_at >= $1 AND k.given_at < $2 GROUP BY k.giver_id",
                );
                let givers = sqlx::query_as::<_, TopRow>(sqlx::AssertSqlSafe(givers_sql.as_str()))
                    .bind(from)
                    .bind(to)
                    .fetch_all(pool);
                // The receivers' counts: each kudos once per department among its receivers (the
                // pairs made distinct first, which PostgreSQL hashes where it would sort for
                // COUNT(DISTINCT)); the top receivers; the regions, as `kudos_by_region` counts them.
                let by_receivers = async {
                    let span: IdSpan = sqlx::query_as(ID_SPAN)
                        .bind(from)
                        .bind(to)
                        .fetch_one(pool)
                        .await?;
                    let Some(ids) = &span.receivers() else {
                        return Ok((Vec::new(), Vec::new(), Vec::new()));
                    };
                    let departments_sql = format!(
                        "SELECT d.id, d.name, d.name_key, d.region, d.region_key, d.headcount, t.n \
                         FROM (SELECT x.department_id, COUNT(*) AS n \
                               FROM (SELECT DISTINCT r.kudos_id, a.department_id {}) x \
                               GROUP BY x.department_id) t \
                         JOIN departments d ON d.id = t.department_id \
                         ORDER BY d.id",
                        ids.clause("JOIN ambassadors a ON a.person_id = r.person_id")
                    );
                    let receivers_sql = most(&format!(
                        "SELECT r.person_id, COUNT(*) AS n {} GROUP BY r.person_id",
                        ids.clause("")
                    ));
                    let regions_sql = ids.region_counts();
                    let departments = bind_receivers!(
                        sqlx::query_as::<_, DepartmentCountRow>(sqlx::AssertSqlSafe(departments_sql.as_str())),
                        ids,
                        from,
                        to
                    )
                    .fetch_all(pool);
                    let receivers = bind_receivers!(
                        sqlx::query_as::<_, TopRow>(sqlx::AssertSqlSafe(receivers_sql.as_str())),
                        ids,
                        from,
                        to
                    )
                    .fetch_all(pool);
                    let regions = bind_receivers!(
                        sqlx::query_as::<_, RegionRow>(sqlx::AssertSqlSafe(regions_sql.as_str())),
                        ids,
                        from,
                        to
                    )
                    .fetch_all(pool);
                    tokio::try_join!(departments, receivers, regions)
                };
                let (by_period, givers, (departments, receivers, regions)) =
                    tokio::try_join!(by_period, givers, by_receivers)?;
                Ok::<_, sqlx::Error>((by_period, departments, givers, receivers, regions))
                }
                .await
                .db()?
            });
            let count = |n: i64| u64::try_from(n).unwrap_or(0);
            let mut per_period = vec![0; bounds.len() - 1];
            let mut tag_counts: std::collections::BTreeMap<String, u64> = Default::default();
            for (period, tags, n) in by_period {
                if let Some(slot) = usize::try_from(period).ok().and_then(|p| per_period.get_mut(p)) {
                    *slot += count(n);
                }
                for t in tags.split_whitespace() {
                    *tag_counts.entry(t.to_owned()).or_default() += count(n);
                }
            }
            let people = |rows: Vec<TopRow>| {
                rows.into_iter()
                    .map(|r| Ok((person_ref(&r.platform, r.external_id, r.display_name)?, count(r.n))))
                    .collect::<StoreResult<Vec<_>>>()
            };
            Ok(KudosFigures {
                per_period,
                tags: tag_counts.into_iter().collect(),
                departments: departments
                    .into_iter()
                    .map(|r| Ok((r.department.into_department()?, count(r.n))))
                    .collect::<StoreResult<_>>()?,
                regions: regions_counted(regions),
                givers: people(givers)?,
                receivers: people(receivers)?,
            })
        })
        .await
    }

    /// Kudos `person` received, oldest first.
    async fn kudos_received(&self, person: PersonId) -> StoreResult<Vec<Kudos>> {
        self.guarded(|| async move {
            let store = self;
            let (kudos, receivers): (Vec<KudosRow>, Vec<ReceiverRow>) = with_pool!(store, |pool| {
                async {
                    let kudos = sqlx::query_as(
                        "SELECT k.id, k.reason, k.tags, k.room, k.given_at, \
                        p.platform, p.external_id, p.display_name \
                 FROM kudos_receivers mine \
                 JOIN kudos k ON k.id = mine.kudos_id \
                 JOIN people p ON p.id = k.giver_id \
                 WHERE mine.person_id = $1 \
                 ORDER BY k.given_at, k.id",
                    )
                    .bind(person)
                    .fetch_all(pool)
                    .await?;
                    // Receivers are committed with their kudos: every kudos above finds all of them here.
                    let receivers = sqlx::query_as(
                        "SELECT r.kudos_id, p.platform, p.external_id, p.display_name \
                 FROM kudos_receivers mine \
                 JOIN kudos_receivers r ON r.kudos_id = mine.kudos_id \
                 JOIN people p ON p.id = r.person_id \
                 WHERE mine.person_id = $1",
                    )
                    .bind(person)
                    .fetch_all(pool)
                    .await?;
                    Ok::<_, sqlx::Error>((kudos, receivers))
                }
                .await
                .db()?
            });
            assemble(kudos, receivers)
        })
        .await
    }

    /// How many kudos `person` received, and how many they gave.
    async fn kudos_counts(&self, person: PersonId) -> StoreResult<(u32, u32)> {
        self.guarded(|| async move {
            let store = self;
            let (received, given): (i64, i64) = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM kudos_receivers WHERE person_id = $1), \
                    (SELECT COUNT(*) FROM kudos WHERE giver_id = $1)",
                )
                .bind(person)
                .fetch_one(pool)
                .await
                .db()?
            });
            let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
            Ok((count(received), count(given)))
        })
        .await
    }
}
