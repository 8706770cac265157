//! One's own: the record in the program, and the time zone check-ins come in.
//!
//! ```text
//! ambassadors record                                  alone: it takes no name
//! ambassadors timezone | time-zone | tz [IANA name]    (also `time zone`)
//! ambassadors dashboard                               alone: a sign-in link, by direct message
//! ```
//!
//! A zone typed with spaces (`America/New York`) is joined with `_`, as IANA names are written.

use super::token::Token;
use super::{Command, CommandSpec, Role};

pub(super) const RECORD: CommandSpec = CommandSpec {
    name: "ambassadors record",
    aliases: &[],
    role: Role::Member,
    usage: "ambassadors record",
    example: "ambassadors record",
    help: Some(
        "your record in the program (terms, check-ins, activities logged, kudos with reasons), e.g. for a performance review",
    ),
    parse: |i| match i.args() {
        [] => Ok(Some(Command::Record)),
        _ => Err(i.error("`record` shows your own record; it takes no name.")),
    },
    is: |c| matches!(c, Command::Record),
};

pub(super) const TIMEZONE: CommandSpec = CommandSpec {
    name: "ambassadors timezone",
    aliases: &["ambassadors time-zone|tz", "ambassadors time zone"],
    role: Role::Member,
    usage: "ambassadors timezone [IANA time zone]",
    example: "ambassadors timezone Europe/Berlin",
    help: Some(
        "set your own time zone: check-ins come at their hour in it (without a name: the zone in use)",
    ),
    parse: |i| {
        Ok(Some(Command::TimeZone {
            zone: zone(i.args()),
        }))
    },
    is: |c| matches!(c, Command::TimeZone { .. }),
};

pub(super) const DASHBOARD: CommandSpec = CommandSpec {
    name: "ambassadors dashboard",
    aliases: &[],
    role: Role::Member,
    usage: "ambassadors dashboard",
    example: "ambassadors dashboard",
    help: Some(
        "a one-time link to the program's web dashboard (coverage, participation, recognition), by direct message",
    ),
    parse: |i| match i.args() {
        [] => Ok(Some(Command::Dashboard)),
        _ => {
            Err(i.error("`dashboard` takes nothing after it: it sends you your own sign-in link."))
        }
    },
    is: |c| matches!(c, Command::Dashboard),
};

fn zone(args: &[Token]) -> Option<String> {
    (!args.is_empty()).then(|| {
        args.iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join("_")
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse::testing::*;
    use super::*;

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
}
