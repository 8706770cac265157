//! The activity log (the SQL store's `activity.rs`).

use super::{ActivityRow, MemoryStore, not_found, split_tags, to_micros};
use crate::model::{Activity, ActivityEntry, ActivityFilter, ActivityId, NewActivity, PersonId};
use crate::ports::{ActivityStore, StoreError, StoreResult};
use std::cmp::Reverse;

fn no_activity(id: ActivityId, author: PersonId) -> StoreError {
    not_found(format!("activity {id} of person {author}"))
}

fn read(id: ActivityId, row: &ActivityRow) -> Activity {
    Activity {
        id,
        author: row.author,
        text: row.text.clone(),
        tags: split_tags(&row.tags),
        audience: row.audience,
        on: row.on,
        logged_at: row.logged_at,
    }
}

impl ActivityStore for MemoryStore {
    async fn add_activity(&self, activity: &NewActivity) -> StoreResult<Activity> {
        let mut s = self.lock();
        if !s.person_exists(activity.author) {
            return Err(not_found(format!(
                "person {} (author of an activity)",
                activity.author
            )));
        }
        let id = super::next(&mut s.ids.activity);
        let row = ActivityRow {
            author: activity.author,
            text: activity.text.clone(),
            tags: activity.tags.join(" "),
            audience: activity.audience,
            on: activity.on,
            logged_at: to_micros(activity.logged_at),
        };
        let read = read(id, &row);
        s.activities.insert(id, row);
        Ok(read)
    }

    async fn update_activity(
        &self,
        id: ActivityId,
        author: PersonId,
        activity: &NewActivity,
    ) -> StoreResult<Activity> {
        let mut s = self.lock();
        let Some(row) = s.activities.get_mut(&id).filter(|a| a.author == author) else {
            return Err(no_activity(id, author));
        };
        row.text.clone_from(&activity.text);
        row.tags = activity.tags.join(" ");
        row.audience = activity.audience;
        row.on = activity.on;
        Ok(read(id, row))
    }

    async fn delete_activity(&self, id: ActivityId, author: PersonId) -> StoreResult<()> {
        let mut s = self.lock();
        match s.activities.get(&id) {
            Some(a) if a.author == author => {
                s.activities.remove(&id);
                Ok(())
            }
            _ => Err(no_activity(id, author)),
        }
    }

    async fn activity(&self, id: ActivityId) -> StoreResult<Option<Activity>> {
        let s = self.lock();
        Ok(s.activities.get(&id).map(|row| read(id, row)))
    }

    async fn activities(&self, filter: &ActivityFilter) -> StoreResult<Vec<ActivityEntry>> {
        let s = self.lock();
        let mut found: Vec<ActivityEntry> = s
            .activities
            .iter()
            .filter(|(_, a)| {
                filter.from.is_none_or(|from| a.on >= from)
                    && filter.to.is_none_or(|to| a.on <= to)
                    && filter.author.is_none_or(|author| a.author == author)
            })
            // Authors no longer on the roster are left out.
            .filter_map(|(&id, a)| {
                Some(ActivityEntry {
                    activity: read(id, a),
                    ambassador: s.ambassador(a.author)?,
                })
            })
            .collect();
        found.sort_by_key(|e| (Reverse(e.activity.on), Reverse(e.activity.id)));
        Ok(found)
    }
}
