//! Identity errors as HTTP outcomes.

use identity::IdentityError;

use crate::errors::ErrorCode;
use crate::problem::ApiError;

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        let detail = err.to_string();
        match err {
            IdentityError::Validation(errors) => ApiError::validation(errors),
            IdentityError::NameTaken => ApiError::new(ErrorCode::UserNameTaken, detail),
            IdentityError::EmailTaken => ApiError::new(ErrorCode::UserEmailTaken, detail),
            IdentityError::LoginThrottled { retry_after_secs } => {
                ApiError::new(ErrorCode::RequestRateLimited, detail).with_retry_after(retry_after_secs)
            }
            IdentityError::InvalidCredentials => ApiError::new(ErrorCode::AuthInvalidCredentials, detail),
            IdentityError::WrongPassword => ApiError::new(ErrorCode::AuthWrongPassword, detail),
            IdentityError::Banned => ApiError::new(ErrorCode::UserBanned, detail),
            IdentityError::Deactivated => ApiError::unauthorized(ErrorCode::UserDeactivated, detail),
            IdentityError::TokenInvalid => ApiError::unauthorized(ErrorCode::AuthTokenInvalid, detail),
            IdentityError::TokenExpired => ApiError::unauthorized(ErrorCode::AuthTokenExpired, detail),
            IdentityError::TokenRevoked => ApiError::unauthorized(ErrorCode::AuthTokenRevoked, detail),
            IdentityError::RefreshReused => ApiError::unauthorized(ErrorCode::AuthRefreshReused, detail),
            IdentityError::ResetTokenInvalid => ApiError::new(ErrorCode::AuthResetTokenInvalid, detail),
            IdentityError::UserNotFound => ApiError::new(ErrorCode::UserNotFound, detail),
            IdentityError::SessionNotFound => ApiError::new(ErrorCode::SessionNotFound, detail),
            IdentityError::AdminRequired => ApiError::new(ErrorCode::AuthAdminRequired, detail),
            IdentityError::CannotModerateSelf => ApiError::new(ErrorCode::AdminSelfModeration, detail),
            IdentityError::Infra(err) => err.into(),
        }
    }
}
