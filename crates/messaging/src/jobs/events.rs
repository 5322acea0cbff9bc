//! Completion events on RabbitMQ: workers announce finished inference jobs on a fanout
//! exchange ([`AmqpJobEvents`]), and every app instance listens with its own exclusive
//! queue ([`CompletionListener`]) to wake its waiting requests.

use std::time::Duration;

use ai::JobId;
use ai::ports::JobEvents;
use async_trait::async_trait;
use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, Consumer};
use serde::{Deserialize, Serialize};

use super::channel::{ChannelSlot, Setup};
use super::notifier::CompletionNotifier;
use super::shutdown::Shutdown;
use super::topology::JobTopology;
use crate::amqp::Broker;

#[derive(Debug, Serialize, Deserialize)]
struct Finished {
    job_id: JobId,
}

/// Announces finished inference jobs to every app instance. Fire-and-forget: a lost event
/// only makes a waiting request wait out its timeout before it reads the job.
pub struct AmqpJobEvents {
    slot: ChannelSlot,
}

impl AmqpJobEvents {
    pub fn new(broker: Broker, topology: JobTopology) -> Self {
        AmqpJobEvents { slot: ChannelSlot::new(broker, topology, Setup::Events) }
    }

    async fn publish(&self, job: JobId) -> Result<(), String> {
        let payload = serde_json::to_vec(&Finished { job_id: job }).map_err(|e| e.to_string())?;
        let channel = self.slot.get().await.map_err(|e| e.to_string())?;
        channel
            .basic_publish(
                self.slot.topology().events_exchange().as_str().into(),
                "".into(),
                BasicPublishOptions::default(),
                &payload,
                BasicProperties::default().with_content_type("application/json".into()),
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[async_trait]
impl JobEvents for AmqpJobEvents {
    async fn inference_finished(&self, job: JobId) {
        if let Err(err) = self.publish(job).await {
            self.slot.discard().await;
            tracing::warn!(job_id = job, error = %err, "the completion event could not be published");
        }
    }
}

/// The longest pause between attempts to listen again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Feeds completion events from RabbitMQ into this instance's [`CompletionNotifier`].
pub struct CompletionListener {
    broker: Broker,
    topology: JobTopology,
    notifier: CompletionNotifier,
    /// This instance's queue: exclusive, deleted with its connection (and declared again
    /// on the next one).
    queue: String,
}

impl CompletionListener {
    pub fn new(broker: Broker, topology: JobTopology, notifier: CompletionNotifier) -> Self {
        let queue = format!("{}.listener.{}", topology.events_exchange(), uuid::Uuid::new_v4().simple());
        CompletionListener { broker, topology, notifier, queue }
    }

    async fn open(&self, connection: &Connection) -> lapin::Result<(Channel, Consumer)> {
        let channel = connection.create_channel().await?;
        self.topology.declare_events(&channel).await?;
        let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
        channel.queue_declare(self.queue.as_str().into(), options, FieldTable::default()).await?;
        channel
            .queue_bind(
                self.queue.as_str().into(),
                self.topology.events_exchange().as_str().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let consumer = channel
            .basic_consume(
                self.queue.as_str().into(),
                "".into(),
                BasicConsumeOptions { no_ack: true, ..Default::default() },
                FieldTable::default(),
            )
            .await?;
        Ok((channel, consumer))
    }

    /// Listens until `shutdown` fires: waits for a live connection, declares its queue
    /// and listens until the stream ends or the connection is lost, then starts over.
    pub async fn run(self, mut shutdown: Shutdown) {
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_triggered() {
            let live = tokio::select! {
                live = self.broker.connected() => live,
                () = shutdown.wait() => return,
            };
            let Some(live) = live else { return };
            let (_channel, mut consumer) = match self.open(&live.connection).await {
                Ok(opened) => opened,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for AI job completions yet");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.wait() => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = Duration::from_millis(200);
            loop {
                let delivery = tokio::select! {
                    delivery = consumer.next() => delivery,
                    () = self.broker.lost(live.generation) => None,
                    () = shutdown.wait() => return,
                };
                match delivery {
                    Some(Ok(delivery)) => match serde_json::from_slice::<Finished>(&delivery.data) {
                        Ok(finished) => self.notifier.announce(finished.job_id),
                        Err(err) => tracing::warn!(error = %err, "an unreadable completion event was ignored"),
                    },
                    Some(Err(err)) => {
                        tracing::warn!(error = %err, "the completion listener lost its connection");
                        break;
                    }
                    None => break,
                }
            }
        }
    }
}
