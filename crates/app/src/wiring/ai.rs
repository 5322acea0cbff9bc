//! The AI part of the composition: the job runner, the AI service on the queue the
//! configuration names (RabbitMQ with `APP__AMQP__URL`, else the in-process queue), and the
//! background work that queue needs. `ai-worker` builds its runner here too.

use std::sync::Arc;
use std::time::Duration;

use ai::learning::{
    DatasetError, DatasetLimits, LearningError, LearningRuntime, LoadedModel, ModelArtifact, Table, TrainedModel,
    Trainer, TrainingSpec,
};
use ai::ports::{CompletionWatch, JobEvents, JobQueue};
use ai::{AiConfig, AiPorts, AiService, JobRunner, RunnerConfig, RunnerPorts};
use async_trait::async_trait;
use kernel::{AuditLog, SystemClock};
use messaging::jobs::{
    AmqpJobEvents, AmqpJobQueue, AmqpJobWorker, CompletionListener, CompletionNotifier, InProcessJobQueue, JobTopology,
    LocalQueueSettings, ShutdownTrigger, UuidTaskIds, WorkerSettings,
};
use persistence::DatabaseConnection;
use persistence::ai::{SqlDatasetRepository, SqlInferenceJobRepository, SqlModelRepository, SqlModelStore};

use crate::ai_jobs::{AiJobs, Background, spawn_gauges};
use crate::settings::{AiSettings, Settings};
use crate::wiring::{Services, StartupError};

/// The queue's names on the broker.
pub fn topology(settings: &AiSettings) -> JobTopology {
    let expiry = (settings.queue_expiry_secs > 0).then(|| Duration::from_secs(settings.queue_expiry_secs));
    JobTopology::new(settings.queue.clone(), expiry)
}

/// How one process consumes from RabbitMQ.
pub fn worker_settings(settings: &AiSettings, consumer_tag: &str) -> WorkerSettings {
    WorkerSettings {
        prefetch: settings.concurrency,
        retry_delay: Duration::from_millis(settings.retry_delay_ms),
        shutdown_grace: Duration::from_secs(settings.shutdown_grace_secs),
        consumer_tag: consumer_tag.to_owned(),
    }
}

/// The job runner of this process, announcing finished jobs to `events`.
pub fn job_runner(settings: &AiSettings, db: &DatabaseConnection, events: Arc<dyn JobEvents>) -> JobRunner {
    let delay = Duration::from_millis(settings.simulated_job_delay_ms);
    let (trainer, runtime): (Arc<dyn Trainer>, Arc<dyn LearningRuntime>) = if delay.is_zero() {
        (Arc::new(ml::SmartcoreTrainer), Arc::new(ml::BlockingLearningRuntime))
    } else {
        tracing::warn!(delay_ms = settings.simulated_job_delay_ms, "AI jobs are slowed down on purpose (testing aid)");
        (
            Arc::new(Delayed { inner: ml::SmartcoreTrainer, delay }),
            Arc::new(Delayed { inner: ml::BlockingLearningRuntime, delay }),
        )
    };
    JobRunner::new(
        RunnerPorts {
            datasets: Arc::new(SqlDatasetRepository::new(db.clone())),
            models: Arc::new(SqlModelRepository::new(db.clone())),
            jobs: Arc::new(SqlInferenceJobRepository::new(db.clone())),
            store: Arc::new(SqlModelStore::new(db.clone())),
            trainer,
            runtime,
            events,
            clock: Arc::new(SystemClock),
        },
        RunnerConfig {
            max_attempts: settings.max_attempts,
            training_seed: settings.training_seed,
            model_cache_capacity: settings.model_cache_size,
        },
    )
}

fn ai_service(
    settings: &AiSettings,
    db: &DatabaseConnection,
    audit: Arc<dyn AuditLog>,
    queue: Arc<dyn JobQueue>,
    watch: Arc<dyn CompletionWatch>,
) -> AiService {
    AiService::new(
        AiPorts {
            datasets: Arc::new(SqlDatasetRepository::new(db.clone())),
            models: Arc::new(SqlModelRepository::new(db.clone())),
            jobs: Arc::new(SqlInferenceJobRepository::new(db.clone())),
            queue,
            watch,
            runtime: Arc::new(ml::BlockingLearningRuntime),
            task_ids: Arc::new(UuidTaskIds),
            clock: Arc::new(SystemClock),
            audit,
        },
        AiConfig {
            dataset_limits: DatasetLimits {
                max_bytes: settings.dataset_max_bytes,
                max_rows: settings.dataset_max_rows,
                max_columns: settings.dataset_max_columns,
            },
            default_dataset: ml::AI_TEST_NAME.to_owned(),
        },
    )
}

/// Builds the AI service on the configured queue, makes sure the shipped dataset exists,
/// and starts the background work: job slots (in-process) or the completion listener and,
/// when configured, an embedded worker (RabbitMQ); and the job gauges of `/metrics`.
pub async fn build_ai(settings: &Settings, services: &Services) -> Result<AiJobs, StartupError> {
    let (db, audit, amqp) = (services.db.clone(), services.audit.clone(), services.amqp.clone());
    let ai = &settings.ai;
    let notifier = CompletionNotifier::new();
    let (trigger, shutdown) = ShutdownTrigger::new();
    let mut tasks = Vec::new();
    let (service, background) = match amqp {
        None => {
            let runner = Arc::new(job_runner(ai, &db, Arc::new(notifier.clone())));
            let local = LocalQueueSettings {
                concurrency: usize::from(ai.concurrency),
                retry_delay: Duration::from_millis(ai.retry_delay_ms),
                shutdown_grace: Duration::from_secs(ai.shutdown_grace_secs),
            };
            let (queue, workers) = InProcessJobQueue::start(runner, local);
            (ai_service(ai, &db, audit, Arc::new(queue), Arc::new(notifier)), Background::InProcess(workers))
        }
        Some(broker) => {
            let topology = topology(ai);
            let queue =
                AmqpJobQueue::new(broker.clone(), topology.clone(), Duration::from_millis(ai.publish_timeout_ms));
            let listener = CompletionListener::new(broker.clone(), topology.clone(), notifier.clone());
            tasks.push(tokio::spawn(listener.run(shutdown.clone())));
            if ai.app_consumes_jobs {
                let events = Arc::new(AmqpJobEvents::new(broker.clone(), topology.clone()));
                let runner = Arc::new(job_runner(ai, &db, events));
                let worker = AmqpJobWorker::new(broker, topology, runner, worker_settings(ai, "agora-app"));
                let shutdown = shutdown.clone();
                tasks.push(tokio::spawn(async move {
                    if let Err(err) = worker.run(shutdown).await {
                        tracing::error!(error = %err, "the app's AI worker stopped");
                    }
                }));
            }
            (ai_service(ai, &db, audit, Arc::new(queue), Arc::new(notifier)), Background::Broker)
        }
    };
    let service = Arc::new(service);
    if service.ensure_dataset(ml::AI_TEST_NAME, ml::AI_TEST_CSV.as_bytes()).await.map_err(|e| {
        StartupError::Other(format!("the shipped dataset {} could not be stored: {e}", ml::AI_TEST_NAME))
    })? {
        tracing::info!(dataset = ml::AI_TEST_NAME, "the shipped dataset was stored");
    }
    if let Background::InProcess(_) = background {
        // The in-process queue forgot its messages when the app stopped; the database
        // did not.
        match service.resume_pending().await {
            Ok(0) => {}
            Ok(resumed) => tracing::info!(resumed, "unfinished AI jobs were queued again"),
            Err(err) => return Err(StartupError::Other(format!("unfinished AI jobs could not be resumed: {err}"))),
        }
    }
    tasks.push(spawn_gauges(service.clone(), Duration::from_secs(ai.metrics_interval_secs), shutdown));
    Ok(AiJobs { service, background, trigger, tasks })
}

/// Slows every training and prediction down by `delay` (`ai.simulated_job_delay_ms`), so
/// that tests can stop a worker in the middle of a job.
struct Delayed<T> {
    inner: T,
    delay: Duration,
}

#[async_trait]
impl<T: Trainer> Trainer for Delayed<T> {
    async fn train(&self, table: Table, spec: TrainingSpec) -> Result<TrainedModel, LearningError> {
        tokio::time::sleep(self.delay).await;
        self.inner.train(table, spec).await
    }
}

#[async_trait]
impl<T: LearningRuntime> LearningRuntime for Delayed<T> {
    async fn parse_dataset(&self, csv: Vec<u8>, limits: DatasetLimits) -> Result<Table, DatasetError> {
        self.inner.parse_dataset(csv, limits).await
    }

    async fn load_model(&self, artifact: ModelArtifact) -> Result<Arc<dyn LoadedModel>, LearningError> {
        self.inner.load_model(artifact).await
    }

    async fn predict(&self, model: Arc<dyn LoadedModel>, inputs: Vec<Vec<f64>>) -> Result<Vec<f64>, LearningError> {
        tokio::time::sleep(self.delay).await;
        self.inner.predict(model, inputs).await
    }
}
