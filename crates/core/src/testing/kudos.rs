//! Kudos under a daily limit per giver, read back by time range (the SQL store's `kudos.rs`).

use super::{KudosRow, MemoryStore, State, by_display_name, split_tags, to_micros};
use crate::model::{
    DepartmentId, Kudos, KudosFigures, KudosId, KudosOutcome, KudosTally, NewKudos, PersonId,
    PersonRef, name_key,
};
use crate::ports::{KudosStore, Outgoing, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

impl State {
    fn record_kudos(
        &mut self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<KudosOutcome> {
        let unknown = || {
            StoreError::NotFound(format!(
                "person among giver {} and receivers {:?}",
                kudos.giver, kudos.receivers
            ))
        };
        if !self.person_exists(kudos.giver) {
            return Err(unknown());
        }
        if let Some(source) = &kudos.source
            && self
                .kudos
                .values()
                .any(|k| k.giver == kudos.giver && k.source.as_ref() == Some(source))
        {
            return Err(StoreError::Conflict(format!(
                "kudos from {source} by giver {}",
                kudos.giver
            )));
        }
        if !kudos.receivers.iter().all(|&r| self.person_exists(r)) {
            return Err(unknown());
        }
        let given_at = to_micros(kudos.given_at);
        let day_start = to_micros(day_start);
        // Under a limit, the giver's kudos of the day, this one included, counted up to one over
        // the limit; with no limit nothing is counted.
        let given = (daily_limit != u32::MAX).then(|| {
            let cap = u64::from(daily_limit) + 1;
            let before = self
                .kudos
                .values()
                .filter(|k| k.giver == kudos.giver && k.given_at >= day_start)
                .count() as u64;
            let today = (before + u64::from(given_at >= day_start)).min(cap);
            u32::try_from(today).unwrap_or(u32::MAX)
        });
        if let Some(given) = given
            && given > daily_limit
        {
            return Ok(KudosOutcome::LimitReached {
                given_today: given - 1,
            });
        }
        let mut receivers = kudos.receivers.clone();
        receivers.sort_unstable();
        receivers.dedup();
        let id = super::next(&mut self.ids.kudos);
        self.kudos.insert(
            id,
            KudosRow {
                giver: kudos.giver,
                receivers,
                reason: kudos.reason.clone(),
                tags: kudos.tags.join(" "),
                room: kudos.room.clone(),
                given_at,
                source: kudos.source.clone(),
            },
        );
        self.queue_outbox(notices, given_at);
        Ok(KudosOutcome::Recorded {
            id,
            given_today: given,
        })
    }

    /// The kudos `id` as read back: receivers ordered by display name.
    fn read_kudos(&self, id: KudosId, row: &KudosRow) -> Kudos {
        let mut receivers: Vec<PersonRef> =
            row.receivers.iter().map(|&r| self.person_ref(r)).collect();
        receivers.sort_by(by_display_name);
        Kudos {
            id,
            giver: self.person_ref(row.giver),
            receivers,
            reason: row.reason.clone(),
            tags: split_tags(&row.tags),
            given_at: row.given_at,
            room: row.room.clone(),
        }
    }

    /// Kudos given in `[from, to)` by the regions of their receivers' roster entries (see
    /// [`KudosStore::kudos_by_region`]).
    fn kudos_by_region(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(String, u64)> {
        // Per region key: its least spelling and the kudos among whose receivers it is.
        let mut regions: BTreeMap<String, (Option<String>, BTreeSet<KudosId>)> = BTreeMap::new();
        for (id, k) in self.kudos_in(from, to) {
            for r in &k.receivers {
                let region = self
                    .roster
                    .get(r)
                    .and_then(|e| self.departments.get(&e.department))
                    .map(|d| d.region.clone());
                let key = region.as_deref().map(name_key).unwrap_or_default();
                let (least, kudos) = regions.entry(key).or_default();
                if let Some(region) = region
                    && least.as_ref().is_none_or(|l| region < *l)
                {
                    *least = Some(region);
                }
                kudos.insert(id);
            }
        }
        regions
            .into_iter()
            .map(|(key, (least, kudos))| {
                // Receivers off the roster, and a region whose name has no key, count under "".
                let region = if key.is_empty() {
                    String::new()
                } else {
                    least.unwrap_or_default()
                };
                (region, kudos.len() as u64)
            })
            .collect()
    }

    /// The kudos given in `[from, to)`, oldest first.
    fn kudos_in(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(KudosId, &KudosRow)> {
        let (from, to) = (to_micros(from), to_micros(to));
        let mut found: Vec<(KudosId, &KudosRow)> = self
            .kudos
            .iter()
            .filter(|(_, k)| k.given_at >= from && k.given_at < to)
            .map(|(&id, k)| (id, k))
            .collect();
        found.sort_by_key(|(id, k)| (k.given_at, *id));
        found
    }
}

impl KudosStore for MemoryStore {
    async fn record_kudos(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
    ) -> StoreResult<KudosOutcome> {
        self.lock().record_kudos(kudos, daily_limit, day_start, &[])
    }

    async fn record_kudos_notifying(
        &self,
        kudos: &NewKudos,
        daily_limit: u32,
        day_start: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<KudosOutcome> {
        self.lock()
            .record_kudos(kudos, daily_limit, day_start, notices)
    }

    async fn take_back_kudos(&self, giver: PersonId, source: &str) -> StoreResult<Option<Kudos>> {
        let mut s = self.lock();
        let Some(id) = s
            .kudos
            .iter()
            .find(|(_, k)| k.giver == giver && k.source.as_deref() == Some(source))
            .map(|(&id, _)| id)
        else {
            return Ok(None);
        };
        let row = s.kudos.remove(&id).expect("just found");
        Ok(Some(s.read_kudos(id, &row)))
    }

    async fn kudos_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Kudos>> {
        let s = self.lock();
        Ok(s.kudos_in(from, to)
            .into_iter()
            .map(|(id, k)| s.read_kudos(id, k))
            .collect())
    }

    async fn kudos_latest(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<(u64, Vec<Kudos>)> {
        let s = self.lock();
        let all = s.kudos_in(from, to);
        let total = all.len() as u64;
        let skip = all.len().saturating_sub(limit as usize);
        Ok((
            total,
            all[skip..]
                .iter()
                .map(|&(id, k)| s.read_kudos(id, k))
                .collect(),
        ))
    }

    async fn kudos_tally(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<KudosTally>> {
        let s = self.lock();
        let mut counts: BTreeMap<PersonId, (u64, u64)> = BTreeMap::new();
        for (_, k) in s.kudos_in(from, to) {
            counts.entry(k.giver).or_default().1 += 1;
            for &r in &k.receivers {
                counts.entry(r).or_default().0 += 1;
            }
        }
        let mut tally: Vec<KudosTally> = counts
            .into_iter()
            .filter(|(person, _)| !s.optouts.contains(person))
            .map(|(person, (received, given))| KudosTally {
                person: s.person_ref(person),
                received,
                given,
            })
            .collect();
        tally.sort_by(|a, b| by_display_name(&a.person, &b.person));
        Ok(tally)
    }

    async fn kudos_by_region(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, u64)>> {
        Ok(self.lock().kudos_by_region(from, to))
    }

    async fn kudos_figures(&self, bounds: &[DateTime<Utc>], top: u32) -> StoreResult<KudosFigures> {
        let s = self.lock();
        let (Some(&from), Some(&to)) = (bounds.first(), bounds.last()) else {
            return Ok(KudosFigures::default());
        };
        let kudos = s.kudos_in(from, to);
        let per_period = bounds
            .windows(2)
            .map(|w| {
                let (a, b) = (to_micros(w[0]), to_micros(w[1]));
                kudos
                    .iter()
                    .filter(|(_, k)| k.given_at >= a && k.given_at < b)
                    .count() as u64
            })
            .collect();
        let mut tags: BTreeMap<String, u64> = BTreeMap::new();
        let mut departments: BTreeMap<DepartmentId, u64> = BTreeMap::new();
        let mut given: BTreeMap<PersonId, u64> = BTreeMap::new();
        let mut received: BTreeMap<PersonId, u64> = BTreeMap::new();
        for (_, k) in &kudos {
            for t in split_tags(&k.tags) {
                *tags.entry(t).or_default() += 1;
            }
            let homes: BTreeSet<DepartmentId> = k
                .receivers
                .iter()
                .filter_map(|r| s.roster.get(r))
                .map(|e| e.department)
                .filter(|d| s.departments.contains_key(d))
                .collect();
            for d in homes {
                *departments.entry(d).or_default() += 1;
            }
            *given.entry(k.giver).or_default() += 1;
            for &r in &k.receivers {
                *received.entry(r).or_default() += 1;
            }
        }
        let most = |counts: BTreeMap<PersonId, u64>| {
            let mut list: Vec<(PersonRef, u64)> = counts
                .into_iter()
                .filter(|(p, _)| !s.optouts.contains(p))
                .map(|(p, n)| (s.person_ref(p), n))
                .collect();
            list.sort_by(|a, b| {
                b.1.cmp(&a.1)
                    .then_with(|| a.0.display_name.cmp(&b.0.display_name))
                    .then_with(|| {
                        a.0.account
                            .platform
                            .as_str()
                            .cmp(b.0.account.platform.as_str())
                    })
                    .then_with(|| a.0.account.id.cmp(&b.0.account.id))
            });
            list.truncate(top as usize);
            list
        };
        Ok(KudosFigures {
            regions: s.kudos_by_region(from, to),
            per_period,
            tags: tags.into_iter().collect(),
            departments: departments
                .into_iter()
                .map(|(d, n)| (s.departments[&d].clone(), n))
                .collect(),
            givers: most(given),
            receivers: most(received),
        })
    }

    async fn kudos_received(&self, person: PersonId) -> StoreResult<Vec<Kudos>> {
        let s = self.lock();
        let mut found: Vec<(KudosId, &KudosRow)> = s
            .kudos
            .iter()
            .filter(|(_, k)| k.receivers.contains(&person))
            .map(|(&id, k)| (id, k))
            .collect();
        found.sort_by_key(|(id, k)| (k.given_at, *id));
        Ok(found
            .into_iter()
            .map(|(id, k)| s.read_kudos(id, k))
            .collect())
    }

    async fn kudos_counts(&self, person: PersonId) -> StoreResult<(u32, u32)> {
        let s = self.lock();
        let received = s
            .kudos
            .values()
            .filter(|k| k.receivers.contains(&person))
            .count();
        let given = s.kudos.values().filter(|k| k.giver == person).count();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok((count(received), count(given)))
    }
}
