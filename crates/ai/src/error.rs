//! Everything that can go wrong in the AI domain, as business outcomes.

use kernel::{FieldErrors, InfraError};

use crate::learning::DatasetError;

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    #[error("administrator rights are required")]
    AdminRequired,
    /// The model does not exist, or is hidden from the caller.
    #[error("model not found")]
    ModelNotFound,
    #[error("a model with this name already exists")]
    ModelNameTaken,
    /// The model cannot serve inferences now; the message says why.
    #[error("{0}")]
    ModelNotReady(String),
    /// A training of this model is already queued or running.
    #[error("this model is already queued for training or training")]
    ModelBusy,
    #[error("a dataset with this name already exists")]
    DatasetNameTaken,
    /// The uploaded file is not a usable dataset; the error names the line and column.
    #[error("the dataset is malformed: {0}")]
    MalformedDataset(DatasetError),
    #[error("the dataset file is larger than the limit of {max_bytes} bytes")]
    DatasetTooLarge { max_bytes: usize },
    /// The job does not exist, or belongs to someone else.
    #[error("inference job not found")]
    JobNotFound,
    #[error("only the owner of this inference job may change it")]
    NotJobOwner,
    /// The job could not be queued; nothing was created.
    #[error("the job queue is unavailable; nothing was queued")]
    QueueUnavailable(String),
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<FieldErrors> for AiError {
    fn from(errors: FieldErrors) -> Self {
        AiError::Validation(errors)
    }
}
