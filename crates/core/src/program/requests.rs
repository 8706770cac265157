//! Requests: what ambassadors need from the program office. The answer to the check-in question
//! about needs (or `ambassadors ask`) becomes a numbered request; the office acknowledges, takes,
//! answers, labels and closes it, and the ambassador hears of each step by direct message, in a
//! short thread private to the two of them. Unanswered ones are listed to the office once in the
//! weekly requests summary; the figures are in the quarterly report and, optionally, the digest.

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

/// Answers that say "nothing needed": no request is made of them.
pub fn is_nothing(text: &str) -> bool {
    let plain: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '/' {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let joined = words.join(" ");
    const NOTHING: &[&str] = &[
        "",
        "nothing",
        "none",
        "n/a",
        "na",
        "n a",
        "no",
        "nope",
        "nil",
        "not really",
        "not now",
        "nothing thanks",
        "no thanks",
        "all good",
        "all fine",
        "we are good",
        "nothing needed",
        "nothing for now",
        "nothing right now",
        "nothing at the moment",
        "nothing this week",
        "nothing this time",
        "nothing new",
        "no needs",
        "not at the moment",
        "not this week",
        "not this time",
    ];
    NOTHING.contains(&joined.as_str())
        || (words
            .first()
            .is_some_and(|w| *w == "nothing" || *w == "none")
            && words.len() <= 4)
}

/// Starts of a line that say "this is what I need".
const NEED_PREFIXES: &[&str] = &["need:", "needs:", "we need:", "i need:", "request:", "ask:"];

/// The part of a check-in answer that says what the ambassador needs from the office: the text
/// under the need question (as the check-in form writes it), lines numbered like that question
/// (`4. …`, `4) …`), or lines starting `Need:`. `None` when there is none, or it says "nothing".
pub fn need_of(answer: &str, questions: &[String], need: usize) -> Option<String> {
    let lines: Vec<&str> = answer.lines().collect();
    let mut parts: Vec<String> = Vec::new();
    // Under the question, as the form writes it: until the next question.
    if let Some(q) = questions.get(need) {
        let q = q.trim();
        let mut i = 0;
        while i < lines.len() {
            if lines[i].trim() == q {
                let mut body = Vec::new();
                i += 1;
                while i < lines.len() && !questions.iter().any(|o| o.trim() == lines[i].trim()) {
                    body.push(lines[i]);
                    i += 1;
                }
                let body = body.join("\n").trim().to_string();
                if !body.is_empty() {
                    parts.push(body);
                }
            } else {
                i += 1;
            }
        }
    }
    if parts.is_empty() {
        let number = need + 1;
        let numbered = [
            format!("{number}."),
            format!("{number})"),
            format!("{number}:"),
        ];
        for line in &lines {
            let t = line.trim();
            let lower = t.to_lowercase();
            let rest = numbered
                .iter()
                .find_map(|n| t.strip_prefix(n.as_str()))
                .or_else(|| {
                    NEED_PREFIXES
                        .iter()
                        .find(|p| lower.starts_with(*p))
                        .and_then(|p| t.get(p.len()..))
                });
            if let Some(rest) = rest.map(str::trim).filter(|r| !r.is_empty()) {
                parts.push(rest.to_string());
            }
        }
    }
    let need = parts.join("\n");
    (!is_nothing(&need)).then_some(need)
}

/// The words of a request that say what it is about: lowercase, three letters or more, common
/// words left out, a plural `s` taken off.
fn content_words(text: &str) -> BTreeSet<String> {
    const COMMON: &[&str] = &[
        "the", "and", "for", "our", "with", "from", "that", "this", "need", "needs", "would",
        "could", "have", "has", "more", "some", "please", "want", "get", "can", "you", "your",
        "are", "was", "were", "will", "any", "all", "who", "what", "how", "about", "into", "also",
        "them", "they", "their", "there", "here", "its", "not", "but", "out", "one", "two", "help",
        "like", "just", "still", "again", "someone", "somebody", "need", "we'd", "us",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .map(|w| w.to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !COMMON.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.chars().count() >= 3 && !stem.ends_with('s') => stem.to_string(),
            _ => w,
        })
        .collect()
}

/// How much two requests share their words: the share of the shorter one's content words that the
/// other has too (0 when they share fewer than two).
pub fn word_overlap(a: &str, b: &str) -> f64 {
    let (a, b) = (content_words(a), content_words(b));
    let shared = a.intersection(&b).count();
    let shorter = a.len().min(b.len());
    if shared < 2 || shorter == 0 {
        return 0.0;
    }
    shared as f64 / shorter as f64
}

/// A request's text cut to a line for lists.
pub(crate) fn gist(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// What happened to requests in a period `[from, to)`, one definition for every report: received
/// (asked in the period), answered (first office answer in the period), done and declined (closed
/// so in the period), and the median time from asking to that first answer, over the requests
/// first answered in the period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFigures {
    pub received: u64,
    pub answered: u64,
    pub done: u64,
    pub declined: u64,
    pub median_first_answer: Option<Duration>,
}

impl RequestFigures {
    pub fn is_empty(&self) -> bool {
        self.received == 0 && self.answered == 0 && self.done == 0 && self.declined == 0
    }

    /// "4 received, 3 answered (median first answer 1 day), 2 done".
    pub fn describe(&self) -> String {
        let mut s = format!("{} received, {} answered", self.received, self.answered);
        if let Some(m) = self.median_first_answer {
            s.push_str(&format!(" (median first answer {})", human_duration(m)));
        }
        s.push_str(&format!(", {} done", self.done));
        if self.declined > 0 {
            s.push_str(&format!(", {} declined", self.declined));
        }
        s
    }
}

/// [`RequestFigures`] of `requests` for `[from, to)`, overall and by region (keyed by the region's
/// name as the requests carry it, ordered by its name key).
pub fn request_figures(
    requests: &[Request],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (RequestFigures, BTreeMap<String, (String, RequestFigures)>) {
    let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t >= from && t < to);
    let mut total = Acc::default();
    let mut regions: BTreeMap<String, (String, Acc)> = BTreeMap::new();
    for r in requests {
        let region = &mut regions
            .entry(name_key(&r.region))
            .or_insert_with(|| (r.region.clone(), Acc::default()))
            .1;
        for acc in [&mut total, region] {
            if within(Some(r.created_at)) {
                acc.figures.received += 1;
            }
            if within(r.first_answer_at) {
                acc.figures.answered += 1;
                acc.waits
                    .push(r.first_answer_at.expect("within") - r.created_at);
            }
            if within(r.closed_at) {
                match r.status {
                    RequestStatus::Done => acc.figures.done += 1,
                    RequestStatus::Declined => acc.figures.declined += 1,
                    _ => {}
                }
            }
        }
    }
    let regions = regions
        .into_iter()
        .map(|(k, (name, acc))| (k, (name, acc.finish())))
        .filter(|(_, (_, f))| !f.is_empty())
        .collect();
    (total.finish(), regions)
}

#[derive(Default)]
struct Acc {
    figures: RequestFigures,
    waits: Vec<Duration>,
}

impl Acc {
    fn finish(mut self) -> RequestFigures {
        self.waits.sort();
        let n = self.waits.len();
        self.figures.median_first_answer = match n {
            0 => None,
            n if n % 2 == 1 => Some(self.waits[n / 2]),
            n => Some((self.waits[n / 2 - 1] + self.waits[n / 2]) / 2),
        };
        self.figures
    }
}

/// The buttons under a request in the office's list and notices.
fn office_buttons(id: RequestId) -> Message {
    Message::new().buttons(vec![
        Button::form("Reply", FormKind::RequestReply { id }).primary(),
        Button::command("Take it", format!("ambassadors take {id}")),
        Button::form("Mark done", FormKind::RequestDone { id }),
    ])
}

/// What the office buttons do, as commands written for `to` (platforms without buttons show only
/// this): reply, take, mark done.
fn office_commands(cmd: impl Fn(&str) -> String, id: RequestId) -> Rich {
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
    fn as_office(caller: &Caller, r: &Request) -> bool {
        caller.role == crate::command::Role::Office && r.ambassador.account != caller.person.account
    }

    fn check_request_text(&self, text: &str, what: &str) -> Result<String, Failure> {
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
    async fn similar_open(&self, text: &str) -> StoreResult<Vec<Request>> {
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
    fn new_request_notice(
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
    async fn open_request(
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

    /// `ambassadors requests …`
    pub(crate) async fn requests_view(&self, caller: &Caller, q: &RequestsQuery) -> Outcome {
        let office = caller.role == crate::command::Role::Office;
        let scope = match &q.scope {
            Some(name) if office => Some(self.scope(caller, name).await?),
            Some(_) => {
                return Err(refuse(
                    Rich::text("You see your own requests: ")
                        .and_code(caller.cmd("ambassadors requests mine")),
                ));
            }
            None => None,
        };
        let mine_only = q.mine || !office;
        let mut list = self
            .store
            .requests(&RequestFilter {
                ambassador: (!office).then_some(caller.person.id),
                open_only: !q.all && q.status.is_none(),
            })
            .await?;
        let me = &caller.person.account;
        list.retain(|r| {
            (!mine_only
                || r.ambassador.account == *me
                || r.owner.as_ref().is_some_and(|o| o.account == *me))
                && q.status.is_none_or(|s| r.status == s)
                && q.label.as_ref().is_none_or(|l| r.labels.contains(l))
                && match &scope {
                    None => true,
                    Some(Scope::Region(region)) => name_key(&r.region) == name_key(region),
                    Some(Scope::Department(d)) => name_key(&r.department) == name_key(&d.name),
                }
        });
        if q.oldest_first {
            list.sort_by_key(|r| (r.created_at, r.id));
        }
        let mut what = Vec::new();
        if let Some(s) = q.status {
            what.push(s.label().to_string());
        } else if !q.all {
            what.push("open".to_string());
        }
        if let Some(l) = &q.label {
            what.push(format!("#{l}"));
        }
        let whose = if !office {
            "Your requests".to_string()
        } else if q.mine {
            "Your requests (taken or asked)".to_string()
        } else {
            "Requests".to_string()
        };
        let mut title = format!(
            "{whose}{}",
            match what.is_empty() {
                true => String::new(),
                false => format!(" — {}", what.join(", ")),
            }
        );
        if let Some(s) = &scope {
            title.push_str(&format!(" — {}", s.label()));
        }
        if list.is_empty()
            && !office
            && caller.ambassador.is_none()
            && (q.all || {
                self.store
                    .requests(&RequestFilter {
                        ambassador: Some(caller.person.id),
                        open_only: false,
                    })
                    .await?
                    .is_empty()
            })
        {
            return Err(refuse(
                Rich::text("Requests come from ambassadors, and you have none. To reach the program office, ask your department's ambassador: ")
                    .and_code(caller.cmd("ambassadors who <your department>")),
            ));
        }
        if list.is_empty() {
            let hint = if office {
                Rich::text("All requests, closed ones too: ")
                    .and_code(caller.cmd("ambassadors requests all"))
            } else {
                Rich::text("Ask the program office for something: ")
                    .and_code(caller.cmd("ambassadors ask <what you need>"))
                    .and(", or answer the check-in's question about what you need. Closed ones too: ")
                    .and_code(caller.cmd("ambassadors requests all"))
            };
            return Ok(vec![Reply::caller(
                Message::new()
                    .heading(title)
                    .paragraph("None.")
                    .context(hint),
            )]);
        }
        let now = self.clock.now();
        if q.grouped {
            return Ok(vec![Reply::caller(
                self.grouped_view(caller, title, &list, now),
            )]);
        }
        let mut m = Message::new().heading(format!("{title} ({})", list.len()));
        for r in list.iter().take(LIST_MAX) {
            m = m.paragraph(self.request_line(r, now, office));
            if office && r.status.is_open() {
                m.blocks.extend(office_buttons(r.id).blocks);
            }
        }
        if list.len() > LIST_MAX {
            m = m.paragraph(format!(
                "… and {} more; narrow it with a region, a department, a status or a #label.",
                list.len() - LIST_MAX
            ));
        }
        let context = if office {
            Rich::new()
                .and_code(caller.cmd("ambassadors request N"))
                .and(" shows one with its thread · ")
                .and_code(caller.cmd("ambassadors reply N <text>"))
                .and(" · ")
                .and_code(caller.cmd("ambassadors take N"))
                .and(" · ")
                .and_code(caller.cmd("ambassadors status N done [note]"))
                .and(" · ")
                .and_code(caller.cmd("ambassadors requests --grouped"))
        } else {
            Rich::new()
                .and_code(caller.cmd("ambassadors request N"))
                .and(" shows one with its thread · ")
                .and_code(caller.cmd("ambassadors reply N <text>"))
                .and(" answers the office · ")
                .and_code(caller.cmd("ambassadors requests all"))
                .and(" closed ones too")
        };
        Ok(vec![Reply::caller(m.context(context))])
    }

    /// One request as a line of a list.
    fn request_line(&self, r: &Request, now: DateTime<Utc>, office: bool) -> Rich {
        let tz = self.settings.time_zone;
        let mut line = Rich::strong(format!("#{}", r.id)).and(format!(
            " · {} · asked {} ({}) · {} ({})",
            r.status.label(),
            r.created_at.with_timezone(&tz).date_naive(),
            ago(now - r.created_at),
            r.department,
            r.region
        ));
        if office {
            line = line.and(" · ").and_mention(&r.ambassador);
        }
        line = line.and(": ").and_em(gist(&r.text, 200));
        if !r.labels.is_empty() {
            line = line.and(format!(
                " [{}]",
                r.labels
                    .iter()
                    .map(|l| format!("#{l}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        if let Some(owner) = &r.owner {
            line = line.and(" · owner ").and_mention(owner);
        }
        if let Some(note) = &r.note
            && !r.status.is_open()
        {
            line = line.and(format!(" · note: {}", gist(note, 120)));
        }
        line
    }

    /// Requests grouped by label: how many departments share each need, and the oldest one.
    fn grouped_view(
        &self,
        caller: &Caller,
        title: String,
        list: &[Request],
        now: DateTime<Utc>,
    ) -> Message {
        let mut groups: BTreeMap<&str, Vec<&Request>> = BTreeMap::new();
        let mut unlabelled: Vec<&Request> = Vec::new();
        for r in list {
            if r.labels.is_empty() {
                unlabelled.push(r);
            }
            for l in &r.labels {
                groups.entry(l.as_str()).or_default().push(r);
            }
        }
        let line = |name: Rich, rs: &[&Request]| -> Rich {
            let mut departments: Vec<&str> = Vec::new();
            for r in rs {
                if !departments
                    .iter()
                    .any(|d| name_key(d) == name_key(&r.department))
                {
                    departments.push(&r.department);
                }
            }
            departments.sort_by_key(|d| name_key(d));
            let oldest = rs.iter().map(|r| r.created_at).min().unwrap_or(now);
            let ids: Vec<String> = rs.iter().map(|r| format!("#{}", r.id)).collect();
            let shown: Vec<&str> = departments.iter().take(5).copied().collect();
            let more = if departments.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            name.and(format!(
                ": {} ({}{more}), oldest {} · {}",
                count(departments.len() as u64, "department", "departments"),
                shown.join(", "),
                human_duration(now - oldest),
                ids.join(" ")
            ))
        };
        // The widest needs first: most departments, then most requests.
        let mut ordered: Vec<(&str, Vec<&Request>)> = groups.into_iter().collect();
        ordered.sort_by_key(|(l, rs)| {
            let mut d: Vec<String> = rs.iter().map(|r| name_key(&r.department)).collect();
            d.sort();
            d.dedup();
            (
                std::cmp::Reverse(d.len()),
                std::cmp::Reverse(rs.len()),
                l.to_string(),
            )
        });
        let mut items: Vec<Rich> = ordered
            .iter()
            .map(|(l, rs)| line(Rich::strong(l.to_string()), rs))
            .collect();
        if !unlabelled.is_empty() {
            items.push(line(Rich::text("no label"), &unlabelled));
        }
        Message::new()
            .heading(format!("{title}, grouped by label"))
            .list(items)
            .context(
                Rich::text("File one under a label: ")
                    .and_code(caller.cmd("ambassadors label N <label>"))
                    .and(" (a #tag in the request counts too)."),
            )
    }

    /// `ambassadors request N`
    pub(crate) async fn request_show(&self, caller: &Caller, id: RequestId) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        let tz = self.settings.time_zone;
        let thread = self.store.request_messages(id).await?;
        let mut fields = vec![
            ("From".to_string(), Rich::new().and_mention(&r.ambassador)),
            (
                "Department".to_string(),
                Rich::text(format!("{} ({})", r.department, r.region)),
            ),
            (
                "Asked".to_string(),
                Rich::text(match r.round {
                    Some(round) => format!(
                        "{} (check-in of {round})",
                        r.created_at.with_timezone(&tz).date_naive()
                    ),
                    None => r.created_at.with_timezone(&tz).date_naive().to_string(),
                }),
            ),
        ];
        if let Some(owner) = &r.owner {
            fields.push(("Owner".to_string(), Rich::new().and_mention(owner)));
        }
        if !r.labels.is_empty() {
            fields.push(("Labels".to_string(), Rich::text(r.labels.join(", "))));
        }
        if let Some(note) = &r.note {
            fields.push(("Note".to_string(), Rich::text(note.clone())));
        }
        let mut m = Message::new()
            .heading(format!("Request #{id} — {}", r.status.label()))
            .paragraph(Rich::new().and_em(r.text.clone()))
            .fields(fields);
        if thread.is_empty() {
            m = m.paragraph("No messages yet.");
        } else {
            m = m.list(
                thread
                    .iter()
                    .map(|t| {
                        Rich::text(format!(
                            "{} ",
                            t.at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                        ))
                        .and_mention(&t.author)
                        .and(if t.from_office { " (office): " } else { ": " })
                        .and(t.text.clone())
                    })
                    .collect(),
            );
        }
        let context = if Self::as_office(caller, &r) && r.status.is_open() {
            m.blocks.extend(office_buttons(id).blocks);
            office_commands(|c| caller.cmd(c), id)
        } else {
            Rich::text("Write in the thread: ")
                .and_code(caller.cmd(&format!("ambassadors reply {id} <text>")))
        };
        Ok(vec![Reply::caller(m.context(context))])
    }

    /// The messages that tell the other side of a request about something: to its ambassador when
    /// the office acts, else to its owner (or the whole office when nobody took it).
    fn tell(
        &self,
        r: &Request,
        from_office: bool,
        key: &str,
        m: impl Fn(&Account) -> Message,
    ) -> Vec<Outgoing> {
        let to: Vec<Account> = if from_office {
            vec![r.ambassador.account.clone()]
        } else {
            match &r.owner {
                Some(owner) => vec![owner.account.clone()],
                None => self.settings.office.clone(),
            }
        };
        to.iter()
            .map(|a| dm(format!("{key}:{a}"), a, m(a)))
            .collect()
    }

    /// `ambassadors reply N <text>`
    pub(crate) async fn request_reply(
        &self,
        caller: &Caller,
        id: RequestId,
        text: &str,
    ) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        let text = self.check_request_text(text, "reply")?;
        let office = Self::as_office(caller, &r);
        let author = caller.person.as_ref();
        let at = self.clock.now();
        let key = format!(
            "request:{id}:reply:{}:{}",
            caller.person.id,
            at.timestamp_micros()
        );
        let notices = self.tell(&r, office, &key, |to| {
            if office {
                Message::new()
                    .heading(format!("The program office answered your request #{id}"))
                    .paragraph(Rich::text("You asked: ").and_em(gist(&r.text, 200)))
                    .paragraph(Rich::new().and_mention(&author).and(": ").and(text.clone()))
                    .context(
                        Rich::text("Answer back: ")
                            .and_code(to.command(&format!("ambassadors reply {id} <text>"))),
                    )
            } else {
                let mut m = Message::new()
                    .heading(format!("Request #{id}: an answer from its ambassador"))
                    .paragraph(
                        Rich::new()
                            .and_mention(&author)
                            .and(format!(" ({}, {}): ", r.department, r.region))
                            .and(text.clone()),
                    )
                    .paragraph(Rich::text("Their request: ").and_em(gist(&r.text, 200)));
                m.blocks.extend(office_buttons(id).blocks);
                m.context(office_commands(|c| to.command(c), id))
            }
        });
        let after = self
            .store
            .add_request_message(id, caller.person.id, office, &text, at, &notices)
            .await?;
        let who = if office {
            Rich::new().and_mention(&r.ambassador)
        } else if r.owner.is_some() {
            Rich::new().and_mention(r.owner.as_ref().expect("checked"))
        } else {
            Rich::text("the program office")
        };
        let mut reply = Rich::text(format!("Sent on request #{id} to "));
        reply.0.extend(who.0);
        reply = reply.and(" by direct message.");
        if office && r.status == RequestStatus::New && after.status == RequestStatus::Acknowledged {
            reply = reply.and(" The request is now acknowledged.");
        }
        Ok(vec![Reply::caller(Message::text(reply))])
    }

    /// `ambassadors take N`
    pub(crate) async fn request_take(&self, caller: &Caller, id: RequestId) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        if !r.status.is_open() {
            return Err(refuse(
                Rich::text(format!(
                    "Request #{id} is {} already. To open it again: ",
                    r.status.label()
                ))
                .and_code(caller.cmd(&format!("ambassadors status {id} in-progress"))),
            ));
        }
        if r.owner
            .as_ref()
            .is_some_and(|o| o.account == caller.person.account)
            && r.status == RequestStatus::InProgress
        {
            return Err(refuse(format!(
                "Request #{id} is yours already, and in progress."
            )));
        }
        let me = caller.person.as_ref();
        let at = self.clock.now();
        let key = format!(
            "request:{id}:take:{}:{}",
            caller.person.id,
            at.timestamp_micros()
        );
        let notices = self.tell(&r, true, &key, |to| {
            Message::text(
                Rich::new()
                    .and_mention(&me)
                    .and(format!(
                        " of the program office is taking care of your request #{id}: “{}”. You will hear how it goes.",
                        gist(&r.text, 120)
                    )),
            )
            .context(
                Rich::text("Add something: ")
                    .and_code(to.command(&format!("ambassadors reply {id} <text>"))),
            )
        });
        let before_owner = r.owner.clone();
        self.store
            .update_request(
                id,
                &RequestChange {
                    status: Some(RequestStatus::InProgress),
                    owner: Some(caller.person.id),
                    ..RequestChange::default()
                },
                at,
                &notices,
            )
            .await?;
        let mut text = Rich::text(format!("Request #{id} is yours and in progress"));
        if let Some(previous) = before_owner.filter(|o| o.account != caller.person.account) {
            text = text.and(" (it was ").and_mention(&previous).and("'s)");
        }
        text = text
            .and("; ")
            .and_mention(&r.ambassador)
            .and(" is told by direct message.");
        Ok(vec![Reply::caller(Message::text(text))])
    }

    /// `ambassadors status N <status> [note]`
    pub(crate) async fn request_status(
        &self,
        caller: &Caller,
        id: RequestId,
        status: RequestStatus,
        note: Option<&str>,
    ) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        if status == RequestStatus::New {
            return Err(refuse(
                "A request cannot go back to new: it has been seen. Use acknowledged, in-progress, done or declined.",
            ));
        }
        let note = match note {
            Some(n) => Some(self.check_request_text(n, "note")?),
            None => None,
        };
        if status == RequestStatus::Declined && note.is_none() {
            return Err(refuse(
                Rich::text("Say why it is declined: the ambassador is told. ")
                    .and_code(caller.cmd(&format!("ambassadors status {id} declined <why>"))),
            ));
        }
        if r.status == status && note.is_none() {
            return Err(refuse(format!(
                "Request #{id} is {} already.",
                status.label()
            )));
        }
        let at = self.clock.now();
        let key = format!(
            "request:{id}:status:{}:{}",
            status.as_str(),
            at.timestamp_micros()
        );
        let by = caller.person.as_ref();
        let notices = self.tell(&r, true, &key, |to| {
            let head = match status {
                RequestStatus::Done => format!("Your request #{id} is done"),
                RequestStatus::Declined => format!("Your request #{id} was declined"),
                RequestStatus::InProgress => format!("Your request #{id} is in progress"),
                _ => format!("The program office has read your request #{id}"),
            };
            let mut m = Message::new()
                .heading(head)
                .paragraph(Rich::text("You asked: ").and_em(gist(&r.text, 200)));
            if let Some(note) = &note {
                m = m.paragraph(
                    Rich::new()
                        .and_mention(&by)
                        .and(if status == RequestStatus::Declined {
                            " explains: "
                        } else {
                            ": "
                        })
                        .and(note.clone()),
                );
            } else {
                m = m.paragraph(
                    Rich::text("By ")
                        .and_mention(&by)
                        .and(" of the program office."),
                );
            }
            m.context(
                Rich::text("Answer or ask more: ")
                    .and_code(to.command(&format!("ambassadors reply {id} <text>"))),
            )
        });
        let closing = !status.is_open();
        self.store
            .update_request(
                id,
                &RequestChange {
                    status: Some(status),
                    note: if closing { note.clone() } else { None },
                    ..RequestChange::default()
                },
                at,
                &notices,
            )
            .await?;
        // An open status with a note: the note goes into the thread, where the ambassador sees it.
        if !closing && let Some(note) = &note {
            self.store
                .add_request_message(id, caller.person.id, true, note, at, &[])
                .await?;
        }
        Ok(vec![Reply::caller(Message::text(
            Rich::text(format!("Request #{id} is {}; ", status.label()))
                .and_mention(&r.ambassador)
                .and(" is told by direct message."),
        ))])
    }

    /// `ambassadors label N <label> …`
    pub(crate) async fn request_label(
        &self,
        caller: &Caller,
        id: RequestId,
        labels: &[String],
    ) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        let new: Vec<String> = labels
            .iter()
            .filter(|l| !r.labels.contains(l))
            .cloned()
            .collect();
        if new.is_empty() {
            return Err(refuse(format!(
                "Request #{id} has that label already: {}.",
                r.labels.join(", ")
            )));
        }
        let after = self
            .store
            .update_request(
                id,
                &RequestChange {
                    add_labels: new,
                    ..RequestChange::default()
                },
                self.clock.now(),
                &[],
            )
            .await?;
        Ok(vec![Reply::caller(Message::text(
            Rich::text(format!(
                "Request #{id} is filed under {}. The same need across departments: ",
                after.labels.join(", ")
            ))
            .and_code(caller.cmd("ambassadors requests --grouped")),
        ))])
    }

    /// The "You said, we did" section of a report on `[from, to)`: requests received, answered,
    /// done and the median time to a first answer, by region, and what was done (departments
    /// named, never people). `always`: say so when there were none (the quarterly report); else
    /// nothing is added for a period without requests (the digest).
    pub(crate) async fn you_said_we_did(
        &self,
        mut m: Message,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        always: bool,
    ) -> StoreResult<Message> {
        let all = self.store.requests(&RequestFilter::default()).await?;
        let (total, regions) = request_figures(&all, from, to);
        if total.is_empty() {
            if always {
                m = m.paragraph(
                    Rich::strong("You said, we did:").and(" no requests from ambassadors."),
                );
            }
            return Ok(m);
        }
        m = m.paragraph(
            Rich::strong("You said, we did:").and(format!(" requests {}.", total.describe())),
        );
        if regions.len() > 1 {
            m = m.list(
                regions
                    .values()
                    .map(|(name, f)| Rich::strong(name.clone()).and(format!(": {}", f.describe())))
                    .collect(),
            );
        }
        let tz = self.settings.time_zone;
        let mut done: Vec<&Request> = all
            .iter()
            .filter(|r| {
                r.status == RequestStatus::Done && r.closed_at.is_some_and(|t| t >= from && t < to)
            })
            .collect();
        done.sort_by_key(|r| (r.closed_at, r.id));
        if !done.is_empty() {
            m = m.paragraph("Done:").list(
                done.iter()
                    .take(10)
                    .map(|r| {
                        let mut line = Rich::text(format!(
                            "{} ({}), {}: ",
                            r.department,
                            r.region,
                            r.closed_at.expect("closed").with_timezone(&tz).date_naive()
                        ))
                        .and_em(gist(&r.text, 120));
                        if let Some(note) = &r.note {
                            line = line.and(format!(" — {}", gist(note, 160)));
                        }
                        line
                    })
                    .collect(),
            );
            if done.len() > 10 {
                m = m.paragraph(format!("… and {} more done.", done.len() - 10));
            }
        }
        Ok(m.context("Requests: received = asked in the period; answered = first answer from the office in the period; done = closed as done in the period; median over the requests first answered in the period."))
    }

    /// The weekly requests summary to the office: how many are open, and those waiting longer than
    /// `requests.acknowledge_within` for a first answer, each listed once.
    pub async fn plan_requests_summary(&self, occurrence: DateTime<Utc>) -> StoreResult<Effects> {
        let mut effects = Effects::default();
        let open = self.open_requests().await?;
        let wait = self.settings.requests.acknowledge_within;
        let mut overdue: Vec<&Request> = open
            .iter()
            .filter(|r| r.overdue_listed_at.is_none() && waiting(r, wait, occurrence))
            .collect();
        overdue.sort_by_key(|r| (r.created_at, r.id));
        let week_ago = occurrence - Duration::days(7);
        let new_this_week = open
            .iter()
            .filter(|r| r.created_at > week_ago && r.created_at <= occurrence)
            .count();
        if overdue.is_empty() && new_this_week == 0 {
            return Ok(effects);
        }
        let by_status = |s: RequestStatus| open.iter().filter(|r| r.status == s).count() as u64;
        let day = occurrence
            .with_timezone(&self.settings.time_zone)
            .date_naive();
        for office in &self.settings.office {
            let mut m = Message::new()
                .heading(format!("Requests — {day}"))
                .paragraph(format!(
                    "{} open: {} new, {} acknowledged, {} in progress. {} since last week.",
                    open.len(),
                    by_status(RequestStatus::New),
                    by_status(RequestStatus::Acknowledged),
                    by_status(RequestStatus::InProgress),
                    count(new_this_week as u64, "new request", "new requests"),
                ));
            if !overdue.is_empty() {
                m = m
                    .paragraph(Rich::strong(format!(
                        "Waiting more than {} for a first answer:",
                        human_duration(wait)
                    )))
                    .list(
                        overdue
                            .iter()
                            .map(|r| {
                                Rich::strong(format!("#{}", r.id))
                                    .and(format!(
                                        " {} ({}), asked {} by ",
                                        r.department,
                                        r.region,
                                        ago(occurrence - r.created_at)
                                    ))
                                    .and_mention(&r.ambassador)
                                    .and(": ")
                                    .and_em(gist(&r.text, 120))
                            })
                            .collect(),
                    );
            }
            effects.outbox.push(dm(
                format!("requests-summary:{}:{office}", occurrence.timestamp()),
                office,
                m.context(
                    Rich::new()
                        .and_code(office.command("ambassadors requests --oldest"))
                        .and(" · ")
                        .and_code(office.command("ambassadors requests --grouped")),
                ),
            ));
        }
        effects.requests_listed = overdue.iter().map(|r| r.id).collect();
        Ok(effects)
    }
}

/// Whether a request waits for the office's first answer longer than `wait` at `at`: the one
/// rule of the weekly summary and the office's Home glance.
pub fn waiting(r: &Request, wait: Duration, at: DateTime<Utc>) -> bool {
    r.status.is_open() && r.first_answer_at.is_none() && r.created_at + wait <= at
}

/// "3 days ago", or "just now" within the minute.
fn ago(d: Duration) -> String {
    if d < Duration::minutes(1) {
        "just now".to_string()
    } else {
        format!("{} ago", human_duration(d))
    }
}

/// `text` cut to `max` characters, lines kept.
fn gist_keep_lines(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<String> {
        super::super::CheckinSettings::default().questions
    }

    #[test]
    fn nothing_needed_makes_no_request() {
        for t in [
            "nothing",
            "Nothing.",
            "n/a",
            "N/A",
            "-",
            "—",
            "none!",
            "No",
            "nothing for now, thanks",
            "All good",
        ] {
            assert!(is_nothing(t), "{t}");
        }
        for t in [
            "a CI sponsor",
            "nothing works in our CI, we need runners",
            "no budget for training: need one",
        ] {
            assert!(!is_nothing(t), "{t}");
        }
    }

    #[test]
    fn the_need_is_found_under_its_question_by_number_or_by_prefix() {
        let q = questions();
        let form = format!(
            "{}\nSlow builds\n\n{}\nA sponsor for shared CI runners\nand a budget\n\n",
            q[0], q[3]
        );
        assert_eq!(
            need_of(&form, &q, 3).as_deref(),
            Some("A sponsor for shared CI runners\nand a budget")
        );
        let numbered = "1. slow builds\n2. a workshop\n4) someone to sponsor CI runners";
        assert_eq!(
            need_of(numbered, &q, 3).as_deref(),
            Some("someone to sponsor CI runners")
        );
        assert_eq!(
            need_of("Good week.\nNeed: legal review of our license", &q, 3).as_deref(),
            Some("legal review of our license")
        );
        assert_eq!(need_of(&format!("{}\nnothing\n", q[3]), &q, 3), None);
        assert_eq!(need_of("We ran two office hours.", &q, 3), None);
    }

    #[test]
    fn the_same_need_in_other_words_overlaps() {
        let a = "A sponsor for shared CI runners, our builds queue for hours";
        let b = "We need CI runners shared across teams and a sponsor";
        let c = "Legal review of the license for the design system";
        assert!(
            word_overlap(a, b) >= DUPLICATE_OVERLAP,
            "{}",
            word_overlap(a, b)
        );
        assert!(word_overlap(a, c) < DUPLICATE_OVERLAP);
    }

    #[test]
    fn figures_count_each_event_in_its_period() {
        use chrono::TimeZone;
        let t = |d: u32| Utc.with_ymd_and_hms(2027, 1, d, 9, 0, 0).unwrap();
        let person = PersonRef {
            account: Account::new(crate::model::Platform::Console, "ada"),
            display_name: "Ada".into(),
        };
        let r = |id,
                 region: &str,
                 created,
                 answered: Option<DateTime<Utc>>,
                 done: Option<DateTime<Utc>>| Request {
            id,
            ambassador: person.clone(),
            department: "Finance".into(),
            region: region.into(),
            round: None,
            text: "x".into(),
            status: if done.is_some() {
                RequestStatus::Done
            } else {
                RequestStatus::Acknowledged
            },
            owner: None,
            labels: vec![],
            created_at: created,
            first_answer_at: answered,
            closed_at: done,
            note: None,
            overdue_listed_at: None,
        };
        let all = vec![
            r(1, "EMEA", t(2), Some(t(3)), Some(t(10))),
            r(2, "EMEA", t(4), Some(t(7)), None),
            r(3, "Americas", t(5), None, None),
            // Asked before the period, answered in it.
            r(4, "Americas", t(1), Some(t(6)), None),
        ];
        let (total, regions) = request_figures(&all, t(2), t(9));
        assert_eq!(total.received, 3);
        assert_eq!(total.answered, 3);
        assert_eq!(total.done, 0);
        // Waits of 1, 3 and 5 days: the median is 3.
        assert_eq!(total.median_first_answer, Some(Duration::days(3)));
        let emea = &regions["emea"].1;
        assert_eq!((emea.received, emea.answered), (2, 2));
        assert_eq!(emea.median_first_answer, Some(Duration::days(2)));
        assert_eq!(
            total.describe(),
            "3 received, 3 answered (median first answer 3 days), 0 done"
        );
    }
}
