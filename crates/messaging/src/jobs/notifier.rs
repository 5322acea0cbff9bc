//! [`CompletionNotifier`]: the in-process signal that a job finished, which requests
//! waiting with `?wait=` listen to instead of polling the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ai::JobId;
use ai::ports::{CompletionWatch, JobEvents, WaitFuture};
use async_trait::async_trait;
use tokio::sync::oneshot;

type Waiters = HashMap<JobId, Vec<(u64, oneshot::Sender<()>)>>;

#[derive(Default)]
struct Inner {
    waiters: Mutex<Waiters>,
    next_key: AtomicU64,
}

impl Inner {
    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        // Every critical section leaves the map consistent; a poisoned lock is still usable.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Wakes the watchers of a job when it is announced finished. Fed by the in-process
/// runner, or by the [`super::CompletionListener`] in RabbitMQ mode. Cheap to clone.
#[derive(Clone, Default)]
pub struct CompletionNotifier {
    inner: Arc<Inner>,
}

impl CompletionNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes every current watcher of `job`.
    pub fn announce(&self, job: JobId) {
        let woken = self.inner.waiters().remove(&job).unwrap_or_default();
        for (_, waiter) in woken {
            let _ = waiter.send(());
        }
    }

    /// How many watches are registered (for tests: none may leak).
    pub fn watch_count(&self) -> usize {
        self.inner.waiters().values().map(Vec::len).sum()
    }
}

/// Removes its registration when the watch ends, however it ends.
struct Registration {
    inner: Arc<Inner>,
    job: JobId,
    key: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut waiters = self.inner.waiters();
        if let Some(list) = waiters.get_mut(&self.job) {
            list.retain(|(key, _)| *key != self.key);
            if list.is_empty() {
                waiters.remove(&self.job);
            }
        }
    }
}

impl CompletionWatch for CompletionNotifier {
    fn watch(&self, job: JobId, timeout: Duration) -> WaitFuture {
        let (sender, receiver) = oneshot::channel();
        let key = self.inner.next_key.fetch_add(1, Ordering::Relaxed);
        self.inner.waiters().entry(job).or_default().push((key, sender));
        let registration = Registration { inner: self.inner.clone(), job, key };
        Box::pin(async move {
            let _registration = registration;
            let _ = tokio::time::timeout(timeout, receiver).await;
        })
    }
}

#[async_trait]
impl JobEvents for CompletionNotifier {
    async fn inference_finished(&self, job: JobId) {
        self.announce(job);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const LONG: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn an_announcement_wakes_every_watcher_of_that_job_only() {
        let notifier = CompletionNotifier::new();
        let first = tokio::spawn(notifier.watch(7, LONG));
        let second = tokio::spawn(notifier.watch(7, LONG));
        let other = notifier.watch(8, Duration::from_millis(50));
        assert_eq!(notifier.watch_count(), 3);
        notifier.announce(7);
        tokio::time::timeout(Duration::from_secs(5), first).await.unwrap().unwrap();
        tokio::time::timeout(Duration::from_secs(5), second).await.unwrap().unwrap();
        assert_eq!(notifier.watch_count(), 1);
        other.await;
        assert_eq!(notifier.watch_count(), 0);
    }

    #[tokio::test]
    async fn an_announcement_before_the_first_poll_is_not_missed() {
        let notifier = CompletionNotifier::new();
        let watch = notifier.watch(7, LONG);
        notifier.inference_finished(7).await;
        tokio::time::timeout(Duration::from_secs(5), watch).await.expect("woken, not timed out");
    }

    #[tokio::test]
    async fn a_watch_unannounced_ends_at_its_timeout() {
        let notifier = CompletionNotifier::new();
        let started = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(5), notifier.watch(7, Duration::from_millis(50))).await.unwrap();
        // A timer never fires early: it ended by its own timeout, not by some announcement.
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(notifier.watch_count(), 0);
    }

    #[tokio::test]
    async fn a_dropped_watch_unregisters() {
        let notifier = CompletionNotifier::new();
        let watch = notifier.watch(7, LONG);
        assert_eq!(notifier.watch_count(), 1);
        drop(watch);
        assert_eq!(notifier.watch_count(), 0);
        notifier.announce(7);
    }
}
