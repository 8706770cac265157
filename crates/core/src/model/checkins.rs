//! Check-in rounds and answers.

use super::*;
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

/// Check-ins counted by what became of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckinCounts {
    pub prompted: u32,
    pub answered: u32,
    pub skipped: u32,
    /// Taken out of their round by a pause: not expected to answer.
    pub paused: u32,
}

impl CheckinCounts {
    /// Counts one check-in: the one place where a check-in's status decides how it counts.
    pub fn add(&mut self, status: CheckinStatus) {
        self.prompted += 1;
        match status {
            CheckinStatus::Answered => self.answered += 1,
            CheckinStatus::Skipped => self.skipped += 1,
            CheckinStatus::Paused => self.paused += 1,
            CheckinStatus::Open | CheckinStatus::Missed => {}
        }
    }

    /// Counts the check-ins `other` counted (another round's, another region's) too.
    pub fn add_all(&mut self, other: CheckinCounts) {
        self.prompted += other.prompted;
        self.answered += other.answered;
        self.skipped += other.skipped;
        self.paused += other.paused;
    }

    /// Check-ins expected to be answered: prompted − skipped − paused.
    pub fn expected(&self) -> u32 {
        self.prompted
            .saturating_sub(self.skipped)
            .saturating_sub(self.paused)
    }
}

/// One round's check-ins counted by what became of them, for one region of the ambassadors'
/// roster entries or for the whole scope asked for (the counting of
/// `/ambassadors checkins`, done where the check-ins are kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundFigures {
    pub round: RoundId,
    /// The region (its least spelling); `None` for the whole scope.
    pub region: Option<String>,
    pub counts: CheckinCounts,
    /// When the last of these check-ins closes: the round is open until then.
    pub last_closes_at: DateTime<Utc>,
    /// The median time from prompt to answer of the answered ones (of an even number, the later
    /// of the two middle ones); only on the rows of the whole scope.
    pub median_to_answer: Option<chrono::Duration>,
}
