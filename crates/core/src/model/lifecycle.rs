//! The ambassador's lifecycle: applications, nominations, terms, misuse reports, renewals.

use super::{Department, Kudos, Person, PersonId, PersonRef};
use chrono::{DateTime, NaiveDate, Utc};
use std::str::FromStr;

pub type ApplicationId = i64;
pub type NominationId = i64;
pub type ReportId = i64;

/// Where an application is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    /// Being written: the applicant answers the questions one at a time in a direct conversation.
    Draft,
    /// Submitted, waiting for the program office.
    Open,
    Approved,
    Declined,
    Withdrawn,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "draft",
            ApplicationStatus::Open => "open",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Declined => "declined",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }

    /// Draft or open: a person has at most one such application.
    pub fn is_pending(self) -> bool {
        matches!(self, ApplicationStatus::Draft | ApplicationStatus::Open)
    }
}

impl FromStr for ApplicationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(ApplicationStatus::Draft),
            "open" => Ok(ApplicationStatus::Open),
            "approved" => Ok(ApplicationStatus::Approved),
            "declined" => Ok(ApplicationStatus::Declined),
            "withdrawn" => Ok(ApplicationStatus::Withdrawn),
            other => Err(format!("unknown application status `{other}`")),
        }
    }
}

/// An application to become an ambassador.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub id: ApplicationId,
    pub person: Person,
    pub status: ApplicationStatus,
    /// The answers to the application questions so far, in order ('' not yet answered).
    pub answers: Vec<String>,
    /// The department applied for (asked last).
    pub department: Option<Department>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The office's reason when declined.
    pub reason: Option<String>,
}

/// A member's suggestion that someone become an ambassador.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nomination {
    pub id: NominationId,
    pub nominee: PersonRef,
    pub nominee_id: PersonId,
    pub nominator: PersonRef,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    /// Set when the nominee's application was decided (or the nominee withdrew).
    pub closed_at: Option<DateTime<Utc>>,
}

/// One term on the roster: from `since` to `until` (open while it lasts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub department: Department,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// An active ambassador with the facts the inactivity ladder counts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignsOfLife {
    pub ambassador: super::Ambassador,
    /// Their latest sign of life: a check-in answer, an activity logged, kudos given (None: none).
    pub last_seen: Option<DateTime<Utc>>,
    /// When the bot first knew this roster entry (first start, import, add, approval); None when
    /// it was never recorded.
    pub known_since: Option<DateTime<Utc>>,
}

/// A yearly renewal ask the bot sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenewalAsk {
    pub person: PersonId,
    /// The anniversary that began the term year asked about.
    pub anniversary: NaiveDate,
    pub asked_at: DateTime<Utc>,
}

/// A private report of misuse of the ambassador title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MisuseReport {
    pub id: ReportId,
    pub reporter: PersonRef,
    pub subject: PersonRef,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<PersonRef>,
    pub resolution: Option<String>,
}

/// What a person's record in the program holds: what a performance review can use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRecord {
    pub terms: Vec<Term>,
    /// The person's check-ins: the response rate of their closed rounds, and the open ones.
    pub checkins: crate::program::ResponseRate,
    /// Kudos received, oldest first.
    pub kudos_received: Vec<Kudos>,
    /// How many kudos the person gave.
    pub kudos_given: u32,
    /// The time zone in use: the roster entry's (check-ins follow it), else the person's own;
    /// `None` when neither is set (the program's zone applies).
    pub time_zone: Option<String>,
    /// The activities the person logged as ambassador, newest first.
    pub activities: Vec<super::Activity>,
}
