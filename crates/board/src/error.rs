//! Everything that can go wrong in the board domain, as business outcomes.

use kernel::{FieldErrors, InfraError};

#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// The board does not exist, or is hidden from the caller.
    #[error("board not found")]
    BoardNotFound,
    /// A restricted board the caller is not a member of.
    #[error("this board is restricted to its members")]
    Forbidden,
    /// The board is closed for writing.
    #[error("this board is closed for writing")]
    Closed,
    #[error("a board with this name already exists")]
    NameTaken,
    /// The post does not exist or was deleted.
    #[error("post not found")]
    PostNotFound,
    /// Only the author of a post (or an admin) may change or delete it, or attach files to it.
    #[error("only the author of this post or an administrator may do this")]
    NotPostAuthor,
    /// The comment does not exist, was deleted, or its post was.
    #[error("comment not found")]
    CommentNotFound,
    /// Only the author of a comment (or an admin) may change or delete it, or attach files to it.
    #[error("only the author of this comment or an administrator may do this")]
    NotCommentAuthor,
    /// The attachment does not exist, or what it is attached to was deleted.
    #[error("attachment not found")]
    AttachmentNotFound,
    /// Only the uploader, the author of the post or comment, or an admin may delete a file.
    #[error("only the uploader, the author of the post or comment, or an administrator may delete this file")]
    NotAttachmentOwner,
    /// A file is larger than the per-file limit.
    #[error("a file exceeds the limit of {limit} bytes")]
    UploadTooLarge { limit: u64 },
    /// The post or comment would have more files than allowed.
    #[error("a post or comment may have at most {limit} files")]
    TooManyFiles { limit: u32 },
    /// A file claims an image type that its content is not.
    #[error("the file {name:?} is declared as {declared} but its content is not")]
    TypeMismatch { name: String, declared: String },
    /// The upload request is not readable as multipart with `file` parts.
    #[error("the upload is malformed: {0}")]
    UploadMalformed(String),
    /// An admin action asked for by someone who is not an admin.
    #[error("administrator rights are required")]
    AdminRequired,
    /// A membership change names a user that does not exist.
    #[error("user not found")]
    UserNotFound,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<FieldErrors> for BoardError {
    fn from(errors: FieldErrors) -> Self {
        BoardError::Validation(errors)
    }
}

impl BoardError {
    /// The answer for a thing looked up by its own id whose board the caller may not see:
    /// a hidden (or deleted) board answers as if the thing did not exist, so that answers
    /// do not tell which ids exist in hidden boards. Other refusals stay as they are.
    pub fn hidden_as(self, missing: BoardError) -> BoardError {
        match self {
            BoardError::BoardNotFound => missing,
            other => other,
        }
    }
}
