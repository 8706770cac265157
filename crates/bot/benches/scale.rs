//! Scale benchmark (prints figures; not a timed test).
//!
//! Fills a store with a large organization — 5,000 departments in 12 regions, 20,000 ambassadors,
//! 1,000,000 kudos, 13 weekly check-in rounds of every ambassador — and times `/ambassadors
//! coverage` (whole organization and one region) and `/kudos`, end to end through the program
//! (parse, role lookup, store, rendering), on SQLite and, when `TEST_POSTGRES_URL` is set, on
//! PostgreSQL; then starts `ambassador-bot run` on that database and times each page of the web
//! dashboard over HTTP, signed in as the program office. Targets: coverage under 50 ms, a kudos
//! under 5 ms, a dashboard page under 200 ms.
//!
//!     cargo bench -p ambassador-bot --bench scale
//!     TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p ambassador-bot --bench scale
//!
//! `BENCH_KUDOS` changes the number of kudos (default 1,000,000).

use ambassador_core::{Account, Inbound, Platform, Program, Settings, SystemClock};
use ambassador_store::{Backend, SqlStore};

#[path = "support/load.rs"]
mod load;
mod support;
use ambassador_core::store_ports::*;
use std::time::{Duration, Instant};

const DEPARTMENTS: u32 = 5_000;
const REGIONS: u32 = 12;
const AMBASSADORS: u32 = 20_000;
/// People who are not ambassadors (givers and receivers of kudos too).
const MEMBERS: u32 = 10_000;
/// Weekly check-in rounds of every ambassador.
const ROUNDS: u32 = 13;
/// How often each dashboard page is fetched.
const PAGE_FETCHES: usize = 10;

fn fill_sql(backend: Backend, kudos: u32) -> String {
    let people = AMBASSADORS + MEMBERS;
    let covered = DEPARTMENTS - DEPARTMENTS / 10; // the last 10% of departments stay uncovered
    // Kudos every 94 seconds up to now, oldest first (ids follow time, as when given one by one).
    let now = chrono::Utc::now().timestamp();
    let (series, ts, date) = match backend {
        Backend::Sqlite => (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})",
            format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {now} - ({kudos} - i) * 94, 'unixepoch')"),
            "'2025-01-01'",
        ),
        Backend::Postgres => (
            "WITH n(i) AS (SELECT generate_series(1, {N}))",
            format!("to_timestamp({now} - ({kudos} - i) * 94)"),
            "DATE '2025-01-01'",
        ),
    };
    // Weekly rounds on the Mondays of the last 13 weeks (round i is i weeks ago), each open for six
    // days; answers a day after the prompt.
    let monday = {
        use chrono::Datelike;
        let today = chrono::Utc::now().date_naive();
        today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()))
    };
    let (round, prompted, closes, answered) = match backend {
        Backend::Sqlite => (
            format!("date('{monday}', '-' || (i * 7) || ' days')"),
            format!(
                "strftime('%Y-%m-%dT09:00:00+00:00', date('{monday}', '-' || (i * 7) || ' days'))"
            ),
            format!(
                "strftime('%Y-%m-%dT09:00:00+00:00', date('{monday}', '-' || (i * 7 - 6) || ' days'))"
            ),
            format!(
                "strftime('%Y-%m-%dT09:00:00+00:00', date('{monday}', '-' || (i * 7 - 1) || ' days'))"
            ),
        ),
        Backend::Postgres => (
            format!("DATE '{monday}' - i * 7"),
            format!("(DATE '{monday}' - i * 7) + TIME '09:00' AT TIME ZONE 'UTC'"),
            format!("(DATE '{monday}' - i * 7 + 6) + TIME '09:00' AT TIME ZONE 'UTC'"),
            format!("(DATE '{monday}' - i * 7 + 1) + TIME '09:00' AT TIME ZONE 'UTC'"),
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
         INSERT INTO kudos_receivers (kudos_id, person_id) SELECT id, 1 + (id * 13) % {people} FROM kudos;
         {r} INSERT INTO checkins (round, person_id, status, prompted_at, closes_at, answered_at)
             SELECT {round}, a.person_id,
                    CASE WHEN (a.person_id + i) % 3 = 0 THEN 'missed' WHEN (a.person_id + i) % 7 = 0 THEN 'skipped' ELSE 'answered' END,
                    {prompted}, {closes},
                    CASE WHEN (a.person_id + i) % 3 = 0 OR (a.person_id + i) % 7 = 0 THEN NULL ELSE {answered} END
             FROM n CROSS JOIN ambassadors a;",
        d = s(DEPARTMENTS),
        p = s(people),
        a = s(AMBASSADORS),
        k = s(kudos),
        r = s(ROUNDS),
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

async fn bench(label: &str, store: SqlStore, database: &str, kudos: u32) {
    println!("{label}");
    let started = Instant::now();
    store
        .execute_script(&fill_sql(store.backend(), kudos))
        .await
        .expect("fill");
    if store.backend() == Backend::Postgres {
        // What autovacuum does within a minute of such a fill (the kudos tables are vacuumed after
        // every 1% of new rows, migration 0013): statistics, and the rows marked all-visible.
        store
            .execute_script("VACUUM ANALYZE")
            .await
            .expect("vacuum");
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

    // The dashboard, from outside: `run` on this database, signed in as the office.
    let office = program
        .store
        .find_person(&Account::new(Platform::Console, "p1"))
        .await
        .expect("read")
        .expect("the office's person");
    let link = program
        .store
        .issue_sign_in_link(office.id, chrono::Utc::now(), chrono::Duration::minutes(10))
        .await
        .expect("a link");
    let ambassador_core::SignIn::SignedIn { session, .. } =
        program.sign_in(&link).await.expect("sign in")
    else {
        panic!("the link did not sign in");
    };
    program.store.close().await;
    dashboard(database, &session).await;
}

/// Starts `ambassador-bot run` on `database` and fetches each dashboard page with `session`.
async fn dashboard(database: &str, session: &str) {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let api = load::fake_slack(calls).await;
    let dir = tempfile::tempdir().unwrap();
    let port = load::free_port();
    std::fs::write(
        dir.path().join("bot-config.toml"),
        format!(
            "[database]\nurl = \"{database}\"\n\n[program]\noffice = [\"console:p1\"]\n\n[slack]\nenabled = true\napi_base_url = \"{api}\"\nbot_user_id = \"UBOT\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    )
    .unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ambassador-bot"))
        .args(["--config", "bot-config.toml", "run"])
        .current_dir(dir.path())
        .env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", "xoxb-scale-bench")
        .env(
            "AMBASSADOR_BOT__SLACK__SIGNING_SECRET",
            "scale-bench-secret",
        )
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start ambassador-bot run");
    let _running = load::Running(Some(child));
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(Instant::now() < deadline, "run did not get ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for page in ["coverage", "participation", "recognition"] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..=PAGE_FETCHES {
            let t = Instant::now();
            let response = http
                .get(format!("{base}/dashboard/{page}"))
                .header("cookie", format!("ambassador_session={session}"))
                .send()
                .await
                .expect("a page");
            assert_eq!(response.status(), 200, "{page}");
            size = response.bytes().await.expect("the page").len();
            times.push(t.elapsed());
        }
        times.remove(0); // the first one warms up
        Stats(times).show(&format!("dashboard /{page} ({} KB)", size / 1024), 200.0);
    }
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
    bench("SQLite (file, WAL)", store, &url, kudos).await;

    if let Some(schema) = support::PgSchema::create("bench").await {
        let store = SqlStore::open(&schema.url, 5)
            .await
            .expect("open PostgreSQL");
        bench("PostgreSQL", store, &schema.url, kudos).await;
        schema.drop().await;
    }
}
