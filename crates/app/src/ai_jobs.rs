//! The AI jobs running beside the HTTP server: the background work of the queue (job slots
//! in-process, or the completion listener and an embedded worker with RabbitMQ) and the job
//! gauges of `/metrics`. [`crate::wiring::ai`] builds them.

use std::sync::Arc;
use std::time::Duration;

use agora_http::metrics::metrics;
use ai::AiService;
use messaging::jobs::{LocalWorkers, Shutdown, ShutdownTrigger};
use tokio::task::JoinHandle;

/// What runs beside the HTTP server for AI jobs.
pub(crate) enum Background {
    InProcess(LocalWorkers),
    Broker,
}

/// The AI part of a running app: the service for the API and its background tasks.
pub struct AiJobs {
    pub service: Arc<AiService>,
    pub(crate) background: Background,
    pub(crate) trigger: ShutdownTrigger,
    pub(crate) tasks: Vec<JoinHandle<()>>,
}

impl AiJobs {
    /// Stops the background work: running jobs get the grace period to finish.
    pub async fn stop(self) {
        self.trigger.trigger();
        if let Background::InProcess(workers) = self.background {
            workers.stop().await;
        }
        for task in self.tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "an AI background task ended abnormally");
            }
        }
    }
}

/// Refreshes the `agora_ai_jobs` gauges from the database every `interval`.
pub(crate) fn spawn_gauges(service: Arc<AiService>, interval: Duration, mut shutdown: Shutdown) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = shutdown.wait() => return,
            }
            match service.activity().await {
                Ok(activity) => {
                    let counts = [
                        ("training", "queued", activity.trainings.queued),
                        ("training", "running", activity.trainings.running),
                        ("inference", "queued", activity.inferences.queued),
                        ("inference", "running", activity.inferences.running),
                    ];
                    for (kind, status, count) in counts {
                        metrics()
                            .ai_jobs
                            .with_label_values(&[kind, status])
                            .set(i64::try_from(count).unwrap_or(i64::MAX));
                    }
                }
                Err(err) => tracing::warn!(error = %err, "the AI job gauges could not be refreshed"),
            }
        }
    })
}
