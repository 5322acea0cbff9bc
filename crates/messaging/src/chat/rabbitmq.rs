//! The chat bus across instances: a RabbitMQ topic exchange keyed by session id.
//!
//! Each instance declares one exclusive, auto-delete queue and binds it to
//! `<namespace>.session.<id>` for exactly the sessions that have sockets on this instance
//! (and to `<namespace>.user.*` for account events, which concern every session). The
//! namespace keeps deployments (or test runs) that share one broker apart: their session
//! ids collide. Events are published to the
//! exchange, never handed to the local hub directly, so the publishing instance receives
//! its own events through its queue like every other: one path, one order.
//!
//! When the broker connection breaks, events published meanwhile are lost to this
//! instance; so after recovery every local subscription ends, and clients reconnect and
//! fetch what they missed from the history.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chat::ports::{ChatBus, ChatSubscription, Delivery};
use chat::{ChatEvent, SessionId};
use futures_util::StreamExt;
use kernel::InfraError;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, Consumer, ExchangeKind};
use tokio::sync::{mpsc, oneshot};

use super::hub::{Hub, HubSubscription};

/// The topic exchange every instance publishes chat events to.
pub const EXCHANGE: &str = "agora.chat";

fn unavailable(err: lapin::Error) -> InfraError {
    InfraError::unavailable(format!("RabbitMQ: {err}"))
}

/// The routing key of an event: `<namespace>.session.<id>`, or `<namespace>.user.<id>` for
/// account events.
pub fn routing_key(namespace: &str, event: &ChatEvent) -> String {
    match (event.session_id(), event) {
        (Some(id), _) => session_key(namespace, id),
        (None, ChatEvent::UserDisabled { user_id, .. }) => format!("{namespace}.user.{user_id}"),
        (None, _) => format!("{namespace}.user.all"),
    }
}

fn session_key(namespace: &str, session_id: SessionId) -> String {
    format!("{namespace}.session.{session_id}")
}

/// Whether `namespace` can prefix routing keys: 1..64 letters, digits, `_` or `-`.
pub fn valid_namespace(namespace: &str) -> bool {
    (1..=64).contains(&namespace.len()) && namespace.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

enum BindCommand {
    /// A subscriber arrived; bind the session's key if it is the first one here.
    Acquire(SessionId, oneshot::Sender<Result<(), InfraError>>),
    /// A subscriber left; unbind the session's key if it was the last one here.
    Release(SessionId),
}

impl std::fmt::Debug for BindCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindCommand::Acquire(id, _) => write!(f, "Acquire({id})"),
            BindCommand::Release(id) => write!(f, "Release({id})"),
        }
    }
}

/// The RabbitMQ chat bus of one instance.
#[derive(Debug, Clone)]
pub struct AmqpChatBus {
    hub: Arc<Hub>,
    channel: Channel,
    binder: mpsc::UnboundedSender<BindCommand>,
    queue: String,
    namespace: String,
}

impl AmqpChatBus {
    /// Declares the exchange and this instance's queue on `connection` and starts
    /// consuming. Instances share rooms when they share `namespace`. Must run inside a
    /// tokio runtime, which hosts the consumer and the binder.
    pub async fn start(connection: &Connection, capacity: usize, namespace: &str) -> Result<Self, InfraError> {
        if !valid_namespace(namespace) {
            return Err(InfraError::internal(format!(
                "chat bus namespace {namespace:?}: use 1..64 letters, digits, '_' or '-'"
            )));
        }
        let hub = Hub::new(capacity);
        let channel = connection.create_channel().await.map_err(unavailable)?;
        channel
            .exchange_declare(
                EXCHANGE.into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions { durable: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
        let queue = format!("agora.chat.{}", uuid::Uuid::new_v4().simple());
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
        channel
            .queue_bind(
                queue.as_str().into(),
                EXCHANGE.into(),
                format!("{namespace}.user.*").into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
        let consumer_channel = connection.create_channel().await.map_err(unavailable)?;
        let consumer = consumer_channel
            .basic_consume(
                queue.as_str().into(),
                "".into(),
                BasicConsumeOptions { no_ack: true, exclusive: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
        tokio::spawn(consume(consumer, consumer_channel, hub.clone()));
        let (binder, commands) = mpsc::unbounded_channel();
        tokio::spawn(bind_sessions(channel.clone(), queue.clone(), namespace.to_owned(), commands));
        tracing::info!(queue = %queue, namespace, "chat bus on RabbitMQ");
        Ok(AmqpChatBus { hub, channel, binder, queue, namespace: namespace.to_owned() })
    }

    /// The name of this instance's queue.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

/// Hands every delivery to the hub. After a connection loss it waits for lapin to recover
/// the channel, then ends every local subscription (they may have missed events).
async fn consume(mut consumer: Consumer, channel: Channel, hub: Arc<Hub>) {
    while let Some(delivery) = consumer.next().await {
        match delivery {
            Ok(delivery) => match serde_json::from_slice::<ChatEvent>(&delivery.data) {
                Ok(event) => hub.dispatch(event),
                Err(err) => tracing::warn!(error = %err, "ignoring a chat event that does not parse"),
            },
            Err(err) => {
                tracing::warn!(error = %err, "chat bus consumer interrupted; waiting for RabbitMQ to recover");
                let recovered = channel.wait_for_recovery(err).await;
                hub.end_all_sessions();
                if let Err(err) = recovered {
                    tracing::error!(error = %err, "chat bus consumer could not recover; live chat stops");
                    return;
                }
                tracing::info!("chat bus consumer recovered; open sockets were asked to reconnect");
            }
        }
    }
    hub.end_all_sessions();
    tracing::warn!("chat bus consumer ended");
}

/// Keeps this instance's queue bound to exactly the sessions with local subscribers. One
/// task applies the commands in order, so a bind and an unbind of one session never race.
async fn bind_sessions(
    channel: Channel,
    queue: String,
    namespace: String,
    mut commands: mpsc::UnboundedReceiver<BindCommand>,
) {
    let mut subscribers: HashMap<SessionId, usize> = HashMap::new();
    while let Some(command) = commands.recv().await {
        match command {
            BindCommand::Acquire(session_id, reply) => {
                let count = subscribers.get(&session_id).copied().unwrap_or(0);
                let result = if count == 0 {
                    channel
                        .queue_bind(
                            queue.as_str().into(),
                            EXCHANGE.into(),
                            session_key(&namespace, session_id).into(),
                            QueueBindOptions::default(),
                            FieldTable::default(),
                        )
                        .await
                        .map_err(unavailable)
                } else {
                    Ok(())
                };
                let bound = result.is_ok();
                if bound {
                    subscribers.insert(session_id, count + 1);
                }
                // A subscriber that gave up waiting never releases: release for it.
                if reply.send(result).is_err() && bound {
                    release(&channel, &queue, &namespace, &mut subscribers, session_id).await;
                }
            }
            BindCommand::Release(session_id) => {
                release(&channel, &queue, &namespace, &mut subscribers, session_id).await;
            }
        }
    }
}

async fn release(
    channel: &Channel,
    queue: &str,
    namespace: &str,
    subscribers: &mut HashMap<SessionId, usize>,
    session_id: SessionId,
) {
    let Some(count) = subscribers.get_mut(&session_id) else {
        return;
    };
    *count -= 1;
    if *count > 0 {
        return;
    }
    subscribers.remove(&session_id);
    let unbound = channel
        .queue_unbind(queue.into(), EXCHANGE.into(), session_key(namespace, session_id).into(), FieldTable::default())
        .await;
    if let Err(err) = unbound {
        tracing::warn!(error = %err, session_id, "could not unbind a chat session; its events keep arriving here");
    }
}

#[async_trait]
impl ChatBus for AmqpChatBus {
    async fn publish(&self, event: ChatEvent) -> Result<(), InfraError> {
        let payload = serde_json::to_vec(&event).map_err(InfraError::internal)?;
        self.channel
            .basic_publish(
                EXCHANGE.into(),
                routing_key(&self.namespace, &event).into(),
                BasicPublishOptions::default(),
                &payload,
                BasicProperties::default().with_content_type("application/json".into()),
            )
            .await
            .map_err(unavailable)?
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn subscribe(&self, session_id: SessionId) -> Result<Box<dyn ChatSubscription>, InfraError> {
        // Local first, so that nothing routed here after the bind can pass us by.
        let local = self.hub.subscribe(session_id);
        let (reply, bound) = oneshot::channel();
        self.binder
            .send(BindCommand::Acquire(session_id, reply))
            .map_err(|_| InfraError::unavailable("the chat bus binder stopped"))?;
        bound.await.map_err(|_| InfraError::unavailable("the chat bus binder stopped"))??;
        Ok(Box::new(AmqpSubscription { local, binder: self.binder.clone() }))
    }
}

struct AmqpSubscription {
    local: HubSubscription,
    binder: mpsc::UnboundedSender<BindCommand>,
}

#[async_trait]
impl ChatSubscription for AmqpSubscription {
    async fn next(&mut self) -> Option<Delivery> {
        self.local.next().await
    }
}

impl Drop for AmqpSubscription {
    fn drop(&mut self) {
        // Fails only when the binder is gone, and then there is nothing left to unbind.
        let _ = self.binder.send(BindCommand::Release(self.local.session_id()));
    }
}

#[cfg(test)]
mod tests {
    use chat::DisabledReason;

    use super::*;

    #[test]
    fn events_are_keyed_by_namespace_and_session_and_account_events_by_user() {
        assert_eq!(routing_key("agora", &ChatEvent::SessionClosed { session_id: 42 }), "agora.session.42");
        let ban = ChatEvent::UserDisabled { user_id: 7, reason: DisabledReason::Banned };
        assert_eq!(routing_key("blue", &ban), "blue.user.7");
    }

    #[test]
    fn namespaces_are_single_routing_key_words() {
        for good in ["agora", "agora-prod", "t_0123abc"] {
            assert!(valid_namespace(good), "{good}");
        }
        for bad in ["", "a.b", "a*", "#", "a b", &"x".repeat(65)] {
            assert!(!valid_namespace(bad), "{bad}");
        }
    }
}
