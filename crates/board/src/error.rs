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
