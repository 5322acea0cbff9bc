//! The queues and exchanges of the job queue, declared idempotently by every process that
//! publishes or consumes.

use std::time::Duration;

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, ExchangeKind};

/// The names of the job queue's queues and exchanges, from one base name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTopology {
    queue: String,
    /// Queues unused this long are deleted by the broker, and exchanges go with their last
    /// binding: for throwaway brokers and test runs. `None` keeps them.
    expiry: Option<Duration>,
}

impl JobTopology {
    /// `queue` is the base name (at most 200 characters, checked by the settings).
    pub fn new(queue: impl Into<String>, expiry: Option<Duration>) -> Self {
        JobTopology { queue: queue.into(), expiry }
    }

    /// The durable queue of job messages.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Where rejected job messages are routed.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.queue)
    }

    /// Where jobs that failed for good wait for inspection.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead", self.queue)
    }

    /// The fanout exchange of completion events.
    pub fn events_exchange(&self) -> String {
        format!("{}.events", self.queue)
    }

    fn queue_arguments(&self, mut arguments: FieldTable) -> FieldTable {
        if let Some(expiry) = self.expiry {
            let millis = i64::try_from(expiry.as_millis()).unwrap_or(i64::MAX).max(1);
            arguments.insert("x-expires".into(), AMQPValue::LongLongInt(millis));
        }
        arguments
    }

    fn exchange_options(&self) -> ExchangeDeclareOptions {
        ExchangeDeclareOptions { durable: true, auto_delete: self.expiry.is_some(), ..Default::default() }
    }

    /// Declares the job queue, the dead-letter exchange and queue, and the events exchange.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        let durable = QueueDeclareOptions { durable: true, ..Default::default() };
        channel
            .exchange_declare(
                self.dead_letter_exchange().as_str().into(),
                ExchangeKind::Direct,
                self.exchange_options(),
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_declare(
                self.dead_letter_queue().as_str().into(),
                durable,
                self.queue_arguments(FieldTable::default()),
            )
            .await?;
        channel
            .queue_bind(
                self.dead_letter_queue().as_str().into(),
                self.dead_letter_exchange().as_str().into(),
                self.queue.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(LongString::from(self.dead_letter_exchange().as_str())),
        );
        channel.queue_declare(self.queue.as_str().into(), durable, self.queue_arguments(arguments)).await?;
        self.declare_events(channel).await
    }

    /// Declares the events exchange only (what a listener or an event publisher needs).
    pub async fn declare_events(&self, channel: &Channel) -> lapin::Result<()> {
        channel
            .exchange_declare(
                self.events_exchange().as_str().into(),
                ExchangeKind::Fanout,
                self.exchange_options(),
                FieldTable::default(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_derives_from_the_queue() {
        let topology = JobTopology::new("agora.ai.jobs", None);
        assert_eq!(topology.queue(), "agora.ai.jobs");
        assert_eq!(topology.dead_letter_exchange(), "agora.ai.jobs.dlx");
        assert_eq!(topology.dead_letter_queue(), "agora.ai.jobs.dead");
        assert_eq!(topology.events_exchange(), "agora.ai.jobs.events");
    }

    #[test]
    fn expiry_applies_to_queues_and_makes_exchanges_go_with_their_bindings() {
        let keep = JobTopology::new("q", None);
        assert!(keep.queue_arguments(FieldTable::default()).inner().is_empty());
        assert!(!keep.exchange_options().auto_delete);
        let throwaway = JobTopology::new("q", Some(Duration::from_secs(300)));
        let arguments = throwaway.queue_arguments(FieldTable::default());
        assert_eq!(arguments.inner().get("x-expires"), Some(&AMQPValue::LongLongInt(300_000)));
        assert!(throwaway.exchange_options().auto_delete);
    }
}
