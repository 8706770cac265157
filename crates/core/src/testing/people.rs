//! People: one per platform account (the SQL store's `people.rs`).

use super::MemoryStore;
use crate::model::{Account, Ambassador, Person, PersonId};
use crate::ports::{PeopleStore, StoreResult};

impl PeopleStore for MemoryStore {
    async fn ensure_person(&self, account: &Account, display_name: &str) -> StoreResult<Person> {
        let mut s = self.lock();
        let blank = display_name.trim().is_empty();
        if let Some(&id) = s.accounts.get(account) {
            let person = s.people.get_mut(&id).expect("an account's person exists");
            // A blank name never replaces a stored one.
            if !blank {
                display_name.clone_into(&mut person.display_name);
            }
            return Ok(person.clone());
        }
        // New: named after the account id until a name is known.
        let id = super::next(&mut s.ids.person);
        let person = Person {
            id,
            account: account.clone(),
            display_name: if blank {
                account.id.clone()
            } else {
                display_name.to_owned()
            },
            time_zone: None,
            time_zone_chosen: false,
        };
        s.accounts.insert(account.clone(), id);
        s.people.insert(id, person.clone());
        Ok(person)
    }

    async fn find_person(&self, account: &Account) -> StoreResult<Option<Person>> {
        let s = self.lock();
        Ok(s.accounts.get(account).map(|id| s.people[id].clone()))
    }

    async fn find_people_and_ambassadors(
        &self,
        accounts: &[Account],
    ) -> StoreResult<Vec<(Person, Option<Ambassador>)>> {
        let s = self.lock();
        let mut ids: Vec<PersonId> = accounts
            .iter()
            .filter_map(|a| s.accounts.get(a).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids
            .into_iter()
            .map(|id| (s.people[&id].clone(), s.ambassador(id)))
            .collect())
    }

    async fn set_person_time_zone(
        &self,
        person: PersonId,
        time_zone: &str,
        chosen: bool,
    ) -> StoreResult<bool> {
        let mut s = self.lock();
        let Some(p) = s.people.get_mut(&person) else {
            return Err(super::not_found(format!("person {person}")));
        };
        // A chosen zone always lands; another only replaces a different zone nobody chose.
        let set = chosen || (!p.time_zone_chosen && p.time_zone.as_deref() != Some(time_zone));
        if !set {
            return Ok(false);
        }
        p.time_zone = Some(time_zone.to_owned());
        p.time_zone_chosen = chosen;
        // The roster's zone follows, so the next prompt comes in it.
        if let Some(entry) = s.roster.get_mut(&person) {
            time_zone.clone_into(&mut entry.time_zone);
        }
        Ok(true)
    }
}
