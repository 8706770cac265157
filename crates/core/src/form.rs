//! Forms: what a platform with dialogs (Slack modals) asks in one go instead of a conversation —
//! a check-in answer with one field per question, an ambassador application, the reason of a
//! decline. The core says which fields a form has and checks what comes back
//! ([`crate::Program::open_form`], [`crate::Program::submit_form`]); adapters draw and collect it.

use crate::message::{Message, Reply, Rich};

/// Which form. Carried by the button that opens it and back with the submission, so it holds
/// only what identifies the form, never what decides (the caller and their role are looked up
/// again when it comes back).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FormKind {
    /// The caller's answer to their open check-in round.
    Checkin,
    /// The caller's ambassador application.
    Application,
    /// The program office declines the open application of this account id (its reason is asked).
    Decline { person: String },
    /// A message in the thread of request `id` (the office or its ambassador).
    RequestReply { id: i64 },
    /// The office marks request `id` done, with an optional note for its ambassador.
    RequestDone { id: i64 },
}

/// A form to fill in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub kind: FormKind,
    /// A few words (Slack shows at most 24 characters).
    pub title: String,
    /// What the form is for, shown above the fields.
    pub intro: Rich,
    pub fields: Vec<FormField>,
    /// The submit button's label.
    pub submit: String,
}

/// One field of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormField {
    /// Stable within the form: errors and submitted values name it.
    pub id: String,
    pub label: String,
    /// A line under the field.
    pub hint: Option<String>,
    pub multiline: bool,
    pub optional: bool,
    /// The longest value taken, in characters.
    pub max_chars: usize,
    /// What the field holds when the form opens ('' for nothing).
    pub initial: String,
}

/// What opening a form gives: the form, or why not (for the caller).
pub type FormOpening = Result<Form, Message>;

/// What a submitted form gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// Taken (or refused as a whole): these replies go out; the form closes.
    Done(Vec<Reply>),
    /// Something to correct: (field id, what is wrong). Nothing was saved; the form stays open
    /// with what was typed.
    Invalid(Vec<(String, String)>),
}

impl Form {
    /// The value submitted for `field`, trimmed ('' when missing).
    pub fn value<'a>(values: &'a [(String, String)], field: &str) -> &'a str {
        values
            .iter()
            .find(|(id, _)| id == field)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }
}
