//! The outbox: leased to dispatchers, marked sent, retried or given up on (the SQL store's
//! `outbox.rs`); rows are written with the decisions that make them (`State::queue_outbox`).

use super::{MemoryStore, State, to_micros};
use crate::model::{OutboxItem, OutboxStats, OutboxStatus, Platform};
use crate::ports::{OutboxStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};

fn no_item(id: i64) -> StoreError {
    super::not_found(format!("outbox item {id}"))
}

impl State {
    /// The item `id` when it is pending; `Ok(None)` when it exists in another status.
    fn pending_item(&mut self, id: i64) -> StoreResult<Option<&mut super::OutboxRow>> {
        match self.outbox.get_mut(&id) {
            None => Err(no_item(id)),
            Some(row) if row.item.status == OutboxStatus::Pending => Ok(Some(row)),
            Some(_) => Ok(None),
        }
    }
}

impl OutboxStore for MemoryStore {
    async fn claim_outbox(
        &self,
        platforms: &[Platform],
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        if platforms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut s = self.lock();
        let now = to_micros(now);
        let locked_until = to_micros(now.checked_add_signed(lease).unwrap_or(now));
        let mut due: Vec<(DateTime<Utc>, i64)> = s
            .outbox
            .values()
            .filter(|row| {
                row.item.status == OutboxStatus::Pending
                    && platforms.contains(&row.item.outgoing.to.platform())
                    && row.item.next_attempt_at <= now
                    && row.locked_until.is_none_or(|until| until <= now)
            })
            .map(|row| (row.item.next_attempt_at, row.item.id))
            .collect();
        due.sort_unstable();
        due.truncate(limit as usize);
        Ok(due
            .into_iter()
            .map(|(_, id)| {
                let row = s.outbox.get_mut(&id).expect("just found");
                row.locked_until = Some(locked_until);
                row.item.clone()
            })
            .collect())
    }

    async fn outbox_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        // Whatever its status: a message that went out was sent.
        let mut s = self.lock();
        let row = s.outbox.get_mut(&id).ok_or_else(|| no_item(id))?;
        row.item.status = OutboxStatus::Sent;
        row.item.sent_at = Some(to_micros(at));
        row.locked_until = None;
        Ok(())
    }

    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
        count_attempt: bool,
    ) -> StoreResult<()> {
        // Only a pending item goes back in line.
        let mut s = self.lock();
        if let Some(row) = s.pending_item(id)? {
            row.item.next_attempt_at = to_micros(next_attempt_at);
            row.item.last_error = error.map(str::to_owned);
            row.item.attempts += u32::from(count_attempt);
            row.locked_until = None;
        }
        Ok(())
    }

    async fn outbox_failed(&self, id: i64, error: &str, _at: DateTime<Utc>) -> StoreResult<()> {
        // Only from pending, like a retry: a message another dispatcher sent stays sent.
        let mut s = self.lock();
        if let Some(row) = s.pending_item(id)? {
            row.item.status = OutboxStatus::Failed;
            row.item.attempts += 1;
            row.item.last_error = Some(error.to_owned());
            row.locked_until = None;
        }
        Ok(())
    }

    async fn outbox_items(
        &self,
        statuses: &[OutboxStatus],
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        let s = self.lock();
        let mut items: Vec<&OutboxItem> = s
            .outbox
            .values()
            .map(|row| &row.item)
            .filter(|item| statuses.is_empty() || statuses.contains(&item.status))
            .collect();
        items.sort_by_key(|item| (item.created_at, item.id));
        Ok(items.into_iter().take(limit as usize).cloned().collect())
    }

    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        let s = self.lock();
        let mut stats = OutboxStats::default();
        for row in s.outbox.values() {
            match row.item.status {
                OutboxStatus::Pending => {
                    stats.pending += 1;
                    let created = row.item.created_at;
                    stats.oldest_pending =
                        Some(stats.oldest_pending.map_or(created, |o| o.min(created)));
                }
                OutboxStatus::Sent => stats.sent += 1,
                OutboxStatus::Failed => stats.failed += 1,
            }
        }
        Ok(stats)
    }
}
