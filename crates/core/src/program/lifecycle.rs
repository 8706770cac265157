//! The ambassador's lifecycle in time: yearly renewal, stepping down to alumni, and the daily job
//! that runs the inactivity ladder and the renewal asks; the helpers the lifecycle's other files
//! share (how commands are written on a platform, anniversaries, quiet spells).

use super::checkin::dm;
use super::{Caller, Outcome, Program, refuse};
use crate::command::Mention;
use crate::message::{Message, Reply, Rich};
use crate::model::{AmbassadorStatus, Effects, PersonId, PersonRef, SignsOfLife};
use crate::ports::{Clock, Store, StoreResult};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};

/// Kudos listed in a chat record or `kudos mine`; the export has them all.
pub(super) const KUDOS_SHOWN: usize = 15;

/// The anniversary of a term that began on `since` most recently on or before `today` (at least a
/// year in). 29 February falls on 28 February in common years.
pub(crate) fn last_anniversary(since: NaiveDate, today: NaiveDate) -> Option<NaiveDate> {
    let on = |year: i32| {
        NaiveDate::from_ymd_opt(year, since.month(), since.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, since.month(), since.day() - 1))
    };
    let this_year = on(today.year())?;
    let date = if this_year <= today {
        this_year
    } else {
        on(today.year() - 1)?
    };
    (date > since).then_some(date)
}

/// Where an ambassador's quiet spell begins: the latest of their last sign of life, the start of
/// their term (midnight in `tz`) and the moment the bot first knew them. The bot speaks only for
/// what it has seen: the inactivity ladder and the office's Home tab count from here.
pub(crate) fn quiet_from(life: &SignsOfLife, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let start = super::resolve_local(
        tz,
        life.ambassador
            .since
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists"),
    );
    [life.last_seen, life.known_since]
        .into_iter()
        .flatten()
        .fold(start, DateTime::max)
}

/// How a mention is written in a command the office can copy: the platform id.
pub(super) fn mention_text(p: &PersonRef) -> String {
    p.account.id.trim_start_matches('@').to_string()
}

/// "no earlier roles", "ambassador of Finance 2025-01-06 – 2026-01-06; …".
pub(super) fn describe_terms(terms: &[crate::model::Term]) -> String {
    if terms.is_empty() {
        return "no roles as ambassador yet".to_string();
    }
    let list: Vec<String> = terms
        .iter()
        .map(|t| {
            format!(
                "ambassador of {} {} – {}",
                t.department.name,
                t.since,
                t.until.map_or("today".to_string(), |u| u.to_string())
            )
        })
        .collect();
    list.join("; ")
}

impl<S: Store, C: Clock> Program<S, C> {
    // ---- renewal and alumni ----

    pub(crate) async fn renew(&self, caller: &Caller) -> Outcome {
        let Some(a) = &caller.ambassador else {
            return Err(refuse("You are not on the ambassador roster."));
        };
        let today = self.today();
        let Some(anniversary) = last_anniversary(a.since, today) else {
            let first = last_anniversary(a.since, a.since + chrono::Duration::days(366))
                .map(|d| d.to_string())
                .unwrap_or_default();
            return Err(refuse(format!(
                "Your first year runs until {first}; I will ask you then. Thank you for your work!"
            )));
        };
        let confirmed = self
            .store
            .confirm_renewal(caller.person.id, anniversary, self.clock.now())
            .await?;
        let text = if confirmed {
            format!(
                "🎉 Thank you for another year as ambassador of {}! Your renewal is noted.",
                a.department.name
            )
        } else {
            format!("You already confirmed this year (since {anniversary}). Thank you!")
        };
        Ok(vec![Reply::caller(Message::text(text))])
    }

    pub(crate) async fn to_alumni(&self, caller: &Caller, mention: &Mention) -> Outcome {
        let person = self.mentioned(caller, mention).await?;
        let p = person.as_ref();
        let Some(a) = self.store.ambassador(person.id).await? else {
            return Err(refuse(
                Rich::new()
                    .and_mention(&p)
                    .and(" is not on the ambassador roster."),
            ));
        };
        if a.status == AmbassadorStatus::Alumni {
            return Err(refuse(
                Rich::new().and_mention(&p).and(" is alumni already."),
            ));
        }
        let today = self.today();
        let thanks = dm(
            format!("alumni:{}:{today}", person.id),
            &p.account,
            Message::text(format!(
                "🎉 Thank you for your time as ambassador of {} since {}! The program office has moved you to alumni. You stay part of the community, and your record stays: {}",
                a.department.name,
                a.since,
                p.account.command("ambassadors record")
            )),
        );
        self.store
            .set_ambassador_status_notifying(
                person.id,
                AmbassadorStatus::Alumni,
                today,
                &[thanks],
                self.clock.now(),
            )
            .await?;
        Ok(vec![Reply::caller(Message::text(
            Rich::new().and_mention(&p).and(format!(
                " is alumni now (was ambassador of {} since {}); a thank-you is on its way to them by direct message.",
                a.department.name, a.since
            )),
        ))])
    }

    // ---- the daily job: inactivity ladder and renewals ----

    /// What the daily lifecycle job at `occurrence` sends. Every message has a key naming the
    /// person and the quiet spell (or anniversary) it is about, so each goes out once however often
    /// the job runs; new activity starts a new spell.
    pub(crate) async fn plan_lifecycle(&self, occurrence: DateTime<Utc>) -> StoreResult<Effects> {
        let tz = self.settings.time_zone;
        let l = &self.settings.lifecycle;
        let today = occurrence.with_timezone(&tz).date_naive();
        let mut effects = Effects::default();
        // Everyone: the renewals below are not only for the quiet.
        let active = self.store.last_active(None).await?;
        for life in &active {
            let a = &life.ambassador;
            let quiet_from = quiet_from(life, tz);
            let quiet = occurrence - quiet_from;
            let spell = quiet_from.with_timezone(&tz).date_naive();
            let days = quiet.num_days();
            let p = a.person.as_ref();
            if quiet >= l.suggest_alumni_after || quiet >= l.ask_office_after {
                let alumni = quiet >= l.suggest_alumni_after;
                let stage = if alumni { "alumni" } else { "ask" };
                for office in &self.settings.office {
                    let action = if alumni {
                        Rich::text("Suggestion: thank them and move them to alumni with ")
                            .and_code(
                                office
                                    .command(&format!("ambassadors alumni @{}", mention_text(&p))),
                            )
                            .and(". Nothing happens unless you do it.")
                    } else {
                        Rich::text("Mark them inactive? ")
                            .and_code(office.command(&format!("ambassadors pause @{}", mention_text(&p))))
                            .and(" — or leave it, if you know they are busy. Nothing happens unless you decide.")
                    };
                    effects.outbox.push(dm(
                        format!("inactive:{}:{spell}:{stage}:{office}", a.person.id),
                        office,
                        Message::text(
                            Rich::text("💤 ")
                                .and_mention(&p)
                                .and(format!(
                                    ", ambassador of {}, has been quiet for {days} days (no check-in answer, activity or kudos since {spell}).",
                                    a.department.name
                                )),
                        )
                        .paragraph(action),
                    ));
                }
            } else if quiet >= l.nudge_after {
                effects.outbox.push(dm(
                    format!("inactive:{}:{spell}:nudge", a.person.id),
                    &a.person.account,
                    Message::text(format!(
                        "👋 Hi {}! We have not heard from you in a while — how are things in {}?",
                        a.person.display_name, a.department.name
                    ))
                    .paragraph(
                        Rich::text("A line in your next check-in, an activity with ")
                            .and_code(a.person.account.command("ambassadors log <what you did>"))
                            .and(" or kudos to someone is plenty. If the role no longer fits, ")
                            .and_code(a.person.account.command("ambassadors stepdown"))
                            .and(" is fine too — thank you either way!"),
                    ),
                ));
            }
        }
        // Yearly renewal: asked first (when the anniversary comes, or as soon as the bot sees one
        // that passed unasked in the last `grace + 30` days), reported only when the recorded ask
        // went unanswered for the grace, with the true number of days since it.
        let grace_days = l.renewal_grace.num_days().max(1);
        let since = today - chrono::Duration::days(400);
        let confirmed: HashSet<(PersonId, NaiveDate)> = self
            .store
            .renewals_confirmed(since)
            .await?
            .into_iter()
            .collect();
        let asked: HashMap<(PersonId, NaiveDate), DateTime<Utc>> = self
            .store
            .renewal_asks(since)
            .await?
            .into_iter()
            .map(|r| ((r.person, r.anniversary), r.asked_at))
            .collect();
        for life in &active {
            let a = &life.ambassador;
            let Some(anniversary) = last_anniversary(a.since, today) else {
                continue;
            };
            if confirmed.contains(&(a.person.id, anniversary)) {
                continue;
            }
            let years = anniversary.year() - a.since.year();
            let p = a.person.as_ref();
            let Some(asked_at) = asked.get(&(a.person.id, anniversary)) else {
                if (today - anniversary).num_days() >= grace_days + 30 {
                    // Long past (the bot was not running then): the next anniversary asks.
                    continue;
                }
                effects.renewal_asks.push((a.person.id, anniversary));
                effects.outbox.push(dm(
                    format!("renewal:{}:{anniversary}:ask", a.person.id),
                    &a.person.account,
                    Message::new()
                        .heading(format!(
                            "{years} year{} as ambassador of {} 🎂",
                            if years == 1 { "" } else { "s" },
                            a.department.name
                        ))
                        .paragraph(
                            "Thank you for your work! Would you like to go on for another year?",
                        )
                        .list(vec![
                            Rich::text("Yes: ")
                                .and_code(a.person.account.command("ambassadors renew")),
                            Rich::text("Time to hand over: ")
                                .and_code(a.person.account.command("ambassadors stepdown")),
                        ])
                        .context(format!(
                            "Please answer by {}; after that the program office will ask you.",
                            today + chrono::Duration::days(grace_days)
                        )),
                ));
                continue;
            };
            let waited = (today - asked_at.with_timezone(&tz).date_naive()).num_days();
            if waited >= grace_days && waited < grace_days + 30 {
                for office in &self.settings.office {
                    effects.outbox.push(dm(
                        format!("renewal:{}:{anniversary}:report:{office}", a.person.id),
                        office,
                        Message::text(
                            Rich::text("🗓 ")
                                .and_mention(&p)
                                .and(format!(
                                    " has not confirmed another year as ambassador of {} (anniversary {anniversary}, asked {waited} days ago). Worth a personal word.",
                                    a.department.name
                                )),
                        ),
                    ));
                }
            }
        }
        Ok(effects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn anniversaries_fall_yearly_and_leap_days_on_the_28th() {
        assert_eq!(last_anniversary(d("2026-03-10"), d("2027-03-09")), None);
        assert_eq!(
            last_anniversary(d("2026-03-10"), d("2027-03-10")),
            Some(d("2027-03-10"))
        );
        assert_eq!(
            last_anniversary(d("2026-03-10"), d("2029-01-01")),
            Some(d("2028-03-10"))
        );
        assert_eq!(
            last_anniversary(d("2028-02-29"), d("2029-03-01")),
            Some(d("2029-02-28"))
        );
        assert_eq!(last_anniversary(d("2026-03-10"), d("2026-03-10")), None);
    }
}
