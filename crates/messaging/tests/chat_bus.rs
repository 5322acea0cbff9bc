//! The chat bus adapters against their port's contract: events reach the subscribers of
//! their session (account events reach every subscriber), a subscription is effective when
//! `subscribe` returns, and dropping it unsubscribes.
//!
//! The `rabbitmq` module needs a broker (`AGORA_TEST_AMQP_URL`, e.g.
//! `amqp://guest:guest@127.0.0.1:5672/%2f`) and fails when it is unset; `make test` skips it
//! and `make test-integration` runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chat::ports::{ChatBus, ChatSubscription, Delivery};
use chat::{ChatEvent, DisabledReason};
use messaging::chat::InProcessChatBus;

/// How long a test waits for an event that must come.
const WAIT: Duration = Duration::from_secs(5);

async fn next_event(subscription: &mut Box<dyn ChatSubscription>) -> ChatEvent {
    match tokio::time::timeout(WAIT, subscription.next()).await {
        Ok(Some(Delivery::Event(event))) => Arc::unwrap_or_clone(event),
        other => panic!("expected an event, got {other:?}"),
    }
}

fn joined(session_id: i64, user_id: i64) -> ChatEvent {
    ChatEvent::Joined { session_id, user_id, user_name: format!("user{user_id}") }
}

#[tokio::test]
async fn in_process_events_reach_their_session_and_account_events_reach_all() {
    let bus = InProcessChatBus::new(16);
    let mut five = bus.subscribe(5).await.unwrap();
    let mut six = bus.subscribe(6).await.unwrap();
    bus.publish(joined(6, 1)).await.unwrap();
    bus.publish(joined(5, 2)).await.unwrap();
    let ban = ChatEvent::UserDisabled { user_id: 3, reason: DisabledReason::Banned };
    bus.publish(ban.clone()).await.unwrap();
    assert_eq!(next_event(&mut five).await, joined(5, 2), "session 6's event never reaches 5");
    assert_eq!(next_event(&mut five).await, ban);
    assert_eq!(next_event(&mut six).await, joined(6, 1));
    assert_eq!(next_event(&mut six).await, ban);
}

#[tokio::test]
async fn in_process_publishing_never_waits_for_a_slow_subscriber() {
    let bus = InProcessChatBus::new(4);
    let mut slow = bus.subscribe(5).await.unwrap();
    let mut fast = bus.subscribe(5).await.unwrap();
    for n in 0..10 {
        bus.publish(joined(5, n)).await.unwrap();
        assert_eq!(next_event(&mut fast).await, joined(5, n));
    }
    assert_eq!(tokio::time::timeout(WAIT, slow.next()).await.unwrap(), Some(Delivery::Lagged(6)));
}

#[tokio::test]
async fn in_process_dropping_the_last_subscription_frees_the_session() {
    let bus = InProcessChatBus::new(4);
    let first = bus.subscribe(5).await.unwrap();
    let second = bus.subscribe(5).await.unwrap();
    assert_eq!(bus.hub().session_count(), 1);
    drop(first);
    drop(second);
    assert_eq!(bus.hub().session_count(), 0);
}

/// Needs a broker: `AGORA_TEST_AMQP_URL`.
mod rabbitmq {
    use messaging::chat::AmqpChatBus;

    use super::*;

    fn broker_url() -> String {
        std::env::var("AGORA_TEST_AMQP_URL")
            .ok()
            .filter(|url| !url.trim().is_empty())
            .expect("these tests need RabbitMQ: set AGORA_TEST_AMQP_URL, e.g. amqp://guest:guest@127.0.0.1:5672/%2f")
    }

    /// A namespace no other test uses, so that tests sharing the broker never cross.
    fn namespace() -> String {
        format!("t{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
    }

    type Instance = (AmqpChatBus, messaging::amqp::Broker);

    /// Two buses on their own connections: what two app instances of one deployment have.
    async fn two_instances() -> (Instance, Instance) {
        let namespace = namespace();
        let mut pair = Vec::new();
        for _ in 0..2 {
            let broker = messaging::amqp::Broker::start(&broker_url(), "agora-chat-bus-test").await.unwrap();
            let bus = AmqpChatBus::start(&broker, 64, &namespace).await.unwrap();
            pair.push((bus, broker));
        }
        let second = pair.pop().unwrap();
        (pair.pop().unwrap(), second)
    }

    fn session_id() -> i64 {
        42
    }

    #[tokio::test]
    async fn an_event_published_on_one_instance_reaches_a_subscriber_on_another() {
        let ((a, _ca), (b, _cb)) = two_instances().await;
        let session = session_id();
        let mut on_a = a.subscribe(session).await.unwrap();
        let mut on_b = b.subscribe(session).await.unwrap();
        // No sleep: subscribing guarantees that events published from now on arrive.
        b.publish(joined(session, 1)).await.unwrap();
        assert_eq!(next_event(&mut on_a).await, joined(session, 1));
        assert_eq!(next_event(&mut on_b).await, joined(session, 1), "the publisher's own subscribers too");
    }

    #[tokio::test]
    async fn only_subscribed_sessions_are_routed_to_an_instance() {
        let ((a, _ca), (b, _cb)) = two_instances().await;
        let (watched, other) = (session_id(), session_id() + 1);
        let mut on_a = a.subscribe(watched).await.unwrap();
        b.publish(joined(other, 1)).await.unwrap();
        b.publish(joined(watched, 2)).await.unwrap();
        assert_eq!(next_event(&mut on_a).await, joined(watched, 2), "the other session's event never came");
    }

    #[tokio::test]
    async fn account_events_reach_every_instance_and_every_session() {
        let ((a, _ca), (b, _cb)) = two_instances().await;
        let mut on_a = a.subscribe(session_id()).await.unwrap();
        let mut on_b = b.subscribe(session_id() + 7).await.unwrap();
        let ban = ChatEvent::UserDisabled { user_id: 99, reason: DisabledReason::Deactivated };
        a.publish(ban.clone()).await.unwrap();
        assert_eq!(next_event(&mut on_a).await, ban);
        assert_eq!(next_event(&mut on_b).await, ban);
    }

    #[tokio::test]
    async fn deployments_in_other_namespaces_never_hear_each_other() {
        let ((a, _ca), _) = two_instances().await;
        let ((other, _co), _) = two_instances().await;
        let mut on_a = a.subscribe(session_id()).await.unwrap();
        let mut on_other = other.subscribe(session_id()).await.unwrap();
        other.publish(joined(session_id(), 1)).await.unwrap();
        a.publish(joined(session_id(), 2)).await.unwrap();
        assert_eq!(next_event(&mut on_other).await, joined(session_id(), 1));
        assert_eq!(next_event(&mut on_a).await, joined(session_id(), 2), "the other namespace's event never came");
    }

    #[tokio::test]
    async fn a_bus_refuses_a_namespace_that_is_not_one_routing_key_word() {
        let broker = messaging::amqp::Broker::start(&broker_url(), "agora-chat-bus-test").await.unwrap();
        assert!(AmqpChatBus::start(&broker, 8, "a.b").await.is_err());
    }

    #[tokio::test]
    async fn resubscribing_after_the_last_subscriber_left_binds_again() {
        let ((a, _ca), (b, _cb)) = two_instances().await;
        let session = session_id();
        for round in 0..3 {
            let mut first = a.subscribe(session).await.unwrap();
            let second = a.subscribe(session).await.unwrap();
            drop(second);
            b.publish(joined(session, round)).await.unwrap();
            assert_eq!(next_event(&mut first).await, joined(session, round), "round {round}");
            drop(first);
        }
    }
}
