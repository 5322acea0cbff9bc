//! Identity: what the list of sign-ins shows of each session (`refresh_token_family`):
//! its last use and the client it came from. Existing sessions get nulls (their last use
//! reads as their creation).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

use crate::types::Types;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefreshTokenFamily {
    Table,
    LastUsed,
    UserAgent,
    Ip,
}

fn columns(t: Types) -> [ColumnDef; 3] {
    [
        t.timestamp_null(RefreshTokenFamily::LastUsed),
        string_len_null(RefreshTokenFamily::UserAgent, 256),
        string_len_null(RefreshTokenFamily::Ip, 64),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in columns(Types::of(manager)) {
            manager.alter_table(Table::alter().table(RefreshTokenFamily::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [RefreshTokenFamily::LastUsed, RefreshTokenFamily::UserAgent, RefreshTokenFamily::Ip] {
            manager.alter_table(Table::alter().table(RefreshTokenFamily::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
