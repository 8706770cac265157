//! Requests, their labels and their threads (the SQL store's `requests.rs`).

use super::{MemoryStore, MessageRow, RequestRow, State, not_found, to_micros};
use crate::model::{
    NewRequest, PersonId, Request, RequestChange, RequestFilter, RequestId, RequestMessage,
    RequestStatus,
};
use crate::ports::{Outgoing, RequestStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// Labels as stored: trimmed, without a leading `#`, lowercase, each once, none empty.
fn clean_labels(labels: &[String]) -> BTreeSet<String> {
    labels
        .iter()
        .map(|l| l.trim().trim_start_matches('#').trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
}

fn no_request(id: RequestId) -> StoreError {
    not_found(format!("request {id}"))
}

impl State {
    fn read_request(&self, id: RequestId) -> Request {
        let r = &self.requests[&id];
        Request {
            id,
            ambassador: self.person_ref(r.ambassador),
            department: r.department.clone(),
            region: r.region.clone(),
            round: r.round,
            text: r.text.clone(),
            status: r.status,
            owner: r.owner.map(|o| self.person_ref(o)),
            labels: r.labels.iter().cloned().collect(),
            created_at: r.created_at,
            first_answer_at: r.first_answer_at,
            closed_at: r.closed_at,
            note: r.note.clone(),
            overdue_listed_at: r.overdue_listed_at,
        }
    }
}

impl RequestStore for MemoryStore {
    async fn add_request(
        &self,
        new: &NewRequest,
        notify: &(dyn Fn(RequestId) -> Vec<Outgoing> + Send + Sync),
    ) -> StoreResult<Request> {
        let mut s = self.lock();
        if !s.person_exists(new.ambassador) {
            return Err(not_found(format!("person {}", new.ambassador)));
        }
        // One request per ambassador and round; any number without a round.
        if let Some(round) = new.round
            && s.requests
                .values()
                .any(|r| r.ambassador == new.ambassador && r.round == Some(round))
        {
            return Err(StoreError::Conflict(format!(
                "person {} already has a request from the round of {round}",
                new.ambassador
            )));
        }
        let created_at = to_micros(new.created_at);
        let id = super::next(&mut s.ids.request);
        s.requests.insert(
            id,
            RequestRow {
                ambassador: new.ambassador,
                department: new.department.clone(),
                region: new.region.clone(),
                round: new.round,
                text: new.text.clone(),
                status: RequestStatus::New,
                owner: None,
                labels: clean_labels(&new.labels),
                created_at,
                first_answer_at: None,
                closed_at: None,
                note: None,
                overdue_listed_at: None,
            },
        );
        s.queue_outbox(&notify(id), created_at);
        Ok(s.read_request(id))
    }

    async fn request(&self, id: RequestId) -> StoreResult<Option<Request>> {
        let s = self.lock();
        Ok(s.requests.contains_key(&id).then(|| s.read_request(id)))
    }

    async fn requests(&self, filter: &RequestFilter) -> StoreResult<Vec<Request>> {
        let s = self.lock();
        Ok(s.requests
            .iter()
            .rev()
            .filter(|(_, r)| {
                filter.ambassador.is_none_or(|a| r.ambassador == a)
                    && (!filter.open_only || r.status.is_open())
            })
            .map(|(&id, _)| s.read_request(id))
            .collect())
    }

    async fn edit_request(
        &self,
        id: RequestId,
        text: &str,
        labels: &[String],
    ) -> StoreResult<bool> {
        let mut s = self.lock();
        let threaded = s.request_messages.iter().any(|m| m.request == id);
        let Some(r) = s.requests.get_mut(&id) else {
            return Err(no_request(id));
        };
        if r.status != RequestStatus::New || r.first_answer_at.is_some() || threaded {
            return Ok(false);
        }
        text.clone_into(&mut r.text);
        r.labels = clean_labels(labels);
        Ok(true)
    }

    async fn update_request(
        &self,
        id: RequestId,
        change: &RequestChange,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Request> {
        let mut s = self.lock();
        if !s.requests.contains_key(&id) {
            return Err(no_request(id));
        }
        if let Some(owner) = change.owner
            && !s.person_exists(owner)
        {
            return Err(not_found(format!(
                "person {owner} (the owner of request {id})"
            )));
        }
        let now = to_micros(now);
        let r = s.requests.get_mut(&id).expect("checked above");
        if let Some(status) = change.status {
            // Closing sets `closed_at` (kept when it was closed with this status already);
            // an open status clears it.
            r.closed_at = if status.is_open() {
                None
            } else if r.status == status {
                r.closed_at.or(Some(now))
            } else {
                Some(now)
            };
            r.status = status;
        }
        // A status or an owner is an answer to the ambassador; labels and a note alone are not.
        if change.status.is_some() || change.owner.is_some() {
            r.first_answer_at = r.first_answer_at.or(Some(now));
        }
        if let Some(owner) = change.owner {
            r.owner = Some(owner);
        }
        if let Some(note) = &change.note {
            r.note = Some(note.clone());
        }
        r.labels.extend(clean_labels(&change.add_labels));
        s.queue_outbox(notices, now);
        Ok(s.read_request(id))
    }

    async fn add_request_message(
        &self,
        id: RequestId,
        author: PersonId,
        from_office: bool,
        text: &str,
        now: DateTime<Utc>,
        notices: &[Outgoing],
    ) -> StoreResult<Request> {
        let mut s = self.lock();
        if !s.requests.contains_key(&id) {
            return Err(no_request(id));
        }
        if !s.person_exists(author) {
            return Err(not_found(format!("person {author}")));
        }
        let now = to_micros(now);
        let r = s.requests.get_mut(&id).expect("checked above");
        if from_office {
            // An answer: the first one is remembered, and a new request is acknowledged.
            r.first_answer_at = r.first_answer_at.or(Some(now));
            if r.status == RequestStatus::New {
                r.status = RequestStatus::Acknowledged;
            }
        }
        let message = super::next(&mut s.ids.request_message);
        s.request_messages.push(MessageRow {
            id: message,
            request: id,
            author,
            from_office,
            text: text.to_owned(),
            at: now,
        });
        s.queue_outbox(notices, now);
        Ok(s.read_request(id))
    }

    async fn request_messages(&self, id: RequestId) -> StoreResult<Vec<RequestMessage>> {
        let s = self.lock();
        let mut rows: Vec<&MessageRow> = s
            .request_messages
            .iter()
            .filter(|m| m.request == id)
            .collect();
        rows.sort_by_key(|m| (m.at, m.id));
        Ok(rows
            .into_iter()
            .map(|m| RequestMessage {
                request: m.request,
                author: s.person_ref(m.author),
                from_office: m.from_office,
                text: m.text.clone(),
                at: m.at,
            })
            .collect())
    }
}
