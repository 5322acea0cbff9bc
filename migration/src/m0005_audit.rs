//! Audit: a record of every admin action, from the API or from `admin-cli`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::keys::{drop_tables, foreign_key, index};
use crate::m0001_identity::Users;
use crate::types::Types;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminAudit {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Detail,
    CreateDate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Types::of(manager);

        manager
            .create_table(
                t.create_table(AdminAudit::Table)
                    .col(big_pk_auto(AdminAudit::Id))
                    .col(big_integer_null(AdminAudit::ActorId))
                    .col(string_len(AdminAudit::Action, 64))
                    .col(string_len(AdminAudit::TargetType, 32))
                    .col(big_integer_null(AdminAudit::TargetId))
                    .col(t.large_text(AdminAudit::Detail))
                    .col(t.timestamp(AdminAudit::CreateDate))
                    .foreign_key(&mut foreign_key(
                        "fk_admin_audit_actor",
                        (AdminAudit::Table, AdminAudit::ActorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_admin_audit_actor_id", AdminAudit::Table, [AdminAudit::ActorId])).await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [AdminAudit::Table.into_iden()]).await
    }
}
