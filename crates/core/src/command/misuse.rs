//! Misuse of the ambassador title: anyone tells the office privately; the office resolves it.
//!
//! ```text
//! ambassadors report @person <what happened>
//! ambassadors reports
//! ambassadors resolve <number> [note]
//! ```

use super::{Command, CommandSpec, Role};

pub(super) const REPORT: CommandSpec = CommandSpec {
    name: "ambassadors report",
    aliases: &[],
    role: Role::Member,
    usage: "ambassadors report @person <what happened>",
    example: "ambassadors report @mallory claims to speak for the program in vendor talks",
    help: Some("tell the program office privately about misuse of the ambassador title"),
    parse: |i| {
        let (person, after) = i.person_and_text()?;
        let text = after
            .ok_or_else(|| i.error("What happened? The program office reads it privately."))?;
        Ok(Some(Command::Report { person, text }))
    },
    is: |c| matches!(c, Command::Report { .. }),
};

pub(super) const REPORTS: CommandSpec = CommandSpec {
    name: "ambassadors reports",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors reports",
    example: "ambassadors resolve 3 talked to them; they corrected the slide",
    help: Some("open misuse reports; `ambassadors resolve N [note]` marks one resolved"),
    parse: |_| Ok(Some(Command::Reports)),
    is: |c| matches!(c, Command::Reports),
};

pub(super) const RESOLVE: CommandSpec = CommandSpec {
    name: "ambassadors resolve",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors resolve <number> [note]",
    example: "ambassadors resolve 3 talked to them; they corrected the slide",
    help: None,
    parse: |i| {
        let id = i
            .args()
            .first()
            .and_then(|t| t.text.trim_start_matches('#').parse::<i64>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| i.error("Give the number of the report, as `reports` shows it."))?;
        let note = i.after(&i.tokens[1]);
        Ok(Some(Command::Resolve {
            id,
            note: (!note.is_empty()).then(|| note.to_string()),
        }))
    },
    is: |c| matches!(c, Command::Resolve { .. }),
};
