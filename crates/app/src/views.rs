//! The view flusher: writes buffered post views every `views.flush_interval_ms`, and once
//! more when the server stops, counting its batches in Prometheus.

use std::sync::Arc;
use std::time::Duration;

use agora_http::metrics::metrics;
use board::ViewCounter;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Writes the buffered views once; true unless the write failed.
pub async fn flush_views(views: &ViewCounter) -> bool {
    match views.flush().await {
        Ok(report) => {
            if report.posts > 0 {
                metrics().view_flush_batches.inc();
                metrics().views_flushed.inc_by(report.views);
                tracing::debug!(posts = report.posts, views = report.views, "post views flushed");
            }
            true
        }
        Err(err) => {
            metrics().view_flush_failures.inc();
            tracing::warn!(error = %err, pending = views.pending_total(), "flushing post views failed; kept for the next flush");
            false
        }
    }
}

/// The running flusher task.
pub struct ViewFlusher {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    views: Arc<ViewCounter>,
}

impl ViewFlusher {
    /// Starts flushing every `interval`.
    pub fn spawn(views: Arc<ViewCounter>, interval: Duration) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let buffer = views.clone();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                // A flush in progress always finishes: only the wait between flushes is
                // interrupted by the stop signal.
                tokio::select! {
                    _ = ticker.tick() => { flush_views(&buffer).await; }
                    _ = &mut stopped => break,
                }
            }
        });
        ViewFlusher { stop, task, views }
    }

    /// Stops the timer and writes what is still buffered. A failing final flush is retried a
    /// few times before the remaining views are reported as lost.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "the view flusher ended abnormally");
        }
        for attempt in 1..=3 {
            if flush_views(&self.views).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
        }
        tracing::error!(lost = self.views.pending_total(), "post views could not be written at shutdown");
    }
}
