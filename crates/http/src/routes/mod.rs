//! Route handlers, one file per area of the API.

pub mod accounts;
pub mod admin;
pub mod ai;
pub mod attachments;
pub mod boards;
pub mod chat;
pub mod chat_ws;
pub mod comments;
pub mod docs;
pub mod fallback;
pub mod health;
pub mod posts;
pub mod sessions;
