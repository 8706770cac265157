//! Applications, nominations, terms, misuse reports, opt-outs, managers, signs of life and
//! renewals (the SQL store's `lifecycle.rs`). Terms are written by the roster (`roster.rs`).

use super::{
    ApplicationRow, MemoryStore, NominationRow, ReportRow, State, not_found, roster_order,
    to_micros,
};
use crate::model::{
    Account, AmbassadorStatus, Application, ApplicationId, ApplicationStatus, Department,
    DepartmentId, MisuseReport, Nomination, NominationId, Person, PersonId, RenewalAsk, ReportId,
    SignsOfLife, Term,
};
use crate::ports::{LifecycleStore, Outgoing, StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};

impl State {
    fn read_application(&self, id: ApplicationId) -> Application {
        let a = &self.applications[&id];
        Application {
            id,
            person: self.people[&a.person].clone(),
            status: a.status,
            answers: a.answers.clone(),
            department: a.department.and_then(|d| self.departments.get(&d).cloned()),
            created_at: a.created_at,
            submitted_at: a.submitted_at,
            decided_at: a.decided_at,
            reason: a.reason.clone(),
        }
    }

    fn read_nomination(&self, id: NominationId) -> Nomination {
        let n = &self.nominations[&id];
        Nomination {
            id,
            nominee: self.person_ref(n.nominee),
            nominee_id: n.nominee,
            nominator: self.person_ref(n.nominator),
            reason: n.reason.clone(),
            created_at: n.created_at,
            closed_at: n.closed_at,
        }
    }

    fn read_report(&self, id: ReportId) -> MisuseReport {
        let r = &self.reports[&id];
        MisuseReport {
            id,
            reporter: self.person_ref(r.reporter),
            subject: self.person_ref(r.subject),
            text: r.text.clone(),
            created_at: r.created_at,
            resolved_at: r.resolved_at,
            resolved_by: r.resolved_by.map(|p| self.person_ref(p)),
            resolution: r.resolution.clone(),
        }
    }
}

impl LifecycleStore for MemoryStore {
    async fn start_application(
        &self,
        person: PersonId,
        questions: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Application> {
        let mut s = self.lock();
        if !s.person_exists(person) {
            return Err(not_found(format!("person {person}")));
        }
        if s.applications
            .values()
            .any(|a| a.person == person && a.status.is_pending())
        {
            return Err(StoreError::Conflict(format!(
                "person {person} already has a draft or open application"
            )));
        }
        let id = super::next(&mut s.ids.application);
        s.applications.insert(
            id,
            ApplicationRow {
                person,
                status: ApplicationStatus::Draft,
                answers: vec![String::new(); questions as usize],
                department: None,
                created_at: to_micros(now),
                submitted_at: None,
                decided_at: None,
                reason: None,
            },
        );
        Ok(s.read_application(id))
    }

    async fn pending_application(&self, person: PersonId) -> StoreResult<Option<Application>> {
        let s = self.lock();
        Ok(s.applications
            .iter()
            .find(|(_, a)| a.person == person && a.status.is_pending())
            .map(|(&id, _)| s.read_application(id)))
    }

    async fn set_application_answer(
        &self,
        id: ApplicationId,
        index: u32,
        text: &str,
    ) -> StoreResult<Application> {
        let mut s = self.lock();
        let slot = s
            .applications
            .get_mut(&id)
            .filter(|a| a.status == ApplicationStatus::Draft)
            .and_then(|a| a.answers.get_mut(index as usize));
        let Some(slot) = slot else {
            return Err(not_found(format!(
                "answer {index} of draft application {id}"
            )));
        };
        text.clone_into(slot);
        Ok(s.read_application(id))
    }

    async fn submit_application(
        &self,
        id: ApplicationId,
        department: DepartmentId,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Application> {
        let mut s = self.lock();
        let is_draft = s
            .applications
            .get(&id)
            .is_some_and(|a| a.status == ApplicationStatus::Draft);
        if !is_draft {
            return Err(not_found(format!("draft application {id}")));
        }
        if !s.departments.contains_key(&department) {
            return Err(not_found(format!("department {department}")));
        }
        let now = to_micros(now);
        let a = s.applications.get_mut(&id).expect("checked above");
        a.status = ApplicationStatus::Open;
        a.department = Some(department);
        a.submitted_at = Some(now);
        s.queue_outbox(notices, now);
        Ok(s.read_application(id))
    }

    async fn decide_application(
        &self,
        id: ApplicationId,
        status: ApplicationStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Option<Application>> {
        let from: &[ApplicationStatus] = match status {
            ApplicationStatus::Approved | ApplicationStatus::Declined => &[ApplicationStatus::Open],
            ApplicationStatus::Withdrawn => &[ApplicationStatus::Draft, ApplicationStatus::Open],
            ApplicationStatus::Draft | ApplicationStatus::Open => {
                return Err(StoreError::Backend(
                    format!("an application is not decided as {}", status.as_str()).into(),
                ));
            }
        };
        let mut s = self.lock();
        let now = to_micros(now);
        let Some(a) = s
            .applications
            .get_mut(&id)
            .filter(|a| from.contains(&a.status))
        else {
            return Ok(None);
        };
        a.status = status;
        a.decided_at = Some(now);
        a.reason = reason
            .filter(|_| status == ApplicationStatus::Declined)
            .map(str::to_owned);
        let person = a.person;
        for n in s.nominations.values_mut() {
            if n.nominee == person && n.closed_at.is_none() {
                n.closed_at = Some(now);
            }
        }
        s.queue_outbox(notices, now);
        Ok(Some(s.read_application(id)))
    }

    async fn applications(&self, statuses: &[ApplicationStatus]) -> StoreResult<Vec<Application>> {
        let s = self.lock();
        let mut found: Vec<Application> = s
            .applications
            .iter()
            .filter(|(_, a)| statuses.contains(&a.status))
            .map(|(&id, _)| s.read_application(id))
            .collect();
        // Submitted ones by submission; drafts (never submitted) by creation, among them.
        found.sort_by_key(|a| (a.submitted_at.unwrap_or(a.created_at), a.created_at, a.id));
        Ok(found)
    }

    async fn add_nomination(
        &self,
        nominee: PersonId,
        nominator: PersonId,
        reason: &str,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Nomination> {
        let mut s = self.lock();
        if !s.person_exists(nominee) || !s.person_exists(nominator) {
            return Err(not_found(format!(
                "person among nominee {nominee} and nominator {nominator}"
            )));
        }
        if s.nominations
            .values()
            .any(|n| n.nominee == nominee && n.nominator == nominator && n.closed_at.is_none())
        {
            return Err(StoreError::Conflict(format!(
                "person {nominator} already nominated person {nominee}"
            )));
        }
        let now = to_micros(now);
        let id = super::next(&mut s.ids.nomination);
        s.nominations.insert(
            id,
            NominationRow {
                nominee,
                nominator,
                reason: reason.to_owned(),
                created_at: now,
                closed_at: None,
            },
        );
        s.queue_outbox(notices, now);
        Ok(s.read_nomination(id))
    }

    async fn open_nominations(&self) -> StoreResult<Vec<Nomination>> {
        let s = self.lock();
        let mut found: Vec<Nomination> = s
            .nominations
            .iter()
            .filter(|(_, n)| n.closed_at.is_none())
            .map(|(&id, _)| s.read_nomination(id))
            .collect();
        found.sort_by_key(|n| (n.created_at, n.id));
        Ok(found)
    }

    async fn terms(&self, person: PersonId) -> StoreResult<Vec<Term>> {
        let s = self.lock();
        let mut rows: Vec<_> = s.terms.iter().filter(|t| t.person == person).collect();
        rows.sort_by_key(|t| (t.since, t.id));
        Ok(rows
            .into_iter()
            .map(|t| Term {
                // The department as it is now; once it is gone, as it was when the term was
                // recorded, with no id (0).
                department: t
                    .department_id
                    .and_then(|d| s.departments.get(&d).cloned())
                    .unwrap_or_else(|| Department {
                        id: 0,
                        name: t.department.clone(),
                        region: t.region.clone(),
                        headcount: None,
                    }),
                since: t.since,
                until: t.until,
            })
            .collect())
    }

    async fn departments_in_office_on(&self, day: NaiveDate) -> StoreResult<Vec<DepartmentId>> {
        let s = self.lock();
        let mut ids: Vec<DepartmentId> = s
            .terms
            .iter()
            .filter(|t| t.since <= day && t.until.is_none_or(|u| u > day))
            .filter_map(|t| t.department_id)
            .filter(|d| s.departments.contains_key(d))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    async fn add_report(
        &self,
        reporter: PersonId,
        subject: PersonId,
        text: &str,
        now: DateTime<Utc>,
        notify: &(dyn Fn(ReportId) -> Vec<Outgoing> + Send + Sync),
    ) -> StoreResult<MisuseReport> {
        let mut s = self.lock();
        if !s.person_exists(reporter) || !s.person_exists(subject) {
            return Err(not_found(format!(
                "person among reporter {reporter} and subject {subject}"
            )));
        }
        let now = to_micros(now);
        let id = super::next(&mut s.ids.report);
        s.reports.insert(
            id,
            ReportRow {
                reporter,
                subject,
                text: text.to_owned(),
                created_at: now,
                resolved_at: None,
                resolved_by: None,
                resolution: None,
            },
        );
        s.queue_outbox(&notify(id), now);
        Ok(s.read_report(id))
    }

    async fn reports(&self, open_only: bool) -> StoreResult<Vec<MisuseReport>> {
        let s = self.lock();
        let mut found: Vec<MisuseReport> = s
            .reports
            .iter()
            .filter(|(_, r)| !open_only || r.resolved_at.is_none())
            .map(|(&id, _)| s.read_report(id))
            .collect();
        found.sort_by_key(|r| (r.created_at, r.id));
        Ok(found)
    }

    async fn resolve_report(
        &self,
        id: ReportId,
        by: PersonId,
        note: Option<&str>,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Option<MisuseReport>> {
        let mut s = self.lock();
        let Some(report) = s.reports.get(&id) else {
            return Err(not_found(format!("misuse report {id}")));
        };
        if report.resolved_at.is_some() {
            return Ok(None);
        }
        if !s.person_exists(by) {
            return Err(not_found(format!("person {by}")));
        }
        let now = to_micros(now);
        let report = s.reports.get_mut(&id).expect("checked above");
        report.resolved_at = Some(now);
        report.resolved_by = Some(by);
        report.resolution = note.map(str::to_owned);
        s.queue_outbox(notices, now);
        Ok(Some(s.read_report(id)))
    }

    async fn set_kudos_optout(&self, person: PersonId, optout: bool) -> StoreResult<()> {
        let mut s = self.lock();
        if optout {
            if !s.person_exists(person) {
                return Err(not_found(format!("person {person}")));
            }
            s.optouts.insert(person);
        } else {
            s.optouts.remove(&person);
        }
        Ok(())
    }

    async fn kudos_optouts(&self) -> StoreResult<Vec<Account>> {
        let s = self.lock();
        let mut accounts: Vec<Account> = s
            .optouts
            .iter()
            .map(|p| s.people[p].account.clone())
            .collect();
        accounts.sort();
        Ok(accounts)
    }

    async fn set_manager(&self, person: PersonId, manager: Option<PersonId>) -> StoreResult<()> {
        let mut s = self.lock();
        match manager {
            Some(manager) => {
                if !s.person_exists(person) || !s.person_exists(manager) {
                    return Err(not_found(format!(
                        "person among {person} and manager {manager}"
                    )));
                }
                s.managers.insert(person, manager);
            }
            None => {
                s.managers.remove(&person);
            }
        }
        Ok(())
    }

    async fn manager(&self, person: PersonId) -> StoreResult<Option<Person>> {
        let s = self.lock();
        Ok(s.managers.get(&person).map(|m| s.people[m].clone()))
    }

    async fn last_active(&self, quiet_at: Option<DateTime<Utc>>) -> StoreResult<Vec<SignsOfLife>> {
        let s = self.lock();
        let mut found: Vec<SignsOfLife> = s
            .roster
            .iter()
            .filter(|(_, e)| e.status == AmbassadorStatus::Active)
            .filter_map(|(&person, e)| {
                let checkin = s
                    .checkins
                    .values()
                    .filter(|c| c.person == person)
                    .filter_map(|c| c.answered_at)
                    .max();
                let activity = s
                    .activities
                    .values()
                    .filter(|a| a.author == person)
                    .map(|a| a.logged_at)
                    .max();
                let kudos = s
                    .kudos
                    .values()
                    .filter(|k| k.giver == person)
                    .map(|k| k.given_at)
                    .max();
                let life = SignsOfLife {
                    ambassador: s.ambassador(person)?,
                    last_seen: [checkin, activity, kudos].into_iter().flatten().max(),
                    known_since: e.known_since,
                };
                let quiet = |at: DateTime<Utc>| {
                    [life.last_seen, life.known_since]
                        .into_iter()
                        .flatten()
                        .all(|seen| seen <= at)
                        && life.ambassador.since <= at.date_naive() + chrono::Days::new(1)
                };
                quiet_at.is_none_or(quiet).then_some(life)
            })
            .collect();
        found.sort_by_cached_key(|l| roster_order(&l.ambassador));
        Ok(found)
    }

    async fn confirm_renewal(
        &self,
        person: PersonId,
        anniversary: NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut s = self.lock();
        if !s.person_exists(person) {
            return Err(not_found(format!("person {person}")));
        }
        if s.renewals.contains_key(&(person, anniversary)) {
            return Ok(false);
        }
        s.renewals.insert((person, anniversary), to_micros(now));
        Ok(true)
    }

    async fn renewals_confirmed(
        &self,
        since: NaiveDate,
    ) -> StoreResult<Vec<(PersonId, NaiveDate)>> {
        let s = self.lock();
        Ok(s.renewals
            .keys()
            .filter(|(_, anniversary)| *anniversary >= since)
            .copied()
            .collect())
    }

    async fn renewal_asks(&self, since: NaiveDate) -> StoreResult<Vec<RenewalAsk>> {
        let s = self.lock();
        Ok(s.renewal_asks
            .iter()
            .filter(|((_, anniversary), _)| *anniversary >= since)
            .map(|(&(person, anniversary), &asked_at)| RenewalAsk {
                person,
                anniversary,
                asked_at,
            })
            .collect())
    }
}
