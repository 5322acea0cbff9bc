//! Route handlers, one file per area of the API.

pub mod accounts;
pub mod ai;
pub mod fallback;
pub mod health;
