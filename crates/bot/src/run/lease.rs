//! A lease in the store that one replica holds at a time (the Matrix sync runs under it).

use super::*;
use ambassador_core::CoordinationStore;

/// How a lease is held.
#[derive(Clone, Copy, Debug)]
pub(super) struct LeaseTimes {
    /// How long the lease runs after each renewal.
    pub(super) ttl: Duration,
    /// How often the holder renews it.
    pub(super) renew_every: Duration,
    /// How often a replica without it tries to take it.
    pub(super) standby_poll: Duration,
}

/// A future that completes when the work should stop.
pub(super) type Stop = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `work` only while this replica holds the lease `name`: waits to take it, starts `work`,
/// renews the lease while it runs, and stops `work` (completing its `Stop`) when the lease is
/// lost, then waits to take it again. A renewal that keeps failing (the database is away) counts
/// as lost once the lease may have run out for the others. On shutdown the lease is released so a
/// standby takes over at once. `holding` says whether this replica holds it. `work` that fails
/// ends this (after releasing the lease) with its error. Lease times go by the real clock: they
/// are about processes, and replicas' clocks must agree to well within `ttl - renew_every`.
pub(super) async fn with_lease<W, Fut>(
    store: &impl CoordinationStore,
    name: &str,
    holder: &str,
    times: LeaseTimes,
    holding: &watch::Sender<bool>,
    shutdown: &Shutdown,
    mut work: W,
) -> anyhow::Result<()>
where
    W: FnMut(Stop) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let ttl = chrono::Duration::from_std(times.ttl).context("lease time to live")?;
    let mut failures = 0;
    while !shutdown.requested() {
        match store.acquire_lease(name, holder, ttl, Utc::now()).await {
            Ok(true) => failures = 0,
            Ok(false) => {
                failures = 0;
                shutdown.sleep(times.standby_poll).await;
                continue;
            }
            Err(e) => {
                failures += 1;
                tracing::error!(lease = name, error = %e, failures, "cannot read the lease");
                if failures >= MAX_FAILURES_IN_A_ROW {
                    return Err(anyhow::Error::new(e)
                        .context(format!("the {name} lease could not be read repeatedly")));
                }
                shutdown.sleep(times.standby_poll).await;
                continue;
            }
        }
        tracing::info!(
            lease = name,
            holder,
            "took the lease: this replica runs it now"
        );
        holding.send_replace(true);
        let (stop_tx, stop_rx) = watch::channel(false);
        let stop: Stop = {
            let mut stop_rx = stop_rx;
            let shutdown = shutdown.wait();
            Box::pin(async move {
                tokio::select! {
                    _ = stop_rx.wait_for(|v| *v) => {}
                    () = shutdown => {}
                }
            })
        };
        let mut running = std::pin::pin!(work(stop));
        let renew = async {
            let mut renewed = std::time::Instant::now();
            loop {
                shutdown.sleep(times.renew_every).await;
                if shutdown.requested() {
                    return false;
                }
                match store.acquire_lease(name, holder, ttl, Utc::now()).await {
                    Ok(true) => renewed = std::time::Instant::now(),
                    Ok(false) => {
                        tracing::warn!(
                            lease = name,
                            holder,
                            "lost the lease to another replica; stopping"
                        );
                        return true;
                    }
                    Err(e) if renewed.elapsed() + times.renew_every >= times.ttl => {
                        tracing::warn!(lease = name, error = %e, "cannot renew the lease before it runs out; stopping");
                        return true;
                    }
                    Err(e) => {
                        tracing::warn!(lease = name, error = %e, "cannot renew the lease; trying again");
                    }
                }
            }
        };
        let outcome = tokio::select! {
            result = &mut running => Some(result),
            lost = renew => {
                if lost {
                    stop_tx.send_replace(true);
                }
                None
            }
        };
        let outcome = match outcome {
            Some(result) => result,
            None => running.await,
        };
        holding.send_replace(false);
        if outcome.is_err() || shutdown.requested() {
            match store.release_lease(name, holder).await {
                Ok(true) => tracing::info!(lease = name, holder, "released the lease"),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(lease = name, error = %e, "cannot release the lease; it runs out by itself")
                }
            }
        }
        outcome?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ambassador_store::SqlStore;

    /// A replica taking part in a lease: its task, whether it holds the lease, its shutdown.
    struct Replica {
        task: tokio::task::JoinHandle<anyhow::Result<()>>,
        holding: watch::Receiver<bool>,
        shutdown: watch::Sender<bool>,
    }

    const TIMES: LeaseTimes = LeaseTimes {
        ttl: Duration::from_millis(800),
        renew_every: Duration::from_millis(150),
        standby_poll: Duration::from_millis(50),
    };

    fn replica(
        store: &SqlStore,
        name: &'static str,
        runs: Arc<std::sync::Mutex<Vec<String>>>,
    ) -> Replica {
        let (holding_tx, holding) = watch::channel(false);
        let (shutdown, rx) = watch::channel(false);
        let store = store.clone();
        let task = tokio::spawn(async move {
            with_lease(
                &store,
                "work",
                name,
                TIMES,
                &holding_tx,
                &Shutdown(rx),
                |stop| {
                    let runs = runs.clone();
                    async move {
                        runs.lock().unwrap().push(format!("{name} starts"));
                        stop.await;
                        runs.lock().unwrap().push(format!("{name} stops"));
                        Ok(())
                    }
                },
            )
            .await
        });
        Replica {
            task,
            holding,
            shutdown,
        }
    }

    async fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) -> Duration {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < within,
                "{what} did not happen within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        started.elapsed()
    }

    async fn sqlite_store(dir: &tempfile::TempDir) -> SqlStore {
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        SqlStore::open(&url, 4).await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_replica_runs_the_leased_work_and_another_takes_over_when_it_dies() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let runs = Arc::new(std::sync::Mutex::new(Vec::new()));
        let a = replica(&store, "a", runs.clone());
        wait_until("a takes the lease", Duration::from_secs(5), || {
            *a.holding.borrow()
        })
        .await;
        let b = replica(&store, "b", runs.clone());
        // a renews it: b waits well past the time to live.
        tokio::time::sleep(TIMES.ttl * 3).await;
        assert!(*a.holding.borrow() && !*b.holding.borrow());
        assert_eq!(*runs.lock().unwrap(), ["a starts"]);
        // a dies without a word: b takes over once the lease ran out, not before.
        a.task.abort();
        let waited = wait_until("b takes over", Duration::from_secs(5), || {
            *b.holding.borrow()
        })
        .await;
        assert!(
            waited + TIMES.renew_every >= TIMES.ttl,
            "took over after {waited:?}"
        );
        assert_eq!(*runs.lock().unwrap(), ["a starts", "b starts"]);
        // b stops its work and gives the lease up on shutdown.
        b.shutdown.send_replace(true);
        b.task.await.unwrap().unwrap();
        assert_eq!(*runs.lock().unwrap(), ["a starts", "b starts", "b stops"]);
        assert_eq!(store.lease_holder("work", Utc::now()).await.unwrap(), None);
        let _ = a.shutdown;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_replica_that_shuts_down_hands_the_lease_over_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let runs = Arc::new(std::sync::Mutex::new(Vec::new()));
        let a = replica(&store, "a", runs.clone());
        wait_until("a takes the lease", Duration::from_secs(5), || {
            *a.holding.borrow()
        })
        .await;
        let b = replica(&store, "b", runs.clone());
        tokio::time::sleep(TIMES.standby_poll * 3).await;
        a.shutdown.send_replace(true);
        a.task.await.unwrap().unwrap();
        let waited = wait_until("b takes over", Duration::from_secs(5), || {
            *b.holding.borrow()
        })
        .await;
        assert!(
            waited < TIMES.ttl,
            "took {waited:?}: the lease was not released"
        );
        // A lease lost to another (here: taken after it ran out while b's renewals were away)
        // stops b's work, and b waits again.
        store.release_lease("work", "b").await.unwrap();
        assert!(
            store
                .acquire_lease("work", "c", chrono::Duration::seconds(60), Utc::now())
                .await
                .unwrap()
        );
        wait_until("b stops", Duration::from_secs(5), || !*b.holding.borrow()).await;
        wait_until("b's work stops", Duration::from_secs(5), || {
            runs.lock().unwrap().len() == 4
        })
        .await;
        assert_eq!(
            *runs.lock().unwrap(),
            ["a starts", "a stops", "b starts", "b stops"]
        );
        assert!(!b.task.is_finished(), "b waits to take it again");
        b.shutdown.send_replace(true);
        b.task.await.unwrap().unwrap();
        assert_eq!(
            store
                .lease_holder("work", Utc::now())
                .await
                .unwrap()
                .map(|(h, _)| h)
                .as_deref(),
            Some("c"),
            "b gives up only its own lease"
        );
    }
}
