//! Board errors as HTTP outcomes.

use board::BoardError;

use crate::problem::ApiError;

impl From<BoardError> for ApiError {
    fn from(err: BoardError) -> Self {
        let detail = err.to_string();
        match err {
            BoardError::Validation(errors) => ApiError::validation(errors),
            BoardError::BoardNotFound => ApiError::not_found("board.not_found", detail),
            BoardError::Forbidden => ApiError::forbidden("board.forbidden", detail),
            BoardError::Closed => ApiError::forbidden("board.closed", detail),
            BoardError::NameTaken => ApiError::conflict("board.name_taken", detail),
            BoardError::AdminRequired => ApiError::forbidden("auth.admin_required", detail),
            BoardError::UserNotFound => ApiError::not_found("user.not_found", detail),
            BoardError::Infra(err) => err.into(),
        }
    }
}
