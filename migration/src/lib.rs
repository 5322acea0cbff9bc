//! The Agora database schema as sea-orm migrations, one per domain, that run unchanged on
//! SQLite, PostgreSQL and MySQL/MariaDB (see `m0001_identity` for where the seed's tables went).

use sea_orm_migration::{MigrationTrait, async_trait};
pub use sea_orm_migration::{MigratorTrait, SchemaManager};

mod keys;
pub mod m0001_identity;
pub mod m0002_board;
pub mod m0003_chat;
pub mod m0004_ai;
pub mod m0005_audit;
pub mod m0006_ai_artifact_format;
mod types;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_identity::Migration),
            Box::new(m0002_board::Migration),
            Box::new(m0003_chat::Migration),
            Box::new(m0004_ai::Migration),
            Box::new(m0005_audit::Migration),
            Box::new(m0006_ai_artifact_format::Migration),
        ]
    }
}
