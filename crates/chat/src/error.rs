//! Everything that can go wrong in the chat domain, as business outcomes.

use kernel::{FieldErrors, InfraError};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// The session does not exist or was deleted.
    #[error("chat session not found")]
    SessionNotFound,
    /// The message does not exist, was deleted, or its session was deleted.
    #[error("chat message not found")]
    MessageNotFound,
    /// The caller is neither a member of the session nor an admin, or may not do this to it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Only an administrator may do this (reassigning a session).
    #[error("only an administrator may reassign a chat session")]
    AdminRequired,
    /// The session is closed: nothing can be posted or edited in it.
    #[error("this chat session is closed")]
    SessionClosed,
    /// A WebSocket ticket that is unknown, expired or already used.
    #[error("the WebSocket ticket is invalid, expired or already used")]
    TicketInvalid,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<FieldErrors> for ChatError {
    fn from(errors: FieldErrors) -> Self {
        ChatError::Validation(errors)
    }
}
