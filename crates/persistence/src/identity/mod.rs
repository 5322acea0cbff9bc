//! Repositories of the identity domain.

mod resets;
mod sessions;
mod throttles;
mod users;

pub use resets::SqlResetTokenRepository;
pub use sessions::SqlSessionRepository;
pub use throttles::SqlLoginThrottleRepository;
pub use users::SqlUserRepository;
