//! Dashboard sign-in links and sessions (the SQL store's `signin.rs`). Tokens here are numbered,
//! not random, and kept as they are: a test store keeps no secrets.

use super::{MemoryStore, State, to_micros};
use crate::model::{Person, PersonId, SignIn};
use crate::ports::{SignInStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};

impl State {
    fn new_token(&mut self) -> String {
        self.tokens += 1;
        format!("{:064x}", self.tokens)
    }
}

impl SignInStore for MemoryStore {
    async fn issue_sign_in_link(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
        valid_for: chrono::Duration,
    ) -> StoreResult<String> {
        let mut s = self.lock();
        if !s.people.contains_key(&person) {
            return Err(StoreError::NotFound(format!("person {person}")));
        }
        let now = to_micros(now);
        let token = s.new_token();
        let expires_at = to_micros(now.checked_add_signed(valid_for).unwrap_or(now));
        s.sign_in_links
            .insert(token.clone(), (person, expires_at, false));
        Ok(token)
    }

    async fn redeem_sign_in_link(&self, token: &str, now: DateTime<Utc>) -> StoreResult<SignIn> {
        let mut s = self.lock();
        let now = to_micros(now);
        let Some((person, expires_at, used)) = s.sign_in_links.get(token).copied() else {
            return Ok(SignIn::Unknown);
        };
        if used {
            return Ok(SignIn::Used);
        }
        if expires_at <= now {
            return Ok(SignIn::Expired);
        }
        let Some(found) = s.people.get(&person).cloned() else {
            return Err(StoreError::NotFound(format!("person {person}")));
        };
        s.sign_in_links
            .insert(token.to_owned(), (person, expires_at, true));
        let session = s.new_token();
        s.sessions.insert(session.clone(), (person, now));
        Ok(SignIn::SignedIn {
            person: found,
            session,
        })
    }

    async fn session_person(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> StoreResult<Option<Person>> {
        let mut s = self.lock();
        let now = to_micros(now);
        let fresh_after = to_micros(now.checked_sub_signed(idle).unwrap_or(now));
        let Some((person, last_seen)) = s.sessions.get(token).copied() else {
            return Ok(None);
        };
        if last_seen <= fresh_after {
            return Ok(None);
        }
        s.sessions.insert(token.to_owned(), (person, now));
        Ok(s.people.get(&person).cloned())
    }

    async fn end_session(&self, token: &str) -> StoreResult<()> {
        self.lock().sessions.remove(token);
        Ok(())
    }
}
