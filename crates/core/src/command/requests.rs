//! Requests: an ambassador asks the office for something; both write in its thread; the office
//! takes it on, labels it and says where it stands.
//!
//! ```text
//! ambassadors ask | need <what you need from the program office> [#tags]
//! ambassadors requests | needs [mine|my|all|open|<status>|<region>|<department>|#label …]
//!                              [--grouped|-g] [--oldest|--newest]
//! ambassadors request <number>             (`request` with anything else lists, as `requests`)
//! ambassadors reply | answer <number> <text>
//! ambassadors take <number>
//! ambassadors status <number> <acknowledged|in-progress|in progress|done|declined> [note]
//! ambassadors label | labels | tag <number> <label> [label …]
//! ```
//!
//! Numbers may be written `#12`; `requests 12` shows request 12.

use super::parse::{PResult, ParseError};
use super::token::Token;
use super::{Command, CommandSpec, RequestsQuery, Role};

pub(super) const ASK: CommandSpec = CommandSpec {
    name: "ambassadors ask",
    aliases: &["ambassadors need"],
    role: Role::Ambassador,
    usage: "ambassadors ask <what you need from the program office> [#tags]",
    example: "ambassadors ask a sponsor for our shared CI runners #ci",
    help: Some(
        "ask the program office for something (your check-in answer to what you need does the same); you hear back by direct message",
    ),
    parse: |i| {
        let text = i.after(&i.tokens[0]);
        if text.is_empty() {
            return Err(i.error("What do you need from the program office? Say it in a few words."));
        }
        Ok(Some(Command::Ask {
            text: text.to_string(),
        }))
    },
    is: |c| matches!(c, Command::Ask { .. }),
};

pub(super) const REQUESTS: CommandSpec = CommandSpec {
    name: "ambassadors requests",
    aliases: &["ambassadors needs"],
    role: Role::Ambassador,
    usage: "ambassadors requests [mine|open|all|<status>|<region>|<department>|#label] [--grouped] [--oldest]",
    example: "ambassadors requests --grouped",
    help: Some(
        "requests to the office and where they stand (an ambassador sees their own); `request N` shows one with its thread",
    ),
    parse: |i| requests(i.args()).map(Some),
    is: |c| matches!(c, Command::Requests(_)),
};

pub(super) const REQUEST: CommandSpec = CommandSpec {
    name: "ambassadors request",
    aliases: &[],
    role: Role::Ambassador,
    usage: "ambassadors request <number>",
    example: "ambassadors request 12",
    help: None,
    parse: |i| requests(i.args()).map(Some),
    is: |c| matches!(c, Command::RequestShow { .. }),
};

pub(super) const REPLY: CommandSpec = CommandSpec {
    name: "ambassadors reply",
    aliases: &["ambassadors answer"],
    role: Role::Ambassador,
    usage: "ambassadors reply <number> <text>",
    example: "ambassadors reply 12 Thanks, the budget owner is Grace",
    help: Some(
        "write in a request's thread: the office and the ambassador who asked get it by direct message",
    ),
    parse: |i| {
        let id = request_number(i.args().first(), REPLY.usage)?;
        let text = i.after(&i.tokens[1]);
        if text.is_empty() {
            return Err(i.error(format!("What is your reply to request #{id}?")));
        }
        Ok(Some(Command::RequestReply {
            id,
            text: text.to_string(),
        }))
    },
    is: |c| matches!(c, Command::RequestReply { .. }),
};

pub(super) const TAKE: CommandSpec = CommandSpec {
    name: "ambassadors take",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors take <number>",
    example: "ambassadors take 12",
    help: Some("take a request on: you own it, it is in progress, its ambassador is told"),
    parse: |i| match i.args() {
        [one] => Ok(Some(Command::RequestTake {
            id: request_number(Some(one), TAKE.usage)?,
        })),
        _ => Err(i.error("`take` takes the number of one request.")),
    },
    is: |c| matches!(c, Command::RequestTake { .. }),
};

pub(super) const STATUS: CommandSpec = CommandSpec {
    name: "ambassadors status",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors status <number> <acknowledged|in-progress|done|declined> [note]",
    example: "ambassadors status 12 done Two runners are reserved for Finance from March",
    help: Some(
        "set where a request stands; done and declined (with your reason) tell its ambassador, with the note",
    ),
    parse: |i| {
        let args = i.args();
        let id = request_number(args.first(), STATUS.usage)?;
        let word = args.get(1).ok_or_else(|| {
            i.error(format!(
                "What is the status of request #{id}: acknowledged, in-progress, done or declined?"
            ))
        })?;
        // `in progress` as two words.
        let (status, after) = match (word.text.to_lowercase().as_str(), args.get(2)) {
            ("in", Some(next)) if next.text.eq_ignore_ascii_case("progress") => {
                (crate::model::RequestStatus::InProgress, next)
            }
            (w, _) => (w.parse().map_err(|e: String| i.error(e))?, word),
        };
        let note = i.after(after);
        Ok(Some(Command::RequestStatus {
            id,
            status,
            note: (!note.is_empty()).then(|| note.to_string()),
        }))
    },
    is: |c| matches!(c, Command::RequestStatus { .. }),
};

pub(super) const LABEL: CommandSpec = CommandSpec {
    name: "ambassadors label",
    aliases: &["ambassadors labels|tag"],
    role: Role::Office,
    usage: "ambassadors label <number> <label> [label …]",
    example: "ambassadors label 12 ci-sponsor",
    help: Some(
        "file a request under a label, so `requests --grouped` shows the same need across departments",
    ),
    parse: |i| {
        let args = i.args();
        let id = request_number(args.first(), LABEL.usage)?;
        let mut labels: Vec<String> = Vec::new();
        for t in &args[1..] {
            let label = label_of(&t.text).ok_or_else(|| {
                i.error(format!(
                    "`{}` is not a label: use letters, digits and `-`, up to 40.",
                    t.text
                ))
            })?;
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        if labels.is_empty() {
            return Err(i.error(format!(
                "Which label for request #{id}? For example `ci-sponsor`."
            )));
        }
        Ok(Some(Command::RequestLabel { id, labels }))
    },
    is: |c| matches!(c, Command::RequestLabel { .. }),
};

/// A request's number, `12` or `#12`.
fn request_number(token: Option<&Token>, usage: &'static str) -> PResult<i64> {
    token
        .and_then(|t| t.text.trim_start_matches('#').parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ParseError::new(
                "Give the number of the request, as `requests` shows it (e.g. 12).",
                &[usage],
            )
        })
}

/// A label as typed (`#CI-Sponsor`, `ci_sponsor`): lowercase letters, digits, `-` and `_`, up to 40.
pub fn label_of(text: &str) -> Option<String> {
    let label: String = text
        .trim()
        .trim_start_matches('#')
        .trim_end_matches([',', ';', '.'])
        .chars()
        .flat_map(char::to_lowercase)
        .collect();
    let ok = !label.is_empty()
        && label.chars().count() <= 40
        && label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    ok.then_some(label)
}

/// `requests …` (and `request …`): one request when the only word is a number, else the list.
fn requests(args: &[Token]) -> PResult<Command> {
    if let [one] = args
        && let Ok(id) = one.text.trim_start_matches('#').parse::<i64>()
        && !one.quoted
    {
        return Ok(Command::RequestShow { id });
    }
    let usage = &[REQUESTS.usage];
    let mut q = RequestsQuery::default();
    let mut scope: Vec<&Token> = Vec::new();
    for t in args {
        let word = t.text.to_lowercase();
        match word.as_str() {
            _ if t.quoted => scope.push(t),
            "--grouped" | "grouped" | "--group" | "-g" => q.grouped = true,
            "--oldest" | "oldest" | "--oldest-first" => q.oldest_first = true,
            "--newest" | "newest" => q.oldest_first = false,
            "mine" | "my" | "--mine" => q.mine = true,
            "all" | "--all" => q.all = true,
            "open" | "--open" => q.all = false,
            w if w.starts_with('#') => {
                q.label = Some(
                    label_of(w)
                        .ok_or_else(|| ParseError::new(format!("`{w}` is not a label."), usage))?,
                );
            }
            w if w.starts_with("--") => {
                return Err(ParseError::new(
                    format!("I don't know the option `{w}`: use --grouped or --oldest."),
                    usage,
                ));
            }
            w => match w.parse::<crate::model::RequestStatus>() {
                Ok(status) if scope.is_empty() => q.status = Some(status),
                _ => scope.push(t),
            },
        }
    }
    if !scope.is_empty() {
        q.scope = Some(
            scope
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    Ok(Command::Requests(q))
}
