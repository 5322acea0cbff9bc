//! AI errors as HTTP outcomes.

use actix_web::http::{StatusCode, header};
use ai::AiError;
use kernel::FieldErrors;

use crate::problem::ApiError;

impl From<AiError> for ApiError {
    fn from(err: AiError) -> Self {
        let detail = err.to_string();
        match err {
            AiError::Validation(errors) => ApiError::validation(errors),
            AiError::AdminRequired => ApiError::forbidden("auth.admin_required", detail),
            AiError::ModelNotFound => ApiError::not_found("ai.model_not_found", detail),
            AiError::ModelNameTaken => ApiError::conflict("ai.model_name_taken", detail),
            AiError::ModelNotReady(_) => ApiError::conflict("ai.model_not_ready", detail),
            AiError::ModelBusy => ApiError::conflict("ai.model_busy", detail),
            AiError::DatasetNotFound => ApiError::not_found("ai.dataset_not_found", detail),
            AiError::DatasetNameTaken => ApiError::conflict("ai.dataset_name_taken", detail),
            AiError::MalformedDataset(problem) => {
                let mut error = ApiError::validation(FieldErrors::single("file", problem.to_string()));
                error.code = "ai.dataset_invalid";
                error.detail = format!("The CSV file cannot be used: {problem}");
                error
            }
            AiError::DatasetTooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "ai.dataset_too_large", detail)
            }
            AiError::JobNotFound => ApiError::not_found("ai.inference_not_found", detail),
            AiError::NotJobOwner => ApiError::forbidden("ai.not_owner", detail),
            AiError::QueueUnavailable(cause) => {
                tracing::warn!(error = %cause, "the AI job queue is unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ai.queue_unavailable",
                    "The job queue is unavailable, so nothing was queued; try again shortly.",
                )
                .with_header(header::RETRY_AFTER, "5")
            }
            AiError::Infra(err) => err.into(),
        }
    }
}
