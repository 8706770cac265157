//! The activity log of what ambassadors did.

use crate::error::{DbResultExt, is_foreign_key_violation, to_store_error};
use crate::rows::{ActivityRow, AmbassadorRow, activity_columns, ambassador_columns};
use crate::{SqlStore, to_micros};
use ambassador_core::{
    Activity, ActivityEntry, ActivityFilter, ActivityId, ActivityStore, NewActivity, PersonId,
    StoreError, StoreResult,
};
use std::cmp::Reverse;

fn no_activity(id: ActivityId, author: PersonId) -> StoreError {
    StoreError::NotFound(format!("activity {id} of person {author}"))
}

fn audience(activity: &NewActivity) -> Option<i64> {
    activity.audience.map(i64::from)
}

#[derive(sqlx::FromRow)]
struct ActivityEntryRow {
    #[sqlx(flatten)]
    activity: ActivityRow,
    #[sqlx(flatten)]
    ambassador: AmbassadorRow,
}

impl ActivityStore for SqlStore {
    async fn add_activity(&self, activity: &NewActivity) -> StoreResult<Activity> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let tags = activity.tags.join(" ");
            let row: Result<ActivityRow, sqlx::Error> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
            "INSERT INTO activities (author_id, text, tags, audience, happened_on, logged_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            activity_columns!("")
        ))
        .bind(activity.author)
        .bind(&activity.text)
        .bind(&tags)
        .bind(audience(activity))
        .bind(activity.on)
        .bind(to_micros(activity.logged_at))
        .fetch_all(pool)
        .await
        .and_then(crate::error::only_row)
            });
            match row {
                Ok(row) => row.into_activity(),
                Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound(format!(
                    "person {} (author of an activity)",
                    activity.author
                ))),
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn update_activity(
        &self,
        id: ActivityId,
        author: PersonId,
        activity: &NewActivity,
    ) -> StoreResult<Activity> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let tags = activity.tags.join(" ");
            let row: Option<ActivityRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "UPDATE activities SET text = $3, tags = $4, audience = $5, happened_on = $6 \
             WHERE id = $1 AND author_id = $2 RETURNING ",
                    activity_columns!("")
                ))
                .bind(id)
                .bind(author)
                .bind(&activity.text)
                .bind(&tags)
                .bind(audience(activity))
                .bind(activity.on)
                .fetch_all(pool)
                .await
                .map(crate::error::first_row)
                .db()?
            });
            row.ok_or_else(|| no_activity(id, author))?.into_activity()
        })
        .await
    }

    async fn delete_activity(&self, id: ActivityId, author: PersonId) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let deleted = with_pool!(store, |pool| {
                sqlx::query("DELETE FROM activities WHERE id = $1 AND author_id = $2")
                    .bind(id)
                    .bind(author)
                    .execute(pool)
                    .await
                    .db()?
                    .rows_affected()
            });
            if deleted == 0 {
                return Err(no_activity(id, author));
            }
            Ok(())
        })
        .await
    }

    async fn activity(&self, id: ActivityId) -> StoreResult<Option<Activity>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<ActivityRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    activity_columns!(""),
                    " FROM activities WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(pool)
                .await
                .db()?
            });
            row.map(ActivityRow::into_activity).transpose()
        })
        .await
    }

    async fn activities(&self, filter: &ActivityFilter) -> StoreResult<Vec<ActivityEntry>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<ActivityEntryRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    activity_columns!("v."),
                    ", ",
                    ambassador_columns!(),
                    " FROM activities v \
              JOIN ambassadors a ON a.person_id = v.author_id \
              JOIN people p ON p.id = v.author_id \
              JOIN departments d ON d.id = a.department_id \
              WHERE ($1 IS NULL OR v.happened_on >= $1) \
                AND ($2 IS NULL OR v.happened_on <= $2) \
                AND ($3 IS NULL OR v.author_id = $3)"
                ))
                .bind(filter.from)
                .bind(filter.to)
                .bind(filter.author)
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.sort_unstable_by_key(|row| {
                (
                    Reverse(row.activity.activity_on),
                    Reverse(row.activity.activity_id),
                )
            });
            rows.into_iter()
                .map(|row| {
                    Ok(ActivityEntry {
                        activity: row.activity.into_activity()?,
                        ambassador: row.ambassador.into_ambassador()?,
                    })
                })
                .collect()
        })
        .await
    }
}
