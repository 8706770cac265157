//! `/ambassadors help`: the commands this caller may use, with one example each.

use super::Caller;
use crate::command::{Role, help_entries};
use crate::message::{Message, Reply, Rich};

pub(super) fn help(caller: &Caller) -> Vec<Reply> {
    let items: Vec<Rich> = help_entries(caller.role)
        .map(|e| {
            Rich::new()
                .and_code(caller.cmd(e.usage))
                .and(format!(" — {}\ne.g. ", e.what))
                .and_code(caller.cmd(e.example))
        })
        .collect();
    let whom = match caller.role {
        Role::Office => "you (program office)",
        Role::Ambassador => "you (ambassador)",
        Role::Member => "you",
    };
    let message = Message::new()
        .heading("Ambassador Bot")
        .paragraph(format!("Commands for {whom}:"))
        .list(items)
        .context("Names of several words go in quotes: \"Platform Engineering\". Department and region names are not case-sensitive.");
    vec![Reply::caller(message)]
}
