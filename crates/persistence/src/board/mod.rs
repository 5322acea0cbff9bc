//! Repositories of the board domain.

mod attachments;
mod comments;
mod directory;
mod posts;
mod repository;
mod rows;
mod views;

pub use attachments::SqlAttachmentRepository;
pub use comments::SqlCommentRepository;
pub use directory::SqlBoardDirectory;
pub use posts::SqlPostRepository;
pub use repository::SqlBoardRepository;
pub use views::SqlViewSink;
