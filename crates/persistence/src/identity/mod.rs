//! Repositories of the identity domain.

mod resets;
mod sessions;
mod users;

pub use resets::SqlResetTokenRepository;
pub use sessions::SqlSessionRepository;
pub use users::SqlUserRepository;
