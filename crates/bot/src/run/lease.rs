//! A lease in the store that one replica holds at a time (the Matrix sync runs under it).

use super::*;

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
    store: &SqlStore,
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
