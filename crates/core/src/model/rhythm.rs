//! The program's rhythm: check-in rounds, scheduled jobs, the outbox, digest snapshots.

use super::PersonId;
use crate::ports::Outgoing;
use chrono::{DateTime, NaiveDate, Utc};
use std::str::FromStr;

/// A check-in round is named by the local date its prompts go out on (every ambassador is prompted
/// on that date in their own time zone).
pub type RoundId = NaiveDate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckinStatus {
    /// Prompted, not answered yet.
    Open,
    Answered,
    /// The ambassador skipped this round.
    Skipped,
    /// The round closed without an answer.
    Missed,
    /// A pause (by the ambassador or the office) that began while the round was open took them out
    /// of it: no reminder, not missed.
    Paused,
}

impl CheckinStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckinStatus::Open => "open",
            CheckinStatus::Answered => "answered",
            CheckinStatus::Skipped => "skipped",
            CheckinStatus::Missed => "missed",
            CheckinStatus::Paused => "paused",
        }
    }
}

impl FromStr for CheckinStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(CheckinStatus::Open),
            "answered" => Ok(CheckinStatus::Answered),
            "skipped" => Ok(CheckinStatus::Skipped),
            "missed" => Ok(CheckinStatus::Missed),
            "paused" => Ok(CheckinStatus::Paused),
            other => Err(format!("unknown check-in status `{other}`")),
        }
    }
}

/// One ambassador's part in one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkin {
    pub round: RoundId,
    pub person: PersonId,
    pub status: CheckinStatus,
    pub prompted_at: DateTime<Utc>,
    /// When the round closes for this ambassador (answers are taken until then).
    pub closes_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    /// The answer so far ('' when none); several messages are joined by newlines.
    pub answer: String,
    /// When the first answer came.
    pub answered_at: Option<DateTime<Utc>>,
    /// Whether this round's silence was reported to the program office.
    pub flagged: bool,
}

/// A check-in to open when a prompt goes out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCheckin {
    pub round: RoundId,
    pub person: PersonId,
    pub prompted_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

/// A check-in with who gave it, for the office's views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckinEntry {
    pub checkin: Checkin,
    pub ambassador: super::Ambassador,
}

/// Which check-ins to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckinFilter {
    /// Rounds on or after this date.
    pub from_round: Option<RoundId>,
    /// Rounds on or before this date.
    pub to_round: Option<RoundId>,
    pub person: Option<PersonId>,
    /// Only these statuses (all when empty).
    pub statuses: Vec<CheckinStatus>,
    /// Only check-ins with a non-empty answer.
    pub answered_only: bool,
}

/// Coverage as the digest remembers it, to say how it changed since the last digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestSnapshot {
    pub occurrence: DateTime<Utc>,
    pub departments_covered: u32,
    pub departments_total: u32,
}

/// Everything one decision writes, applied atomically together with the claim of its occurrence
/// (or on its own for a command).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Messages to send; a key already in the outbox is not queued again.
    pub outbox: Vec<Outgoing>,
    /// Check-ins to open; one that exists already is left as it is.
    pub open_checkins: Vec<NewCheckin>,
    /// Check-ins reminded now (sets `reminded_at`).
    pub reminded: Vec<(RoundId, PersonId)>,
    /// Open check-ins that closed unanswered (status `open` → `missed`; others unchanged).
    pub missed: Vec<(RoundId, PersonId)>,
    /// Check-ins whose silence was reported to the office (sets `flagged`).
    pub flagged: Vec<(RoundId, PersonId)>,
    pub digest_snapshot: Option<DigestSnapshot>,
    /// An announcement to create with its recipients (one with the same key exists already: left
    /// as it is).
    pub announcement: Option<super::NewAnnouncement>,
    /// Announcement recipients reminded now (sets `reminded_at`).
    pub announcement_reminded: Vec<(super::AnnouncementId, PersonId)>,
    /// Yearly renewal asks sent now: (person, anniversary of the term year asked about), recorded
    /// as asked at the commit's instant (an ask recorded already keeps its first instant).
    pub renewal_asks: Vec<(PersonId, NaiveDate)>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        *self == Effects::default()
    }
}

/// How a scheduled occurrence ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobRunStatus {
    Done,
    /// Found too late (past the grace window) and not run.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRun {
    pub job: String,
    pub occurrence: DateTime<Utc>,
    pub status: JobRunStatus,
    pub ran_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    Pending,
    Sent,
    /// Given up on (dead letter): too many attempts or a permanent failure.
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

/// A row of the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub outgoing: Outgoing,
    pub status: OutboxStatus,
    /// Failed attempts so far (rate-limit answers do not count).
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Outbox depth, for `ambassador-bot outbox` and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxStats {
    pub pending: u64,
    pub failed: u64,
    pub sent: u64,
    pub oldest_pending: Option<DateTime<Utc>>,
}
