//! Row shapes read from the database and their conversion into domain types.
//!
//! Every integer is read as `i64` and every instant as `DateTime<Utc>` on both back-ends (the schema
//! makes all integer columns BIGINT in PostgreSQL).

use crate::error::corrupt;
use ambassador_core::{
    Account, Ambassador, AmbassadorStatus, Department, Person, PersonRef, Platform, StoreResult,
};
use chrono::NaiveDate;
use std::cmp::Ordering;

/// The person columns, in [`PersonRow`]'s order.
macro_rules! person_columns {
    () => {
        "id, platform, external_id, display_name, time_zone"
    };
}

/// The department columns, in [`DepartmentRow`]'s order.
macro_rules! department_columns {
    () => {
        "id, name, name_key, region, region_key, headcount"
    };
}

/// Roster entries joined with their person and department, in [`AmbassadorRow`]'s order; append a
/// `WHERE` clause.
macro_rules! select_ambassadors {
    () => {
        "SELECT p.id AS person_id, p.platform, p.external_id, p.display_name, \
                p.time_zone AS person_time_zone, \
                d.id AS department_id, d.name AS department_name, d.name_key AS department_key, \
                d.region, d.region_key, d.headcount, \
                a.status, a.since, a.until, a.time_zone \
         FROM ambassadors a \
         JOIN people p ON p.id = a.person_id \
         JOIN departments d ON d.id = a.department_id"
    };
}

pub(crate) use {department_columns, person_columns, select_ambassadors};

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
}

impl PersonRow {
    pub fn into_person(self) -> StoreResult<Person> {
        Ok(Person {
            id: self.id,
            account: account(&self.platform, self.external_id)?,
            display_name: self.display_name,
            time_zone: self.time_zone,
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

#[derive(sqlx::FromRow)]
pub(crate) struct AmbassadorRow {
    pub person_id: i64,
    pub platform: String,
    pub external_id: String,
    pub display_name: String,
    pub person_time_zone: Option<String>,
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
}

impl AmbassadorRow {
    pub fn into_ambassador(self) -> StoreResult<Ambassador> {
        Ok(Ambassador {
            person: Person {
                id: self.person_id,
                account: account(&self.platform, self.external_id)?,
                display_name: self.display_name,
                time_zone: self.person_time_zone,
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
        })
    }
}
