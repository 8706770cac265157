//! The scheduler's records: what a decision writes (effects), how occurrences ended, what the
//! digest remembers.

use super::*;
use crate::ports::Outgoing;
use chrono::{DateTime, NaiveDate, Utc};

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
    /// Requests listed to the office now as waiting for a first answer (sets
    /// `overdue_listed_at` at the commit's instant where unset).
    pub requests_listed: Vec<super::RequestId>,
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
