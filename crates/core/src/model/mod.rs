//! Domain types: people and their platform accounts, the org map, the roster, kudos.

mod activity;
mod announcements;
mod checkins;
mod lifecycle;
mod names;
mod outbox;
mod requests;
mod scheduling;

pub use activity::*;
pub use announcements::*;
pub use checkins::*;
pub use lifecycle::*;
pub use names::{
    NAME_MAX, NameProblem, clean_name, closest, display_name, name_key, quote_back, sanitize_text,
};
pub use outbox::*;
pub use requests::*;
pub use scheduling::*;

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;
use std::str::FromStr;

/// A chat platform the bot talks on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Console,
    Slack,
    Matrix,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Console, Platform::Slack, Platform::Matrix];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Slack => "slack",
            Platform::Matrix => "matrix",
        }
    }

    /// How commands start on the platform: `!` on Matrix (Element takes `/` for its own
    /// commands), `/` elsewhere.
    pub fn command_prefix(self) -> char {
        match self {
            Platform::Matrix => '!',
            Platform::Slack | Platform::Console => '/',
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "console" => Ok(Platform::Console),
            "slack" => Ok(Platform::Slack),
            "matrix" => Ok(Platform::Matrix),
            other => Err(format!(
                "unknown platform `{other}` (expected console, slack or matrix)"
            )),
        }
    }
}

/// A person's identity on one platform: `slack:U012AB3CD`, `matrix:@ada:example.org`, `console:ada`.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub struct Account {
    pub platform: Platform,
    pub id: String,
}

impl Account {
    /// `template` (such as `ambassadors help`) as a command written on this account's platform.
    pub fn command(&self, template: &str) -> String {
        format!("{}{template}", self.platform.command_prefix())
    }

    pub fn new(platform: Platform, id: impl Into<String>) -> Self {
        Account {
            platform,
            id: id.into(),
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.id)
    }
}

impl From<Account> for String {
    fn from(a: Account) -> String {
        a.to_string()
    }
}

impl TryFrom<String> for Account {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for Account {
    type Err = String;
    /// `platform:id`; the id may itself contain colons (Matrix ids do).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (platform, id) = s.trim().split_once(':').ok_or_else(|| {
            format!("`{s}` is not an account: write platform:id, e.g. slack:U012AB3CD or matrix:@ada:example.org")
        })?;
        let platform: Platform = platform.parse()?;
        if id.trim().is_empty() {
            return Err(format!("`{s}` has an empty id"));
        }
        Ok(Account::new(platform, id.trim()))
    }
}

pub type PersonId = i64;
pub type DepartmentId = i64;
pub type KudosId = i64;

/// Someone the bot knows: one platform account, a display name, maybe a time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub account: Account,
    pub display_name: String,
    /// An IANA time zone name, when known.
    pub time_zone: Option<String>,
    /// Whether the person chose `time_zone` themselves (`ambassadors timezone`, the application):
    /// then it wins over a zone from elsewhere (a platform profile, an import).
    pub time_zone_chosen: bool,
}

impl Person {
    pub fn as_ref(&self) -> PersonRef {
        PersonRef {
            account: self.account.clone(),
            display_name: self.display_name.clone(),
        }
    }
}

/// How a message names a person: enough for every adapter to render a mention.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct PersonRef {
    pub account: Account,
    pub display_name: String,
}

/// A department of the organization, in one region, with an optional headcount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    pub region: String,
    pub headcount: Option<u32>,
}

/// What the program office writes to add a department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDepartment {
    pub name: String,
    pub region: String,
    pub headcount: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmbassadorStatus {
    Active,
    Paused,
    Alumni,
}

impl AmbassadorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AmbassadorStatus::Active => "active",
            AmbassadorStatus::Paused => "paused",
            AmbassadorStatus::Alumni => "alumni",
        }
    }
}

impl FromStr for AmbassadorStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(AmbassadorStatus::Active),
            "paused" => Ok(AmbassadorStatus::Paused),
            "alumni" => Ok(AmbassadorStatus::Alumni),
            other => Err(format!("unknown ambassador status `{other}`")),
        }
    }
}

/// One person's place on the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambassador {
    pub person: Person,
    pub department: Department,
    pub status: AmbassadorStatus,
    /// The day the current term began.
    pub since: NaiveDate,
    /// The day the term ended (set when they become alumni).
    pub until: Option<NaiveDate>,
    /// The IANA time zone the ambassador's check-ins follow.
    pub time_zone: String,
    /// No check-in prompts up to and including this day (vacation).
    pub checkins_paused_until: Option<NaiveDate>,
}

/// Which part of the roster to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RosterFilter {
    /// Only this region (matched by [`name_key`]).
    pub region: Option<String>,
    pub department: Option<DepartmentId>,
    pub include_alumni: bool,
    /// Only ambassadors whose check-ins follow this time zone (exact IANA name).
    pub time_zone: Option<String>,
    /// Only this status (overrides `include_alumni`).
    pub status: Option<AmbassadorStatus>,
    /// Only these people (by account); empty: no restriction.
    pub accounts: Vec<Account>,
    /// Only entries whose term began (`since`) or ended (`until`) in `(from, to]`.
    pub changed_between: Option<(NaiveDate, NaiveDate)>,
}

/// A department with the people who cover it, as the coverage report needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentCoverage {
    pub department: Department,
    /// Active ambassadors, sorted by display name.
    pub active: Vec<PersonRef>,
    /// How many of its ambassadors are paused.
    pub paused: u32,
}

/// Kudos about to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewKudos {
    pub giver: PersonId,
    /// One or more receivers, without duplicates.
    pub receivers: Vec<PersonId>,
    pub reason: String,
    /// Normalized tags (lower case, without `#`).
    pub tags: Vec<String>,
    pub given_at: DateTime<Utc>,
    /// Where it was given (room or channel name/id).
    pub room: String,
    /// The gesture that gave it, when undoing that gesture takes it back (a reaction:
    /// `slack:reaction:<channel>:<ts>`); `None` for `/kudos`. One per giver and source.
    pub source: Option<String>,
}

/// Recorded kudos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kudos {
    pub id: KudosId,
    pub giver: PersonRef,
    pub receivers: Vec<PersonRef>,
    pub reason: String,
    pub tags: Vec<String>,
    pub given_at: DateTime<Utc>,
    pub room: String,
}

/// One person's kudos in a period, for the leaderboard. The unit: one kudos naming several people
/// counts once for its giver (given) and once for each receiver (received).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KudosTally {
    pub person: PersonRef,
    pub received: u64,
    pub given: u64,
}

/// The recognition figures of a period, counted where the kudos are kept (see
/// [`KudosStore::kudos_figures`](crate::ports::KudosStore::kudos_figures)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KudosFigures {
    /// Kudos given in each period between two consecutive bounds.
    pub per_period: Vec<u64>,
    /// Each tag and how many times kudos carried it, by tag.
    pub tags: Vec<(String, u64)>,
    /// Per department of the receivers' roster entries (alumni included): a kudos counts once in
    /// each department among its receivers. By department id.
    pub departments: Vec<(Department, u64)>,
    /// Per region of the receivers' roster entries, as
    /// [`KudosStore::kudos_by_region`](crate::ports::KudosStore::kudos_by_region) counts them.
    pub regions: Vec<(String, u64)>,
    /// The people who gave the most kudos, and who received the most, most first (then by display
    /// name, platform and account id); people who opted out left out.
    pub givers: Vec<(PersonRef, u64)>,
    pub receivers: Vec<(PersonRef, u64)>,
}

/// What using a sign-in link came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: the person, and the new session's token (for the cookie).
    SignedIn { person: Person, session: String },
    /// No such link.
    Unknown,
    /// The link was used already.
    Used,
    /// The link ran out before it was used.
    Expired,
}

/// What happened to kudos offered under a daily limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KudosOutcome {
    /// Recorded; under a daily limit, `given_today` is how many the giver has now given since the
    /// start of the day (this one included). With no limit (`u32::MAX`) the day is not counted:
    /// `None` (counting would cost more with every kudos a busy giver gives).
    Recorded {
        id: KudosId,
        given_today: Option<u32>,
    },
    /// Not recorded: the giver had already given the daily limit, this many, today.
    LimitReached { given_today: u32 },
}
