//! The scheduler's state: claimed occurrences, cursors, digest snapshots, and the effects a
//! decision writes with its claim (the SQL store's `scheduler.rs`).

use super::{AnnouncementRow, MemoryStore, State, to_micros};
use crate::model::{Checkin, CheckinStatus, DigestSnapshot, Effects, JobRun, JobRunStatus};
use crate::ports::{SchedulerStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};

impl State {
    /// Claims `(job, occurrence)` when `claim` is given (`Ok(false)`, writing nothing, when it was
    /// claimed already), then applies `effects`, all at once.
    fn commit(
        &mut self,
        claim: Option<(&str, DateTime<Utc>)>,
        effects: &Effects,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        if claim.is_none() && effects.is_empty() {
            return Ok(true);
        }
        let at = to_micros(at);
        let claim = claim.map(|(job, occurrence)| (job.to_owned(), to_micros(occurrence)));
        if let Some(key) = &claim
            && self.job_runs.contains_key(key)
        {
            return Ok(false);
        }
        // Every person referenced must exist before anything is written.
        let new_announcement = effects
            .announcement
            .as_ref()
            .filter(|a| !self.announcements.values().any(|n| n.key == a.key));
        let people_known = effects
            .open_checkins
            .iter()
            .map(|c| c.person)
            .chain(
                new_announcement
                    .iter()
                    .flat_map(|a| std::iter::once(a.author).chain(a.recipients.iter().copied())),
            )
            .chain(effects.renewal_asks.iter().map(|(person, _)| *person))
            .all(|person| self.person_exists(person));
        if !people_known {
            return Err(StoreError::NotFound(
                "a person of a check-in to open, an announcement or a renewal ask".to_owned(),
            ));
        }

        if let Some((job, occurrence)) = claim {
            self.job_runs.insert(
                (job.clone(), occurrence),
                JobRun {
                    job,
                    occurrence,
                    status: JobRunStatus::Done,
                    ran_at: at,
                },
            );
        }
        self.queue_outbox(&effects.outbox, at);
        for c in &effects.open_checkins {
            self.checkins
                .entry((c.round, c.person))
                .or_insert_with(|| Checkin {
                    round: c.round,
                    person: c.person,
                    status: CheckinStatus::Open,
                    prompted_at: to_micros(c.prompted_at),
                    closes_at: to_micros(c.closes_at),
                    reminded_at: None,
                    answer: String::new(),
                    answered_at: None,
                    flagged: false,
                });
        }
        for key in &effects.reminded {
            if let Some(c) = self.checkins.get_mut(key) {
                c.reminded_at = Some(at);
            }
        }
        for key in &effects.missed {
            if let Some(c) = self.checkins.get_mut(key)
                && c.status == CheckinStatus::Open
            {
                c.status = CheckinStatus::Missed;
            }
        }
        for key in &effects.flagged {
            if let Some(c) = self.checkins.get_mut(key) {
                c.flagged = true;
            }
        }
        if let Some(a) = new_announcement {
            let id = super::next(&mut self.ids.announcement);
            self.announcements.insert(
                id,
                AnnouncementRow {
                    key: a.key.clone(),
                    author: a.author,
                    text: a.text.clone(),
                    audience: a.audience.clone(),
                    created_at: to_micros(a.created_at),
                },
            );
            for &person in &a.recipients {
                self.recipients.entry((id, person)).or_default();
            }
        }
        for key in &effects.announcement_reminded {
            if let Some(receipt) = self.recipients.get_mut(key) {
                receipt.reminded_at = Some(at);
            }
        }
        for &ask in &effects.renewal_asks {
            self.renewal_asks.entry(ask).or_insert(at);
        }
        for id in &effects.requests_listed {
            if let Some(r) = self.requests.get_mut(id) {
                r.overdue_listed_at = r.overdue_listed_at.or(Some(at));
            }
        }
        if let Some(snapshot) = &effects.digest_snapshot {
            let occurrence = to_micros(snapshot.occurrence);
            self.snapshots.entry(occurrence).or_insert(DigestSnapshot {
                occurrence,
                ..*snapshot
            });
        }
        Ok(true)
    }
}

impl SchedulerStore for MemoryStore {
    async fn commit_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
        effects: &Effects,
    ) -> StoreResult<bool> {
        self.lock().commit(Some((job, occurrence)), effects, at)
    }

    async fn skip_occurrence(
        &self,
        job: &str,
        occurrence: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut s = self.lock();
        let occurrence = to_micros(occurrence);
        let key = (job.to_owned(), occurrence);
        if s.job_runs.contains_key(&key) {
            return Ok(false);
        }
        s.job_runs.insert(
            key,
            JobRun {
                job: job.to_owned(),
                occurrence,
                status: JobRunStatus::Skipped,
                ran_at: to_micros(at),
            },
        );
        Ok(true)
    }

    async fn job_runs(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<JobRun>> {
        let s = self.lock();
        let (from, to) = (to_micros(from), to_micros(to));
        let mut runs: Vec<JobRun> = s
            .job_runs
            .values()
            .filter(|r| r.occurrence >= from && r.occurrence < to)
            .cloned()
            .collect();
        runs.sort_by(|a, b| (a.occurrence, &a.job).cmp(&(b.occurrence, &b.job)));
        Ok(runs)
    }

    async fn scheduler_cursor(&self, job: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self.lock().cursors.get(job).copied())
    }

    async fn advance_scheduler_cursor(&self, job: &str, until: DateTime<Utc>) -> StoreResult<()> {
        let mut s = self.lock();
        let until = to_micros(until);
        let cursor = s.cursors.entry(job.to_owned()).or_insert(until);
        if until > *cursor {
            *cursor = until;
        }
        Ok(())
    }

    async fn apply(&self, effects: &Effects, at: DateTime<Utc>) -> StoreResult<()> {
        self.lock().commit(None, effects, at).map(drop)
    }

    async fn last_digest_snapshot(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<Option<DigestSnapshot>> {
        let s = self.lock();
        Ok(s.snapshots
            .range(..to_micros(before))
            .next_back()
            .map(|(_, snapshot)| *snapshot))
    }
}
