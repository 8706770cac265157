//! The console adapter: chat with the bot in a terminal, or drive it from a script.
//!
//! Contract (scripts and the scenario tests rely on it):
//! - lines come from stdin; on a terminal there is a prompt, from a pipe none, and the process exits 0
//!   at end of input;
//! - `:as NAME`, `:in ROOM`, `:dm`, `:quit` (and `:help`) are directives; anything else is a chat line
//!   from the current user (`/kudos …` or `!kudos …`);
//! - every line the bot prints starts with where it goes: `[ROOM]`, `[dm:NAME]` or `[only NAME]`, and
//!   the following lines of the same message are indented; each reply is flushed as it is produced.

use ambassador_core::{
    Account, Audience, Clock, Inbound, Platform, Program, Reply, Store, apology, render_plain,
};
use std::io::Write;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tracing::Instrument;

/// The bot's own account in the console: kudos to `@bot` are refused.
pub const BOT_ID: &str = "bot";

/// Where the console user is talking.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    Room(String),
    Direct,
}

pub struct Console {
    user: String,
    place: Place,
    interactive: bool,
}

impl Console {
    pub fn new(user: &str, room: &str, interactive: bool) -> Self {
        Console {
            user: user.to_string(),
            place: Place::Room(room.to_string()),
            interactive,
        }
    }

    fn room_label(&self) -> String {
        match &self.place {
            Place::Room(r) => r.clone(),
            Place::Direct => format!("dm:{}", self.user),
        }
    }

    /// Reads and answers lines until end of input or `:quit`.
    pub async fn run<S: Store, C: Clock>(
        &mut self,
        program: &Program<S, C>,
        input: impl AsyncBufRead + Unpin,
        out: &mut impl Write,
    ) -> anyhow::Result<()> {
        let mut lines = input.lines();
        loop {
            if self.interactive {
                write!(out, "{}@{}> ", self.user, self.room_label())?;
                out.flush()?;
            }
            let Some(line) = lines.next_line().await? else {
                if self.interactive {
                    writeln!(out)?;
                }
                return Ok(());
            };
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if let Some(directive) = line.trim_start().strip_prefix(':') {
                if !self.directive(program, directive, out).await? {
                    return Ok(());
                }
                continue;
            }
            self.say(program, line, out).await?;
        }
    }

    /// Applies a directive; false to stop.
    async fn directive<S: Store, C: Clock>(
        &mut self,
        program: &Program<S, C>,
        directive: &str,
        out: &mut impl Write,
    ) -> anyhow::Result<bool> {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap_or("");
        let arg: Vec<&str> = words.collect();
        match (name, arg.as_slice()) {
            ("quit" | "q" | "exit", []) => return Ok(false),
            ("as", [user]) => {
                let user = user.trim_start_matches('@');
                program
                    .store
                    .ensure_person(&Account::new(Platform::Console, user), user)
                    .await?;
                self.user = user.to_string();
                self.note(out, &format!("you are now {user}"))?;
            }
            ("in", [room]) => {
                self.place = Place::Room(room.trim_start_matches('#').to_string());
                self.note(out, &format!("you are now in {}", self.room_label()))?;
            }
            ("dm", []) => {
                self.place = Place::Direct;
                self.note(out, "you are now talking to the bot directly")?;
            }
            ("help", []) => {
                writeln!(
                    out,
                    "[console] :as NAME (act as NAME) · :in ROOM (post in ROOM) · :dm (talk to the bot directly) · :quit\n  Commands: /ambassadors help"
                )?;
            }
            _ => {
                writeln!(
                    out,
                    "[console] unknown directive `:{directive}`: use :as NAME, :in ROOM, :dm, :quit or :help"
                )?;
            }
        }
        out.flush()?;
        Ok(true)
    }

    fn note(&self, out: &mut impl Write, text: &str) -> anyhow::Result<()> {
        if self.interactive {
            writeln!(out, "[console] {text}")?;
        }
        Ok(())
    }

    async fn say<S: Store, C: Clock>(
        &self,
        program: &Program<S, C>,
        text: &str,
        out: &mut impl Write,
    ) -> anyhow::Result<()> {
        let inbound = Inbound {
            sender: Account::new(Platform::Console, self.user.clone()),
            sender_name: self.user.clone(),
            room: self.room_label(),
            text: text.to_string(),
            bot: Some(Account::new(Platform::Console, BOT_ID)),
            create_mentioned: false,
        };
        let span = tracing::info_span!(
            "inbound",
            platform = "console",
            room = %inbound.room,
            user = %self.user
        );
        let replies = match program.handle(&inbound).instrument(span).await {
            Ok(Some(replies)) => replies,
            Ok(None) => {
                if self.interactive {
                    writeln!(
                        out,
                        "[console] (not a command for the bot; try /ambassadors help)"
                    )?;
                }
                return Ok(());
            }
            Err(e) => {
                tracing::error!(error = %e, command = text, "command failed");
                vec![Reply::caller(apology())]
            }
        };
        for reply in &replies {
            self.print(reply, out)?;
        }
        out.flush()?;
        Ok(())
    }

    fn print(&self, reply: &Reply, out: &mut impl Write) -> anyhow::Result<()> {
        let tag = match (&reply.audience, &self.place) {
            (Audience::Direct(p), _) => format!("dm:{}", p.display_name),
            (_, Place::Direct) => format!("dm:{}", self.user),
            (Audience::Room, Place::Room(r)) => r.clone(),
            (Audience::Caller, Place::Room(_)) => format!("only {}", self.user),
        };
        let text = render_plain(&reply.message);
        for (i, line) in text.lines().enumerate() {
            if i == 0 {
                writeln!(out, "[{tag}] {line}")?;
            } else if line.trim().is_empty() {
                continue;
            } else {
                writeln!(out, "  {line}")?;
            }
        }
        Ok(())
    }
}
