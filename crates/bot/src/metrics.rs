//! A small metrics registry rendered in the Prometheus text format (version 0.0.4): counters and
//! one latency histogram kept in memory, gauges read from the store at scrape time.

use ambassador_core::program::{ResponseRate, latest_closed_round};
use ambassador_core::{CheckinEntry, RoundId};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Commands (inbound requests) handled, by platform, command and status (the HTTP status on Slack;
/// ok, ignored or error on Matrix).
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
        "Inbound commands and events handled, by platform, command and status (HTTP status on Slack; ok, ignored or error on Matrix).",
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

/// How the latest closed check-in round went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckinResponse {
    pub round: RoundId,
    /// Check-ins of the round that were answered.
    pub answered: u32,
    /// Check-ins of the round that were expected to be answered: prompted − skipped − paused.
    pub expected: u32,
    rate: ResponseRate,
}

impl CheckinResponse {
    /// The latest round among `entries` whose check-ins have all closed by `now`, with the
    /// response rate `/ambassadors checkins` and the digest show for it; `None` when no round
    /// has closed.
    pub fn latest_closed(entries: &[CheckinEntry], now: DateTime<Utc>) -> Option<CheckinResponse> {
        latest_closed_round(entries, now).map(|(round, rate)| CheckinResponse {
            round,
            answered: rate.closed.answered,
            expected: rate.closed.expected(),
            rate,
        })
    }

    /// Answered out of expected, 0 to 1; `None` when nobody was expected (everyone skipped).
    pub fn ratio(&self) -> Option<f64> {
        self.rate.ratio()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ambassador_core::{
        Account, Ambassador, AmbassadorStatus, Checkin, CheckinStatus, Department, Person, Platform,
    };
    use chrono::{NaiveDate, TimeZone};

    fn entry(round: u32, status: CheckinStatus, closes_day: u32) -> CheckinEntry {
        let day = |d: u32| Utc.with_ymd_and_hms(2027, 1, d, 9, 0, 0).unwrap();
        CheckinEntry {
            checkin: Checkin {
                round: NaiveDate::from_ymd_opt(2027, 1, round).unwrap(),
                person: 1,
                status,
                prompted_at: day(round),
                closes_at: day(closes_day),
                reminded_at: None,
                answer: String::new(),
                answered_at: None,
                flagged: false,
            },
            ambassador: Ambassador {
                person: Person {
                    id: 1,
                    account: Account::new(Platform::Console, "ada"),
                    display_name: "ada".into(),
                    time_zone: None,
                    time_zone_chosen: false,
                },
                department: Department {
                    id: 1,
                    name: "Platform".into(),
                    region: "EMEA".into(),
                    headcount: None,
                },
                status: AmbassadorStatus::Active,
                since: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                until: None,
                time_zone: "UTC".into(),
                checkins_paused_until: None,
            },
        }
    }

    #[test]
    fn the_response_rate_is_of_the_latest_round_that_closed() {
        use CheckinStatus::*;
        let entries = vec![
            // Round of the 11th: one check-in still open on the 15th.
            entry(11, Answered, 17),
            entry(11, Open, 14),
            // Round of the 4th: closed; skipped ones are not expected.
            entry(4, Answered, 10),
            entry(4, Missed, 10),
            entry(4, Missed, 10),
            entry(4, Skipped, 10),
        ];
        let now = Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0).unwrap();
        let r = CheckinResponse::latest_closed(&entries, now).unwrap();
        assert_eq!(r.round, NaiveDate::from_ymd_opt(2027, 1, 4).unwrap());
        assert_eq!((r.answered, r.expected), (1, 3));
        assert!((r.ratio().unwrap() - 1.0 / 3.0).abs() < 1e-9);
        let later = Utc.with_ymd_and_hms(2027, 1, 18, 0, 0, 0).unwrap();
        let r = CheckinResponse::latest_closed(&entries, later).unwrap();
        assert_eq!((r.answered, r.expected, r.ratio()), (1, 2, Some(0.5)));
        let early = Utc.with_ymd_and_hms(2027, 1, 9, 0, 0, 0).unwrap();
        assert_eq!(CheckinResponse::latest_closed(&entries, early), None);
        let all_skipped = [entry(4, Skipped, 10)];
        let r = CheckinResponse::latest_closed(&all_skipped, later).unwrap();
        assert_eq!((r.expected, r.ratio()), (0, None));
    }

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
