//! The claims carried by access and refresh tokens, independent of their encoding.

use kernel::{Role, Timestamp, UserId};

/// What a valid access token asserts. `family_id` ties it to the login session it came
/// from, so that revoking the session revokes the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub role: Role,
    pub jti: String,
    pub family_id: i64,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// What a valid refresh token asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshClaims {
    pub user_id: UserId,
    pub jti: String,
    pub family_id: i64,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Why a token was not accepted by the codec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Malformed, forged, wrong algorithm, or the other kind of token.
    #[error("invalid token")]
    Invalid,
    #[error("expired token")]
    Expired,
}
