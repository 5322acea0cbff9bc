//! The board domain: boards and who may read or write them, posts, comments, likes, views
//! and attachments. Framework-free; adapters implement its ports.

pub mod attachment;
pub mod board;
pub mod comment;
pub mod error;
pub mod post;
#[cfg(test)]
mod test_support;
pub mod view;

pub use attachment::model::{AttachTarget, Attachment, AttachmentId};
pub use attachment::service::{AttachmentPorts, AttachmentService, Download, UploadLimits};
pub use board::access::{BoardDirectory, BoardGate};
pub use board::model::{Board, BoardAccess, BoardId};
pub use board::ports::{BoardRepository, BoardWriteError};
pub use board::service::{AdminBoard, BoardPorts, BoardService, ReadableBoard};
pub use board::values::{BoardChanges, BoardInformation, BoardInput, BoardName, BoardPatch, NewBoard};
pub use comment::model::{Comment, CommentId};
pub use comment::service::CommentService;
pub use error::BoardError;
pub use post::cached::PostReadCaching;
pub use post::model::{Author, Post, PostDetail, PostFilter, PostId, PostSort};
pub use post::read_cache::PostReadCache;
pub use post::service::PostService;
pub use view::{FlushReport, ViewCounter, ViewSink};
