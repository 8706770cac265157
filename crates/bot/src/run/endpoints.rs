//! `/readyz`, `/metrics`, and the labels commands and jobs are counted under.

use super::*;
use ambassador_core::store_ports::*;

/// 200 when the database answers (and accepts writes, when the latest write failed with a storage
/// fault) and the adapters are connected; 503 with the reason otherwise.
pub(super) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
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
    // The latest write failed for a full disk, a read-only database or an I/O error: not ready
    // until a write goes through again (one small write per probe, only while the fault lasts).
    if let Some(fault) = state.program.store.write_fault() {
        match tokio::time::timeout(Duration::from_secs(2), state.program.store.probe_write()).await
        {
            Ok(Ok(())) => tracing::info!("readiness: the database accepts writes again"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: the database does not accept writes");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("database does not accept writes ({fault})"),
                )
                    .into_response();
            }
            Err(_) => {
                return (StatusCode::SERVICE_UNAVAILABLE, "database too slow").into_response();
            }
        }
    }
    // With Matrix, one replica syncs (it holds the lease) and is ready once synced; a standby is
    // ready while another replica holds the lease, since it serves Slack and sends the outbox.
    if let (Some(ready), Some(holding)) = (&state.matrix_ready, &state.matrix_lease) {
        if *holding.borrow() {
            if !*ready.borrow() {
                return (StatusCode::SERVICE_UNAVAILABLE, "matrix not synced yet").into_response();
            }
        } else {
            match state
                .program
                .store
                .lease_holder(MATRIX_LEASE, Utc::now())
                .await
            {
                Ok(Some((holder, _))) if holder != state.holder => {}
                Ok(_) => {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "matrix sync not running on any replica",
                    )
                        .into_response();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "readiness: cannot read the matrix sync lease");
                    return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
                        .into_response();
                }
            }
        }
    }
    (StatusCode::OK, "ready").into_response()
}

pub(super) async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
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
    if let Some(r) = checkin_response(&state).await {
        gauges.push(Gauge {
            name: "ambassador_checkin_answered",
            help: "Answered check-ins of the latest closed round.",
            value: r.answered.into(),
        });
        gauges.push(Gauge {
            name: "ambassador_checkin_expected",
            help: "Check-ins of the latest closed round expected to be answered (prompted, less skipped and paused).",
            value: r.expected.into(),
        });
        if let Some(ratio) = r.ratio() {
            gauges.push(Gauge {
                name: "ambassador_checkin_response_ratio",
                help: "Check-in response rate of the latest closed round: answered / expected (0 to 1).",
                value: ratio,
            });
        }
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

/// The latest closed check-in round's response, read from the store at most every
/// [`CHECKIN_RATE_TTL`] (a round of a large organization is many rows).
pub(super) async fn checkin_response(state: &AppState) -> Option<CheckinResponse> {
    let mut cached = state.checkin_response.lock().await;
    if let Some((at, value)) = *cached
        && at.elapsed() < CHECKIN_RATE_TTL
    {
        return value;
    }
    let program = &state.program;
    let from = program.today() - chrono::Duration::days(CHECKIN_RATE_WINDOW_DAYS);
    let filter = CheckinFilter {
        from_round: Some(from),
        ..CheckinFilter::default()
    };
    match program.store.checkins(&filter).await {
        Ok(entries) => {
            let value = CheckinResponse::latest_closed(&entries, program.clock.now());
            *cached = Some((Instant::now(), value));
            value
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the check-ins");
            cached.and_then(|(_, value)| value)
        }
    }
}

/// The command label of a Matrix command: the slash form of a known command (`!kudos` →
/// `/kudos`, like on Slack), `direct_message` for plain text in a direct room (a check-in
/// answer), else `other` (so that chat cannot grow the label set).
pub(super) fn matrix_command_label(word: &str) -> &'static str {
    if word.is_empty() {
        return "direct_message";
    }
    let name = word.trim_start_matches(['!', '/']).to_lowercase();
    match name.as_str() {
        "ambassadors" | "ambassador" => "/ambassadors",
        "kudos" => "/kudos",
        "checkin" | "check-in" => "/checkin",
        _ => "other",
    }
}

/// Counts a command the Matrix adapter handled and times it.
pub(super) fn count_matrix(metrics: &Metrics, handled: &CommandHandled) {
    metrics.inc(
        metrics::COMMANDS,
        &[
            ("platform", "matrix"),
            ("command", matrix_command_label(&handled.command)),
            ("status", handled.result),
        ],
        1,
    );
    metrics.observe(
        metrics::COMMAND_LATENCY,
        &[("platform", "matrix")],
        handled.elapsed.as_secs_f64(),
    );
}

/// A slash command as a metric label: the command when it looks like one, else `other`.
pub(super) fn slash_command_label(command: Option<String>) -> String {
    command
        .filter(|c| {
            c.len() <= 32
                && c.starts_with('/')
                && c[1..]
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        })
        .unwrap_or_else(|| "other".into())
}

/// Counts a delivery the Slack adapter handled (over HTTP: with its status code; over Socket Mode:
/// `ack`) by command and status, and times it.
pub(super) fn count_slack(metrics: &Metrics, handled: &DeliveryHandled) {
    let command = match handled.kind.as_str() {
        "slash_commands" => slash_command_label(handled.command.clone()),
        "events_api" => "event".into(),
        "interactive" => "interaction".into(),
        _ => "other".into(),
    };
    metrics.inc(
        metrics::COMMANDS,
        &[
            ("platform", "slack"),
            ("command", &command),
            ("status", &handled.status),
        ],
        1,
    );
    metrics.observe(
        metrics::COMMAND_LATENCY,
        &[("platform", "slack")],
        handled.elapsed.as_secs_f64(),
    );
}
