//! The pure command parser.

use super::help::USAGE;
use super::token::{Token, tokenize};
use super::{Command, Grouping, LogCommand, Mention, Period, ScopeArg, Target};
use crate::model::closest;

/// A command line the bot recognized as addressed to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// `/` or `!`: how the caller writes commands, so answers can show the same style.
    pub prefix: char,
    pub command: Result<Command, ParseError>,
}

/// What was wrong with a command, and how to write it right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Usage templates (without prefix) to show.
    pub usage: Vec<&'static str>,
}

impl ParseError {
    fn new(message: impl Into<String>, usage: &[&'static str]) -> Self {
        ParseError {
            message: message.into(),
            usage: usage.to_vec(),
        }
    }
}

type PResult<T> = std::result::Result<T, ParseError>;

/// Parses a chat line. `None` when the line is not a command of this bot (ordinary chat, or another
/// bot's command).
pub fn parse(input: &str) -> Option<Parsed> {
    let input = input.trim_start();
    let prefix = input.chars().next().filter(|c| *c == '/' || *c == '!')?;
    let body = &input[1..];
    let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let name = body[..name_end].to_lowercase();
    let rest = &body[name_end..];
    let command = match name.as_str() {
        "ambassadors" | "ambassador" => parse_ambassadors(rest),
        "kudos" => parse_kudos(rest),
        "checkin" | "check-in" => parse_checkin(rest),
        _ => return None,
    };
    Some(Parsed { prefix, command })
}

const SUBCOMMANDS: &[&str] = &[
    "help",
    "coverage",
    "list",
    "who",
    "dept",
    "add",
    "remove",
    "pause",
    "resume",
    "stepdown",
    "checkins",
    "feedback",
    "announce",
    "ack",
    "announcements",
    "inbox",
    "log",
    "activity",
    "quarter",
    "apply",
    "withdraw",
    "applications",
    "approve",
    "decline",
    "nominate",
    "report",
    "reports",
    "resolve",
    "record",
    "timezone",
    "renew",
    "alumni",
    "ask",
    "requests",
    "request",
    "reply",
    "take",
    "status",
    "label",
];

fn parse_ambassadors(rest: &str) -> PResult<Command> {
    let tokens = tokenize(rest);
    let Some(first) = tokens.first() else {
        return Ok(Command::Help);
    };
    let args = &tokens[1..];
    let sub = if first.quoted {
        String::new()
    } else {
        first.text.to_lowercase()
    };
    match sub.as_str() {
        "help" | "?" | "-h" | "--help" => Ok(Command::Help),
        "coverage" => Ok(Command::Coverage {
            region: joined(args),
        }),
        "list" | "ls" => Ok(Command::List {
            scope: joined(args),
        }),
        "who" => {
            let target = match args {
                [] => {
                    return Err(ParseError::new(
                        "Who are you looking for? Name a department, a region or a person.",
                        &[USAGE::WHO],
                    ));
                }
                [one] => match mention(one) {
                    Some(m) => Target::Person(m),
                    None => Target::Name(one.text.clone()),
                },
                many => Target::Name(join(many)),
            };
            Ok(Command::Who { target })
        }
        "dept" | "department" | "departments" | "depts" => parse_dept(args),
        "add" => parse_add(args),
        "remove" | "pause" | "resume" => {
            let usage = match sub.as_str() {
                "remove" => USAGE::REMOVE,
                "pause" => USAGE::PAUSE,
                _ => USAGE::RESUME,
            };
            let person = match args {
                [one] => mention(one),
                _ => None,
            }
            .ok_or_else(|| ParseError::new(format!("`{sub}` takes one @person."), &[usage]))?;
            Ok(match sub.as_str() {
                "remove" => Command::Remove { person },
                "pause" => Command::Pause { person },
                _ => Command::Resume { person },
            })
        }
        "stepdown" | "step-down" => Ok(Command::StepDown),
        "checkins" | "check-ins" => Ok(Command::Checkins),
        "announce" => parse_announce(rest, &tokens),
        "ack" | "acknowledge" => match args {
            [] => Ok(Command::Ack { shared: false }),
            [w] if w.text.eq_ignore_ascii_case("shared") => Ok(Command::Ack { shared: true }),
            _ => Err(ParseError::new(
                "Write `ack`, or `ack shared` once you passed the announcement on.",
                &[USAGE::ACK],
            )),
        },
        "announcements" => Ok(Command::Announcements),
        "inbox" => Ok(Command::Inbox),
        "log" => parse_log(rest, &tokens),
        "activity" | "activities" => {
            let (scope_tokens, since) = match args {
                [before @ .., word, date] if word.text.eq_ignore_ascii_case("since") => {
                    (before, Some(parse_date(&date.text, USAGE::ACTIVITY)?))
                }
                _ => (args, None),
            };
            Ok(Command::Activity {
                scope: joined(scope_tokens),
                since,
            })
        }
        "quarter" | "report-quarter" => match args {
            [] => Ok(Command::Quarter { quarter: None }),
            [q] => Ok(Command::Quarter {
                quarter: Some(parse_quarter(&q.text)?),
            }),
            _ => Err(ParseError::new(
                "Give one quarter, like 2027-Q1.",
                &[USAGE::QUARTER],
            )),
        },
        "feedback" => {
            let (scope_tokens, since) = match args {
                [before @ .., word, date] if word.text.eq_ignore_ascii_case("since") => {
                    (before, Some(parse_date(&date.text, USAGE::FEEDBACK)?))
                }
                _ => (args, None),
            };
            Ok(Command::Feedback {
                scope: joined(scope_tokens),
                since,
            })
        }
        "apply" => match args {
            [] => Ok(Command::Apply),
            [w] if w.text.eq_ignore_ascii_case("withdraw") => Ok(Command::Withdraw),
            _ => Err(ParseError::new(
                "Just `apply`: I ask the questions one at a time in our direct conversation.",
                &[USAGE::APPLY],
            )),
        },
        "withdraw" => Ok(Command::Withdraw),
        "applications" | "apps" => Ok(Command::Applications),
        "approve" => {
            let (person, rest) = person_first(args, USAGE::APPROVE, "Whose application?")?;
            Ok(Command::Approve {
                person,
                department: joined(rest),
            })
        }
        "decline" | "reject" => {
            let (person, after) = person_and_text(rest, &tokens, USAGE::DECLINE)?;
            let reason = after.ok_or_else(|| {
                ParseError::new(
                    "Give the applicant a reason: they will read it.",
                    &[USAGE::DECLINE],
                )
            })?;
            Ok(Command::Decline { person, reason })
        }
        "nominate" => {
            let (person, after) = person_and_text(rest, &tokens, USAGE::NOMINATE)?;
            let reason = after.ok_or_else(|| {
                ParseError::new(
                    "Say why: what have they done that makes them a good ambassador?",
                    &[USAGE::NOMINATE],
                )
            })?;
            Ok(Command::Nominate { person, reason })
        }
        "report" => {
            let (person, after) = person_and_text(rest, &tokens, USAGE::REPORT)?;
            let text = after.ok_or_else(|| {
                ParseError::new(
                    "What happened? The program office reads it privately.",
                    &[USAGE::REPORT],
                )
            })?;
            Ok(Command::Report { person, text })
        }
        "reports" => Ok(Command::Reports),
        "resolve" => {
            let id = args
                .first()
                .and_then(|t| t.text.trim_start_matches('#').parse::<i64>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    ParseError::new(
                        "Give the number of the report, as `reports` shows it.",
                        &[USAGE::RESOLVE],
                    )
                })?;
            let note = text_after(rest, &tokens[1]);
            Ok(Command::Resolve {
                id,
                note: (!note.is_empty()).then(|| note.to_string()),
            })
        }
        "record" => match args {
            [] => Ok(Command::Record),
            _ => Err(ParseError::new(
                "`record` shows your own record; it takes no name.",
                &[USAGE::RECORD],
            )),
        },
        "timezone" | "time-zone" | "tz" => match args {
            [] => Ok(Command::TimeZone { zone: None }),
            // `America/New York` as typed: IANA names join words with `_`.
            _ => Ok(Command::TimeZone {
                zone: Some(
                    args.iter()
                        .map(|t| t.text.as_str())
                        .collect::<Vec<_>>()
                        .join("_"),
                ),
            }),
        },
        "time"
            if args
                .first()
                .is_some_and(|t| t.text.eq_ignore_ascii_case("zone")) =>
        {
            Ok(Command::TimeZone {
                zone: (args.len() > 1).then(|| {
                    args[1..]
                        .iter()
                        .map(|t| t.text.as_str())
                        .collect::<Vec<_>>()
                        .join("_")
                }),
            })
        }
        "renew" => Ok(Command::Renew),
        "ask" | "need" => {
            let text = text_after(rest, first);
            if text.is_empty() {
                return Err(ParseError::new(
                    "What do you need from the program office? Say it in a few words.",
                    &[USAGE::ASK],
                ));
            }
            Ok(Command::Ask {
                text: text.to_string(),
            })
        }
        "requests" | "request" | "needs" => parse_requests(args),
        "reply" | "answer" => {
            let id = request_number(args.first(), USAGE::REPLY)?;
            let text = text_after(rest, &tokens[1]);
            if text.is_empty() {
                return Err(ParseError::new(
                    format!("What is your reply to request #{id}?"),
                    &[USAGE::REPLY],
                ));
            }
            Ok(Command::RequestReply {
                id,
                text: text.to_string(),
            })
        }
        "take" => match args {
            [one] => Ok(Command::RequestTake {
                id: request_number(Some(one), USAGE::TAKE)?,
            }),
            _ => Err(ParseError::new(
                "`take` takes the number of one request.",
                &[USAGE::TAKE],
            )),
        },
        "status" => {
            let id = request_number(args.first(), USAGE::STATUS)?;
            let word = args.get(1).ok_or_else(|| {
                ParseError::new(
                    format!("What is the status of request #{id}: acknowledged, in-progress, done or declined?"),
                    &[USAGE::STATUS],
                )
            })?;
            // `in progress` as two words.
            let (status, after) = match (word.text.to_lowercase().as_str(), args.get(2)) {
                ("in", Some(next)) if next.text.eq_ignore_ascii_case("progress") => {
                    (crate::model::RequestStatus::InProgress, next)
                }
                (w, _) => (
                    w.parse()
                        .map_err(|e: String| ParseError::new(e, &[USAGE::STATUS]))?,
                    word,
                ),
            };
            let note = text_after(rest, after);
            Ok(Command::RequestStatus {
                id,
                status,
                note: (!note.is_empty()).then(|| note.to_string()),
            })
        }
        "label" | "labels" | "tag" => {
            let id = request_number(args.first(), USAGE::LABEL)?;
            let mut labels: Vec<String> = Vec::new();
            for t in &args[1..] {
                let label = label_of(&t.text).ok_or_else(|| {
                    ParseError::new(
                        format!(
                            "`{}` is not a label: use letters, digits and `-`, up to 40.",
                            t.text
                        ),
                        &[USAGE::LABEL],
                    )
                })?;
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
            if labels.is_empty() {
                return Err(ParseError::new(
                    format!("Which label for request #{id}? For example `ci-sponsor`."),
                    &[USAGE::LABEL],
                ));
            }
            Ok(Command::RequestLabel { id, labels })
        }
        "alumni" => {
            let person = match args {
                [one] => mention(one),
                _ => None,
            }
            .ok_or_else(|| ParseError::new("`alumni` takes one @person.", &[USAGE::ALUMNI]))?;
            Ok(Command::Alumni { person })
        }
        "step"
            if args
                .first()
                .is_some_and(|t| t.text.eq_ignore_ascii_case("down")) =>
        {
            Ok(Command::StepDown)
        }
        _ => {
            let typed = &first.text;
            let hint = closest(typed, SUBCOMMANDS.iter().copied(), 1);
            let message = match hint.first() {
                Some(h) => format!("I don't know the command `{typed}`. Did you mean `{h}`?"),
                None => format!("I don't know the command `{typed}`."),
            };
            Err(ParseError::new(message, &[USAGE::HELP]))
        }
    }
}

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

fn parse_requests(args: &[Token]) -> PResult<Command> {
    use crate::command::RequestsQuery;
    if let [one] = args
        && let Ok(id) = one.text.trim_start_matches('#').parse::<i64>()
        && !one.quoted
    {
        return Ok(Command::RequestShow { id });
    }
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
                q.label = Some(label_of(w).ok_or_else(|| {
                    ParseError::new(format!("`{w}` is not a label."), &[USAGE::REQUESTS])
                })?);
            }
            w if w.starts_with("--") => {
                return Err(ParseError::new(
                    format!("I don't know the option `{w}`: use --grouped or --oldest."),
                    &[USAGE::REQUESTS],
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

fn parse_dept(args: &[Token]) -> PResult<Command> {
    const ALL: &[&str] = &[
        USAGE::DEPT_ADD,
        USAGE::DEPT_RENAME,
        USAGE::DEPT_MOVE,
        USAGE::DEPT_HEADCOUNT,
        USAGE::DEPT_REMOVE,
    ];
    let Some((verb, rest)) = args.split_first() else {
        return Err(ParseError::new("What should I do with departments?", ALL));
    };
    match verb.text.to_lowercase().as_str() {
        "add" | "new" | "create" => {
            let (names, headcount) = match rest.split_last() {
                Some((last, before)) if !last.quoted && looks_numeric(&last.text) => {
                    (before, Some(headcount(&last.text, USAGE::DEPT_ADD)?))
                }
                _ => (rest, None),
            };
            let (name, region) = two_names(
                names,
                &["in"],
                USAGE::DEPT_ADD,
                "a department name and its region",
            )?;
            Ok(Command::DeptAdd {
                name,
                region,
                headcount,
            })
        }
        "rename" => {
            let (name, new_name) = two_names(
                rest,
                &["to", "as"],
                USAGE::DEPT_RENAME,
                "the department and its new name",
            )?;
            Ok(Command::DeptRename { name, new_name })
        }
        "move" | "region" => {
            let (name, region) = two_names(
                rest,
                &["to", "into"],
                USAGE::DEPT_MOVE,
                "the department and its new region",
            )?;
            Ok(Command::DeptMove { name, region })
        }
        "headcount" | "size" | "people" => {
            let Some((last, before)) = rest.split_last().filter(|(_, b)| !b.is_empty()) else {
                return Err(ParseError::new(
                    "Give the department and its headcount.",
                    &[USAGE::DEPT_HEADCOUNT],
                ));
            };
            let value = match last.text.to_lowercase().as_str() {
                "none" | "unknown" | "-" | "clear" => None,
                t => Some(headcount(t, USAGE::DEPT_HEADCOUNT)?),
            };
            Ok(Command::DeptHeadcount {
                name: join(before),
                headcount: value,
            })
        }
        "remove" | "delete" | "rm" => {
            let name = joined(rest).ok_or_else(|| {
                ParseError::new("Which department should I remove?", &[USAGE::DEPT_REMOVE])
            })?;
            Ok(Command::DeptRemove { name })
        }
        other => Err(ParseError::new(
            format!("I don't know `dept {other}`."),
            ALL,
        )),
    }
}

fn parse_add(args: &[Token]) -> PResult<Command> {
    let Some((who, rest)) = args.split_first() else {
        return Err(ParseError::new(
            "Who should become an ambassador, and of which department?",
            &[USAGE::ADD],
        ));
    };
    let person = mention(who).ok_or_else(|| {
        ParseError::new(
            format!("Start with the person, as @name (not `{}`).", who.text),
            &[USAGE::ADD],
        )
    })?;
    let rest = match rest.split_first() {
        Some((w, r))
            if !w.quoted && matches!(w.text.to_lowercase().as_str(), "to" | "in" | "for") =>
        {
            r
        }
        _ => rest,
    };
    let (names, time_zone) = match rest.split_last() {
        Some((last, before))
            if !before.is_empty() && !last.quoted && looks_like_time_zone(&last.text) =>
        {
            (before, Some(last.text.clone()))
        }
        _ => (rest, None),
    };
    let department = joined(names)
        .ok_or_else(|| ParseError::new("Which department will they represent?", &[USAGE::ADD]))?;
    Ok(Command::Add {
        person,
        department,
        time_zone,
    })
}

fn parse_kudos(rest: &str) -> PResult<Command> {
    let tokens = tokenize(rest);
    if let Some((first, args)) = tokens.split_first()
        && !first.quoted
        && matches!(
            first.text.to_lowercase().as_str(),
            "leaderboard" | "leaderboards"
        )
    {
        return parse_leaderboard(args);
    }
    if let [only] = tokens.as_slice()
        && !only.quoted
    {
        match only.text.to_lowercase().as_str() {
            "help" | "?" | "--help" => return Ok(Command::Help),
            "mine" | "me" => return Ok(Command::KudosMine),
            "optout" | "opt-out" => return Ok(Command::KudosOptOut(true)),
            "optin" | "opt-in" => return Ok(Command::KudosOptOut(false)),
            _ => {}
        }
    }
    let mut receivers: Vec<Mention> = Vec::new();
    let mut reason_start = None;
    for token in &tokens {
        if reason_start.is_none()
            && let Some(m) = mention(token)
        {
            if !receivers.contains(&m) {
                receivers.push(m);
            }
            continue;
        }
        if reason_start.is_none() {
            let word = token.text.to_lowercase();
            if !token.quoted
                && matches!(word.as_str(), "and" | "&" | "," | "+")
                && !receivers.is_empty()
            {
                continue;
            }
            if !token.quoted && word == "for" && !receivers.is_empty() {
                reason_start = Some(token.start + token.text.len());
                continue;
            }
            reason_start = Some(token.start);
        }
    }
    if receivers.is_empty() {
        let message = if tokens.is_empty() {
            "Who do you want to thank, and for what?"
        } else {
            "Start with the person you thank, as @name."
        };
        return Err(ParseError::new(message, &[USAGE::KUDOS]));
    }
    let reason = reason_start
        .map(|s| rest[s..].trim().to_string())
        .unwrap_or_default();
    if reason.is_empty() {
        return Err(ParseError::new(
            "Say what they did: praise is specific.",
            &[USAGE::KUDOS],
        ));
    }
    let tags = tags_of(&reason);
    Ok(Command::Kudos {
        receivers,
        reason,
        tags,
    })
}

/// `leaderboard [week|month|quarter|year] [region|department]`, in either order (`by` allowed).
fn parse_leaderboard(args: &[Token]) -> PResult<Command> {
    let mut period = None;
    let mut group = None;
    for t in args {
        let word = t.text.to_lowercase();
        let (p, g) = match word.as_str() {
            "by" | "per" | "this" => continue,
            "week" | "weekly" => (Some(Period::Week), None),
            "month" | "monthly" => (Some(Period::Month), None),
            "quarter" | "quarterly" => (Some(Period::Quarter), None),
            "year" | "yearly" => (Some(Period::Year), None),
            "region" | "regions" => (None, Some(Grouping::Region)),
            "department" | "departments" | "dept" | "depts" => (None, Some(Grouping::Department)),
            _ => {
                return Err(ParseError::new(
                    format!(
                        "`{}` is not a period or a grouping: choose week, month, quarter or year, and region or department.",
                        t.text
                    ),
                    &[USAGE::KUDOS_LEADERBOARD],
                ));
            }
        };
        if (p.is_some() && period.is_some()) || (g.is_some() && group.is_some()) {
            return Err(ParseError::new(
                "Give one period (week, month, quarter or year) and at most one grouping (region or department).",
                &[USAGE::KUDOS_LEADERBOARD],
            ));
        }
        period = period.or(p);
        group = group.or(g);
    }
    Ok(Command::KudosLeaderboard {
        period: period.unwrap_or(Period::Month),
        group,
    })
}

/// A command's first argument as a person, and the rest.
fn person_first<'a>(
    args: &'a [Token],
    usage: &'static str,
    missing: &str,
) -> PResult<(Mention, &'a [Token])> {
    let Some((who, rest)) = args.split_first() else {
        return Err(ParseError::new(missing, &[usage]));
    };
    let person = mention(who).ok_or_else(|| {
        ParseError::new(
            format!("Start with the person, as @name (not `{}`).", who.text),
            &[usage],
        )
    })?;
    Ok((person, rest))
}

/// `@person free text`: the person and the text after them as written (None when empty).
fn person_and_text(
    rest: &str,
    tokens: &[Token],
    usage: &'static str,
) -> PResult<(Mention, Option<String>)> {
    let (person, _) = person_first(&tokens[1..], usage, "Who is it about? Name them as @name.")?;
    let text = text_after(rest, &tokens[1]);
    Ok((person, (!text.is_empty()).then(|| text.to_string())))
}

/// The text after the token `t`, as written.
fn text_after<'a>(rest: &'a str, t: &Token) -> &'a str {
    let end = t.start + t.text.len() + if t.quoted { 2 } else { 0 };
    rest.get(end.min(rest.len())..).unwrap_or("").trim()
}

fn parse_announce(rest: &str, tokens: &[Token]) -> PResult<Command> {
    let (scope, text_from) = match tokens.get(1) {
        Some(flag) if !flag.quoted && flag.text.starts_with("--") => {
            let value = tokens.get(2).ok_or_else(|| {
                ParseError::new(format!("`{}` needs a name.", flag.text), &[USAGE::ANNOUNCE])
            })?;
            let scope = match flag.text.to_lowercase().as_str() {
                "--region" => ScopeArg::Region(value.text.clone()),
                "--department" | "--dept" => ScopeArg::Department(value.text.clone()),
                other => {
                    return Err(ParseError::new(
                        format!("I don't know the option `{other}`: use --region or --department."),
                        &[USAGE::ANNOUNCE],
                    ));
                }
            };
            (Some(scope), value)
        }
        _ => (None, &tokens[0]),
    };
    let text = text_after(rest, text_from).to_string();
    if text.is_empty() {
        return Err(ParseError::new(
            "What should I announce?",
            &[USAGE::ANNOUNCE],
        ));
    }
    Ok(Command::Announce { scope, text })
}

fn parse_log(rest: &str, tokens: &[Token]) -> PResult<Command> {
    let number = |t: Option<&Token>, usage: &'static str| -> PResult<i64> {
        t.and_then(|t| t.text.trim_start_matches('#').parse::<i64>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ParseError::new(
                    "Give the number of the entry, as `log list` shows it.",
                    &[usage],
                )
            })
    };
    let sub = tokens
        .get(1)
        .filter(|t| !t.quoted)
        .map(|t| t.text.to_lowercase());
    match (sub.as_deref(), tokens.len()) {
        (None, _) => Err(ParseError::new(
            "What did you do? For example: `log Ran an InnerSource 101 workshop #workshop (25 people) on 2027-02-03`.",
            &[USAGE::LOG, USAGE::LOG_LIST],
        )),
        (Some("list"), 2) => Ok(Command::Log(LogCommand::List)),
        (Some("delete" | "remove" | "rm"), _) => {
            if tokens.len() != 3 {
                return Err(ParseError::new(
                    "Delete one entry by its number.",
                    &[USAGE::LOG_DELETE],
                ));
            }
            Ok(Command::Log(LogCommand::Delete(number(
                tokens.get(2),
                USAGE::LOG_DELETE,
            )?)))
        }
        (Some("edit" | "correct"), _) => {
            let n = number(tokens.get(2), USAGE::LOG_EDIT)?;
            let text = text_after(rest, &tokens[2]).to_string();
            if text.is_empty() {
                return Err(ParseError::new(
                    "Give the corrected entry after its number.",
                    &[USAGE::LOG_EDIT],
                ));
            }
            Ok(Command::Log(LogCommand::Edit(n, text)))
        }
        _ => Ok(Command::Log(LogCommand::Add(
            text_after(rest, &tokens[0]).to_string(),
        ))),
    }
}

/// `2027-Q1` (also `2027q1`, `Q1-2027`): the year and the quarter (1–4).
pub fn parse_quarter(text: &str) -> PResult<(i32, u32)> {
    let t = text.to_uppercase().replace(['-', ' ', '/'], "");
    let (year, quarter) = match t.strip_prefix('Q') {
        Some(rest) => (rest.get(1..), rest.get(..1)),
        None => match t.split_once('Q') {
            Some((y, q)) => (Some(y), Some(q)),
            None => (None, None),
        },
    };
    let year = year.and_then(|y| y.parse::<i32>().ok());
    let quarter = quarter.and_then(|q| q.parse::<u32>().ok());
    match (year, quarter) {
        (Some(y), Some(q)) if (1..=4).contains(&q) && (2000..=2200).contains(&y) => Ok((y, q)),
        _ => Err(ParseError::new(
            format!("`{text}` is not a quarter: write it like 2027-Q1."),
            &[USAGE::QUARTER],
        )),
    }
}

fn parse_checkin(rest: &str) -> PResult<Command> {
    use super::CheckinCommand as C;
    let tokens = tokenize(rest);
    let Some(first) = tokens.first() else {
        return Ok(Command::Checkin(C::Show));
    };
    let word = if first.quoted {
        String::new()
    } else {
        first.text.to_lowercase()
    };
    let after_first = rest[first.start + first.text.len()..].trim();
    let cmd = match (word.as_str(), &tokens[1..]) {
        ("show", []) => C::Show,
        ("skip", []) => C::Skip,
        ("resume", []) => C::Resume,
        ("help", []) => return Ok(Command::Help),
        ("edit", []) => {
            return Err(ParseError::new(
                "Give your whole new answer after `edit`.",
                &[USAGE::CHECKIN_EDIT],
            ));
        }
        ("edit", _) => C::Edit(after_first.to_string()),
        ("pause", args) => {
            let date = match args {
                [until, date] if until.text.eq_ignore_ascii_case("until") => date,
                [date] => date,
                _ => {
                    return Err(ParseError::new(
                        "Until when? Give the last day of your absence as YYYY-MM-DD, e.g. 2027-01-10.",
                        &[USAGE::CHECKIN_PAUSE, USAGE::CHECKIN_RESUME],
                    ));
                }
            };
            C::PauseUntil(parse_date(&date.text, USAGE::CHECKIN_PAUSE)?)
        }
        _ => C::Answer(rest.trim().to_string()),
    };
    Ok(Command::Checkin(cmd))
}

/// A calendar date written `YYYY-MM-DD`.
pub fn parse_date(text: &str, usage: &'static str) -> PResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        ParseError::new(
            format!("`{text}` is not a date: write it as YYYY-MM-DD, e.g. 2027-01-10."),
            &[usage],
        )
    })
}

/// `#tags` in a text, lower case, without `#`, each once, in order.
pub fn tags_of(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let Some(tag) = word.strip_prefix('#') else {
            continue;
        };
        let tag: String = tag
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .flat_map(char::to_lowercase)
            .collect();
        if !tag.is_empty() && tag.chars().count() <= 40 && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// A person as written in a command: `@ada`, `<@U012AB3CD>`, `<@U012AB3CD|ada>`, `@ada:example.org`.
fn mention(token: &Token) -> Option<Mention> {
    if token.quoted {
        return None;
    }
    let text = token.text.trim_end_matches([',', ';', '.', '!', '?', ')']);
    if let Some(inner) = text.strip_prefix("<@").and_then(|t| t.strip_suffix('>')) {
        let id = inner.split('|').next().unwrap_or("");
        return (!id.is_empty()).then(|| Mention(id.to_string()));
    }
    let bare = text.strip_prefix('@')?;
    let bare = bare
        .strip_suffix(':')
        .filter(|b| !b.contains(':'))
        .unwrap_or(bare);
    if bare.is_empty() {
        return None;
    }
    if bare.contains(':') {
        // A Matrix user id keeps its sigil.
        Some(Mention(format!("@{bare}")))
    } else {
        Some(Mention(bare.to_string()))
    }
}

fn looks_numeric(t: &str) -> bool {
    let t = t.trim_start_matches(['-', '+']);
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '_' || c == '.')
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn headcount(t: &str, usage: &'static str) -> PResult<u32> {
    let digits: String = t.chars().filter(|c| !matches!(c, ',' | '_')).collect();
    match digits.parse::<u32>() {
        Ok(n) if n <= 10_000_000 => Ok(n),
        _ => Err(ParseError::new(
            format!("`{t}` is not a headcount: write a whole number from 0 to 10,000,000."),
            &[usage],
        )),
    }
}

fn looks_like_time_zone(t: &str) -> bool {
    let upper = t.to_ascii_uppercase();
    (t.contains('/') && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        || upper == "UTC"
        || upper == "GMT"
}

/// Two names: exactly two words (quoted as needed), or words around a separator (`to`, `in` …).
fn two_names(
    tokens: &[Token],
    separators: &[&str],
    usage: &'static str,
    what: &str,
) -> PResult<(String, String)> {
    if let Some(i) = tokens
        .iter()
        .position(|t| !t.quoted && separators.contains(&t.text.to_lowercase().as_str()))
        .filter(|&i| i > 0 && i + 1 < tokens.len())
    {
        return Ok((join(&tokens[..i]), join(&tokens[i + 1..])));
    }
    match tokens {
        [a, b] => Ok((a.text.clone(), b.text.clone())),
        [] | [_] => Err(ParseError::new(format!("Give {what}."), &[usage])),
        _ => Err(ParseError::new(
            format!("Put names of several words in quotes, so I can tell {what} apart."),
            &[usage],
        )),
    }
}

fn join(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn joined(tokens: &[Token]) -> Option<String> {
    let s = join(tokens);
    (!s.trim().is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Command {
        parse(input).expect("a command").command.expect("valid")
    }

    fn err(input: &str) -> ParseError {
        parse(input)
            .expect("a command")
            .command
            .expect_err("an error")
    }

    fn m(s: &str) -> Mention {
        Mention(s.to_string())
    }

    #[test]
    fn ordinary_chat_and_other_commands_are_not_ours() {
        assert_eq!(parse("hello there"), None);
        assert_eq!(parse("/giphy cats"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn slack_and_matrix_forms_parse_alike() {
        for p in ["/", "!"] {
            let parsed = parse(&format!("{p}ambassadors coverage North America")).unwrap();
            assert_eq!(parsed.prefix, p.chars().next().unwrap());
            assert_eq!(
                parsed.command,
                Ok(Command::Coverage {
                    region: Some("North America".into())
                })
            );
        }
        assert_eq!(ok("/AMBASSADORS"), Command::Help);
        assert_eq!(ok("!ambassadors help"), Command::Help);
    }

    #[test]
    fn kudos_with_several_receivers_for_and_tags() {
        assert_eq!(
            ok("/kudos @ada, @bob and <@U123|carol> for the great #Docs workshop!"),
            Command::Kudos {
                receivers: vec![m("ada"), m("bob"), m("U123")],
                reason: "the great #Docs workshop!".into(),
                tags: vec!["docs".into()],
            }
        );
        assert_eq!(
            ok("!kudos @bob:localhost fixed the build"),
            Command::Kudos {
                receivers: vec![m("@bob:localhost")],
                reason: "fixed the build".into(),
                tags: vec![],
            }
        );
    }

    #[test]
    fn kudos_keeps_mentions_inside_the_reason_as_text_and_dedups_receivers() {
        let Command::Kudos {
            receivers, reason, ..
        } = ok("/kudos @ada @ada for pairing with @bob")
        else {
            panic!()
        };
        assert_eq!(receivers, vec![m("ada")]);
        assert_eq!(reason, "pairing with @bob");
    }

    #[test]
    fn kudos_needs_someone_and_a_reason() {
        assert!(err("/kudos").message.contains("Who"));
        assert!(err("/kudos @ada").message.contains("praise is specific"));
        assert!(
            err("/kudos @ada for   ")
                .message
                .contains("praise is specific")
        );
        assert!(err("/kudos great job everyone").message.contains("@name"));
        assert_eq!(ok("/kudos help"), Command::Help);
    }

    #[test]
    fn kudos_leaderboard_takes_a_period_and_a_grouping() {
        assert_eq!(
            ok("/kudos leaderboard"),
            Command::KudosLeaderboard {
                period: Period::Month,
                group: None
            }
        );
        assert_eq!(
            ok("!kudos leaderboard quarter region"),
            Command::KudosLeaderboard {
                period: Period::Quarter,
                group: Some(Grouping::Region)
            }
        );
        assert_eq!(
            ok("/kudos Leaderboard by department year"),
            Command::KudosLeaderboard {
                period: Period::Year,
                group: Some(Grouping::Department)
            }
        );
        assert!(
            err("/kudos leaderboard fortnight")
                .message
                .contains("`fortnight` is not a period")
        );
        assert!(
            err("/kudos leaderboard week month")
                .message
                .contains("one period")
        );
    }

    #[test]
    fn dept_add_with_quotes_separator_and_headcount() {
        let want = Command::DeptAdd {
            name: "Platform Engineering".into(),
            region: "EMEA".into(),
            headcount: Some(1200),
        };
        assert_eq!(
            ok(r#"/ambassadors dept add "Platform Engineering" EMEA 1,200"#),
            want
        );
        assert_eq!(
            ok("/ambassadors dept add Platform Engineering in EMEA 1200"),
            want
        );
        assert_eq!(
            ok("/ambassadors department add Legal \"North America\""),
            Command::DeptAdd {
                name: "Legal".into(),
                region: "North America".into(),
                headcount: None
            }
        );
        assert!(
            err("/ambassadors dept add Platform Engineering EMEA")
                .message
                .contains("quotes")
        );
        assert!(
            err("/ambassadors dept add Legal EMEA -5")
                .message
                .contains("headcount")
        );
        assert!(
            err("/ambassadors dept add Legal")
                .message
                .contains("region")
        );
    }

    #[test]
    fn dept_rename_move_headcount_remove() {
        assert_eq!(
            ok("/ambassadors dept rename Platform Eng to \"Platform Engineering\""),
            Command::DeptRename {
                name: "Platform Eng".into(),
                new_name: "Platform Engineering".into()
            }
        );
        assert_eq!(
            ok("/ambassadors dept move Finance to North America"),
            Command::DeptMove {
                name: "Finance".into(),
                region: "North America".into()
            }
        );
        assert_eq!(
            ok("/ambassadors dept headcount Data Science 85"),
            Command::DeptHeadcount {
                name: "Data Science".into(),
                headcount: Some(85)
            }
        );
        assert_eq!(
            ok("/ambassadors dept headcount Legal none"),
            Command::DeptHeadcount {
                name: "Legal".into(),
                headcount: None
            }
        );
        assert_eq!(
            ok("/ambassadors dept remove Data Science"),
            Command::DeptRemove {
                name: "Data Science".into()
            }
        );
        assert_eq!(err("/ambassadors dept").usage.len(), 5);
    }

    #[test]
    fn add_with_department_and_time_zone() {
        assert_eq!(
            ok("/ambassadors add @ada to Platform Engineering Europe/Berlin"),
            Command::Add {
                person: m("ada"),
                department: "Platform Engineering".into(),
                time_zone: Some("Europe/Berlin".into())
            }
        );
        assert_eq!(
            ok("/ambassadors add <@U1> Finance"),
            Command::Add {
                person: m("U1"),
                department: "Finance".into(),
                time_zone: None
            }
        );
        assert!(
            err("/ambassadors add ada Finance")
                .message
                .contains("@name")
        );
        assert!(err("/ambassadors add @ada").message.contains("department"));
    }

    #[test]
    fn roster_changes_take_one_person() {
        assert_eq!(
            ok("/ambassadors pause @ada"),
            Command::Pause { person: m("ada") }
        );
        assert_eq!(
            ok("/ambassadors resume @ada"),
            Command::Resume { person: m("ada") }
        );
        assert_eq!(
            ok("/ambassadors remove @ada"),
            Command::Remove { person: m("ada") }
        );
        assert!(err("/ambassadors remove").message.contains("@person"));
        assert!(err("/ambassadors pause @ada @bob").message.contains("one"));
    }

    #[test]
    fn who_takes_a_person_or_a_name() {
        assert_eq!(
            ok("/ambassadors who @ada"),
            Command::Who {
                target: Target::Person(m("ada"))
            }
        );
        assert_eq!(
            ok("/ambassadors who data science"),
            Command::Who {
                target: Target::Name("data science".into())
            }
        );
        assert!(err("/ambassadors who").usage.contains(&USAGE::WHO));
    }

    #[test]
    fn unknown_subcommands_get_a_suggestion() {
        assert!(
            err("/ambassadors coverag")
                .message
                .contains("Did you mean `coverage`")
        );
        assert_eq!(ok("/ambassadors step down"), Command::StepDown);
    }

    #[test]
    fn checkin_subcommands_and_answers() {
        use crate::command::CheckinCommand as C;
        assert_eq!(ok("/checkin"), Command::Checkin(C::Show));
        assert_eq!(ok("/checkin show"), Command::Checkin(C::Show));
        assert_eq!(ok("!checkin skip"), Command::Checkin(C::Skip));
        assert_eq!(
            ok("/checkin edit  Two office hours, one workshop."),
            Command::Checkin(C::Edit("Two office hours, one workshop.".into()))
        );
        assert_eq!(
            ok("/checkin pause until 2027-01-10"),
            Command::Checkin(C::PauseUntil(
                chrono::NaiveDate::from_ymd_opt(2027, 1, 10).unwrap()
            ))
        );
        assert!(
            err("/checkin pause until next week")
                .message
                .contains("YYYY-MM-DD")
        );
        assert_eq!(
            ok("/checkin Show-and-tell went well"),
            Command::Checkin(C::Answer("Show-and-tell went well".into()))
        );
        assert_eq!(
            ok("/ambassadors feedback Platform Engineering since 2027-01-01"),
            Command::Feedback {
                scope: Some("Platform Engineering".into()),
                since: chrono::NaiveDate::from_ymd_opt(2027, 1, 1)
            }
        );
        assert_eq!(ok("/ambassadors checkins"), Command::Checkins);
    }

    #[test]
    fn timezone_takes_an_optional_name() {
        for p in ["/", "!"] {
            assert_eq!(
                ok(&format!("{p}ambassadors timezone Europe/Berlin")),
                Command::TimeZone {
                    zone: Some("Europe/Berlin".into())
                }
            );
        }
        assert_eq!(
            ok("/ambassadors timezone"),
            Command::TimeZone { zone: None }
        );
        assert_eq!(
            ok("/ambassadors time zone America/New York"),
            Command::TimeZone {
                zone: Some("America/New_York".into())
            }
        );
        assert!(
            err("/ambassadors timezon Europe/Berlin")
                .message
                .contains("Did you mean `timezone`")
        );
    }

    #[test]
    fn odd_unicode_is_kept() {
        assert_eq!(
            ok("/ambassadors who 研究開発"),
            Command::Who {
                target: Target::Name("研究開発".into())
            }
        );
        let Command::Kudos { receivers, .. } = ok("/kudos @zoë for 🎉 the launch") else {
            panic!()
        };
        assert_eq!(receivers, vec![m("zoë")]);
    }
}
