//! The use cases of the AI API, written against the domain's ports: datasets and models
//! for admins, inference jobs for everyone, with the rules of who may do what.

use std::sync::Arc;
use std::time::Duration;

use kernel::{Actor, AuditEntry, AuditLog, Clock, FieldErrors, Id, InfraError, Page, PageRequest, UserId};

use crate::dataset::{Dataset, DatasetName, NewDataset};
use crate::error::AiError;
use crate::job::{InferenceInputs, InferenceJob, JobId, JobMessage, NewInferenceJob};
use crate::learning::{Algorithm, DatasetLimits, LearningRuntime, Table};
use crate::model::{Description, Model, ModelChanges, ModelId, ModelName, NewModel};
use crate::ports::{
    CompletionWatch, DatasetRepository, DatasetWriteError, InferenceJobRepository, JobQueue, ModelFilter,
    ModelRepository, ModelWriteError, PendingCounts, TaskIdGenerator,
};

/// Settings of the AI service.
#[derive(Debug, Clone)]
pub struct AiConfig {
    /// Limits of uploaded datasets.
    pub dataset_limits: DatasetLimits,
    /// The dataset a model trains on when the request names none.
    pub default_dataset: String,
}

/// The longest `wait` of `GET /ai/inferences/{id}`, in seconds.
pub const MAX_WAIT_SECS: i64 = 30;

/// A new model as requested; every field but the name has a default.
#[derive(Debug, Clone, Default)]
pub struct CreateModelInput {
    pub name: String,
    pub description: Option<String>,
    /// `linear_regression` when absent.
    pub algorithm: Option<String>,
    /// The default dataset when absent.
    pub dataset_id: Option<Id>,
    /// The dataset's last column when absent.
    pub target: Option<String>,
    /// Every column but the target, in order, when absent.
    pub features: Option<Vec<String>>,
    /// Hidden from users when absent.
    pub is_visible: Option<bool>,
}

/// A change of a model as requested.
#[derive(Debug, Clone, Default)]
pub struct UpdateModelInput {
    pub description: Option<String>,
    pub is_visible: Option<bool>,
    pub is_available: Option<bool>,
}

/// An uploaded dataset file.
#[derive(Clone, Default)]
pub struct DatasetUpload {
    /// The requested name; the file name without its extension when absent.
    pub name: Option<String>,
    pub file_name: Option<String>,
    pub content: Vec<u8>,
}

/// How many trainings and inference jobs wait and run, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AiActivity {
    pub trainings: PendingCounts,
    pub inferences: PendingCounts,
}

/// The ports the service is built from.
pub struct AiPorts {
    pub datasets: Arc<dyn DatasetRepository>,
    pub models: Arc<dyn ModelRepository>,
    pub jobs: Arc<dyn InferenceJobRepository>,
    pub queue: Arc<dyn JobQueue>,
    pub watch: Arc<dyn CompletionWatch>,
    pub runtime: Arc<dyn LearningRuntime>,
    pub task_ids: Arc<dyn TaskIdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub audit: Arc<dyn AuditLog>,
}

/// Datasets, models and inference jobs.
pub struct AiService {
    datasets: Arc<dyn DatasetRepository>,
    models: Arc<dyn ModelRepository>,
    jobs: Arc<dyn InferenceJobRepository>,
    queue: Arc<dyn JobQueue>,
    watch: Arc<dyn CompletionWatch>,
    runtime: Arc<dyn LearningRuntime>,
    task_ids: Arc<dyn TaskIdGenerator>,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditLog>,
    config: AiConfig,
}

fn require_admin(actor: &Actor) -> Result<(), AiError> {
    if actor.is_admin() { Ok(()) } else { Err(AiError::AdminRequired) }
}

/// A queue failure as the client sees it: "unavailable, nothing was queued" for a broker
/// that cannot take the message now, an internal error otherwise.
fn queue_error(err: InfraError) -> AiError {
    match err {
        InfraError::Unavailable(cause) => AiError::QueueUnavailable(cause),
        other => AiError::Infra(other),
    }
}

impl AiService {
    pub fn new(ports: AiPorts, config: AiConfig) -> Self {
        AiService {
            datasets: ports.datasets,
            models: ports.models,
            jobs: ports.jobs,
            queue: ports.queue,
            watch: ports.watch,
            runtime: ports.runtime,
            task_ids: ports.task_ids,
            clock: ports.clock,
            audit: ports.audit,
            config,
        }
    }

    pub fn config(&self) -> &AiConfig {
        &self.config
    }

    async fn record(&self, actor: &Actor, action: &str, target_type: &str, target_id: Id, detail: serde_json::Value) {
        let entry = AuditEntry {
            actor_id: Some(actor.id),
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: Some(target_id),
            detail,
            create_date: self.clock.now(),
        };
        // The action itself happened (and may have been queued); a lost audit line is
        // logged rather than turned into an error the client would retry.
        if let Err(err) = self.audit.record(entry).await {
            tracing::error!(error = %err, action, target_id, "the audit entry could not be written");
        }
    }

    // ---- datasets -------------------------------------------------------------------

    /// Stores the dataset `name` from `csv` unless a dataset of that name exists; true
    /// when it stored it. Safe when several instances start at once.
    pub async fn ensure_dataset(&self, name: &str, csv: &[u8]) -> Result<bool, AiError> {
        if self.datasets.find_by_name(name).await?.is_some() {
            return Ok(false);
        }
        let name = DatasetName::parse(name).map_err(|m| AiError::Validation(FieldErrors::single("name", m)))?;
        // The shipped data is trusted: the upload limits, which an operator may lower, do
        // not apply to it.
        let limits = DatasetLimits { max_bytes: csv.len(), max_rows: usize::MAX, max_columns: usize::MAX };
        let table = self.runtime.parse_dataset(csv.to_vec(), limits).await.map_err(AiError::MalformedDataset)?;
        let dataset = new_dataset(name, &table, csv.to_vec(), None, self.clock.now());
        match self.datasets.create(dataset).await {
            Ok(_) => Ok(true),
            Err(DatasetWriteError::NameTaken) => Ok(false),
            Err(DatasetWriteError::Infra(err)) => Err(err.into()),
        }
    }

    /// An admin uploads a CSV dataset.
    pub async fn upload_dataset(&self, actor: &Actor, upload: DatasetUpload) -> Result<Dataset, AiError> {
        require_admin(actor)?;
        let limits = self.config.dataset_limits;
        if upload.content.len() > limits.max_bytes {
            return Err(AiError::DatasetTooLarge { max_bytes: limits.max_bytes });
        }
        let name = match (&upload.name, &upload.file_name) {
            (Some(name), _) => DatasetName::parse(name),
            (None, Some(file_name)) => DatasetName::from_file_name(file_name)
                .map_err(|m| format!("{m} (taken from the file name; send a `name` part)")),
            (None, None) => Err("is required when the file has no name".to_owned()),
        }
        .map_err(|m| AiError::Validation(FieldErrors::single("name", m)))?;
        if self.datasets.find_by_name(name.as_str()).await?.is_some() {
            return Err(AiError::DatasetNameTaken);
        }
        let table =
            self.runtime.parse_dataset(upload.content.clone(), limits).await.map_err(AiError::MalformedDataset)?;
        let dataset = new_dataset(name, &table, upload.content, Some(actor.id), self.clock.now());
        let dataset = self.datasets.create(dataset).await.map_err(|err| match err {
            DatasetWriteError::NameTaken => AiError::DatasetNameTaken,
            DatasetWriteError::Infra(err) => err.into(),
        })?;
        let detail = serde_json::json!({ "name": dataset.name, "rows": dataset.rows });
        self.record(actor, "ai_dataset.create", "ai_dataset", dataset.id, detail).await;
        Ok(dataset)
    }

    /// Every dataset, for admins.
    pub async fn list_datasets(&self, actor: &Actor, page: PageRequest) -> Result<Page<Dataset>, AiError> {
        require_admin(actor)?;
        Ok(self.datasets.list(page).await?)
    }

    // ---- models ---------------------------------------------------------------------

    /// An admin creates a model; its first training is queued.
    pub async fn create_model(&self, actor: &Actor, input: CreateModelInput) -> Result<Model, AiError> {
        require_admin(actor)?;
        let mut errors = FieldErrors::new();
        let name = errors.check("name", ModelName::parse(&input.name));
        let description = errors.check("description", Description::parse(input.description.as_deref().unwrap_or("")));
        let algorithm = match &input.algorithm {
            None => Some(Algorithm::default()),
            Some(raw) => errors.check("algorithm", raw.parse::<Algorithm>()),
        };
        let dataset = match input.dataset_id {
            Some(id) => {
                let found = self.datasets.find(id).await?;
                if found.is_none() {
                    errors.add("dataset_id", format!("no dataset has id {id}"));
                }
                found
            }
            None => {
                let found = self.datasets.find_by_name(&self.config.default_dataset).await?;
                if found.is_none() {
                    errors.add(
                        "dataset_id",
                        format!("the default dataset {:?} is missing; name a dataset", self.config.default_dataset),
                    );
                }
                found
            }
        };
        let columns = dataset
            .as_ref()
            .and_then(|dataset| resolve_columns(dataset, input.target.as_deref(), input.features, &mut errors));
        let (Some(name), Some(description), Some(algorithm), Some(dataset), Some((target, features))) =
            (name, description, algorithm, dataset, columns)
        else {
            return Err(AiError::Validation(errors));
        };
        errors.into_result()?;

        if self.models.find_by_name(name.as_str()).await?.is_some() {
            return Err(AiError::ModelNameTaken);
        }
        let task_id = self.task_ids.new_task_id();
        let new_model = NewModel {
            name,
            description,
            algorithm,
            dataset_id: dataset.id,
            target,
            features,
            is_visible: input.is_visible.unwrap_or(false),
            user_id: actor.id,
            task_id: task_id.clone(),
            create_date: self.clock.now(),
        };
        let model = self.models.create(new_model).await.map_err(|err| match err {
            ModelWriteError::NameTaken => AiError::ModelNameTaken,
            ModelWriteError::Infra(err) => err.into(),
        })?;
        if let Err(err) = self.queue.publish(JobMessage::Training { model_id: model.id, task_id }).await {
            // Nothing was queued, so nothing is kept: the client may simply try again.
            if let Err(delete_err) = self.models.delete(model.id).await {
                tracing::error!(error = %delete_err, model_id = model.id,
                    "a model whose training could not be queued could not be removed");
            }
            return Err(queue_error(err));
        }
        let detail = serde_json::json!({
            "name": model.name, "algorithm": model.algorithm.as_str(), "dataset_id": model.dataset_id,
        });
        self.record(actor, "ai_model.create", "ai_model", model.id, detail).await;
        Ok(model)
    }

    /// Admins see every model; users only those they may use.
    pub async fn list_models(&self, actor: &Actor, page: PageRequest) -> Result<Page<Model>, AiError> {
        let filter = ModelFilter { usable_only: !actor.is_admin() };
        Ok(self.models.list(filter, page).await?)
    }

    /// Admins see every model; users see visible ones (to learn whether one is ready).
    pub async fn get_model(&self, actor: &Actor, id: ModelId) -> Result<Model, AiError> {
        let model = self.models.find(id).await?.ok_or(AiError::ModelNotFound)?;
        if !actor.is_admin() && !model.is_visible {
            return Err(AiError::ModelNotFound);
        }
        Ok(model)
    }

    /// An admin edits the description, visibility or availability.
    pub async fn update_model(&self, actor: &Actor, id: ModelId, input: UpdateModelInput) -> Result<Model, AiError> {
        require_admin(actor)?;
        let mut errors = FieldErrors::new();
        let description = match &input.description {
            Some(raw) => errors.check("description", Description::parse(raw)),
            None => None,
        };
        errors.into_result()?;
        let changes = ModelChanges { description, is_visible: input.is_visible, is_available: input.is_available };
        if changes.is_empty() {
            return self.models.find(id).await?.ok_or(AiError::ModelNotFound);
        }
        let model = self.models.update(id, changes, self.clock.now()).await?.ok_or(AiError::ModelNotFound)?;
        let detail = serde_json::json!({
            "description": input.description, "is_visible": input.is_visible, "is_available": input.is_available,
        });
        self.record(actor, "ai_model.update", "ai_model", id, detail).await;
        Ok(model)
    }

    /// An admin deletes a model with its artifact and inference jobs.
    pub async fn delete_model(&self, actor: &Actor, id: ModelId) -> Result<(), AiError> {
        require_admin(actor)?;
        let model = self.models.find(id).await?.ok_or(AiError::ModelNotFound)?;
        if !self.models.delete(id).await? {
            return Err(AiError::ModelNotFound);
        }
        self.record(actor, "ai_model.delete", "ai_model", id, serde_json::json!({ "name": model.name })).await;
        Ok(())
    }

    /// An admin trains a ready or failed model again, on the same dataset. Until the new
    /// training succeeds, the model serves no inferences.
    pub async fn retrain_model(&self, actor: &Actor, id: ModelId) -> Result<Model, AiError> {
        require_admin(actor)?;
        let previous = self.models.find(id).await?.ok_or(AiError::ModelNotFound)?;
        if previous.status.is_pending() {
            return Err(AiError::ModelBusy);
        }
        let task_id = self.task_ids.new_task_id();
        let now = self.clock.now();
        if !self.models.requeue(id, &task_id, now).await? {
            // Deleted or queued by someone else since it was read.
            return match self.models.find(id).await? {
                Some(_) => Err(AiError::ModelBusy),
                None => Err(AiError::ModelNotFound),
            };
        }
        if let Err(err) = self.queue.publish(JobMessage::Training { model_id: id, task_id: task_id.clone() }).await {
            if let Err(restore_err) = self.models.restore(&previous, &task_id, now).await {
                tracing::error!(error = %restore_err, model_id = id,
                    "a model whose retraining could not be queued could not be restored");
            }
            return Err(queue_error(err));
        }
        self.record(actor, "ai_model.train", "ai_model", id, serde_json::json!({ "task_id": task_id.as_str() })).await;
        self.models.find(id).await?.ok_or(AiError::ModelNotFound)
    }

    // ---- inference jobs -------------------------------------------------------------

    /// Queues an inference. Users may use a visible, available and ready model; admins
    /// any ready model.
    pub async fn submit_inference(
        &self,
        actor: &Actor,
        model_id: ModelId,
        inputs: Vec<Vec<f64>>,
        description: Option<String>,
    ) -> Result<InferenceJob, AiError> {
        let model = self.models.find(model_id).await?.ok_or(AiError::ModelNotFound)?;
        if !actor.is_admin() && !model.is_visible {
            return Err(AiError::ModelNotFound);
        }
        let mut errors = FieldErrors::new();
        let description = errors.check("description", Description::parse(description.as_deref().unwrap_or("")));
        let inputs = errors.check("inputs", InferenceInputs::parse(inputs, &model.features));
        let (Some(description), Some(inputs)) = (description, inputs) else {
            return Err(AiError::Validation(errors));
        };
        if !actor.is_admin() && !model.is_available {
            return Err(AiError::ModelNotReady("this model is not available".to_owned()));
        }
        if model.artifact_version().is_none() {
            return Err(AiError::ModelNotReady(format!(
                "this model is {}; inferences need a ready model",
                model.status
            )));
        }
        let job = self
            .jobs
            .create(NewInferenceJob { user_id: actor.id, model_id, description, inputs, create_date: self.clock.now() })
            .await?;
        if let Err(err) = self.queue.publish(JobMessage::Inference { job_id: job.id }).await {
            if let Err(delete_err) = self.jobs.delete(job.id).await {
                tracing::error!(error = %delete_err, job_id = job.id,
                    "an inference job that could not be queued could not be removed");
            }
            return Err(queue_error(err));
        }
        Ok(job)
    }

    /// The caller's jobs, newest first; admins see everyone's, or one user's with `user_id`.
    pub async fn list_inferences(
        &self,
        actor: &Actor,
        user_id: Option<UserId>,
        page: PageRequest,
    ) -> Result<Page<InferenceJob>, AiError> {
        let owner = if actor.is_admin() {
            user_id
        } else {
            match user_id {
                Some(other) if other != actor.id => return Err(AiError::AdminRequired),
                _ => Some(actor.id),
            }
        };
        Ok(self.jobs.list(owner, page).await?)
    }

    /// A job of the caller (admins: any job). With `wait_secs` (0..=30), an unfinished job
    /// is watched until it finishes or the wait runs out, then read once more.
    pub async fn get_inference(
        &self,
        actor: &Actor,
        id: JobId,
        wait_secs: Option<i64>,
    ) -> Result<InferenceJob, AiError> {
        let wait = match wait_secs {
            None | Some(0) => None,
            Some(secs @ 1..=MAX_WAIT_SECS) => Some(Duration::from_secs(secs.unsigned_abs())),
            Some(_) => {
                return Err(AiError::Validation(FieldErrors::single(
                    "wait",
                    format!("must be between 0 and {MAX_WAIT_SECS} seconds"),
                )));
            }
        };
        // Watch before reading, so that a job finishing in between is not missed.
        let finished = wait.map(|timeout| self.watch.watch(id, timeout));
        let job = self.readable_job(actor, id).await?;
        match finished {
            Some(finished) if !job.status.is_finished() => {
                finished.await;
                self.readable_job(actor, id).await
            }
            _ => Ok(job),
        }
    }

    async fn readable_job(&self, actor: &Actor, id: JobId) -> Result<InferenceJob, AiError> {
        let job = self.jobs.find(id).await?.ok_or(AiError::JobNotFound)?;
        if job.user_id != actor.id && !actor.is_admin() {
            return Err(AiError::JobNotFound);
        }
        Ok(job)
    }

    /// The owner changes the description.
    pub async fn update_inference(&self, actor: &Actor, id: JobId, description: &str) -> Result<InferenceJob, AiError> {
        let job = self.readable_job(actor, id).await?;
        if job.user_id != actor.id {
            return Err(AiError::NotJobOwner);
        }
        let description =
            Description::parse(description).map_err(|m| AiError::Validation(FieldErrors::single("description", m)))?;
        self.jobs.set_description(id, description, self.clock.now()).await?.ok_or(AiError::JobNotFound)
    }

    /// The owner or an admin deletes a job; a job still running finishes unseen.
    pub async fn delete_inference(&self, actor: &Actor, id: JobId) -> Result<(), AiError> {
        self.readable_job(actor, id).await?;
        if !self.jobs.delete(id).await? {
            return Err(AiError::JobNotFound);
        }
        Ok(())
    }

    // ---- operations -----------------------------------------------------------------

    /// Queues again every training and inference job that has not finished: the
    /// in-process queue loses its messages when the app stops, the database keeps the
    /// jobs. Duplicates are harmless. Returns how many messages were sent.
    pub async fn resume_pending(&self) -> Result<usize, AiError> {
        let mut sent = 0;
        for (model_id, task_id) in self.models.pending().await? {
            self.queue.publish(JobMessage::Training { model_id, task_id }).await.map_err(queue_error)?;
            sent += 1;
        }
        for job_id in self.jobs.pending().await? {
            self.queue.publish(JobMessage::Inference { job_id }).await.map_err(queue_error)?;
            sent += 1;
        }
        Ok(sent)
    }

    /// How many trainings and inference jobs wait and run, across every instance.
    pub async fn activity(&self) -> Result<AiActivity, AiError> {
        Ok(AiActivity { trainings: self.models.count_pending().await?, inferences: self.jobs.count_pending().await? })
    }
}

fn new_dataset(
    name: DatasetName,
    table: &Table,
    content: Vec<u8>,
    user_id: Option<UserId>,
    at: kernel::Timestamp,
) -> NewDataset {
    NewDataset {
        name,
        columns: table.columns.clone(),
        rows: table.rows.len() as u64,
        content,
        user_id,
        create_date: at,
    }
}

/// The target (the last column by default) and the features (every other column, in
/// order, by default), checked against the dataset.
fn resolve_columns(
    dataset: &Dataset,
    target: Option<&str>,
    features: Option<Vec<String>>,
    errors: &mut FieldErrors,
) -> Option<(String, Vec<String>)> {
    let known = |name: &str| dataset.columns.iter().any(|column| column == name);
    let columns = || dataset.columns.join(", ");
    let target = match target {
        Some(target) if known(target) => target.to_owned(),
        Some(target) => {
            errors.add("target", format!("unknown column {target:?}; the dataset has: {}", columns()));
            return None;
        }
        None => dataset.columns.last()?.clone(),
    };
    let features = match features {
        None => dataset.columns.iter().filter(|column| **column != target).cloned().collect(),
        Some(features) => {
            let mut problems = Vec::new();
            if features.is_empty() {
                problems.push("at least one feature is required".to_owned());
            }
            for (i, feature) in features.iter().enumerate() {
                if !known(feature) {
                    problems.push(format!("unknown column {feature:?}; the dataset has: {}", columns()));
                } else if *feature == target {
                    problems.push(format!("the target {feature:?} cannot also be a feature"));
                } else if features[..i].contains(feature) {
                    problems.push(format!("{feature:?} is listed twice"));
                }
            }
            if !problems.is_empty() {
                for problem in problems {
                    errors.add("features", problem);
                }
                return None;
            }
            features
        }
    };
    if features.is_empty() {
        errors.add("target", "the dataset has no column left to use as a feature");
        return None;
    }
    Some((target, features))
}

#[cfg(test)]
mod tests;
