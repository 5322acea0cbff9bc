//! Chat: sessions between a user and the admins, their members, messages, and the one-use
//! tickets that open a WebSocket.

use sea_orm_migration::{prelude::*, schema::*};

use crate::keys::{drop_tables, foreign_key, index, unique};
use crate::m0001_identity::Users;
use crate::types::Types;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatSession {
    Table,
    Id,
    Name,
    Information,
    CreatorId,
    AssigneeId,
    IsClosed,
    IsVisible,
    CreateDate,
    UpdateDate,
}

#[derive(DeriveIden)]
enum ChatSessionMember {
    Table,
    ChatSessionId,
    UserId,
    CreateDate,
}

#[derive(DeriveIden)]
enum ChatMessage {
    Table,
    Id,
    ChatSessionId,
    UserId,
    Content,
    CreateDate,
    UpdateDate,
    IsVisible,
}

#[derive(DeriveIden)]
enum ChatWsTicket {
    Table,
    Id,
    TicketHash,
    UserId,
    CreateDate,
    ExpireDate,
    UsedDate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Types::of(manager);
        let cascade = ForeignKeyAction::Cascade;

        manager
            .create_table(
                t.create_table(ChatSession::Table)
                    .col(big_pk_auto(ChatSession::Id))
                    .col(string_len(ChatSession::Name, 256))
                    .col(string_len(ChatSession::Information, 256))
                    .col(big_integer(ChatSession::CreatorId))
                    .col(big_integer_null(ChatSession::AssigneeId))
                    .col(boolean(ChatSession::IsClosed).default(false))
                    .col(boolean(ChatSession::IsVisible).default(true))
                    .col(t.timestamp(ChatSession::CreateDate))
                    .col(t.timestamp(ChatSession::UpdateDate))
                    .foreign_key(&mut foreign_key(
                        "fk_chat_session_creator",
                        (ChatSession::Table, ChatSession::CreatorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_chat_session_assignee",
                        (ChatSession::Table, ChatSession::AssigneeId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_chat_session_creator_id", ChatSession::Table, [ChatSession::CreatorId]))
            .await?;
        manager
            .create_index(index(
                "idx_chat_session_assignee_id_is_closed",
                ChatSession::Table,
                [ChatSession::AssigneeId, ChatSession::IsClosed],
            ))
            .await?;

        manager
            .create_table(
                t.create_table(ChatSessionMember::Table)
                    .col(big_integer(ChatSessionMember::ChatSessionId))
                    .col(big_integer(ChatSessionMember::UserId))
                    .col(t.timestamp(ChatSessionMember::CreateDate))
                    .primary_key(Index::create().col(ChatSessionMember::ChatSessionId).col(ChatSessionMember::UserId))
                    .foreign_key(&mut foreign_key(
                        "fk_chat_session_member_session",
                        (ChatSessionMember::Table, ChatSessionMember::ChatSessionId),
                        (ChatSession::Table, ChatSession::Id),
                        cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_chat_session_member_user",
                        (ChatSessionMember::Table, ChatSessionMember::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_chat_session_member_user_id",
                ChatSessionMember::Table,
                [ChatSessionMember::UserId],
            ))
            .await?;

        manager
            .create_table(
                t.create_table(ChatMessage::Table)
                    .col(big_pk_auto(ChatMessage::Id))
                    .col(big_integer(ChatMessage::ChatSessionId))
                    .col(big_integer(ChatMessage::UserId))
                    .col(string_len(ChatMessage::Content, 256))
                    .col(t.timestamp(ChatMessage::CreateDate))
                    .col(t.timestamp(ChatMessage::UpdateDate))
                    .col(boolean(ChatMessage::IsVisible).default(true))
                    .foreign_key(&mut foreign_key(
                        "fk_chat_message_session",
                        (ChatMessage::Table, ChatMessage::ChatSessionId),
                        (ChatSession::Table, ChatSession::Id),
                        cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_chat_message_user",
                        (ChatMessage::Table, ChatMessage::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_chat_message_chat_session_id_id",
                ChatMessage::Table,
                [ChatMessage::ChatSessionId, ChatMessage::Id],
            ))
            .await?;
        manager.create_index(index("idx_chat_message_user_id", ChatMessage::Table, [ChatMessage::UserId])).await?;

        manager
            .create_table(
                t.create_table(ChatWsTicket::Table)
                    .col(big_pk_auto(ChatWsTicket::Id))
                    .col(string_len(ChatWsTicket::TicketHash, 64))
                    .col(big_integer(ChatWsTicket::UserId))
                    .col(t.timestamp(ChatWsTicket::CreateDate))
                    .col(t.timestamp(ChatWsTicket::ExpireDate))
                    .col(t.timestamp_null(ChatWsTicket::UsedDate))
                    .foreign_key(&mut foreign_key(
                        "fk_chat_ws_ticket_user",
                        (ChatWsTicket::Table, ChatWsTicket::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("uq_chat_ws_ticket_ticket_hash", ChatWsTicket::Table, ChatWsTicket::TicketHash))
            .await?;
        manager.create_index(index("idx_chat_ws_ticket_user_id", ChatWsTicket::Table, [ChatWsTicket::UserId])).await?;
        manager
            .create_index(index("idx_chat_ws_ticket_expire_date", ChatWsTicket::Table, [ChatWsTicket::ExpireDate]))
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                ChatWsTicket::Table.into_iden(),
                ChatMessage::Table.into_iden(),
                ChatSessionMember::Table.into_iden(),
                ChatSession::Table.into_iden(),
            ],
        )
        .await
    }
}
