//! The console adapter: chat with the bot in a terminal, or drive it from a script.
//!
//! Contract (scripts and the scenario tests rely on it):
//! - lines come from stdin; on a terminal there is a prompt, from a pipe none, and the process exits 0
//!   at end of input; bytes that are not UTF-8 read as replacement characters (�);
//! - `:as NAME`, `:in ROOM`, `:dm`, `:clock [+7d|+3h|TIME]`, `:quit` (and `:help`) are directives;
//!   anything else is a chat line from the current user (`/kudos …` or `!kudos …`);
//! - the console runs the scheduler on its own clock (simulated: `:clock +7d` advances it and runs
//!   every job that fell due, in order) and delivers the outbox: scheduled messages print like
//!   replies, `[dm:NAME]` or `[ROOM]`;
//! - every line the bot prints starts with where it goes: `[ROOM]`, `[dm:NAME]` or `[only NAME]`, and
//!   the following lines of the same message are indented; each reply is flushed as it is produced.

use ambassador_core::{
    Account, Audience, Clock, Destination, DispatchSettings, Dispatcher, Inbound, Message,
    Messenger, Outgoing, Platform, Program, Reply, SendError, SimClock, Store, StoreError, apology,
    render_plain,
};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tracing::Instrument;

/// Where the console writes: shared by the console and its messenger.
pub type Out = Arc<Mutex<dyn Write + Send>>;

/// The console's program: any store, the console's simulated clock.
pub type ConsoleProgram<S> = Program<S, Arc<SimClock>>;

/// Writes a message the console way: `[tag] first line`, following lines indented.
fn write_message(out: &Out, tag: &str, message: &Message) -> std::io::Result<()> {
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    for (i, line) in render_plain(message).lines().enumerate() {
        if i == 0 {
            writeln!(out, "[{tag}] {line}")?;
        } else if !line.trim().is_empty() {
            writeln!(out, "  {line}")?;
        }
    }
    out.flush()
}

/// The console as a platform the outbox delivers to: it prints.
pub struct ConsoleMessenger {
    out: Out,
}

impl Messenger for ConsoleMessenger {
    fn platform(&self) -> Platform {
        Platform::Console
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let tag = match &message.to {
            Destination::Direct(a) => format!("dm:{}", a.id),
            Destination::Room { id, .. } => id.clone(),
        };
        write_message(&self.out, &tag, &message.message)
            .map_err(|e| SendError::Transient(format!("cannot write to the console: {e}")))
    }
}

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
    out: Out,
    dispatcher: Dispatcher<ConsoleMessenger>,
}

impl Console {
    pub fn new(
        user: &str,
        room: &str,
        interactive: bool,
        out: Out,
        dispatch: DispatchSettings,
    ) -> Self {
        Console {
            user: user.to_string(),
            place: Place::Room(room.to_string()),
            interactive,
            dispatcher: Dispatcher::new(ConsoleMessenger { out: out.clone() }, dispatch),
            out,
        }
    }

    fn line(&self, text: &str) -> anyhow::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(out, "{text}")?;
        out.flush()?;
        Ok(())
    }

    /// Runs the jobs that fell due by the program's clock, then delivers the outbox.
    pub async fn catch_up<S: Store>(&self, program: &ConsoleProgram<S>) -> anyhow::Result<()> {
        let report = program.tick().await?;
        for (job, occurrence) in &report.skipped {
            tracing::warn!(%job, %occurrence, "occurrence skipped: found past the grace window (the bot was down)");
        }
        loop {
            let sent = self
                .dispatcher
                .dispatch_once(&program.store, &program.clock)
                .await?;
            for (key, error) in &sent.dead {
                tracing::error!(%key, %error, "message given up on");
            }
            if sent.claimed == 0 {
                return Ok(());
            }
        }
    }

    /// Moves the clock to `target`, stopping at every occurrence on the way, in order.
    async fn advance<S: Store>(
        &self,
        program: &ConsoleProgram<S>,
        target: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        loop {
            let now = program.clock.now();
            match program.next_due(now, target).await? {
                Some(next) => {
                    program.clock.set(next);
                    self.catch_up(program).await?;
                }
                None => break,
            }
        }
        program.clock.set(target);
        self.catch_up(program).await
    }

    /// A store fault while running the schedule or the outbox (a full disk, a lost database) is
    /// said in one line and the session goes on: nothing was claimed or sent, so the next line
    /// runs it again. Other errors (the console cannot write) end the session.
    fn survive_store_fault<S: Store>(
        &self,
        program: &ConsoleProgram<S>,
        result: anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match result {
            Err(e) if e.downcast_ref::<StoreError>().is_some() => {
                let error = crate::error_chain(&e);
                tracing::error!(%error, "scheduled work failed");
                self.line(&format!(
                    "[console] scheduled work could not run: {error}. The clock stands at {}; what fell due runs after your next line.",
                    clock_text(program.clock.now())
                ))
            }
            other => other,
        }
    }

    fn room_label(&self) -> String {
        match &self.place {
            Place::Room(r) => r.clone(),
            Place::Direct => format!("dm:{}", self.user),
        }
    }

    /// Reads and answers lines until end of input or `:quit`.
    pub async fn run<S: Store>(
        &mut self,
        program: &ConsoleProgram<S>,
        mut input: impl AsyncBufRead + Unpin,
    ) -> anyhow::Result<()> {
        let mut bytes = Vec::new();
        let caught_up = self.catch_up(program).await;
        self.survive_store_fault(program, caught_up)?;
        loop {
            if self.interactive {
                let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
                write!(out, "{}@{}> ", self.user, self.room_label())?;
                out.flush()?;
            }
            // Bytes, not text: a line that is not valid UTF-8 is read with replacement characters
            // rather than ending the session.
            bytes.clear();
            if input.read_until(b'\n', &mut bytes).await? == 0 {
                if self.interactive {
                    self.line("")?;
                }
                return Ok(());
            }
            let line = String::from_utf8_lossy(&bytes);
            let line = line.trim_end_matches('\n').trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if let Some(directive) = line.trim_start().strip_prefix(':') {
                if !self.directive(program, directive).await? {
                    return Ok(());
                }
                continue;
            }
            self.say(program, line).await?;
            let caught_up = self.catch_up(program).await;
            self.survive_store_fault(program, caught_up)?;
        }
    }

    /// Applies a directive; false to stop.
    async fn directive<S: Store>(
        &mut self,
        program: &ConsoleProgram<S>,
        directive: &str,
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
                    .ensure_person(
                        &Account::new(Platform::Console, user),
                        &ambassador_core::display_name(user),
                    )
                    .await?;
                self.user = user.to_string();
                self.note(&format!("you are now {user}"))?;
            }
            ("in", [room]) => {
                self.place = Place::Room(room.trim_start_matches('#').to_string());
                self.note(&format!("you are now in {}", self.room_label()))?;
            }
            ("dm", []) => {
                self.place = Place::Direct;
                self.note("you are now talking to the bot directly")?;
            }
            ("clock", []) => self.show_clock(program)?,
            ("clock", [when]) => match clock_jump(program.clock.now(), when) {
                Ok(target) => {
                    let advanced = self.advance(program, target).await;
                    self.survive_store_fault(program, advanced)?;
                    self.show_clock(program)?;
                }
                Err(e) => self.line(&format!("[console] {e}"))?,
            },
            ("help", []) => {
                self.line(
                    "[console] :as NAME (act as NAME) · :in ROOM (post in ROOM) · :dm (talk to the bot directly) · :clock [+7d|+3h|2027-03-29T09:00:00Z] · :quit\n  Commands: /ambassadors help",
                )?;
            }
            _ => {
                self.line(&format!(
                    "[console] unknown directive `:{directive}`: use :as NAME, :in ROOM, :dm, :clock, :quit or :help"
                ))?;
            }
        }
        Ok(true)
    }

    fn show_clock<S: Store>(&self, program: &ConsoleProgram<S>) -> anyhow::Result<()> {
        self.line(&format!("[clock] {}", clock_text(program.clock.now())))
    }

    fn note(&self, text: &str) -> anyhow::Result<()> {
        if self.interactive {
            self.line(&format!("[console] {text}"))?;
        }
        Ok(())
    }

    async fn say<S: Store>(&self, program: &ConsoleProgram<S>, text: &str) -> anyhow::Result<()> {
        let inbound = Inbound {
            sender: Account::new(Platform::Console, self.user.clone()),
            sender_name: self.user.clone(),
            room: self.room_label(),
            text: text.to_string(),
            bot: Some(Account::new(Platform::Console, BOT_ID)),
            direct: self.place == Place::Direct,
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
                self.note("(not a command for the bot; try /ambassadors help)")?;
                return Ok(());
            }
            Err(e) => {
                tracing::error!(error = %e, command = text, "command failed");
                vec![Reply::caller(apology())]
            }
        };
        for reply in &replies {
            self.print(reply)?;
        }
        Ok(())
    }

    fn print(&self, reply: &Reply) -> anyhow::Result<()> {
        let tag = match (&reply.audience, &self.place) {
            (Audience::CallerDirect, _) => format!("dm:{}", self.user),
            (_, Place::Direct) => format!("dm:{}", self.user),
            (Audience::Room, Place::Room(r)) => r.clone(),
            (Audience::Caller, Place::Room(_)) => format!("only {}", self.user),
        };
        write_message(&self.out, &tag, &reply.message)?;
        Ok(())
    }
}

/// How far one `:clock` may move: every occurrence on the way runs, so a jump of centuries would
/// run for hours (and one past the calendar's end cannot be computed).
fn clock_limit() -> chrono::Duration {
    chrono::Duration::days(3653)
}

const CLOCK_LIMIT_TEXT: &str = "one `:clock` moves at most 10 years (3653 days)";

/// `Monday 2027-03-29 09:00 UTC`.
fn clock_text(t: DateTime<Utc>) -> String {
    t.format("%A %Y-%m-%d %H:%M UTC").to_string()
}

/// Where `:clock WHEN` moves the clock from `now`, or the one line that refuses it: a time
/// behind, beyond the limit, or not a time at all.
fn clock_jump(now: DateTime<Utc>, when: &str) -> Result<DateTime<Utc>, String> {
    match clock_target(now, when)? {
        target if target < now => Err(format!(
            "the clock only moves forward; it is {}",
            clock_text(now)
        )),
        target if target - now > clock_limit() => Err(format!(
            "`{when}` is too far ahead: {CLOCK_LIMIT_TEXT}; it is {}",
            clock_text(now)
        )),
        target => Ok(target),
    }
}

/// `+7d`, `+3h`, `+1h 30m`, `2027-03-29T09:00:00Z`, `2027-03-29 09:00` or `2027-03-29` (UTC).
fn clock_target(now: DateTime<Utc>, when: &str) -> Result<DateTime<Utc>, String> {
    if let Some(by) = when.strip_prefix('+') {
        return crate::config::parse_duration(by).and_then(|d| {
            now.checked_add_signed(d)
                .ok_or_else(|| format!("`{when}` is too far ahead: {}", CLOCK_LIMIT_TEXT))
        });
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(when) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(when, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(when, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    Err(format!(
        "`{when}` is not a time: write +7d, +3h, 2027-03-29T09:00:00Z or 2027-03-29"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `:clock` arguments: jumps of any size and unit, times and dates, and anything at all.
    fn when() -> impl Strategy<Value = String> {
        let unit = prop::sample::select(vec![
            "", "ns", "us", "ms", "s", "m", "min", "h", "d", "days", "w", "M", "y", "years",
        ]);
        prop_oneof![
            (any::<u64>(), unit.clone()).prop_map(|(n, u)| format!("+{n}{u}")),
            (0u64..200_000, unit.clone()).prop_map(|(n, u)| format!("+{n}{u}")),
            (0u64..5000, unit.clone(), 0u64..100_000, unit)
                .prop_map(|(a, u, b, v)| format!("+{a}{u} {b}{v}")),
            (0i32..10_000, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            (0i32..10_000, 0u32..24).prop_map(|(y, h)| format!("{y:04}-06-30T{h:02}:00:00Z")),
            "\\PC{0,30}",
            "\\+[0-9a-z ]{0,30}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// A `:clock` jump of any size either lands within the limit, forward, or is refused in
        /// one line; never a panic.
        #[test]
        fn clock_jumps_apply_within_the_limit_or_are_refused_in_one_line(
            secs in 0i64..7_258_118_400, // 1970 to 2200
            when in when(),
        ) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            match clock_jump(now, &when) {
                Ok(target) => {
                    prop_assert!(target >= now);
                    prop_assert!(target - now <= clock_limit());
                }
                Err(e) => {
                    prop_assert!(!e.contains('\n'), "{e}");
                    prop_assert!(!e.is_empty());
                }
            }
        }
    }

    #[test]
    fn the_findings_are_refused_in_one_line() {
        let now = DateTime::parse_from_rfc3339("2027-03-29T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for when in [
            "+99999999999d",
            "+100000d",
            "+300000y",
            "+18446744073709551615s",
            "9999-12-31",
        ] {
            let e = clock_jump(now, when).unwrap_err();
            assert!(
                e.contains("at most 10 years") || e.contains("is not a duration"),
                "{when}: {e}"
            );
        }
        assert!(clock_jump(now, "+3653d").is_ok());
    }
}
