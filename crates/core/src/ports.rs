//! The ports the program needs from the outside world: a store and a clock.

use crate::model::*;
use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;

/// Why a store call failed. Callers branch on the first variants; `Backend` is anything else.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Conflict(String),
    /// A department still has ambassadors (active or paused) and cannot be removed.
    #[error("department still has {0} ambassador(s)")]
    HasAmbassadors(u32),
    #[error("store failure: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Persistent state of the program. One implementation per back-end (SQLite, PostgreSQL), all held to
/// the same conformance suite. Names are matched by [`name_key`] (case-, width- and space-insensitive).
pub trait Store: Send + Sync + 'static {
    // ---- people ----

    /// The person behind `account`, created on first sight. A changed non-empty display name is updated.
    fn ensure_person(
        &self,
        account: &Account,
        display_name: &str,
    ) -> impl Future<Output = StoreResult<Person>> + Send;
    fn find_person(
        &self,
        account: &Account,
    ) -> impl Future<Output = StoreResult<Option<Person>>> + Send;
    fn set_person_time_zone(
        &self,
        person: PersonId,
        time_zone: Option<&str>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    // ---- org map ----

    /// `Conflict` when a department with the same name key exists.
    fn add_department(
        &self,
        department: &NewDepartment,
    ) -> impl Future<Output = StoreResult<Department>> + Send;
    /// `Conflict` when another department has the new name key; `NotFound` for an unknown id.
    fn rename_department(
        &self,
        id: DepartmentId,
        new_name: &str,
    ) -> impl Future<Output = StoreResult<Department>> + Send;
    fn set_department_region(
        &self,
        id: DepartmentId,
        region: &str,
    ) -> impl Future<Output = StoreResult<Department>> + Send;
    fn set_headcount(
        &self,
        id: DepartmentId,
        headcount: Option<u32>,
    ) -> impl Future<Output = StoreResult<Department>> + Send;
    /// Refused with `HasAmbassadors` while active or paused ambassadors belong to it (checked atomically);
    /// alumni entries of the department are deleted with it.
    fn remove_department(&self, id: DepartmentId) -> impl Future<Output = StoreResult<()>> + Send;
    /// All departments, ordered by region key then name key.
    fn departments(&self) -> impl Future<Output = StoreResult<Vec<Department>>> + Send;
    fn department_by_name(
        &self,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<Department>>> + Send;

    // ---- roster ----

    /// Puts `person` on the roster as active in `department`. An existing entry (any status) is
    /// replaced: new department, time zone and `since`, status active, `until` cleared.
    fn add_ambassador(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
    ) -> impl Future<Output = StoreResult<Ambassador>> + Send;
    /// `NotFound` when the person is not on the roster. Becoming alumni sets `until = on`;
    /// becoming active or paused clears it.
    fn set_ambassador_status(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
    ) -> impl Future<Output = StoreResult<Ambassador>> + Send;
    /// Deletes the roster entry (the person stays). `NotFound` when absent.
    fn remove_ambassador(&self, person: PersonId) -> impl Future<Output = StoreResult<()>> + Send;
    fn ambassador(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<Option<Ambassador>>> + Send;
    /// Roster entries matching the filter, ordered by region key, department name key, display name.
    fn roster(
        &self,
        filter: &RosterFilter,
    ) -> impl Future<Output = StoreResult<Vec<Ambassador>>> + Send;
    /// Every department (of one region when `region` is given, matched by name key) with its active
    /// ambassadors and paused count, ordered like [`Store::departments`].
    fn coverage(
        &self,
        region: Option<&str>,
    ) -> impl Future<Output = StoreResult<Vec<DepartmentCoverage>>> + Send;

    // ---- kudos ----

    /// Records the kudos unless the giver has already given `daily_limit` kudos at or after
    /// `day_start`. Atomic: two concurrent calls never both pass the limit.
    fn record_kudos(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<KudosOutcome>> + Send;
    /// Kudos given in `[from, to)`, oldest first, receivers ordered by display name.
    fn kudos_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<Kudos>>> + Send;

    /// True when the store holds no department, no person and no kudos (a fresh database).
    fn is_empty(&self) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Where the program reads the time. The real clock in production; a settable one in tests.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that shows whatever it was set to; for tests and simulations.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(std::sync::Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where an outgoing message goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Destination {
    /// The direct conversation with this person (found or created by the adapter).
    Direct(Account),
    /// A room or channel, by the platform's own id (`C0123…` on Slack, `!abc:server` on Matrix,
    /// a room name in the console).
    Room { platform: Platform, id: String },
}

impl Destination {
    pub fn platform(&self) -> Platform {
        match self {
            Destination::Direct(a) => a.platform,
            Destination::Room { platform, .. } => *platform,
        }
    }
}

/// A message on its way out, with the key that makes a re-send recognizable (a Matrix transaction
/// id is derived from it; the outbox stores each key once).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outgoing {
    pub key: String,
    pub to: Destination,
    pub message: crate::message::Message,
}

/// Why a send failed, as the outbox needs to know it.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The platform asked to slow down (Slack 429 + Retry-After, Matrix M_LIMIT_EXCEEDED).
    #[error("rate limited, retry after {0:?}")]
    RateLimited(std::time::Duration),
    /// Worth retrying later: network trouble, a 5xx, a timeout.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying will not help: unknown user, no permission, a message the platform refuses.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// A platform that can deliver messages: what the outbox dispatcher sends through. Each adapter
/// implements it; tests use fakes.
pub trait Messenger: Send + Sync + 'static {
    fn platform(&self) -> Platform;
    /// Delivers one message. Must be safe to call again with the same `key` after an unknown
    /// outcome: where the platform supports it (Matrix transaction ids), the key makes the re-send
    /// a no-op.
    fn send(&self, message: &Outgoing) -> impl Future<Output = Result<(), SendError>> + Send;
}
