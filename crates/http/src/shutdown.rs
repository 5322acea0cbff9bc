//! Graceful shutdown that reaches long-lived connections and in-flight requests.
//!
//! actix waits for open WebSockets to end (up to its shutdown timeout), so the server tells
//! each socket to close first. And actix stops each of its worker threads, with the tokio
//! runtime of that thread, as soon as *that* worker is idle; a database connection opened on
//! a stopped runtime fails wherever it is used next. So a graceful stop first stops
//! accepting connections, then waits until no request runs on any worker, and only then
//! stops the workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use tokio::sync::{Notify, watch};

/// A one-way switch from "serving" to "shutting down", shared by the server, its stop
/// handle and every socket; it also counts the requests in flight.
#[derive(Debug, Clone)]
pub struct Shutdown {
    started: Arc<watch::Sender<bool>>,
    in_flight: Arc<Counter>,
}

#[derive(Debug, Default)]
struct Counter {
    requests: AtomicUsize,
    idle: Notify,
}

/// One request in flight; dropping it ends the request.
#[derive(Debug)]
pub struct InFlight(Arc<Counter>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.requests.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown { started: Arc::new(watch::Sender::new(false)), in_flight: Arc::default() }
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown; idempotent.
    pub fn begin(&self) {
        self.started.send_replace(true);
    }

    pub fn is_started(&self) -> bool {
        *self.started.borrow()
    }

    /// Counts a request as in flight until the returned guard is dropped.
    pub fn track(&self) -> InFlight {
        self.in_flight.requests.fetch_add(1, Ordering::AcqRel);
        InFlight(self.in_flight.clone())
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.requests.load(Ordering::Acquire)
    }

    /// Waits until no request is in flight, at most `timeout`; whether that happened.
    pub async fn drained(&self, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.in_flight.idle.notified();
                tokio::pin!(idle);
                // Registered before the check, so a request ending in between still wakes us.
                idle.as_mut().enable();
                if self.in_flight() == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Resolves once the shutdown has started (at once if it already has).
    pub async fn started(&self) {
        let mut receiver = self.started.subscribe();
        // The sender lives in `self`, so the wait cannot fail.
        let _ = receiver.wait_for(|started| *started).await;
    }
}

/// Stops `server` gracefully: open WebSockets are told to close, no new connection is
/// accepted, requests in flight get up to `timeout` to finish, then the workers stop.
/// Idempotent.
pub async fn stop_gracefully(server: &ServerHandle, shutdown: &Shutdown, timeout: Duration) {
    shutdown.begin();
    server.pause().await;
    if !shutdown.drained(timeout).await {
        tracing::warn!(requests = shutdown.in_flight(), "requests still running at the shutdown timeout");
    }
    server.stop(true).await;
}

/// Resolves on SIGINT or SIGTERM.
pub async fn os_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_shutdown_even_after_it_started() {
        let shutdown = Shutdown::new();
        let early = shutdown.clone();
        let waiter = tokio::spawn(async move { early.started().await });
        assert!(!shutdown.is_started());
        shutdown.begin();
        waiter.await.unwrap();
        shutdown.clone().started().await;
        assert!(shutdown.is_started());
    }

    #[tokio::test]
    async fn drained_waits_for_every_request_in_flight() {
        let shutdown = Shutdown::new();
        assert!(shutdown.drained(Duration::ZERO).await, "idle at once with nothing in flight");
        let first = shutdown.track();
        let second = shutdown.clone().track();
        assert_eq!(shutdown.in_flight(), 2);
        let waiter = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { shutdown.drained(Duration::from_secs(60)).await }
        });
        drop(first);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one request still runs");
        drop(second);
        assert!(waiter.await.unwrap(), "drained once the last request ended");
        assert_eq!(shutdown.in_flight(), 0);
    }

    #[tokio::test]
    async fn drained_gives_up_at_the_timeout() {
        let shutdown = Shutdown::new();
        let _stuck = shutdown.track();
        assert!(!shutdown.drained(Duration::from_millis(20)).await);
        assert_eq!(shutdown.in_flight(), 1);
    }
}
