//! Identity, account security: what the list of sign-ins shows of each session
//! (`refresh_token_family` gains its last use and the client it came from; existing
//! sessions get nulls, their last use reads as their creation), and the failed-login count
//! of each account (`login_throttle`, one row per account with recent failures).

use sea_orm_migration::{prelude::*, schema::*};

use crate::keys::{drop_tables, foreign_key};
use crate::m0001_identity::Users;
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

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    UserId,
    Failures,
    WindowStart,
    LockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Types::of(manager);
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            t.timestamp_null(RefreshTokenFamily::LastUsed),
            string_len_null(RefreshTokenFamily::UserAgent, 256),
            string_len_null(RefreshTokenFamily::Ip, 64),
        ] {
            manager.alter_table(Table::alter().table(RefreshTokenFamily::Table).add_column(column).to_owned()).await?;
        }

        manager
            .create_table(
                t.create_table(LoginThrottle::Table)
                    .col(big_integer(LoginThrottle::UserId).primary_key())
                    .col(integer(LoginThrottle::Failures))
                    .col(t.timestamp(LoginThrottle::WindowStart))
                    .col(t.timestamp_null(LoginThrottle::LockedUntil))
                    .foreign_key(&mut foreign_key(
                        "fk_login_throttle_user",
                        (LoginThrottle::Table, LoginThrottle::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [LoginThrottle::Table.into_iden()]).await?;
        for column in [RefreshTokenFamily::LastUsed, RefreshTokenFamily::UserAgent, RefreshTokenFamily::Ip] {
            manager.alter_table(Table::alter().table(RefreshTokenFamily::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
