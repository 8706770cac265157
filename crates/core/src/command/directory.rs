//! Finding your way: help, coverage, the roster, who covers what.
//!
//! ```text
//! ambassadors [help | ? | -h | --help] [anything]   the commands you may use
//! kudos help | ? | --help                           the same, alone on the line
//! checkin help                                      the same, alone on the line
//! ambassadors coverage [region]
//! ambassadors list | ls [region | department]
//! ambassadors who <department | region | @person>
//! ```

use super::parse::{joined, mention};
use super::{Command, CommandSpec, Role, Target};

pub(super) const HELP: CommandSpec = CommandSpec {
    name: "ambassadors help",
    aliases: &[
        "ambassadors ?|-h|--help",
        "kudos help|?|--help",
        "checkin help",
    ],
    role: Role::Member,
    usage: "ambassadors help",
    example: "ambassadors help",
    help: Some("the commands you may use"),
    // `kudos help` and `checkin help` only alone: more words are kudos or an answer.
    parse: |i| {
        Ok(
            (i.spelling.starts_with("ambassadors ") || i.args().is_empty())
                .then_some(Command::Help),
        )
    },
    is: |c| matches!(c, Command::Help),
};

pub(super) const COVERAGE: CommandSpec = CommandSpec {
    name: "ambassadors coverage",
    aliases: &[],
    role: Role::Member,
    usage: "ambassadors coverage [region]",
    example: "ambassadors coverage EMEA",
    help: Some("which departments have an ambassador, too few, or none"),
    parse: |i| {
        Ok(Some(Command::Coverage {
            region: joined(i.args()),
        }))
    },
    is: |c| matches!(c, Command::Coverage { .. }),
};

pub(super) const LIST: CommandSpec = CommandSpec {
    name: "ambassadors list",
    aliases: &["ambassadors ls"],
    role: Role::Member,
    usage: "ambassadors list [region|department]",
    example: "ambassadors list \"Platform Engineering\"",
    help: Some("the ambassadors, by region and department"),
    parse: |i| {
        Ok(Some(Command::List {
            scope: joined(i.args()),
        }))
    },
    is: |c| matches!(c, Command::List { .. }),
};

pub(super) const WHO: CommandSpec = CommandSpec {
    name: "ambassadors who",
    aliases: &[],
    role: Role::Member,
    usage: "ambassadors who <department|region|@person>",
    example: "ambassadors who Finance",
    help: Some("find the ambassador of a department or region, or what someone covers"),
    parse: |i| {
        let target = match i.args() {
            [] => {
                return Err(
                    i.error("Who are you looking for? Name a department, a region or a person.")
                );
            }
            [one] => match mention(one) {
                Some(m) => Target::Person(m),
                None => Target::Name(one.text.clone()),
            },
            many => Target::Name(super::parse::join(many)),
        };
        Ok(Some(Command::Who { target }))
    },
    is: |c| matches!(c, Command::Who { .. }),
};

#[cfg(test)]
mod tests {
    use super::super::parse::testing::*;
    use super::*;

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
        assert!(err("/ambassadors who").usage.contains(&WHO.usage));
    }
}
