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
pub mod m0007_account_security;
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
            Box::new(m0007_account_security::Migration),
        ]
    }
}

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};

/// An arbitrary constant naming Agora's migration lock on PostgreSQL.
const PG_LOCK_KEY: i64 = 0x4147_4f52_415f_4d47;

/// Applies pending migrations while holding a database-wide lock, so that several app
/// instances starting together on one PostgreSQL or MySQL database migrate one at a time
/// (the others wait, then find nothing to do).
///
/// On PostgreSQL and MySQL the lock lives on a connection pinned by a transaction while the
/// migrations run on other connections of the pool, which therefore needs at least two. On
/// SQLite the migrations run inside one write transaction.
pub async fn up_exclusive(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let lock = db.begin().await?;
            lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")).await?;
            let result = Migrator::up(db, None).await;
            lock.commit().await?;
            result
        }
        DbBackend::MySql => {
            let lock = db.begin().await?;
            lock.execute_unprepared("SELECT GET_LOCK('agora_migrations', 300)").await?;
            let result = Migrator::up(db, None).await;
            lock.execute_unprepared("SELECT RELEASE_LOCK('agora_migrations')").await?;
            lock.commit().await?;
            result
        }
        DbBackend::Sqlite => {
            Migrator::install(db).await?;
            let lock = db.begin().await?;
            // A write as the transaction's first statement takes SQLite's write lock at once
            // (waiting out the busy timeout); the migrations then run inside it.
            lock.execute_unprepared("DELETE FROM seaql_migrations WHERE 1 = 0").await?;
            Migrator::up(&lock, None).await?;
            lock.commit().await
        }
        _ => Migrator::up(db, None).await,
    }
}
