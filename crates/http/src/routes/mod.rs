//! Route handlers, one file per area of the API.

pub mod accounts;
pub mod chat;
pub mod chat_ws;
pub mod fallback;
pub mod health;
