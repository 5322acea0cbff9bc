//! Route handlers, one file per area of the API.

pub mod accounts;
pub mod admin;
pub mod ai;
pub mod boards;
pub mod fallback;
pub mod health;
