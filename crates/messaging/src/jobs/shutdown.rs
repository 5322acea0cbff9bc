//! A signal that tells long-running loops to stop, observed by any number of them.

use tokio::sync::watch;

/// Fires the signal; dropping it fires it too, so that no loop outlives its owner.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// Observes the signal.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl ShutdownTrigger {
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (sender, receiver) = watch::channel(false);
        (ShutdownTrigger(sender), Shutdown(receiver))
    }

    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the signal fired (at once if it already has).
    pub async fn wait(&mut self) {
        // An error means the trigger was dropped, which counts as firing.
        let _ = self.0.wait_for(|fired| *fired).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn every_observer_sees_the_signal_and_dropping_the_trigger_fires_it() {
        let (trigger, mut first) = ShutdownTrigger::new();
        let mut second = trigger.subscribe();
        assert!(!first.is_triggered());
        trigger.trigger();
        first.wait().await;
        second.wait().await;
        assert!(first.is_triggered());

        let (trigger, mut observer) = ShutdownTrigger::new();
        drop(trigger);
        tokio::time::timeout(Duration::from_secs(5), observer.wait()).await.expect("a dropped trigger fires");
    }
}
