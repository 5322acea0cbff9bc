//! The board domain: boards and who may read or write them, posts, comments, likes, views
//! and attachments. Framework-free; adapters implement its ports.

pub mod board;
pub mod error;

pub use board::access::{BoardDirectory, BoardGate};
pub use board::model::{Board, BoardAccess, BoardId};
pub use error::BoardError;
