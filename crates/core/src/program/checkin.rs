//! Check-in rounds: prompts in each ambassador's time zone, answers by direct message or
//! `/checkin`, one reminder, closing, and flagging silent ambassadors to the office — once.

use super::{Caller, Failure, Outcome, Program, refuse};
use crate::command::CheckinCommand;
use crate::message::{Button, FormKind, Message, Reply, Rich};
use crate::model::{
    Account, Ambassador, AmbassadorStatus, Checkin, CheckinFilter, CheckinStatus, Effects,
    NewCheckin, RosterFilter, RoundId, sanitize_text,
};
use crate::ports::{Clock, Destination, Outgoing, Store, StoreResult};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// "Monday 29 March, 09:00" in the reader's zone.
pub(crate) fn local_time(at: DateTime<Utc>, tz: &str) -> String {
    let tz: Tz = tz.parse().unwrap_or(Tz::UTC);
    at.with_timezone(&tz).format("%A %-d %B, %H:%M").to_string()
}

/// A direct message to `to`, queued under `key`.
pub(crate) fn dm(key: String, to: &Account, message: Message) -> Outgoing {
    Outgoing {
        key,
        to: Destination::Direct(to.clone()),
        message,
    }
}

impl<S: Store, C: Clock> Program<S, C> {
    /// How a need in a check-in reaches the office as a request, for the prompt.
    fn need_hint(&self) -> Option<Rich> {
        match self.settings.requests.need_question {
            Some(i) if i < self.settings.checkins.questions.len() => Some(Rich::text(format!(
                "Your answer to question {} (numbered `{}.` or on a line starting `Need:`) becomes a request: the program office answers you here.",
                i + 1,
                i + 1
            ))),
            _ => None,
        }
    }

    /// The round a prompt at `prompt` in `tz` belongs to: its local date.
    fn round_of(prompt: DateTime<Utc>, tz: Tz) -> RoundId {
        prompt.with_timezone(&tz).date_naive()
    }

    fn prompt_message(&self, a: &Ambassador, round: RoundId, closes_at: DateTime<Utc>) -> Message {
        let questions: Vec<Rich> = self
            .settings
            .checkins
            .questions
            .iter()
            .map(|q| Rich::text(q.clone()))
            .collect();
        let mut m = Message::new()
            .heading(format!("Check-in for {round}"))
            .paragraph(format!(
                "Hi {}! How are things in {}? A few lines are plenty:",
                a.person.display_name, a.department.name
            ))
            .list(questions)
            .paragraph(
                Rich::text("Reply here, in one or several messages, until ")
                    .and_strong(local_time(closes_at, &a.time_zone))
                    .and(". Only the program office and you will see your answer."),
            );
        if let Some(hint) = self.need_hint() {
            m = m.paragraph(hint);
        }
        m.buttons(vec![
            Button::form("Answer", FormKind::Checkin).primary(),
            Button::command("Skip this round", "checkin skip"),
        ])
        .context(
            Rich::text("Also: ")
                .and_code(a.person.account.command("checkin show"))
                .and(", ")
                .and_code(a.person.account.command("checkin skip"))
                .and(", ")
                .and_code(a.person.account.command("checkin pause until YYYY-MM-DD"))
                .and(" for a vacation."),
        )
    }

    pub(crate) async fn plan_prompts(
        &self,
        tz: Tz,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<Effects> {
        let round = Self::round_of(occurrence, tz);
        let closes_at = occurrence + self.settings.checkins.close_after;
        let roster = self
            .store
            .roster(&RosterFilter {
                time_zone: Some(tz.name().to_string()),
                status: Some(AmbassadorStatus::Active),
                ..RosterFilter::default()
            })
            .await?;
        let mut effects = Effects::default();
        for a in roster
            .iter()
            .filter(|a| a.checkins_paused_until.is_none_or(|until| until < round))
        {
            effects.open_checkins.push(NewCheckin {
                round,
                person: a.person.id,
                prompted_at: occurrence,
                closes_at,
            });
            effects.outbox.push(dm(
                format!("checkin:{round}:{}:prompt", a.person.id),
                &a.person.account,
                self.prompt_message(a, round, closes_at),
            ));
        }
        Ok(effects)
    }

    /// Check-ins of `round` whose ambassador is in `tz`.
    async fn round_in_zone(
        &self,
        round: RoundId,
        tz: Tz,
        statuses: Vec<CheckinStatus>,
    ) -> StoreResult<Vec<crate::model::CheckinEntry>> {
        Ok(self
            .store
            .checkins(&CheckinFilter {
                from_round: Some(round),
                to_round: Some(round),
                statuses,
                ..CheckinFilter::default()
            })
            .await?
            .into_iter()
            .filter(|e| e.ambassador.time_zone == tz.name())
            .collect())
    }

    pub(crate) async fn plan_reminders(
        &self,
        tz: Tz,
        prompt: DateTime<Utc>,
    ) -> StoreResult<Effects> {
        let round = Self::round_of(prompt, tz);
        let mut effects = Effects::default();
        for e in self
            .round_in_zone(round, tz, vec![CheckinStatus::Open])
            .await?
            .into_iter()
            .filter(|e| e.checkin.reminded_at.is_none())
        {
            let a = &e.ambassador;
            effects.reminded.push((round, a.person.id));
            effects.outbox.push(dm(
                format!("checkin:{round}:{}:reminder", a.person.id),
                &a.person.account,
                Message::text(
                    Rich::text(format!(
                        "A friendly reminder: your check-in for {round} is still open until "
                    ))
                    .and_strong(local_time(e.checkin.closes_at, &a.time_zone))
                    .and(". Just reply here with a few lines, or ")
                    .and_code(a.person.account.command("checkin skip"))
                    .and(" if this round does not fit."),
                )
                .buttons(vec![Button::form("Answer", FormKind::Checkin).primary()]),
            ));
        }
        Ok(effects)
    }

    pub(crate) async fn plan_close(&self, tz: Tz, prompt: DateTime<Utc>) -> StoreResult<Effects> {
        let round = Self::round_of(prompt, tz);
        let mut effects = Effects::default();
        let needed = self.settings.checkins.silent_rounds.max(1) as usize;
        for e in self
            .round_in_zone(round, tz, vec![CheckinStatus::Open])
            .await?
        {
            let a = &e.ambassador;
            effects.missed.push((round, a.person.id));
            // Silence: this round and the ones before it, skipped and paused rounds left out, all
            // missed.
            let history = self
                .store
                .checkins(&CheckinFilter {
                    to_round: Some(round),
                    person: Some(a.person.id),
                    ..CheckinFilter::default()
                })
                .await?;
            let streak: Vec<&Checkin> = history
                .iter()
                .map(|h| &h.checkin)
                .filter(|c| !matches!(c.status, CheckinStatus::Skipped | CheckinStatus::Paused))
                .take_while(|c| c.round == round || c.status == CheckinStatus::Missed)
                .collect();
            if streak.len() >= needed && !streak.iter().any(|c| c.flagged) {
                effects.flagged.push((round, a.person.id));
                for office in &self.settings.office {
                    effects.outbox.push(dm(
                        format!("checkin:{round}:{}:silent:{office}", a.person.id),
                        office,
                        Message::text(
                            Rich::new()
                                .and_mention(&a.person.as_ref())
                                .and(format!(
                                    " ({}, {}) has not answered the last {}. A personal word may help; ",
                                    a.department.name,
                                    a.department.region,
                                    super::count(streak.len() as u64, "check-in", "check-ins")
                                ))
                                .and_code(office.command(&format!("ambassadors pause @{}", a.person.account.id),
                                ))
                                .and(" if they need a break."),
                        ),
                    ));
                }
            }
        }
        Ok(effects)
    }

    /// Plain text in a direct conversation: a check-in answer when a round is open.
    pub(crate) async fn direct_text(&self, caller: &Caller, text: &str) -> Outcome {
        if let Some(app) = self.store.pending_application(caller.person.id).await?
            && app.status == crate::model::ApplicationStatus::Draft
        {
            return self.application_answer(caller, &app, text).await;
        }
        if caller.ambassador.is_some()
            && let Some(open) = self
                .store
                .current_checkin(caller.person.id, self.clock.now())
                .await?
        {
            return self.answer(caller, &open, text, false).await;
        }
        Err(refuse(
            Rich::text("I understand commands here, such as ")
                .and_code(caller.cmd("ambassadors help"))
                .and(" or ")
                .and_code(caller.cmd("kudos @someone for …"))
                .and("."),
        ))
    }

    pub(crate) async fn answer(
        &self,
        caller: &Caller,
        open: &Checkin,
        text: &str,
        replace: bool,
    ) -> Outcome {
        let text = sanitize_text(text);
        if text.is_empty() {
            return Err(refuse("That answer is empty; write a few words."));
        }
        let max = self.settings.max_text_chars * 4;
        if text.chars().count() > max {
            return Err(refuse(format!(
                "That is {} characters; a check-in answer takes up to {max}. Send it in parts: each message is added to your answer.",
                text.chars().count()
            )));
        }
        let saved = self
            .store
            .write_checkin_answer(
                open.round,
                caller.person.id,
                &text,
                replace,
                self.clock.now(),
            )
            .await?;
        let tz = caller
            .ambassador
            .as_ref()
            .map(|a| a.time_zone.clone())
            .unwrap_or_else(|| self.settings.time_zone.name().to_string());
        let verb = if replace { "replaced" } else { "saved" };
        let request = self
            .request_from_checkin(caller, saved.round, &saved.answer)
            .await?;
        let mut thanks = Message::text(
            Rich::text(format!(
                "Thank you! Your check-in for {} is {verb}",
                saved.round
            ))
            .and(format!(
                " ({}). You can add to it until ",
                super::count(
                    saved.answer.chars().count() as u64,
                    "character",
                    "characters"
                )
            ))
            .and_strong(local_time(saved.closes_at, &tz))
            .and("."),
        );
        if let Some(request) = request {
            thanks = thanks.paragraph(request);
        }
        Ok(vec![Reply::caller(
            thanks.context(
                Rich::new()
                    .and_code(caller.cmd("checkin show"))
                    .and(" shows it, ")
                    .and_code(caller.cmd("checkin edit <text>"))
                    .and(" replaces it."),
            ),
        )])
    }

    pub(crate) async fn open_round(&self, caller: &Caller) -> Result<Checkin, Failure> {
        match self
            .store
            .current_checkin(caller.person.id, self.clock.now())
            .await?
        {
            Some(c) => Ok(c),
            None => {
                let next = match &caller.ambassador {
                    Some(a) => a
                        .time_zone
                        .parse::<Tz>()
                        .ok()
                        .and_then(|tz| {
                            self.settings
                                .checkins
                                .schedule
                                .next_after(tz, self.clock.now())
                        })
                        .map(|t| format!(" The next one starts {}.", local_time(t, &a.time_zone)))
                        .unwrap_or_default(),
                    None => String::new(),
                };
                Err(refuse(format!(
                    "There is no open check-in round for you right now.{next}"
                )))
            }
        }
    }

    pub(crate) async fn checkin_command(
        &self,
        caller: &Caller,
        command: CheckinCommand,
    ) -> Outcome {
        if caller.ambassador.is_none() {
            return Err(refuse(
                "Check-ins are for ambassadors, and you are not on the roster. Want to become one? Ask the program office.",
            ));
        }
        match command {
            CheckinCommand::Answer(text) => {
                let open = self.open_round(caller).await?;
                self.answer(caller, &open, &text, false).await
            }
            CheckinCommand::Edit(text) => {
                let open = self.open_round(caller).await?;
                self.answer(caller, &open, &text, true).await
            }
            CheckinCommand::Show => {
                let open = self.open_round(caller).await?;
                let tz = caller
                    .ambassador
                    .as_ref()
                    .map(|a| a.time_zone.clone())
                    .unwrap_or_default();
                let mut m = Message::new()
                    .heading(format!("Your check-in for {}", open.round))
                    .fields(vec![
                        ("Status".into(), Rich::text(open.status.as_str())),
                        (
                            "Open until".into(),
                            Rich::text(local_time(open.closes_at, &tz)),
                        ),
                    ]);
                m = if open.answer.is_empty() {
                    m.paragraph("No answer yet. The questions:").list(
                        self.settings
                            .checkins
                            .questions
                            .iter()
                            .map(|q| Rich::text(q.clone()))
                            .collect(),
                    )
                } else {
                    m.paragraph(open.answer.clone())
                };
                Ok(vec![Reply::caller(m)])
            }
            CheckinCommand::Skip => {
                let open = self.open_round(caller).await?;
                if open.status == CheckinStatus::Answered {
                    return Err(refuse(format!(
                        "You already answered the check-in for {}; your answer stays. Nothing to skip.",
                        open.round
                    )));
                }
                self.store
                    .set_checkin_status(open.round, caller.person.id, CheckinStatus::Skipped)
                    .await?;
                Ok(vec![Reply::caller(Message::text(format!(
                    "Skipped the check-in for {}. No reminder will come, and it does not count as missed. You can still answer until it closes.",
                    open.round
                )))])
            }
            CheckinCommand::PauseUntil(until) => {
                let today = self.today();
                if until <= today {
                    return Err(refuse(format!(
                        "{until} is not in the future. Give the last day of your absence, after today ({today})."
                    )));
                }
                if until > today + Duration::days(366) {
                    return Err(refuse(format!(
                        "{until} is more than a year away. For a longer break, ask the program office to pause you."
                    )));
                }
                self.store
                    .set_checkins_paused_until(caller.person.id, Some(until))
                    .await?;
                // The pause starts now: it takes them out of the round open now too.
                let rounds = self
                    .store
                    .pause_open_checkins(caller.person.id, self.clock.now())
                    .await?;
                let open = if rounds.is_empty() {
                    String::new()
                } else {
                    let rounds: Vec<String> = rounds.iter().map(ToString::to_string).collect();
                    format!(
                        "That includes the round of {} open now: no reminder, and it does not count as missed. ",
                        rounds.join(" and ")
                    )
                };
                Ok(vec![Reply::caller(Message::text(
                    Rich::text(format!(
                        "Enjoy your time off! No check-ins until {until} (included). {open}"
                    ))
                    .and_code(caller.cmd("checkin resume"))
                    .and(" brings them back earlier."),
                ))])
            }
            CheckinCommand::Resume => {
                let paused = caller
                    .ambassador
                    .as_ref()
                    .and_then(|a| a.checkins_paused_until)
                    .filter(|u| *u >= self.today());
                if paused.is_none() {
                    return Err(refuse("Your check-ins are not paused."));
                }
                self.store
                    .set_checkins_paused_until(caller.person.id, None)
                    .await?;
                Ok(vec![Reply::caller(Message::text(
                    "Welcome back! Check-ins are on again from the next round.",
                ))])
            }
        }
    }
}

/// Answering a check-in on the memory store: the answer is kept and the ambassador told so.
#[cfg(test)]
mod on_the_memory_store {
    use crate::testing::MemoryStore;
    use crate::{
        Account, CheckinStatus, CheckinStore, Effects, Inbound, ManualClock, NewCheckin,
        NewDepartment, OrgStore, PeopleStore, Platform, Program, RosterStore, SchedulerStore,
        Settings, render_plain,
    };
    use chrono::{Duration, NaiveDate, TimeZone, Utc};

    #[tokio::test]
    async fn an_answer_in_the_direct_conversation_is_recorded_in_the_open_round() {
        let store = MemoryStore::new();
        let prompted = Utc.with_ymd_and_hms(2024, 5, 6, 9, 0, 0).unwrap();
        let round = NaiveDate::from_ymd_opt(2024, 5, 6).unwrap();
        let settings = Settings {
            requests: crate::RequestSettings {
                need_question: None,
                ..crate::RequestSettings::default()
            },
            ..Settings::default()
        };
        let clock = ManualClock::new(prompted + Duration::hours(2));
        let program = Program::new(store.clone(), clock, settings);
        let ada = store
            .ensure_person(&Account::new(Platform::Console, "ada"), "Ada")
            .await
            .unwrap();
        let finance = store
            .add_department(&NewDepartment {
                name: "Finance".to_owned(),
                region: "EMEA".to_owned(),
                headcount: None,
            })
            .await
            .unwrap();
        store
            .add_ambassador(ada.id, finance.id, "UTC", round)
            .await
            .unwrap();
        let opening = NewCheckin {
            round,
            person: ada.id,
            prompted_at: prompted,
            closes_at: prompted + Duration::days(6),
        };
        store
            .apply(
                &Effects {
                    open_checkins: vec![opening],
                    ..Effects::default()
                },
                prompted,
            )
            .await
            .unwrap();

        let answer = Inbound {
            sender: ada.account.clone(),
            sender_name: "Ada".to_owned(),
            room: "dm".to_owned(),
            text: "We ran the first inner-source office hours.".to_owned(),
            bot: None,
            direct: true,
            create_mentioned: false,
        };
        let replies = program.handle(&answer).await.unwrap().unwrap();
        let reply = render_plain(&replies[0].message);
        assert!(
            reply.starts_with("Thank you! Your check-in for 2024-05-06 is saved (43 characters)."),
            "{reply}"
        );

        let checkin = store
            .current_checkin(ada.id, prompted + Duration::hours(2))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(checkin.status, CheckinStatus::Answered);
        assert_eq!(
            checkin.answer,
            "We ran the first inner-source office hours."
        );
        assert_eq!(checkin.answered_at, Some(prompted + Duration::hours(2)));
    }
}
