//! A person's own time zone. `ambassadors timezone <IANA name>` sets it (`!ambassadors timezone`
//! on Matrix), without a name it shows the zone in use; a platform profile's zone (Slack's `tz`)
//! is taken as long as the person has not chosen one.
//!
//! Which zone prompts use: the roster entry's (`Ambassador::time_zone`), which the scheduler reads.
//! It is set when someone joins the roster (the zone the office names, else the person's own, else
//! the program's) and follows every later change of the person's zone: their own choice always,
//! a profile's zone unless they chose theirs (see [`PeopleStore::set_person_time_zone`](crate::PeopleStore::set_person_time_zone)). So the
//! ambassador's own choice wins, and takes effect from the next prompt.

use super::checkin::local_time;
use super::roster::time_zone;
use super::{Caller, Outcome, Program};
use crate::message::{Message, Reply, Rich};
use crate::model::{Account, Ambassador, AmbassadorStatus, Person};
use crate::ports::{Clock, Store, StoreResult};
use chrono_tz::Tz;

/// Where the zone in use (see [`zone_in_use`]) comes from, in a few words.
pub(crate) fn zone_source(person: &Person, in_use: Option<&str>) -> &'static str {
    match in_use {
        None => "the program's; none set",
        Some(z) if person.time_zone.as_deref() != Some(z) => "as the program office set it",
        _ if person.time_zone_chosen => "own choice",
        _ => "from the profile",
    }
}

/// The zone in use: the roster entry's, else the person's own.
pub(crate) fn zone_in_use(person: &Person, ambassador: Option<&Ambassador>) -> Option<String> {
    ambassador
        .map(|a| a.time_zone.clone())
        .or_else(|| person.time_zone.clone())
}

impl<S: Store, C: Clock> Program<S, C> {
    /// `ambassadors timezone [name]`: anyone may set their zone (it is asked in the application
    /// and used once they join the roster); ambassadors get their next check-in in it.
    pub(crate) async fn time_zone_command(&self, caller: &Caller, zone: Option<&str>) -> Outcome {
        let Some(raw) = zone else {
            let a = caller.ambassador.as_ref();
            let in_use = zone_in_use(&caller.person, a);
            let source = zone_source(&caller.person, in_use.as_deref());
            let zone = in_use.unwrap_or_else(|| self.settings.time_zone.name().to_string());
            let mut text = Rich::text("Your time zone: ")
                .and_strong(zone)
                .and(format!(" ({source})."));
            if let Some(a) = a {
                text = text.and(self.next_checkin_note(caller, a).await?);
            }
            return Ok(vec![Reply::caller(
                Message::text(text).context(
                    Rich::text("Change it: ")
                        .and_code(caller.cmd("ambassadors timezone <IANA name>"))
                        .and(", e.g. ")
                        .and_code(caller.cmd("ambassadors timezone Europe/Berlin"))
                        .and("."),
                ),
            )]);
        };
        let tz = time_zone(raw)?;
        let before = zone_in_use(&caller.person, caller.ambassador.as_ref());
        self.store
            .set_person_time_zone(caller.person.id, tz.name(), true)
            .await?;
        let mut text = match before.as_deref() {
            Some(b) if b == tz.name() && caller.person.time_zone_chosen => {
                Rich::text("Your time zone is already ")
                    .and_strong(tz.name())
                    .and(".")
            }
            Some(b) if b == tz.name() => Rich::text("Your time zone stays ")
                .and_strong(tz.name())
                .and(", now as your own choice."),
            Some(b) => Rich::text("Your time zone is now ")
                .and_strong(tz.name())
                .and(format!(" (it was {b}).")),
            None => Rich::text("Your time zone is now ")
                .and_strong(tz.name())
                .and("."),
        };
        text = match &caller.ambassador {
            Some(a) => {
                let mut a = a.clone();
                a.time_zone = tz.name().to_string();
                text.and(self.next_checkin_note(caller, &a).await?)
            }
            None => text
                .and(" Should you become an ambassador, your check-ins come at their hour in it."),
        };
        Ok(vec![Reply::caller(Message::text(text))])
    }

    /// " Your next check-in comes Monday 11 January, 09:00." in the ambassador's zone: the next
    /// prompt of a round other than the one open now.
    async fn next_checkin_note(&self, caller: &Caller, a: &Ambassador) -> StoreResult<String> {
        if a.status != AmbassadorStatus::Active {
            return Ok(" Your check-ins come in it once you are active again.".into());
        }
        let now = self.clock.now();
        let open = self.store.current_checkin(caller.person.id, now).await?;
        let tz: Tz = a.time_zone.parse().unwrap_or(self.settings.time_zone);
        let mut next = self.next_prompt(a, now);
        if let (Some(at), Some(open)) = (next, &open)
            && at.with_timezone(&tz).date_naive() == open.round
        {
            next = self.next_prompt(a, at);
        }
        let mut note = String::new();
        if let Some(open) = &open {
            note += &format!(
                " Your open check-in for {} takes answers until {}.",
                open.round,
                local_time(open.closes_at, &a.time_zone)
            );
        }
        if let Some(at) = next {
            note += &format!(
                " Your next check-in comes {}.",
                local_time(at, &a.time_zone)
            );
        }
        Ok(note)
    }

    /// A zone from the person's platform profile (Slack's `tz`), as the adapter sees it when it
    /// first meets them and when it changes: stored unless they chose their own zone, and their
    /// check-ins follow it. A zone the bot does not know is ignored. True when it was stored.
    pub async fn profile_time_zone(
        &self,
        account: &Account,
        display_name: &str,
        zone: &str,
    ) -> StoreResult<bool> {
        let Ok(tz) = zone.trim().parse::<Tz>() else {
            return Ok(false);
        };
        let person = match self.store.find_person(account).await? {
            Some(p) => p,
            None => {
                let name = crate::model::display_name(display_name);
                let name = if name.is_empty() {
                    account.id.clone()
                } else {
                    name
                };
                self.store.ensure_person(account, &name).await?
            }
        };
        if person.time_zone_chosen || person.time_zone.as_deref() == Some(tz.name()) {
            return Ok(false);
        }
        self.store
            .set_person_time_zone(person.id, tz.name(), false)
            .await
    }
}
