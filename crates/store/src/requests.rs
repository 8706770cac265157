//! Requests: what ambassadors need from the program office, their labels and their threads.
//!
//! A request is read with its labels in one statement (one row per label, LEFT JOINed) and put
//! together here, so a list and its labels always come from the same snapshot.

use crate::error::{
    DbResultExt, corrupt, is_foreign_key_violation, is_unique_violation, to_store_error,
};
use crate::rows::{optional_person_ref, person_ref};
use crate::scheduler::{builder, outbox_rows, queue_outbox, rows_per_statement};
use crate::{SqlStore, to_micros};
use ambassador_core::{
    NewRequest, Outgoing, PersonId, Request, RequestChange, RequestFilter, RequestId,
    RequestMessage, RequestStatus, RequestStore, RoundId, StoreError, StoreResult,
};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

/// Requests `r` with their ambassador `a`, owner `o` (if any) and labels `l` (one row per label,
/// a NULL label for a request without any), in [`RequestRow`]'s order; append a `WHERE` clause.
macro_rules! select_requests {
    () => {
        "SELECT r.id, r.department, r.region, r.round, r.text, r.status, r.created_at, \
                r.first_answer_at, r.closed_at, r.note, r.overdue_listed_at, \
                a.platform AS ambassador_platform, a.external_id AS ambassador_external_id, \
                a.display_name AS ambassador_display_name, \
                o.platform AS owner_platform, o.external_id AS owner_external_id, \
                o.display_name AS owner_display_name, \
                l.label \
         FROM requests r \
         JOIN people a ON a.id = r.ambassador_id \
         LEFT JOIN people o ON o.id = r.owner_id \
         LEFT JOIN request_labels l ON l.request_id = r.id"
    };
}

/// The request `id` with its labels, read inside an open transaction.
macro_rules! fetch_request {
    ($executor:expr, $id:expr) => {
        sqlx::query_as::<_, RequestRow>(concat!(select_requests!(), " WHERE r.id = $1"))
            .bind($id)
            .fetch_all($executor)
    };
}

/// The statuses of open requests, as stored.
const OPEN: [RequestStatus; 3] = [
    RequestStatus::New,
    RequestStatus::Acknowledged,
    RequestStatus::InProgress,
];

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    department: String,
    region: String,
    round: Option<RoundId>,
    text: String,
    status: String,
    created_at: DateTime<Utc>,
    first_answer_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    note: Option<String>,
    overdue_listed_at: Option<DateTime<Utc>>,
    ambassador_platform: String,
    ambassador_external_id: String,
    ambassador_display_name: String,
    owner_platform: Option<String>,
    owner_external_id: Option<String>,
    owner_display_name: Option<String>,
    label: Option<String>,
}

impl RequestRow {
    fn into_request(self) -> StoreResult<Request> {
        let owner = optional_person_ref(
            self.owner_platform,
            self.owner_external_id,
            self.owner_display_name,
        )?;
        Ok(Request {
            id: self.id,
            ambassador: person_ref(
                &self.ambassador_platform,
                self.ambassador_external_id,
                self.ambassador_display_name,
            )?,
            department: self.department,
            region: self.region,
            round: self.round,
            text: self.text,
            status: self
                .status
                .parse()
                .map_err(|e: String| corrupt(format!("request status: {e}")))?,
            owner,
            labels: self.label.into_iter().collect(),
            created_at: self.created_at,
            first_answer_at: self.first_answer_at,
            closed_at: self.closed_at,
            note: self.note,
            overdue_listed_at: self.overdue_listed_at,
        })
    }
}

/// The requests in `rows` (one row per label), newest first, each with its labels sorted.
fn assemble(mut rows: Vec<RequestRow>) -> StoreResult<Vec<Request>> {
    rows.sort_by_key(|row| Reverse(row.id));
    let mut requests: Vec<Request> = Vec::new();
    for row in rows {
        match requests.last_mut() {
            Some(last) if last.id == row.id => last.labels.extend(row.label),
            _ => requests.push(row.into_request()?),
        }
    }
    for request in &mut requests {
        request.labels.sort_unstable();
        request.labels.dedup();
    }
    Ok(requests)
}

/// The one request of `rows`; `None` when there are none.
fn single(rows: Vec<RequestRow>) -> StoreResult<Option<Request>> {
    Ok(assemble(rows)?.into_iter().next())
}

/// Labels as stored: trimmed, without a leading `#`, lowercase, each once, none empty.
fn clean_labels(labels: &[String]) -> Vec<String> {
    let mut labels: Vec<String> = labels
        .iter()
        .map(|l| l.trim().trim_start_matches('#').trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// Adds `$labels` (from [`clean_labels`]) to the request `$id` in the open transaction `$tx`; a
/// label it has already is left as it is.
macro_rules! insert_labels {
    ($pool:expr, $tx:ident, $id:expr, $labels:expr) => {
        for chunk in $labels.chunks(rows_per_statement(2)) {
            let mut insert = builder($pool, "INSERT INTO request_labels (request_id, label) ");
            insert.push_values(chunk, |mut row, label| {
                row.push_bind($id).push_bind(label.as_str());
            });
            insert.push(" ON CONFLICT (request_id, label) DO NOTHING");
            insert.build().persistent(false).execute(&mut *$tx).await?;
        }
    };
}

fn no_request(id: RequestId) -> StoreError {
    StoreError::NotFound(format!("request {id}"))
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    request_id: i64,
    from_office: bool,
    text: String,
    at: DateTime<Utc>,
    platform: String,
    external_id: String,
    display_name: String,
}

impl RequestStore for SqlStore {
    async fn add_request(
        &self,
        new: &NewRequest,
        notify: &(dyn Fn(RequestId) -> Vec<Outgoing> + Send + Sync),
    ) -> StoreResult<Request> {
        self.guarded(|| async move {
            let store = self;
            let created_at = to_micros(new.created_at);
            let labels = clean_labels(&new.labels);
            // The request's number is known once it is inserted; the messages that name it are made then.
            let rows: Result<Vec<RequestRow>, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO requests \
                     (ambassador_id, department, region, round, text, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'new', $6) RETURNING id",
                    )
                    .bind(new.ambassador)
                    .bind(&new.department)
                    .bind(&new.region)
                    .bind(new.round)
                    .bind(&new.text)
                    .bind(created_at)
                    .fetch_one(&mut *tx)
                    .await?;
                    insert_labels!(pool, tx, id, labels);
                    let messages = notify(id);
                    let outbox =
                        outbox_rows(&messages).map_err(|e| sqlx::Error::Encode(e.into()))?;
                    queue_outbox!(pool, tx, outbox, created_at);
                    let rows = fetch_request!(&mut *tx, id).await?;
                    crate::error::commit(tx).await?;
                    Ok(rows)
                }
                .await
            });
            match rows {
                Ok(rows) => single(rows)?.ok_or_else(|| corrupt("a request just added".to_owned())),
                Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(match new.round {
                    Some(round) => format!(
                        "person {} already has a request from the round of {round}",
                        new.ambassador
                    ),
                    None => format!("a request like this one of person {}", new.ambassador),
                })),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("person {}", new.ambassador)))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn request(&self, id: RequestId) -> StoreResult<Option<Request>> {
        self.guarded(|| async move {
            let store = self;
            let rows: Vec<RequestRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(select_requests!(), " WHERE r.id = $1"))
                    .bind(id)
                    .fetch_all(pool)
                    .await
                    .db()?
            });
            single(rows)
        })
        .await
    }

    async fn requests(&self, filter: &RequestFilter) -> StoreResult<Vec<Request>> {
        self.guarded(|| async move {
            let store = self;
            let rows: Vec<RequestRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    select_requests!(),
                    " WHERE ($1 IS NULL OR r.ambassador_id = $1) \
                AND (NOT $2 OR r.status IN ($3, $4, $5))"
                ))
                .bind(filter.ambassador)
                .bind(filter.open_only)
                .bind(OPEN[0].as_str())
                .bind(OPEN[1].as_str())
                .bind(OPEN[2].as_str())
                .fetch_all(pool)
                .await
                .db()?
            });
            assemble(rows)
        })
        .await
    }

    async fn edit_request(
        &self,
        id: RequestId,
        text: &str,
        labels: &[String],
    ) -> StoreResult<bool> {
        self.guarded(|| async move {
            let store = self;
            let labels = clean_labels(labels);
            // Err(exists): nothing was edited; `exists` tells an unknown id from an answered one.
            let outcome: Result<(), bool> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    // The guard and the write in one statement: an answer committed meanwhile (which
                    // writes the same row first) is seen, and the edit then changes nothing.
                    let edited = sqlx::query(
                        "UPDATE requests SET text = $1 \
                 WHERE id = $2 AND status = 'new' AND first_answer_at IS NULL \
                   AND NOT EXISTS (SELECT 1 FROM request_messages m WHERE m.request_id = $2)",
                    )
                    .bind(text)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if edited == 0 {
                        let exists: bool = sqlx::query_scalar(
                            "SELECT EXISTS (SELECT 1 FROM requests WHERE id = $1)",
                        )
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                        tx.rollback().await?;
                        return Ok(Err(exists));
                    }
                    sqlx::query("DELETE FROM request_labels WHERE request_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    insert_labels!(pool, tx, id, labels);
                    crate::error::commit(tx).await?;
                    Ok::<_, sqlx::Error>(Ok(()))
                }
                .await
                .db()?
            });
            match outcome {
                Ok(()) => Ok(true),
                Err(true) => Ok(false),
                Err(false) => Err(no_request(id)),
            }
        })
        .await
    }

    async fn update_request(
        &self,
        id: RequestId,
        change: &RequestChange,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Request> {
        self.guarded(|| async move {
            let store = self;
            let now = to_micros(now);
            let outbox = outbox_rows(notices)?;
            let labels = clean_labels(&change.add_labels);
            let status = change.status.map(RequestStatus::as_str);
            let closes = change.status.is_some_and(|s| !s.is_open());
            // A status or an owner is an answer to the ambassador; labels and a note alone are not.
            let answers = change.status.is_some() || change.owner.is_some();
            let rows: Result<Option<Vec<RequestRow>>, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let updated = sqlx::query(
                        "UPDATE requests SET \
                     status = COALESCE($1, status), \
                     closed_at = CASE WHEN $1 IS NULL THEN closed_at \
                                      WHEN $2 AND status = $1 THEN COALESCE(closed_at, $3) \
                                      WHEN $2 THEN $3 ELSE NULL END, \
                     first_answer_at = CASE WHEN $4 THEN COALESCE(first_answer_at, $3) \
                                            ELSE first_answer_at END, \
                     owner_id = COALESCE($5, owner_id), \
                     note = COALESCE($6, note) \
                 WHERE id = $7",
                    )
                    .bind(status)
                    .bind(closes)
                    .bind(now)
                    .bind(answers)
                    .bind(change.owner)
                    .bind(change.note.as_deref())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if updated == 0 {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                    insert_labels!(pool, tx, id, labels);
                    queue_outbox!(pool, tx, outbox, now);
                    let rows = fetch_request!(&mut *tx, id).await?;
                    crate::error::commit(tx).await?;
                    Ok(Some(rows))
                }
                .await
            });
            match rows {
                Ok(Some(rows)) => single(rows)?.ok_or_else(|| no_request(id)),
                Ok(None) => Err(no_request(id)),
                Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound(format!(
                    "person {} (the owner of request {id})",
                    change.owner.unwrap_or_default()
                ))),
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn add_request_message(
        &self,
        id: RequestId,
        author: PersonId,
        from_office: bool,
        text: &str,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Request> {
        self.guarded(|| async move {
            let store = self;
            let now = to_micros(now);
            let outbox = outbox_rows(notices)?;
            let rows: Result<Option<Vec<RequestRow>>, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    // A write first, on the request's row even for the ambassador's own message: it
                    // locks the request, so an edit of its text cannot slip in beside the thread.
                    let updated = sqlx::query(
                        "UPDATE requests SET \
                     first_answer_at = CASE WHEN $1 THEN COALESCE(first_answer_at, $2) \
                                            ELSE first_answer_at END, \
                     status = CASE WHEN $1 AND status = 'new' THEN 'acknowledged' \
                                   ELSE status END \
                 WHERE id = $3",
                    )
                    .bind(from_office)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if updated == 0 {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                    sqlx::query(
                "INSERT INTO request_messages (request_id, author_id, from_office, text, at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(author)
            .bind(from_office)
            .bind(text)
            .bind(now)
            .execute(&mut *tx)
            .await?;
                    queue_outbox!(pool, tx, outbox, now);
                    let rows = fetch_request!(&mut *tx, id).await?;
                    crate::error::commit(tx).await?;
                    Ok(Some(rows))
                }
                .await
            });
            match rows {
                Ok(Some(rows)) => single(rows)?.ok_or_else(|| no_request(id)),
                Ok(None) => Err(no_request(id)),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("person {author}")))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn request_messages(&self, id: RequestId) -> StoreResult<Vec<RequestMessage>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<MessageRow> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT m.id, m.request_id, m.from_office, m.text, m.at, \
                    p.platform, p.external_id, p.display_name \
             FROM request_messages m JOIN people p ON p.id = m.author_id \
             WHERE m.request_id = $1",
                )
                .bind(id)
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.sort_unstable_by_key(|m| (m.at, m.id));
            rows.into_iter()
                .map(|m| {
                    Ok(RequestMessage {
                        request: m.request_id,
                        author: person_ref(&m.platform, m.external_id, m.display_name)?,
                        from_office: m.from_office,
                        text: m.text,
                        at: m.at,
                    })
                })
                .collect()
        })
        .await
    }
}
