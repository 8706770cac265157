//! The outbox against a Synapse left at its default rate limits: a weekly digest and 30 check-in
//! prompts fanned out through the dispatcher and the Matrix messenger all arrive, none twice,
//! however often the homeserver answers `M_LIMIT_EXCEEDED`.
//!
//! A separate test binary, so its homeserver (with Synapse's own `rc_*` defaults) serves this test
//! alone. At those defaults the bot may send 10 messages at once and then one every 5 s, so the
//! fan-out takes about two minutes.

#![recursion_limit = "256"]

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, Clock, Cron, Destination, DispatchSettings, Dispatcher, NewDepartment, Platform,
    Program, Settings, SimClock,
};
use ambassador_matrix::{Credentials, MatrixBot, MatrixSettings};
use ambassador_store::SqlStore;
use chrono::TimeZone;
use matrix_sdk::ruma::OwnedUserId;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::synapse::synapse_with_default_limits;
use support::user::User;
use tempfile::TempDir;

const AMBASSADORS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_synapse_default_rate_limits_a_digest_and_30_prompts_all_arrive_none_twice() {
    let hs = synapse_with_default_limits();
    let dir = TempDir::new().unwrap();
    let admin = hs.register_admin("admin").await;
    let bot_reg = hs.register("ambassador-bot", "Ambassador Bot").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();

    // People sign in with their registration's token: at the defaults, logins from one address
    // are limited to a handful.
    let office = User::restore(hs, &hs.register("olga", "Olga Office").await).await;
    let mut ambassadors = Vec::new();
    for i in 0..AMBASSADORS {
        let reg = hs
            .register(&format!("amb{i:02}"), &format!("Ambassador {i:02}"))
            .await;
        ambassadors.push(User::restore(hs, &reg).await);
    }

    // The digest room, where the office invited the bot.
    let digest_room = office.create_room("ambassadors", false, &[&bot_id]).await;

    // The program: every ambassador in UTC; prompts and the digest both due Monday 09:00 UTC.
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let store = SqlStore::open(&url, 2).await.expect("store");
    let dept = store
        .add_department(&NewDepartment {
            name: "Platform Engineering".into(),
            region: "EMEA".into(),
            headcount: Some(3000),
        })
        .await
        .unwrap();
    for user in &ambassadors {
        let person = store
            .ensure_person(
                &Account::new(Platform::Matrix, user.user_id.as_str()),
                user.user_id.localpart(),
            )
            .await
            .unwrap();
        store
            .add_ambassador(
                person.id,
                dept.id,
                "UTC",
                chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            )
            .await
            .unwrap();
    }
    let mut settings = Settings::default();
    settings.digest.schedule = Cron::parse("0 9 * * Mon").unwrap();
    settings.digest.channels = vec![Destination::Room {
        platform: Platform::Matrix,
        id: digest_room.room_id().to_string(),
    }];
    // A clock that runs at real speed from Sunday noon on.
    let clock = Arc::new(SimClock::real());
    clock.set(chrono::Utc.with_ymd_and_hms(2027, 1, 3, 12, 0, 0).unwrap());
    let program = Arc::new(Program::new(store, clock.clone(), settings));

    // The bot, with the access token of its registration (no login).
    let mut s = MatrixSettings::new(
        hs.url.clone(),
        bot_reg.user_id.clone(),
        Credentials::AccessToken(bot_reg.access_token.clone()),
        dir.path().join("matrix"),
    );
    s.sync_timeout = Duration::from_secs(5);
    let bot = MatrixBot::login(s).await.expect("bot login");
    let messenger = bot.messenger();
    let mut ready = bot.ready();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run_program = program.clone();
    let task = tokio::spawn(async move {
        bot.run(run_program, async {
            let _ = stopped.await;
        })
        .await
    });
    tokio::time::timeout(Duration::from_secs(60), ready.wait_for(|r| *r))
        .await
        .expect("bot ready in time")
        .expect("bot running");
    office.wait_joined(digest_room.room_id(), &bot_id).await;

    // These ambassadors have talked with the bot before: their direct rooms exist. Made here
    // under a temporary exemption, since at the defaults creating 30 rooms alone takes over 20
    // minutes (10, then one a minute); the exemption is lifted before the fan-out.
    hs.exempt_from_limits(&admin, bot_reg.user_id.as_str())
        .await;
    let mut direct_rooms = Vec::new();
    for user in &ambassadors {
        let room = messenger.direct_room(&user.user_id).await.expect("dm");
        direct_rooms.push(room.room_id().to_owned());
    }
    for (user, room) in ambassadors.iter().zip(&direct_rooms) {
        user.wait_joined(room, &user.user_id).await;
    }
    hs.default_limits_for(&admin, bot_reg.user_id.as_str())
        .await;

    // Monday 09:00 passes: one tick queues 30 prompts and the digest.
    program.tick().await.unwrap();
    clock.set(chrono::Utc.with_ymd_and_hms(2027, 1, 4, 9, 0, 30).unwrap());
    let ticked = program.tick().await.unwrap();
    assert!(ticked.ran.len() >= 2, "{ticked:?}");
    assert_eq!(
        program.store.outbox_stats().await.unwrap().pending,
        AMBASSADORS as u64 + 1
    );

    // The dispatcher sends, waiting out every rate-limit answer.
    let dispatcher = Dispatcher::new(messenger.clone(), DispatchSettings::default());
    let started = Instant::now();
    let mut limited = 0;
    let mut sent = Vec::new();
    loop {
        let report = dispatcher
            .dispatch_once(&program.store, &program.clock)
            .await
            .unwrap();
        sent.extend(report.sent_keys.iter().cloned());
        assert!(report.dead.is_empty(), "{report:?}");
        if let Some(until) = report.rate_limited_until {
            limited += 1;
            let wait = (until - program.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO);
            tokio::time::sleep(wait + Duration::from_millis(20)).await;
            continue;
        }
        if program.store.outbox_stats().await.unwrap().pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the fan-out took over 10 minutes; sent {}",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = started.elapsed();
    eprintln!(
        "fan-out: {} messages in {:.1}s, {limited} rate-limit pauses",
        sent.len(),
        took.as_secs_f64()
    );
    assert_eq!(sent.len(), AMBASSADORS + 1, "{sent:?}");
    assert!(limited > 0, "Synapse's defaults limited the bot");
    let stats = program.store.outbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.failed), (0, 0), "{stats:?}");

    // From each ambassador's side: exactly one prompt, in the direct room with the bot.
    for user in &ambassadors {
        user.wait_for("the prompt", |r| {
            r.event.sender == bot_id && r.body().contains("Check-in for 2027-01-04")
        })
        .await;
    }
    office
        .wait_for("the digest", |r| {
            r.event.sender == bot_id && r.body().contains("Weekly digest")
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (user, room) in ambassadors.iter().zip(&direct_rooms) {
        let prompts: Vec<_> = user
            .received()
            .into_iter()
            .filter(|r| r.event.sender == bot_id && r.body().contains("Check-in for"))
            .collect();
        assert_eq!(prompts.len(), 1, "{}: {prompts:#?}", user.user_id);
        assert_eq!(&prompts[0].room_id, room, "{}", user.user_id);
    }
    let digests = office
        .received()
        .into_iter()
        .filter(|r| r.event.sender == bot_id && r.body().contains("Weekly digest"))
        .count();
    assert_eq!(digests, 1);

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("bot stops in time")
        .expect("bot task")
        .expect("bot ran without error");
}
