//! The board domain: boards and who may read or write them, posts, comments, likes, views
//! and attachments. Framework-free; adapters implement its ports.

pub mod board;
pub mod error;

pub use board::access::{BoardDirectory, BoardGate};
pub use board::model::{Board, BoardAccess, BoardId};
pub use board::ports::{BoardRepository, BoardWriteError};
pub use board::service::{AdminBoard, BoardPorts, BoardService, ReadableBoard};
pub use board::values::{BoardChanges, BoardInformation, BoardInput, BoardName, BoardPatch, NewBoard};
pub use error::BoardError;
