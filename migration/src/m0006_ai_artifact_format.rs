//! AI: widens `ai_model_artifact.format` from 32 to 128 characters.
//!
//! The smartcore adapter names its formats `smartcore-0.7-json/<algorithm>`, which is 36
//! characters for `linear_regression`: PostgreSQL and MySQL refuse it in 32. SQLite does not
//! enforce lengths (and cannot alter a column), so the change is a no-op there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AiModelArtifact {
    Table,
    Format,
}

async fn set_format_length(manager: &SchemaManager<'_>, length: u32) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Sqlite {
        return Ok(());
    }
    manager
        .alter_table(
            Table::alter()
                .table(AiModelArtifact::Table)
                .modify_column(ColumnDef::new(AiModelArtifact::Format).string_len(length).not_null())
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_format_length(manager, 128).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_format_length(manager, 32).await
    }
}
