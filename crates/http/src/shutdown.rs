//! Graceful shutdown that reaches long-lived connections: actix waits for open WebSockets
//! to end (up to its shutdown timeout), so the server tells each socket to close first.

use std::sync::Arc;

use tokio::sync::watch;

/// A one-way switch from "serving" to "shutting down", shared by the server, its stop
/// handle and every socket.
#[derive(Debug, Clone)]
pub struct Shutdown {
    started: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown { started: Arc::new(watch::Sender::new(false)) }
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

    /// Resolves once the shutdown has started (at once if it already has).
    pub async fn started(&self) {
        let mut receiver = self.started.subscribe();
        // The sender lives in `self`, so the wait cannot fail.
        let _ = receiver.wait_for(|started| *started).await;
    }
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
}
