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
//! instance; so every local subscription ends (sockets close with 1012 and clients
//! reconnect and fetch what they missed from the history), and on the next connection the
//! bus declares its exchange, queue and bindings again. While the link is down, publishing
//! and subscribing fail at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

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
use crate::amqp::Broker;

/// The topic exchange every instance publishes chat events to.
pub const EXCHANGE: &str = "agora.chat";

/// The longest pause between attempts to set the bus up on a live connection.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

fn unavailable(err: lapin::Error) -> InfraError {
    InfraError::unavailable(format!("RabbitMQ: {err}"))
}

fn down() -> InfraError {
    InfraError::unavailable("RabbitMQ: not connected")
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
    /// A subscriber arrived; bind the session's key if it is the first one here. The
    /// reply carries the link generation the binding was made on.
    Acquire(SessionId, oneshot::Sender<Result<u64, InfraError>>),
    /// A subscriber bound on that generation left; unbind the session's key if it was the
    /// last one here. Releases from older generations are ignored: their bindings went
    /// with the old connection.
    Release(SessionId, u64),
}

impl std::fmt::Debug for BindCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindCommand::Acquire(id, _) => write!(f, "Acquire({id})"),
            BindCommand::Release(id, generation) => write!(f, "Release({id}, {generation})"),
        }
    }
}

/// The publishing channel of the current connection, if the bus is set up on one.
type PublishSlot = Arc<Mutex<Option<Channel>>>;

/// The RabbitMQ chat bus of one instance.
#[derive(Debug, Clone)]
pub struct AmqpChatBus {
    hub: Arc<Hub>,
    publisher: PublishSlot,
    binder: mpsc::UnboundedSender<BindCommand>,
    queue: String,
    namespace: String,
}

/// What one connection generation of the bus consists of.
struct Setup {
    channel: Channel,
    consumer: Consumer,
    /// Kept open for as long as the consumer runs.
    _consumer_channel: Channel,
}

impl AmqpChatBus {
    /// Declares the exchange and this instance's queue on the broker's connection and
    /// starts consuming; does it again on every new connection. Instances share rooms
    /// when they share `namespace`. Must run inside a tokio runtime, which hosts the link
    /// task. Fails when the first setup fails.
    pub async fn start(broker: &Broker, capacity: usize, namespace: &str) -> Result<Self, InfraError> {
        if !valid_namespace(namespace) {
            return Err(InfraError::internal(format!(
                "chat bus namespace {namespace:?}: use 1..64 letters, digits, '_' or '-'"
            )));
        }
        let hub = Hub::new(capacity);
        let queue = format!("agora.chat.{}", uuid::Uuid::new_v4().simple());
        let live = broker.current().ok_or_else(down)?;
        let first = set_up(&live.connection, &queue, namespace).await?;
        let publisher: PublishSlot = Arc::new(Mutex::new(Some(first.channel.clone())));
        let (binder, commands) = mpsc::unbounded_channel();
        let link = BusLink {
            broker: broker.clone(),
            hub: hub.clone(),
            publisher: publisher.clone(),
            queue: queue.clone(),
            namespace: namespace.to_owned(),
        };
        tokio::spawn(link.run(live.generation, first, commands));
        tracing::info!(queue = %queue, namespace, "chat bus on RabbitMQ");
        Ok(AmqpChatBus { hub, publisher, binder, queue, namespace: namespace.to_owned() })
    }

    /// The name of this instance's queue.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    fn publishing_channel(&self) -> Option<Channel> {
        let slot = self.publisher.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref().filter(|channel| channel.status().connected()).cloned()
    }
}

/// Declares the exchange, this instance's queue and its account-events binding, and
/// starts consuming.
async fn set_up(connection: &Connection, queue: &str, namespace: &str) -> Result<Setup, InfraError> {
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
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    channel
        .queue_bind(
            queue.into(),
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
            queue.into(),
            "".into(),
            BasicConsumeOptions { no_ack: true, exclusive: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    Ok(Setup { channel, consumer, _consumer_channel: consumer_channel })
}

/// The task that keeps the bus on the broker: hands deliveries to the hub, keeps the queue
/// bound to exactly the sessions with local subscribers, and sets everything up again on
/// each new connection. One task applies the commands in order, so a bind and an unbind
/// of one session never race.
struct BusLink {
    broker: Broker,
    hub: Arc<Hub>,
    publisher: PublishSlot,
    queue: String,
    namespace: String,
}

impl BusLink {
    async fn run(self, generation: u64, first: Setup, mut commands: mpsc::UnboundedReceiver<BindCommand>) {
        let mut current = Some((generation, first));
        let mut backoff = Duration::from_millis(200);
        loop {
            if let Some((generation, setup)) = current.take() {
                backoff = Duration::from_millis(200);
                if !self.serve(generation, setup, &mut commands).await {
                    break;
                }
                self.set_publisher(None);
                // Events routed meanwhile are lost to this instance: every socket is asked
                // to reconnect and catch up from the history.
                self.hub.end_all_sessions();
                tracing::warn!("chat bus interrupted; open sockets were asked to reconnect");
            }
            let live = tokio::select! {
                live = self.broker.connected() => live,
                alive = refuse_while_down(&mut commands) => if alive { continue } else { break },
            };
            let Some(live) = live else { break };
            match set_up(&live.connection, &self.queue, &self.namespace).await {
                Ok(setup) => {
                    self.set_publisher(Some(setup.channel.clone()));
                    tracing::info!(queue = %self.queue, "chat bus set up again on RabbitMQ");
                    current = Some((live.generation, setup));
                }
                Err(err) => {
                    tracing::warn!(error = %err, retry_in_ms = backoff.as_millis(), "cannot set the chat bus up yet");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        alive = refuse_while_down(&mut commands) => if !alive { break },
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        self.set_publisher(None);
        self.hub.end_all_sessions();
        tracing::info!("chat bus stopped");
    }

    fn set_publisher(&self, channel: Option<Channel>) {
        *self.publisher.lock().unwrap_or_else(PoisonError::into_inner) = channel;
    }

    /// Serves one connection generation until it breaks (`true`) or every handle to the
    /// bus is gone (`false`).
    async fn serve(&self, generation: u64, setup: Setup, commands: &mut mpsc::UnboundedReceiver<BindCommand>) -> bool {
        let Setup { channel, mut consumer, _consumer_channel } = setup;
        let mut subscribers: HashMap<SessionId, usize> = HashMap::new();
        loop {
            tokio::select! {
                delivery = consumer.next() => match delivery {
                    Some(Ok(delivery)) => match serde_json::from_slice::<ChatEvent>(&delivery.data) {
                        Ok(event) => self.hub.dispatch(event),
                        Err(err) => tracing::warn!(error = %err, "ignoring a chat event that does not parse"),
                    },
                    Some(Err(err)) => {
                        tracing::warn!(error = %err, "the chat bus consumer lost its connection");
                        return true;
                    }
                    None => return true,
                },
                () = self.broker.lost(generation) => return true,
                command = commands.recv() => match command {
                    None => return false,
                    Some(BindCommand::Acquire(session_id, reply)) => {
                        let count = subscribers.get(&session_id).copied().unwrap_or(0);
                        let result = if count == 0 {
                            channel
                                .queue_bind(
                                    self.queue.as_str().into(),
                                    EXCHANGE.into(),
                                    session_key(&self.namespace, session_id).into(),
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
                        if reply.send(result.map(|()| generation)).is_err() && bound {
                            self.release(&channel, &mut subscribers, session_id).await;
                        }
                    }
                    Some(BindCommand::Release(session_id, of)) => {
                        if of == generation {
                            self.release(&channel, &mut subscribers, session_id).await;
                        }
                    }
                },
            }
        }
    }

    async fn release(&self, channel: &Channel, subscribers: &mut HashMap<SessionId, usize>, session_id: SessionId) {
        let Some(count) = subscribers.get_mut(&session_id) else {
            return;
        };
        *count -= 1;
        if *count > 0 {
            return;
        }
        subscribers.remove(&session_id);
        let unbound = channel
            .queue_unbind(
                self.queue.as_str().into(),
                EXCHANGE.into(),
                session_key(&self.namespace, session_id).into(),
                FieldTable::default(),
            )
            .await;
        if let Err(err) = unbound {
            tracing::warn!(error = %err, session_id, "could not unbind a chat session; its events keep arriving here");
        }
    }
}

/// While the link is down, answers every subscriber at once that the bus is unavailable.
/// Returns `false` when every handle to the bus is gone.
async fn refuse_while_down(commands: &mut mpsc::UnboundedReceiver<BindCommand>) -> bool {
    loop {
        match commands.recv().await {
            None => return false,
            Some(BindCommand::Acquire(_, reply)) => {
                let _ = reply.send(Err(down()));
            }
            Some(BindCommand::Release(..)) => {}
        }
    }
}

#[async_trait]
impl ChatBus for AmqpChatBus {
    async fn publish(&self, event: ChatEvent) -> Result<(), InfraError> {
        let payload = serde_json::to_vec(&event).map_err(InfraError::internal)?;
        let channel = self.publishing_channel().ok_or_else(down)?;
        channel
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
        let generation = bound.await.map_err(|_| InfraError::unavailable("the chat bus binder stopped"))??;
        Ok(Box::new(AmqpSubscription { local, generation, binder: self.binder.clone() }))
    }
}

struct AmqpSubscription {
    local: HubSubscription,
    generation: u64,
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
        let _ = self.binder.send(BindCommand::Release(self.local.session_id(), self.generation));
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
