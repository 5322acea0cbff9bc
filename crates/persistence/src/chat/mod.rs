//! Repositories of the chat domain.

mod directory;
mod sessions;
mod tickets;

pub use directory::SqlChatDirectory;
pub use sessions::SqlChatRepository;
pub use tickets::SqlTicketStore;
