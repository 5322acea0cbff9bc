//! Identity errors as HTTP outcomes.

use actix_web::http::StatusCode;
use identity::IdentityError;

use crate::problem::ApiError;

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        let detail = err.to_string();
        match err {
            IdentityError::Validation(errors) => ApiError::validation(errors),
            IdentityError::NameTaken => ApiError::conflict("user.name_taken", detail),
            IdentityError::EmailTaken => ApiError::conflict("user.email_taken", detail),
            IdentityError::LoginThrottled { retry_after_secs } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "request.rate_limited", detail)
                    .with_header(actix_web::http::header::RETRY_AFTER, retry_after_secs.to_string())
            }
            IdentityError::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "auth.invalid_credentials", detail)
            }
            IdentityError::WrongPassword => ApiError::new(StatusCode::UNAUTHORIZED, "auth.wrong_password", detail),
            IdentityError::Banned => ApiError::forbidden("user.banned", detail),
            IdentityError::Deactivated => ApiError::unauthorized("user.deactivated", detail),
            IdentityError::TokenInvalid => ApiError::unauthorized("auth.token_invalid", detail),
            IdentityError::TokenExpired => ApiError::unauthorized("auth.token_expired", detail),
            IdentityError::TokenRevoked => ApiError::unauthorized("auth.token_revoked", detail),
            IdentityError::RefreshReused => ApiError::unauthorized("auth.refresh_reused", detail),
            IdentityError::ResetTokenInvalid => ApiError::bad_request("auth.reset_token_invalid", detail),
            IdentityError::UserNotFound => ApiError::not_found("user.not_found", detail),
            IdentityError::SessionNotFound => ApiError::not_found("session.not_found", detail),
            IdentityError::AdminRequired => ApiError::forbidden("auth.admin_required", detail),
            IdentityError::CannotModerateSelf => ApiError::forbidden("admin.self_moderation", detail),
            IdentityError::Infra(err) => err.into(),
        }
    }
}
