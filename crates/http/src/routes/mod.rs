//! Route handlers, one file per area of the API.

pub mod accounts;
pub mod attachments;
pub mod comments;
pub mod fallback;
pub mod health;
pub mod posts;
