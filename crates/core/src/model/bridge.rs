//! The bridge both ways: announcements from the office to ambassadors (acknowledged), and the
//! activity log of what ambassadors did.

use super::{Ambassador, DepartmentId, PersonId, PersonRef};
use chrono::{DateTime, NaiveDate, Utc};

pub type AnnouncementId = i64;
pub type ActivityId = i64;

/// Who an announcement is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnnouncementScope {
    All,
    /// A region, by name key.
    Region(String),
    Department(DepartmentId),
}

/// An announcement about to be sent, with its recipients (active ambassadors in scope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAnnouncement {
    /// Unique; also the stem of its outbox keys.
    pub key: String,
    pub author: PersonId,
    pub text: String,
    /// How the audience reads: "all ambassadors", "EMEA", "Platform Engineering".
    pub audience: String,
    pub created_at: DateTime<Utc>,
    pub recipients: Vec<PersonId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub id: AnnouncementId,
    pub key: String,
    pub author: PersonRef,
    pub text: String,
    pub audience: String,
    pub created_at: DateTime<Utc>,
}

/// One recipient of an announcement and what they did with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnouncementRecipient {
    pub announcement: AnnouncementId,
    pub ambassador: Ambassador,
    pub acked_at: Option<DateTime<Utc>>,
    /// When they said they shared it with their department.
    pub shared_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
}

/// An activity as an ambassador logs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewActivity {
    pub author: PersonId,
    pub text: String,
    /// Normalized tags, without `#`.
    pub tags: Vec<String>,
    /// How many people it reached, when said.
    pub audience: Option<u32>,
    /// The day it happened.
    pub on: NaiveDate,
    pub logged_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    pub id: ActivityId,
    pub author: PersonId,
    pub text: String,
    pub tags: Vec<String>,
    pub audience: Option<u32>,
    pub on: NaiveDate,
    pub logged_at: DateTime<Utc>,
}

/// An activity with its author's roster entry (alumni included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityEntry {
    pub activity: Activity,
    pub ambassador: Ambassador,
}

/// Which activities to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Happened on or after this day.
    pub from: Option<NaiveDate>,
    /// Happened on or before this day.
    pub to: Option<NaiveDate>,
    pub author: Option<PersonId>,
}
