//! Row shapes read from the database and their conversion into domain types.
//!
//! Every integer is read as `i64` and every instant as `DateTime<Utc>` on both back-ends (the schema
//! makes all integer columns BIGINT in PostgreSQL).

use crate::error::corrupt;
use ambassador_core::{
    Account, Activity, Ambassador, AmbassadorStatus, Announcement, Checkin, CheckinStatus,
    Department, Person, PersonRef, Platform, StoreResult,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::cmp::Ordering;

/// The person columns, in [`PersonRow`]'s order.
macro_rules! person_columns {
    () => {
        "id, platform, external_id, display_name, time_zone, time_zone_chosen"
    };
}

/// The department columns, in [`DepartmentRow`]'s order.
macro_rules! department_columns {
    () => {
        "id, name, name_key, region, region_key, headcount"
    };
}

/// The columns of a roster entry `a` with its person `p` and department `d`, in
/// [`AmbassadorRow`]'s order.
macro_rules! ambassador_columns {
    () => {
        "p.id AS person_id, p.platform, p.external_id, p.display_name, \
         p.time_zone AS person_time_zone, p.time_zone_chosen AS person_time_zone_chosen, \
         d.id AS department_id, d.name AS department_name, d.name_key AS department_key, \
         d.region, d.region_key, d.headcount, \
         a.status, a.since, a.until, a.time_zone, a.checkins_paused_until"
    };
}

/// Roster entries joined with their person and department, in [`AmbassadorRow`]'s order; append a
/// `WHERE` clause.
macro_rules! select_ambassadors {
    () => {
        concat!(
            "SELECT ",
            $crate::rows::ambassador_columns!(),
            " FROM ambassadors a \
              JOIN people p ON p.id = a.person_id \
              JOIN departments d ON d.id = a.department_id"
        )
    };
}

/// The columns of a check-in, in [`CheckinRow`]'s order (its person id is `person_id`); for
/// `SELECT` and `RETURNING` on the `checkins` table alone.
macro_rules! checkin_columns {
    () => {
        "round, person_id, status AS checkin_status, prompted_at, closes_at, reminded_at, answer, \
         answered_at, flagged"
    };
}

/// The columns of an announcement `n` with its author `ap`, in [`AnnouncementRow`]'s order.
macro_rules! announcement_columns {
    () => {
        "n.id AS announcement_id, n.key AS announcement_key, n.text AS announcement_text, \
         n.audience AS announcement_audience, n.created_at AS announcement_created_at, \
         ap.platform AS author_platform, ap.external_id AS author_external_id, \
         ap.display_name AS author_display_name"
    };
}

/// Announcements `n` joined with their author `ap`; append a join or a `WHERE` clause.
macro_rules! select_announcements {
    () => {
        concat!(
            "SELECT ",
            $crate::rows::announcement_columns!(),
            " FROM announcements n JOIN people ap ON ap.id = n.author_id"
        )
    };
}

/// The columns of an activity, in [`ActivityRow`]'s order, each name prefixed with `$table`
/// (`""` for `RETURNING` on the `activities` table alone, `"v."` for an alias).
macro_rules! activity_columns {
    ($table:literal) => {
        concat!(
            $table,
            "id AS activity_id, ",
            $table,
            "author_id AS activity_author_id, ",
            $table,
            "text AS activity_text, ",
            $table,
            "tags AS activity_tags, ",
            $table,
            "audience AS activity_audience, ",
            $table,
            "happened_on AS activity_on, ",
            $table,
            "logged_at AS activity_logged_at"
        )
    };
}

pub(crate) use {
    activity_columns, ambassador_columns, announcement_columns, checkin_columns,
    department_columns, person_columns, select_ambassadors, select_announcements,
};

pub(crate) fn account(platform: &str, external_id: String) -> StoreResult<Account> {
    let platform: Platform = platform
        .parse()
        .map_err(|e| corrupt(format!("person with platform `{platform}`: {e}")))?;
    Ok(Account::new(platform, external_id))
}

pub(crate) fn person_ref(
    platform: &str,
    external_id: String,
    display_name: String,
) -> StoreResult<PersonRef> {
    Ok(PersonRef {
        account: account(platform, external_id)?,
        display_name,
    })
}

/// The person a LEFT JOIN found, if it found one: all three columns set.
pub(crate) fn optional_person_ref(
    platform: Option<String>,
    external_id: Option<String>,
    display_name: Option<String>,
) -> StoreResult<Option<PersonRef>> {
    match (platform, external_id, display_name) {
        (Some(platform), Some(external_id), Some(display_name)) => {
            Ok(Some(person_ref(&platform, external_id, display_name)?))
        }
        _ => Ok(None),
    }
}

fn headcount(value: Option<i64>) -> StoreResult<Option<u32>> {
    value
        .map(|n| u32::try_from(n).map_err(|_| corrupt(format!("headcount {n}"))))
        .transpose()
}

pub(crate) fn status(value: &str) -> StoreResult<AmbassadorStatus> {
    value
        .parse()
        .map_err(|e: String| corrupt(format!("ambassador status: {e}")))
}

/// The order people are listed in: case-insensitively by display name, then exactly, then by
/// account (so equal names still come out in a stable order on every back-end).
pub(crate) fn by_display_name(a: &PersonRef, b: &PersonRef) -> Ordering {
    display_key(&a.display_name)
        .cmp(&display_key(&b.display_name))
        .then_with(|| a.display_name.cmp(&b.display_name))
        .then_with(|| a.account.cmp(&b.account))
}

pub(crate) fn display_key(name: &str) -> String {
    name.to_lowercase()
}

#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub id: i64,
    pub platform: String,
    pub external_id: String,
    pub display_name: String,
    pub time_zone: Option<String>,
    pub time_zone_chosen: bool,
}

impl PersonRow {
    pub fn into_person(self) -> StoreResult<Person> {
        Ok(Person {
            id: self.id,
            account: account(&self.platform, self.external_id)?,
            display_name: self.display_name,
            time_zone: self.time_zone,
            time_zone_chosen: self.time_zone_chosen,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DepartmentRow {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub region: String,
    pub region_key: String,
    pub headcount: Option<i64>,
}

impl DepartmentRow {
    pub fn into_department(self) -> StoreResult<Department> {
        Ok(Department {
            id: self.id,
            name: self.name,
            region: self.region,
            headcount: headcount(self.headcount)?,
        })
    }

    /// The order of [`ambassador_core::Store::departments`]: region key, name key (unique), id.
    pub fn order(&self, other: &Self) -> Ordering {
        (&self.region_key, &self.name_key, self.id).cmp(&(
            &other.region_key,
            &other.name_key,
            other.id,
        ))
    }
}

/// A person with their roster entry and its department, LEFT JOINed: every roster column is NULL
/// for someone not on the roster. Read with [`ambassador_columns`]' names, the person's own time
/// zone as `person_time_zone` and the ambassador's as `time_zone`.
#[derive(sqlx::FromRow)]
pub(crate) struct PersonRosterRow {
    pub person_id: i64,
    pub platform: String,
    pub external_id: String,
    pub display_name: String,
    pub person_time_zone: Option<String>,
    pub person_time_zone_chosen: bool,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub department_key: Option<String>,
    pub region: Option<String>,
    pub region_key: Option<String>,
    pub headcount: Option<i64>,
    pub status: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub time_zone: Option<String>,
    pub checkins_paused_until: Option<NaiveDate>,
}

impl PersonRosterRow {
    /// The person, and their roster entry when they have one.
    pub fn into_person_and_ambassador(self) -> StoreResult<(Person, Option<Ambassador>)> {
        let person = Person {
            id: self.person_id,
            account: account(&self.platform, self.external_id.clone())?,
            display_name: self.display_name.clone(),
            time_zone: self.person_time_zone.clone(),
            time_zone_chosen: self.person_time_zone_chosen,
        };
        let (
            Some(department_id),
            Some(department_name),
            Some(department_key),
            Some(region),
            Some(region_key),
            Some(status),
            Some(since),
            Some(time_zone),
        ) = (
            self.department_id,
            self.department_name,
            self.department_key,
            self.region,
            self.region_key,
            self.status,
            self.since,
            self.time_zone,
        )
        else {
            return Ok((person, None));
        };
        let ambassador = AmbassadorRow {
            person_id: self.person_id,
            platform: self.platform,
            external_id: self.external_id,
            display_name: self.display_name,
            person_time_zone: self.person_time_zone,
            person_time_zone_chosen: self.person_time_zone_chosen,
            department_id,
            department_name,
            department_key,
            region,
            region_key,
            headcount: self.headcount,
            status,
            since,
            until: self.until,
            time_zone,
            checkins_paused_until: self.checkins_paused_until,
        }
        .into_ambassador()?;
        Ok((person, Some(ambassador)))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AmbassadorRow {
    pub person_id: i64,
    pub platform: String,
    pub external_id: String,
    pub display_name: String,
    pub person_time_zone: Option<String>,
    pub person_time_zone_chosen: bool,
    pub department_id: i64,
    pub department_name: String,
    pub department_key: String,
    pub region: String,
    pub region_key: String,
    pub headcount: Option<i64>,
    pub status: String,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
    pub time_zone: String,
    pub checkins_paused_until: Option<NaiveDate>,
}

impl AmbassadorRow {
    pub fn into_ambassador(self) -> StoreResult<Ambassador> {
        Ok(Ambassador {
            person: Person {
                id: self.person_id,
                account: account(&self.platform, self.external_id)?,
                display_name: self.display_name,
                time_zone: self.person_time_zone,
                time_zone_chosen: self.person_time_zone_chosen,
            },
            department: Department {
                id: self.department_id,
                name: self.department_name,
                region: self.region,
                headcount: headcount(self.headcount)?,
            },
            status: status(&self.status)?,
            since: self.since,
            until: self.until,
            time_zone: self.time_zone,
            checkins_paused_until: self.checkins_paused_until,
        })
    }

    /// The order of [`ambassador_core::Store::roster`]: region key, department name key, display
    /// name (case-insensitively, then exactly), then ids so that ties come out stable.
    pub fn order_key(&self) -> (String, String, i64, String, String, i64) {
        (
            self.region_key.clone(),
            self.department_key.clone(),
            self.department_id,
            display_key(&self.display_name),
            self.display_name.clone(),
            self.person_id,
        )
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CheckinRow {
    pub round: NaiveDate,
    pub person_id: i64,
    pub checkin_status: String,
    pub prompted_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub answer: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub flagged: bool,
}

impl CheckinRow {
    pub fn into_checkin(self) -> StoreResult<Checkin> {
        Ok(Checkin {
            round: self.round,
            person: self.person_id,
            status: self
                .checkin_status
                .parse::<CheckinStatus>()
                .map_err(|e| corrupt(format!("check-in status: {e}")))?,
            prompted_at: self.prompted_at,
            closes_at: self.closes_at,
            reminded_at: self.reminded_at,
            answer: self.answer,
            answered_at: self.answered_at,
            flagged: self.flagged,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AnnouncementRow {
    pub announcement_id: i64,
    pub announcement_key: String,
    pub announcement_text: String,
    pub announcement_audience: String,
    pub announcement_created_at: DateTime<Utc>,
    pub author_platform: String,
    pub author_external_id: String,
    pub author_display_name: String,
}

impl AnnouncementRow {
    pub fn into_announcement(self) -> StoreResult<Announcement> {
        Ok(Announcement {
            id: self.announcement_id,
            key: self.announcement_key,
            author: person_ref(
                &self.author_platform,
                self.author_external_id,
                self.author_display_name,
            )?,
            text: self.announcement_text,
            audience: self.announcement_audience,
            created_at: self.announcement_created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ActivityRow {
    pub activity_id: i64,
    pub activity_author_id: i64,
    pub activity_text: String,
    pub activity_tags: String,
    pub activity_audience: Option<i64>,
    pub activity_on: NaiveDate,
    pub activity_logged_at: DateTime<Utc>,
}

impl ActivityRow {
    pub fn into_activity(self) -> StoreResult<Activity> {
        Ok(Activity {
            id: self.activity_id,
            author: self.activity_author_id,
            text: self.activity_text,
            tags: self
                .activity_tags
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            audience: self
                .activity_audience
                .map(|n| u32::try_from(n).map_err(|_| corrupt(format!("activity audience {n}"))))
                .transpose()?,
            on: self.activity_on,
            logged_at: self.activity_logged_at,
        })
    }
}
