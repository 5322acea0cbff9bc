//! Bodies of the AI routes: datasets, models and inference jobs.

use ai::job::InferenceInputs;
use ai::learning::Metrics;
use ai::model::{Description, ModelName};
use ai::service::MAX_WAIT_SECS;
use ai::{Dataset, InferenceJob, Model};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::extract::validation::limit;

use crate::extract::page::{MAX_LIMIT, MIN_LIMIT};

/// A dataset models can train on.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetDto {
    pub id: i64,
    #[schema(example = "ai_test")]
    pub name: String,
    /// Column names, in file order.
    #[schema(example = json!(["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "y"]))]
    pub columns: Vec<String>,
    /// Data rows, not counting the header.
    #[schema(example = 10000)]
    pub rows: u64,
    /// The admin who uploaded it; `null` for the shipped dataset.
    pub user_id: Option<i64>,
    pub create_date: DateTime<Utc>,
}

impl From<Dataset> for DatasetDto {
    fn from(dataset: Dataset) -> Self {
        DatasetDto {
            id: dataset.id,
            name: dataset.name,
            columns: dataset.columns,
            rows: dataset.rows,
            user_id: dataset.user_id,
            create_date: dataset.create_date,
        }
    }
}

/// The multipart form of a dataset upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DatasetUploadForm {
    /// A CSV file: a header row of unique column names, then rows of numbers.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The dataset's name (1..64 characters); by default the file name without its extension.
    pub name: Option<String>,
}

/// How well a model predicts the 30% of its dataset held out from training.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsDto {
    /// Root mean squared error, in the target's unit.
    pub rmse: f64,
    /// Coefficient of determination; 1 is perfect.
    pub r2: f64,
    pub train_rows: u64,
    pub test_rows: u64,
}

impl From<Metrics> for MetricsDto {
    fn from(metrics: Metrics) -> Self {
        MetricsDto { rmse: metrics.rmse, r2: metrics.r2, train_rows: metrics.train_rows, test_rows: metrics.test_rows }
    }
}

/// A model and the state of its training.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelDto {
    pub id: i64,
    #[schema(example = "prices")]
    pub name: String,
    pub description: String,
    #[schema(value_type = AlgorithmParam, example = "linear_regression")]
    pub algorithm: String,
    pub dataset_id: i64,
    /// The column it predicts.
    #[schema(example = "y")]
    pub target: String,
    /// Its input columns: an inference row carries one value per feature, in this order.
    #[schema(example = json!(["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"]))]
    pub features: Vec<String>,
    #[schema(value_type = ModelStatusParam, example = "ready")]
    pub status: &'static str,
    /// Why the last training failed.
    pub error: Option<String>,
    /// Of the last successful training.
    pub metrics: Option<MetricsDto>,
    pub is_visible: bool,
    /// Becomes true when a training succeeds; admins may switch it off.
    pub is_available: bool,
    /// Attempts of the current training.
    pub attempts: u32,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    /// When the last training ended.
    pub finish_date: Option<DateTime<Utc>>,
}

impl From<Model> for ModelDto {
    fn from(model: Model) -> Self {
        ModelDto {
            id: model.id,
            name: model.name,
            description: model.description,
            algorithm: model.algorithm.as_str().to_owned(),
            dataset_id: model.dataset_id,
            target: model.target,
            features: model.features,
            status: model.status.as_str(),
            error: model.error,
            metrics: model.metrics.map(MetricsDto::from),
            is_visible: model.is_visible,
            is_available: model.is_available,
            attempts: model.attempts,
            create_date: model.create_date,
            update_date: model.update_date,
            finish_date: model.finish_date,
        }
    }
}

/// A new model. Only `name` is required.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct CreateModelRequest {
    /// Unique.
    #[schema(example = "prices", min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = limit(ModelName::MAX_CHARS)))]
    pub name: String,
    #[schema(max_length = 256)]
    #[validate(length(max = limit(Description::MAX_CHARS)))]
    pub description: Option<String>,
    /// `linear_regression` by default.
    #[schema(value_type = Option<AlgorithmParam>, example = "linear_regression")]
    pub algorithm: Option<String>,
    /// The dataset to train on; `ai_test` by default.
    pub dataset_id: Option<i64>,
    /// The column to predict; the dataset's last column by default.
    pub target: Option<String>,
    /// The input columns, in order; every other column by default.
    pub features: Option<Vec<String>>,
    /// Whether users see it; false by default.
    pub is_visible: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct UpdateModelRequest {
    #[schema(max_length = 256)]
    #[validate(length(max = limit(Description::MAX_CHARS)))]
    pub description: Option<String>,
    pub is_visible: Option<bool>,
    pub is_available: Option<bool>,
}

/// The learning algorithms (documentation of `algorithm`; the handler reads a string so
/// that an unknown one is a 422 naming the field).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum AlgorithmParam {
    LinearRegression,
    Ridge,
    Lasso,
    DecisionTree,
    RandomForest,
}

/// The states of a model's training (documentation of `ModelDto.status`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ModelStatusParam {
    Queued,
    Training,
    Ready,
    Failed,
}

/// The states of an inference job (documentation of `InferenceDto.status`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum InferenceStatusParam {
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// Rows to predict from.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct InferenceRequest {
    /// Rows, each with one number per feature of the model, in the model's order.
    #[schema(example = json!([[1.0, 2.0, 0.5, -1.0, 3.0, 0.0, 1.5, 2.5]]), min_items = 1, max_items = 1000)]
    #[validate(length(min = 1, max = limit(InferenceInputs::MAX_ROWS), code = "items"))]
    pub inputs: Vec<Vec<f64>>,
    #[schema(max_length = 256)]
    #[validate(length(max = limit(Description::MAX_CHARS)))]
    pub description: Option<String>,
}

/// The predictions of a succeeded job.
#[derive(Debug, Serialize, ToSchema)]
pub struct InferenceResultDto {
    /// One prediction per input row, in order.
    pub predictions: Vec<f64>,
}

/// An inference job.
#[derive(Debug, Serialize, ToSchema)]
pub struct InferenceDto {
    pub id: i64,
    pub model_id: i64,
    /// The owner.
    pub user_id: i64,
    #[schema(value_type = InferenceStatusParam, example = "succeeded")]
    pub status: &'static str,
    /// Present when the job succeeded.
    pub result: Option<InferenceResultDto>,
    /// Why the job failed (or why its last attempt failed, while it waits for another).
    pub error: Option<String>,
    pub description: String,
    /// Attempts so far; more than one means a worker failed or stopped during one.
    pub attempts: u32,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    pub finish_date: Option<DateTime<Utc>>,
}

impl From<InferenceJob> for InferenceDto {
    fn from(job: InferenceJob) -> Self {
        InferenceDto {
            id: job.id,
            model_id: job.model_id,
            user_id: job.user_id,
            status: job.status.as_str(),
            result: job.result.map(|result| InferenceResultDto { predictions: result.predictions }),
            error: job.error,
            description: job.description,
            attempts: job.attempts,
            create_date: job.create_date,
            update_date: job.update_date,
            finish_date: job.finish_date,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct UpdateInferenceRequest {
    #[schema(max_length = 256)]
    #[validate(length(max = limit(Description::MAX_CHARS)))]
    pub description: String,
}

/// `?limit=&cursor=&user_id=` of the inference list.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct InferenceListQuery {
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = MIN_LIMIT, max = MAX_LIMIT))]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Admins only: the jobs of this user. Users may only name themselves.
    pub user_id: Option<i64>,
}

/// `?wait=` of a job read.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait for an unfinished job to end before answering.
    #[param(minimum = 0, maximum = 30)]
    #[validate(range(min = 0, max = MAX_WAIT_SECS))]
    pub wait: Option<i64>,
}
