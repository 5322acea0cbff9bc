//! [`AmqpJobQueue`]: the [`JobQueue`] port on RabbitMQ, answering only once the broker
//! confirmed that it holds the message.

use std::time::Duration;

use ai::JobMessage;
use ai::ports::JobQueue;
use async_trait::async_trait;
use kernel::InfraError;
use lapin::BasicProperties;
use lapin::options::BasicPublishOptions;

use super::channel::{ChannelSlot, Setup};
use super::codec::encode;
use super::topology::JobTopology;
use crate::amqp::Broker;

/// AMQP delivery mode of messages the broker writes to disk.
const PERSISTENT: u8 = 2;

/// Publishes persistent job messages to the durable job queue with publisher confirms.
pub struct AmqpJobQueue {
    slot: ChannelSlot,
    confirm_timeout: Duration,
}

impl AmqpJobQueue {
    /// `confirm_timeout` bounds the whole publication: opening a channel, sending, and the
    /// broker's confirmation.
    pub fn new(broker: Broker, topology: JobTopology, confirm_timeout: Duration) -> Self {
        AmqpJobQueue { slot: ChannelSlot::new(broker, topology, Setup::ConfirmedJobs), confirm_timeout }
    }

    async fn send(&self, payload: &[u8], message_id: &str) -> Result<(), String> {
        let channel = self.slot.get().await.map_err(|e| format!("cannot open a channel: {e}"))?;
        let properties = BasicProperties::default()
            .with_delivery_mode(PERSISTENT)
            .with_content_type("application/json".into())
            .with_message_id(message_id.into());
        let confirmation = channel
            .basic_publish(
                "".into(),
                self.slot.topology().queue().into(),
                BasicPublishOptions { mandatory: true, ..Default::default() },
                payload,
                properties,
            )
            .await
            .map_err(|e| format!("cannot publish: {e}"))?
            .await
            .map_err(|e| format!("no confirmation: {e}"))?;
        if confirmation.is_nack() {
            return Err("the broker refused the message".to_owned());
        }
        if confirmation.take_message().is_some() {
            return Err(format!("no queue {:?} took the message", self.slot.topology().queue()));
        }
        Ok(())
    }
}

#[async_trait]
impl JobQueue for AmqpJobQueue {
    async fn publish(&self, message: JobMessage) -> Result<(), InfraError> {
        let payload = encode(&message)?;
        let key = message.key();
        let failure = match tokio::time::timeout(self.confirm_timeout, self.send(&payload, &key)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(failure)) => failure,
            Err(_) => format!("no confirmation within {} ms", self.confirm_timeout.as_millis()),
        };
        self.slot.discard().await;
        tracing::warn!(job = %key, error = %failure, "a job could not be queued on RabbitMQ");
        Err(InfraError::unavailable(format!("RabbitMQ: {failure}")))
    }
}
