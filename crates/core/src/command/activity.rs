//! Activity: what ambassadors log that they did, and the reports made of it.
//!
//! ```text
//! ambassadors log <what you did> [#tags] [(25 people)] [on YYYY-MM-DD]
//! ambassadors log list                     alone on the line; else `list …` is what you did
//! ambassadors log edit | correct <number> <what you did>
//! ambassadors log delete | remove | rm <number>
//! ambassadors activity | activities [region|department] [since YYYY-MM-DD]
//! ambassadors quarter | report-quarter [YYYY-Qn]
//! ```
//!
//! The word after `log` selects `list`, `edit` or `delete` only unquoted; a quoted first word after
//! `log` is refused. Numbers may be written `#3`.

use super::parse::{PResult, ParseError, scope_since};
use super::token::Token;
use super::{Command, CommandSpec, LogCommand, Role};

pub(super) const LOG: CommandSpec = CommandSpec {
    name: "ambassadors log",
    aliases: &[],
    role: Role::Ambassador,
    usage: "ambassadors log <what you did> [#tags] [(25 people)] [on YYYY-MM-DD]",
    example: "ambassadors log Ran an InnerSource 101 workshop #workshop (25 people) on 2027-02-03",
    help: Some(
        "record something you did as ambassador; `log list`, `log edit N …`, `log delete N`",
    ),
    parse: |i| {
        if i.tokens.get(1).is_none_or(|t| t.quoted) {
            return Err(ParseError::new(
                "What did you do? For example: `log Ran an InnerSource 101 workshop #workshop (25 people) on 2027-02-03`.",
                &[LOG.usage, LOG_LIST.usage],
            ));
        }
        Ok(Some(Command::Log(LogCommand::Add(
            i.after(&i.tokens[0]).to_string(),
        ))))
    },
    is: |c| matches!(c, Command::Log(LogCommand::Add(_))),
};

pub(super) const LOG_LIST: CommandSpec = CommandSpec {
    name: "ambassadors log list",
    aliases: &[],
    role: Role::Ambassador,
    usage: "ambassadors log list",
    example: "ambassadors log list",
    help: None,
    parse: |i| {
        Ok((!i.tokens[1].quoted && i.args().is_empty()).then_some(Command::Log(LogCommand::List)))
    },
    is: |c| matches!(c, Command::Log(LogCommand::List)),
};

pub(super) const LOG_EDIT: CommandSpec = CommandSpec {
    name: "ambassadors log edit",
    aliases: &["ambassadors log correct"],
    role: Role::Ambassador,
    usage: "ambassadors log edit <number> <what you did>",
    example: "ambassadors log edit 3 Ran an InnerSource 101 workshop #workshop (30 people)",
    help: None,
    parse: |i| {
        if i.tokens[1].quoted {
            return Ok(None);
        }
        let n = number(i.tokens.get(2), LOG_EDIT.usage)?;
        let text = i.after(&i.tokens[2]).to_string();
        if text.is_empty() {
            return Err(i.error("Give the corrected entry after its number."));
        }
        Ok(Some(Command::Log(LogCommand::Edit(n, text))))
    },
    is: |c| matches!(c, Command::Log(LogCommand::Edit(..))),
};

pub(super) const LOG_DELETE: CommandSpec = CommandSpec {
    name: "ambassadors log delete",
    aliases: &["ambassadors log remove|rm"],
    role: Role::Ambassador,
    usage: "ambassadors log delete <number>",
    example: "ambassadors log delete 3",
    help: None,
    parse: |i| {
        if i.tokens[1].quoted {
            return Ok(None);
        }
        if i.tokens.len() != 3 {
            return Err(i.error("Delete one entry by its number."));
        }
        Ok(Some(Command::Log(LogCommand::Delete(number(
            i.tokens.get(2),
            LOG_DELETE.usage,
        )?))))
    },
    is: |c| matches!(c, Command::Log(LogCommand::Delete(_))),
};

pub(super) const ACTIVITY: CommandSpec = CommandSpec {
    name: "ambassadors activity",
    aliases: &["ambassadors activities"],
    role: Role::Member,
    usage: "ambassadors activity [region|department] [since YYYY-MM-DD]",
    example: "ambassadors activity EMEA since 2027-01-01",
    help: Some("what ambassadors did, by region and department"),
    parse: |i| {
        let (scope, since) = scope_since(i.args(), ACTIVITY.usage)?;
        Ok(Some(Command::Activity { scope, since }))
    },
    is: |c| matches!(c, Command::Activity { .. }),
};

pub(super) const QUARTER: CommandSpec = CommandSpec {
    name: "ambassadors quarter",
    aliases: &["ambassadors report-quarter"],
    role: Role::Office,
    usage: "ambassadors quarter [YYYY-Qn]",
    example: "ambassadors quarter 2027-Q1",
    help: Some(
        "the quarterly regional report: coverage, check-ins, activities, kudos, arrivals and departures",
    ),
    parse: |i| match i.args() {
        [] => Ok(Some(Command::Quarter { quarter: None })),
        [q] => Ok(Some(Command::Quarter {
            quarter: Some(parse_quarter(&q.text)?),
        })),
        _ => Err(i.error("Give one quarter, like 2027-Q1.")),
    },
    is: |c| matches!(c, Command::Quarter { .. }),
};

/// An entry's number, `3` or `#3`.
fn number(t: Option<&Token>, usage: &'static str) -> PResult<i64> {
    t.and_then(|t| t.text.trim_start_matches('#').parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ParseError::new(
                "Give the number of the entry, as `log list` shows it.",
                &[usage],
            )
        })
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
            &[QUARTER.usage],
        )),
    }
}
