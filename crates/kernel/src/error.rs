//! The failure an adapter reports when its technology fails, as opposed to a business rule.

/// An infrastructure failure: the database, broker, disk or another dependency did not do
/// its part. Domains wrap it unchanged; the HTTP layer answers 503 for `Unavailable` and
/// 500 for `Internal`, logging the message but never returning it to the client.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InfraError {
    /// The dependency could not be reached or timed out; retrying later may succeed.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    /// Anything else that went wrong outside the domain's rules.
    #[error("internal error: {0}")]
    Internal(String),
}

impl InfraError {
    pub fn internal(err: impl std::fmt::Display) -> Self {
        InfraError::Internal(err.to_string())
    }

    pub fn unavailable(err: impl std::fmt::Display) -> Self {
        InfraError::Unavailable(err.to_string())
    }
}
