//! A small metrics registry rendered in the Prometheus text format (version 0.0.4): counters and
//! one latency histogram kept in memory, gauges read from the store at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Commands (inbound requests) handled, by platform, command and HTTP status.
pub const COMMANDS: &str = "ambassador_commands_handled_total";
/// Time to answer an inbound request, by platform.
pub const COMMAND_LATENCY: &str = "ambassador_command_duration_seconds";
/// Outbox sends by platform and result (ok, rate_limited, retried, failed).
pub const SENDS: &str = "ambassador_outbox_sends_total";
/// Scheduler runs by job and result (ran, skipped, error).
pub const SCHEDULER_RUNS: &str = "ambassador_scheduler_runs_total";

const HELP: &[(&str, &str, &str)] = &[
    (
        COMMANDS,
        "counter",
        "Inbound commands and events handled, by platform, command and HTTP status.",
    ),
    (
        COMMAND_LATENCY,
        "histogram",
        "Time to answer an inbound command or event, by platform.",
    ),
    (
        SENDS,
        "counter",
        "Outbox send attempts by platform and result (ok, rate_limited, retried, failed).",
    ),
    (
        SCHEDULER_RUNS,
        "counter",
        "Scheduled occurrences by job and result (ran, skipped, error).",
    ),
];

const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

type Labels = Vec<(String, String)>;

#[derive(Default)]
struct Inner {
    counters: BTreeMap<&'static str, BTreeMap<Labels, u64>>,
    histograms: BTreeMap<&'static str, BTreeMap<Labels, Histogram>>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn label_text(labels: &Labels, extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// A gauge read at scrape time.
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub value: f64,
}

impl Metrics {
    pub fn inc(&self, name: &'static str, pairs: &[(&str, &str)], by: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner
            .counters
            .entry(name)
            .or_default()
            .entry(labels(pairs))
            .or_default() += by;
    }

    pub fn observe(&self, name: &'static str, pairs: &[(&str, &str)], seconds: f64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let h = inner
            .histograms
            .entry(name)
            .or_default()
            .entry(labels(pairs))
            .or_insert_with(|| Histogram {
                buckets: vec![0; BUCKETS.len()],
                ..Histogram::default()
            });
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.buckets[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// Every family, with HELP and TYPE lines even before its first sample.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for (name, kind, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            if let Some(series) = inner.counters.get(name) {
                for (l, v) in series {
                    let _ = writeln!(out, "{name}{} {v}", label_text(l, None));
                }
            }
            if let Some(series) = inner.histograms.get(name) {
                for (l, h) in series {
                    for (le, n) in BUCKETS.iter().zip(&h.buckets) {
                        let _ = writeln!(
                            out,
                            "{name}_bucket{} {n}",
                            label_text(l, Some(("le", le.to_string())))
                        );
                    }
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {}",
                        label_text(l, Some(("le", "+Inf".into()))),
                        h.count
                    );
                    let _ = writeln!(out, "{name}_sum{} {}", label_text(l, None), h.sum);
                    let _ = writeln!(out, "{name}_count{} {}", label_text(l, None), h.count);
                }
            }
        }
        for g in gauges {
            let _ = writeln!(
                out,
                "# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}",
                g.name, g.help, g.value
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.inc(SENDS, &[("platform", "slack"), ("result", "ok")], 2);
        m.observe(COMMAND_LATENCY, &[("platform", "slack")], 0.03);
        let text = m.render(&[Gauge {
            name: "ambassador_outbox_pending",
            help: "Messages waiting.",
            value: 3.0,
        }]);
        assert!(text.contains("ambassador_outbox_sends_total{platform=\"slack\",result=\"ok\"} 2"));
        assert!(text.contains(
            "ambassador_command_duration_seconds_bucket{platform=\"slack\",le=\"0.05\"} 1"
        ));
        assert!(text.contains(
            "ambassador_command_duration_seconds_bucket{platform=\"slack\",le=\"0.025\"} 0"
        ));
        assert!(text.contains("# TYPE ambassador_scheduler_runs_total counter"));
        assert!(text.contains("ambassador_outbox_pending 3"));
    }
}
