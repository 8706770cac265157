//! Check-ins: one per ambassador and round (the SQL store's `checkins.rs`).

use super::{MemoryStore, roster_order, to_micros};
use crate::model::{
    Checkin, CheckinCounts, CheckinEntry, CheckinFilter, CheckinStatus, PersonId, RoundFigures,
    RoundId, name_key,
};
use crate::ports::{CheckinStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::BTreeMap;

fn no_checkin(round: RoundId, person: PersonId) -> StoreError {
    super::not_found(format!("check-in of person {person} in round {round}"))
}

impl CheckinStore for MemoryStore {
    async fn pause_open_checkins(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<RoundId>> {
        let mut s = self.lock();
        let now = to_micros(now);
        let mut rounds = Vec::new();
        for c in s.checkins.values_mut() {
            if c.person == person && c.status == CheckinStatus::Open && c.closes_at > now {
                c.status = CheckinStatus::Paused;
                rounds.push(c.round);
            }
        }
        rounds.sort_unstable();
        Ok(rounds)
    }

    async fn current_checkin(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Checkin>> {
        let s = self.lock();
        let now = to_micros(now);
        Ok(s.checkins
            .values()
            .filter(|c| {
                c.person == person
                    && c.closes_at > now
                    && matches!(
                        c.status,
                        CheckinStatus::Open | CheckinStatus::Answered | CheckinStatus::Skipped
                    )
            })
            .max_by_key(|c| c.round)
            .cloned())
    }

    async fn write_checkin_answer(
        &self,
        round: RoundId,
        person: PersonId,
        text: &str,
        replace: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<Checkin> {
        let mut s = self.lock();
        let Some(c) = s.checkins.get_mut(&(round, person)) else {
            return Err(no_checkin(round, person));
        };
        // Appending to an empty answer gives the text alone; appending nothing leaves it.
        let answer = if replace || c.answer.is_empty() {
            text.to_owned()
        } else if text.is_empty() {
            c.answer.clone()
        } else {
            format!("{}\n{text}", c.answer)
        };
        if !answer.is_empty() {
            c.status = CheckinStatus::Answered;
            c.answered_at = c.answered_at.or(Some(to_micros(at)));
        }
        c.answer = answer;
        Ok(c.clone())
    }

    async fn set_checkin_status(
        &self,
        round: RoundId,
        person: PersonId,
        status: CheckinStatus,
    ) -> StoreResult<Checkin> {
        let mut s = self.lock();
        let Some(c) = s.checkins.get_mut(&(round, person)) else {
            return Err(no_checkin(round, person));
        };
        c.status = status;
        Ok(c.clone())
    }

    async fn checkins(&self, filter: &CheckinFilter) -> StoreResult<Vec<CheckinEntry>> {
        let s = self.lock();
        let mut found: Vec<CheckinEntry> = s
            .checkins
            .values()
            .filter(|c| {
                filter.from_round.is_none_or(|from| c.round >= from)
                    && filter.to_round.is_none_or(|to| c.round <= to)
                    && filter.person.is_none_or(|p| c.person == p)
                    && (!filter.answered_only || !c.answer.is_empty())
                    && (filter.statuses.is_empty() || filter.statuses.contains(&c.status))
            })
            // Check-ins of people no longer on the roster are left out.
            .filter_map(|c| {
                Some(CheckinEntry {
                    checkin: c.clone(),
                    ambassador: s.ambassador(c.person)?,
                })
            })
            .collect();
        found.sort_by_cached_key(|e| (Reverse(e.checkin.round), roster_order(&e.ambassador)));
        Ok(found)
    }

    async fn round_figures(
        &self,
        from_round: RoundId,
        region: Option<&str>,
    ) -> StoreResult<Vec<RoundFigures>> {
        let s = self.lock();
        let wanted = region.map(name_key);
        // Per round: the whole scope, then per region key; each counted by the one rule of
        // `/ambassadors checkins`, with its answer times.
        type Group = (RoundFigures, Vec<chrono::Duration>);
        let mut groups: BTreeMap<(RoundId, Option<String>), Group> = BTreeMap::new();
        for c in s.checkins.values().filter(|c| c.round >= from_round) {
            let Some(a) = s.ambassador(c.person) else {
                continue;
            };
            let key = name_key(&a.department.region);
            if wanted.as_ref().is_some_and(|w| *w != key) {
                continue;
            }
            for region in [None, Some(key)] {
                let (f, times) = groups.entry((c.round, region.clone())).or_insert_with(|| {
                    (
                        RoundFigures {
                            round: c.round,
                            region: region.is_some().then(|| a.department.region.clone()),
                            counts: CheckinCounts::default(),
                            last_closes_at: c.closes_at,
                            median_to_answer: None,
                        },
                        Vec::new(),
                    )
                });
                if let Some(name) = f.region.as_mut()
                    && a.department.region < *name
                {
                    *name = a.department.region.clone();
                }
                f.counts.add(c.status);
                f.last_closes_at = f.last_closes_at.max(c.closes_at);
                if region.is_none()
                    && c.status == CheckinStatus::Answered
                    && let Some(at) = c.answered_at
                {
                    times.push(at - c.prompted_at);
                }
            }
        }
        Ok(groups
            .into_values()
            .map(|(mut f, mut times)| {
                times.sort();
                f.median_to_answer = times.get(times.len() / 2).copied();
                f
            })
            .collect())
    }
}
