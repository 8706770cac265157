//! [`MemoryStore`]: the [`Store`](crate::Store) in memory, for tests (feature `testing`).
//!
//! Held to the same conformance suite as SQLite and PostgreSQL (`crates/store/tests/conformance`):
//! the SQL store's behaviour is the contract, and this store copies it, orderings, errors and
//! notices included. The state is plain collections behind one [`Mutex`]; every operation locks
//! it, does all of its work and unlocks, so each operation is atomic (the daily kudos limit, one
//! pending application, leases, outbox claims, events remembered once). An operation that can fail
//! checks everything first and writes only once nothing can fail any more, so a refused call
//! changes nothing, like a rolled-back transaction. Instants are cut to microseconds as the SQL
//! store cuts them. Each concern's port is implemented in its own module, like the SQL store's.

mod activity;
mod announcements;
mod checkins;
mod coordination;
mod kudos;
mod lifecycle;
mod org;
mod outbox;
mod people;
mod requests;
mod roster;
mod scheduler;
mod signin;

use crate::model::*;
use crate::ports::{Outgoing, StoreError};
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// The whole store in memory. Cheap to clone: clones share the state, like clones of a SQL store
/// share its pool.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store (a fresh database).
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// The state, locked for one whole operation. A panic in another test thread holding the lock
    /// leaves the state as it was written: it is used as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `at` as the SQL store keeps it: cut to microseconds.
pub(crate) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// The next id of each table: ids start at 1 and are never handed out twice.
#[derive(Debug, Default)]
struct Ids {
    person: i64,
    department: i64,
    term: i64,
    kudos: i64,
    application: i64,
    nomination: i64,
    report: i64,
    outbox: i64,
    announcement: i64,
    activity: i64,
    request: i64,
    request_message: i64,
}

fn next(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

/// A roster entry as stored (the person and department are looked up when read).
#[derive(Clone, Debug)]
struct Entry {
    department: DepartmentId,
    status: AmbassadorStatus,
    since: NaiveDate,
    until: Option<NaiveDate>,
    time_zone: String,
    checkins_paused_until: Option<NaiveDate>,
    known_since: Option<DateTime<Utc>>,
}

/// A term on the roster; the department's name and region as they were when it was recorded,
/// and its id until the department is removed.
#[derive(Clone, Debug)]
struct TermRow {
    id: i64,
    person: PersonId,
    department_id: Option<DepartmentId>,
    department: String,
    region: String,
    since: NaiveDate,
    until: Option<NaiveDate>,
}

#[derive(Clone, Debug)]
struct KudosRow {
    giver: PersonId,
    /// Sorted, each once.
    receivers: Vec<PersonId>,
    reason: String,
    /// Space-separated, as the SQL store keeps them.
    tags: String,
    room: String,
    given_at: DateTime<Utc>,
    source: Option<String>,
}

#[derive(Clone, Debug)]
struct ApplicationRow {
    person: PersonId,
    status: ApplicationStatus,
    answers: Vec<String>,
    department: Option<DepartmentId>,
    created_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    reason: Option<String>,
}

#[derive(Clone, Debug)]
struct NominationRow {
    nominee: PersonId,
    nominator: PersonId,
    reason: String,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
struct ReportRow {
    reporter: PersonId,
    subject: PersonId,
    text: String,
    created_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    resolved_by: Option<PersonId>,
    resolution: Option<String>,
}

#[derive(Clone, Debug)]
struct OutboxRow {
    item: OutboxItem,
    /// A dispatcher holds the item until then.
    locked_until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
struct AnnouncementRow {
    key: String,
    author: PersonId,
    text: String,
    audience: String,
    created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default)]
struct Receipt {
    acked_at: Option<DateTime<Utc>>,
    shared_at: Option<DateTime<Utc>>,
    reminded_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
struct ActivityRow {
    author: PersonId,
    text: String,
    /// Space-separated, as the SQL store keeps them.
    tags: String,
    audience: Option<u32>,
    on: NaiveDate,
    logged_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
struct RequestRow {
    ambassador: PersonId,
    department: String,
    region: String,
    round: Option<RoundId>,
    text: String,
    status: RequestStatus,
    owner: Option<PersonId>,
    labels: BTreeSet<String>,
    created_at: DateTime<Utc>,
    first_answer_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    note: Option<String>,
    overdue_listed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
struct MessageRow {
    id: i64,
    request: RequestId,
    author: PersonId,
    from_office: bool,
    text: String,
    at: DateTime<Utc>,
}

/// Every table of the SQL schema, as collections.
#[derive(Debug, Default)]
struct State {
    ids: Ids,
    people: BTreeMap<PersonId, Person>,
    accounts: HashMap<Account, PersonId>,
    departments: BTreeMap<DepartmentId, Department>,
    roster: BTreeMap<PersonId, Entry>,
    terms: Vec<TermRow>,
    kudos: BTreeMap<KudosId, KudosRow>,
    optouts: BTreeSet<PersonId>,
    managers: BTreeMap<PersonId, PersonId>,
    applications: BTreeMap<ApplicationId, ApplicationRow>,
    nominations: BTreeMap<NominationId, NominationRow>,
    reports: BTreeMap<ReportId, ReportRow>,
    renewals: BTreeMap<(PersonId, NaiveDate), DateTime<Utc>>,
    renewal_asks: BTreeMap<(PersonId, NaiveDate), DateTime<Utc>>,
    checkins: BTreeMap<(RoundId, PersonId), Checkin>,
    job_runs: BTreeMap<(String, DateTime<Utc>), JobRun>,
    cursors: HashMap<String, DateTime<Utc>>,
    snapshots: BTreeMap<DateTime<Utc>, DigestSnapshot>,
    outbox: BTreeMap<i64, OutboxRow>,
    outbox_keys: HashMap<String, i64>,
    announcements: BTreeMap<AnnouncementId, AnnouncementRow>,
    recipients: BTreeMap<(AnnouncementId, PersonId), Receipt>,
    activities: BTreeMap<ActivityId, ActivityRow>,
    requests: BTreeMap<RequestId, RequestRow>,
    request_messages: Vec<MessageRow>,
    leases: HashMap<String, (String, DateTime<Utc>)>,
    seen_events: HashMap<String, DateTime<Utc>>,
    /// Sign-in links by token: person, expires at, used.
    sign_in_links: HashMap<String, (PersonId, DateTime<Utc>, bool)>,
    /// Dashboard sessions by token: person, last seen.
    sessions: HashMap<String, (PersonId, DateTime<Utc>)>,
    /// Tokens handed out so far (tokens here are counters, not secrets: this is a test store).
    tokens: u64,
}

impl State {
    fn person_exists(&self, id: PersonId) -> bool {
        self.people.contains_key(&id)
    }

    fn person_ref(&self, id: PersonId) -> PersonRef {
        self.people
            .get(&id)
            .map(Person::as_ref)
            .expect("a person referenced by a row exists (the store keeps its references)")
    }

    /// The roster entry of `person` with its person and department.
    fn ambassador(&self, person: PersonId) -> Option<Ambassador> {
        let entry = self.roster.get(&person)?;
        Some(Ambassador {
            person: self.people.get(&person)?.clone(),
            department: self.departments.get(&entry.department)?.clone(),
            status: entry.status,
            since: entry.since,
            until: entry.until,
            time_zone: entry.time_zone.clone(),
            checkins_paused_until: entry.checkins_paused_until,
        })
    }

    /// Queues `notices` in the outbox as pending at `at`; a key queued already is left as it is.
    fn queue_outbox(&mut self, notices: &[Outgoing], at: DateTime<Utc>) {
        let at = to_micros(at);
        for outgoing in notices {
            if self.outbox_keys.contains_key(&outgoing.key) {
                continue;
            }
            let id = next(&mut self.ids.outbox);
            self.outbox_keys.insert(outgoing.key.clone(), id);
            self.outbox.insert(
                id,
                OutboxRow {
                    item: OutboxItem {
                        id,
                        outgoing: outgoing.clone(),
                        status: OutboxStatus::Pending,
                        attempts: 0,
                        next_attempt_at: at,
                        last_error: None,
                        created_at: at,
                        sent_at: None,
                    },
                    locked_until: None,
                },
            );
        }
    }
}

/// The order people are listed in: case-insensitively by display name, then exactly, then by
/// account (the SQL store's `by_display_name`).
fn by_display_name(a: &PersonRef, b: &PersonRef) -> Ordering {
    a.display_name
        .to_lowercase()
        .cmp(&b.display_name.to_lowercase())
        .then_with(|| a.display_name.cmp(&b.display_name))
        .then_with(|| a.account.cmp(&b.account))
}

/// The order of departments: region key, name key, id.
fn department_order(d: &Department) -> (String, String, DepartmentId) {
    (name_key(&d.region), name_key(&d.name), d.id)
}

/// The order of the roster: region key, department name key, display name (case-insensitively,
/// then exactly), then ids.
fn roster_order(a: &Ambassador) -> (String, String, DepartmentId, String, String, PersonId) {
    (
        name_key(&a.department.region),
        name_key(&a.department.name),
        a.department.id,
        a.person.display_name.to_lowercase(),
        a.person.display_name.clone(),
        a.person.id,
    )
}

/// Tags as the SQL store gives them back: written space-separated, read split on whitespace.
fn split_tags(tags: &str) -> Vec<String> {
    tags.split_whitespace().map(str::to_owned).collect()
}

fn not_found(what: impl Into<String>) -> StoreError {
    StoreError::NotFound(what.into())
}

fn not_on_roster(person: PersonId) -> StoreError {
    not_found(format!("person {person} on the roster"))
}
