//! The outbox dispatcher: sends what the program queued, through a platform's [`Messenger`],
//! one message at a time, retrying with backoff, waiting out rate limits, giving up after a number
//! of attempts (dead letter). A crash repeats at most the one message in flight.

use crate::model::{OutboxItem, Platform};
use crate::ports::{Clock, Messenger, SendError, Store, StoreResult};
use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

#[derive(Clone, Debug)]
pub struct DispatchSettings {
    /// Failed attempts before a message is given up on.
    pub max_attempts: u32,
    /// How long a claimed batch is reserved for this dispatcher.
    pub lease: Duration,
    /// Messages claimed at once.
    pub batch: u32,
    /// Backoff after the first failure; doubled each time up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            max_attempts: 8,
            lease: Duration::seconds(120),
            batch: 50,
            base_backoff: Duration::seconds(5),
            max_backoff: Duration::minutes(30),
        }
    }
}

/// The wait before attempt `attempts + 1` after `attempts` failures.
pub fn backoff(settings: &DispatchSettings, attempts: u32) -> Duration {
    let factor = 2i32.saturating_pow(attempts.saturating_sub(1).min(20));
    (settings.base_backoff * factor).min(settings.max_backoff)
}

/// What one dispatch round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub claimed: u32,
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
    /// Keys of the messages sent, in order.
    pub sent_keys: Vec<String>,
    /// (key, error) of messages given up on.
    pub dead: Vec<(String, String)>,
    /// The platform asked to wait until then.
    pub rate_limited_until: Option<DateTime<Utc>>,
}

/// Sends the outbox of one platform through its messenger.
pub struct Dispatcher<M> {
    pub messenger: M,
    pub settings: DispatchSettings,
    /// The platform's last rate-limit answer: nothing is sent before then.
    paused_until: Mutex<Option<DateTime<Utc>>>,
}

impl<M: Messenger> Dispatcher<M> {
    pub fn new(messenger: M, settings: DispatchSettings) -> Self {
        Dispatcher {
            messenger,
            settings,
            paused_until: Mutex::new(None),
        }
    }

    pub fn platform(&self) -> Platform {
        self.messenger.platform()
    }

    /// Until when the platform asked us to wait, if that is still ahead.
    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let p = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        p.filter(|p| *p > now)
    }

    /// Claims one batch and sends it. Returns what happened; `claimed == 0` means nothing was due.
    pub async fn dispatch_once<S: Store, C: Clock>(
        &self,
        store: &S,
        clock: &C,
    ) -> StoreResult<DispatchReport> {
        let mut report = DispatchReport::default();
        let now = clock.now();
        if let Some(until) = self.paused_until(now) {
            report.rate_limited_until = Some(until);
            return Ok(report);
        }
        let items = store
            .claim_outbox(
                &[self.platform()],
                now,
                self.settings.lease,
                self.settings.batch,
            )
            .await?;
        report.claimed = items.len() as u32;
        let mut items = items.into_iter();
        while let Some(item) = items.next() {
            let now = clock.now();
            if let Some(until) = self.paused_until(now) {
                // Rate limited mid-batch: hand the rest back for when the platform is ready.
                store.outbox_retry(item.id, until, None, false).await?;
                for rest in items.by_ref() {
                    store.outbox_retry(rest.id, until, None, false).await?;
                }
                report.rate_limited_until = Some(until);
                break;
            }
            self.send_one(store, clock, &item, &mut report).await?;
        }
        Ok(report)
    }

    async fn send_one<S: Store, C: Clock>(
        &self,
        store: &S,
        clock: &C,
        item: &OutboxItem,
        report: &mut DispatchReport,
    ) -> StoreResult<()> {
        let result = self.messenger.send(&item.outgoing).await;
        let now = clock.now();
        match result {
            Ok(()) => {
                store.outbox_sent(item.id, now).await?;
                report.sent += 1;
                report.sent_keys.push(item.outgoing.key.clone());
            }
            Err(SendError::RateLimited(wait)) => {
                let wait = Duration::from_std(wait).unwrap_or(Duration::seconds(1));
                let until = now + wait.max(Duration::milliseconds(1));
                *self.paused_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
                store.outbox_retry(item.id, until, None, false).await?;
                report.retried += 1;
                report.rate_limited_until = Some(until);
            }
            Err(SendError::Transient(e)) if item.attempts + 1 < self.settings.max_attempts => {
                let next = now + backoff(&self.settings, item.attempts + 1);
                store.outbox_retry(item.id, next, Some(&e), true).await?;
                report.retried += 1;
            }
            Err(e) => {
                let error = e.to_string();
                store.outbox_failed(item.id, &error, now).await?;
                report.failed += 1;
                report.dead.push((item.outgoing.key.clone(), error));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = DispatchSettings::default();
        assert_eq!(backoff(&s, 1), Duration::seconds(5));
        assert_eq!(backoff(&s, 2), Duration::seconds(10));
        assert_eq!(backoff(&s, 4), Duration::seconds(40));
        assert_eq!(backoff(&s, 30), Duration::minutes(30));
    }
}
