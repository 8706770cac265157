//! The roster and the coverage report (the SQL store's `roster.rs`). Terms are written here, with
//! the roster changes that make them.

use super::{
    Entry, MemoryStore, State, TermRow, by_display_name, department_order, not_on_roster,
    roster_order, to_micros,
};
use crate::model::{
    Ambassador, AmbassadorStatus, DepartmentCoverage, DepartmentId, PersonId, PersonRef,
    RosterFilter, name_key,
};
use crate::ports::{Outgoing, RosterStore, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeSet, HashSet};

impl State {
    fn add_ambassador(
        &mut self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
    ) -> StoreResult<Ambassador> {
        if !self.person_exists(person) {
            return Err(super::not_found(format!("person {person}")));
        }
        let Some(d) = self.departments.get(&department).cloned() else {
            return Err(super::not_found("department"));
        };
        // An existing entry is replaced; its check-in pause and first knowledge stay.
        let entry = self.roster.entry(person).or_insert_with(|| Entry {
            department,
            status: AmbassadorStatus::Active,
            since,
            until: None,
            time_zone: String::new(),
            checkins_paused_until: None,
            known_since: None,
        });
        entry.department = department;
        entry.status = AmbassadorStatus::Active;
        entry.since = since;
        entry.until = None;
        time_zone.clone_into(&mut entry.time_zone);
        // The open term ends on `since` (one that began on or after `since` was a mistake being
        // corrected and goes); the new one copies the department's name and region.
        self.terms
            .retain(|t| !(t.person == person && t.until.is_none() && t.since >= since));
        for term in &mut self.terms {
            if term.person == person && term.until.is_none() {
                term.until = Some(since);
            }
        }
        let id = super::next(&mut self.ids.term);
        self.terms.push(TermRow {
            id,
            person,
            department_id: Some(department),
            department: d.name,
            region: d.region,
            since,
            until: None,
        });
        self.queue_outbox(notices, now);
        Ok(self.ambassador(person).expect("the entry just written"))
    }

    fn set_ambassador_status(
        &mut self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
    ) -> StoreResult<Ambassador> {
        let until = (status == AmbassadorStatus::Alumni).then_some(on);
        let Some(entry) = self.roster.get_mut(&person) else {
            return Err(not_on_roster(person));
        };
        entry.status = status;
        entry.until = until;
        if let Some(until) = until {
            // Stepping down ends the term.
            for term in &mut self.terms {
                if term.person == person && term.until.is_none() {
                    term.until = Some(until);
                }
            }
        }
        self.queue_outbox(notices, now);
        Ok(self.ambassador(person).expect("the entry just written"))
    }

    fn roster_entry_mut(&mut self, person: PersonId) -> StoreResult<&mut Entry> {
        self.roster
            .get_mut(&person)
            .ok_or_else(|| not_on_roster(person))
    }
}

impl RosterStore for MemoryStore {
    async fn add_ambassador(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
    ) -> StoreResult<Ambassador> {
        self.lock()
            .add_ambassador(person, department, time_zone, since, &[], Utc::now())
    }

    async fn add_ambassador_notifying(
        &self,
        person: PersonId,
        department: DepartmentId,
        time_zone: &str,
        since: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
    ) -> StoreResult<Ambassador> {
        self.lock()
            .add_ambassador(person, department, time_zone, since, notices, now)
    }

    async fn set_ambassador_status(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
    ) -> StoreResult<Ambassador> {
        self.lock()
            .set_ambassador_status(person, status, on, &[], Utc::now())
    }

    async fn set_ambassador_status_notifying(
        &self,
        person: PersonId,
        status: AmbassadorStatus,
        on: NaiveDate,
        notices: &[Outgoing],
        now: DateTime<Utc>,
    ) -> StoreResult<Ambassador> {
        self.lock()
            .set_ambassador_status(person, status, on, notices, now)
    }

    async fn remove_ambassador(&self, person: PersonId) -> StoreResult<()> {
        let mut s = self.lock();
        // A removal corrects a mistake: the term it opened never happened. Closed terms stay.
        s.terms
            .retain(|t| !(t.person == person && t.until.is_none()));
        match s.roster.remove(&person) {
            Some(_) => Ok(()),
            None => Err(not_on_roster(person)),
        }
    }

    async fn ambassador(&self, person: PersonId) -> StoreResult<Option<Ambassador>> {
        Ok(self.lock().ambassador(person))
    }

    async fn roster(&self, filter: &RosterFilter) -> StoreResult<Vec<Ambassador>> {
        let s = self.lock();
        let region = filter.region.as_deref().map(name_key);
        let accounts: HashSet<_> = filter.accounts.iter().collect();
        let mut found: Vec<Ambassador> = s
            .roster
            .keys()
            .filter_map(|&person| s.ambassador(person))
            .filter(|a| {
                region
                    .as_ref()
                    .is_none_or(|r| name_key(&a.department.region) == *r)
                    && filter.department.is_none_or(|d| a.department.id == d)
                    && match filter.status {
                        Some(status) => a.status == status,
                        None => filter.include_alumni || a.status != AmbassadorStatus::Alumni,
                    }
                    && filter
                        .time_zone
                        .as_ref()
                        .is_none_or(|zone| a.time_zone == *zone)
                    && filter.changed_between.is_none_or(|(from, to)| {
                        (a.since > from && a.since <= to)
                            || a.until.is_some_and(|until| until > from && until <= to)
                    })
                    && (accounts.is_empty() || accounts.contains(&a.person.account))
            })
            .collect();
        found.sort_by_cached_key(roster_order);
        Ok(found)
    }

    async fn coverage(&self, region: Option<&str>) -> StoreResult<Vec<DepartmentCoverage>> {
        let s = self.lock();
        let region = region.map(name_key);
        let mut departments: Vec<_> = s
            .departments
            .values()
            .filter(|d| region.as_ref().is_none_or(|r| name_key(&d.region) == *r))
            .cloned()
            .collect();
        departments.sort_by_cached_key(department_order);
        Ok(departments
            .into_iter()
            .map(|department| {
                let mut active: Vec<PersonRef> = Vec::new();
                let mut paused = 0;
                for (&person, entry) in &s.roster {
                    if entry.department != department.id {
                        continue;
                    }
                    match entry.status {
                        AmbassadorStatus::Active => active.push(s.person_ref(person)),
                        AmbassadorStatus::Paused => paused += 1,
                        AmbassadorStatus::Alumni => {}
                    }
                }
                active.sort_by(by_display_name);
                DepartmentCoverage {
                    department,
                    active,
                    paused,
                }
            })
            .collect())
    }

    async fn coverage_counts(&self) -> StoreResult<(u32, u32)> {
        let s = self.lock();
        let covered: BTreeSet<DepartmentId> = s
            .roster
            .values()
            .filter(|e| e.status == AmbassadorStatus::Active)
            .map(|e| e.department)
            .collect();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok((count(covered.len()), count(s.departments.len())))
    }

    async fn note_known_since(&self, person: PersonId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut s = self.lock();
        let entry = s.roster_entry_mut(person)?;
        entry.known_since = entry.known_since.or(Some(to_micros(at)));
        Ok(())
    }

    async fn set_checkins_paused_until(
        &self,
        person: PersonId,
        until: Option<NaiveDate>,
    ) -> StoreResult<()> {
        self.lock().roster_entry_mut(person)?.checkins_paused_until = until;
        Ok(())
    }

    async fn ambassador_time_zones(&self) -> StoreResult<Vec<String>> {
        let s = self.lock();
        let zones: BTreeSet<String> = s
            .roster
            .values()
            .filter(|e| e.status == AmbassadorStatus::Active)
            .map(|e| e.time_zone.clone())
            .collect();
        Ok(zones.into_iter().collect())
    }
}
