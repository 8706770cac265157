//! Scale benchmark (prints figures; not a timed test).
//!
//! Fills a store with a large organization — 5,000 departments in 12 regions, 20,000 ambassadors,
//! 1,000,000 kudos — and times `/ambassadors coverage` (whole organization and one region) and
//! `/kudos`, end to end through the program (parse, role lookup, store, rendering), on SQLite and,
//! when `TEST_POSTGRES_URL` is set, on PostgreSQL. Targets: coverage under 50 ms, a kudos under 5 ms.
//!
//!     cargo bench -p ambassador-bot --bench scale
//!     TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p ambassador-bot --bench scale
//!
//! `BENCH_KUDOS` changes the number of kudos (default 1,000,000).

use ambassador_core::{Account, Inbound, Platform, Program, Settings, SystemClock};
use ambassador_store::{Backend, SqlStore};

mod support;
use std::time::{Duration, Instant};

const DEPARTMENTS: u32 = 5_000;
const REGIONS: u32 = 12;
const AMBASSADORS: u32 = 20_000;
/// People who are not ambassadors (givers and receivers of kudos too).
const MEMBERS: u32 = 10_000;

fn fill_sql(backend: Backend, kudos: u32) -> String {
    let people = AMBASSADORS + MEMBERS;
    let covered = DEPARTMENTS - DEPARTMENTS / 10; // the last 10% of departments stay uncovered
    let (series, ts, date) = match backend {
        Backend::Sqlite => (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})",
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', 1704067200 + i * 94, 'unixepoch')",
            "'2025-01-01'",
        ),
        Backend::Postgres => (
            "WITH n(i) AS (SELECT generate_series(1, {N}))",
            "TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '94 seconds'",
            "DATE '2025-01-01'",
        ),
    };
    let s = |n: u32| series.replace("{N}", &n.to_string());
    format!(
        "{d} INSERT INTO departments (name, name_key, region, region_key, headcount)
             SELECT 'Department ' || i, 'department ' || i, 'Region ' || (i % {REGIONS}), 'region ' || (i % {REGIONS}), 20 + (i * 37) % 600 FROM n;
         {p} INSERT INTO people (platform, external_id, display_name, time_zone)
             SELECT 'console', 'p' || i, 'Person ' || i, 'Europe/Berlin' FROM n;
         {a} INSERT INTO ambassadors (person_id, department_id, status, since, time_zone)
             SELECT i, 1 + (i * 7) % {covered}, CASE WHEN i % 20 = 0 THEN 'paused' ELSE 'active' END, {date}, 'Europe/Berlin' FROM n;
         {k} INSERT INTO kudos (giver_id, reason, tags, room, given_at)
             SELECT 1 + (i * 31) % {people}, 'for bench reason number ' || i, 'bench', 'general', {ts} FROM n;
         INSERT INTO kudos_receivers (kudos_id, person_id) SELECT id, 1 + (id * 13) % {people} FROM kudos;",
        d = s(DEPARTMENTS),
        p = s(people),
        a = s(AMBASSADORS),
        k = s(kudos),
    )
}

struct Stats(Vec<Duration>);

impl Stats {
    fn show(mut self, what: &str, target_ms: f64) {
        self.0.sort();
        let n = self.0.len();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let median = ms(self.0[n / 2]);
        let p95 = ms(self.0[(n * 95 / 100).min(n - 1)]);
        let mean = self.0.iter().map(|d| ms(*d)).sum::<f64>() / n as f64;
        let verdict = if p95 < target_ms { "ok" } else { "OVER TARGET" };
        println!(
            "  {what:<34} n={n:<4} median {median:>8.2} ms  p95 {p95:>8.2} ms  mean {mean:>8.2} ms  (target < {target_ms} ms: {verdict})"
        );
    }
}

fn inbound(user: &str, text: &str) -> Inbound {
    Inbound {
        sender: Account::new(Platform::Console, user),
        sender_name: format!("Person {}", user.trim_start_matches('p')),
        room: "general".into(),
        text: text.into(),
        bot: None,
        direct: false,
        create_mentioned: false,
    }
}

async fn bench(label: &str, store: SqlStore, kudos: u32) {
    println!("{label}");
    let started = Instant::now();
    store
        .execute_script(&fill_sql(store.backend(), kudos))
        .await
        .expect("fill");
    if store.backend() == Backend::Postgres {
        store.execute_script("ANALYZE").await.expect("analyze");
    }
    println!(
        "  filled {DEPARTMENTS} departments in {REGIONS} regions, {AMBASSADORS} ambassadors, {} people, {kudos} kudos in {:.1} s",
        AMBASSADORS + MEMBERS,
        started.elapsed().as_secs_f64()
    );
    let settings = Settings {
        office: vec![Account::new(Platform::Console, "p1")],
        ..Settings::default()
    };
    let program = Program::new(store, SystemClock, settings);

    let run = |text: &'static str, user: &'static str| {
        let program = &program;
        async move {
            let t = Instant::now();
            let replies = program
                .handle(&inbound(user, text))
                .await
                .expect("handled")
                .expect("a command");
            assert!(!replies.is_empty());
            t.elapsed()
        }
    };
    // Warm-up, then measure.
    run("/ambassadors coverage", "p1").await;
    let mut whole = Vec::new();
    for _ in 0..20 {
        whole.push(run("/ambassadors coverage", "p1").await);
    }
    Stats(whole).show("/ambassadors coverage (whole org)", 50.0);
    let mut region = Vec::new();
    for _ in 0..20 {
        region.push(run("/ambassadors coverage \"Region 7\"", "p25001").await);
    }
    Stats(region).show("/ambassadors coverage <region>", 50.0);

    let mut kudos_times = Vec::new();
    for i in 0..300u32 {
        let giver = format!("p{}", 20_001 + i);
        let text = format!("/kudos @p{} for reviewing the release notes #docs", 1 + i);
        let t = Instant::now();
        let replies = program
            .handle(&inbound(&giver, &text))
            .await
            .expect("handled")
            .expect("a command");
        kudos_times.push(t.elapsed());
        assert!(
            ambassador_core::render_plain(&replies[0].message).starts_with("🎉 Kudos"),
            "kudos recorded"
        );
    }
    Stats(kudos_times).show("/kudos @someone for …", 5.0);
    program.store.close().await;
}

#[tokio::main]
async fn main() {
    let kudos: u32 = std::env::var("BENCH_KUDOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = SqlStore::open(&url, 5).await.expect("open SQLite");
    bench("SQLite (file, WAL)", store, kudos).await;

    if let Some(schema) = support::PgSchema::create("bench").await {
        let store = SqlStore::open(&schema.url, 5)
            .await
            .expect("open PostgreSQL");
        bench("PostgreSQL", store, kudos).await;
        schema.drop().await;
    }
}
