//! `ambassador-bot`: the binary. Configuration, wiring, the console and admin subcommands.

mod config;
mod console;
mod csv_row;
mod dashboard;
mod demo;
mod export;
mod import;
mod metrics;
mod record;
mod redact;
mod run;
mod safe_csv;
mod serve;

use ambassador_core::store_ports::*;
use ambassador_core::{Clock, Platform, Program, SimClock, SystemClock};
use ambassador_store::SqlStore;
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(
    name = "ambassador-bot",
    version,
    about = "A chat bot that runs an InnerSource / open-source ambassador program",
    long_about = "A chat bot that runs an InnerSource / open-source ambassador program: coverage of departments and regions, the ambassador roster, and kudos. Try it locally with `ambassador-bot console --demo`."
)]
struct Cli {
    /// Configuration file (default: ./bot-config.toml when present, else built-in defaults).
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Chat with the bot in this terminal (or drive it from a script through stdin).
    Console {
        /// Fill an empty database with a sample organization first.
        #[arg(long)]
        demo: bool,
        /// Start as this user instead of console.user.
        #[arg(long = "as", value_name = "NAME")]
        user: Option<String>,
        /// Run on a simulated clock that starts at TIME (e.g. 2027-03-29T08:00:00Z) and only moves
        /// with `:clock`; without it the console clock follows the real time.
        #[arg(long, value_name = "TIME")]
        clock: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Run the bot: the configured chat platforms (Slack, Matrix), the HTTP server (Slack
    /// endpoints, /healthz, /readyz, /metrics), the scheduler and the outbox, until SIGTERM/SIGINT.
    Run {
        /// Log format: text or json (default: log.format).
        #[arg(long, value_name = "FORMAT", value_parser = ["text", "json"])]
        log_format: Option<String>,
        /// Testing aid: run on a simulated clock that starts at TIME and runs --sim-speed times
        /// faster than the real one (Slack signatures are then checked against it).
        #[arg(long, value_name = "TIME", hide = true)]
        sim_clock: Option<chrono::DateTime<chrono::Utc>>,
        /// Testing aid: how many simulated seconds pass in a real one (with --sim-clock).
        #[arg(
            long,
            value_name = "N",
            default_value_t = 1.0,
            hide = true,
            requires = "sim_clock"
        )]
        sim_speed: f64,
        /// Testing aid: the real instant at which the simulated clock shows --sim-clock (default:
        /// when the process starts); replicas given the same one agree on the time.
        #[arg(long, value_name = "TIME", hide = true, requires = "sim_clock")]
        sim_epoch: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Load departments and the roster from CSV files (idempotent).
    Import {
        /// CSV with columns name, region, headcount.
        #[arg(long, value_name = "CSV")]
        departments: Option<PathBuf>,
        /// CSV with columns person, department, and optionally time_zone, display_name, since.
        #[arg(long, value_name = "CSV")]
        roster: Option<PathBuf>,
        /// Platform of roster persons written without one (`ada` rather than `slack:U012AB3CD`).
        #[arg(long, default_value = "console", value_name = "PLATFORM")]
        platform: String,
    },
    /// Check the configuration: unknown keys, bad values, missing secrets.
    CheckConfig,
    /// Export data the program office needs outside chat.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// List the outbox: messages waiting to be sent and messages given up on.
    Outbox {
        /// Also list messages already sent (the newest 200).
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum ExportWhat {
    /// The activity log of a quarter: the regional report and every entry (Markdown), or the
    /// entries as CSV.
    Activity {
        /// markdown or csv.
        #[arg(long, default_value = "markdown")]
        format: String,
        /// The quarter, like 2027-Q1 (default: the current one).
        #[arg(long)]
        quarter: Option<String>,
        /// Write to FILE instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// One person's record (terms, check-ins answered, activities logged, kudos received with
    /// reasons and givers), for a performance review.
    Record {
        /// Their account: slack:U012AB3CD, matrix:@ada:example.org, or a bare id on --platform.
        person: String,
        /// markdown or csv.
        #[arg(long, default_value = "markdown")]
        format: String,
        /// The platform of a bare id.
        #[arg(long, default_value = "slack")]
        platform: String,
        /// Write to FILE instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The roster: active and paused ambassadors (alumni too with --alumni).
    Roster {
        #[command(flatten)]
        common: ExportArgs,
        /// Include alumni (former ambassadors).
        #[arg(long)]
        alumni: bool,
    },
    /// Coverage: every department with its ambassadors and status (uncovered, thin, covered).
    Coverage {
        #[command(flatten)]
        common: ExportArgs,
    },
    /// Check-ins with their answers (private to the program office), newest round first.
    Checkins {
        #[command(flatten)]
        common: ExportArgs,
        #[command(flatten)]
        days: DayRange,
    },
    /// Kudos: who praised whom for what, oldest first.
    Kudos {
        #[command(flatten)]
        common: ExportArgs,
        #[command(flatten)]
        days: DayRange,
    },
    /// Requests from ambassadors to the program office, by number, with the number of messages
    /// in each thread; markdown adds the period's totals as the quarterly report counts them.
    Requests {
        #[command(flatten)]
        common: ExportArgs,
        /// Days the requests were asked on, in the program's time zone.
        #[command(flatten)]
        days: DayRange,
        /// Only requests now in this status: new, acknowledged, in-progress, done or declined.
        #[arg(long, value_name = "STATUS", value_parser = parse_request_status, conflicts_with = "open")]
        status: Option<ambassador_core::RequestStatus>,
        /// Only open requests: new, acknowledged or in progress.
        #[arg(long)]
        open: bool,
    },
}

fn parse_request_status(text: &str) -> Result<ambassador_core::RequestStatus, String> {
    text.parse()
}

/// What every CSV/JSON export takes.
#[derive(clap::Args)]
struct ExportArgs {
    /// csv (with a header row) or json (an array of objects); requests also markdown.
    #[arg(long, default_value = "csv")]
    format: String,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only this region.
    #[arg(long)]
    region: Option<String>,
    /// Only this department.
    #[arg(long)]
    department: Option<String>,
}

/// A range of days, both ends included.
#[derive(clap::Args)]
struct DayRange {
    /// From this day on (YYYY-MM-DD).
    #[arg(long, value_name = "DAY", value_parser = export::parse_day)]
    since: Option<chrono::NaiveDate>,
    /// Up to and including this day (YYYY-MM-DD).
    #[arg(long, value_name = "DAY", value_parser = export::parse_day)]
    until: Option<chrono::NaiveDate>,
}

impl DayRange {
    fn checked(&self) -> anyhow::Result<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>)> {
        if let (Some(since), Some(until)) = (self.since, self.until) {
            anyhow::ensure!(
                since <= until,
                "--since {since} is after --until {until}: nothing can lie between"
            );
        }
        Ok((self.since, self.until))
    }
}

/// Logs to stderr: human-readable, or one JSON object a line when `json`.
fn init_logging(default_level: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| redact::RedactingStderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

async fn open_store(cfg: &config::Config) -> anyhow::Result<SqlStore> {
    // A URL check-config refuses is not tried (a malformed one would reach a default host).
    if let Some(p) = cfg
        .problems()
        .into_iter()
        .find(|p| p.key.starts_with("database."))
    {
        anyhow::bail!("bad configuration: {p} (see `ambassador-bot check-config`)");
    }
    SqlStore::open(&cfg.database.url, cfg.database.max_connections)
        .await
        .with_context(|| format!("cannot open the database {}", redact_url(&cfg.database.url)))
}

use redact::redact_url;

/// The error and its causes, each said once (libraries often repeat their source in their
/// message), with every configured secret masked (a library may echo the URL it was given).
fn error_chain(e: &anyhow::Error) -> String {
    redact::redact(&error_chain_raw(e))
}

fn error_chain_raw(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[tokio::main]
async fn main() -> ExitCode {
    // A panic is a bug, but its message goes through the same redaction as every other output.
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        eprintln!("{}", redact::redact(&format!("thread '{name}' {info}")));
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            let trace = std::backtrace::Backtrace::force_capture().to_string();
            eprintln!("{}", redact::redact(&trace));
        }
    }));
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let loaded = config::load(cli.config.as_deref());
    // Logging starts once the configuration is known (log.format); a configuration that cannot be
    // read is reported as the error.
    let json = match (&cli.command, &loaded) {
        (
            Cmd::Run {
                log_format: Some(f),
                ..
            },
            _,
        ) => f == "json",
        (_, Ok(l)) => l.config.log.format == "json",
        _ => false,
    };
    init_logging(
        match cli.command {
            Cmd::Console { .. } => "warn",
            _ => "info",
        },
        json,
    );
    let loaded = loaded?;
    if let Cmd::CheckConfig = cli.command {
        return Ok(check_config(&loaded));
    }
    for key in &loaded.unknown_keys {
        tracing::warn!(key = %key, "unknown configuration key ignored (see `ambassador-bot check-config`)");
    }
    let cfg = &loaded.config;
    match cli.command {
        Cmd::CheckConfig => unreachable!("handled above"),
        Cmd::Run {
            sim_clock,
            sim_speed,
            sim_epoch,
            ..
        } => {
            let clock = match sim_clock {
                None => run::RunClock::System,
                Some(start) => {
                    anyhow::ensure!(
                        sim_speed.is_finite() && sim_speed > 0.0,
                        "--sim-speed must be a positive number"
                    );
                    run::RunClock::Accelerated {
                        start,
                        epoch: sim_epoch.unwrap_or_else(chrono::Utc::now),
                        speed: sim_speed,
                    }
                }
            };
            return run::run(cfg, clock).await;
        }
        Cmd::Migrate => {
            let store = open_store(cfg).await?;
            store.close().await;
            println!("Database {} is up to date.", redact_url(&cfg.database.url));
        }
        Cmd::Console { demo, user, clock } => {
            cfg.ensure_valid()?;
            let settings = cfg.settings()?;
            let dispatch = cfg.dispatch()?;
            let store = open_store(cfg).await?;
            let clock = Arc::new(match clock {
                Some(at) => SimClock::frozen(at),
                None => SimClock::real(),
            });
            let program = Program::new(store, clock, settings);
            if demo {
                if demo::fill(&program).await? {
                    eprintln!(
                        "[console] Loaded the demo organization: 8 departments in 3 regions, 8 ambassadors, some kudos."
                    );
                } else {
                    eprintln!("[console] The database already has data; --demo left it as it is.");
                }
            }
            let interactive = std::io::stdin().is_terminal();
            if interactive {
                eprintln!(
                    "Ambassador Bot console. Try /ambassadors help, /ambassadors coverage, /kudos @ada for …; :help for directives, :quit to leave."
                );
            }
            let user = user.unwrap_or_else(|| cfg.console.user.clone());
            let out: console::Out = Arc::new(Mutex::new(std::io::stdout()));
            let mut console =
                console::Console::new(&user, &cfg.console.room, interactive, out, dispatch);
            let stdin = tokio::io::BufReader::new(tokio::io::stdin());
            console.run(&program, stdin).await?;
            program.store.close().await;
        }
        Cmd::Export { what } => {
            let settings = cfg.settings()?;
            let store = open_store(cfg).await?;
            let program = Program::new(store, SystemClock, settings);
            let result = export(&program, what).await;
            program.store.close().await;
            result?;
        }
        Cmd::Outbox { all } => {
            let store = open_store(cfg).await?;
            print_outbox(&store, all).await?;
            store.close().await;
        }
        Cmd::Import {
            departments,
            roster,
            platform,
        } => {
            anyhow::ensure!(
                departments.is_some() || roster.is_some(),
                "nothing to import: give --departments FILE and/or --roster FILE"
            );
            let platform: Platform = platform.parse().map_err(anyhow::Error::msg)?;
            let settings = cfg.settings()?;
            let store = open_store(cfg).await?;
            let program = Program::new(store, SystemClock, settings);
            let mut rejected = 0;
            if let Some(path) = departments {
                let report = import::departments(&program.store, &path).await?;
                print_report(&report, "departments", &path);
                rejected += report.rejected.len();
            }
            if let Some(path) = roster {
                let report = import::roster(
                    &program.store,
                    &path,
                    platform,
                    program.settings.time_zone.name(),
                    program.today(),
                    program.clock.now(),
                )
                .await?;
                print_report(&report, "roster", &path);
                rejected += report.rejected.len();
            }
            program.store.close().await;
            if rejected > 0 {
                return Ok(ExitCode::from(2));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs an export into memory, then writes it to the output file or stdout: bad input never leaves
/// a half-written file behind.
async fn export(program: &Program<SqlStore, SystemClock>, what: ExportWhat) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let output = match what {
        ExportWhat::Activity {
            format,
            quarter,
            output,
        } => {
            export::activity(program, &format, quarter.as_deref(), &mut buf).await?;
            output
        }
        ExportWhat::Roster { common, alumni } => {
            let (format, scope) = common.resolve(program).await?;
            export::roster(&program.store, &scope, alumni, format, &mut buf).await?;
            common.output
        }
        ExportWhat::Coverage { common } => {
            let (format, scope) = common.resolve(program).await?;
            export::coverage(program, &scope, format, &mut buf).await?;
            common.output
        }
        ExportWhat::Checkins { common, days } => {
            let (since, until) = days.checked()?;
            let (format, scope) = common.resolve(program).await?;
            export::checkins(&program.store, &scope, since, until, format, &mut buf).await?;
            common.output
        }
        ExportWhat::Kudos { common, days } => {
            let (since, until) = days.checked()?;
            let (format, scope) = common.resolve(program).await?;
            export::kudos(program, &scope, since, until, format, &mut buf).await?;
            common.output
        }
        ExportWhat::Requests {
            common,
            days,
            status,
            open,
        } => {
            let format = common.format.parse()?;
            let (since, until) = days.checked()?;
            let scope = common.scope(program).await?;
            let wanted = export::RequestsWanted { status, open };
            export::requests(program, &scope, since, until, wanted, format, &mut buf).await?;
            common.output
        }
        ExportWhat::Record {
            person,
            format,
            platform,
            output,
        } => {
            let platform: Platform = platform.parse().map_err(anyhow::Error::msg)?;
            let account = record::account_of(&person, platform)?;
            record::export(program, &account, &format, &mut buf).await?;
            output
        }
    };
    match output {
        Some(path) => std::fs::write(&path, &buf)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(())
}

impl ExportArgs {
    async fn resolve(
        &self,
        program: &Program<SqlStore, SystemClock>,
    ) -> anyhow::Result<(export::Format, export::Scope)> {
        let format = self.format.parse()?;
        Ok((format, self.scope(program).await?))
    }

    async fn scope(
        &self,
        program: &Program<SqlStore, SystemClock>,
    ) -> anyhow::Result<export::Scope> {
        export::Scope::resolve(program, self.region.as_deref(), self.department.as_deref()).await
    }
}

async fn print_outbox(store: &SqlStore, all: bool) -> anyhow::Result<()> {
    use ambassador_core::OutboxStatus;
    let stats = store.outbox_stats().await?;
    println!(
        "Outbox: {} pending, {} failed, {} sent{}",
        stats.pending,
        stats.failed,
        stats.sent,
        stats
            .oldest_pending
            .map(|t| format!(
                "; oldest pending since {}",
                t.format("%Y-%m-%d %H:%M:%S UTC")
            ))
            .unwrap_or_default()
    );
    let statuses: &[OutboxStatus] = if all {
        &[]
    } else {
        &[OutboxStatus::Pending, OutboxStatus::Failed]
    };
    for item in store.outbox_items(statuses, 200).await? {
        let when = match item.status {
            OutboxStatus::Sent => item.sent_at.unwrap_or(item.next_attempt_at),
            _ => item.next_attempt_at,
        };
        let line = format!(
            "{:>6}  {:<7}  attempts {:>2}  {}  {}  {}{}",
            item.id,
            item.status.as_str(),
            item.attempts,
            when.format("%Y-%m-%d %H:%M:%S"),
            item.outgoing.to,
            item.outgoing.key,
            item.last_error
                .map(|e| format!("\n        last error: {e}"))
                .unwrap_or_default()
        );
        println!("{}", redact::redact(&line));
    }
    Ok(())
}

fn print_report(report: &import::Report, what: &str, path: &std::path::Path) {
    println!("{}", report.summary(what));
    for (line, reason) in &report.rejected {
        println!("  rejected {}:{line}: {reason}", path.display());
    }
}

fn check_config(loaded: &config::Loaded) -> ExitCode {
    let source = match &loaded.file {
        Some(f) => format!("{} and the environment", f.display()),
        None => "defaults and the environment (no configuration file)".to_string(),
    };
    let known = config::known_keys();
    let mut errors = 0;
    for key in &loaded.unknown_keys {
        let hint = ambassador_core::closest(key, known.iter().map(String::as_str), 1);
        match hint.first() {
            Some(h) => println!("error: {key}: unknown key (did you mean {h}?)"),
            None => println!("error: {key}: unknown key"),
        }
        errors += 1;
    }
    for problem in loaded
        .config
        .problems()
        .into_iter()
        .chain(loaded.config.delivery_problems())
    {
        println!("error: {}", redact::redact(&problem.to_string()));
        errors += 1;
    }
    for warning in loaded.config.warnings() {
        println!("warning: {}", redact::redact(&warning.to_string()));
    }
    if errors == 0 {
        let c = &loaded.config;
        let platforms: Vec<&str> = [("slack", c.slack.enabled), ("matrix", c.matrix.enabled)]
            .into_iter()
            .filter_map(|(n, on)| on.then_some(n))
            .collect();
        let ok = format!(
            "Configuration OK (from {source}). Database: {}. Platforms: {}.",
            redact_url(&c.database.url),
            if platforms.is_empty() {
                "none enabled (the console works without)".to_string()
            } else {
                platforms.join(", ")
            }
        );
        println!("{}", redact::redact(&ok));
        ExitCode::SUCCESS
    } else {
        println!(
            "{} in the configuration from {source}.",
            ambassador_core::program::count(errors, "problem", "problems")
        );
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://bot:s3cret@db:5432/amb"),
            "postgres://bot:***@db:5432/amb"
        );
        assert_eq!(
            redact_url("sqlite://ambassador-bot.db"),
            "sqlite://ambassador-bot.db"
        );
    }
}
