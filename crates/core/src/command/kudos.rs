//! Kudos: thanks in public, what one received, opting out, the leaderboard.
//!
//! ```text
//! kudos @person [[and|&|,|+] @person …] [for] <what they did, #tags>
//! kudos mine | me                          alone on the line
//! kudos optout | opt-out                   alone on the line
//! kudos optin | opt-in                     alone on the line
//! kudos leaderboard | leaderboards [by|per|this] [week|month|quarter|year] [region|department]
//! ```
//!
//! The leaderboard's period and grouping come in either order; the period is the month when none is
//! given.

use super::parse::{ParseError, mention, tags_of};
use super::token::Token;
use super::{Command, CommandSpec, Grouping, Mention, Period, Role};

pub(super) const KUDOS: CommandSpec = CommandSpec {
    name: "kudos",
    aliases: &[],
    role: Role::Member,
    usage: "kudos @person [@person …] for <what they did>",
    example: "kudos @ada for the onboarding workshop #docs",
    help: Some("thank someone publicly for something specific"),
    parse: |i| give(i.rest, i.tokens).map(Some),
    is: |c| matches!(c, Command::Kudos { .. }),
};

pub(super) const KUDOS_MINE: CommandSpec = CommandSpec {
    name: "kudos mine",
    aliases: &["kudos me"],
    role: Role::Member,
    usage: "kudos mine",
    example: "kudos mine",
    help: Some(
        "the kudos you received (and how many you gave); `kudos optout` keeps you out of digests and leaderboards, `kudos optin` undoes it",
    ),
    parse: |i| Ok(i.args().is_empty().then_some(Command::KudosMine)),
    is: |c| matches!(c, Command::KudosMine),
};

pub(super) const KUDOS_OPTOUT: CommandSpec = CommandSpec {
    name: "kudos optout",
    aliases: &["kudos opt-out"],
    role: Role::Member,
    usage: "kudos optout",
    example: "kudos optout",
    help: None,
    parse: |i| Ok(i.args().is_empty().then_some(Command::KudosOptOut(true))),
    is: |c| matches!(c, Command::KudosOptOut(true)),
};

pub(super) const KUDOS_OPTIN: CommandSpec = CommandSpec {
    name: "kudos optin",
    aliases: &["kudos opt-in"],
    role: Role::Member,
    usage: "kudos optin",
    example: "kudos optin",
    help: None,
    parse: |i| Ok(i.args().is_empty().then_some(Command::KudosOptOut(false))),
    is: |c| matches!(c, Command::KudosOptOut(false)),
};

pub(super) const KUDOS_LEADERBOARD: CommandSpec = CommandSpec {
    name: "kudos leaderboard",
    aliases: &["kudos leaderboards"],
    role: Role::Member,
    usage: "kudos leaderboard [week|month|quarter|year] [region|department]",
    example: "kudos leaderboard quarter region",
    help: Some(
        "who received and gave the most kudos this week, month (the default), quarter or year; by region or department",
    ),
    parse: |i| leaderboard(i.args()).map(Some),
    is: |c| matches!(c, Command::KudosLeaderboard { .. }),
};

fn give(rest: &str, tokens: &[Token]) -> Result<Command, ParseError> {
    let mut receivers: Vec<Mention> = Vec::new();
    let mut reason_start = None;
    for token in tokens {
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
        return Err(ParseError::new(message, &[KUDOS.usage]));
    }
    let reason = reason_start
        .map(|s| rest[s..].trim().to_string())
        .unwrap_or_default();
    if reason.is_empty() {
        return Err(ParseError::new(
            "Say what they did: praise is specific.",
            &[KUDOS.usage],
        ));
    }
    let tags = tags_of(&reason);
    Ok(Command::Kudos {
        receivers,
        reason,
        tags,
    })
}

/// `[week|month|quarter|year] [region|department]`, in either order (`by` allowed).
fn leaderboard(args: &[Token]) -> Result<Command, ParseError> {
    let usage = &[KUDOS_LEADERBOARD.usage];
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
                    usage,
                ));
            }
        };
        if (p.is_some() && period.is_some()) || (g.is_some() && group.is_some()) {
            return Err(ParseError::new(
                "Give one period (week, month, quarter or year) and at most one grouping (region or department).",
                usage,
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

#[cfg(test)]
mod tests {
    use super::super::parse::testing::*;
    use super::*;

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
}
