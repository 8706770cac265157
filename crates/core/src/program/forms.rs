//! Forms instead of conversations, where the platform has dialogs: the check-in answer with one
//! field per question, the ambassador application, and the office's reason for a decline. Each
//! submission goes through the same rules as the command or conversation it replaces.

use super::applications::{APPLICATION_QUESTIONS, TIME_ZONE_SLOT};
use super::checkin::local_time;
use super::{Caller, Failure, Inbound, Program};
use crate::command::{Command, Mention, Role, parse};
use crate::form::{Form, FormField, FormKind, FormOpening, Submitted};
use crate::message::{Message, Reply, Rich};
use crate::model::{ApplicationStatus, sanitize_text};
use crate::ports::{Clock, Store, StoreError};

/// The department field of the application form.
const DEPARTMENT_FIELD: &str = "department";
/// The time zone field of the application form.
const TIME_ZONE_FIELD: &str = "time_zone";
/// The reason field of the decline form.
const REASON_FIELD: &str = "reason";
/// The text field of a request reply.
const TEXT_FIELD: &str = "text";
/// The note field of a request marked done.
const NOTE_FIELD: &str = "note";

/// The id of check-in question `i`'s field.
fn question_field(i: usize) -> String {
    format!("q{}", i + 1)
}

/// The id of application question `i`'s field.
fn application_field(i: usize) -> String {
    format!("a{}", i + 1)
}

/// A user failure as the text of a field error or a refusal.
fn failure_text(f: Failure) -> Result<String, StoreError> {
    match f {
        Failure::User(m) => Ok(crate::message::render_plain(&m)),
        Failure::Store(e) => Err(e),
    }
}

/// A refusal when opening a form: its message.
fn refused(f: Failure) -> Result<FormOpening, StoreError> {
    match f {
        Failure::User(m) => Ok(Err(m)),
        Failure::Store(e) => Err(e),
    }
}

/// A submission refused as a whole: the refusal for the caller, and the form closes.
fn refused_submission(f: Failure) -> Result<Submitted, StoreError> {
    match f {
        Failure::User(m) => Ok(Submitted::Done(vec![Reply::caller(m)])),
        Failure::Store(e) => Err(e),
    }
}

/// Checks a required (or optional) text value: the field error, if any.
fn check_length(value: &str, optional: bool, max: usize) -> Option<String> {
    let n = value.chars().count();
    if n == 0 && !optional {
        Some("Please write a few words here.".into())
    } else if n > max {
        Some(format!(
            "That is {n} characters; this field takes up to {max}."
        ))
    } else {
        None
    }
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The form a platform with dialogs may open instead of answering this command line: `apply`
    /// opens the application form, a bare `checkin` the check-in form. `None` for the rest.
    pub fn form_for_command(&self, text: &str) -> Option<FormKind> {
        let parsed = parse(text)?;
        if matches!(parsed.command, Ok(Command::Apply)) {
            return Some(FormKind::Application);
        }
        let bare = text.trim().trim_start_matches(['/', '!']).trim();
        matches!(bare, "checkin" | "check-in").then_some(FormKind::Checkin)
    }

    /// The form `kind` for the person behind `inbound` (its `text` is not used), or why they
    /// cannot fill it in now.
    pub async fn open_form(
        &self,
        inbound: &Inbound,
        kind: &FormKind,
    ) -> Result<FormOpening, StoreError> {
        let caller = self
            .caller(inbound, inbound.sender.platform.command_prefix(), &[])
            .await?;
        match kind {
            FormKind::Checkin => self.checkin_form(&caller).await,
            FormKind::Application => self.application_form(&caller).await,
            FormKind::Decline { person } => self.decline_form(&caller, person).await,
            FormKind::RequestReply { id } => self.request_reply_form(&caller, *id).await,
            FormKind::RequestDone { id } => self.request_done_form(&caller, *id).await,
        }
    }

    /// Takes a submitted form: `values` are (field id, text). Nothing is saved when a value is
    /// wrong; the caller corrects it in the form.
    pub async fn submit_form(
        &self,
        inbound: &Inbound,
        kind: &FormKind,
        values: &[(String, String)],
    ) -> Result<Submitted, StoreError> {
        let caller = self
            .caller(inbound, inbound.sender.platform.command_prefix(), &[])
            .await?;
        match kind {
            FormKind::Checkin => self.submit_checkin(&caller, values).await,
            FormKind::Application => self.submit_application_form(&caller, values).await,
            FormKind::Decline { person } => self.submit_decline(&caller, person, values).await,
            FormKind::RequestReply { id } => self.submit_request_reply(&caller, *id, values).await,
            FormKind::RequestDone { id } => self.submit_request_done(&caller, *id, values).await,
        }
    }

    // ---- check-in ----

    fn checkin_max(&self) -> usize {
        self.settings.max_text_chars * 4
    }

    async fn checkin_form(&self, caller: &Caller) -> Result<FormOpening, StoreError> {
        let Some(a) = &caller.ambassador else {
            return Ok(Err(Message::text(
                "Check-ins are for ambassadors, and you are not on the roster. Want to become one? Ask the program office.",
            )));
        };
        let open = match self.open_round(caller).await {
            Ok(open) => open,
            Err(f) => return refused(f),
        };
        let mut intro = Rich::text(format!("Your check-in for {}, open until ", open.round))
            .and_strong(local_time(open.closes_at, &a.time_zone))
            .and(". A few lines are plenty; leave out what does not apply. Only the program office and you will see your answer.");
        if !open.answer.is_empty() {
            intro = intro.and(format!(
                " You have written {} already; what you write here is added to it.",
                super::count(
                    open.answer.chars().count() as u64,
                    "character",
                    "characters"
                )
            ));
        }
        let fields = self
            .settings
            .checkins
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| FormField {
                id: question_field(i),
                label: q.clone(),
                hint: None,
                multiline: true,
                optional: true,
                max_chars: self.checkin_max(),
                initial: String::new(),
            })
            .collect();
        Ok(Ok(Form {
            kind: FormKind::Checkin,
            title: "Check-in".into(),
            intro,
            fields,
            submit: "Send".into(),
        }))
    }

    async fn submit_checkin(
        &self,
        caller: &Caller,
        values: &[(String, String)],
    ) -> Result<Submitted, StoreError> {
        if caller.ambassador.is_none() {
            return refused_submission(super::refuse(
                "Check-ins are for ambassadors, and you are not on the roster.",
            ));
        }
        let questions = &self.settings.checkins.questions;
        let max = self.checkin_max();
        let mut errors = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let id = question_field(i);
            let value = sanitize_text(Form::value(values, &id));
            if let Some(e) = check_length(&value, true, max) {
                errors.push((id, e));
            } else if !value.is_empty() {
                parts.push(format!("{q}\n{value}"));
            }
        }
        if !errors.is_empty() {
            return Ok(Submitted::Invalid(errors));
        }
        if parts.is_empty() {
            return Ok(Submitted::Invalid(vec![(
                question_field(0),
                "Your answer is empty: write a few words in at least one field.".into(),
            )]));
        }
        let text = parts.join("\n\n");
        if text.chars().count() > max {
            return Ok(Submitted::Invalid(vec![(
                question_field(0),
                format!(
                    "Together that is {} characters; a check-in answer takes up to {max}. Please shorten it.",
                    text.chars().count()
                ),
            )]));
        }
        let open = match self.open_round(caller).await {
            Ok(open) => open,
            Err(f) => return refused_submission(f),
        };
        // The same form sent twice (a double click, a retried delivery) is kept once.
        if open.answer.contains(&text) {
            return Ok(Submitted::Done(vec![Reply::caller(Message::text(
                format!(
                    "Your check-in for {} already holds this answer; nothing was added.",
                    open.round
                ),
            ))]));
        }
        match self.answer(caller, &open, &text, false).await {
            Ok(replies) => Ok(Submitted::Done(replies)),
            Err(f) => refused_submission(f),
        }
    }

    // ---- application ----

    fn application_max(&self) -> usize {
        self.settings.max_text_chars * 2
    }

    async fn application_form(&self, caller: &Caller) -> Result<FormOpening, StoreError> {
        if let Some(a) = &caller.ambassador {
            return Ok(Err(Message::text(format!(
                "You are already the ambassador of {} — thank you! Nothing to apply for.",
                a.department.name
            ))));
        }
        let pending = self.store.pending_application(caller.person.id).await?;
        if let Some(app) = &pending
            && app.status == ApplicationStatus::Open
        {
            return Ok(Err(Message::text(
                Rich::text(
                    "Your application is with the program office; you will hear from them by direct message. To withdraw it: ",
                )
                .and_code(caller.cmd("ambassadors withdraw")),
            )));
        }
        let drafted = |i: usize| {
            pending
                .as_ref()
                .and_then(|a| a.answers.get(i).cloned())
                .unwrap_or_default()
        };
        let mut fields: Vec<FormField> = APPLICATION_QUESTIONS
            .iter()
            .enumerate()
            .map(|(i, q)| FormField {
                id: application_field(i),
                label: q.to_string(),
                hint: None,
                multiline: true,
                optional: false,
                max_chars: self.application_max(),
                initial: drafted(i),
            })
            .collect();
        fields.push(FormField {
            id: DEPARTMENT_FIELD.into(),
            label: "Which department would you represent?".into(),
            hint: Some("As the org map spells it; its region comes with it.".into()),
            multiline: false,
            optional: false,
            max_chars: self.settings.max_text_chars,
            initial: String::new(),
        });
        fields.push(FormField {
            id: TIME_ZONE_FIELD.into(),
            label: "Your time zone".into(),
            hint: Some(format!(
                "An IANA name such as Europe/Berlin or America/New_York: your check-ins come at their hour in it. Empty: {}.",
                caller
                    .person
                    .time_zone
                    .as_deref()
                    .unwrap_or(self.settings.time_zone.name())
            )),
            multiline: false,
            optional: true,
            max_chars: 64,
            // The zone from the person's profile (Slack's), or their own earlier choice.
            initial: caller.person.time_zone.clone().unwrap_or_default(),
        });
        Ok(Ok(Form {
            kind: FormKind::Application,
            title: "Become an ambassador".into(),
            intro: Rich::text(
                "Thank you for your interest! The program office reads every application and chooses by track record, geography and impact. Only the office and you see what you write here.",
            ),
            fields,
            submit: "Send application".into(),
        }))
    }

    async fn submit_application_form(
        &self,
        caller: &Caller,
        values: &[(String, String)],
    ) -> Result<Submitted, StoreError> {
        if let Some(a) = &caller.ambassador {
            return refused_submission(super::refuse(format!(
                "You are already the ambassador of {}; nothing to apply for.",
                a.department.name
            )));
        }
        let max = self.application_max();
        let mut errors = Vec::new();
        let mut answers = Vec::new();
        for i in 0..APPLICATION_QUESTIONS.len() {
            let id = application_field(i);
            let value = sanitize_text(Form::value(values, &id));
            if let Some(e) = check_length(&value, false, max) {
                errors.push((id, e));
            }
            answers.push(value);
        }
        let name = sanitize_text(Form::value(values, DEPARTMENT_FIELD));
        let department = if name.is_empty() {
            errors.push((
                DEPARTMENT_FIELD.into(),
                "Name the department you would represent.".into(),
            ));
            None
        } else {
            match self.department(caller, &name).await {
                Ok(d) => Some(d),
                Err(f) => {
                    errors.push((DEPARTMENT_FIELD.into(), failure_text(f)?));
                    None
                }
            }
        };
        let zone = sanitize_text(Form::value(values, TIME_ZONE_FIELD));
        // Empty: the zone known for them (their profile's) or, at approval, the program's.
        let tz = match zone.as_str() {
            "" => None,
            zone => match super::roster::time_zone(zone) {
                Ok(tz) => Some(tz),
                Err(f) => {
                    errors.push((TIME_ZONE_FIELD.into(), failure_text(f)?));
                    None
                }
            },
        };
        let Some(department) = department.filter(|_| errors.is_empty()) else {
            return Ok(Submitted::Invalid(errors));
        };
        let app = match self.store.pending_application(caller.person.id).await? {
            Some(app) if app.status == ApplicationStatus::Open => {
                return refused_submission(super::refuse(
                    Rich::text(
                        "Your application is already with the program office. To withdraw it: ",
                    )
                    .and_code(caller.cmd("ambassadors withdraw")),
                ));
            }
            Some(app) => app,
            None => match self.start_draft(caller).await {
                Ok(app) => app,
                Err(f) => return refused_submission(f),
            },
        };
        for (i, answer) in answers.iter().enumerate() {
            self.store
                .set_application_answer(app.id, i as u32, answer)
                .await?;
        }
        if let Some(tz) = tz {
            self.store
                .set_person_time_zone(caller.person.id, tz.name(), true)
                .await?;
            if app.answers.len() > TIME_ZONE_SLOT {
                self.store
                    .set_application_answer(app.id, TIME_ZONE_SLOT as u32, tz.name())
                    .await?;
            }
        }
        let notices = self.application_notices(caller, app.id, &department);
        match self
            .store
            .submit_application(app.id, department.id, self.clock.now(), &notices)
            .await
        {
            Ok(_) => Ok(Submitted::Done(self.application_sent(caller, &department))),
            Err(StoreError::NotFound(_)) => refused_submission(super::refuse(
                "Your application was sent a moment ago; you will hear from the program office.",
            )),
            Err(e) => Err(e),
        }
    }

    // ---- decline ----

    fn office_only(&self, caller: &Caller) -> Result<(), Failure> {
        if caller.role == Role::Office {
            Ok(())
        } else {
            Err(super::refuse(
                "Only the program office decides applications.",
            ))
        }
    }

    async fn decline_form(&self, caller: &Caller, person: &str) -> Result<FormOpening, StoreError> {
        if let Err(f) = self.office_only(caller) {
            return refused(f);
        }
        let applicant = match self.mentioned(caller, &Mention(person.to_string())).await {
            Ok(p) => p,
            Err(f) => return refused(f),
        };
        if let Err(f) = self.open_application_of(caller, &applicant).await {
            return refused(f);
        }
        Ok(Ok(Form {
            kind: FormKind::Decline {
                person: person.to_string(),
            },
            title: "Decline application".into(),
            intro: Rich::text("Decline the application of ")
                .and_mention(&applicant.as_ref())
                .and(". They get your reason by direct message, with an invitation to apply again later."),
            fields: vec![FormField {
                id: REASON_FIELD.into(),
                label: "Your reason, for the applicant".into(),
                hint: Some("Kind and specific: they will read it.".into()),
                multiline: true,
                optional: false,
                max_chars: self.settings.max_text_chars,
                initial: String::new(),
            }],
            submit: "Decline".into(),
        }))
    }

    async fn submit_decline(
        &self,
        caller: &Caller,
        person: &str,
        values: &[(String, String)],
    ) -> Result<Submitted, StoreError> {
        if let Err(f) = self.office_only(caller) {
            return refused_submission(f);
        }
        let reason = sanitize_text(Form::value(values, REASON_FIELD));
        if let Some(e) = check_length(&reason, false, self.settings.max_text_chars) {
            return Ok(Submitted::Invalid(vec![(REASON_FIELD.into(), e)]));
        }
        match self
            .decline(caller, &Mention(person.to_string()), &reason)
            .await
        {
            Ok(replies) => Ok(Submitted::Done(replies)),
            Err(f) => refused_submission(f),
        }
    }

    // ---- requests ----

    fn request_max(&self) -> usize {
        self.settings.max_text_chars * 2
    }

    async fn request_reply_form(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<FormOpening, StoreError> {
        let r = match self.visible_request(caller, id).await {
            Ok(r) => r,
            Err(f) => return refused(f),
        };
        Ok(Ok(Form {
            kind: FormKind::RequestReply { id },
            title: format!("Reply to request #{id}"),
            intro: Rich::new()
                .and_mention(&r.ambassador)
                .and(format!(" ({}, {}) asked: ", r.department, r.region))
                .and_em(r.text.clone()),
            fields: vec![FormField {
                id: TEXT_FIELD.into(),
                label: "Your reply".into(),
                hint: Some("Sent by direct message; only the program office and the ambassador who asked see the thread.".into()),
                multiline: true,
                optional: false,
                max_chars: self.request_max(),
                initial: String::new(),
            }],
            submit: "Send".into(),
        }))
    }

    async fn submit_request_reply(
        &self,
        caller: &Caller,
        id: i64,
        values: &[(String, String)],
    ) -> Result<Submitted, StoreError> {
        let text = sanitize_text(Form::value(values, TEXT_FIELD));
        if let Some(e) = check_length(&text, false, self.request_max()) {
            return Ok(Submitted::Invalid(vec![(TEXT_FIELD.into(), e)]));
        }
        match self.request_reply(caller, id, &text).await {
            Ok(replies) => Ok(Submitted::Done(replies)),
            Err(f) => refused_submission(f),
        }
    }

    async fn request_done_form(&self, caller: &Caller, id: i64) -> Result<FormOpening, StoreError> {
        if caller.role != Role::Office {
            return Ok(Err(Message::text(
                "Only the program office marks requests done.",
            )));
        }
        let r = match self.visible_request(caller, id).await {
            Ok(r) => r,
            Err(f) => return refused(f),
        };
        Ok(Ok(Form {
            kind: FormKind::RequestDone { id },
            title: format!("Request #{id} done"),
            intro: Rich::new()
                .and_mention(&r.ambassador)
                .and(format!(" ({}, {}) asked: ", r.department, r.region))
                .and_em(r.text.clone()),
            fields: vec![FormField {
                id: NOTE_FIELD.into(),
                label: "What was done, for the ambassador".into(),
                hint: Some("They get it by direct message with the news.".into()),
                multiline: true,
                optional: true,
                max_chars: self.request_max(),
                initial: String::new(),
            }],
            submit: "Mark done".into(),
        }))
    }

    async fn submit_request_done(
        &self,
        caller: &Caller,
        id: i64,
        values: &[(String, String)],
    ) -> Result<Submitted, StoreError> {
        if caller.role != Role::Office {
            return refused_submission(super::refuse(
                "Only the program office marks requests done.",
            ));
        }
        let note = sanitize_text(Form::value(values, NOTE_FIELD));
        if let Some(e) = check_length(&note, true, self.request_max()) {
            return Ok(Submitted::Invalid(vec![(NOTE_FIELD.into(), e)]));
        }
        let note = (!note.is_empty()).then_some(note);
        match self
            .request_status(
                caller,
                id,
                crate::model::RequestStatus::Done,
                note.as_deref(),
            )
            .await
        {
            Ok(replies) => Ok(Submitted::Done(replies)),
            Err(f) => refused_submission(f),
        }
    }
}
