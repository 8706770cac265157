//! Benchmarks of the scheduled jobs: the check-in fan-out through the outbox, the weekly digest,
//! the due prompts (print figures; not timed tests).
//!
//!     cargo bench -p ambassador-bot --bench jobs
//!     TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p ambassador-bot --bench jobs
//!     BENCH_FANOUT_FULL=1 cargo bench -p ambassador-bot --bench jobs   # the 200-second fan-out
//!
//! 1. Fan-out: check-in messages through the outbox to a fake messenger that allows R messages per
//!    second and answers "rate limited, retry after T" beyond that. Target: all delivered, none
//!    twice, total time within 1.1x of what the limit allows. Default 1,000 at 500/s; with
//!    BENCH_FANOUT_FULL=1 also 10,000 at 50/s (200 s).
//! 2. Digest: building the weekly digest from 1,000,000 kudos over three years and 20,000
//!    ambassadors. Target: under 50 ms, on SQLite and PostgreSQL.
//! 3. Scheduling: the due check-in prompts of 20,000 ambassadors in 40 time zones for the next
//!    week. Target: under 50 ms.

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, Destination, DispatchSettings, Dispatcher, Effects, Message, Messenger, Outgoing,
    Platform, Program, SendError, Settings, SystemClock,
};
use ambassador_store::{Backend, SqlStore};

mod support;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A platform that allows `rate` messages per second (a token bucket holding one second's worth)
/// and answers "retry after" beyond, recording what it delivered.
struct LimitedMessenger {
    rate: f64,
    state: Mutex<(f64, Instant)>,
    delivered: Mutex<HashMap<String, u32>>,
    limited: Mutex<u64>,
}

impl LimitedMessenger {
    fn new(rate: f64) -> Self {
        LimitedMessenger {
            rate,
            state: Mutex::new((rate, Instant::now())),
            delivered: Mutex::new(HashMap::new()),
            limited: Mutex::new(0),
        }
    }
}

impl Messenger for LimitedMessenger {
    fn platform(&self) -> Platform {
        Platform::Slack
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let wait = {
            let mut s = self.state.lock().unwrap();
            let now = Instant::now();
            s.0 = (s.0 + now.duration_since(s.1).as_secs_f64() * self.rate).min(self.rate);
            s.1 = now;
            if s.0 >= 1.0 {
                s.0 -= 1.0;
                None
            } else {
                Some(std::time::Duration::from_secs_f64((1.0 - s.0) / self.rate))
            }
        };
        match wait {
            None => {
                *self
                    .delivered
                    .lock()
                    .unwrap()
                    .entry(message.key.clone())
                    .or_default() += 1;
                Ok(())
            }
            Some(w) => {
                *self.limited.lock().unwrap() += 1;
                Err(SendError::RateLimited(w))
            }
        }
    }
}

async fn fan_out(store: &SqlStore, n: usize, rate: f64, label: &str) {
    let effects = Effects {
        outbox: (0..n)
            .map(|i| Outgoing {
                key: format!("{label}:checkin:{i}"),
                to: Destination::Direct(Account::new(Platform::Slack, format!("U{i:06}"))),
                message: Message::text(format!("Check-in prompt {i}")),
            })
            .collect(),
        ..Effects::default()
    };
    store.apply(&effects, Utc::now()).await.expect("queue");
    let dispatcher = Dispatcher::new(
        LimitedMessenger::new(rate),
        DispatchSettings {
            batch: 100,
            ..DispatchSettings::default()
        },
    );
    let started = Instant::now();
    loop {
        let report = dispatcher
            .dispatch_once(store, &SystemClock)
            .await
            .expect("dispatch");
        if let Some(until) = report.rate_limited_until {
            let wait = (until - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            continue;
        }
        if report.claimed == 0 {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let delivered = dispatcher.messenger.delivered.lock().unwrap();
    let twice = delivered.values().filter(|n| **n > 1).count();
    let ideal = (n as f64 - rate) / rate;
    println!(
        "  fan-out {n} at {rate}/s: {} delivered, {twice} twice, {} rate-limit answers, {elapsed:.2} s (the limit allows {ideal:.2} s: {:.3}x; target <= 1.1x: {})",
        delivered.len(),
        dispatcher.messenger.limited.lock().unwrap(),
        elapsed / ideal,
        if delivered.len() == n && twice == 0 && elapsed / ideal <= 1.1 {
            "ok"
        } else {
            "MISSED"
        }
    );
}

fn fill_sql(backend: Backend) -> String {
    // 5,000 departments in 12 regions; 20,000 ambassadors in 40 time zones; 10,000 more people;
    // 1,000,000 kudos over three years (2024-01-01 + i * 94 s).
    let zones = ZONES
        .iter()
        .enumerate()
        .map(|(i, z)| format!("WHEN {i} THEN '{z}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let (series, ts, date) = match backend {
        Backend::Sqlite => (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})",
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', 1704067200 + i * 94, 'unixepoch')",
            "'2024-06-01'",
        ),
        Backend::Postgres => (
            "WITH n(i) AS (SELECT generate_series(1, {N}))",
            "TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '94 seconds'",
            "DATE '2024-06-01'",
        ),
    };
    let s = |n: u32| series.replace("{N}", &n.to_string());
    format!(
        "{d} INSERT INTO departments (name, name_key, region, region_key, headcount)
             SELECT 'Department ' || i, 'department ' || i, 'Region ' || (i % 12), 'region ' || (i % 12), 20 + (i * 37) % 600 FROM n;
         {p} INSERT INTO people (platform, external_id, display_name)
             SELECT 'slack', 'U' || i, 'Person ' || i FROM n;
         {a} INSERT INTO ambassadors (person_id, department_id, status, since, time_zone)
             SELECT i, 1 + (i * 7) % 4500, 'active', {date}, CASE i % 40 {zones} END FROM n;
         {k} INSERT INTO kudos (giver_id, reason, tags, room, given_at)
             SELECT 1 + (i * 31) % 30000, 'for bench reason number ' || i, 'bench', 'general', {ts} FROM n;
         INSERT INTO kudos_receivers (kudos_id, person_id) SELECT id, 1 + (id * 13) % 30000 FROM kudos;",
        d = s(5_000),
        p = s(30_000),
        a = s(20_000),
        k = s(1_000_000),
    )
}

const ZONES: [&str; 40] = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Helsinki",
    "Europe/Warsaw",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Africa/Cairo",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Perth",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/Mexico_City",
    "America/New_York",
    "America/Toronto",
    "America/Bogota",
    "America/Lima",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Atlantic/Reykjavik",
];

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn digest_and_schedule(label: &str, store: SqlStore) {
    println!("{label}");
    let t = Instant::now();
    store
        .execute_script(&fill_sql(store.backend()))
        .await
        .expect("fill");
    if store.backend() == Backend::Postgres {
        store.execute_script("ANALYZE").await.expect("analyze");
    }
    println!(
        "  filled 20,000 ambassadors in 40 zones and 1,000,000 kudos in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let program = Program::new(store, SystemClock, Settings::default());

    // Digest of a week in the middle of the three years (~6,400 kudos that week).
    let occurrence: DateTime<Utc> = "2025-06-13T15:00:00Z".parse().unwrap();
    program.plan_digest(occurrence).await.expect("warm-up");
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let effects = program.plan_digest(occurrence).await.expect("digest");
        times.push(t.elapsed());
        assert!(!effects.outbox.is_empty());
    }
    times.sort();
    println!(
        "  weekly digest (1,000,000 kudos, 20,000 ambassadors): median {:.1} ms, max {:.1} ms (target < 50 ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );

    // Due occurrences for the next week: the zones ambassadors are in, and every job's runs.
    // The scheduler works per zone; recipients are read when a prompt job runs (below).
    let now: DateTime<Utc> = "2025-06-15T12:00:00Z".parse().unwrap();
    let mut times = Vec::new();
    let mut runs = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let zones = program.store.ambassador_time_zones().await.unwrap();
        let jobs = program.jobs(&zones);
        runs = jobs
            .iter()
            .map(|j| program.occurrences(j, now, now + Duration::days(7)).len())
            .sum::<usize>();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "  due occurrences for the next week (20,000 ambassadors, 40 zones, {runs} runs of 121 jobs): median {:.2} ms, max {:.2} ms (target < 50 ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    // The biggest single run: one zone's prompts (500 ambassadors, their check-ins and messages).
    let job = ambassador_core::Job {
        kind: ambassador_core::JobKind::CheckinPrompt,
        tz: "Europe/Berlin".parse().unwrap(),
    };
    let at = program.occurrences(&job, now, now + Duration::days(7))[0];
    let mut times = Vec::new();
    let mut prompts = 0;
    for _ in 0..10 {
        let t = Instant::now();
        prompts = program.plan(&job, at).await.unwrap().outbox.len();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "  planning one zone's prompts ({prompts} ambassadors): median {:.1} ms, max {:.1} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    program.store.close().await;
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!("Fan-out through the outbox (SQLite)");
    let url = format!("sqlite://{}", dir.path().join("fanout.db").display());
    let store = SqlStore::open(&url, 4).await.expect("open SQLite");
    fan_out(&store, 1_000, 500.0, "scaled").await;
    if std::env::var("BENCH_FANOUT_FULL").is_ok() {
        fan_out(&store, 10_000, 50.0, "full").await;
    }
    store.close().await;

    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = SqlStore::open(&url, 4).await.expect("open SQLite");
    digest_and_schedule("SQLite", store).await;

    if let Some(schema) = support::PgSchema::create("bench_rhythm").await {
        let store = SqlStore::open(&schema.url, 4)
            .await
            .expect("open PostgreSQL");
        println!("Fan-out through the outbox (PostgreSQL)");
        fan_out(&store, 1_000, 500.0, "scaled").await;
        if std::env::var("BENCH_FANOUT_FULL").is_ok() {
            fan_out(&store, 10_000, 50.0, "full").await;
        }
        digest_and_schedule("PostgreSQL", store).await;
        schema.drop().await;
    }
}
