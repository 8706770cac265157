//! The roster: the office adds, removes, pauses and resumes ambassadors; an ambassador steps down.

use super::{Caller, Failure, Outcome, Program, refuse};
use crate::command::Mention;
use crate::message::{Message, Reply, Rich};
use crate::model::{AmbassadorStatus, PersonRef, RosterFilter, closest};
use crate::ports::{Clock, Store};
use chrono_tz::{TZ_VARIANTS, Tz};

/// An IANA time zone, in its canonical spelling; unknown ones get the closest names.
pub(crate) fn time_zone(raw: &str) -> Result<Tz, Failure> {
    if let Ok(tz) = raw.parse::<Tz>() {
        return Ok(tz);
    }
    if let Ok(tz) = Tz::from_str_insensitive(raw) {
        return Ok(tz);
    }
    let names: Vec<&str> = TZ_VARIANTS.iter().map(|t| t.name()).collect();
    let close = closest(raw, names, 3);
    Err(refuse(format!(
        "“{raw}” is not a time zone I know.{} Use an IANA name such as Europe/Berlin or America/New_York.",
        super::resolve::did_you_mean(&close)
    )))
}

/// " They are out of the open check-in round of 2027-01-11 (no reminder, not missed)." for the
/// rounds a pause took them out of; empty for none.
pub(crate) fn out_of_rounds(rounds: &[crate::model::RoundId]) -> String {
    match rounds {
        [] => String::new(),
        [round] => format!(
            " They are out of the open check-in round of {round} (no reminder, not missed)."
        ),
        _ => format!(
            " They are out of the open check-in rounds of {} (no reminder, not missed).",
            rounds
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn roster_add(
        &self,
        caller: &Caller,
        mention: &Mention,
        department: &str,
        tz: Option<&str>,
    ) -> Outcome {
        let person = self.mentioned(caller, mention).await?;
        let department = self.department(caller, department).await?;
        let own = person
            .time_zone
            .as_deref()
            .and_then(|t| t.parse::<Tz>().ok());
        // A zone the person chose themselves wins over the one named here.
        let (tz, not_asked) = match (tz, own) {
            (Some(raw), Some(own)) if person.time_zone_chosen => {
                let asked = time_zone(raw)?;
                (own, (asked != own).then_some(asked))
            }
            (Some(raw), _) => (time_zone(raw)?, None),
            (None, own) => (own.unwrap_or(self.settings.time_zone), None),
        };
        let before = self.store.ambassador(person.id).await?;
        if let Some(b) = &before
            && b.department.id == department.id
            && b.status == AmbassadorStatus::Active
        {
            return Err(refuse(Rich::new().and_mention(&person.as_ref()).and(
                format!(" is already the ambassador of {}.", department.name),
            )));
        }
        let p = person.as_ref();
        let key = format!(
            "welcome:{}:{}",
            person.id,
            self.clock.now().timestamp_micros()
        );
        let a = self.enrol(&person, &department, tz.name(), key).await?;
        let mut note = Rich::new().and_mention(&p).and(format!(
            " is now the ambassador of {} ({}), time zone {}",
            a.department.name, a.department.region, a.time_zone
        ));
        if let Some(asked) = not_asked {
            note = note.and(format!(" (their own choice, not {})", asked.name()));
        }
        if let Some(b) = before.filter(|b| b.status != AmbassadorStatus::Alumni)
            && b.department.id != a.department.id
        {
            note = note.and(format!(" (moved from {})", b.department.name));
        }
        Ok(vec![Reply::caller(Message::text(note.and(
            "; the welcome message is on its way to them by direct message.",
        )))])
    }

    pub(crate) async fn roster_remove(&self, caller: &Caller, mention: &Mention) -> Outcome {
        let person = self.mentioned(caller, mention).await?;
        let Some(a) = self.store.ambassador(person.id).await? else {
            return Err(not_on_roster(&person.as_ref()));
        };
        self.store.remove_ambassador(person.id).await?;
        Ok(vec![Reply::caller(Message::text(
            Rich::text("Took ")
                .and_mention(&person.as_ref())
                .and(format!(
                    " off the roster (was {} of {}).",
                    a.status.as_str(),
                    a.department.name
                )),
        ))])
    }

    pub(crate) async fn roster_status(
        &self,
        caller: &Caller,
        mention: &Mention,
        status: AmbassadorStatus,
    ) -> Outcome {
        let person = self.mentioned(caller, mention).await?;
        let p = person.as_ref();
        let Some(a) = self.store.ambassador(person.id).await? else {
            return Err(not_on_roster(&p));
        };
        if a.status == AmbassadorStatus::Alumni {
            return Err(refuse(
                Rich::new()
                    .and_mention(&p)
                    .and(" is alumni. To bring them back: ")
                    .and_code(caller.cmd(&format!(
                        "ambassadors add @{} \"{}\"",
                        mention.0, a.department.name
                    ))),
            ));
        }
        if a.status == status {
            return Err(refuse(
                Rich::new()
                    .and_mention(&p)
                    .and(format!(" is already {}.", status.as_str())),
            ));
        }
        self.store
            .set_ambassador_status(person.id, status, self.today())
            .await?;
        let text = match status {
            AmbassadorStatus::Paused => {
                // A pause takes them out of the rounds open now: no reminder, not missed.
                let rounds = self
                    .store
                    .pause_open_checkins(person.id, self.clock.now())
                    .await?;
                format!(
                    " is paused as ambassador of {}; they no longer count for its coverage until resumed.{}",
                    a.department.name,
                    out_of_rounds(&rounds)
                )
            }
            _ => format!(" is active again as ambassador of {}.", a.department.name),
        };
        Ok(vec![Reply::caller(Message::text(
            Rich::new().and_mention(&p).and(text),
        ))])
    }

    pub(crate) async fn step_down(&self, caller: &Caller) -> Outcome {
        let Some(a) = &caller.ambassador else {
            return Err(refuse(
                "You are not on the ambassador roster, so there is nothing to step down from. Thank you for asking, though!",
            ));
        };
        let today = self.today();
        let me = caller.person.as_ref();
        let months = (today - a.since).num_days() / 30;
        let tenure = match months {
            0 => String::new(),
            1 => " for a month".into(),
            n => format!(" for {n} months"),
        };
        let remaining: Vec<PersonRef> = self
            .store
            .roster(&RosterFilter {
                department: Some(a.department.id),
                ..RosterFilter::default()
            })
            .await?
            .into_iter()
            .filter(|x| x.status == AmbassadorStatus::Active && x.person.id != caller.person.id)
            .map(|x| x.person.as_ref())
            .collect();
        let coverage_now = if remaining.is_empty() {
            Rich::text(format!(
                "{} has no active ambassador now.",
                a.department.name
            ))
        } else {
            Rich::text(format!("{} is still covered by ", a.department.name))
                .and_mentions(&remaining)
                .and(".")
        };
        let thanks = Message::text(Rich::text("🎉 Thank you, ").and_mention(&me).and(format!(
            ", for being the ambassador of {}{tenure}! You are alumni of the program now.",
            a.department.name
        )));
        // The office hears of it through the outbox, queued with the step itself.
        let now = self.clock.now();
        let notices: Vec<_> = self
            .settings
            .office
            .iter()
            .filter(|office| *office != &caller.person.account)
            .map(|office| {
                super::checkin::dm(
                    format!(
                        "stepdown:{}:{}:{office}",
                        caller.person.id,
                        now.timestamp_micros()
                    ),
                    office,
                    Message::text(
                        Rich::new()
                            .and_mention(&me)
                            .and(format!(
                                " stepped down as ambassador of {}. ",
                                a.department.name
                            ))
                            .and(coverage_now.plain()),
                    ),
                )
            })
            .collect();
        self.store
            .set_ambassador_status_notifying(
                caller.person.id,
                AmbassadorStatus::Alumni,
                today,
                &notices,
                now,
            )
            .await?;
        Ok(vec![
            Reply::room(thanks),
            Reply::caller(
                Message::text(
                    Rich::text("You stepped down gracefully. ").and(coverage_now.plain()),
                )
                .context("Changed your mind? The program office can add you again."),
            ),
        ])
    }
}

fn not_on_roster(p: &PersonRef) -> Failure {
    refuse(
        Rich::new()
            .and_mention(p)
            .and(" is not on the ambassador roster."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_canonical_and_typos_get_suggestions() {
        assert_eq!(time_zone("europe/berlin").ok(), Some(Tz::Europe__Berlin));
        let Err(Failure::User(m)) = time_zone("Europe/Berlim") else {
            panic!("expected a user error")
        };
        assert!(crate::message::render_plain(&m).contains("Europe/Berlin"));
    }
}
