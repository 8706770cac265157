//! Announcements from the program office with their recipients (created by the scheduler's
//! `effects`, acknowledged in chat).

use crate::error::DbResultExt;
use crate::rows::{
    AmbassadorRow, AnnouncementRow, ambassador_columns, announcement_columns, select_announcements,
};
use crate::scheduler::{builder, rows_per_statement};
use crate::{SqlStore, to_micros};
use ambassador_core::{
    Announcement, AnnouncementId, AnnouncementRecipient, AnnouncementStore, PersonId, StoreError,
    StoreResult,
};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

/// Newest first; the newer id first among announcements of the same instant.
fn sort_newest_first(announcements: &mut [Announcement]) {
    announcements.sort_unstable_by_key(|a| (Reverse(a.created_at), Reverse(a.id)));
}

/// What a recipient did with an announcement (the columns of `r`).
#[derive(sqlx::FromRow)]
struct ReceiptRow {
    acked_at: Option<DateTime<Utc>>,
    shared_at: Option<DateTime<Utc>>,
    reminded_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    announcement_id: i64,
    #[sqlx(flatten)]
    receipt: ReceiptRow,
    #[sqlx(flatten)]
    ambassador: AmbassadorRow,
}

impl ReceiptRow {
    fn into_recipient(
        self,
        announcement: AnnouncementId,
        ambassador: AmbassadorRow,
    ) -> StoreResult<AnnouncementRecipient> {
        Ok(AnnouncementRecipient {
            announcement,
            ambassador: ambassador.into_ambassador()?,
            acked_at: self.acked_at,
            shared_at: self.shared_at,
            reminded_at: self.reminded_at,
        })
    }
}

/// Recipients `r` joined with their roster entry `a`, person `p` and department `d` (recipients off
/// the roster drop out of the inner join).
macro_rules! recipients_on_roster {
    () => {
        " FROM announcement_recipients r \
          JOIN ambassadors a ON a.person_id = r.person_id \
          JOIN people p ON p.id = r.person_id \
          JOIN departments d ON d.id = a.department_id"
    };
}

#[derive(sqlx::FromRow)]
struct DueRow {
    #[sqlx(flatten)]
    announcement: AnnouncementRow,
    #[sqlx(flatten)]
    receipt: ReceiptRow,
    #[sqlx(flatten)]
    ambassador: AmbassadorRow,
}

impl AnnouncementStore for SqlStore {
    async fn announcements(&self, since: DateTime<Utc>) -> StoreResult<Vec<Announcement>> {
        self.guarded(|| async move {
            let store = self;
            let rows: Vec<AnnouncementRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    select_announcements!(),
                    " WHERE n.created_at >= $1"
                ))
                .bind(to_micros(since))
                .fetch_all(pool)
                .await
                .db()?
            });
            let mut announcements = rows
                .into_iter()
                .map(AnnouncementRow::into_announcement)
                .collect::<StoreResult<Vec<_>>>()?;
            sort_newest_first(&mut announcements);
            Ok(announcements)
        })
        .await
    }

    async fn announcement_recipients(
        &self,
        announcements: &[AnnouncementId],
    ) -> StoreResult<Vec<AnnouncementRecipient>> {
        self.guarded(|| async move {
            let store = self;
            let mut ids = announcements.to_vec();
            ids.sort_unstable();
            ids.dedup();
            let mut rows: Vec<RecipientRow> = Vec::new();
            with_pool!(store, |pool| {
                for chunk in ids.chunks(rows_per_statement(1)) {
                    let mut select = builder(
                        pool,
                        concat!(
                            "SELECT r.announcement_id, r.acked_at, r.shared_at, r.reminded_at, ",
                            ambassador_columns!(),
                            recipients_on_roster!(),
                            " WHERE r.announcement_id IN ("
                        ),
                    );
                    let mut list = select.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    select.push(")");
                    rows.extend(
                        select
                            .build_query_as::<RecipientRow>()
                            .persistent(false)
                            .fetch_all(pool)
                            .await
                            .db()?,
                    );
                }
            });
            rows.sort_by_cached_key(|row| (row.announcement_id, row.ambassador.order_key()));
            rows.into_iter()
                .map(|row| {
                    row.receipt
                        .into_recipient(row.announcement_id, row.ambassador)
                })
                .collect()
        })
        .await
    }

    async fn open_announcements(&self, person: PersonId) -> StoreResult<Vec<Announcement>> {
        self.guarded(|| async move {
            let store = self;
            let rows: Vec<AnnouncementRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    select_announcements!(),
                    " JOIN announcement_recipients r ON r.announcement_id = n.id \
              WHERE r.person_id = $1 AND r.acked_at IS NULL"
                ))
                .bind(person)
                .fetch_all(pool)
                .await
                .db()?
            });
            let mut announcements = rows
                .into_iter()
                .map(AnnouncementRow::into_announcement)
                .collect::<StoreResult<Vec<_>>>()?;
            sort_newest_first(&mut announcements);
            Ok(announcements)
        })
        .await
    }

    async fn acknowledge_announcement(
        &self,
        announcement: AnnouncementId,
        person: PersonId,
        shared: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            // Sharing implies acknowledging; each instant is kept from the first time.
            let matched = with_pool!(store, |pool| {
                sqlx::query(
                    "UPDATE announcement_recipients \
             SET acked_at = COALESCE(acked_at, $3), \
                 shared_at = CASE WHEN $4 THEN COALESCE(shared_at, $3) ELSE shared_at END \
             WHERE announcement_id = $1 AND person_id = $2",
                )
                .bind(announcement)
                .bind(person)
                .bind(to_micros(at))
                .bind(shared)
                .execute(pool)
                .await
                .db()?
                .rows_affected()
            });
            if matched == 0 {
                return Err(StoreError::NotFound(format!(
                    "announcement {announcement} sent to person {person}"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn announcement_reminders_due(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<(Announcement, AnnouncementRecipient)>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<DueRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    announcement_columns!(),
                    ", r.acked_at, r.shared_at, r.reminded_at, ",
                    ambassador_columns!(),
                    recipients_on_roster!(),
                    " JOIN announcements n ON n.id = r.announcement_id \
              JOIN people ap ON ap.id = n.author_id \
              WHERE n.created_at < $1 AND r.acked_at IS NULL AND r.reminded_at IS NULL"
                ))
                .bind(to_micros(before))
                .fetch_all(pool)
                .await
                .db()?
            });
            // Oldest announcement first, its recipients in roster order.
            rows.sort_by_cached_key(|row| {
                (
                    row.announcement.announcement_created_at,
                    row.announcement.announcement_id,
                    row.ambassador.order_key(),
                )
            });
            rows.into_iter()
                .map(|row| {
                    let announcement = row.announcement.into_announcement()?;
                    let recipient = row
                        .receipt
                        .into_recipient(announcement.id, row.ambassador)?;
                    Ok((announcement, recipient))
                })
                .collect()
        })
        .await
    }
}
