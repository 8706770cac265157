//! The help table, read from the declarations in [`COMMANDS`]. Templates are written without the
//! command prefix; renderers put `/` (Slack, console) or `!` (Matrix) in front.

use super::{COMMANDS, Role};

/// One row of help: a command with a help line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelpEntry {
    pub role: Role,
    pub usage: &'static str,
    pub example: &'static str,
    pub what: &'static str,
}

/// Usage templates the use cases quote in their answers, read from the declarations.
#[allow(non_snake_case)]
pub mod USAGE {
    use super::super::{activity, lifecycle};

    pub const LOG: &str = activity::LOG.usage;
    pub const LOG_LIST: &str = activity::LOG_LIST.usage;
    pub const LOG_EDIT: &str = activity::LOG_EDIT.usage;
    pub const LOG_DELETE: &str = activity::LOG_DELETE.usage;
    pub const APPROVE: &str = lifecycle::APPROVE.usage;
}

/// The help entries a caller with `role` may use, in the order of [`COMMANDS`].
pub fn help_entries(role: Role) -> impl Iterator<Item = HelpEntry> {
    COMMANDS
        .iter()
        .filter(move |s| s.role <= role)
        .filter_map(|s| {
            Some(HelpEntry {
                role: s.role,
                usage: s.usage,
                example: s.example,
                what: s.help?,
            })
        })
}
