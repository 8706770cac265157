//! Check-ins: an ambassador answers, shows, edits or skips the open round, or pauses them; the
//! office reads the rounds and the answers.
//!
//! ```text
//! checkin                                   your answer (as `checkin show`)
//! checkin <your answer>                     adds to the answer of the open round
//! checkin show | skip | resume              alone on the line; else the line is an answer
//! checkin edit <your whole answer>
//! checkin pause [until] <YYYY-MM-DD>
//! ambassadors checkins | check-ins
//! ambassadors feedback [department|region] [since YYYY-MM-DD]
//! ```

use super::parse::{ParseError, parse_date, scope_since};
use super::{CheckinCommand as C, Command, CommandSpec, Role};

pub(super) const CHECKIN: CommandSpec = CommandSpec {
    name: "checkin",
    aliases: &[],
    role: Role::Ambassador,
    usage: "checkin <your answer>",
    example: "checkin We ran two InnerSource office hours; the build team needs a CI sponsor.",
    help: Some("answer the open check-in (or just reply to the prompt in our direct conversation)"),
    parse: |i| Ok(Some(Command::Checkin(C::Answer(i.rest.trim().to_string())))),
    is: |c| matches!(c, Command::Checkin(C::Answer(_))),
};

pub(super) const CHECKIN_SHOW: CommandSpec = CommandSpec {
    name: "checkin show",
    aliases: &[],
    role: Role::Ambassador,
    usage: "checkin show",
    example: "checkin edit We ran three office hours, not two.",
    help: Some("see your answer; `checkin edit` replaces it while the round is open"),
    parse: |i| Ok(i.args().is_empty().then_some(Command::Checkin(C::Show))),
    is: |c| matches!(c, Command::Checkin(C::Show)),
};

pub(super) const CHECKIN_EDIT: CommandSpec = CommandSpec {
    name: "checkin edit",
    aliases: &[],
    role: Role::Ambassador,
    usage: "checkin edit <your whole answer>",
    example: "checkin edit We ran three office hours, not two.",
    help: None,
    parse: |i| {
        if i.args().is_empty() {
            return Err(i.error("Give your whole new answer after `edit`."));
        }
        Ok(Some(Command::Checkin(C::Edit(
            i.after(&i.tokens[0]).to_string(),
        ))))
    },
    is: |c| matches!(c, Command::Checkin(C::Edit(_))),
};

pub(super) const CHECKIN_SKIP: CommandSpec = CommandSpec {
    name: "checkin skip",
    aliases: &[],
    role: Role::Ambassador,
    usage: "checkin skip",
    example: "checkin skip",
    help: Some("skip this round (no reminder, not counted as missed)"),
    parse: |i| Ok(i.args().is_empty().then_some(Command::Checkin(C::Skip))),
    is: |c| matches!(c, Command::Checkin(C::Skip)),
};

pub(super) const CHECKIN_PAUSE: CommandSpec = CommandSpec {
    name: "checkin pause",
    aliases: &[],
    role: Role::Ambassador,
    usage: "checkin pause until <YYYY-MM-DD>",
    example: "checkin pause until 2027-01-10",
    help: Some("no check-ins until a date (vacation); `checkin resume` to get them again"),
    parse: |i| {
        let date = match i.args() {
            [until, date] if until.text.eq_ignore_ascii_case("until") => date,
            [date] => date,
            _ => {
                return Err(ParseError::new(
                    "Until when? Give the last day of your absence as YYYY-MM-DD, e.g. 2027-01-10.",
                    &[CHECKIN_PAUSE.usage, CHECKIN_RESUME.usage],
                ));
            }
        };
        let until = parse_date(&date.text, CHECKIN_PAUSE.usage)?;
        Ok(Some(Command::Checkin(C::PauseUntil(until))))
    },
    is: |c| matches!(c, Command::Checkin(C::PauseUntil(_))),
};

pub(super) const CHECKIN_RESUME: CommandSpec = CommandSpec {
    name: "checkin resume",
    aliases: &[],
    role: Role::Ambassador,
    usage: "checkin resume",
    example: "checkin resume",
    help: None,
    parse: |i| Ok(i.args().is_empty().then_some(Command::Checkin(C::Resume))),
    is: |c| matches!(c, Command::Checkin(C::Resume)),
};

pub(super) const CHECKINS: CommandSpec = CommandSpec {
    name: "ambassadors checkins",
    aliases: &["ambassadors check-ins"],
    role: Role::Office,
    usage: "ambassadors checkins",
    example: "ambassadors checkins",
    help: Some("recent check-in rounds: response rate, time to answer, who is missing"),
    parse: |_| Ok(Some(Command::Checkins)),
    is: |c| matches!(c, Command::Checkins),
};

pub(super) const FEEDBACK: CommandSpec = CommandSpec {
    name: "ambassadors feedback",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors feedback [department|region] [since YYYY-MM-DD]",
    example: "ambassadors feedback EMEA since 2027-01-01",
    help: Some("check-in answers grouped by region and department, newest first"),
    parse: |i| {
        let (scope, since) = scope_since(i.args(), FEEDBACK.usage)?;
        Ok(Some(Command::Feedback { scope, since }))
    },
    is: |c| matches!(c, Command::Feedback { .. }),
};

#[cfg(test)]
mod tests {
    use super::super::parse::testing::*;
    use super::*;

    #[test]
    fn checkin_subcommands_and_answers() {
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
}
