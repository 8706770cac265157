//! Announcements and their recipients (the SQL store's `announcements.rs`); created by the
//! scheduler's effects (`scheduler.rs`).

use super::{MemoryStore, Receipt, State, roster_order, to_micros};
use crate::model::{Announcement, AnnouncementId, AnnouncementRecipient, PersonId};
use crate::ports::{AnnouncementStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

impl State {
    fn read_announcement(&self, id: AnnouncementId) -> Announcement {
        let n = &self.announcements[&id];
        Announcement {
            id,
            key: n.key.clone(),
            author: self.person_ref(n.author),
            text: n.text.clone(),
            audience: n.audience.clone(),
            created_at: n.created_at,
        }
    }

    /// The recipient with their roster entry; `None` when they are no longer on the roster.
    fn read_recipient(
        &self,
        announcement: AnnouncementId,
        person: PersonId,
        receipt: &Receipt,
    ) -> Option<AnnouncementRecipient> {
        Some(AnnouncementRecipient {
            announcement,
            ambassador: self.ambassador(person)?,
            acked_at: receipt.acked_at,
            shared_at: receipt.shared_at,
            reminded_at: receipt.reminded_at,
        })
    }
}

/// Newest first; the newer id first among announcements of the same instant.
fn sort_newest_first(announcements: &mut [Announcement]) {
    announcements.sort_by_key(|a| (Reverse(a.created_at), Reverse(a.id)));
}

impl AnnouncementStore for MemoryStore {
    async fn announcements(&self, since: DateTime<Utc>) -> StoreResult<Vec<Announcement>> {
        let s = self.lock();
        let since = to_micros(since);
        let mut found: Vec<Announcement> = s
            .announcements
            .iter()
            .filter(|(_, n)| n.created_at >= since)
            .map(|(&id, _)| s.read_announcement(id))
            .collect();
        sort_newest_first(&mut found);
        Ok(found)
    }

    async fn announcement_recipients(
        &self,
        announcements: &[AnnouncementId],
    ) -> StoreResult<Vec<AnnouncementRecipient>> {
        let s = self.lock();
        let mut found: Vec<AnnouncementRecipient> = s
            .recipients
            .iter()
            .filter(|((announcement, _), _)| announcements.contains(announcement))
            .filter_map(|(&(announcement, person), receipt)| {
                s.read_recipient(announcement, person, receipt)
            })
            .collect();
        found.sort_by_cached_key(|r| (r.announcement, roster_order(&r.ambassador)));
        Ok(found)
    }

    async fn open_announcements(&self, person: PersonId) -> StoreResult<Vec<Announcement>> {
        let s = self.lock();
        let mut found: Vec<Announcement> = s
            .recipients
            .iter()
            .filter(|((_, p), receipt)| *p == person && receipt.acked_at.is_none())
            .map(|(&(announcement, _), _)| s.read_announcement(announcement))
            .collect();
        sort_newest_first(&mut found);
        Ok(found)
    }

    async fn acknowledge_announcement(
        &self,
        announcement: AnnouncementId,
        person: PersonId,
        shared: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut s = self.lock();
        let Some(receipt) = s.recipients.get_mut(&(announcement, person)) else {
            return Err(StoreError::NotFound(format!(
                "announcement {announcement} sent to person {person}"
            )));
        };
        // Sharing implies acknowledging; each instant is kept from the first time.
        let at = to_micros(at);
        receipt.acked_at = receipt.acked_at.or(Some(at));
        if shared {
            receipt.shared_at = receipt.shared_at.or(Some(at));
        }
        Ok(())
    }

    async fn announcement_reminders_due(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<(Announcement, AnnouncementRecipient)>> {
        let s = self.lock();
        let before = to_micros(before);
        let mut found: Vec<(Announcement, AnnouncementRecipient)> = s
            .recipients
            .iter()
            .filter(|((announcement, _), receipt)| {
                s.announcements[announcement].created_at < before
                    && receipt.acked_at.is_none()
                    && receipt.reminded_at.is_none()
            })
            .filter_map(|(&(announcement, person), receipt)| {
                Some((
                    s.read_announcement(announcement),
                    s.read_recipient(announcement, person, receipt)?,
                ))
            })
            .collect();
        // Oldest announcement first, its recipients in roster order.
        found.sort_by_cached_key(|(n, r)| (n.created_at, n.id, roster_order(&r.ambassador)));
        Ok(found)
    }
}
