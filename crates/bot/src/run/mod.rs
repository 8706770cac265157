//! `ambassador-bot run`: the adapters that are configured, the HTTP server (Slack endpoints,
//! health, metrics), the scheduler and one outbox dispatcher per platform, in one process.
//!
//! Every long-running loop is joined in one place: a loop that fails ends the process (the
//! supervisor restarts it); SIGTERM/SIGINT stops taking work, lets each loop finish its current
//! step and exits 0, or gives up after [`SHUTDOWN_TIMEOUT`].
//!
//! This file wires the parts and joins the loops; [`loops`] holds the scheduler and outbox
//! dispatch loops, [`lease`] the lease that lets one replica run the Matrix sync, and
//! [`endpoints`] readiness, metrics and the labels commands are counted under.

use crate::config::Config;
use crate::metrics::{self, CheckinResponse, Gauge, Metrics};
use ambassador_core::{CheckinFilter, Clock, Dispatcher, Messenger, Program, SendError};
use ambassador_matrix::{CommandHandled, Credentials, MatrixBot, MatrixSettings};
use ambassador_slack::{DeliveryHandled, SlackApp, SlackMessenger, SlackSettings, SocketSettings};
use ambassador_store::SqlStore;
use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

mod endpoints;
mod lease;
mod loops;

use endpoints::*;
use lease::*;
use loops::*;

type RunProgram = Program<SqlStore, RunClock>;

/// How often the scheduler looks for due occurrences.
const TICK_EVERY: Duration = Duration::from_secs(15);
/// How long an idle dispatcher waits before looking at the outbox again.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// How long the loops get to finish their current step after SIGTERM/SIGINT.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the check-in response rate is reused before `/metrics` reads the store again.
const CHECKIN_RATE_TTL: Duration = Duration::from_secs(60);
/// How far back `/metrics` looks for the latest closed check-in round (a monthly schedule has
/// rounds up to five weeks apart).
const CHECKIN_RATE_WINDOW_DAYS: i64 = 42;
/// Store failures in a row before a loop gives up (and ends the process).
const MAX_FAILURES_IN_A_ROW: u32 = 5;
/// The lease that lets one replica at a time run the Matrix sync.
const MATRIX_LEASE: &str = "matrix-sync";
/// How the Matrix sync lease is held: it runs out [`LeaseTimes::ttl`] after its last renewal, so a
/// replica that dies leaves it to another within that time.
const MATRIX_LEASE_TIMES: LeaseTimes = LeaseTimes {
    ttl: Duration::from_secs(30),
    renew_every: Duration::from_secs(10),
    standby_poll: Duration::from_secs(5),
};

/// The clock `run` goes by: the system clock, or (a testing aid, from the hidden `--sim-clock`,
/// `--sim-speed` and `--sim-epoch` options) a simulated one that runs `speed` times faster than
/// the real time and showed `start` at the real instant `epoch`. Replicas given the same three
/// values show the same time.
#[derive(Clone, Copy, Debug)]
pub enum RunClock {
    System,
    Accelerated {
        start: DateTime<Utc>,
        epoch: DateTime<Utc>,
        speed: f64,
    },
}

impl RunClock {
    /// How long `d` on this clock lasts in real time.
    fn real(&self, d: Duration) -> Duration {
        match self {
            RunClock::System => d,
            RunClock::Accelerated { speed, .. } => d.div_f64(*speed),
        }
    }

    /// How much of this clock's time passes in the real duration `d`.
    fn scaled(&self, d: chrono::Duration) -> chrono::Duration {
        match self {
            RunClock::System => d,
            RunClock::Accelerated { speed, .. } => chrono::Duration::microseconds(
                (d.num_microseconds().unwrap_or(i64::MAX) as f64 * speed) as i64,
            ),
        }
    }
}

impl Clock for RunClock {
    fn now(&self) -> DateTime<Utc> {
        match self {
            RunClock::System => Utc::now(),
            RunClock::Accelerated {
                start,
                epoch,
                speed,
            } => {
                let real = (Utc::now() - *epoch).num_microseconds().unwrap_or(0);
                *start + chrono::Duration::microseconds((real as f64 * speed) as i64)
            }
        }
    }
}

/// What to say when no platform is enabled.
pub const NO_PLATFORM: &str = "no chat platform is enabled, so there is nothing to run. Enable Slack (slack.enabled = true with slack.bot_token and slack.signing_secret, or slack.mode = \"socket\" with slack.app_token; or AMBASSADOR_BOT__SLACK__ENABLED=true ...) and/or Matrix (matrix.enabled = true with matrix.homeserver, matrix.user and matrix.password or matrix.access_token) in bot-config.toml or the environment; `ambassador-bot check-config` checks it. To try the bot without a chat platform, use `ambassador-bot console --demo`.";

/// The shutdown signal: false while running, true once SIGTERM/SIGINT arrived.
#[derive(Clone)]
struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when shutdown is requested.
    fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            let _ = rx.wait_for(|v| *v).await;
        }
    }

    /// Sleeps `d`, or less when shutdown is requested.
    async fn sleep(&self, d: Duration) {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.wait() => {}
        }
    }
}

async fn signals(tx: watch::Sender<bool>) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "shutting down: finishing the current work");
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        tracing::info!("shutting down: finishing the current work");
    }
    let _ = tx.send(true);
    Ok(())
}

/// Shared by the HTTP handlers.
struct AppState {
    program: Arc<RunProgram>,
    metrics: Arc<Metrics>,
    matrix_ready: Option<watch::Receiver<bool>>,
    /// Whether this replica holds the Matrix sync lease (with Matrix enabled).
    matrix_lease: Option<watch::Receiver<bool>>,
    /// This replica's name as a lease holder.
    holder: String,
    shutdown: Shutdown,
    /// The latest closed check-in round's response, and when it was read.
    checkin_response: tokio::sync::Mutex<Option<(Instant, Option<CheckinResponse>)>>,
}

/// A name for this replica as a lease holder: the host, the process id, and the start time (a
/// restarted process with a recycled pid is still someone else).
fn holder_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!(
        "{host}/{}/{}",
        std::process::id(),
        Utc::now().timestamp_micros()
    )
}

pub async fn run(cfg: &Config, clock: RunClock) -> anyhow::Result<ExitCode> {
    if !cfg.slack.enabled && !cfg.matrix.enabled {
        anyhow::bail!(NO_PLATFORM);
    }
    for warning in cfg.warnings() {
        tracing::warn!(key = %warning.key, "{}", warning.message);
    }
    cfg.ensure_runnable()?;
    let settings = cfg.settings()?;
    let mut dispatch = cfg.dispatch()?;
    if let RunClock::Accelerated { start, speed, .. } = clock {
        // The outbox's lease and backoffs are about real processes and platforms: they keep
        // their real length on a fast clock.
        dispatch.lease = clock.scaled(dispatch.lease);
        dispatch.base_backoff = clock.scaled(dispatch.base_backoff);
        dispatch.max_backoff = clock.scaled(dispatch.max_backoff);
        tracing::warn!(%start, speed, "running on a simulated clock (a testing aid; Slack signatures are checked against it)");
    }
    let store = crate::open_store(cfg).await?;
    let program = Arc::new(Program::new(store, clock, settings));
    let holder = holder_name();
    let metrics = Arc::new(Metrics::default());
    let (tx, rx) = watch::channel(false);
    let shutdown = Shutdown(rx);

    // Slack: its endpoints go on the HTTP server, its messenger to a dispatcher.
    let mut router = Router::new();
    let mut slack_messenger = None;
    let mut slack_socket = None;
    if cfg.slack.enabled {
        let mut s = SlackSettings::new(&cfg.slack.signing_secret.0, &cfg.slack.bot_token.0);
        s.api_base = cfg.slack.api_base_url.trim().to_string();
        s.kudos_reaction = Some(
            cfg.slack
                .kudos_reaction
                .trim()
                .trim_matches(':')
                .to_string(),
        )
        .filter(|k| !k.is_empty());
        s.rate_control = cfg.slack.rate_control;
        let client = s.client();
        s.bot_user_id = match cfg.slack.bot_user_id.trim() {
            "" => match client.bot_user_id().await {
                Ok(id) => Some(id),
                Err(SendError::Permanent(e)) => anyhow::bail!(
                    "Slack refused the bot token (auth.test: {e}): check slack.bot_token"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot ask Slack for the bot's user id (auth.test); set slack.bot_user_id to skip it");
                    None
                }
            },
            id => Some(id.to_string()),
        };
        tracing::info!(bot_user_id = ?s.bot_user_id, api = %s.api_base, "slack adapter enabled");
        let app = SlackApp::with_client(program.clone(), s, client.clone());
        let counted = metrics.clone();
        app.on_handled(Arc::new(move |handled: &DeliveryHandled| {
            count_slack(&counted, handled)
        }));
        if cfg.slack.mode.trim() == "socket" {
            // Socket Mode: Slack's deliveries come over a WebSocket; no Slack endpoints served.
            tracing::info!("slack: Socket Mode");
            slack_socket = Some((app, SocketSettings::new(&cfg.slack.app_token.0)));
        } else {
            router = router.merge(ambassador_slack::router(app));
        }
        slack_messenger = Some(SlackMessenger::new(client));
    }

    // Matrix: log in now, so that bad credentials stop the start with a clear message.
    let matrix = if cfg.matrix.enabled {
        let m = &cfg.matrix;
        let credentials = if m.access_token.is_empty() {
            Credentials::Password(m.password.0.clone())
        } else {
            Credentials::AccessToken(m.access_token.0.clone())
        };
        let mut s = MatrixSettings::new(
            m.homeserver.trim(),
            m.user.trim(),
            credentials,
            m.store_dir.trim(),
        );
        s.device_name = m.device_name.clone();
        s.allowed_servers = m.allowed_servers.clone();
        s.allowed_rooms = m.allowed_rooms.clone();
        s.kudos_reaction = Some(m.kudos_reaction.trim().to_string()).filter(|k| !k.is_empty());
        let mut bot = MatrixBot::login(s)
            .await
            .with_context(|| format!("cannot sign in to Matrix at {}", m.homeserver.trim()))?;
        let counted = metrics.clone();
        bot.on_command(Arc::new(move |handled: &CommandHandled| {
            count_matrix(&counted, handled);
        }));
        tracing::info!(user = %bot.user_id(), "matrix adapter signed in");
        Some(Arc::new(bot))
    } else {
        None
    };

    let (lease_tx, lease_rx) = watch::channel(false);
    let state = Arc::new(AppState {
        program: program.clone(),
        metrics: metrics.clone(),
        matrix_ready: matrix.as_ref().map(|b| b.ready()),
        matrix_lease: matrix.as_ref().map(|_| lease_rx),
        holder: holder.clone(),
        shutdown: shutdown.clone(),
        checkin_response: tokio::sync::Mutex::new(None),
    });
    if cfg.dashboard.enabled {
        let secure_cookie = !cfg
            .dashboard
            .base()
            .is_some_and(|base| crate::config::is_loopback_http(&base));
        router = router.merge(crate::dashboard::router(Arc::new(
            crate::dashboard::Dashboard {
                program: program.clone(),
                secure_cookie,
            },
        )));
        match cfg.dashboard.base() {
            Some(base) => tracing::info!(%base, "dashboard served under /dashboard"),
            None => tracing::info!(
                "dashboard served under /dashboard; set dashboard.base_url for the sign-in links"
            ),
        }
    }
    let router = router.merge(
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            .with_state(state),
    );
    // `problems()` above refused limits out of range.
    let limits = cfg.http.limits().map_err(|wrong| {
        anyhow::anyhow!(
            "{}",
            wrong
                .iter()
                .map(|(key, message)| format!("{key}: {message}"))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let listen = cfg.http.listen.trim();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (http.listen)"))?;
    tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "http server listening");

    let http = {
        let shutdown = shutdown.clone();
        async move {
            crate::serve::serve(listener, router, limits, shutdown.wait()).await;
            anyhow::Ok(())
        }
    };
    let scheduler = scheduler_loop(program.clone(), metrics.clone(), shutdown.clone());
    // On a fast clock the loops look more often, so that nothing falls past the grace window.
    let idle_wait = clock.real(IDLE_WAIT).max(Duration::from_millis(50));
    let slack_dispatch = {
        let (program, metrics, shutdown, dispatch) = (
            program.clone(),
            metrics.clone(),
            shutdown.clone(),
            dispatch.clone(),
        );
        async move {
            match slack_messenger {
                Some(m) => {
                    dispatch_loop(
                        Dispatcher::new(m, dispatch),
                        program,
                        metrics,
                        shutdown,
                        idle_wait,
                    )
                    .await
                }
                None => Ok(()),
            }
        }
    };
    let slack_socket = {
        let shutdown = shutdown.clone();
        async move {
            let Some((app, settings)) = slack_socket else {
                return Ok(());
            };
            tokio::select! {
                () = ambassador_slack::socket::run(app, settings) => {
                    anyhow::bail!("the Slack Socket Mode client stopped")
                }
                () = shutdown.wait() => Ok(()),
            }
        }
    };
    let matrix_sync = {
        let (program, metrics, shutdown, holder) = (
            program.clone(),
            metrics.clone(),
            shutdown.clone(),
            holder.clone(),
        );
        async move {
            let Some(bot) = matrix else { return Ok(()) };
            // Only the replica holding the lease syncs and sends the Matrix outbox: sending needs
            // the rooms, direct rooms and keys a current sync knows. The others wait to take over.
            let store = program.store.clone();
            with_lease(
                &store,
                MATRIX_LEASE,
                &holder,
                MATRIX_LEASE_TIMES,
                &lease_tx,
                &shutdown,
                |stop| {
                    let (bot, program, metrics, dispatch) = (
                        bot.clone(),
                        program.clone(),
                        metrics.clone(),
                        dispatch.clone(),
                    );
                    async move {
                        let (stop_tx, stop_rx) = watch::channel(false);
                        let local = Shutdown(stop_rx);
                        let sync = async {
                            bot.run(program.clone(), local.wait())
                                .await
                                .context("the Matrix sync failed")
                        };
                        let send = async {
                            // After the first sync of this turn: until then the rooms may be stale.
                            let mut ready = bot.ready();
                            tokio::select! {
                                _ = ready.wait_for(|r| *r) => {}
                                () = local.wait() => return Ok(()),
                            }
                            dispatch_loop(
                                Dispatcher::new(bot.messenger(), dispatch),
                                program.clone(),
                                metrics,
                                local.clone(),
                                idle_wait,
                            )
                            .await
                        };
                        let mut both = std::pin::pin!(async { tokio::try_join!(sync, send) });
                        tokio::select! {
                            r = &mut both => r.map(|_| ()),
                            () = stop => {
                                stop_tx.send_replace(true);
                                both.await.map(|_| ())
                            }
                        }
                    }
                },
            )
            .await
        }
    };

    let loops = async {
        tokio::try_join!(
            watch_loop("http server", &shutdown, http),
            watch_loop("scheduler", &shutdown, scheduler),
            watch_loop("slack outbox", &shutdown, slack_dispatch),
            watch_loop("slack socket mode", &shutdown, slack_socket),
            watch_loop("matrix sync", &shutdown, matrix_sync),
        )
    };
    let mut loops = std::pin::pin!(loops);
    tracing::info!("ambassador-bot is running");
    let result = tokio::select! {
        r = &mut loops => r.map(|_| ()),
        r = signals(tx) => {
            r?;
            match tokio::time::timeout(SHUTDOWN_TIMEOUT, &mut loops).await {
                Ok(r) => r.map(|_| ()),
                Err(_) => {
                    tracing::warn!(timeout = ?SHUTDOWN_TIMEOUT, "the loops did not finish in time; exiting anyway");
                    Ok(())
                }
            }
        }
    };
    match result {
        Ok(()) => {
            program.store.close().await;
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            tracing::error!(error = %crate::error_chain(&e), "a loop failed; exiting so the supervisor restarts the bot");
            Err(e)
        }
    }
}

/// A loop that ends without a shutdown request is a failure too.
async fn watch_loop(
    name: &'static str,
    shutdown: &Shutdown,
    fut: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    fut.await
        .with_context(|| format!("the {name} loop stopped"))?;
    if !shutdown.requested() {
        // Platforms not configured end at once; only running loops matter.
        if matches!(name, "http server" | "scheduler") {
            anyhow::bail!("the {name} loop stopped unexpectedly");
        }
        shutdown.wait().await;
    }
    tracing::debug!(name, "loop finished");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_clock_runs_from_its_start_at_its_speed() {
        let epoch = Utc::now() - chrono::Duration::seconds(2);
        let start = "2031-05-11T06:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let clock = RunClock::Accelerated {
            start,
            epoch,
            speed: 3600.0,
        };
        let hours = (clock.now() - start).num_minutes() as f64 / 60.0;
        assert!((2.0..2.5).contains(&hours), "{hours} h");
        assert_eq!(
            clock.real(Duration::from_secs(3600)),
            Duration::from_secs(1)
        );
        assert_eq!(
            clock.scaled(chrono::Duration::seconds(2)),
            chrono::Duration::hours(2)
        );
    }

    #[test]
    fn matrix_commands_are_counted_with_a_small_label_set() {
        let m = Metrics::default();
        for (command, result) in [
            ("!kudos", "ok"),
            ("!Ambassadors", "ok"),
            ("/checkin", "error"),
            ("!lunch", "ignored"),
            ("", "ok"),
        ] {
            count_matrix(
                &m,
                &CommandHandled {
                    command: command.into(),
                    result,
                    elapsed: Duration::from_millis(30),
                },
            );
        }
        let text = m.render(&[]);
        for series in [
            "ambassador_commands_handled_total{platform=\"matrix\",command=\"/kudos\",status=\"ok\"} 1",
            "ambassador_commands_handled_total{platform=\"matrix\",command=\"/ambassadors\",status=\"ok\"} 1",
            "ambassador_commands_handled_total{platform=\"matrix\",command=\"/checkin\",status=\"error\"} 1",
            "ambassador_commands_handled_total{platform=\"matrix\",command=\"other\",status=\"ignored\"} 1",
            "ambassador_commands_handled_total{platform=\"matrix\",command=\"direct_message\",status=\"ok\"} 1",
            "ambassador_command_duration_seconds_bucket{platform=\"matrix\",le=\"0.05\"} 5",
            "ambassador_command_duration_seconds_count{platform=\"matrix\"} 5",
        ] {
            assert!(text.contains(series), "{series} missing from\n{text}");
        }
    }

    #[test]
    fn job_labels_are_families() {
        assert_eq!(job_family("checkin@Europe/Berlin"), "checkin");
        assert_eq!(job_family("digest"), "digest");
    }
}
