//! Repositories of the board domain.

mod directory;
mod repository;

pub use directory::SqlBoardDirectory;
pub use repository::SqlBoardRepository;
