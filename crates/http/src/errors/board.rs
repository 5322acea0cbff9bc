//! Board errors as HTTP outcomes.

use actix_web::http::StatusCode;
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
            BoardError::PostNotFound => ApiError::not_found("post.not_found", detail),
            BoardError::NotPostAuthor => ApiError::forbidden("post.not_owner", detail),
            BoardError::CommentNotFound => ApiError::not_found("comment.not_found", detail),
            BoardError::NotCommentAuthor => ApiError::forbidden("comment.not_owner", detail),
            BoardError::AttachmentNotFound => ApiError::not_found("attachment.not_found", detail),
            BoardError::NotAttachmentOwner => ApiError::forbidden("attachment.not_owner", detail),
            BoardError::UploadTooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "upload.too_large", detail)
            }
            BoardError::TooManyFiles { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "upload.too_many_files", detail)
            }
            BoardError::TypeMismatch { .. } => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "upload.type_mismatch", detail)
            }
            BoardError::UploadMalformed(_) => ApiError::bad_request("upload.malformed", detail),
            BoardError::Infra(err) => err.into(),
        }
    }
}
