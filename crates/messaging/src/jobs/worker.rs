//! [`AmqpJobWorker`]: consumes job messages from RabbitMQ and runs them with the
//! [`JobRunner`], the loop at the heart of `ai-worker`.
//!
//! A message is acknowledged only after the runner committed the job's outcome; a worker
//! that dies before that leaves it unacknowledged, and the broker hands it to another
//! worker. Passing failures are returned to the queue after a pause; jobs that failed for
//! good are rejected into the dead-letter queue.

use std::sync::Arc;
use std::time::Duration;

use ai::{JobRunner, RunOutcome};
use futures_util::StreamExt;
use kernel::InfraError;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};

use crate::amqp::Broker;
use tokio::task::JoinSet;

use super::codec::decode;
use super::shutdown::Shutdown;
use super::topology::JobTopology;

/// How a worker consumes.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Unacknowledged messages at once, which is how many jobs run at once.
    pub prefetch: u16,
    /// Pause before a job whose attempt failed for a passing reason goes back to the queue.
    pub retry_delay: Duration,
    /// On shutdown, how long running jobs may take to finish before they are returned.
    pub shutdown_grace: Duration,
    /// Names the consumer in the broker's management views.
    pub consumer_tag: String,
}

/// The longest pause between attempts to open the consumer again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Consumes the job queue until told to stop.
pub struct AmqpJobWorker {
    broker: Broker,
    topology: JobTopology,
    runner: Arc<JobRunner>,
    settings: WorkerSettings,
}

/// Why the consumer stopped delivering.
enum Interrupted {
    Shutdown,
    /// The channel or connection broke; open a new consumer.
    Broken,
}

impl AmqpJobWorker {
    pub fn new(broker: Broker, topology: JobTopology, runner: Arc<JobRunner>, settings: WorkerSettings) -> Self {
        AmqpJobWorker { broker, topology, runner, settings }
    }

    async fn open(&self, connection: &Connection) -> lapin::Result<(Channel, Consumer)> {
        let channel = connection.create_channel().await?;
        self.topology.declare(&channel).await?;
        channel.basic_qos(self.settings.prefetch.max(1), BasicQosOptions::default()).await?;
        let consumer = channel
            .basic_consume(
                self.topology.queue().into(),
                self.settings.consumer_tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok((channel, consumer))
    }

    /// Consumes until `shutdown` fires; survives broker restarts by waiting for the next
    /// connection and declaring the topology and its consumer again (with backoff). On shutdown it stops taking messages, gives running jobs the grace
    /// period to finish, and closes its channel, which returns every unacknowledged
    /// message to the queue.
    pub async fn run(self, mut shutdown: Shutdown) -> Result<(), InfraError> {
        let mut running = JoinSet::new();
        let mut backoff = Duration::from_millis(200);
        let mut last_channel = None;
        while !shutdown.is_triggered() {
            let live = tokio::select! {
                live = self.broker.connected() => live,
                () = shutdown.wait() => break,
            };
            let Some(live) = live else { break };
            let (channel, mut consumer) = match self.open(&live.connection).await {
                Ok(opened) => opened,
                Err(err) => {
                    tracing::warn!(error = %err, retry_in_ms = backoff.as_millis(), "cannot consume the job queue yet");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.wait() => break,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = Duration::from_millis(200);
            tracing::info!(queue = self.topology.queue(), prefetch = self.settings.prefetch, "consuming AI jobs");
            let interrupted = self.consume(live.generation, &mut consumer, &mut running, &mut shutdown).await;
            match interrupted {
                Interrupted::Shutdown => {
                    if let Err(err) = channel.basic_cancel(consumer.tag(), BasicCancelOptions::default()).await {
                        tracing::debug!(error = %err, "the consumer could not be cancelled");
                    }
                    last_channel = Some(channel);
                    break;
                }
                Interrupted::Broken => {
                    tracing::warn!("the job consumer broke; opening a new one");
                }
            }
        }
        self.drain(&mut running).await;
        if let Some(channel) = last_channel {
            // Closing returns whatever is still unacknowledged to the queue at once.
            if let Err(err) = channel.close(200, "worker shutting down".into()).await {
                tracing::debug!(error = %err, "the channel could not be closed cleanly");
            }
        }
        Ok(())
    }

    async fn consume(
        &self,
        generation: u64,
        consumer: &mut Consumer,
        running: &mut JoinSet<()>,
        shutdown: &mut Shutdown,
    ) -> Interrupted {
        loop {
            tokio::select! {
                () = shutdown.wait() => return Interrupted::Shutdown,
                () = self.broker.lost(generation) => return Interrupted::Broken,
                Some(finished) = running.join_next(), if !running.is_empty() => {
                    if let Err(err) = finished {
                        tracing::error!(error = %err, "a job task panicked; its message will be redelivered");
                    }
                }
                delivery = consumer.next() => match delivery {
                    Some(Ok(delivery)) => {
                        let runner = self.runner.clone();
                        let retry_delay = self.settings.retry_delay;
                        let shutdown = shutdown.clone();
                        running.spawn(handle(runner, delivery, retry_delay, shutdown));
                    }
                    Some(Err(err)) => {
                        tracing::warn!(error = %err, "the job consumer lost its connection");
                        return Interrupted::Broken;
                    }
                    None => return Interrupted::Broken,
                },
            }
        }
    }

    async fn drain(&self, running: &mut JoinSet<()>) {
        if running.is_empty() {
            return;
        }
        tracing::info!(
            jobs = running.len(),
            grace_secs = self.settings.shutdown_grace.as_secs(),
            "waiting for running jobs to finish"
        );
        let drained =
            tokio::time::timeout(self.settings.shutdown_grace, async { while running.join_next().await.is_some() {} })
                .await;
        if drained.is_err() {
            tracing::warn!(
                jobs = running.len(),
                "jobs still running at the end of the grace period are returned to the queue"
            );
            running.abort_all();
            while running.join_next().await.is_some() {}
        }
    }
}

/// Runs one delivery and settles it with the broker.
async fn handle(runner: Arc<JobRunner>, delivery: Delivery, retry_delay: Duration, mut shutdown: Shutdown) {
    let message = match decode(&delivery.data) {
        Ok(message) => message,
        Err(err) => {
            tracing::error!(error = %err, "a message that is no job was dead-lettered");
            settle(&delivery, Settle::DeadLetter).await;
            return;
        }
    };
    let settlement = match runner.run(&message).await {
        RunOutcome::Completed | RunOutcome::Skipped(_) => Settle::Ack,
        RunOutcome::GaveUp(_) => Settle::DeadLetter,
        RunOutcome::Retry(_) => {
            // A pause keeps a failing dependency from being hammered; shutdown cuts it short.
            tokio::select! {
                () = tokio::time::sleep(retry_delay) => {}
                () = shutdown.wait() => {}
            }
            Settle::Requeue
        }
    };
    settle(&delivery, settlement).await;
}

enum Settle {
    Ack,
    Requeue,
    DeadLetter,
}

async fn settle(delivery: &Delivery, settlement: Settle) {
    let result = match settlement {
        Settle::Ack => delivery.ack(BasicAckOptions::default()).await,
        Settle::Requeue => delivery.nack(BasicNackOptions { requeue: true, ..Default::default() }).await,
        Settle::DeadLetter => delivery.nack(BasicNackOptions { requeue: false, ..Default::default() }).await,
    };
    if let Err(err) = result {
        // The channel broke; the broker redelivers the message, and the job is idempotent.
        tracing::warn!(error = %err, "a job message could not be settled; it will be redelivered");
    }
}
