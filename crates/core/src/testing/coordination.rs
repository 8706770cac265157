//! Leases and inbound events seen (the SQL store's `coordination.rs`).

use super::{MemoryStore, to_micros};
use crate::ports::{CoordinationStore, StoreResult};
use chrono::{DateTime, TimeDelta, Utc};

/// How long an event key is remembered.
const EVENT_MEMORY: TimeDelta = TimeDelta::days(1);

impl CoordinationStore for MemoryStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut s = self.lock();
        let now = to_micros(now);
        let expires_at = to_micros(now.checked_add_signed(ttl).unwrap_or(now));
        let free = s
            .leases
            .get(name)
            .is_none_or(|(current, until)| current == holder || *until <= now);
        if free {
            s.leases
                .insert(name.to_owned(), (holder.to_owned(), expires_at));
        }
        Ok(free)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<bool> {
        let mut s = self.lock();
        if s.leases
            .get(name)
            .is_some_and(|(current, _)| current == holder)
        {
            s.leases.remove(name);
            return Ok(true);
        }
        Ok(false)
    }

    async fn lease_holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        let s = self.lock();
        let now = to_micros(now);
        Ok(s.leases
            .get(name)
            .filter(|(_, until)| *until > now)
            .cloned())
    }

    async fn remember_event(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut s = self.lock();
        let now = to_micros(now);
        let forgotten_before = to_micros(now.checked_sub_signed(EVENT_MEMORY).unwrap_or(now));
        // A key seen more than a day ago counts as new; old keys are forgotten as we go.
        let new = s
            .seen_events
            .get(key)
            .is_none_or(|seen| *seen < forgotten_before);
        if new {
            s.seen_events.retain(|_, seen| *seen >= forgotten_before);
            s.seen_events.insert(key.to_owned(), now);
        }
        Ok(new)
    }
}
