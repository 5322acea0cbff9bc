//! Persistence adapter: sea-orm entities and the repositories of every domain, on SQLite,
//! PostgreSQL and MySQL/MariaDB, and the local-disk file store of attachments (`files`).

pub mod ai;
pub mod audit;
pub mod board;
pub mod chat;
pub mod db;
pub mod entity;
pub mod error;
pub mod files;
pub mod identity;

pub use db::{PoolSettings, connect, ping};
pub use sea_orm::DatabaseConnection;
