//! Chat errors as HTTP outcomes.

use chat::ChatError;

use crate::problem::ApiError;

impl From<ChatError> for ApiError {
    fn from(err: ChatError) -> Self {
        let detail = err.to_string();
        match err {
            ChatError::Validation(errors) => ApiError::validation(errors),
            ChatError::SessionNotFound => ApiError::not_found("chat.session_not_found", detail),
            ChatError::MessageNotFound => ApiError::not_found("chat.message_not_found", detail),
            ChatError::Forbidden(_) => ApiError::forbidden("chat.forbidden", detail),
            ChatError::AdminRequired => ApiError::forbidden("auth.admin_required", detail),
            ChatError::SessionClosed => ApiError::conflict("chat.session_closed", detail),
            ChatError::TicketInvalid => ApiError::unauthorized("chat.ticket_invalid", detail),
            ChatError::Infra(err) => err.into(),
        }
    }
}
