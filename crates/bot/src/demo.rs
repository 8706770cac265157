//! `console --demo`: a sample organization in an empty database, so a newcomer sees a meaningful
//! coverage report at once.

use ambassador_core::{
    Account, AmbassadorStatus, Clock, NewDepartment, NewKudos, Platform, Program, Store,
};
use anyhow::Context;
use chrono::Duration;

/// (department, region, headcount)
const DEPARTMENTS: &[(&str, &str, u32)] = &[
    ("Platform Engineering", "EMEA", 120),
    ("Finance", "EMEA", 80),
    ("Legal", "EMEA", 25),
    ("Sales", "Americas", 400),
    ("Customer Success", "Americas", 90),
    ("Marketing", "Americas", 60),
    ("Data Science", "APAC", 70),
    ("Operations", "APAC", 150),
];

/// (console user, display name, department, time zone, days on the roster, paused)
const AMBASSADORS: &[(&str, &str, &str, &str, i64, bool)] = &[
    (
        "ada",
        "ada",
        "Platform Engineering",
        "Europe/London",
        400,
        false,
    ),
    (
        "grace",
        "grace",
        "Platform Engineering",
        "Europe/Berlin",
        200,
        false,
    ),
    ("linus", "linus", "Finance", "Europe/Helsinki", 310, false),
    ("tim", "tim", "Legal", "Europe/Paris", 150, true),
    (
        "margaret",
        "margaret",
        "Sales",
        "America/New_York",
        120,
        false,
    ),
    (
        "katherine",
        "katherine",
        "Customer Success",
        "America/Chicago",
        90,
        false,
    ),
    ("hedy", "hedy", "Data Science", "Asia/Tokyo", 60, false),
    ("alan", "alan", "Operations", "Australia/Sydney", 30, false),
];

/// Community members who are not ambassadors.
const MEMBERS: &[&str] = &["bob", "carol", "dave"];

/// (giver, receivers, reason, days ago)
const KUDOS: &[(&str, &[&str], &str, i64)] = &[
    (
        "bob",
        &["ada"],
        "running the InnerSource onboarding workshop #workshop",
        3,
    ),
    (
        "ada",
        &["carol", "dave"],
        "their first merged contribution to the shared CI templates #firstpr",
        2,
    ),
    (
        "carol",
        &["hedy"],
        "answering every question in #data-help within the hour #mentoring",
        1,
    ),
    (
        "margaret",
        &["katherine"],
        "bringing the support team's feedback to the platform roadmap",
        1,
    ),
];

/// Fills an empty store with the sample organization. Returns false (and changes nothing) when the
/// store already holds data.
pub async fn fill<S: Store, C: Clock>(program: &Program<S, C>) -> anyhow::Result<bool> {
    let store = &program.store;
    if !store.is_empty().await? {
        return Ok(false);
    }
    let today = program.today();
    for (name, region, headcount) in DEPARTMENTS {
        store
            .add_department(&NewDepartment {
                name: (*name).into(),
                region: (*region).into(),
                headcount: Some(*headcount),
            })
            .await?;
    }
    let console = |id: &str| Account::new(Platform::Console, id);
    for (id, name, department, tz, days, paused) in AMBASSADORS {
        let person = store.ensure_person(&console(id), name).await?;
        store.set_person_time_zone(person.id, tz, false).await?;
        let d = store
            .department_by_name(department)
            .await?
            .context("demo department")?;
        store
            .add_ambassador(person.id, d.id, tz, today - Duration::days(*days))
            .await?;
        // The bot first knows them now, at its first start: it speaks for nothing before.
        store
            .note_known_since(person.id, program.clock.now())
            .await?;
        if *paused {
            store
                .set_ambassador_status(person.id, AmbassadorStatus::Paused, today)
                .await?;
        }
    }
    for id in MEMBERS {
        store.ensure_person(&console(id), id).await?;
    }
    let now = program.clock.now();
    for (giver, receivers, reason, days) in KUDOS {
        let giver = store.ensure_person(&console(giver), giver).await?;
        let mut ids = Vec::new();
        for r in *receivers {
            ids.push(store.ensure_person(&console(r), r).await?.id);
        }
        store
            .record_kudos(
                &NewKudos {
                    giver: giver.id,
                    receivers: ids,
                    reason: (*reason).into(),
                    tags: ambassador_core::command::tags_of(reason),
                    given_at: now - Duration::days(*days),
                    room: "general".into(),
                    source: None,
                },
                u32::MAX,
                now - Duration::days(*days),
            )
            .await?;
    }
    Ok(true)
}
