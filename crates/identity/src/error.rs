//! Everything that can go wrong in the identity domain, as business outcomes.

use kernel::{FieldErrors, InfraError};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    #[error("this name is already taken")]
    NameTaken,
    #[error("this email is already registered")]
    EmailTaken,
    /// Too many failed logins for this account lately: logins wait `retry_after_secs`.
    #[error("too many failed logins for this account; try again in {retry_after_secs} seconds")]
    LoginThrottled { retry_after_secs: u64 },
    /// Unknown user, wrong password or deactivated account: deliberately indistinguishable.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("this account is banned")]
    Banned,
    #[error("this account is deactivated")]
    Deactivated,
    #[error("the token is invalid")]
    TokenInvalid,
    #[error("the token has expired")]
    TokenExpired,
    #[error("the token has been revoked")]
    TokenRevoked,
    /// A spent refresh token came back: the whole family was revoked.
    #[error("this refresh token was already used; every session of its family is revoked")]
    RefreshReused,
    #[error("the password reset token is invalid, expired or already used")]
    ResetTokenInvalid,
    #[error("user not found")]
    UserNotFound,
    /// No live session of the caller has this id (someone else's is not revealed).
    #[error("session not found")]
    SessionNotFound,
    #[error("administrator rights are required")]
    AdminRequired,
    #[error("an administrator cannot ban or deactivate their own account")]
    CannotModerateSelf,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<FieldErrors> for IdentityError {
    fn from(errors: FieldErrors) -> Self {
        IdentityError::Validation(errors)
    }
}
