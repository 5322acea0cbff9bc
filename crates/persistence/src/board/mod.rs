//! Repositories of the board domain.

mod directory;

pub use directory::SqlBoardDirectory;
