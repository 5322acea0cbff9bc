//! Board errors as HTTP outcomes.

use board::BoardError;

use crate::errors::ErrorCode;
use crate::problem::ApiError;

impl From<BoardError> for ApiError {
    fn from(err: BoardError) -> Self {
        let detail = err.to_string();
        match err {
            BoardError::Validation(errors) => ApiError::validation(errors),
            BoardError::BoardNotFound => ApiError::new(ErrorCode::BoardNotFound, detail),
            BoardError::Forbidden => ApiError::new(ErrorCode::BoardForbidden, detail),
            BoardError::Closed => ApiError::new(ErrorCode::BoardClosed, detail),
            BoardError::NameTaken => ApiError::new(ErrorCode::BoardNameTaken, detail),
            BoardError::AdminRequired => ApiError::new(ErrorCode::AuthAdminRequired, detail),
            BoardError::UserNotFound => ApiError::new(ErrorCode::UserNotFound, detail),
            BoardError::PostNotFound => ApiError::new(ErrorCode::PostNotFound, detail),
            BoardError::NotPostAuthor => ApiError::new(ErrorCode::PostNotOwner, detail),
            BoardError::CommentNotFound => ApiError::new(ErrorCode::CommentNotFound, detail),
            BoardError::NotCommentAuthor => ApiError::new(ErrorCode::CommentNotOwner, detail),
            BoardError::AttachmentNotFound => ApiError::new(ErrorCode::AttachmentNotFound, detail),
            BoardError::NotAttachmentOwner => ApiError::new(ErrorCode::AttachmentNotOwner, detail),
            BoardError::UploadTooLarge { .. } => ApiError::new(ErrorCode::UploadTooLarge, detail),
            BoardError::TooManyFiles { .. } => ApiError::new(ErrorCode::UploadTooManyFiles, detail),
            BoardError::TypeMismatch { .. } => ApiError::new(ErrorCode::UploadTypeMismatch, detail),
            // One code for an unreadable multipart body, whatever the route: `upload.malformed`
            // was retired for `request.malformed_multipart`, which datasets answer too.
            BoardError::UploadMalformed(_) => ApiError::new(ErrorCode::RequestMalformedMultipart, detail),
            BoardError::Infra(err) => err.into(),
        }
    }
}
