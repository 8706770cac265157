//! The scheduler against a real store: daylight saving over a year, downtime, and two instances
//! sharing one database. Occurrences are driven with a manual clock, stepping from one due time to
//! the next as a running bot would see them.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, Clock, JobRunStatus, ManualClock, NewDepartment, OutboxStatus, Platform, Program,
    Settings,
};
use ambassador_store::SqlStore;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

type TestProgram = Program<SqlStore, Arc<ManualClock>>;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("a UTC time")
}

async fn sqlite_store(dir: &tempfile::TempDir) -> SqlStore {
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    SqlStore::open(&url, 4).await.expect("open SQLite")
}

/// Adds a department and one ambassador per (name, zone).
async fn roster(store: &SqlStore, people: &[(&str, &str)]) {
    let d = store
        .add_department(&NewDepartment {
            name: "Platform Engineering".into(),
            region: "EMEA".into(),
            headcount: Some(100),
        })
        .await
        .expect("department");
    for (name, zone) in people {
        let p = store
            .ensure_person(&Account::new(Platform::Console, *name), name)
            .await
            .expect("person");
        store
            .add_ambassador(p.id, d.id, zone, utc("2026-01-01T00:00:00Z").date_naive())
            .await
            .expect("ambassador");
    }
}

fn program(store: SqlStore, clock: Arc<ManualClock>) -> TestProgram {
    let mut settings = Settings::default();
    // These tests follow the check-in jobs; the daily lifecycle job runs on New Year's Day only.
    settings.lifecycle.schedule = ambassador_core::Cron::parse("0 10 1 1 *").unwrap();
    Program::new(store, clock, settings)
}

/// Steps the clock through every due occurrence up to `until`, ticking at each.
async fn run_until(p: &TestProgram, until: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
    let mut ran = Vec::new();
    loop {
        let now = p.clock.now();
        let Some(next) = p.next_due(now, until).await.expect("next due") else {
            break;
        };
        p.clock.set(next);
        ran.extend(p.tick().await.expect("tick").ran);
    }
    p.clock.set(until);
    ran.extend(p.tick().await.expect("tick").ran);
    ran
}

#[tokio::test]
async fn weekly_prompts_stay_at_nine_local_through_daylight_saving() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    roster(
        &store,
        &[
            ("berlin", "Europe/Berlin"),
            ("newyork", "America/New_York"),
            ("sydney", "Australia/Sydney"),
        ],
    )
    .await;
    let clock = Arc::new(ManualClock::new(utc("2027-01-01T00:00:00Z")));
    let p = program(store, clock.clone());
    p.tick().await.unwrap(); // first start: nothing is back-filled
    let ran = run_until(&p, utc("2028-01-01T00:00:00Z")).await;

    for zone in ["Europe/Berlin", "America/New_York", "Australia/Sydney"] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let prompts: Vec<DateTime<Utc>> = ran
            .iter()
            .filter(|(job, _)| job == &format!("checkin-prompt@{zone}"))
            .map(|(_, at)| *at)
            .collect();
        assert!(
            prompts.len() == 52 || prompts.len() == 53,
            "{zone}: {} prompts",
            prompts.len()
        );
        for at in &prompts {
            let local = at.with_timezone(&tz);
            assert_eq!(
                (local.weekday(), local.hour(), local.minute()),
                (Weekday::Mon, 9, 0),
                "{zone}: a prompt at {local}"
            );
        }
        let distinct: BTreeSet<_> = prompts.iter().collect();
        assert_eq!(distinct.len(), prompts.len(), "{zone}: no prompt twice");
    }
    // Every prompt became exactly one message.
    let items = p
        .store
        .outbox_items(&[OutboxStatus::Pending], 100_000)
        .await
        .unwrap();
    let mut per_person: BTreeMap<String, usize> = BTreeMap::new();
    for item in items.iter().filter(|i| i.outgoing.key.ends_with(":prompt")) {
        let to = item.outgoing.to.to_string();
        *per_person.entry(to).or_default() += 1;
    }
    assert_eq!(per_person.len(), 3);
    for (to, n) in per_person {
        assert!(n == 52 || n == 53, "{to}: {n} prompt messages");
    }
}

#[tokio::test]
async fn downtime_runs_late_within_grace_and_skips_beyond_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    roster(&store, &[("ada", "Europe/Berlin")]).await;
    // Monday 2027-03-01, 09:00 in Berlin is 08:00 UTC.
    let clock = Arc::new(ManualClock::new(utc("2027-03-01T07:00:00Z")));
    let p = program(store, clock.clone());
    p.tick().await.unwrap();

    // Down from 07:00 to 11:00: the 08:00 prompt runs three hours late at restart, and the
    // office's weekly requests summary (Monday 09:00 in the program's zone, UTC) two hours late.
    clock.set(utc("2027-03-01T11:00:00Z"));
    let report = p.tick().await.unwrap();
    assert_eq!(
        report.ran,
        vec![
            (
                "checkin-prompt@Europe/Berlin".to_string(),
                utc("2027-03-01T08:00:00Z")
            ),
            ("requests-summary".to_string(), utc("2027-03-01T09:00:00Z")),
        ]
    );
    assert!(report.skipped.is_empty());

    // Running normally through the week, then down for three days across the next prompt.
    run_until(&p, utc("2027-03-08T07:00:00Z")).await;
    clock.set(utc("2027-03-11T08:00:00Z"));
    let report = p.tick().await.unwrap();
    // The prompt and the reminder of that round both fell due while the bot was down.
    assert_eq!(
        report.skipped,
        vec![
            (
                "checkin-prompt@Europe/Berlin".to_string(),
                utc("2027-03-08T08:00:00Z")
            ),
            ("requests-summary".to_string(), utc("2027-03-08T09:00:00Z")),
            (
                "checkin-reminder@Europe/Berlin".to_string(),
                utc("2027-03-10T08:00:00Z")
            ),
        ],
        "late occurrences are skipped and reported"
    );
    assert!(report.ran.is_empty(), "{report:?}");
    // The next prompt is normal.
    let ran = run_until(&p, utc("2027-03-15T12:00:00Z")).await;
    assert!(ran.contains(&(
        "checkin-prompt@Europe/Berlin".to_string(),
        utc("2027-03-15T08:00:00Z")
    )));
    let runs = p
        .store
        .job_runs(utc("2027-03-08T00:00:00Z"), utc("2027-03-09T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r.status == JobRunStatus::Skipped));
    // Only two prompts were ever queued.
    let prompts = p
        .store
        .outbox_items(&[], 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.outgoing.key.ends_with(":prompt"))
        .count();
    assert_eq!(prompts, 2);
}

/// Two instances over one database and a simulated month: every occurrence runs exactly once.
async fn two_instances(a: SqlStore, b: SqlStore) {
    roster(
        &a,
        &[
            ("ada", "Europe/Berlin"),
            ("grace", "Europe/Berlin"),
            ("linus", "America/New_York"),
            ("hedy", "Asia/Tokyo"),
            ("alan", "Australia/Sydney"),
        ],
    )
    .await;
    let start = utc("2027-02-01T00:00:00Z");
    let end = utc("2027-03-01T00:00:00Z");
    let clock_a = Arc::new(ManualClock::new(start));
    let clock_b = Arc::new(ManualClock::new(start));
    let pa = program(a, clock_a.clone());
    let pb = program(b, clock_b.clone());
    pa.tick().await.unwrap();
    pb.tick().await.unwrap();
    let mut ran = Vec::new();
    let mut step = 0u32;
    loop {
        let Some(next) = pa.next_due(clock_a.now(), end).await.unwrap() else {
            break;
        };
        // Both see the occurrence at nearly the same time, and tick concurrently.
        clock_a.set(next);
        clock_b.set(next + Duration::seconds(i64::from(step % 3)));
        let (ra, rb) = tokio::join!(pa.tick(), pb.tick());
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        ran.extend(ra.ran);
        ran.extend(rb.ran);
        step += 1;
    }
    let runs = pa
        .store
        .job_runs(start, end + Duration::seconds(1))
        .await
        .unwrap();
    assert!(
        runs.iter().all(|r| r.status == JobRunStatus::Done),
        "nothing skipped"
    );
    let claimed: BTreeSet<(String, DateTime<Utc>)> =
        runs.iter().map(|r| (r.job.clone(), r.occurrence)).collect();
    let mut ran_sorted = ran.clone();
    ran_sorted.sort();
    let ran_set: BTreeSet<_> = ran.iter().cloned().collect();
    assert_eq!(
        ran.len(),
        ran_set.len(),
        "no occurrence ran in both instances"
    );
    assert_eq!(ran_set, claimed, "every claimed occurrence ran once");
    // Every occurrence the schedule defines was run: 4 Mondays × 4 zones × 3 jobs (prompt,
    // reminder, close — the last close of February falls on Sunday the 28th) + 4 digests.
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Tokyo",
        "Australia/Sydney",
    ];
    let jobs = pa.jobs(&zones.iter().map(|z| z.to_string()).collect::<Vec<_>>());
    let expected: BTreeSet<(String, DateTime<Utc>)> = jobs
        .iter()
        .flat_map(|j| {
            pa.occurrences(j, start, end)
                .into_iter()
                .map(move |o| (j.name(), o))
        })
        .collect();
    assert_eq!(claimed, expected);
    // One prompt message per ambassador per Monday.
    let prompts = pa
        .store
        .outbox_items(&[], 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.outgoing.key.ends_with(":prompt"))
        .count();
    let expected_prompts: usize = expected
        .iter()
        .filter(|(j, _)| j.starts_with("checkin-prompt@"))
        .map(|(j, _)| if j.ends_with("Europe/Berlin") { 2 } else { 1 })
        .sum();
    assert_eq!(prompts, expected_prompts);
}

#[tokio::test]
async fn two_instances_on_one_sqlite_file_run_each_occurrence_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = sqlite_store(&dir).await;
    let b = sqlite_store(&dir).await;
    two_instances(a, b).await;
}

#[tokio::test]
async fn two_instances_on_one_postgresql_run_each_occurrence_once() {
    let Some(schema) = support::PgSchema::new("sched") else {
        return;
    };
    let a = SqlStore::open(&schema.url, 4)
        .await
        .expect("open PostgreSQL");
    let b = SqlStore::open(&schema.url, 4)
        .await
        .expect("open PostgreSQL");
    two_instances(a.clone(), b.clone()).await;
    a.close().await;
    b.close().await;
}
