//! `run`'s HTTP server: the router over HTTP/1 connections that slow or silent clients cannot hold.
//! A connection has `header_timeout` to send each request's line and headers (and may sit idle
//! between requests no longer than that), then `body_timeout` for its body (at most [`MAX_BODY`]);
//! at most `max_connections` are served at once, and further ones wait in the kernel's queue until
//! one closes. On shutdown no new connection is taken, requests under way finish, idle connections
//! close.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

/// The largest request body read; larger ones get 413.
pub const MAX_BODY: usize = 1 << 20;
/// How long shutdown waits for requests under way.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// The "connection cap reached" warning comes at most this often.
const CAP_LOG_EVERY: Duration = Duration::from_secs(60);

/// The server's limits (`http.header_timeout`, `http.body_timeout`, `http.max_connections`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests under way finish
/// (for a few seconds at most).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut cap = CapLog::default();
    tokio::pin!(shutdown);
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                cap.reached(limits.max_connections);
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "cannot accept an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            router.clone(),
            limits,
            stop_rx.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every slot back: every connection closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
}

/// One connection, holding its slot until it closes.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        async move { Ok::<_, Infallible>(handle(router, request, limits.body_timeout).await) }
    });
    let mut builder = http1::Builder::new();
    // The header timeout runs from the moment the server waits for a request's head: for the
    // first request and between kept-alive ones alike.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = async { let _ = stop.wait_for(|stop| *stop).await; } => {
            conn.as_mut().graceful_shutdown();
            match tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()).await {
                Ok(result) => result,
                Err(_) => Ok(()),
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "HTTP connection closed");
    }
}

/// Reads the body (within the timeout and the cap), then routes the request.
async fn handle(router: Router, request: Request<Incoming>, body_timeout: Duration) -> Response {
    let (parts, body) = request.into_parts();
    if hyper::body::Body::size_hint(&body).lower() > MAX_BODY as u64 {
        return closing(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body larger than 1 MiB",
        );
    }
    let read = Limited::new(body, MAX_BODY).collect();
    let bytes = match tokio::time::timeout(body_timeout, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return closing(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body larger than 1 MiB",
            );
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "could not read a request body");
            return closing(StatusCode::BAD_REQUEST, "unreadable request body");
        }
        Err(_) => {
            tracing::info!(
                path = %parts.uri.path(),
                timeout = ?body_timeout,
                "a request body did not arrive in time; connection closed (http.body_timeout)"
            );
            return closing(
                StatusCode::REQUEST_TIMEOUT,
                "request body not received in time",
            );
        }
    };
    match router
        .oneshot(Request::from_parts(parts, Body::from(bytes)))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// An error answer after which the connection is closed (the rest of the body is not read).
fn closing(status: StatusCode, text: &'static str) -> Response {
    let mut response = (status, text).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The warning that the connection cap was reached: once, then at most once a minute with how
/// many connections had to wait since.
#[derive(Default)]
struct CapLog {
    last: Option<Instant>,
    waited: u64,
}

impl CapLog {
    fn reached(&mut self, max_connections: usize) {
        self.waited += 1;
        if self.last.is_some_and(|last| last.elapsed() < CAP_LOG_EVERY) {
            return;
        }
        tracing::warn!(
            max_connections,
            waited = self.waited,
            "HTTP connection cap reached (http.max_connections): new connections wait until one closes; idle ones close after http.header_timeout"
        );
        self.last = Some(Instant::now());
        self.waited = 0;
    }
}
