//! Domain errors to problem documents, one file per domain, so that every status and code
//! a client can see is listed in one place.

pub mod ai;
pub mod board;
pub mod chat;
pub mod codes;
pub mod docs;
pub mod identity;

pub use codes::ErrorCode;
