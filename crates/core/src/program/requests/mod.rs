//! Requests: what ambassadors need from the program office. The answer to the check-in question
//! about needs (or `ambassadors ask`) becomes a numbered request; the office acknowledges, takes,
//! answers, labels and closes it, and the ambassador hears of each step by direct message, in a
//! short thread private to the two of them. Unanswered ones are listed to the office once in the
//! weekly requests summary; the figures are in the quarterly report and, optionally, the digest.

mod figures;
mod need;
mod office;
mod summary;

pub use figures::{RequestFigures, request_figures};
pub(crate) use need::gist;
pub use need::{is_nothing, need_of, word_overlap};
pub use summary::waiting;

use super::checkin::dm;
use super::checkin_views::human_duration;
use super::resolve::Scope;
use super::{Caller, Failure, Outcome, Program, count, refuse};
use crate::command::{RequestsQuery, tags_of};
use crate::form::FormKind;
use crate::message::{Button, Message, Reply, Rich};
use crate::model::{
    Account, Ambassador, Effects, NewRequest, PersonRef, Request, RequestChange, RequestFilter,
    RequestId, RequestStatus, RoundId, name_key, sanitize_text,
};
use crate::ports::{Clock, Outgoing, Store, StoreError, StoreResult};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// The office's list shows at most this many requests (each with its buttons).
const LIST_MAX: usize = 15;
/// A new request is called a likely duplicate of an open one when at least this share of the
/// words of the shorter of the two is in both (and at least two words are).
const DUPLICATE_OVERLAP: f64 = 0.6;

/// The buttons under a request in the office's list and notices.
pub(super) fn office_buttons(id: RequestId) -> Message {
    Message::new().buttons(vec![
        Button::form("Reply", FormKind::RequestReply { id }).primary(),
        Button::command("Take it", format!("ambassadors take {id}")),
        Button::form("Mark done", FormKind::RequestDone { id }),
    ])
}

/// What the office buttons do, as commands written for `to` (platforms without buttons show only
/// this): reply, take, mark done.
pub(super) fn office_commands(cmd: impl Fn(&str) -> String, id: RequestId) -> Rich {
    Rich::new()
        .and_code(cmd(&format!("ambassadors reply {id} <text>")))
        .and(" · ")
        .and_code(cmd(&format!("ambassadors take {id}")))
        .and(" · ")
        .and_code(cmd(&format!("ambassadors status {id} done [note]")))
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The request `id` as the caller may see it: the office sees all, an ambassador their own.
    /// Anyone else hears it does not exist, so numbers tell nothing.
    pub(crate) async fn visible_request(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<Request, Failure> {
        match self.store.request(id).await? {
            Some(r) if caller.role == crate::command::Role::Office => Ok(r),
            Some(r) if r.ambassador.account == caller.person.account => Ok(r),
            _ => Err(refuse(
                Rich::text(format!(
                    "There is no request #{id} that you can see. Yours: "
                ))
                .and_code(caller.cmd("ambassadors requests mine")),
            )),
        }
    }

    /// Whether the caller writes as the office on this request (an office member writing on their
    /// own request writes as its ambassador).
    pub(super) fn as_office(caller: &Caller, r: &Request) -> bool {
        caller.role == crate::command::Role::Office && r.ambassador.account != caller.person.account
    }

    pub(super) fn check_request_text(&self, text: &str, what: &str) -> Result<String, Failure> {
        let text = sanitize_text(text);
        if text.is_empty() {
            return Err(refuse(format!("That {what} is empty; write a few words.")));
        }
        let max = self.settings.max_text_chars * 2;
        let n = text.chars().count();
        if n > max {
            return Err(refuse(format!(
                "That {what} is {n} characters; it takes up to {max}. Please shorten it: nothing was sent."
            )));
        }
        Ok(text)
    }

    /// The requests still open (new, acknowledged, in progress), newest first.
    pub(crate) async fn open_requests(&self) -> StoreResult<Vec<Request>> {
        self.store
            .requests(&RequestFilter {
                open_only: true,
                ..RequestFilter::default()
            })
            .await
    }

    /// Open requests that look like the same need as `text` (most of their words shared).
    pub(super) async fn similar_open(&self, text: &str) -> StoreResult<Vec<Request>> {
        let mut similar: Vec<(f64, Request)> = self
            .open_requests()
            .await?
            .into_iter()
            .map(|r| (word_overlap(text, &r.text), r))
            .filter(|(score, _)| *score >= DUPLICATE_OVERLAP)
            .collect();
        similar.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.id.cmp(&a.1.id)));
        Ok(similar.into_iter().take(3).map(|(_, r)| r).collect())
    }

    /// The office's notice of a new request.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_request_notice(
        &self,
        id: RequestId,
        who: &PersonRef,
        a: &Ambassador,
        round: Option<RoundId>,
        text: &str,
        similar: &[Request],
        office: &Account,
    ) -> Outgoing {
        let source = match round {
            Some(round) => format!("from the check-in of {round}"),
            None => "asked directly".to_string(),
        };
        let mut m = Message::new()
            .heading(format!("Request #{id}"))
            .paragraph(Rich::new().and_mention(who).and(format!(
                " ({}, {}) needs, {source}:",
                a.department.name, a.department.region
            )))
            .paragraph(Rich::new().and_em(text.to_string()));
        if !similar.is_empty() {
            let list: Vec<Rich> = similar
                .iter()
                .map(|s| {
                    Rich::strong(format!("#{}", s.id)).and(format!(
                        " ({}, {}): “{}”",
                        s.department,
                        s.status.label(),
                        gist(&s.text, 80)
                    ))
                })
                .collect();
            m = m
                .paragraph("Possibly the same need as:")
                .list(list)
                .context(
                    Rich::text("To group them: ")
                        .and_code(office.command(&format!("ambassadors label {id} <label>")))
                        .and(" on each."),
                );
        }
        m.blocks.extend(office_buttons(id).blocks);
        m = m.context(office_commands(|c| office.command(c), id));
        dm(format!("request:{id}:office:{office}"), office, m)
    }

    /// Records a request of the caller (an ambassador) and queues the office's notices with it.
    pub(super) async fn open_request(
        &self,
        caller: &Caller,
        a: &Ambassador,
        round: Option<RoundId>,
        text: &str,
    ) -> StoreResult<Request> {
        let similar = self.similar_open(text).await?;
        let who = caller.person.as_ref();
        let notify = |id: RequestId| -> Vec<Outgoing> {
            self.settings
                .office
                .iter()
                .map(|office| self.new_request_notice(id, &who, a, round, text, &similar, office))
                .collect()
        };
        self.store
            .add_request(
                &NewRequest {
                    ambassador: caller.person.id,
                    department: a.department.name.clone(),
                    region: a.department.region.clone(),
                    round,
                    text: text.to_string(),
                    labels: tags_of(text),
                    created_at: self.clock.now(),
                },
                &notify,
            )
            .await
    }

    /// `ambassadors ask <text>`
    pub(crate) async fn ask(&self, caller: &Caller, text: &str) -> Outcome {
        let Some(a) = &caller.ambassador else {
            return Err(refuse(
                Rich::text("Requests come from ambassadors, and you are not on the roster. To reach the program office, ask your department's ambassador: ")
                    .and_code(caller.cmd("ambassadors who <your department>")),
            ));
        };
        let text = self.check_request_text(text, "request")?;
        if is_nothing(&text) {
            return Err(refuse(
                "That reads as “nothing needed”, so no request was made. Say what you need in a few words.",
            ));
        }
        let r = self.open_request(caller, a, None, &text).await?;
        Ok(vec![Reply::caller(
            Message::text(format!(
                "Thank you. Your request #{} is with the program office; you will hear back here by direct message.",
                r.id
            ))
            .context(
                Rich::new()
                    .and_code(caller.cmd("ambassadors requests mine"))
                    .and(" shows where it stands."),
            ),
        )])
    }

    /// After a check-in answer was saved: the need in it becomes (or updates) the round's request.
    /// The line to add to the thank-you, if any.
    pub(crate) async fn request_from_checkin(
        &self,
        caller: &Caller,
        round: RoundId,
        answer: &str,
    ) -> StoreResult<Option<Rich>> {
        let Some(a) = &caller.ambassador else {
            return Ok(None);
        };
        let Some(index) = self.settings.requests.need_question else {
            return Ok(None);
        };
        let Some(need) = need_of(answer, &self.settings.checkins.questions, index) else {
            return Ok(None);
        };
        let need = gist_keep_lines(&need, self.settings.max_text_chars * 2);
        for attempt in 0..2 {
            let existing = self
                .store
                .requests(&RequestFilter {
                    ambassador: Some(caller.person.id),
                    open_only: false,
                })
                .await?
                .into_iter()
                .find(|r| r.round == Some(round));
            match existing {
                Some(r) if r.text == need => return Ok(None),
                Some(r) => {
                    return Ok(Some(
                        if self
                            .store
                            .edit_request(r.id, &need, &tags_of(&need))
                            .await?
                        {
                            Rich::text(format!(
                                "Your request #{} now reads as your answer says.",
                                r.id
                            ))
                        } else {
                            Rich::text(format!(
                                "The program office has already answered your request #{}, so it keeps its words; add to it with ",
                                r.id
                            ))
                            .and_code(caller.cmd(&format!("ambassadors reply {} <text>", r.id)))
                            .and(".")
                        },
                    ));
                }
                None => match self.open_request(caller, a, Some(round), &need).await {
                    Ok(r) => {
                        return Ok(Some(
                            Rich::text(format!(
                                "What you need is request #{}: the program office answers you here. ",
                                r.id
                            ))
                            .and_code(caller.cmd("ambassadors requests mine"))
                            .and(" shows where it stands."),
                        ));
                    }
                    // Another message of the same round made it meanwhile: update that one.
                    Err(StoreError::Conflict(_)) if attempt == 0 => continue,
                    Err(e) => return Err(e),
                },
            }
        }
        Ok(None)
    }
}

/// "3 days ago", or "just now" within the minute.
pub(super) fn ago(d: Duration) -> String {
    if d < Duration::minutes(1) {
        "just now".to_string()
    } else {
        format!("{} ago", human_duration(d))
    }
}

/// `text` cut to `max` characters, lines kept.
pub(super) fn gist_keep_lines(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}
