//! The ambassador's lifecycle: applications (asked one question at a time in a direct
//! conversation), nominations, approval with onboarding, declines, misuse reports that only the
//! office sees, the career record, kudos opt-out, yearly renewal and the inactivity ladder.

use super::checkin::dm;
use super::{Caller, Failure, Outcome, Program, refuse};
use crate::command::Mention;
use crate::message::{Button, FormKind, Message, Reply, Rich};
use crate::model::{
    Account, Ambassador, AmbassadorStatus, Application, ApplicationStatus, CheckinFilter,
    Department, Effects, Person, PersonId, PersonRef, Platform, SignsOfLife, TrackRecord,
    sanitize_text,
};
use crate::ports::{Clock, Outgoing, Store, StoreError, StoreResult};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};

/// The application questions of the OpenStack Ambassador Program; the department is asked last.
pub const APPLICATION_QUESTIONS: [&str; 3] = [
    "Why do you want to be an ambassador?",
    "How have you taken part in InnerSource or open source so far?",
    "What would you do as an ambassador with more time or resources?",
];

const DEPARTMENT_QUESTION: &str =
    "Last one: which department would you represent? (Its region comes with it.)";

/// The answer slot after the questions that holds the applicant's time zone (its IANA name). Drafts
/// begun before it was asked have no such slot and skip the question.
pub(crate) const TIME_ZONE_SLOT: usize = APPLICATION_QUESTIONS.len();

/// What an applicant replies to keep the time zone they were offered.
const KEEP_ZONE: &[&str] = &["ok", "okay", "yes", "y", "keep", "keep it", "fine", "right"];

/// What a second office member deciding the same application is told.
const DECIDED_BY_SOMEONE_ELSE: &str =
    "Someone in the program office decided this application a moment ago.";

/// Kudos listed in a chat record or `kudos mine`; the export has them all.
const KUDOS_SHOWN: usize = 15;

/// How commands are written on a platform: `!` on Matrix, `/` elsewhere.
pub(crate) fn prefix_for(account: &Account) -> char {
    match account.platform {
        Platform::Matrix => '!',
        _ => '/',
    }
}

/// A command as written on the platform of `account`.
pub(crate) fn command_for(account: &Account, template: &str) -> String {
    format!("{}{template}", prefix_for(account))
}

/// The application's time zone question, with the zone the bot knows for them (from their profile
/// or their own earlier choice) to keep.
fn time_zone_question(person: &Person) -> String {
    let ask = "Which time zone are you in? Your check-ins come at their hour in it.";
    match &person.time_zone {
        Some(z) if person.time_zone_chosen => {
            format!("{ask} You chose {z}: reply ok to keep it, or give another IANA name.")
        }
        Some(z) => {
            format!("{ask} Your profile says {z}: reply ok to keep it, or give another IANA name.")
        }
        None => {
            format!("{ask} Reply with its IANA name, such as Europe/Berlin or America/New_York.")
        }
    }
}

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

impl<S: Store, C: Clock> Program<S, C> {
    // ---- applications ----

    pub(crate) async fn apply(&self, caller: &Caller) -> Outcome {
        if let Some(a) = &caller.ambassador {
            return Err(refuse(format!(
                "You are already the ambassador of {} — thank you! Nothing to apply for.",
                a.department.name
            )));
        }
        if let Some(app) = self.store.pending_application(caller.person.id).await? {
            return match app.status {
                ApplicationStatus::Draft => Ok(self.to_applicant(
                    caller,
                    Message::text("Let's go on with your application.")
                        .paragraph(Rich::strong(self.next_question(&app)))
                        .buttons(vec![Button::form(
                            "Answer in a form instead",
                            FormKind::Application,
                        )]),
                )),
                _ => Err(refuse(
                    Rich::text(format!(
                        "Your application is with the program office since {}; you will hear from them here. To withdraw it: ",
                        app.submitted_at
                            .map(|t| t.with_timezone(&self.settings.time_zone).date_naive().to_string())
                            .unwrap_or_default()
                    ))
                    .and_code(caller.cmd("ambassadors withdraw")),
                )),
            };
        }
        let app = self.start_draft(caller).await?;
        let intro = Message::new()
            .heading("Your ambassador application")
            .paragraph(format!(
                "Thank you for your interest! I will ask {} short questions, one at a time; reply here with your answer to each.",
                TIME_ZONE_SLOT + 2
            ))
            .paragraph(Rich::strong(self.next_question(&app)))
            .buttons(vec![Button::form(
                "Answer in a form instead",
                FormKind::Application,
            )])
            .context(
                Rich::text("Changed your mind? ").and_code(caller.cmd("ambassadors withdraw")),
            );
        Ok(self.to_applicant(caller, intro))
    }

    /// A new draft application; refused when another start (a second click, a form and the
    /// conversation at once) made one a moment ago.
    pub(crate) async fn start_draft(&self, caller: &Caller) -> Result<Application, Failure> {
        match self
            .store
            .start_application(
                caller.person.id,
                TIME_ZONE_SLOT as u32 + 1,
                self.clock.now(),
            )
            .await
        {
            Ok(app) => Ok(app),
            Err(StoreError::Conflict(_)) => Err(refuse(
                "You already have an application under way; answer its questions in our direct conversation.",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// A message for the applicant in the direct conversation, with a pointer to it when the
    /// command came from a room.
    fn to_applicant(&self, caller: &Caller, message: Message) -> Vec<Reply> {
        let mut replies = vec![Reply::caller_direct(message)];
        if !caller.direct {
            replies.push(Reply::caller(Message::text(
                "I've sent you a direct message: let's continue there.",
            )));
        }
        replies
    }

    fn next_question(&self, app: &Application) -> String {
        let n = app.answers.len() + 1;
        match app.answers.iter().position(String::is_empty) {
            Some(TIME_ZONE_SLOT) => format!(
                "{}/{n}: {}",
                TIME_ZONE_SLOT + 1,
                time_zone_question(&app.person)
            ),
            Some(i) => format!(
                "{}/{n}: {}",
                i + 1,
                APPLICATION_QUESTIONS[i.min(APPLICATION_QUESTIONS.len() - 1)]
            ),
            None => format!("{n}/{n}: {DEPARTMENT_QUESTION}"),
        }
    }

    /// A line typed in the direct conversation while an application is being written.
    pub(crate) async fn application_answer(
        &self,
        caller: &Caller,
        app: &Application,
        text: &str,
    ) -> Outcome {
        let text = sanitize_text(text);
        if text.is_empty() {
            return Err(refuse("That answer is empty; write a few words."));
        }
        let max = self.settings.max_text_chars * 2;
        if text.chars().count() > max {
            return Err(refuse(format!(
                "That is {} characters; an answer takes up to {max}. Please shorten it: nothing was saved.",
                text.chars().count()
            )));
        }
        if app.answers.iter().position(String::is_empty) == Some(TIME_ZONE_SLOT) {
            let offered = app
                .person
                .time_zone
                .as_deref()
                .filter(|_| KEEP_ZONE.contains(&text.to_lowercase().as_str()));
            let tz = super::roster::time_zone(offered.unwrap_or(&text)).map_err(|e| match e {
                Failure::User(m) => {
                    Failure::User(m.paragraph(Rich::strong(self.next_question(app))))
                }
                other => other,
            })?;
            self.store
                .set_person_time_zone(caller.person.id, tz.name(), true)
                .await?;
            let app = self
                .store
                .set_application_answer(app.id, TIME_ZONE_SLOT as u32, tz.name())
                .await?;
            return Ok(vec![Reply::caller_direct(Message::text(Rich::strong(
                self.next_question(&app),
            )))]);
        }
        if let Some(index) = app.answers.iter().position(String::is_empty) {
            let app = self
                .store
                .set_application_answer(app.id, index as u32, &text)
                .await?;
            return Ok(vec![Reply::caller_direct(Message::text(Rich::strong(
                self.next_question(&app),
            )))]);
        }
        let department = self.department(caller, &text).await.map_err(|e| match e {
            Failure::User(m) => Failure::User(m.paragraph(
                "Reply with the department's name as the org map spells it (quotes are not needed).",
            )),
            other => other,
        })?;
        let notices = self.application_notices(caller, app.id, &department);
        let app = self
            .store
            .submit_application(app.id, department.id, self.clock.now(), &notices)
            .await?;
        debug_assert_eq!(app.status, ApplicationStatus::Open);
        Ok(self.application_sent(caller, &department))
    }

    /// The applicant's confirmation, once an application is sent.
    pub(crate) fn application_sent(&self, caller: &Caller, department: &Department) -> Vec<Reply> {
        vec![Reply::caller_direct(
            Message::new()
                .heading("Application sent")
                .paragraph(format!(
                    "Thank you! Your application to represent {} ({}) is with the program office; you will hear from them here.",
                    department.name, department.region
                ))
                .context(
                    Rich::text("To withdraw it: ").and_code(caller.cmd("ambassadors withdraw")),
                ),
        )]
    }

    /// The office's notice of application `id`, sent for `department`: one direct message to
    /// each office member, on their own platform, queued with the submission.
    pub(crate) fn application_notices(
        &self,
        caller: &Caller,
        id: crate::model::ApplicationId,
        department: &Department,
    ) -> Vec<Outgoing> {
        let me = caller.person.as_ref();
        self.settings
            .office
            .iter()
            .map(|office| {
                dm(
                    format!("application:{id}:sent:{office}"),
                    office,
                    Message::text(
                        Rich::text("📨 New ambassador application from ")
                            .and_mention(&me)
                            .and(format!(
                                " for {} ({}). Review: ",
                                department.name, department.region
                            ))
                            .and_code(command_for(office, "ambassadors applications")),
                    ),
                )
            })
            .collect()
    }

    pub(crate) async fn withdraw(&self, caller: &Caller) -> Outcome {
        let Some(app) = self.store.pending_application(caller.person.id).await? else {
            return Err(refuse(
                "You have no application under way, so there is nothing to withdraw.",
            ));
        };
        // The office heard of an open application only: a draft's withdrawal is the applicant's own.
        let notices: Vec<Outgoing> = if app.status == ApplicationStatus::Open {
            self.settings
                .office
                .iter()
                .map(|office| {
                    dm(
                        format!("application:{}:withdrawn:{office}", app.id),
                        office,
                        Message::text(
                            Rich::new()
                                .and_mention(&caller.person.as_ref())
                                .and(" withdrew their ambassador application."),
                        ),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        self.decide(
            &app,
            ApplicationStatus::Withdrawn,
            None,
            "Your application was decided a moment ago; you will find the answer in our direct conversation.",
            &notices,
        )
        .await?;
        Ok(vec![Reply::caller(Message::text(
            Rich::text("Your application is withdrawn. You are welcome to apply again any time: ")
                .and_code(caller.cmd("ambassadors apply")),
        ))])
    }

    pub(crate) async fn applications_view(&self, caller: &Caller) -> Outcome {
        let apps = self.store.applications(&[ApplicationStatus::Open]).await?;
        let nominations = self.store.open_nominations().await?;
        if apps.is_empty() && nominations.is_empty() {
            return Ok(vec![Reply::caller(Message::text(
                "No open applications or nominations. People apply with `ambassadors apply`; anyone can suggest someone with `ambassadors nominate @person <why>`.",
            ))]);
        }
        let coverage = self.store.coverage(None).await?;
        let mut m = Message::new().heading(format!(
            "Ambassador applications — {} open, {} nomination{}",
            apps.len(),
            nominations.len(),
            if nominations.len() == 1 { "" } else { "s" }
        ));
        for app in &apps {
            let who = app.person.as_ref();
            let (received, given) = self.store.kudos_counts(app.person.id).await?;
            let terms = self.store.terms(app.person.id).await?;
            let mut fields: Vec<(String, Rich)> = Vec::new();
            if let Some(d) = &app.department {
                let dept_active = coverage
                    .iter()
                    .find(|c| c.department.id == d.id)
                    .map_or(0, |c| c.active.len());
                let region_active: usize = coverage
                    .iter()
                    .filter(|c| {
                        crate::model::name_key(&c.department.region)
                            == crate::model::name_key(&d.region)
                    })
                    .map(|c| c.active.len())
                    .sum();
                fields.push((
                    "Department".into(),
                    Rich::text(format!(
                        "{} — {} active ambassador{}, headcount {}",
                        d.name,
                        dept_active,
                        if dept_active == 1 { "" } else { "s" },
                        d.headcount.map_or("unknown".to_string(), |h| h.to_string())
                    )),
                ));
                fields.push((
                    "Region".into(),
                    Rich::text(format!(
                        "{} — {} active ambassador{} (the goal: a few per region)",
                        d.region,
                        region_active,
                        if region_active == 1 { "" } else { "s" }
                    )),
                ));
            }
            if let Some(z) = &app.person.time_zone {
                fields.push(("Time zone".into(), Rich::text(z.clone())));
            }
            fields.push((
                "Track record".into(),
                Rich::text(format!(
                    "{received} kudos received, {given} given; {}",
                    describe_terms(&terms)
                )),
            ));
            let nominated_by: Vec<PersonRef> = nominations
                .iter()
                .filter(|n| n.nominee_id == app.person.id)
                .map(|n| n.nominator.clone())
                .collect();
            if !nominated_by.is_empty() {
                fields.push((
                    "Nominated by".into(),
                    Rich::new().and_mentions(&nominated_by),
                ));
            }
            m = m
                .divider()
                .paragraph(Rich::new().and_mention(&who).and(format!(
                    " — submitted {}",
                    app.submitted_at
                        .map(|t| t.with_timezone(&self.settings.time_zone).date_naive().to_string())
                        .unwrap_or_default()
                )))
                .fields(fields);
            let answers: Vec<Rich> = APPLICATION_QUESTIONS
                .iter()
                .zip(&app.answers)
                .map(|(q, a)| Rich::strong(*q).and(" ").and(a.clone()))
                .collect();
            m = m
                .list(answers)
                .context(
                    Rich::new()
                        .and_code(
                            caller.cmd(&format!("ambassadors approve @{}", mention_text(&who))),
                        )
                        .and(" · ")
                        .and_code(caller.cmd(&format!(
                            "ambassadors decline @{} <reason>",
                            mention_text(&who)
                        ))),
                )
                .buttons(vec![
                    Button::command(
                        "Approve",
                        format!("ambassadors approve @{}", mention_text(&who)),
                    )
                    .primary(),
                    Button::form(
                        "Decline…",
                        FormKind::Decline {
                            person: mention_text(&who),
                        },
                    )
                    .danger(),
                ]);
        }
        let applicants: HashSet<PersonId> = apps.iter().map(|a| a.person.id).collect();
        let waiting: Vec<_> = nominations
            .iter()
            .filter(|n| !applicants.contains(&n.nominee_id))
            .collect();
        if !waiting.is_empty() {
            m = m
                .divider()
                .paragraph(Rich::strong("Nominated, not applied yet"));
            m = m.list(
                waiting
                    .iter()
                    .map(|n| {
                        Rich::new()
                            .and_mention(&n.nominee)
                            .and(", nominated by ")
                            .and_mention(&n.nominator)
                            .and(format!(
                                " on {}: ",
                                n.created_at
                                    .with_timezone(&self.settings.time_zone)
                                    .date_naive()
                            ))
                            .and_em(n.reason.clone())
                    })
                    .collect(),
            );
        }
        Ok(vec![Reply::caller(m)])
    }

    /// Decides `app` unless someone decided it first; then `already` is the answer.
    async fn decide(
        &self,
        app: &Application,
        status: ApplicationStatus,
        reason: Option<&str>,
        already: &str,
        notices: &[Outgoing],
    ) -> Result<(), Failure> {
        match self
            .store
            .decide_application(app.id, status, reason, self.clock.now(), notices)
            .await?
        {
            Some(_) => Ok(()),
            None => Err(refuse(already.to_string())),
        }
    }

    /// The applicant's open application, or a clear word why there is none.
    pub(crate) async fn open_application_of(
        &self,
        caller: &Caller,
        person: &Person,
    ) -> Result<Application, Failure> {
        match self.store.pending_application(person.id).await? {
            Some(app) if app.status == ApplicationStatus::Open => Ok(app),
            Some(_) => Err(refuse(
                Rich::new()
                    .and_mention(&person.as_ref())
                    .and(" is still writing their application; it shows in ")
                    .and_code(caller.cmd("ambassadors applications"))
                    .and(" once they send it."),
            )),
            None => Err(refuse(
                Rich::new()
                    .and_mention(&person.as_ref())
                    .and(" has no open application. See ")
                    .and_code(caller.cmd("ambassadors applications"))
                    .and("."),
            )),
        }
    }

    pub(crate) async fn approve(
        &self,
        caller: &Caller,
        mention: &Mention,
        department: Option<&str>,
    ) -> Outcome {
        let person = self.mentioned(caller, mention).await?;
        let app = self.open_application_of(caller, &person).await?;
        let department: Department = match department {
            Some(name) => self.department(caller, name).await?,
            None => app.department.clone().ok_or_else(|| {
                refuse(
                    Rich::text("The application names no department (it was removed?). Give one: ")
                        .and_code(caller.cmd(crate::command::USAGE::APPROVE)),
                )
            })?,
        };
        self.decide(
            &app,
            ApplicationStatus::Approved,
            None,
            DECIDED_BY_SOMEONE_ELSE,
            &[],
        )
        .await?;
        let tz = person
            .time_zone
            .as_deref()
            .and_then(|t| t.parse::<chrono_tz::Tz>().ok())
            .unwrap_or(self.settings.time_zone);
        let p = person.as_ref();
        let a = self
            .enrol(
                &person,
                &department,
                tz.name(),
                format!("application:{}:welcome", app.id),
            )
            .await?;
        Ok(vec![
            Reply::caller(Message::text(
                Rich::text("✅ Approved: ")
                    .and_mention(&p)
                    .and(format!(
                        " is now the ambassador of {} ({}), time zone {}. The welcome message is on its way to them by direct message; the next digest welcomes them.",
                        a.department.name, a.department.region, a.time_zone
                    )),
            )),
        ])
    }

    /// Puts `person` on the roster of `department` from today, with the welcome (queued under
    /// `welcome_key` in the roster entry's own transaction) and the day the bot first knew them.
    pub(crate) async fn enrol(
        &self,
        person: &Person,
        department: &Department,
        time_zone: &str,
        welcome_key: String,
    ) -> StoreResult<Ambassador> {
        let now = self.clock.now();
        let welcome = dm(
            welcome_key,
            &person.account,
            self.welcome_message(&person.as_ref(), department, time_zone),
        );
        let a = self
            .store
            .add_ambassador_notifying(
                person.id,
                department.id,
                time_zone,
                self.today(),
                &[welcome],
                now,
            )
            .await?;
        self.store.note_known_since(person.id, now).await?;
        Ok(a)
    }

    /// The onboarding welcome: what the program expects, training, the ambassadors' channel.
    pub(crate) fn welcome_message(
        &self,
        to: &PersonRef,
        department: &Department,
        time_zone: &str,
    ) -> Message {
        let l = &self.settings.lifecycle;
        let mut m = Message::new()
            .heading(format!("Welcome, ambassador of {}!", department.name))
            .paragraph(format!(
                "You now represent {} ({}) in the ambassador program. Thank you for volunteering!",
                department.name, department.region
            ))
            .paragraph(Rich::strong("What we ask of ambassadors"))
            .list(
                l.expectations
                    .iter()
                    .map(|e| Rich::text(e.clone()))
                    .collect(),
            );
        if !l.training_links.is_empty() {
            m = m.paragraph(Rich::strong("Training material")).list(
                l.training_links
                    .iter()
                    .map(|t| Rich::text(t.clone()))
                    .collect(),
            );
        }
        if let Some(channel) = &l.ambassadors_channel {
            m = m.paragraph(
                Rich::text("Meet the other ambassadors in ")
                    .and_strong(channel.clone())
                    .and("."),
            );
        }
        let cadence = match time_zone.parse() {
            Ok(tz) => format!(
                "Check-ins come here {} in your time zone ({time_zone}).",
                self.checkin_cadence(tz),
            ),
            Err(_) => format!(
                "Check-ins need a time zone I know, and {time_zone} is not one: the program office can set it.",
            ),
        };
        m.context(
            Rich::text(format!("{cadence} Your commands: "))
                .and_code(command_for(&to.account, "ambassadors help")),
        )
    }

    pub(crate) async fn decline(
        &self,
        caller: &Caller,
        mention: &Mention,
        reason: &str,
    ) -> Outcome {
        let reason = sanitize_text(reason);
        if reason.is_empty() {
            return Err(refuse("Give the applicant a reason: they will read it."));
        }
        if reason.chars().count() > self.settings.max_text_chars {
            return Err(refuse(format!(
                "That reason is {} characters; keep it under {}. Nothing was sent.",
                reason.chars().count(),
                self.settings.max_text_chars
            )));
        }
        let person = self.mentioned(caller, mention).await?;
        let app = self.open_application_of(caller, &person).await?;
        let p = person.as_ref();
        let notice = dm(
            format!("application:{}:declined", app.id),
            &p.account,
            Message::new()
                .heading("About your ambassador application")
                .paragraph("Thank you for applying. The program office decided not to take it further for now:")
                .paragraph(Rich::text("").and_em(reason.clone()))
                .paragraph(
                    Rich::text("Your interest means a lot; you are welcome to apply again later with ")
                        .and_code(command_for(&p.account, "ambassadors apply"))
                        .and(", and kudos and sharing what works are open to everyone."),
                ),
        );
        self.decide(
            &app,
            ApplicationStatus::Declined,
            Some(&reason),
            DECIDED_BY_SOMEONE_ELSE,
            &[notice],
        )
        .await?;
        Ok(vec![Reply::caller(Message::text(
            Rich::text("Declined the application of ")
                .and_mention(&p)
                .and("; your reason is on its way to them by direct message."),
        ))])
    }

    // ---- nominations ----

    pub(crate) async fn nominate(
        &self,
        caller: &Caller,
        mention: &Mention,
        reason: &str,
    ) -> Outcome {
        let reason = sanitize_text(reason);
        if reason.is_empty() {
            return Err(refuse(
                "Say why: what have they done that makes them a good ambassador?",
            ));
        }
        if reason.chars().count() > self.settings.max_text_chars {
            return Err(refuse(format!(
                "That is {} characters; a nomination takes up to {}. Nothing was recorded.",
                reason.chars().count(),
                self.settings.max_text_chars
            )));
        }
        let account = Account::new(caller.person.account.platform, mention.0.clone());
        if caller.bot.as_ref() == Some(&account) {
            return Err(refuse("Thank you, but I am happy as the program's bot."));
        }
        let person = self.mentioned(caller, mention).await?;
        if person.id == caller.person.id {
            return Err(refuse(
                Rich::text("To put yourself forward, apply: ")
                    .and_code(caller.cmd("ambassadors apply")),
            ));
        }
        let p = person.as_ref();
        if let Some(a) = self.store.ambassador(person.id).await?
            && a.status != AmbassadorStatus::Alumni
        {
            return Err(refuse(Rich::new().and_mention(&p).and(format!(
                " is already the ambassador of {}.",
                a.department.name
            ))));
        }
        // Invited to apply only when they have no application under way; the invitation is
        // queued with the nomination.
        let pending = self.store.pending_application(person.id).await?;
        let now = self.clock.now();
        let invitation: Vec<Outgoing> = if pending.is_none() {
            vec![dm(
                format!(
                    "nomination:{}:by:{}:{}",
                    person.id,
                    caller.person.id,
                    now.timestamp_micros()
                ),
                &p.account,
                Message::new()
                    .heading("You were nominated as ambassador")
                    .paragraph(
                        Rich::new()
                            .and_mention(&caller.person.as_ref())
                            .and(" suggested you as an InnerSource ambassador: ")
                            .and_em(reason.clone()),
                    )
                    .paragraph(
                        Rich::text("Interested? Apply with ")
                            .and_code(command_for(&p.account, "ambassadors apply"))
                            .and(" — a few questions, answered here. No pressure if now is not the time."),
                    ),
            )]
        } else {
            Vec::new()
        };
        match self
            .store
            .add_nomination(person.id, caller.person.id, &reason, now, &invitation)
            .await
        {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(refuse(
                    Rich::text("You have already nominated ")
                        .and_mention(&p)
                        .and("; the program office has it."),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(vec![Reply::caller(Message::text(
            Rich::text("Thank you! The program office will see your nomination of ")
                .and_mention(&p)
                .and(if pending.is_some() {
                    " with their application."
                } else {
                    " with the applications, and I am inviting them to apply by direct message."
                }),
        ))])
    }

    // ---- misuse reports ----

    pub(crate) async fn report(&self, caller: &Caller, mention: &Mention, text: &str) -> Outcome {
        let text = sanitize_text(text);
        if text.is_empty() {
            return Err(refuse(
                "What happened? The program office reads it privately.",
            ));
        }
        let max = self.settings.max_text_chars * 2;
        if text.chars().count() > max {
            return Err(refuse(format!(
                "That is {} characters; a report takes up to {max}. Please shorten it: nothing was sent.",
                text.chars().count()
            )));
        }
        let subject = self.mentioned(caller, mention).await?;
        if subject.id == caller.person.id {
            return Err(refuse(
                "A report is about someone else. To step down: `ambassadors stepdown`.",
            ));
        }
        let on_roster = match self.store.ambassador(subject.id).await? {
            Some(a) => format!("{} ambassador of {}", a.status.as_str(), a.department.name),
            None => "not on the roster".to_string(),
        };
        let (reporter, about) = (caller.person.as_ref(), subject.as_ref());
        // Only ever to the reporter and the office: never a room. The office's copies are queued
        // with the report, once its number is known.
        let notify = |id: crate::model::ReportId| -> Vec<Outgoing> {
            self.settings
                .office
                .iter()
                .map(|office| {
                    dm(
                        format!("report:{id}:office:{office}"),
                        office,
                        Message::new()
                            .heading(format!("Misuse report #{id}"))
                            .paragraph(
                                Rich::new()
                                    .and_mention(&reporter)
                                    .and(" reports ")
                                    .and_mention(&about)
                                    .and(format!(" ({on_roster}):")),
                            )
                            .paragraph(Rich::text("").and_em(text.clone()))
                            .context(Rich::text("When handled: ").and_code(command_for(
                                office,
                                &format!("ambassadors resolve {id} [note]"),
                            ))),
                    )
                })
                .collect()
        };
        let report = self
            .store
            .add_report(
                caller.person.id,
                subject.id,
                &text,
                self.clock.now(),
                &notify,
            )
            .await?;
        Ok(vec![Reply::caller(Message::text(format!(
            "Thank you. Report #{} is recorded and on its way privately to the program office; only they see it, and they may contact you. Nothing was posted anywhere else.",
            report.id
        )))])
    }

    pub(crate) async fn reports_view(&self, caller: &Caller) -> Outcome {
        let reports = self.store.reports(true).await?;
        if reports.is_empty() {
            return Ok(vec![Reply::caller(Message::text(
                "No open misuse reports.",
            ))]);
        }
        let tz = self.settings.time_zone;
        let m = Message::new()
            .heading(format!("Open misuse reports — {}", reports.len()))
            .list(
                reports
                    .iter()
                    .map(|r| {
                        Rich::strong(format!("#{}", r.id))
                            .and(format!(
                                " {} · ",
                                r.created_at.with_timezone(&tz).date_naive()
                            ))
                            .and_mention(&r.reporter)
                            .and(" about ")
                            .and_mention(&r.subject)
                            .and(": ")
                            .and_em(r.text.clone())
                    })
                    .collect(),
            )
            .context(
                Rich::text("Mark one handled: ")
                    .and_code(caller.cmd("ambassadors resolve N [note]")),
            );
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn resolve(&self, caller: &Caller, id: i64, note: Option<&str>) -> Outcome {
        let note = note.map(sanitize_text).filter(|n| !n.is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > self.settings.max_text_chars)
        {
            return Err(refuse(format!(
                "That note is too long; keep it under {} characters.",
                self.settings.max_text_chars
            )));
        }
        // The reporter hears of it, queued with the resolution (only when it is resolved now).
        let reporter = self
            .store
            .reports(false)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.reporter);
        let notice: Vec<Outgoing> = reporter
            .iter()
            .map(|reporter| {
                dm(
                    format!("report:{id}:resolved"),
                    &reporter.account,
                    Message::text(format!(
                        "Your report #{id} was looked at and resolved by the program office. Thank you for speaking up."
                    )),
                )
            })
            .collect();
        match self
            .store
            .resolve_report(
                id,
                caller.person.id,
                note.as_deref(),
                self.clock.now(),
                &notice,
            )
            .await
        {
            Err(StoreError::NotFound(_)) => Err(refuse(
                Rich::text(format!("There is no report #{id}. Open ones: "))
                    .and_code(caller.cmd("ambassadors reports")),
            )),
            Err(e) => Err(e.into()),
            Ok(None) => {
                let when = self
                    .store
                    .reports(false)
                    .await?
                    .into_iter()
                    .find(|r| r.id == id);
                let mut text = Rich::text(format!("Report #{id} was already resolved"));
                if let Some(r) = when {
                    if let Some(by) = &r.resolved_by {
                        text = text.and(" by ").and_mention(by);
                    }
                    if let Some(at) = r.resolved_at {
                        text = text.and(format!(
                            " on {}",
                            at.with_timezone(&self.settings.time_zone).date_naive()
                        ));
                    }
                }
                Err(refuse(text.and(".")))
            }
            Ok(Some(_)) => Ok(vec![Reply::caller(Message::text(format!(
                "Report #{id} is resolved; the reporter is told by direct message."
            )))]),
        }
    }

    // ---- career record, kudos mine, opt-out ----

    /// Everything a person's record holds.
    pub async fn track_record(&self, person: &Person) -> StoreResult<TrackRecord> {
        let terms = self.store.terms(person.id).await?;
        let checkins = self
            .store
            .checkins(&CheckinFilter {
                person: Some(person.id),
                ..CheckinFilter::default()
            })
            .await?;
        let kudos_received = self.store.kudos_received(person.id).await?;
        let (_, kudos_given) = self.store.kudos_counts(person.id).await?;
        let ambassador = self.store.ambassador(person.id).await?;
        let activities = self
            .store
            .activities(&crate::model::ActivityFilter {
                author: Some(person.id),
                ..crate::model::ActivityFilter::default()
            })
            .await?
            .into_iter()
            .map(|e| e.activity)
            .collect();
        Ok(TrackRecord {
            time_zone: super::timezone::zone_in_use(person, ambassador.as_ref()),
            terms,
            checkins: super::response_rate(&checkins, self.clock.now()),
            kudos_received,
            kudos_given,
            activities,
        })
    }

    /// A person's record as a message: terms, check-ins, activities logged, kudos with their
    /// reasons and givers. `limit` caps the activities and the kudos listed (None: all, for the
    /// export).
    pub fn record_message(
        &self,
        person: &Person,
        record: &TrackRecord,
        limit: Option<usize>,
    ) -> Message {
        let tz = self.settings.time_zone;
        let mut m = Message::new()
            .heading(format!(
                "Ambassador program record — {}",
                person.display_name
            ))
            .fields(vec![
                ("Terms".into(), Rich::text(describe_terms(&record.terms))),
                ("Check-ins".into(), Rich::text(record.checkins.describe())),
                (
                    "Kudos".into(),
                    Rich::text(format!(
                        "{} received, {} given",
                        record.kudos_received.len(),
                        record.kudos_given
                    )),
                ),
                (
                    "Time zone".into(),
                    Rich::text(format!(
                        "{} ({})",
                        record.time_zone.as_deref().unwrap_or(tz.name()),
                        super::timezone::zone_source(person, record.time_zone.as_deref())
                    )),
                ),
                (
                    "Activities logged".into(),
                    Rich::text(activities_summary(&record.activities)),
                ),
            ]);
        if !record.terms.is_empty() {
            m = m.paragraph(Rich::strong("Terms as ambassador")).list(
                record
                    .terms
                    .iter()
                    .map(|t| {
                        Rich::text(format!(
                            "{} ({}): {} – {}",
                            t.department.name,
                            t.department.region,
                            t.since,
                            t.until.map_or("today".to_string(), |u| u.to_string())
                        ))
                    })
                    .collect(),
            );
        }
        if !record.activities.is_empty() {
            let shown: Vec<_> = match limit {
                Some(n) => record.activities.iter().take(n).collect(),
                None => record.activities.iter().collect(),
            };
            m = m.paragraph(Rich::strong(if shown.len() < record.activities.len() {
                format!("Activity log — the latest {}", shown.len())
            } else {
                "Activity log".to_string()
            }));
            m = m.list(
                shown
                    .iter()
                    .map(|a| {
                        Rich::text(format!(
                            "{}: {}",
                            a.on,
                            super::activity::activity_line(a, false)
                        ))
                    })
                    .collect(),
            );
        }
        if !record.kudos_received.is_empty() {
            let shown: Vec<_> = match limit {
                Some(n) => record.kudos_received.iter().rev().take(n).collect(),
                None => record.kudos_received.iter().rev().collect(),
            };
            m = m.paragraph(Rich::strong(if shown.len() < record.kudos_received.len() {
                format!("Kudos received — the latest {}", shown.len())
            } else {
                "Kudos received".to_string()
            }));
            m = m.list(
                shown
                    .iter()
                    .map(|k| {
                        Rich::text(format!("{} ", k.given_at.with_timezone(&tz).date_naive()))
                            .and("from ")
                            .and_mention(&k.giver)
                            .and(": ")
                            .and_em(k.reason.clone())
                    })
                    .collect(),
            );
        }
        m
    }

    /// An activity as the record lists it: its text without the parsed fields, then the audience
    /// and tags ("Ran a workshop — 25 people · #workshop").
    pub fn activity_line(&self, a: &crate::model::Activity) -> String {
        super::activity::activity_line(a, false)
    }

    pub(crate) async fn record_command(&self, caller: &Caller) -> Outcome {
        let record = self.track_record(&caller.person).await?;
        let m = self
            .record_message(&caller.person, &record, Some(KUDOS_SHOWN))
            .context("Only you see this. The program office can export the full record for a performance review.");
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn kudos_mine(&self, caller: &Caller) -> Outcome {
        let received = self.store.kudos_received(caller.person.id).await?;
        let (_, given) = self.store.kudos_counts(caller.person.id).await?;
        let unit = match self.settings.kudos_daily_limit {
            0 => "Counted per kudos: a kudos to several people counts once.".to_string(),
            n => format!(
                "Counted per kudos: a kudos to several people counts once, as in the daily limit of {}.",
                super::count(u64::from(n), "kudos", "kudos")
            ),
        };
        if received.is_empty() {
            return Ok(vec![Reply::caller(Message::text(format!(
                "No kudos received yet — they will come! You have given {}. {unit}",
                super::count(u64::from(given), "kudos", "kudos")
            )))]);
        }
        let tz = self.settings.time_zone;
        let m = Message::new()
            .heading(format!(
                "Your kudos — {} received, {given} given",
                received.len()
            ))
            .list(
                received
                    .iter()
                    .rev()
                    .take(KUDOS_SHOWN)
                    .map(|k| {
                        Rich::text(format!("{} ", k.given_at.with_timezone(&tz).date_naive()))
                            .and("from ")
                            .and_mention(&k.giver)
                            .and(": ")
                            .and_em(k.reason.clone())
                    })
                    .collect(),
            )
            .context(unit)
            .context(Rich::text("Your whole record: ").and_code(caller.cmd("ambassadors record")));
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn kudos_optout(&self, caller: &Caller, out: bool) -> Outcome {
        self.store.set_kudos_optout(caller.person.id, out).await?;
        let text = if out {
            Rich::text("Done: you no longer appear by name in the weekly digest or leaderboards. Kudos to you are still recorded, and ")
                .and_code(caller.cmd("kudos mine"))
                .and(" still shows them. Undo: ")
                .and_code(caller.cmd("kudos optin"))
        } else {
            Rich::text("Welcome back: the weekly digest and leaderboards may name you again.")
        };
        Ok(vec![Reply::caller(Message::text(text))])
    }

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
                command_for(&p.account, "ambassadors record")
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
        let active = self.store.last_active().await?;
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
                            .and_code(command_for(
                                office,
                                &format!("ambassadors alumni @{}", mention_text(&p)),
                            ))
                            .and(". Nothing happens unless you do it.")
                    } else {
                        Rich::text("Mark them inactive? ")
                            .and_code(command_for(office, &format!("ambassadors pause @{}", mention_text(&p))))
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
                            .and_code(command_for(
                                &a.person.account,
                                "ambassadors log <what you did>",
                            ))
                            .and(" or kudos to someone is plenty. If the role no longer fits, ")
                            .and_code(command_for(&a.person.account, "ambassadors stepdown"))
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
                                .and_code(command_for(&a.person.account, "ambassadors renew")),
                            Rich::text("Time to hand over: ")
                                .and_code(command_for(&a.person.account, "ambassadors stepdown")),
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

    /// The receivers' managers, when kudos are copied to managers: a direct message for each,
    /// to be queued with the kudos given at `given_at`.
    pub(crate) async fn manager_copies(
        &self,
        receivers: &[Person],
        giver: &Person,
        reason: &str,
        given_at: DateTime<Utc>,
    ) -> StoreResult<Vec<Outgoing>> {
        let mut copies = Vec::new();
        if !self.settings.lifecycle.copy_kudos_to_manager {
            return Ok(copies);
        }
        for r in receivers {
            let Some(manager) = self.store.manager(r.id).await? else {
                continue;
            };
            if manager.id == giver.id {
                continue;
            }
            copies.push(dm(
                format!(
                    "kudos:{}:{}:for:{}:manager:{}",
                    giver.id,
                    given_at.timestamp_micros(),
                    r.id,
                    manager.id
                ),
                &manager.account,
                Message::text(
                    Rich::text("FYI: ")
                        .and_mention(&r.as_ref())
                        .and(" from your team got kudos from ")
                        .and_mention(&giver.as_ref())
                        .and(" for ")
                        .and_strong(reason.to_string()),
                )
                .context("You get these because kudos are copied to managers in this program."),
            ));
        }
        Ok(copies)
    }
}

/// "3, reaching 120 people" (the audience as logged).
fn activities_summary(activities: &[crate::model::Activity]) -> String {
    let reached: u64 = activities
        .iter()
        .filter_map(|a| a.audience)
        .map(u64::from)
        .sum();
    if reached > 0 {
        format!(
            "{}, reaching {} people",
            activities.len(),
            super::thousands(reached)
        )
    } else {
        activities.len().to_string()
    }
}

/// How a mention is written in a command the office can copy: the platform id.
fn mention_text(p: &PersonRef) -> String {
    p.account.id.trim_start_matches('@').to_string()
}

/// "no earlier roles", "ambassador of Finance 2025-01-06 – 2026-01-06; …".
fn describe_terms(terms: &[crate::model::Term]) -> String {
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
