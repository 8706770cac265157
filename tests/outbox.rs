//! The outbox dispatcher against a real store and a scripted platform: rate limits ridden out,
//! temporary failures retried with backoff, permanent ones and exhausted ones dead-lettered and
//! listed by `ambassador-bot outbox`.

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, Clock, Destination, DispatchSettings, Dispatcher, Effects, ManualClock, Message,
    Messenger, OutboxStatus, Outgoing, Platform, SendError,
};
use ambassador_store::SqlStore;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A platform whose answers are scripted per message key; unscripted sends succeed.
#[derive(Default)]
struct Scripted {
    answers: Mutex<HashMap<String, Vec<SendError>>>,
    delivered: Mutex<Vec<String>>,
}

impl Scripted {
    fn fail(&self, key: &str, errors: Vec<SendError>) {
        self.answers.lock().unwrap().insert(key.into(), errors);
    }
}

/// The messenger the dispatcher owns; the test keeps another handle to the same platform.
#[derive(Clone)]
struct Handle(Arc<Scripted>);

impl Messenger for Handle {
    fn platform(&self) -> Platform {
        Platform::Slack
    }
    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        if let Some(list) = self.0.answers.lock().unwrap().get_mut(&message.key)
            && !list.is_empty()
        {
            return Err(list.remove(0));
        }
        self.0.delivered.lock().unwrap().push(message.key.clone());
        Ok(())
    }
}

fn outgoing(key: &str) -> Outgoing {
    Outgoing {
        key: key.into(),
        to: Destination::Direct(Account::new(Platform::Slack, "U012AB3CD")),
        message: Message::text(format!("message {key}")),
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Dispatches until nothing is due, moving the clock to each next attempt, at most `limit` rounds.
async fn drain(d: &Dispatcher<Handle>, store: &SqlStore, clock: &ManualClock, limit: usize) {
    for _ in 0..limit {
        let r = d.dispatch_once(store, clock).await.unwrap();
        if let Some(until) = r.rate_limited_until {
            clock.set(until);
            continue;
        }
        if r.claimed == 0 {
            // Jump to the next attempt, if any is waiting.
            let pending = store
                .outbox_items(&[OutboxStatus::Pending], 10)
                .await
                .unwrap();
            match pending.iter().map(|i| i.next_attempt_at).min() {
                Some(next) if next > clock.now() => clock.set(next),
                Some(_) => {}
                None => return,
            }
        }
    }
    panic!("the outbox did not drain");
}

#[tokio::test]
async fn rate_limits_retries_and_dead_letters() {
    let sb = support::Sandbox::new();
    let url = format!("sqlite://{}", sb.path().join("ambassador-bot.db").display());
    let store = SqlStore::open(&url, 2).await.unwrap();
    let clock = ManualClock::new(utc("2027-01-04T09:00:00Z"));
    let keys: Vec<String> = (0..20).map(|i| format!("m{i:02}")).collect();
    store
        .apply(
            &Effects {
                outbox: keys.iter().map(|k| outgoing(k)).collect(),
                ..Effects::default()
            },
            clock.now(),
        )
        .await
        .unwrap();
    let platform = Arc::new(Scripted::default());
    // m03: rate limited twice; m05: two temporary failures; m07: refused for good;
    // m09: fails every time.
    platform.fail(
        "m03",
        vec![
            SendError::RateLimited(std::time::Duration::from_secs(30)),
            SendError::RateLimited(std::time::Duration::from_secs(30)),
        ],
    );
    platform.fail(
        "m05",
        vec![
            SendError::Transient("502".into()),
            SendError::Transient("timeout".into()),
        ],
    );
    platform.fail("m07", vec![SendError::Permanent("user_not_found".into())]);
    platform.fail(
        "m09",
        (0..10)
            .map(|i| SendError::Transient(format!("503 #{i}")))
            .collect(),
    );
    let settings = DispatchSettings {
        max_attempts: 4,
        batch: 5,
        ..DispatchSettings::default()
    };
    let d = Dispatcher::new(Handle(platform.clone()), settings.clone());
    drain(&d, &store, &clock, 200).await;

    let delivered = platform.delivered.lock().unwrap().clone();
    let mut sorted = delivered.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), delivered.len(), "nothing delivered twice");
    assert_eq!(delivered.len(), 18, "all but the two given up on");
    assert!(!delivered.contains(&"m07".to_string()) && !delivered.contains(&"m09".to_string()));
    // Rate-limit answers are waited out: the clock moved by at least the two 30-second waits.
    assert!(clock.now() >= utc("2027-01-04T09:01:00Z"));

    let failed = store
        .outbox_items(&[OutboxStatus::Failed], 10)
        .await
        .unwrap();
    let failed: HashMap<String, (u32, Option<String>)> = failed
        .into_iter()
        .map(|i| (i.outgoing.key, (i.attempts, i.last_error)))
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed["m07"].0, 1, "a permanent failure is not retried");
    assert!(
        failed["m07"]
            .1
            .as_deref()
            .unwrap()
            .contains("user_not_found")
    );
    assert_eq!(
        failed["m09"].0, settings.max_attempts,
        "given up after max_attempts"
    );
    let sent = store
        .outbox_items(&[OutboxStatus::Sent], 100)
        .await
        .unwrap();
    let m05 = sent.iter().find(|i| i.outgoing.key == "m05").unwrap();
    assert_eq!(
        m05.attempts, 2,
        "two failed attempts before it went through"
    );
    // Backoff: 5 s, then 10 s after the first two failures.
    assert!(m05.sent_at.unwrap() - utc("2027-01-04T09:00:00Z") >= Duration::seconds(15));
    store.close().await;

    // The operator sees the dead letters.
    let out = sb.run(&["outbox"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Outbox: 0 pending, 2 failed, 18 sent"),
        "{text}"
    );
    assert!(text.contains("dm:slack:U012AB3CD  m07"), "{text}");
    assert!(
        text.contains("last error: permanent failure: user_not_found"),
        "{text}"
    );
    assert!(
        text.contains("last error: temporary failure: 503 #3"),
        "{text}"
    );
}

#[tokio::test]
async fn two_dispatchers_share_the_work_without_doubles() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let store = SqlStore::open(&url, 4).await.unwrap();
    let clock = ManualClock::new(utc("2027-01-04T09:00:00Z"));
    store
        .apply(
            &Effects {
                outbox: (0..300).map(|i| outgoing(&format!("k{i:03}"))).collect(),
                ..Effects::default()
            },
            clock.now(),
        )
        .await
        .unwrap();
    let platform = Arc::new(Scripted::default());
    let settings = DispatchSettings {
        batch: 7,
        ..DispatchSettings::default()
    };
    let a = Dispatcher::new(Handle(platform.clone()), settings.clone());
    let b = Dispatcher::new(Handle(platform.clone()), settings);
    let run = |d: Dispatcher<Handle>| {
        let store = store.clone();
        let clock = &clock;
        async move {
            loop {
                if d.dispatch_once(&store, clock).await.unwrap().claimed == 0 {
                    break;
                }
            }
        }
    };
    tokio::join!(run(a), run(b));
    let delivered = platform.delivered.lock().unwrap().clone();
    let mut unique = delivered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(delivered.len(), 300);
    assert_eq!(unique.len(), 300);
}
