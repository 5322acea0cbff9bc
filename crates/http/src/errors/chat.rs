//! Chat errors as HTTP outcomes.

use chat::ChatError;

use crate::errors::ErrorCode;
use crate::problem::ApiError;

impl From<ChatError> for ApiError {
    fn from(err: ChatError) -> Self {
        let detail = err.to_string();
        match err {
            ChatError::Validation(errors) => ApiError::validation(errors),
            ChatError::SessionNotFound => ApiError::new(ErrorCode::ChatSessionNotFound, detail),
            ChatError::MessageNotFound => ApiError::new(ErrorCode::ChatMessageNotFound, detail),
            ChatError::Forbidden(_) => ApiError::new(ErrorCode::ChatForbidden, detail),
            ChatError::AdminRequired => ApiError::new(ErrorCode::AuthAdminRequired, detail),
            ChatError::SessionClosed => ApiError::new(ErrorCode::ChatSessionClosed, detail),
            ChatError::TicketInvalid => ApiError::unauthorized(ErrorCode::ChatTicketInvalid, detail),
            ChatError::Infra(err) => err.into(),
        }
    }
}
