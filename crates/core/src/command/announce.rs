//! Announcements: the office writes to the ambassadors; ambassadors acknowledge and pass them on.
//!
//! ```text
//! ambassadors announce [--region <region> | --department|--dept <department>] <text>
//! ambassadors ack | acknowledge [shared]
//! ambassadors announcements
//! ambassadors inbox
//! ```

use super::{Command, CommandSpec, Role, ScopeArg};

pub(super) const ANNOUNCE: CommandSpec = CommandSpec {
    name: "ambassadors announce",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors announce [--region <region> | --department <department>] <text>",
    example: "ambassadors announce --region EMEA The InnerSource summit call for talks is open until 2027-03-01.",
    help: Some(
        "send an announcement to the active ambassadors (all, one region or one department)",
    ),
    parse: |i| {
        let tokens = i.tokens;
        let (scope, text_from) = match tokens.get(1) {
            Some(flag) if !flag.quoted && flag.text.starts_with("--") => {
                let value = tokens
                    .get(2)
                    .ok_or_else(|| i.error(format!("`{}` needs a name.", flag.text)))?;
                let scope = match flag.text.to_lowercase().as_str() {
                    "--region" => ScopeArg::Region(value.text.clone()),
                    "--department" | "--dept" => ScopeArg::Department(value.text.clone()),
                    other => {
                        return Err(i.error(format!(
                            "I don't know the option `{other}`: use --region or --department."
                        )));
                    }
                };
                (Some(scope), value)
            }
            _ => (None, &tokens[0]),
        };
        let text = i.after(text_from).to_string();
        if text.is_empty() {
            return Err(i.error("What should I announce?"));
        }
        Ok(Some(Command::Announce { scope, text }))
    },
    is: |c| matches!(c, Command::Announce { .. }),
};

pub(super) const ACK: CommandSpec = CommandSpec {
    name: "ambassadors ack",
    aliases: &["ambassadors acknowledge"],
    role: Role::Ambassador,
    usage: "ambassadors ack [shared]",
    example: "ambassadors ack shared",
    help: Some(
        "acknowledge the latest announcement (`shared`: you passed it on); `inbox` lists open ones",
    ),
    parse: |i| match i.args() {
        [] => Ok(Some(Command::Ack { shared: false })),
        [w] if w.text.eq_ignore_ascii_case("shared") => Ok(Some(Command::Ack { shared: true })),
        _ => Err(i.error("Write `ack`, or `ack shared` once you passed the announcement on.")),
    },
    is: |c| matches!(c, Command::Ack { .. }),
};

pub(super) const ANNOUNCEMENTS: CommandSpec = CommandSpec {
    name: "ambassadors announcements",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors announcements",
    example: "ambassadors announcements",
    help: Some("recent announcements: received, acknowledged and shared, by region"),
    parse: |_| Ok(Some(Command::Announcements)),
    is: |c| matches!(c, Command::Announcements),
};

pub(super) const INBOX: CommandSpec = CommandSpec {
    name: "ambassadors inbox",
    aliases: &[],
    role: Role::Ambassador,
    usage: "ambassadors inbox",
    example: "ambassadors inbox",
    help: None,
    parse: |_| Ok(Some(Command::Inbox)),
    is: |c| matches!(c, Command::Inbox),
};
