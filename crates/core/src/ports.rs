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
    /// The database cannot do its job right now: its disk is full, it is read-only, its files
    /// cannot be read or written, or it cannot be reached. Nothing was changed by the failed call.
    #[error("{fault}: {source}")]
    Storage {
        fault: StorageFault,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("store failure: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What kind of [`StoreError::Storage`] fault: what an operator has to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageFault {
    /// The disk (or the database's size limit) is full: writes fail, reads work.
    DiskFull,
    /// The database (file, directory or server) accepts no writes.
    ReadOnly,
    /// The database's files cannot be read or written (an I/O error, a file too large, a lock).
    Io,
    /// The database server cannot be reached or dropped the connection.
    Unavailable,
}

impl StorageFault {
    /// True for the faults that make writes fail while reads may still work.
    pub fn blocks_writes(self) -> bool {
        matches!(
            self,
            StorageFault::DiskFull | StorageFault::ReadOnly | StorageFault::Io
        )
    }
}

impl std::fmt::Display for StorageFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageFault::DiskFull => "storage fault: the database's disk is full",
            StorageFault::ReadOnly => "storage fault: the database is read-only",
            StorageFault::Io => "storage fault: the database cannot read or write its files",
            StorageFault::Unavailable => "storage fault: the database is unavailable",
        })
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Persistent state of the program: the sum of one port per concern, each below. One implementation
/// per back-end (SQLite, PostgreSQL) and one in memory for tests (feature `testing`), all held to
/// the same conformance suite. Names are matched by [`name_key`] (case-, width- and space-insensitive).
/// Implement the concern traits; `Store` follows.
pub trait Store:
    PeopleStore
    + OrgStore
    + RosterStore
    + KudosStore
    + LifecycleStore
    + RequestStore
    + CheckinStore
    + AnnouncementStore
    + ActivityStore
    + SchedulerStore
    + OutboxStore
    + CoordinationStore
    + SignInStore
{
}

impl<T> Store for T where
    T: PeopleStore
        + OrgStore
        + RosterStore
        + KudosStore
        + LifecycleStore
        + RequestStore
        + CheckinStore
        + AnnouncementStore
        + ActivityStore
        + SchedulerStore
        + OutboxStore
        + CoordinationStore
        + SignInStore
{
}

/// People: one per platform account, with their time zone.
pub trait PeopleStore: Send + Sync + 'static {
    /// The person behind `account`, created on first sight. A changed non-empty display name is updated.
    /// The name is stored as given: callers clean it with [`crate::model::display_name`] first.
    fn ensure_person(
        &self,
        account: &Account,
        display_name: &str,
    ) -> impl Future<Output = StoreResult<Person>> + Send;
    fn find_person(
        &self,
        account: &Account,
    ) -> impl Future<Output = StoreResult<Option<Person>>> + Send;
    /// The known people among `accounts`, as [`find_person`](PeopleStore::find_person) gives them, each
    /// with their roster entry (any status, alumni included) as [`ambassador`](RosterStore::ambassador)
    /// gives it, in one read; in no particular order, unknown accounts left out.
    fn find_people_and_ambassadors(
        &self,
        accounts: &[Account],
    ) -> impl Future<Output = StoreResult<Vec<(Person, Option<Ambassador>)>>> + Send;
    /// Sets the person's time zone (an IANA name) and, when they are on the roster (any status),
    /// the zone their check-ins follow, in one transaction. `chosen`: the person chose it
    /// themselves; it is set (and the roster follows) even when unchanged, and marks the zone as
    /// their choice. Not `chosen` (a platform profile, an import): ignored when the person chose
    /// their zone or already has this one. True when it was set; `NotFound` for an unknown person.
    fn set_person_time_zone(
        &self,
        person: PersonId,
        time_zone: &str,
        chosen: bool,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// The org map: departments, their regions and headcounts.
pub trait OrgStore: Send + Sync + 'static {
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
    /// True when the store holds no department, no person and no kudos (a fresh database).
    fn is_empty(&self) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// The roster: who is an ambassador of which department, their status, coverage, and the roster
/// entry's own dates (known since, check-ins paused until).
pub trait RosterStore: Send + Sync + 'static {
    /// Puts `person` on the roster as active in `department`. An existing entry (any status) is
    /// replaced: new department, time zone and `since`, status active, `until` cleared.
    fn add_ambassador(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
    ) -> impl Future<Output = StoreResult<Ambassador>> + Send;
    /// [`add_ambassador`](RosterStore::add_ambassador), and `notices` queued in the outbox (as
    /// [`SchedulerStore::apply`] queues them, at `now`) in the same transaction.
    fn add_ambassador_notifying(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Ambassador>> + Send;
    /// `NotFound` when the person is not on the roster. Becoming alumni sets `until = on`;
    /// becoming active or paused clears it.
    fn set_ambassador_status(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
    ) -> impl Future<Output = StoreResult<Ambassador>> + Send;
    /// [`set_ambassador_status`](RosterStore::set_ambassador_status), and `notices` queued in the outbox
    /// at `now` in the same transaction (not when the person is not on the roster).
    fn set_ambassador_status_notifying(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
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
    /// ambassadors and paused count, ordered like [`OrgStore::departments`].
    fn coverage(
        &self,
        region: Option<&str>,
    ) -> impl Future<Output = StoreResult<Vec<DepartmentCoverage>>> + Send;
    /// How many departments have at least one active ambassador, and how many there are.
    fn coverage_counts(&self) -> impl Future<Output = StoreResult<(u32, u32)>> + Send;
    /// Records that the bot knows the roster entry of `person` since `at` (it was imported, added,
    /// approved): the first instant recorded stays. A new entry after
    /// [`RosterStore::remove_ambassador`] starts afresh. `NotFound` when the person is not on the roster.
    fn note_known_since(
        &self,
        person: PersonId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Pauses check-in prompts up to and including `until` (None: resume). `NotFound` when the
    /// person is not on the roster.
    fn set_checkins_paused_until(
        &self,
        person: PersonId,
        until: Option<NaiveDate>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The distinct time zones of active ambassadors, sorted.
    fn ambassador_time_zones(&self) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
}

/// Kudos: given, taken back, counted under the daily limit, read for digests and records.
pub trait KudosStore: Send + Sync + 'static {
    /// Records the kudos unless the giver has already given `daily_limit` kudos at or after
    /// `day_start`. Atomic: two concurrent calls never both pass the limit. `Conflict` when the
    /// giver already has a kudos from the same `source` (nothing recorded).
    fn record_kudos(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<KudosOutcome>> + Send;
    /// [`record_kudos`](KudosStore::record_kudos), and `notices` queued in the outbox (at the kudos'
    /// time) in the same transaction when the kudos is recorded; nothing over the limit.
    fn record_kudos_notifying(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> impl Future<Output = StoreResult<KudosOutcome>> + Send;
    /// Takes back the kudos `giver` gave from `source` (see [`NewKudos::source`]): deleted, so it
    /// counts nowhere any more, and returned. `None` when there is none (nothing changed). Atomic:
    /// of concurrent callers, at most one gets it.
    fn take_back_kudos(
        &self,
        giver: PersonId,
        source: &str,
    ) -> impl Future<Output = StoreResult<Option<Kudos>>> + Send;
    /// Kudos given in `[from, to)`, oldest first, receivers ordered by display name.
    fn kudos_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<Kudos>>> + Send;
    /// Kudos given in `[from, to)`: how many in all, and the newest `limit` of them, oldest first
    /// (receivers ordered by display name).
    fn kudos_latest(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<(u64, Vec<Kudos>)>> + Send;
    /// Kudos given in `[from, to)` tallied per person: how many each received and gave (a kudos
    /// naming several people counts once for its giver and once for each receiver). People who
    /// opted out ([`LifecycleStore::set_kudos_optout`]) are left out; so is anyone with neither. Ordered by
    /// display name.
    fn kudos_tally(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<KudosTally>>> + Send;
    /// Kudos given in `[from, to)` counted by the region of their receivers' roster entries
    /// (alumni included); a kudos counts once in each region among its receivers; receivers not
    /// on the roster count under the region "". Ordered by region key ("" first).
    fn kudos_by_region(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<(String, u64)>>> + Send;
    /// The recognition figures of `[bounds[0], bounds[last])` (`bounds` ascending, at least
    /// two): kudos per period between consecutive bounds, tags, departments of the receivers, and
    /// the `top` most generous and most thanked people. Counted in the database: the dashboard's
    /// recognition page reads these instead of every kudos.
    fn kudos_figures(
        &self,
        bounds: &[DateTime<Utc>],
        top: u32,
    ) -> impl Future<Output = StoreResult<KudosFigures>> + Send;
    /// Kudos the person received, oldest first (receivers ordered by display name).
    fn kudos_received(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<Vec<Kudos>>> + Send;
    /// How many kudos the person received and gave.
    fn kudos_counts(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<(u32, u32)>> + Send;
}

/// An ambassador's life in the program: applications, nominations, terms, misuse reports, kudos
/// opt-outs, managers, signs of life and renewals.
pub trait LifecycleStore: Send + Sync + 'static {
    /// Starts a draft application for `person` with `questions` empty answers. `Conflict` when the
    /// person already has a draft or open one (atomic: two concurrent calls never both succeed).
    fn start_application(
        &self,
        person: PersonId,
        questions: u32,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Application>> + Send;
    /// The person's draft or open application, if any.
    fn pending_application(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<Option<Application>>> + Send;
    /// Sets answer `index` (0-based) of a draft application. `NotFound` when there is no such draft
    /// or the index is out of range.
    fn set_application_answer(
        &self,
        id: ApplicationId,
        index: u32,
        text: &str,
    ) -> impl Future<Output = StoreResult<Application>> + Send;
    /// Draft → open, for `department`, submitted at `now`. `NotFound` when it is not a draft.
    /// `notices` (the office's) are queued in the outbox in the same transaction.
    fn submit_application(
        &self,
        id: ApplicationId,
        department: DepartmentId,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> impl Future<Output = StoreResult<Application>> + Send;
    /// Decides a pending application: `Approved` and `Declined` only from open, `Withdrawn` from
    /// draft or open (`reason` kept for a decline). `None` when it was no longer in such a status (a
    /// second office member decided first): nothing changed. Deciding also closes the open
    /// nominations of the applicant, and queues `notices` in the outbox, in the same transaction
    /// (neither when nothing changed).
    fn decide_application(
        &self,
        id: ApplicationId,
        status: ApplicationStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> impl Future<Output = StoreResult<Option<Application>>> + Send;
    /// Applications in any of `statuses`, oldest first (by submission, then creation).
    fn applications(
        &self,
        statuses: &[ApplicationStatus],
    ) -> impl Future<Output = StoreResult<Vec<Application>>> + Send;
    /// Records a nomination. `Conflict` when this nominator already has an open nomination of
    /// this nominee. `notices` are queued in the outbox in the same transaction.
    fn add_nomination(
        &self,
        nominee: PersonId,
        nominator: PersonId,
        reason: &str,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> impl Future<Output = StoreResult<Nomination>> + Send;
    /// Open nominations, oldest first.
    fn open_nominations(&self) -> impl Future<Output = StoreResult<Vec<Nomination>>> + Send;
    /// The person's terms on the roster, oldest first. Every [`RosterStore::add_ambassador`] opens a term
    /// (closing the previous open one on the new term's first day); becoming alumni closes it on
    /// that day; [`RosterStore::remove_ambassador`] (a correction) deletes the open term.
    fn terms(&self, person: PersonId) -> impl Future<Output = StoreResult<Vec<Term>>> + Send;
    /// The departments (those that still exist) with an ambassador in office on `day`: a term
    /// that began on or before it and had not ended by it (`until` after it, or open), ascending.
    fn departments_in_office_on(
        &self,
        day: NaiveDate,
    ) -> impl Future<Output = StoreResult<Vec<DepartmentId>>> + Send;
    /// Records a misuse report, and queues the messages `notify` makes for its number in the
    /// outbox, in the same transaction.
    fn add_report(
        &self,
        reporter: PersonId,
        subject: PersonId,
        text: &str,
        now: DateTime<Utc>,
        notify: &(dyn Fn(ReportId) -> Vec<Outgoing> + Send + Sync),
    ) -> impl Future<Output = StoreResult<MisuseReport>> + Send;
    /// Misuse reports, oldest first; only unresolved ones when `open_only`.
    fn reports(
        &self,
        open_only: bool,
    ) -> impl Future<Output = StoreResult<Vec<MisuseReport>>> + Send;
    /// Marks a report resolved. `NotFound` for an unknown id; `None` when it was already resolved
    /// (nothing changed). `notices` are queued in the outbox in the same transaction when it
    /// was resolved now.
    fn resolve_report(
        &self,
        id: ReportId,
        by: PersonId,
        note: Option<&str>,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> impl Future<Output = StoreResult<Option<MisuseReport>>> + Send;
    /// Whether the person is left out of digests and leaderboards.
    fn set_kudos_optout(
        &self,
        person: PersonId,
        optout: bool,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The accounts of everyone who opted out, ordered.
    fn kudos_optouts(&self) -> impl Future<Output = StoreResult<Vec<Account>>> + Send;
    /// Sets (or clears) a person's manager.
    fn set_manager(
        &self,
        person: PersonId,
        manager: Option<PersonId>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn manager(&self, person: PersonId)
    -> impl Future<Output = StoreResult<Option<Person>>> + Send;
    /// Every active ambassador with the instant of their latest sign of life (a check-in answer,
    /// an activity logged, kudos given) and when the bot first knew them (see
    /// [`RosterStore::note_known_since`]). Ordered like [`RosterStore::roster`]. With `quiet_at`,
    /// only those with no sign of life after it, not first known after it, and whose term began
    /// no later than the day after it (UTC): everyone quiet since `quiet_at`, whatever the time
    /// zone their term's first day is counted in, and perhaps a few whose term began that day or
    /// the next (the caller decides those). Counted in the database: it leaves the others unread.
    fn last_active(
        &self,
        quiet_at: Option<DateTime<Utc>>,
    ) -> impl Future<Output = StoreResult<Vec<SignsOfLife>>> + Send;
    /// Records that the person confirmed the term year that began on `anniversary`. True the first
    /// time, false when already confirmed.
    fn confirm_renewal(
        &self,
        person: PersonId,
        anniversary: NaiveDate,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Confirmations of anniversaries on or after `since`: (person, anniversary).
    fn renewals_confirmed(
        &self,
        since: NaiveDate,
    ) -> impl Future<Output = StoreResult<Vec<(PersonId, NaiveDate)>>> + Send;
    /// Renewal asks sent about anniversaries on or after `since` (recorded by
    /// [`Effects::renewal_asks`]), ordered by person and anniversary.
    fn renewal_asks(
        &self,
        since: NaiveDate,
    ) -> impl Future<Output = StoreResult<Vec<RenewalAsk>>> + Send;
}

/// Requests: what ambassadors need from the program office, and the conversation about each.
pub trait RequestStore: Send + Sync + 'static {
    /// Records a request, and queues the messages `notify` makes for its number in the outbox,
    /// in the same transaction. `NotFound` for an unknown ambassador; `Conflict` when this
    /// ambassador already has a request from the same check-in round (`round` set).
    fn add_request(
        &self,
        new: &NewRequest,
        notify: &(dyn Fn(RequestId) -> Vec<Outgoing> + Send + Sync),
    ) -> impl Future<Output = StoreResult<Request>> + Send;
    /// One request; `None` when there is no such number.
    fn request(&self, id: RequestId) -> impl Future<Output = StoreResult<Option<Request>>> + Send;
    /// Requests matching `filter`, newest first.
    fn requests(
        &self,
        filter: &RequestFilter,
    ) -> impl Future<Output = StoreResult<Vec<Request>>> + Send;
    /// Replaces the text and labels of a request nobody has answered yet (status new, no
    /// `first_answer_at`, no thread): the ambassador edited the check-in it came from. `false` when
    /// it was answered meanwhile (nothing changed); `NotFound` for an unknown id.
    fn edit_request(
        &self,
        id: RequestId,
        text: &str,
        labels: &[String],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Applies the office's `change` at `now` (see [`RequestChange`]) and queues `notices` in the
    /// same transaction. `NotFound` for an unknown id.
    fn update_request(
        &self,
        id: RequestId,
        change: &RequestChange,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> impl Future<Output = StoreResult<Request>> + Send;
    /// Adds a message to a request's thread and queues `notices` in the same transaction. A
    /// message from the office is an answer: it sets `first_answer_at` when unset and makes a new
    /// request acknowledged. `NotFound` for an unknown request or author.
    fn add_request_message(
        &self,
        id: RequestId,
        author: PersonId,
        from_office: bool,
        text: &str,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> impl Future<Output = StoreResult<Request>> + Send;
    /// A request's thread, oldest first.
    fn request_messages(
        &self,
        id: RequestId,
    ) -> impl Future<Output = StoreResult<Vec<RequestMessage>>> + Send;
}

/// Check-ins: each ambassador's answer to each round.
pub trait CheckinStore: Send + Sync + 'static {
    /// Takes the person out of the rounds still open at `now` (`closes_at > now`) that they have
    /// not answered or skipped: status `open` becomes `paused`. Returns those rounds, oldest first.
    fn pause_open_checkins(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<RoundId>>> + Send;
    /// The person's check-in that still takes answers at `now`: `closes_at > now` and status open,
    /// answered or skipped; the newest round when several.
    fn current_checkin(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Option<Checkin>>> + Send;
    /// Appends `text` to the answer (joined with a newline), or replaces it when `replace`. A
    /// non-empty answer makes the status `answered` and sets `answered_at` the first time.
    /// `NotFound` when there is no such check-in.
    fn write_checkin_answer(
        &self,
        round: RoundId,
        person: PersonId,
        text: &str,
        replace: bool,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Checkin>> + Send;
    /// `NotFound` when there is no such check-in.
    fn set_checkin_status(
        &self,
        round: RoundId,
        person: PersonId,
        status: CheckinStatus,
    ) -> impl Future<Output = StoreResult<Checkin>> + Send;
    /// Check-ins matching the filter with their ambassador (roster entry, alumni included), newest
    /// round first, then by region key, department name key and display name.
    fn checkins(
        &self,
        filter: &CheckinFilter,
    ) -> impl Future<Output = StoreResult<Vec<CheckinEntry>>> + Send;
    /// The check-ins of the rounds from `from_round` on, of ambassadors in `region` (by name key;
    /// all when `None`), counted per round and region as `/ambassadors checkins` counts them (the
    /// same check-ins as [`checkins`](CheckinStore::checkins) reads): for each round a row of the
    /// whole scope (`region: None`, with the median time to answer) and one per region. Ordered
    /// by round, the whole scope first, then by region key.
    fn round_figures(
        &self,
        from_round: RoundId,
        region: Option<&str>,
    ) -> impl Future<Output = StoreResult<Vec<RoundFigures>>> + Send;
}

/// Announcements from the program office and who acknowledged them.
pub trait AnnouncementStore: Send + Sync + 'static {
    /// Announcements created at or after `since`, newest first.
    fn announcements(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<Announcement>>> + Send;
    /// The recipients of these announcements with their roster entries (alumni included;
    /// recipients no longer on the roster are left out), ordered by announcement, then region
    /// key, department name key, display name.
    fn announcement_recipients(
        &self,
        announcements: &[AnnouncementId],
    ) -> impl Future<Output = StoreResult<Vec<AnnouncementRecipient>>> + Send;
    /// Announcements `person` received and has not acknowledged, newest first.
    fn open_announcements(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<Vec<Announcement>>> + Send;
    /// Records that `person` acknowledged the announcement (the first time only) and, with
    /// `shared`, that they shared it (the first time only). `NotFound` when they did not receive it.
    fn acknowledge_announcement(
        &self,
        announcement: AnnouncementId,
        person: PersonId,
        shared: bool,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Recipients not acknowledged and not reminded of announcements created before `before`.
    fn announcement_reminders_due(
        &self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<(Announcement, AnnouncementRecipient)>>> + Send;
}

/// The activity log: what ambassadors did, with tags and audience.
pub trait ActivityStore: Send + Sync + 'static {
    fn add_activity(
        &self,
        activity: &NewActivity,
    ) -> impl Future<Output = StoreResult<Activity>> + Send;
    /// Replaces text, tags, audience and day of an activity of `author`. `NotFound` when there is
    /// no such activity of theirs.
    fn update_activity(
        &self,
        id: ActivityId,
        author: PersonId,
        activity: &NewActivity,
    ) -> impl Future<Output = StoreResult<Activity>> + Send;
    /// `NotFound` when there is no such activity of `author`.
    fn delete_activity(
        &self,
        id: ActivityId,
        author: PersonId,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn activity(
        &self,
        id: ActivityId,
    ) -> impl Future<Output = StoreResult<Option<Activity>>> + Send;
    /// Activities matching the filter with their author's roster entry (alumni included; authors
    /// no longer on the roster are left out), newest day first, then newest id first.
    fn activities(
        &self,
        filter: &ActivityFilter,
    ) -> impl Future<Output = StoreResult<Vec<ActivityEntry>>> + Send;
}

/// The scheduler: occurrences committed once with their effects, job cursors, digest snapshots.
pub trait SchedulerStore: Send + Sync + 'static {
    /// Claims `(job, occurrence)` and applies `effects` in one transaction. `Ok(false)` when the
    /// occurrence was already claimed (done or skipped) by anyone: then nothing is written. Two
    /// concurrent callers (threads, processes, replicas) never both get `true`.
    fn commit_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
        effects: &Effects,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Records `(job, occurrence)` as skipped unless it is claimed already; `Ok(false)` then.
    fn skip_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Claimed occurrences in `[from, to)`, ordered by occurrence then job.
    fn job_runs(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<JobRun>>> + Send;
    /// Up to when the scheduler has looked at `job` (None: never).
    fn scheduler_cursor(
        &self,
        job: &str,
    ) -> impl Future<Output = StoreResult<Option<DateTime<Utc>>>> + Send;
    /// Moves the cursor of `job` to `until`; never moves it back.
    fn advance_scheduler_cursor(
        &self,
        job: &str,
        until: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Applies effects without a claim (decisions of commands), in one transaction.
    fn apply(
        &self,
        effects: &Effects,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The newest digest snapshot with `occurrence < before`.
    fn last_digest_snapshot(
        &self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Option<DigestSnapshot>>> + Send;
}

/// The outbox: every message to someone other than the caller, claimed, sent, retried or failed.
pub trait OutboxStore: Send + Sync + 'static {
    /// Leases up to `limit` pending items for these platforms whose `next_attempt_at <= now` and
    /// whose lease (if any) ran out, ordered by `next_attempt_at` then id: they are not handed out
    /// again until `now + lease`, so a dispatcher that dies leaves them to another after the lease.
    fn claim_outbox(
        &self,
        platforms: &[Platform],
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<OutboxItem>>> + Send;
    /// Marks an item sent (and releases its lease).
    fn outbox_sent(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Puts an item back for a later attempt at `next_attempt_at`, releasing its lease; a failed
    /// attempt (`count_attempt`) increments `attempts`. `error` becomes `last_error`.
    fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
        count_attempt: bool,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Gives up on an item (dead letter), counting the attempt.
    fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Items with these statuses (all when empty), oldest first.
    fn outbox_items(
        &self,
        statuses: &[OutboxStatus],
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<OutboxItem>>> + Send;
    fn outbox_stats(&self) -> impl Future<Output = StoreResult<OutboxStats>> + Send;
}

/// Coordination between replicas: leases and inbound events seen.
pub trait CoordinationStore: Send + Sync + 'static {
    /// Takes or renews the lease `name` for `holder` until `now + ttl`. `Ok(true)` when the lease
    /// was free, when its holder let it run out (`expires_at <= now`), or when `holder` holds it
    /// already (a renewal); `Ok(false)` while another holder's lease runs. Atomic: two concurrent
    /// callers (threads, processes, replicas) never both get `true` for a running lease.
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Gives the lease `name` up when `holder` holds it (`Ok(true)`), so another may take it at
    /// once; `Ok(false)` when someone else holds it or nobody does.
    fn release_lease(
        &self,
        name: &str,
        holder: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Who holds the lease `name` at `now`, and until when; `None` when it is free or ran out.
    fn lease_holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Option<(String, DateTime<Utc>)>>> + Send;
    /// Remembers an inbound event `key` (e.g. Slack's `event_id`) seen at `now`: `Ok(true)` the
    /// first time, `Ok(false)` when the key was remembered less than a day before `now`. Atomic:
    /// of concurrent callers with one key, exactly one gets `true`. Keys older than a day count as
    /// new again, and their rows are deleted now and then.
    fn remember_event(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Signing in to the web dashboard from chat: one-time links and the sessions they start. Tokens
/// are made by the store (random, at least 128 bits, URL-safe) and kept only as hashes; the plain
/// token is returned once, to be sent or set as a cookie.
pub trait SignInStore: Send + Sync + 'static {
    /// Makes a one-time sign-in link for `person`, valid from `now` until `now + valid_for`; its
    /// token.
    fn issue_sign_in_link(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
        valid_for: chrono::Duration,
    ) -> impl Future<Output = StoreResult<String>> + Send;
    /// Uses the link `token` at `now` and, when it is good, starts a session for its person in the
    /// same step. Atomic: of two concurrent uses of one link, exactly one signs in.
    fn redeem_sign_in_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<SignIn>> + Send;
    /// The person of the session `token` when it was last used less than `idle` before `now`
    /// (then it counts as used at `now`); `None` for an unknown, ended or idle session.
    fn session_person(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> impl Future<Output = StoreResult<Option<Person>>> + Send;
    /// Ends the session `token` (signing out); nothing when there is none.
    fn end_session(&self, token: &str) -> impl Future<Output = StoreResult<()>> + Send;
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

impl std::fmt::Display for Destination {
    /// `dm:slack:U012AB3CD` or `matrix:!room:example.org`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Direct(a) => write!(f, "dm:{a}"),
            Destination::Room { platform, id } => write!(f, "{platform}:{id}"),
        }
    }
}

impl std::str::FromStr for Destination {
    type Err = String;
    /// `platform:room` (a channel) or `dm:platform:id` (a person).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(account) = s.trim().strip_prefix("dm:") {
            return Ok(Destination::Direct(account.parse()?));
        }
        let a: Account = s.parse().map_err(|_| {
            format!("`{s}` is not a channel: write platform:room, e.g. slack:C0123ABCD, matrix:!abc:example.org or console:general")
        })?;
        Ok(Destination::Room {
            platform: a.platform,
            id: a.id,
        })
    }
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

/// The console's clock: the real time shifted by an offset that `:clock` moves, or, once frozen,
/// a fixed instant that only `:clock` moves (deterministic scenarios).
#[derive(Debug, Default)]
pub struct SimClock {
    state: std::sync::Mutex<SimState>,
}

#[derive(Debug, Default)]
struct SimState {
    offset: chrono::Duration,
    frozen: Option<DateTime<Utc>>,
}

impl SimClock {
    /// Follows the real clock.
    pub fn real() -> Self {
        SimClock::default()
    }
    /// Stands still at `at` until moved.
    pub fn frozen(at: DateTime<Utc>) -> Self {
        let clock = SimClock::default();
        clock.state.lock().unwrap_or_else(|e| e.into_inner()).frozen = Some(at);
        clock
    }
    /// Moves the clock to `at` (frozen clocks stay frozen there).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match s.frozen {
            Some(_) => s.frozen = Some(at),
            None => s.offset = at - Utc::now(),
        }
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.frozen.unwrap_or_else(|| Utc::now() + s.offset)
    }
}

impl<T: Clock> Clock for std::sync::Arc<T> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// Every store port at once, for code that calls a concrete store's methods (a test, the binary's
/// wiring): `use ambassador_core::store_ports::*;`. Generic code names the ports it needs, or
/// [`Store`] for all of them.
pub mod store_ports {
    pub use super::{
        ActivityStore, AnnouncementStore, CheckinStore, CoordinationStore, KudosStore,
        LifecycleStore, OrgStore, OutboxStore, PeopleStore, RequestStore, RosterStore,
        SchedulerStore, SignInStore, Store,
    };
}
