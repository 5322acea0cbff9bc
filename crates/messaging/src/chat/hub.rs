//! Local fan-out: one bounded broadcast channel per session that has subscribers on this
//! instance. Events addressed to every session are put into each channel, so a subscriber
//! sees one sequence in the order the hub received it. Publishing never waits: a subscriber
//! that falls `capacity` events behind loses them and learns it lagged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chat::ChatEvent;
use chat::SessionId;
use chat::ports::Delivery;
use tokio::sync::broadcast::{self, error::RecvError};

type Sender = broadcast::Sender<Arc<ChatEvent>>;
type Receiver = broadcast::Receiver<Arc<ChatEvent>>;

/// The subscribers of this instance, by session.
#[derive(Debug)]
pub struct Hub {
    capacity: usize,
    sessions: Mutex<HashMap<SessionId, Sender>>,
}

impl Hub {
    /// A hub whose subscribers may each fall `capacity` events behind (at least 1).
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Hub { capacity: capacity.max(1), sessions: Mutex::new(HashMap::new()) })
    }

    /// Hands an event to the subscribers of its session, or to every subscriber.
    pub fn dispatch(&self, event: ChatEvent) {
        let event = Arc::new(event);
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        // A send error only means nobody listens any more.
        match event.session_id() {
            Some(id) => {
                if let Some(sender) = sessions.get(&id) {
                    let _ = sender.send(event);
                }
            }
            None => {
                for sender in sessions.values() {
                    let _ = sender.send(event.clone());
                }
            }
        }
    }

    /// Starts receiving a session's events (and those addressed to every session);
    /// dropping the subscription stops it.
    pub fn subscribe(self: &Arc<Self>, session_id: SessionId) -> HubSubscription {
        let receiver = {
            let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
            sessions.entry(session_id).or_insert_with(|| broadcast::channel(self.capacity).0).subscribe()
        };
        HubSubscription { hub: self.clone(), session_id, receiver: Some(receiver) }
    }

    /// How many sessions have subscribers on this instance.
    pub fn session_count(&self) -> usize {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Ends every subscription (each gets `None`), e.g. after events may have been lost, so
    /// that clients reconnect and catch up from the history.
    pub fn end_all_sessions(&self) {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn release(&self, session_id: SessionId) {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if sessions.get(&session_id).is_some_and(|sender| sender.receiver_count() == 0) {
            sessions.remove(&session_id);
        }
    }
}

/// One subscriber's view of a session.
#[derive(Debug)]
pub struct HubSubscription {
    hub: Arc<Hub>,
    session_id: SessionId,
    receiver: Option<Receiver>,
}

impl HubSubscription {
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// The next delivery; cancel-safe.
    pub async fn next(&mut self) -> Option<Delivery> {
        match self.receiver.as_mut()?.recv().await {
            Ok(event) => Some(Delivery::Event(event)),
            Err(RecvError::Lagged(missed)) => Some(Delivery::Lagged(missed)),
            Err(RecvError::Closed) => None,
        }
    }
}

impl Drop for HubSubscription {
    fn drop(&mut self) {
        // The receiver goes first, so that the hub sees the true count.
        drop(self.receiver.take());
        self.hub.release(self.session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(session_id: SessionId) -> ChatEvent {
        ChatEvent::SessionClosed { session_id }
    }

    #[tokio::test]
    async fn a_subscriber_gets_its_sessions_events_and_those_for_everyone_only() {
        let hub = Hub::new(8);
        let mut five = hub.subscribe(5);
        hub.dispatch(closed(6));
        hub.dispatch(closed(5));
        let ban = ChatEvent::UserDisabled { user_id: 1, reason: chat::DisabledReason::Banned };
        hub.dispatch(ban.clone());
        assert_eq!(five.next().await, Some(Delivery::Event(Arc::new(closed(5)))));
        assert_eq!(five.next().await, Some(Delivery::Event(Arc::new(ban))));
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_learns_how_far() {
        let hub = Hub::new(2);
        let mut slow = hub.subscribe(5);
        for _ in 0..5 {
            hub.dispatch(closed(5));
        }
        assert_eq!(slow.next().await, Some(Delivery::Lagged(3)));
    }

    #[tokio::test]
    async fn sessions_without_subscribers_hold_nothing() {
        let hub = Hub::new(8);
        let a = hub.subscribe(5);
        let b = hub.subscribe(5);
        let c = hub.subscribe(6);
        assert_eq!(hub.session_count(), 2);
        drop(a);
        assert_eq!(hub.session_count(), 2);
        drop(b);
        drop(c);
        assert_eq!(hub.session_count(), 0);
        hub.dispatch(closed(5));
        assert_eq!(hub.session_count(), 0, "dispatching to nobody creates nothing");
    }

    #[tokio::test]
    async fn ending_all_sessions_ends_every_subscription_but_not_later_ones() {
        let hub = Hub::new(8);
        let mut old = hub.subscribe(5);
        hub.end_all_sessions();
        assert_eq!(old.next().await, None);
        let mut new = hub.subscribe(5);
        drop(old);
        hub.dispatch(closed(5));
        assert_eq!(new.next().await, Some(Delivery::Event(Arc::new(closed(5)))));
    }
}
