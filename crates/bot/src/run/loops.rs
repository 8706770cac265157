//! The scheduler loop and one outbox dispatch loop per platform.

use super::*;

pub(super) async fn scheduler_loop(
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
        shutdown
            .sleep(
                program
                    .clock
                    .real(TICK_EVERY)
                    .max(Duration::from_millis(100)),
            )
            .await;
    }
    Ok(())
}

/// A job name without its time zone or other details, as a metric label (`checkin@Europe/Berlin`
/// → `checkin`), so the label set stays small.
pub(super) fn job_family(job: &str) -> &str {
    job.split(['@', ':', '/', ' ']).next().unwrap_or(job)
}

/// Sends one platform's outbox: a batch, then again at once while there is work, else waits for
/// the platform's rate-limit pause or [`IDLE_WAIT`].
pub(super) async fn dispatch_loop<M: Messenger>(
    dispatcher: Dispatcher<M>,
    program: Arc<RunProgram>,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
    idle_wait: Duration,
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
                        program.clock.real(
                            (until - program.clock.now())
                                .to_std()
                                .unwrap_or(Duration::from_millis(10))
                                .min(Duration::from_secs(300)),
                        )
                    }
                    None if report.claimed > 0 => Duration::ZERO,
                    None => idle_wait,
                }
            }
            Err(e) => {
                failures += 1;
                tracing::error!(platform = %platform, error = %e, failures, "the outbox could not be read");
                if failures >= MAX_FAILURES_IN_A_ROW {
                    return Err(anyhow::Error::new(e)
                        .context(format!("the {platform} outbox failed repeatedly")));
                }
                idle_wait * 2u32.pow(failures)
            }
        };
        if !wait.is_zero() {
            shutdown.sleep(wait).await;
        }
    }
    Ok(())
}
