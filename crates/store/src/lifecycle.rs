//! The ambassador's lifecycle: applications, nominations, terms on the roster, misuse reports,
//! kudos opt-outs, managers, the last sign of life of each ambassador and yearly renewals.
//!
//! Terms are written by the roster operations (see `roster.rs`), in their transactions; this module
//! only reads them.

use crate::error::{
    DbResultExt, corrupt, is_foreign_key_violation, is_unique_violation, to_store_error,
};
use crate::rows::{AmbassadorRow, PersonRow, ambassador_columns, optional_person_ref, person_ref};
use crate::scheduler::{outbox_rows, queue_outbox};
use crate::{SqlStore, to_micros};
use ambassador_core::{
    Application, ApplicationId, ApplicationStatus, Department, DepartmentId, LifecycleStore,
    MisuseReport, Nomination, Outgoing, Person, PersonId, RenewalAsk, ReportId, SignsOfLife,
    StoreError, StoreResult, Term,
};
use chrono::{DateTime, NaiveDate, Utc};

// ---------------------------------------------------------------- applications

/// Applications `ap` with their person `p` and department `d` (if any), in [`ApplicationRow`]'s
/// order; append a `WHERE` clause.
macro_rules! select_applications {
    () => {
        "SELECT ap.id AS application_id, ap.status AS application_status, ap.answers, \
                ap.created_at, ap.submitted_at, ap.decided_at, ap.reason, \
                p.id AS person_id, p.platform, p.external_id, p.display_name, \
                p.time_zone AS person_time_zone, p.time_zone_chosen AS person_time_zone_chosen, \
                d.id AS department_id, d.name AS department_name, d.region, d.headcount \
         FROM applications ap \
         JOIN people p ON p.id = ap.person_id \
         LEFT JOIN departments d ON d.id = ap.department_id"
    };
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    application_id: i64,
    application_status: String,
    answers: String,
    created_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    reason: Option<String>,
    person_id: i64,
    platform: String,
    external_id: String,
    display_name: String,
    person_time_zone: Option<String>,
    person_time_zone_chosen: bool,
    department_id: Option<i64>,
    department_name: Option<String>,
    region: Option<String>,
    headcount: Option<i64>,
}

impl ApplicationRow {
    fn into_application(self) -> StoreResult<Application> {
        let department = match (self.department_id, self.department_name, self.region) {
            (Some(id), Some(name), Some(region)) => Some(Department {
                id,
                name,
                region,
                headcount: headcount(self.headcount)?,
            }),
            _ => None,
        };
        Ok(Application {
            id: self.application_id,
            person: PersonRow {
                id: self.person_id,
                platform: self.platform,
                external_id: self.external_id,
                display_name: self.display_name,
                time_zone: self.person_time_zone,
                time_zone_chosen: self.person_time_zone_chosen,
            }
            .into_person()?,
            status: application_status(&self.application_status)?,
            answers: decode_answers(&self.answers)?,
            department,
            created_at: self.created_at,
            submitted_at: self.submitted_at,
            decided_at: self.decided_at,
            reason: self.reason,
        })
    }
}

fn headcount(value: Option<i64>) -> StoreResult<Option<u32>> {
    value
        .map(|n| u32::try_from(n).map_err(|_| corrupt(format!("headcount {n}"))))
        .transpose()
}

fn application_status(value: &str) -> StoreResult<ApplicationStatus> {
    value
        .parse()
        .map_err(|e: String| corrupt(format!("application status: {e}")))
}

fn decode_answers(json: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("application answers `{json}`: {e}")))
}

fn encode_answers(answers: &[String]) -> StoreResult<String> {
    serde_json::to_string(answers).map_err(|e| StoreError::Backend(Box::new(e)))
}

/// Every application status, in the order of the parameters that pick them.
const APPLICATION_STATUSES: [ApplicationStatus; 5] = [
    ApplicationStatus::Draft,
    ApplicationStatus::Open,
    ApplicationStatus::Approved,
    ApplicationStatus::Declined,
    ApplicationStatus::Withdrawn,
];

fn no_draft(id: ApplicationId) -> StoreError {
    StoreError::NotFound(format!("draft application {id}"))
}

/// The application `id`, read inside an open transaction or from the pool.
macro_rules! fetch_application {
    ($executor:expr, $id:expr) => {
        sqlx::query_as::<_, ApplicationRow>(concat!(select_applications!(), " WHERE ap.id = $1"))
            .bind($id)
            .fetch_one($executor)
    };
}

// ---------------------------------------------------------------- nominations

macro_rules! select_nominations {
    () => {
        "SELECT n.id, n.nominee_id, n.reason, n.created_at, n.closed_at, \
                e.platform AS nominee_platform, e.external_id AS nominee_external_id, \
                e.display_name AS nominee_display_name, \
                r.platform AS nominator_platform, r.external_id AS nominator_external_id, \
                r.display_name AS nominator_display_name \
         FROM nominations n \
         JOIN people e ON e.id = n.nominee_id \
         JOIN people r ON r.id = n.nominator_id"
    };
}

#[derive(sqlx::FromRow)]
struct NominationRow {
    id: i64,
    nominee_id: i64,
    reason: String,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    nominee_platform: String,
    nominee_external_id: String,
    nominee_display_name: String,
    nominator_platform: String,
    nominator_external_id: String,
    nominator_display_name: String,
}

impl NominationRow {
    fn into_nomination(self) -> StoreResult<Nomination> {
        Ok(Nomination {
            id: self.id,
            nominee: person_ref(
                &self.nominee_platform,
                self.nominee_external_id,
                self.nominee_display_name,
            )?,
            nominee_id: self.nominee_id,
            nominator: person_ref(
                &self.nominator_platform,
                self.nominator_external_id,
                self.nominator_display_name,
            )?,
            reason: self.reason,
            created_at: self.created_at,
            closed_at: self.closed_at,
        })
    }
}

// ---------------------------------------------------------------- terms

#[derive(sqlx::FromRow)]
struct TermRow {
    id: i64,
    /// The department's name and region when the term was recorded.
    department: String,
    region: String,
    since: NaiveDate,
    until: Option<NaiveDate>,
    /// The department as it is now; all NULL when it was removed.
    department_id: Option<i64>,
    department_name: Option<String>,
    department_region: Option<String>,
    headcount: Option<i64>,
}

// ---------------------------------------------------------------- misuse reports

macro_rules! select_reports {
    () => {
        "SELECT m.id, m.text, m.created_at, m.resolved_at, m.resolution, \
                r.platform AS reporter_platform, r.external_id AS reporter_external_id, \
                r.display_name AS reporter_display_name, \
                s.platform AS subject_platform, s.external_id AS subject_external_id, \
                s.display_name AS subject_display_name, \
                b.platform AS resolver_platform, b.external_id AS resolver_external_id, \
                b.display_name AS resolver_display_name \
         FROM misuse_reports m \
         JOIN people r ON r.id = m.reporter_id \
         JOIN people s ON s.id = m.subject_id \
         LEFT JOIN people b ON b.id = m.resolved_by_id"
    };
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    text: String,
    created_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    resolution: Option<String>,
    reporter_platform: String,
    reporter_external_id: String,
    reporter_display_name: String,
    subject_platform: String,
    subject_external_id: String,
    subject_display_name: String,
    resolver_platform: Option<String>,
    resolver_external_id: Option<String>,
    resolver_display_name: Option<String>,
}

impl ReportRow {
    fn into_report(self) -> StoreResult<MisuseReport> {
        let resolved_by = optional_person_ref(
            self.resolver_platform,
            self.resolver_external_id,
            self.resolver_display_name,
        )?;
        Ok(MisuseReport {
            id: self.id,
            reporter: person_ref(
                &self.reporter_platform,
                self.reporter_external_id,
                self.reporter_display_name,
            )?,
            subject: person_ref(
                &self.subject_platform,
                self.subject_external_id,
                self.subject_display_name,
            )?,
            text: self.text,
            created_at: self.created_at,
            resolved_at: self.resolved_at,
            resolved_by,
            resolution: self.resolution,
        })
    }
}

// ---------------------------------------------------------------- opt-outs and managers

// ---------------------------------------------------------------- signs of life

#[derive(sqlx::FromRow)]
struct LastActiveRow {
    #[sqlx(flatten)]
    ambassador: AmbassadorRow,
    last_checkin: Option<DateTime<Utc>>,
    last_activity: Option<DateTime<Utc>>,
    last_kudos: Option<DateTime<Utc>>,
    known_since: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------- renewals

impl LifecycleStore for SqlStore {
    async fn start_application(
        &self,
        person: PersonId,
        questions: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Application> {
        self.guarded(|| async move {
            let store = self;
            let answers = encode_answers(&vec![String::new(); questions as usize])?;
            let now = to_micros(now);
            let row: Result<ApplicationRow, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    // The partial unique index on (person_id) of draft and open applications refuses a
                    // second pending one, whoever commits first.
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO applications (person_id, status, answers, created_at) \
                 VALUES ($1, 'draft', $2, $3) RETURNING id",
                    )
                    .bind(person)
                    .bind(&answers)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    let row = fetch_application!(&mut *tx, id).await?;
                    crate::error::commit(tx).await?;
                    Ok(row)
                }
                .await
            });
            match row {
                Ok(row) => row.into_application(),
                Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                    "person {person} already has a draft or open application"
                ))),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("person {person}")))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn pending_application(&self, person: PersonId) -> StoreResult<Option<Application>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<ApplicationRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    select_applications!(),
                    " WHERE ap.person_id = $1 AND ap.status IN ('draft', 'open')"
                ))
                .bind(person)
                .fetch_optional(pool)
                .await
                .db()?
            });
            row.map(ApplicationRow::into_application).transpose()
        })
        .await
    }

    async fn set_application_answer(
        &self,
        id: ApplicationId,
        index: u32,
        text: &str,
    ) -> StoreResult<Application> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<ApplicationRow> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    // A write first: it locks the draft (PostgreSQL) or the database (SQLite) until the
                    // new answers are written, so concurrent answers never overwrite one another.
                    let answers: Option<String> = sqlx::query_scalar(
                        "UPDATE applications SET answers = answers \
                 WHERE id = $1 AND status = 'draft' RETURNING answers",
                    )
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(answers) = answers else {
                        return Ok(None);
                    };
                    let mut answers = match decode_answers(&answers) {
                        Ok(answers) => answers,
                        Err(e) => return Ok(Some(Err(e))),
                    };
                    let Some(slot) = answers.get_mut(index as usize) else {
                        return Ok(None);
                    };
                    text.clone_into(slot);
                    let answers = match encode_answers(&answers) {
                        Ok(answers) => answers,
                        Err(e) => return Ok(Some(Err(e))),
                    };
                    sqlx::query("UPDATE applications SET answers = $1 WHERE id = $2")
                        .bind(&answers)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let row = fetch_application!(&mut *tx, id).await?;
                    crate::error::commit(tx).await?;
                    Ok::<_, sqlx::Error>(Some(Ok(row)))
                }
                .await
                .db()?
                .transpose()?
            });
            match row {
                Some(row) => row.into_application(),
                None => Err(StoreError::NotFound(format!(
                    "answer {index} of draft application {id}"
                ))),
            }
        })
        .await
    }

    async fn submit_application(
        &self,
        id: ApplicationId,
        department: DepartmentId,
        now: DateTime<Utc>,
        outbox: &[Outgoing],
    ) -> StoreResult<Application> {
        self.guarded(|| async move {
            let store = self;
            let now = to_micros(now);
            let outbox = outbox_rows(outbox)?;
            let row: Result<Option<ApplicationRow>, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let updated = sqlx::query(
                "UPDATE applications SET status = 'open', department_id = $1, submitted_at = $2 \
                 WHERE id = $3 AND status = 'draft'",
            )
            .bind(department)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
                    if updated == 0 {
                        return Ok(None);
                    }
                    queue_outbox!(pool, tx, outbox, now);
                    let row = fetch_application!(&mut *tx, id).await?;
                    crate::error::commit(tx).await?;
                    Ok(Some(row))
                }
                .await
            });
            match row {
                Ok(Some(row)) => row.into_application(),
                Ok(None) => Err(no_draft(id)),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("department {department}")))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn decide_application(
        &self,
        id: ApplicationId,
        status: ApplicationStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
        outbox: &[Outgoing],
    ) -> StoreResult<Option<Application>> {
        self.guarded(|| async move {
            let store = self;
            let outbox = outbox_rows(outbox)?;
            // The statuses it may be decided from: `$2` and `$3` of the guard below.
            let from = match status {
                ApplicationStatus::Approved | ApplicationStatus::Declined => [Some("open"), None],
                ApplicationStatus::Withdrawn => [Some("draft"), Some("open")],
                ApplicationStatus::Draft | ApplicationStatus::Open => {
                    return Err(StoreError::Backend(
                        format!("an application is not decided as {}", status.as_str()).into(),
                    ));
                }
            };
            let reason = reason.filter(|_| status == ApplicationStatus::Declined);
            let now = to_micros(now);
            let row: Option<ApplicationRow> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let person: Option<i64> = sqlx::query_scalar(
                        "UPDATE applications SET status = $1, decided_at = $4, reason = $5 \
                 WHERE id = $6 AND status IN ($2, $3) RETURNING person_id",
                    )
                    .bind(status.as_str())
                    .bind(from[0])
                    .bind(from[1])
                    .bind(now)
                    .bind(reason)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(person) = person else {
                        return Ok(None);
                    };
                    sqlx::query(
                        "UPDATE nominations SET closed_at = $1 \
                 WHERE nominee_id = $2 AND closed_at IS NULL",
                    )
                    .bind(now)
                    .bind(person)
                    .execute(&mut *tx)
                    .await?;
                    queue_outbox!(pool, tx, outbox, now);
                    let row = fetch_application!(&mut *tx, id).await?;
                    crate::error::commit(tx).await?;
                    Ok::<_, sqlx::Error>(Some(row))
                }
                .await
                .db()?
            });
            row.map(ApplicationRow::into_application).transpose()
        })
        .await
    }

    async fn applications(&self, statuses: &[ApplicationStatus]) -> StoreResult<Vec<Application>> {
        self.guarded(|| async move {
            let store = self;
            if statuses.is_empty() {
                return Ok(Vec::new());
            }
            let rows: Vec<ApplicationRow> = with_pool!(store, |pool| {
                let mut query = sqlx::query_as(concat!(
                    select_applications!(),
                    " WHERE ap.status IN ($1, $2, $3, $4, $5)"
                ));
                for status in APPLICATION_STATUSES {
                    query = query.bind(statuses.contains(&status).then_some(status.as_str()));
                }
                query.fetch_all(pool).await.db()?
            });
            let mut applications = rows
                .into_iter()
                .map(ApplicationRow::into_application)
                .collect::<StoreResult<Vec<_>>>()?;
            // Submitted ones by submission; drafts (never submitted) by creation, among them.
            applications
                .sort_by_key(|a| (a.submitted_at.unwrap_or(a.created_at), a.created_at, a.id));
            Ok(applications)
        })
        .await
    }

    async fn add_nomination(
        &self,
        nominee: PersonId,
        nominator: PersonId,
        reason: &str,
        now: DateTime<Utc>,
        outbox: &[Outgoing],
    ) -> StoreResult<Nomination> {
        self.guarded(|| async move {
            let store = self;
            let now = to_micros(now);
            let outbox = outbox_rows(outbox)?;
            let row: Result<NominationRow, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO nominations (nominee_id, nominator_id, reason, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(nominee)
                    .bind(nominator)
                    .bind(reason)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    queue_outbox!(pool, tx, outbox, now);
                    let row = sqlx::query_as(concat!(select_nominations!(), " WHERE n.id = $1"))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    crate::error::commit(tx).await?;
                    Ok(row)
                }
                .await
            });
            match row {
                Ok(row) => row.into_nomination(),
                Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                    "person {nominator} already nominated person {nominee}"
                ))),
                Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound(format!(
                    "person among nominee {nominee} and nominator {nominator}"
                ))),
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn open_nominations(&self) -> StoreResult<Vec<Nomination>> {
        self.guarded(|| async move {
            let store = self;
            let rows: Vec<NominationRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(select_nominations!(), " WHERE n.closed_at IS NULL"))
                    .fetch_all(pool)
                    .await
                    .db()?
            });
            let mut nominations = rows
                .into_iter()
                .map(NominationRow::into_nomination)
                .collect::<StoreResult<Vec<_>>>()?;
            nominations.sort_by_key(|n| (n.created_at, n.id));
            Ok(nominations)
        })
        .await
    }

    async fn terms(&self, person: PersonId) -> StoreResult<Vec<Term>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<TermRow> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT t.id, t.department, t.region, t.since, t.until, \
                    d.id AS department_id, d.name AS department_name, \
                    d.region AS department_region, d.headcount \
             FROM ambassador_terms t \
             LEFT JOIN departments d ON d.id = t.department_id \
             WHERE t.person_id = $1",
                )
                .bind(person)
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.sort_by_key(|t| (t.since, t.id));
            rows.into_iter()
                .map(|t| {
                    // The department as it is now (renamed or moved, it is still the same one); once it
                    // is gone, as it was when the term was recorded, with no id (0).
                    let department = match (t.department_id, t.department_name, t.department_region)
                    {
                        (Some(id), Some(name), Some(region)) => Department {
                            id,
                            name,
                            region,
                            headcount: headcount(t.headcount)?,
                        },
                        _ => Department {
                            id: 0,
                            name: t.department,
                            region: t.region,
                            headcount: None,
                        },
                    };
                    Ok(Term {
                        department,
                        since: t.since,
                        until: t.until,
                    })
                })
                .collect()
        })
        .await
    }

    async fn departments_in_office_on(&self, day: NaiveDate) -> StoreResult<Vec<DepartmentId>> {
        self.guarded(|| async move {
            let store = self;
            Ok(with_pool!(store, |pool| {
                sqlx::query_scalar(
                    "SELECT DISTINCT t.department_id FROM ambassador_terms t \
                     JOIN departments d ON d.id = t.department_id \
                     WHERE t.since <= $1 AND (t.until IS NULL OR t.until > $1) \
                     ORDER BY t.department_id",
                )
                .bind(day)
                .fetch_all(pool)
                .await
                .db()?
            }))
        })
        .await
    }

    async fn add_report(
        &self,
        reporter: PersonId,
        subject: PersonId,
        text: &str,
        now: DateTime<Utc>,
        notify: &(dyn Fn(ReportId) -> Vec<Outgoing> + Send + Sync),
    ) -> StoreResult<MisuseReport> {
        self.guarded(|| async move {
            let store = self;
            let now = to_micros(now);
            // The report's number is known once it is inserted; the messages that name it are made then.
            let row: Result<ReportRow, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO misuse_reports (reporter_id, subject_id, text, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(reporter)
                    .bind(subject)
                    .bind(text)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    let messages = notify(id);
                    let outbox =
                        outbox_rows(&messages).map_err(|e| sqlx::Error::Encode(e.into()))?;
                    queue_outbox!(pool, tx, outbox, now);
                    let row = sqlx::query_as(concat!(select_reports!(), " WHERE m.id = $1"))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    crate::error::commit(tx).await?;
                    Ok(row)
                }
                .await
            });
            match row {
                Ok(row) => row.into_report(),
                Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound(format!(
                    "person among reporter {reporter} and subject {subject}"
                ))),
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn reports(&self, open_only: bool) -> StoreResult<Vec<MisuseReport>> {
        self.guarded(|| async move {
            let store = self;
            let rows: Vec<ReportRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    select_reports!(),
                    " WHERE NOT $1 OR m.resolved_at IS NULL"
                ))
                .bind(open_only)
                .fetch_all(pool)
                .await
                .db()?
            });
            let mut reports = rows
                .into_iter()
                .map(ReportRow::into_report)
                .collect::<StoreResult<Vec<_>>>()?;
            reports.sort_by_key(|r| (r.created_at, r.id));
            Ok(reports)
        })
        .await
    }

    async fn resolve_report(
        &self,
        id: ReportId,
        by: PersonId,
        note: Option<&str>,
        now: DateTime<Utc>,
        outbox: &[Outgoing],
    ) -> StoreResult<Option<MisuseReport>> {
        self.guarded(|| async move {
            let store = self;
            let now = to_micros(now);
            let outbox = outbox_rows(outbox)?;
            // Ok(Err(exists)): nothing was resolved; `exists` tells an unknown id from a resolved one.
            let outcome: Result<Result<ReportRow, bool>, sqlx::Error> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let updated = sqlx::query(
                "UPDATE misuse_reports SET resolved_at = $1, resolved_by_id = $2, resolution = $3 \
                 WHERE id = $4 AND resolved_at IS NULL",
            )
            .bind(now)
            .bind(by)
            .bind(note)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
                    if updated == 0 {
                        let exists: bool = sqlx::query_scalar(
                            "SELECT EXISTS (SELECT 1 FROM misuse_reports WHERE id = $1)",
                        )
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                        tx.rollback().await?;
                        return Ok(Err(exists));
                    }
                    queue_outbox!(pool, tx, outbox, now);
                    let row = sqlx::query_as(concat!(select_reports!(), " WHERE m.id = $1"))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    crate::error::commit(tx).await?;
                    Ok(Ok(row))
                }
                .await
            });
            match outcome {
                Ok(Ok(row)) => row.into_report().map(Some),
                Ok(Err(true)) => Ok(None),
                Ok(Err(false)) => Err(StoreError::NotFound(format!("misuse report {id}"))),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("person {by}")))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn set_kudos_optout(&self, person: PersonId, optout: bool) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let result: Result<_, sqlx::Error> = with_pool!(store, |pool| {
                if optout {
                    sqlx::query(
                        "INSERT INTO kudos_optouts (person_id) VALUES ($1) \
                 ON CONFLICT (person_id) DO NOTHING",
                    )
                    .bind(person)
                    .execute(pool)
                    .await
                    .map(drop)
                } else {
                    sqlx::query("DELETE FROM kudos_optouts WHERE person_id = $1")
                        .bind(person)
                        .execute(pool)
                        .await
                        .map(drop)
                }
            });
            match result {
                Ok(()) => Ok(()),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("person {person}")))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn kudos_optouts(&self) -> StoreResult<Vec<ambassador_core::Account>> {
        self.guarded(|| async move {
            let store = self;
            let rows: Vec<(String, String)> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT p.platform, p.external_id FROM kudos_optouts o \
             JOIN people p ON p.id = o.person_id",
                )
                .fetch_all(pool)
                .await
                .db()?
            });
            let mut accounts = rows
                .into_iter()
                .map(|(platform, id)| crate::rows::account(&platform, id))
                .collect::<StoreResult<Vec<ambassador_core::Account>>>()?;
            accounts.sort();
            Ok(accounts)
        })
        .await
    }

    async fn set_manager(&self, person: PersonId, manager: Option<PersonId>) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let result: Result<(), sqlx::Error> = with_pool!(store, |pool| {
                match manager {
                    Some(manager) => sqlx::query(
                        "INSERT INTO managers (person_id, manager_id) VALUES ($1, $2) \
                 ON CONFLICT (person_id) DO UPDATE SET manager_id = excluded.manager_id",
                    )
                    .bind(person)
                    .bind(manager)
                    .execute(pool)
                    .await
                    .map(drop),
                    None => sqlx::query("DELETE FROM managers WHERE person_id = $1")
                        .bind(person)
                        .execute(pool)
                        .await
                        .map(drop),
                }
            });
            match result {
                Ok(()) => Ok(()),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(match manager {
                        Some(manager) => format!("person among {person} and manager {manager}"),
                        None => format!("person {person}"),
                    }))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn manager(&self, person: PersonId) -> StoreResult<Option<Person>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<PersonRow> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT p.id, p.platform, p.external_id, p.display_name, p.time_zone, \
                    p.time_zone_chosen \
             FROM managers m JOIN people p ON p.id = m.manager_id \
             WHERE m.person_id = $1",
                )
                .bind(person)
                .fetch_optional(pool)
                .await
                .db()?
            });
            row.map(PersonRow::into_person).transpose()
        })
        .await
    }

    async fn last_active(&self, quiet_at: Option<DateTime<Utc>>) -> StoreResult<Vec<SignsOfLife>> {
        self.guarded(|| async move {
            let store = self;
            // One row per active ambassador; each latest instant is looked for among the person's own rows
            // only, found by an index led by the person (checkins_person_answered,
            // activities_author_happened_on, kudos_giver_given_at). Three columns rather than their
            // greatest: SQLite's max(a, b, c) is NULL when any of them is.
            let mut rows: Vec<LastActiveRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    ambassador_columns!(),
                    ", (SELECT MAX(c.answered_at) FROM checkins c \
                WHERE c.person_id = a.person_id) AS last_checkin, \
               (SELECT MAX(v.logged_at) FROM activities v \
                WHERE v.author_id = a.person_id) AS last_activity, \
               (SELECT MAX(k.given_at) FROM kudos k \
                WHERE k.giver_id = a.person_id) AS last_kudos, \
               a.known_since \
             FROM ambassadors a \
             JOIN people p ON p.id = a.person_id \
             JOIN departments d ON d.id = a.department_id \
             WHERE a.status = 'active' \
               AND ($1 IS NULL OR (\
                   NOT EXISTS (SELECT 1 FROM checkins c \
                               WHERE c.person_id = a.person_id AND c.answered_at > $1) \
                   AND NOT EXISTS (SELECT 1 FROM activities v \
                                   WHERE v.author_id = a.person_id AND v.logged_at > $1) \
                   AND NOT EXISTS (SELECT 1 FROM kudos k \
                                   WHERE k.giver_id = a.person_id AND k.given_at > $1) \
                   AND (a.known_since IS NULL OR a.known_since <= $1) \
                   AND a.since <= $2))"
                ))
                .bind(quiet_at.map(to_micros))
                .bind(quiet_at.map(|at| at.date_naive() + chrono::Days::new(1)))
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.sort_by_cached_key(|row| row.ambassador.order_key());
            rows.into_iter()
                .map(|row| {
                    let last_seen = [row.last_checkin, row.last_activity, row.last_kudos]
                        .into_iter()
                        .flatten()
                        .max();
                    Ok(SignsOfLife {
                        ambassador: row.ambassador.into_ambassador()?,
                        last_seen,
                        known_since: row.known_since,
                    })
                })
                .collect()
        })
        .await
    }

    async fn confirm_renewal(
        &self,
        person: PersonId,
        anniversary: NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let result: Result<u64, sqlx::Error> = with_pool!(store, |pool| {
                sqlx::query(
            "INSERT INTO renewals (person_id, anniversary, confirmed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (person_id, anniversary) DO NOTHING",
        )
        .bind(person)
        .bind(anniversary)
        .bind(to_micros(now))
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
            });
            match result {
                Ok(inserted) => Ok(inserted == 1),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("person {person}")))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn renewals_confirmed(
        &self,
        since: NaiveDate,
    ) -> StoreResult<Vec<(PersonId, NaiveDate)>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<(i64, NaiveDate)> = with_pool!(store, |pool| {
                sqlx::query_as(
                    "SELECT person_id, anniversary FROM renewals WHERE anniversary >= $1",
                )
                .bind(since)
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.sort_unstable();
            Ok(rows)
        })
        .await
    }

    async fn renewal_asks(&self, since: NaiveDate) -> StoreResult<Vec<RenewalAsk>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<(i64, NaiveDate, DateTime<Utc>)> = with_pool!(store, |pool| {
                sqlx::query_as(
            "SELECT person_id, anniversary, asked_at FROM renewal_asks WHERE anniversary >= $1",
        )
        .bind(since)
        .fetch_all(pool)
        .await
        .db()?
            });
            rows.sort_unstable();
            Ok(rows
                .into_iter()
                .map(|(person, anniversary, asked_at)| RenewalAsk {
                    person,
                    anniversary,
                    asked_at,
                })
                .collect())
        })
        .await
    }
}
