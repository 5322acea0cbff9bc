//! AI errors as HTTP outcomes.

use ai::AiError;
use kernel::FieldErrors;

use crate::errors::ErrorCode;
use crate::problem::ApiError;

impl From<AiError> for ApiError {
    fn from(err: AiError) -> Self {
        let detail = err.to_string();
        match err {
            AiError::Validation(errors) => ApiError::validation(errors),
            AiError::AdminRequired => ApiError::new(ErrorCode::AuthAdminRequired, detail),
            AiError::ModelNotFound => ApiError::new(ErrorCode::AiModelNotFound, detail),
            AiError::ModelNameTaken => ApiError::new(ErrorCode::AiModelNameTaken, detail),
            AiError::ModelNotReady(_) => ApiError::new(ErrorCode::AiModelNotReady, detail),
            AiError::ModelBusy => ApiError::new(ErrorCode::AiModelBusy, detail),
            AiError::DatasetNameTaken => ApiError::new(ErrorCode::AiDatasetNameTaken, detail),
            AiError::MalformedDataset(problem) => ApiError::invalid(
                ErrorCode::AiDatasetInvalid,
                format!("The CSV file cannot be used: {problem}"),
                FieldErrors::single("file", problem.to_string()),
            ),
            AiError::DatasetTooLarge { .. } => ApiError::new(ErrorCode::AiDatasetTooLarge, detail),
            AiError::JobNotFound => ApiError::new(ErrorCode::AiInferenceNotFound, detail),
            AiError::NotJobOwner => ApiError::new(ErrorCode::AiNotOwner, detail),
            AiError::QueueUnavailable(cause) => {
                tracing::warn!(error = %cause, "the AI job queue is unavailable");
                ApiError::new(
                    ErrorCode::AiQueueUnavailable,
                    "The job queue is unavailable, so nothing was queued; try again shortly.",
                )
                .with_retry_after(5)
            }
            AiError::Infra(err) => err.into(),
        }
    }
}
