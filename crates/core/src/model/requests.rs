//! Requests: what an ambassador needs from the program office, from a check-in answer or
//! `ambassadors ask`, worked by the office (acknowledged, taken, answered, done or declined) in a
//! short thread private to the ambassador and the office.

use super::{PersonId, PersonRef, RoundId};
use chrono::{DateTime, Utc};
use std::str::FromStr;

pub type RequestId = i64;

/// Where a request stands. `new` → `acknowledged` → `in-progress` → `done` | `declined`; the office
/// may set any of them, and the first office answer of any kind acknowledges a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestStatus {
    New,
    Acknowledged,
    InProgress,
    Done,
    Declined,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::New,
        RequestStatus::Acknowledged,
        RequestStatus::InProgress,
        RequestStatus::Done,
        RequestStatus::Declined,
    ];

    /// The word stored and typed: `new`, `acknowledged`, `in-progress`, `done`, `declined`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::New => "new",
            RequestStatus::Acknowledged => "acknowledged",
            RequestStatus::InProgress => "in-progress",
            RequestStatus::Done => "done",
            RequestStatus::Declined => "declined",
        }
    }

    /// How people read it: `in progress` rather than `in-progress`.
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::InProgress => "in progress",
            other => other.as_str(),
        }
    }

    /// Still to be worked: new, acknowledged or in progress.
    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Done | RequestStatus::Declined)
    }
}

impl FromStr for RequestStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace(['_', ' '], "-").as_str() {
            "new" => Ok(RequestStatus::New),
            "acknowledged" | "ack" | "acked" | "read" | "seen" => Ok(RequestStatus::Acknowledged),
            "in-progress" | "progress" | "inprogress" | "working" | "started" => {
                Ok(RequestStatus::InProgress)
            }
            "done" | "resolved" | "closed" | "fixed" => Ok(RequestStatus::Done),
            "declined" | "decline" | "rejected" | "wontfix" | "won't-fix" => {
                Ok(RequestStatus::Declined)
            }
            other => Err(format!(
                "`{other}` is not a request status: new, acknowledged, in-progress, done or declined"
            )),
        }
    }
}

/// A request, with what the office did with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: RequestId,
    /// The ambassador who asked.
    pub ambassador: PersonRef,
    /// The department and region they represented when they asked (kept when they move).
    pub department: String,
    pub region: String,
    /// The check-in round the request came from; `None` for `ambassadors ask`.
    pub round: Option<RoundId>,
    pub text: String,
    pub status: RequestStatus,
    /// Who in the office works it (`ambassadors take N`).
    pub owner: Option<PersonRef>,
    /// `#tags` from the text and labels the office set, lowercase, sorted, each once.
    pub labels: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The office's first answer of any kind: a reply, taking it, or a status.
    pub first_answer_at: Option<DateTime<Utc>>,
    /// When it became done or declined (cleared when reopened).
    pub closed_at: Option<DateTime<Utc>>,
    /// The office's note with `done`, or the reason of `declined`.
    pub note: Option<String>,
    /// When it was listed to the office as waiting for a first answer (listed once).
    pub overdue_listed_at: Option<DateTime<Utc>>,
}

/// A request to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest {
    pub ambassador: PersonId,
    pub department: String,
    pub region: String,
    pub round: Option<RoundId>,
    pub text: String,
    pub labels: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// One message of a request's thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestMessage {
    pub request: RequestId,
    pub author: PersonRef,
    /// Written by the office (else by the request's ambassador).
    pub from_office: bool,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// What the office changes on a request. A status or an owner is an answer to the ambassador: it
/// sets `first_answer_at` when unset. Labels alone are the office's own filing, not an answer.
/// A status of done or declined sets `closed_at`; an open status clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestChange {
    pub status: Option<RequestStatus>,
    /// The new owner.
    pub owner: Option<PersonId>,
    /// The note (with done/declined); replaces the old one when set.
    pub note: Option<String>,
    /// Labels to add (lowercase, without `#`).
    pub add_labels: Vec<String>,
}

/// Which requests to read. Newest first (highest number first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only this ambassador's.
    pub ambassador: Option<PersonId>,
    /// Only new, acknowledged and in-progress ones.
    pub open_only: bool,
}
