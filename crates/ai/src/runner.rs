//! The worker logic: takes one job message, runs the training or the inference it names,
//! and commits the outcome. The same code runs in `ai-worker` processes (RabbitMQ) and
//! inside the app (in-process queue).
//!
//! Every message may arrive more than once: the runner reads the job's state first, skips
//! jobs that already finished, and commits through guarded transitions so that a result
//! is written once. Attempts are counted in the database; after the last allowed attempt a
//! job is marked failed and the queue told to give up on the message.

mod cache;

use std::sync::Arc;

use kernel::Clock;

pub use self::cache::ModelCache;
use crate::job::{InferenceJob, JobId, JobMessage, JobResult};
use crate::learning::{DatasetLimits, LearningRuntime, LoadedModel, TrainedModel, Trainer, TrainingSpec};
use crate::model::{ArtifactVersion, Model, ModelId, TaskId, bounded_error};
use crate::ports::{
    DatasetRepository, InferenceJobRepository, JobChange, JobEvents, ModelRepository, ModelStore, TrainingChange,
};

/// Settings of the job runner.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Attempts a job gets (counting crashed ones) before it is failed and dead-lettered.
    pub max_attempts: u32,
    /// Seeds every training's train/test split and algorithm, so trainings are repeatable.
    pub training_seed: u64,
    /// Loaded models kept in memory.
    pub model_cache_capacity: usize,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig { max_attempts: 3, training_seed: 42, model_cache_capacity: 16 }
    }
}

/// What the queue should do with the message after a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The job finished (succeeded, or failed for good) and that is committed: acknowledge.
    Completed,
    /// Nothing to do (already finished, deleted, superseded): acknowledge.
    Skipped(String),
    /// This attempt failed for a passing reason: deliver the message again later.
    Retry(String),
    /// The last allowed attempt failed; the job is marked failed: dead-letter the message.
    GaveUp(String),
}

/// The ports the runner is built from.
pub struct RunnerPorts {
    pub datasets: Arc<dyn DatasetRepository>,
    pub models: Arc<dyn ModelRepository>,
    pub jobs: Arc<dyn InferenceJobRepository>,
    pub store: Arc<dyn ModelStore>,
    pub trainer: Arc<dyn Trainer>,
    pub runtime: Arc<dyn LearningRuntime>,
    pub events: Arc<dyn JobEvents>,
    pub clock: Arc<dyn Clock>,
}

/// Why an attempt failed.
enum Failure {
    /// Retrying cannot help (bad input, a deleted model, a dataset an algorithm cannot fit).
    Permanent(String),
    /// Retrying may help (the database or the blocking pool did not answer).
    Transient(String),
}

fn transient(err: impl std::fmt::Display) -> Failure {
    Failure::Transient(err.to_string())
}

/// Runs jobs; share one per process (it holds the model cache).
pub struct JobRunner {
    datasets: Arc<dyn DatasetRepository>,
    models: Arc<dyn ModelRepository>,
    jobs: Arc<dyn InferenceJobRepository>,
    store: Arc<dyn ModelStore>,
    trainer: Arc<dyn Trainer>,
    runtime: Arc<dyn LearningRuntime>,
    events: Arc<dyn JobEvents>,
    clock: Arc<dyn Clock>,
    cache: ModelCache,
    config: RunnerConfig,
}

impl JobRunner {
    pub fn new(ports: RunnerPorts, config: RunnerConfig) -> Self {
        JobRunner {
            datasets: ports.datasets,
            models: ports.models,
            jobs: ports.jobs,
            store: ports.store,
            trainer: ports.trainer,
            runtime: ports.runtime,
            events: ports.events,
            clock: ports.clock,
            cache: ModelCache::new(config.model_cache_capacity),
            config,
        }
    }

    pub fn config(&self) -> &RunnerConfig {
        &self.config
    }

    /// Runs the job a message names and commits its outcome.
    pub async fn run(&self, message: &JobMessage) -> RunOutcome {
        let outcome = match message {
            JobMessage::Training { model_id, task_id } => self.train(*model_id, task_id).await,
            JobMessage::Inference { job_id } => self.infer(*job_id).await,
        };
        match &outcome {
            RunOutcome::Completed => tracing::debug!(job = %message.key(), "job completed"),
            RunOutcome::Skipped(reason) => tracing::info!(job = %message.key(), reason, "job skipped"),
            RunOutcome::Retry(error) => tracing::warn!(job = %message.key(), error, "job attempt failed; will retry"),
            RunOutcome::GaveUp(error) => tracing::error!(job = %message.key(), error, "job failed for good"),
        }
        outcome
    }

    // ---- inference ------------------------------------------------------------------

    async fn infer(&self, id: JobId) -> RunOutcome {
        let job = match self.jobs.find(id).await {
            Ok(Some(job)) => job,
            Ok(None) => return RunOutcome::Skipped("the job no longer exists".to_owned()),
            Err(err) => return RunOutcome::Retry(err.to_string()),
        };
        if job.status.is_finished() {
            return RunOutcome::Skipped(format!("the job already {}", job.status));
        }
        if job.attempts >= self.config.max_attempts {
            let error = gave_up(job.attempts, job.error.as_deref());
            return self.fail_job(id, error).await;
        }
        match self.jobs.transition(id, JobChange::Start, self.clock.now()).await {
            Ok(true) => {}
            Ok(false) => return RunOutcome::Skipped("the job finished or was deleted meanwhile".to_owned()),
            Err(err) => return RunOutcome::Retry(err.to_string()),
        }
        let attempt = job.attempts + 1;
        match self.predict(&job).await {
            Ok(predictions) => self.finish_job(id, JobChange::Succeed(JobResult { predictions })).await,
            Err(Failure::Permanent(error)) => self.finish_job(id, JobChange::Fail(bounded_error(&error))).await,
            Err(Failure::Transient(error)) if attempt >= self.config.max_attempts => {
                self.fail_job(id, gave_up(attempt, Some(&error))).await
            }
            Err(Failure::Transient(error)) => {
                if let Err(err) =
                    self.jobs.transition(id, JobChange::Retry(bounded_error(&error)), self.clock.now()).await
                {
                    tracing::warn!(job_id = id, error = %err, "the job could not be put back to queued");
                }
                RunOutcome::Retry(error)
            }
        }
    }

    async fn predict(&self, job: &InferenceJob) -> Result<Vec<f64>, Failure> {
        let model = self
            .models
            .find(job.model_id)
            .await
            .map_err(transient)?
            .ok_or_else(|| Failure::Permanent("the model was deleted".to_owned()))?;
        let Some(version) = model.artifact_version() else {
            return Err(Failure::Permanent(format!(
                "the model is {}; it cannot predict until a training succeeds",
                model.status
            )));
        };
        let loaded = self.loaded_model(model.id, version).await?;
        let inputs = self
            .jobs
            .inputs(job.id)
            .await
            .map_err(transient)?
            .ok_or_else(|| Failure::Permanent("the job was deleted".to_owned()))?;
        self.runtime.predict(loaded, inputs).await.map_err(|err| Failure::Permanent(err.to_string()))
    }

    /// The loaded model from the cache, or loaded from the store and cached.
    async fn loaded_model(&self, id: ModelId, version: ArtifactVersion) -> Result<Arc<dyn LoadedModel>, Failure> {
        if let Some(model) = self.cache.get(id, version) {
            return Ok(model);
        }
        let stored = self
            .store
            .load(id)
            .await
            .map_err(transient)?
            .ok_or_else(|| Failure::Permanent("the model's artifact is missing".to_owned()))?;
        let model =
            self.runtime.load_model(stored.artifact).await.map_err(|err| Failure::Permanent(err.to_string()))?;
        self.cache.insert(id, stored.version, model.clone());
        Ok(model)
    }

    /// Commits a final status; only the first commit of a job counts.
    async fn finish_job(&self, id: JobId, change: JobChange) -> RunOutcome {
        match self.jobs.transition(id, change, self.clock.now()).await {
            Ok(true) => {
                self.events.inference_finished(id).await;
                RunOutcome::Completed
            }
            Ok(false) => RunOutcome::Skipped("the job finished elsewhere or was deleted".to_owned()),
            // Not committed: the job runs again.
            Err(err) => RunOutcome::Retry(err.to_string()),
        }
    }

    async fn fail_job(&self, id: JobId, error: String) -> RunOutcome {
        match self.finish_job(id, JobChange::Fail(bounded_error(&error))).await {
            RunOutcome::Completed => RunOutcome::GaveUp(error),
            other => other,
        }
    }

    // ---- training -------------------------------------------------------------------

    async fn train(&self, id: ModelId, task: &TaskId) -> RunOutcome {
        let model = match self.models.find(id).await {
            Ok(Some(model)) => model,
            Ok(None) => return RunOutcome::Skipped("the model no longer exists".to_owned()),
            Err(err) => return RunOutcome::Retry(err.to_string()),
        };
        if model.task_id.as_ref() != Some(task) {
            return RunOutcome::Skipped("a newer training of the model superseded this one".to_owned());
        }
        if !model.status.is_pending() {
            return RunOutcome::Skipped(format!("the training already finished; the model is {}", model.status));
        }
        if model.attempts >= self.config.max_attempts {
            let error = gave_up(model.attempts, model.error.as_deref());
            return self.fail_training(id, task, error).await;
        }
        match self.models.transition(id, task, TrainingChange::Start, self.clock.now()).await {
            Ok(true) => {}
            Ok(false) => return RunOutcome::Skipped("the training finished or was superseded meanwhile".to_owned()),
            Err(err) => return RunOutcome::Retry(err.to_string()),
        }
        let attempt = model.attempts + 1;
        let failure = match self.fit(&model).await {
            Ok(trained) => match self.store.save(id, task, trained, self.clock.now()).await {
                Ok(Some(_)) => return RunOutcome::Completed,
                Ok(None) => return RunOutcome::Skipped("the model was deleted or queued again meanwhile".to_owned()),
                Err(err) => transient(err),
            },
            Err(failure) => failure,
        };
        match failure {
            Failure::Permanent(error) => {
                self.finish_training(id, task, TrainingChange::Fail(bounded_error(&error))).await
            }
            Failure::Transient(error) if attempt >= self.config.max_attempts => {
                self.fail_training(id, task, gave_up(attempt, Some(&error))).await
            }
            Failure::Transient(error) => {
                let change = TrainingChange::Retry(bounded_error(&error));
                if let Err(err) = self.models.transition(id, task, change, self.clock.now()).await {
                    tracing::warn!(model_id = id, error = %err, "the model could not be put back to queued");
                }
                RunOutcome::Retry(error)
            }
        }
    }

    async fn fit(&self, model: &Model) -> Result<TrainedModel, Failure> {
        let csv = self
            .datasets
            .content(model.dataset_id)
            .await
            .map_err(transient)?
            .ok_or_else(|| Failure::Permanent("the model's dataset is missing".to_owned()))?;
        // The dataset passed the limits when it was uploaded; limits lowered since then
        // must not make it untrainable.
        let limits = DatasetLimits { max_bytes: csv.len(), max_rows: usize::MAX, max_columns: usize::MAX };
        let table = self
            .runtime
            .parse_dataset(csv, limits)
            .await
            .map_err(|err| Failure::Permanent(format!("the dataset cannot be read: {err}")))?;
        let spec =
            TrainingSpec::new(model.algorithm, model.features.clone(), model.target.clone(), self.config.training_seed);
        self.trainer.train(table, spec).await.map_err(|err| Failure::Permanent(err.to_string()))
    }

    async fn finish_training(&self, id: ModelId, task: &TaskId, change: TrainingChange) -> RunOutcome {
        match self.models.transition(id, task, change, self.clock.now()).await {
            Ok(true) => RunOutcome::Completed,
            Ok(false) => RunOutcome::Skipped("the model was deleted or queued again meanwhile".to_owned()),
            Err(err) => RunOutcome::Retry(err.to_string()),
        }
    }

    async fn fail_training(&self, id: ModelId, task: &TaskId, error: String) -> RunOutcome {
        match self.finish_training(id, task, TrainingChange::Fail(bounded_error(&error))).await {
            RunOutcome::Completed => RunOutcome::GaveUp(error),
            other => other,
        }
    }
}

fn gave_up(attempts: u32, last_error: Option<&str>) -> String {
    match last_error {
        Some(error) => format!("gave up after {attempts} attempts; the last failed with: {error}"),
        None => format!("gave up after {attempts} attempts; the worker running it stopped each time"),
    }
}

#[cfg(test)]
mod tests;
