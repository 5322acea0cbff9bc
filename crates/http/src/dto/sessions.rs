//! Bodies of the sign-in (session) routes.

use chrono::{DateTime, Utc};
use identity::ports::SessionFamily;
use serde::Serialize;
use utoipa::ToSchema;

/// One sign-in of the caller: a login and the refreshes that followed it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionDto {
    #[schema(example = 42)]
    pub id: i64,
    /// When the login happened.
    pub create_date: DateTime<Utc>,
    /// The login or the latest token refresh.
    pub last_used: DateTime<Utc>,
    /// The `User-Agent` the login came with, cut to 256 characters.
    #[schema(example = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")]
    pub user_agent: Option<String>,
    /// The client address of the login (behind trusted proxies, the forwarded one).
    #[schema(example = "203.0.113.7")]
    pub ip: Option<String>,
    /// Whether this is the sign-in of the token that asks.
    pub current: bool,
}

impl SessionDto {
    pub fn new(family: SessionFamily, current_family: i64) -> Self {
        SessionDto {
            id: family.id,
            create_date: family.create_date,
            last_used: family.last_used,
            user_agent: family.client.user_agent,
            ip: family.client.ip,
            current: family.id == current_family,
        }
    }
}
