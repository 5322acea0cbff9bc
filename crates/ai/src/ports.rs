//! The ports of the AI domain: storage of datasets, models, artifacts and jobs, the job
//! queue, and the completion signal that waiting clients listen to. Adapters implement
//! these contracts; the service and the job runner rely on nothing else.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use kernel::{InfraError, Page, PageRequest, Timestamp, UserId};

use crate::dataset::{Dataset, DatasetId, NewDataset};
use crate::job::{InferenceJob, JobEvent, JobId, JobMessage, JobResult, NewInferenceJob};
use crate::learning::{ModelArtifact, TrainedModel};
use crate::model::{ArtifactVersion, Description, Model, ModelChanges, ModelId, NewModel, TaskId, TrainingEvent};

/// Why a dataset could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum DatasetWriteError {
    #[error("dataset name taken")]
    NameTaken,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Storage of datasets.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DatasetRepository: Send + Sync {
    /// Inserts a dataset. MUST return `NameTaken` when a dataset has this name, also when
    /// two inserts race.
    async fn create(&self, dataset: NewDataset) -> Result<Dataset, DatasetWriteError>;
    async fn find(&self, id: DatasetId) -> Result<Option<Dataset>, InfraError>;
    async fn find_by_name(&self, name: &str) -> Result<Option<Dataset>, InfraError>;
    /// The CSV bytes of the dataset.
    async fn content(&self, id: DatasetId) -> Result<Option<Vec<u8>>, InfraError>;
    /// Datasets by id ascending, after the cursor (`Cursor::by_id`).
    async fn list(&self, page: PageRequest) -> Result<Page<Dataset>, InfraError>;
}

/// Why a model could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum ModelWriteError {
    #[error("model name taken")]
    NameTaken,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Which models a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelFilter {
    /// Only models a regular user may use: visible, available and ready.
    pub usable_only: bool,
}

/// A change of a model's training, other than success (which [`ModelStore::save`] writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainingChange {
    /// Status training, one more attempt.
    Start,
    /// Status failed with this error, finished now.
    Fail(String),
    /// Back to queued, keeping this error of the failed attempt.
    Retry(String),
}

impl TrainingChange {
    pub fn event(&self) -> TrainingEvent {
        match self {
            TrainingChange::Start => TrainingEvent::Start,
            TrainingChange::Fail(_) => TrainingEvent::Fail,
            TrainingChange::Retry(_) => TrainingEvent::Retry,
        }
    }
}

/// How many trainings or inference jobs wait and run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingCounts {
    pub queued: u64,
    /// Training models, or running inference jobs.
    pub running: u64,
}

/// Storage of models.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ModelRepository: Send + Sync {
    /// Inserts a model, queued, not available, with no attempt yet. MUST return
    /// `NameTaken` when a model has this name, also when two inserts race.
    async fn create(&self, model: NewModel) -> Result<Model, ModelWriteError>;
    async fn find(&self, id: ModelId) -> Result<Option<Model>, InfraError>;
    async fn find_by_name(&self, name: &str) -> Result<Option<Model>, InfraError>;
    /// Models by id ascending, after the cursor (`Cursor::by_id`).
    async fn list(&self, filter: ModelFilter, page: PageRequest) -> Result<Page<Model>, InfraError>;
    /// Applies the changes; `None` when the model does not exist.
    async fn update(&self, id: ModelId, changes: ModelChanges, at: Timestamp) -> Result<Option<Model>, InfraError>;
    /// Deletes the model, its artifact and its inference jobs; false when it did not exist.
    async fn delete(&self, id: ModelId) -> Result<bool, InfraError>;
    /// Applies `change` in one conditional UPDATE. MUST change the row only while its
    /// status is one of `ModelStatus::sources(change.event())` and its task is `task`, and
    /// return whether it did. `Start` also counts an attempt.
    async fn transition(
        &self,
        id: ModelId,
        task: &TaskId,
        change: TrainingChange,
        at: Timestamp,
    ) -> Result<bool, InfraError>;
    /// Queues a new training under `task`: status queued, no attempt, no error, no
    /// finish date. MUST happen in one conditional UPDATE, only from a status of
    /// `ModelStatus::sources(TrainingEvent::Requeue)`; returns whether it did.
    async fn requeue(&self, id: ModelId, task: &TaskId, at: Timestamp) -> Result<bool, InfraError>;
    /// Puts back the training fields of `previous` (status, task, error, attempts, finish
    /// date) after the training queued under `task` could not be sent; only while the
    /// model's task is still `task`.
    async fn restore(&self, previous: &Model, task: &TaskId, at: Timestamp) -> Result<(), InfraError>;
    /// The current task of every queued or training model.
    async fn pending(&self) -> Result<Vec<(ModelId, TaskId)>, InfraError>;
    async fn count_pending(&self) -> Result<PendingCounts, InfraError>;
}

/// A stored artifact and the version it is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArtifact {
    pub version: ArtifactVersion,
    pub artifact: ModelArtifact,
}

/// Storage of trained models in the database, so that any worker on any host can load them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ModelStore: Send + Sync {
    /// In one transaction: stores `trained.artifact` for `model` (replacing any earlier
    /// one) and marks the model ready, available, with `trained.metrics` and finished at
    /// `at` (which becomes the [`ArtifactVersion`]) — only while the model is training
    /// under `task`. Returns the version, or `None` when the model was deleted, finished
    /// or queued again meanwhile; nothing is stored then.
    async fn save(
        &self,
        model: ModelId,
        task: &TaskId,
        trained: TrainedModel,
        at: Timestamp,
    ) -> Result<Option<ArtifactVersion>, InfraError>;
    /// The stored artifact of `model`, with its version.
    async fn load(&self, model: ModelId) -> Result<Option<StoredArtifact>, InfraError>;
}

/// A change of an inference job's status, with what it writes.
#[derive(Debug, Clone, PartialEq)]
pub enum JobChange {
    /// Status running, one more attempt.
    Start,
    /// Status succeeded with this result, finished now.
    Succeed(JobResult),
    /// Status failed with this error, finished now.
    Fail(String),
    /// Back to queued, keeping this error of the failed attempt.
    Retry(String),
}

impl JobChange {
    pub fn event(&self) -> JobEvent {
        match self {
            JobChange::Start => JobEvent::Start,
            JobChange::Succeed(_) => JobEvent::Succeed,
            JobChange::Fail(_) => JobEvent::Fail,
            JobChange::Retry(_) => JobEvent::Retry,
        }
    }
}

/// Storage of inference jobs.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InferenceJobRepository: Send + Sync {
    /// Inserts a job, queued, with no attempt yet.
    async fn create(&self, job: NewInferenceJob) -> Result<InferenceJob, InfraError>;
    async fn find(&self, id: JobId) -> Result<Option<InferenceJob>, InfraError>;
    /// The input rows of the job.
    async fn inputs(&self, id: JobId) -> Result<Option<Vec<Vec<f64>>>, InfraError>;
    /// Jobs of `user` (everyone's when `None`), newest first, after the cursor
    /// (`Cursor::by_id`). A constant number of queries per page.
    async fn list(&self, user: Option<UserId>, page: PageRequest) -> Result<Page<InferenceJob>, InfraError>;
    /// `None` when the job does not exist.
    async fn set_description(
        &self,
        id: JobId,
        description: Description,
        at: Timestamp,
    ) -> Result<Option<InferenceJob>, InfraError>;
    /// False when the job did not exist.
    async fn delete(&self, id: JobId) -> Result<bool, InfraError>;
    /// Applies `change` in one conditional UPDATE. MUST change the row only while its
    /// status is one of `JobStatus::sources(change.event())`, and return whether it did:
    /// this is what writes a result once, however often a job is delivered. `Start` also
    /// counts an attempt.
    async fn transition(&self, id: JobId, change: JobChange, at: Timestamp) -> Result<bool, InfraError>;
    /// The ids of every queued or running job, oldest first.
    async fn pending(&self) -> Result<Vec<JobId>, InfraError>;
    async fn count_pending(&self) -> Result<PendingCounts, InfraError>;
}

/// The queue that carries jobs to workers (RabbitMQ, or in-process).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Sends a job to the workers. MUST return `Ok` only once the message is durably
    /// queued (a broker has confirmed it), and `Unavailable` when the queue cannot take it
    /// now (broker down, no confirmation in time). A message may be delivered more than
    /// once; workers make that harmless.
    async fn publish(&self, message: JobMessage) -> Result<(), InfraError>;
}

/// Where the job runner announces finished inference jobs, so that waiting requests on
/// every app instance return at once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobEvents: Send + Sync {
    /// The job succeeded or failed and its row is committed. Best effort: a lost
    /// announcement only makes waiters wait out their timeout. Failures are the
    /// adapter's to log.
    async fn inference_finished(&self, job: JobId);
}

/// A future that resolves when a watched job finished or its timeout passed.
pub type WaitFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Lets a request wait for a job to finish without polling the database.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CompletionWatch: Send + Sync {
    /// Starts watching `job`. MUST register before returning, so that an announcement made
    /// after this call, even before the future is first polled, resolves it. The future
    /// resolves at the announcement or after `timeout`, whichever comes first; dropping it
    /// stops the watch.
    fn watch(&self, job: JobId, timeout: Duration) -> WaitFuture;
}

/// Fresh, unique task ids.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TaskIdGenerator: Send + Sync {
    fn new_task_id(&self) -> TaskId;
}
