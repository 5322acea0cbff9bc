//! Bodies of the accounts routes.

use chrono::{DateTime, Utc};
use identity::User;
use identity::{Email, UserName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::extract::validation::limit;

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct SignupRequest {
    /// 3..64 letters (any script), digits, `_` or `-`; unique, case-insensitively.
    #[schema(example = "alice", min_length = 3, max_length = 64)]
    #[validate(length(min = limit(UserName::MIN_CHARS), max = limit(UserName::MAX_CHARS)))]
    pub name: String,
    /// A valid address of at most 256 characters; stored in lower case.
    #[schema(example = "alice@example.com", format = Email, max_length = 256)]
    #[validate(length(max = limit(Email::MAX_CHARS)))]
    pub email: String,
    /// 8..72 bytes (bcrypt reads 72 bytes; longer is refused, never cut).
    #[schema(example = "correct horse battery", min_length = 8, max_length = 72)]
    pub password: String,
}

/// Login by name or email: a JSON body or an OAuth2 password-flow form.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct LoginRequest {
    /// The user's name or email.
    #[schema(example = "alice", min_length = 1)]
    pub username: String,
    #[schema(example = "correct horse battery", min_length = 1, max_length = 72)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, ToSchema, Validate)]
pub struct RefreshRequest {
    /// The refresh token; when absent, the `refresh_token` cookie is used.
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct PasswordResetRequest {
    #[schema(example = "alice@example.com", format = Email, max_length = 256)]
    #[validate(length(max = limit(Email::MAX_CHARS)))]
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct PasswordResetConfirm {
    /// The token from the reset mail.
    pub token: String,
    /// 8..72 bytes.
    #[schema(min_length = 8, max_length = 72)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct ProfileUpdate {
    /// 3..64 letters (any script), digits, `_` or `-`.
    #[schema(min_length = 3, max_length = 64)]
    #[validate(length(min = limit(UserName::MIN_CHARS), max = limit(UserName::MAX_CHARS)))]
    pub name: Option<String>,
    #[schema(format = Email, max_length = 256)]
    #[validate(length(max = limit(Email::MAX_CHARS)))]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct PasswordChange {
    pub current_password: String,
    /// 8..72 bytes.
    #[schema(min_length = 8, max_length = 72)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct DeactivateRequest {
    /// The account's password, as confirmation.
    pub password: String,
}

/// The caller's own account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub join_date: DateTime<Utc>,
    pub is_superuser: bool,
    pub is_active: bool,
    pub is_banned: bool,
}

impl From<User> for UserDto {
    fn from(user: User) -> Self {
        UserDto {
            id: user.id,
            name: user.name,
            email: user.email,
            join_date: user.join_date,
            is_superuser: user.is_superuser,
            is_active: user.is_active,
            is_banned: user.is_banned,
        }
    }
}
