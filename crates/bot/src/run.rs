//! `ambassador-bot run`: the adapters that are configured, the HTTP server (Slack endpoints,
//! health, metrics), the scheduler and one outbox dispatcher per platform, in one process.
//!
//! Every long-running loop is joined in one place: a loop that fails ends the process (the
//! supervisor restarts it); SIGTERM/SIGINT stops taking work, lets each loop finish its current
//! step and exits 0, or gives up after [`SHUTDOWN_TIMEOUT`].

use crate::config::Config;
use crate::metrics::{self, Gauge, Metrics};
use ambassador_core::{Clock, Dispatcher, Messenger, Program, SendError, Store, SystemClock};
use ambassador_matrix::{Credentials, MatrixBot, MatrixSettings};
use ambassador_slack::{SlackApp, SlackClient, SlackMessenger, SlackSettings};
use ambassador_store::SqlStore;
use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

type RunProgram = Program<SqlStore, SystemClock>;

/// How often the scheduler looks for due occurrences.
const TICK_EVERY: Duration = Duration::from_secs(15);
/// How long an idle dispatcher waits before looking at the outbox again.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// How long the loops get to finish their current step after SIGTERM/SIGINT.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// Store failures in a row before a loop gives up (and ends the process).
const MAX_FAILURES_IN_A_ROW: u32 = 5;

/// What to say when no platform is enabled.
pub const NO_PLATFORM: &str = "no chat platform is enabled, so there is nothing to run. Enable Slack (slack.enabled = true with slack.bot_token and slack.signing_secret, or AMBASSADOR_BOT__SLACK__ENABLED=true ...) and/or Matrix (matrix.enabled = true with matrix.homeserver, matrix.user and matrix.password or matrix.access_token) in bot-config.toml or the environment; `ambassador-bot check-config` checks it. To try the bot without a chat platform, use `ambassador-bot console --demo`.";

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
    shutdown: Shutdown,
}

pub async fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    if !cfg.slack.enabled && !cfg.matrix.enabled {
        anyhow::bail!(NO_PLATFORM);
    }
    let problems = cfg.problems();
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "the configuration has {} problem(s): {} (see `ambassador-bot check-config`)",
            list.len(),
            list.join("; ")
        );
    }
    let settings = cfg.settings()?;
    let dispatch = cfg.dispatch()?;
    let store = crate::open_store(cfg).await?;
    let program = Arc::new(Program::new(store, SystemClock, settings));
    let metrics = Arc::new(Metrics::default());
    let (tx, rx) = watch::channel(false);
    let shutdown = Shutdown(rx);

    // Slack: its endpoints go on the HTTP server, its messenger to a dispatcher.
    let mut router = Router::new();
    let mut slack_messenger = None;
    if cfg.slack.enabled {
        let mut s = SlackSettings::new(&cfg.slack.signing_secret.0, &cfg.slack.bot_token.0);
        s.api_base = cfg.slack.api_base_url.trim().to_string();
        let client = SlackClient::new(&s.api_base, s.bot_token.clone());
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
        let app = SlackApp::new(program.clone(), s);
        router = router.merge(ambassador_slack::router(app).layer(
            axum::middleware::from_fn_with_state(metrics.clone(), count_slack),
        ));
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
        let bot = MatrixBot::login(s)
            .await
            .with_context(|| format!("cannot sign in to Matrix at {}", m.homeserver.trim()))?;
        tracing::info!(user = %bot.user_id(), "matrix adapter signed in");
        Some(Arc::new(bot))
    } else {
        None
    };

    let state = Arc::new(AppState {
        program: program.clone(),
        metrics: metrics.clone(),
        matrix_ready: matrix.as_ref().map(|b| b.ready()),
        shutdown: shutdown.clone(),
    });
    let router = router.merge(
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            .with_state(state),
    );
    let listen = cfg.http.listen.trim();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (http.listen)"))?;
    tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "http server listening");

    let http = {
        let shutdown = shutdown.clone();
        async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown.wait())
                .await
                .context("the HTTP server failed")
        }
    };
    let scheduler = scheduler_loop(program.clone(), metrics.clone(), shutdown.clone());
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
                    dispatch_loop(Dispatcher::new(m, dispatch), program, metrics, shutdown).await
                }
                None => Ok(()),
            }
        }
    };
    let matrix_dispatch = {
        let (program, metrics, shutdown) = (program.clone(), metrics.clone(), shutdown.clone());
        let messenger = matrix.as_ref().map(|b| b.messenger());
        async move {
            match messenger {
                Some(m) => {
                    dispatch_loop(Dispatcher::new(m, dispatch), program, metrics, shutdown).await
                }
                None => Ok(()),
            }
        }
    };
    let matrix_sync = {
        let (program, shutdown) = (program.clone(), shutdown.clone());
        async move {
            match matrix {
                Some(bot) => bot
                    .run(program, shutdown.wait())
                    .await
                    .context("the Matrix sync failed"),
                None => Ok(()),
            }
        }
    };

    let loops = async {
        tokio::try_join!(
            watch_loop("http server", &shutdown, http),
            watch_loop("scheduler", &shutdown, scheduler),
            watch_loop("slack outbox", &shutdown, slack_dispatch),
            watch_loop("matrix outbox", &shutdown, matrix_dispatch),
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

/// Runs the due scheduled occurrences every [`TICK_EVERY`].
async fn scheduler_loop(
    program: Arc<RunProgram>,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let mut failures = 0;
    while !shutdown.requested() {
        match program.tick().await {
            Ok(report) => {
                failures = 0;
                for (job, occurrence) in &report.ran {
                    tracing::info!(%job, %occurrence, "scheduled job ran");
                    metrics.inc(
                        metrics::SCHEDULER_RUNS,
                        &[("job", job_family(job)), ("result", "ran")],
                        1,
                    );
                }
                for (job, occurrence) in &report.skipped {
                    tracing::warn!(%job, %occurrence, "occurrence skipped: found past the grace window (the bot was down)");
                    metrics.inc(
                        metrics::SCHEDULER_RUNS,
                        &[("job", job_family(job)), ("result", "skipped")],
                        1,
                    );
                }
            }
            Err(e) => {
                failures += 1;
                metrics.inc(
                    metrics::SCHEDULER_RUNS,
                    &[("job", "tick"), ("result", "error")],
                    1,
                );
                tracing::error!(error = %e, failures, "the scheduler could not run");
                if failures >= MAX_FAILURES_IN_A_ROW {
                    return Err(anyhow::Error::new(e).context("the scheduler failed repeatedly"));
                }
            }
        }
        shutdown.sleep(TICK_EVERY).await;
    }
    Ok(())
}

/// A job name without its time zone or other details, as a metric label (`checkin@Europe/Berlin`
/// → `checkin`), so the label set stays small.
fn job_family(job: &str) -> &str {
    job.split(['@', ':', '/', ' ']).next().unwrap_or(job)
}

/// Sends one platform's outbox: a batch, then again at once while there is work, else waits for
/// the platform's rate-limit pause or [`IDLE_WAIT`].
async fn dispatch_loop<M: Messenger>(
    dispatcher: Dispatcher<M>,
    program: Arc<RunProgram>,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let platform = dispatcher.platform().to_string();
    let mut failures = 0;
    while !shutdown.requested() {
        let wait = match dispatcher
            .dispatch_once(&program.store, &program.clock)
            .await
        {
            Ok(report) => {
                failures = 0;
                let p = platform.as_str();
                for (result, n) in [
                    ("ok", report.sent),
                    ("failed", report.failed),
                    (
                        "retried",
                        report
                            .retried
                            .saturating_sub(u32::from(report.rate_limited_until.is_some())),
                    ),
                ] {
                    if n > 0 {
                        metrics.inc(
                            metrics::SENDS,
                            &[("platform", p), ("result", result)],
                            n.into(),
                        );
                    }
                }
                for (key, error) in &report.dead {
                    tracing::error!(platform = p, %key, %error, "message given up on");
                }
                match report.rate_limited_until {
                    Some(until) => {
                        if report.claimed > 0 {
                            metrics.inc(
                                metrics::SENDS,
                                &[("platform", p), ("result", "rate_limited")],
                                1,
                            );
                            tracing::warn!(platform = p, %until, "rate limited by the platform");
                        }
                        (until - program.clock.now())
                            .to_std()
                            .unwrap_or(Duration::from_millis(10))
                            .min(Duration::from_secs(300))
                    }
                    None if report.claimed > 0 => Duration::ZERO,
                    None => IDLE_WAIT,
                }
            }
            Err(e) => {
                failures += 1;
                tracing::error!(platform = %platform, error = %e, failures, "the outbox could not be read");
                if failures >= MAX_FAILURES_IN_A_ROW {
                    return Err(anyhow::Error::new(e)
                        .context(format!("the {platform} outbox failed repeatedly")));
                }
                IDLE_WAIT * 2u32.pow(failures)
            }
        };
        if !wait.is_zero() {
            shutdown.sleep(wait).await;
        }
    }
    Ok(())
}

/// 200 when the database answers and the adapters are connected; 503 with the reason otherwise.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.shutdown.requested() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match tokio::time::timeout(Duration::from_secs(2), state.program.store.outbox_stats()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
        }
        Err(_) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "database too slow").into_response();
        }
    }
    if let Some(ready) = &state.matrix_ready
        && !*ready.borrow()
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "matrix not synced yet").into_response();
    }
    (StatusCode::OK, "ready").into_response()
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    let store = &state.program.store;
    let mut gauges = Vec::new();
    let now = state.program.clock.now();
    match store.outbox_stats().await {
        Ok(stats) => {
            gauges.push(Gauge {
                name: "ambassador_outbox_pending",
                help: "Outbox messages waiting to be sent.",
                value: stats.pending as f64,
            });
            gauges.push(Gauge {
                name: "ambassador_outbox_failed",
                help: "Outbox messages given up on.",
                value: stats.failed as f64,
            });
            gauges.push(Gauge {
                name: "ambassador_outbox_oldest_pending_age_seconds",
                help: "Age of the oldest pending outbox message (0 when none).",
                value: stats
                    .oldest_pending
                    .map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
                    .unwrap_or(0.0),
            });
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox"),
    }
    match store.coverage_counts().await {
        Ok((covered, total)) => {
            gauges.push(Gauge {
                name: "ambassador_departments_covered",
                help: "Departments with at least one active ambassador.",
                value: covered.into(),
            });
            gauges.push(Gauge {
                name: "ambassador_departments",
                help: "Departments in the org map.",
                value: total.into(),
            });
            gauges.push(Gauge {
                name: "ambassador_coverage_ratio",
                help: "Share of departments with at least one active ambassador (0 to 1).",
                value: if total == 0 {
                    0.0
                } else {
                    f64::from(covered) / f64::from(total)
                },
            });
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the coverage"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges),
    )
        .into_response()
}

/// Counts Slack requests by command and status and times them. The body is read here (Slack's
/// bodies are small) to learn the slash command, then handed on untouched.
async fn count_slack(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, 1 << 20).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response(),
    };
    let command = match parts.uri.path() {
        "/slack/commands" => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|form| form.into_iter().find(|(k, _)| k == "command"))
            .map(|(_, c)| c)
            .filter(|c| {
                c.len() <= 32
                    && c.starts_with('/')
                    && c[1..]
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            })
            .unwrap_or_else(|| "other".into()),
        "/slack/events" => "event".into(),
        "/slack/interactivity" => "interaction".into(),
        _ => "other".into(),
    };
    let started = Instant::now();
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status().as_u16().to_string();
    metrics.inc(
        metrics::COMMANDS,
        &[
            ("platform", "slack"),
            ("command", &command),
            ("status", &status),
        ],
        1,
    );
    metrics.observe(
        metrics::COMMAND_LATENCY,
        &[("platform", "slack")],
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_labels_are_families() {
        assert_eq!(job_family("checkin@Europe/Berlin"), "checkin");
        assert_eq!(job_family("digest"), "digest");
    }
}
