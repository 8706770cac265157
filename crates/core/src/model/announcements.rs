//! Announcements from the program office to ambassadors, with their recipients and what each did
//! with them (acknowledged or not).

use super::{Ambassador, DepartmentId, PersonId, PersonRef};
use chrono::{DateTime, Utc};

pub type AnnouncementId = i64;

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
