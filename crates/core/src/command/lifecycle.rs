//! An ambassador's way through the program: applying or being nominated, the office's decision,
//! renewing each year, stepping down or being moved to alumni.
//!
//! ```text
//! ambassadors apply                          alone on the line
//! ambassadors withdraw                       (also `apply withdraw`, alone on the line)
//! ambassadors nominate @person <why>
//! ambassadors applications | apps
//! ambassadors approve @person [department]
//! ambassadors decline | reject @person <reason>
//! ambassadors renew
//! ambassadors stepdown | step-down | step down
//! ambassadors alumni @person
//! ```

use super::parse::person_first;
use super::{Command, CommandSpec, Role};

pub(super) const APPLY: CommandSpec = CommandSpec {
    name: "ambassadors apply",
    aliases: &[],
    role: Role::Member,
    usage: "ambassadors apply",
    example: "ambassadors apply",
    help: Some(
        "apply to become an ambassador (a few questions in a direct conversation, or a form on Slack); `ambassadors withdraw` withdraws it",
    ),
    parse: |i| match i.args() {
        [] => Ok(Some(Command::Apply)),
        _ => Err(
            i.error("Just `apply`: I ask the questions one at a time in our direct conversation.")
        ),
    },
    is: |c| matches!(c, Command::Apply),
};

pub(super) const WITHDRAW: CommandSpec = CommandSpec {
    name: "ambassadors withdraw",
    aliases: &["ambassadors apply withdraw"],
    role: Role::Member,
    usage: "ambassadors withdraw",
    example: "ambassadors withdraw",
    help: None,
    // `apply withdraw` only alone: more words are a mistaken `apply`.
    parse: |i| Ok((i.used == 1 || i.args().is_empty()).then_some(Command::Withdraw)),
    is: |c| matches!(c, Command::Withdraw),
};

pub(super) const NOMINATE: CommandSpec = CommandSpec {
    name: "ambassadors nominate",
    aliases: &[],
    role: Role::Member,
    usage: "ambassadors nominate @person <why>",
    example: "ambassadors nominate @grace she runs the monthly InnerSource office hours",
    help: Some("suggest someone as ambassador: the office sees it, they are invited to apply"),
    parse: |i| {
        let (person, after) = i.person_and_text()?;
        let reason = after.ok_or_else(|| {
            i.error("Say why: what have they done that makes them a good ambassador?")
        })?;
        Ok(Some(Command::Nominate { person, reason }))
    },
    is: |c| matches!(c, Command::Nominate { .. }),
};

pub(super) const APPLICATIONS: CommandSpec = CommandSpec {
    name: "ambassadors applications",
    aliases: &["ambassadors apps"],
    role: Role::Office,
    usage: "ambassadors applications",
    example: "ambassadors applications",
    help: Some(
        "open applications and nominations, with each applicant's track record and the coverage of their department and region",
    ),
    parse: |_| Ok(Some(Command::Applications)),
    is: |c| matches!(c, Command::Applications),
};

pub(super) const APPROVE: CommandSpec = CommandSpec {
    name: "ambassadors approve",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors approve @person [department]",
    example: "ambassadors approve @grace",
    help: Some("approve an application: roster, welcome, and the next digest welcomes them"),
    parse: |i| {
        let (person, rest) = person_first(i.args(), APPROVE.usage, "Whose application?")?;
        Ok(Some(Command::Approve {
            person,
            department: super::parse::joined(rest),
        }))
    },
    is: |c| matches!(c, Command::Approve { .. }),
};

pub(super) const DECLINE: CommandSpec = CommandSpec {
    name: "ambassadors decline",
    aliases: &["ambassadors reject"],
    role: Role::Office,
    usage: "ambassadors decline @person <reason>",
    example: "ambassadors decline @bob Sales already has three ambassadors; let's talk in spring",
    help: Some("decline an application; the applicant gets your reason by direct message"),
    parse: |i| {
        let (person, after) = i.person_and_text()?;
        let reason =
            after.ok_or_else(|| i.error("Give the applicant a reason: they will read it."))?;
        Ok(Some(Command::Decline { person, reason }))
    },
    is: |c| matches!(c, Command::Decline { .. }),
};

pub(super) const RENEW: CommandSpec = CommandSpec {
    name: "ambassadors renew",
    aliases: &[],
    role: Role::Ambassador,
    usage: "ambassadors renew",
    example: "ambassadors renew",
    help: Some("confirm another year as ambassador when your anniversary comes"),
    parse: |_| Ok(Some(Command::Renew)),
    is: |c| matches!(c, Command::Renew),
};

pub(super) const STEPDOWN: CommandSpec = CommandSpec {
    name: "ambassadors stepdown",
    aliases: &["ambassadors step-down", "ambassadors step down"],
    role: Role::Ambassador,
    usage: "ambassadors stepdown",
    example: "ambassadors stepdown",
    help: Some("step down as ambassador (you become alumni, with thanks)"),
    parse: |_| Ok(Some(Command::StepDown)),
    is: |c| matches!(c, Command::StepDown),
};

pub(super) const ALUMNI: CommandSpec = CommandSpec {
    name: "ambassadors alumni",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors alumni @person",
    example: "ambassadors alumni @alan",
    help: Some("move an ambassador to alumni, with thanks"),
    parse: |i| {
        Ok(Some(Command::Alumni {
            person: i.one_person()?,
        }))
    },
    is: |c| matches!(c, Command::Alumni { .. }),
};
