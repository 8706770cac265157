//! The activity log: what ambassadors did (talks, workshops, office hours), with its audience.

use super::{Ambassador, PersonId};
use chrono::{DateTime, NaiveDate, Utc};

pub type ActivityId = i64;

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
