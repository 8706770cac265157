//! Applications: asked one question at a time in a direct conversation (or a form), withdrawn,
//! reviewed by the office, approved with onboarding or declined with a reason.

use super::checkin::dm;
use super::lifecycle::*;
use super::{Caller, Failure, Outcome, Program, refuse};
use crate::command::Mention;
use crate::message::{Button, FormKind, Message, Reply, Rich};
use crate::model::{
    Ambassador, Application, ApplicationStatus, Department, Person, PersonId, PersonRef,
    sanitize_text,
};
use crate::ports::{Clock, Outgoing, Store, StoreError, StoreResult};
use std::collections::HashSet;

/// The application questions of the OpenStack Ambassador Program; the department is asked last.
pub const APPLICATION_QUESTIONS: [&str; 3] = [
    "Why do you want to be an ambassador?",
    "How have you taken part in InnerSource or open source so far?",
    "What would you do as an ambassador with more time or resources?",
];

pub(super) const DEPARTMENT_QUESTION: &str =
    "Last one: which department would you represent? (Its region comes with it.)";

/// The answer slot after the questions that holds the applicant's time zone (its IANA name). Drafts
/// begun before it was asked have no such slot and skip the question.
pub(crate) const TIME_ZONE_SLOT: usize = APPLICATION_QUESTIONS.len();

/// What an applicant replies to keep the time zone they were offered.
pub(super) const KEEP_ZONE: &[&str] =
    &["ok", "okay", "yes", "y", "keep", "keep it", "fine", "right"];

/// What a second office member deciding the same application is told.
pub(super) const DECIDED_BY_SOMEONE_ELSE: &str =
    "Someone in the program office decided this application a moment ago.";

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

impl<S: Store, C: Clock> Program<S, C> {
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
                            .and_code(office.command("ambassadors applications")),
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
                .and_code(to.account.command("ambassadors help")),
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
                        .and_code(p.account.command("ambassadors apply"))
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
}

/// Deciding an application on the memory store: the decision and the message it makes for the
/// applicant are written together.
#[cfg(test)]
mod on_the_memory_store {
    use crate::testing::MemoryStore;
    use crate::{
        Account, ApplicationStatus, Destination, Inbound, LifecycleStore, ManualClock,
        NewDepartment, OrgStore, OutboxStatus, OutboxStore, PeopleStore, Platform, Program,
        RosterStore, Settings, render_plain,
    };
    use chrono::{TimeZone, Utc};

    #[tokio::test]
    async fn an_approved_application_queues_the_welcome_for_the_new_ambassador() {
        let store = MemoryStore::new();
        let now = Utc.with_ymd_and_hms(2024, 5, 7, 10, 0, 0).unwrap();
        let program = Program::new(store.clone(), ManualClock::new(now), Settings::default());
        let ada = store
            .ensure_person(&Account::new(Platform::Console, "ada"), "Ada")
            .await
            .unwrap();
        let finance = store
            .add_department(&NewDepartment {
                name: "Finance".to_owned(),
                region: "EMEA".to_owned(),
                headcount: Some(120),
            })
            .await
            .unwrap();
        let draft = store.start_application(ada.id, 2, now).await.unwrap();
        let open = store
            .submit_application(draft.id, finance.id, now, &[])
            .await
            .unwrap();

        let approve = Inbound {
            sender: Account::new(Platform::Console, "admin"),
            sender_name: "Program Office".to_owned(),
            room: "office".to_owned(),
            text: "/ambassadors approve @ada".to_owned(),
            bot: None,
            direct: false,
            create_mentioned: false,
        };
        let replies = program.handle(&approve).await.unwrap().unwrap();
        let reply = render_plain(&replies[0].message);
        assert!(
            reply.starts_with(
                "✅ Approved: @Ada is now the ambassador of Finance (EMEA), time zone UTC."
            ),
            "{reply}"
        );

        let decided = store
            .applications(&[ApplicationStatus::Approved])
            .await
            .unwrap();
        assert_eq!(decided.len(), 1);
        assert_eq!(decided[0].id, open.id);
        let roster = store.ambassador(ada.id).await.unwrap().unwrap();
        assert_eq!(roster.department, finance);
        let outbox = store
            .outbox_items(&[OutboxStatus::Pending], 10)
            .await
            .unwrap();
        assert_eq!(outbox.len(), 1, "{outbox:?}");
        let welcome = &outbox[0].outgoing;
        assert_eq!(welcome.key, format!("application:{}:welcome", open.id));
        assert_eq!(welcome.to, Destination::Direct(ada.account.clone()));
        assert!(
            render_plain(&welcome.message).contains("Welcome, ambassador of Finance!"),
            "{}",
            render_plain(&welcome.message)
        );

        // A second approval finds nothing open and queues nothing more.
        let again = program.handle(&approve).await.unwrap().unwrap();
        assert!(render_plain(&again[0].message).contains("has no open application"));
        assert_eq!(store.outbox_items(&[], 10).await.unwrap().len(), 1);
    }
}
