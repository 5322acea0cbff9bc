//! Identity: users and everything that proves who they are (refresh-token families, refresh
//! tokens, the access-token blacklist, password-reset tokens).
//!
//! # Where the seed's tables went
//!
//! The seed (shared/SEED.md) is a Python backend; every one of its tables and columns has a
//! home in migrations `m0001`..`m0005`, under the domain's own names where they read better.
//!
//! | seed table.column | Agora table.column | note |
//! | --- | --- | --- |
//! | User.id | users.id | |
//! | User.name | users.name, users.name_key | `name_key` is the lower-cased name and carries the unique index, so names are unique case-insensitively on every backend |
//! | User.email | users.email | unique, stored lower-case |
//! | User.password | users.password_hash | a bcrypt hash |
//! | User.password_salt | — | **dropped**: a bcrypt hash carries its own salt |
//! | User.join_date | users.join_date | new beside it: `update_date`, `banned_date` |
//! | User.is_superuser, is_banned, is_active | users.is_superuser, is_banned, is_active | |
//! | User → posts, comments, chats, AI logs | post.user_id, comment.user_id, chat_message.user_id, inference_job.user_id | |
//! | User ↔ chat sessions, boards (N:M) | chat_session_member, board_member | |
//! | Board.id, name, information, is_visible, is_available | board.id, name, information, is_visible, is_available | new: `create_date`, `update_date`, `delete_date` |
//! | Board.permission_verified_user_id_range | board.access | **dropped**: an id range shut out every user who joined after the board was made; `access` is `public` or `restricted`, and a restricted board admits its `board_member` rows |
//! | Board ↔ users (N:M) | board_member | |
//! | Post.id, user_id, board_id, content, create_date, update_date | post.* (same names) | |
//! | Post.name | post.title | no longer unique |
//! | Post.number_of_view, number_of_comment, number_of_like | post.* (same names) | kept exact by additive `UPDATE`s; likes have their own table, `post_like` (one per user) |
//! | Post.is_file_attached, is_visible | post.* (same names) | |
//! | Post → comments, attached files | comment.post_id, attachment.post_id | |
//! | Comment.id, user_id, post_id, content, create_date, update_date, is_file_attached, is_visible | comment.* (same names) | |
//! | Comment → attached files | attachment.comment_id | |
//! | ChatSession.id, name, information, create_date, update_date, is_visible, is_closed | chat_session.* (same names) | new: `creator_id`, `assignee_id` (the admin who answers) |
//! | ChatSession ↔ users (N:M), → chats | chat_session_member, chat_message.chat_session_id | |
//! | Chat.id, user_id, chat_session_id, content, create_date, update_date, is_visible | chat_message.* (same names) | |
//! | AI.id, name, description, create_date, update_date, finish_date, is_visible, is_available | ai_model.* (same names) | new: `algorithm`, `dataset_id`, `target`, `features`, `status`, `error`, `metrics`, `user_id`, `attempts`; the trained model's bytes live in `ai_model_artifact` |
//! | AI.task id | ai_model.task_id | |
//! | AI → logs | inference_job.model_id | |
//! | AIlog.id, user_id, description, create_date, update_date, finish_date | inference_job.* (same names) | new: `inputs` (inference now takes input), `error`, `attempts` |
//! | AIlog.ai_id | inference_job.model_id | |
//! | AIlog.result | inference_job.result | a JSON document, no longer cut at 256 characters |
//! | AIlog.is_finished | inference_job.status | `queued`, `running`, `succeeded` or `failed`; failures are recorded instead of swallowed |
//! | AIlog.task id | inference_job.task_id | |
//! | the AI test data (10,000 rows) | ai_dataset | the shipped row has a null `user_id` |
//! | UserChatSessionTable (user_id, chat_session_id, create_date) | chat_session_member (same names) | |
//! | UserPermissionTable (user_id, board_id, create_date) | board_member (same names) | |
//! | JWTAccessTokenBlackList.user_id, create_date | access_token_blacklist.user_id, create_date | |
//! | JWTAccessTokenBlackList.access_token | access_token_blacklist.jti | **raw token dropped**: only the token's `jti` claim is stored |
//! | JWTAccessTokenBlackList.expired_date | access_token_blacklist.expire_date | indexed, so expired rows are purged |
//! | JWTRefreshTokenList.user_id, create_date | refresh_token.user_id, create_date | |
//! | JWTRefreshTokenList.refresh_token | refresh_token.jti | **raw token dropped**: only the `jti` is stored |
//! | JWTRefreshTokenList.access_token | — | **dropped**: access tokens are never stored; logout blacklists the access token's `jti` |
//! | JWTRefreshTokenList.expired_date | refresh_token.expire_date | new: `family_id` (`refresh_token_family`, the rotation chain whose reuse revokes the whole login), `spent_date` |
//! | PostFile.post_id, board_id, create_date | attachment.post_id, board_id, create_date | PostFile and CommentFile share one table, so `/attachments/{id}` has one id space |
//! | PostFile.file_uuid_name, CommentFile.file_uuid_name | attachment.stored_name | the random name on disk |
//! | PostFile.file_original_name, CommentFile.file_original_name | attachment.original_name | new: `id`, `user_id` (uploader), `content_type`, `size` |
//! | PostFile.file_path, CommentFile.file_path | — | **dropped**: the file store derives the path from `stored_name`, so the storage directory can move and no server path reaches the database |
//! | CommentFile.comment_id, post_id, create_date | attachment.comment_id, post_id, create_date | |
//!
//! New tables with no seed counterpart: `password_reset_token` (only a SHA-256 hash of the
//! mailed token is stored), `post_like`, `chat_ws_ticket` (one-use WebSocket tickets, hashed),
//! `ai_model_artifact`, `admin_audit`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::keys::{drop_tables, foreign_key, index, unique};
use crate::types::Types;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Name,
    NameKey,
    Email,
    PasswordHash,
    JoinDate,
    UpdateDate,
    IsSuperuser,
    IsBanned,
    IsActive,
    BannedDate,
}

#[derive(DeriveIden)]
enum RefreshTokenFamily {
    Table,
    Id,
    UserId,
    CreateDate,
    ExpireDate,
    RevokeDate,
    RevokeReason,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    Id,
    FamilyId,
    UserId,
    Jti,
    CreateDate,
    ExpireDate,
    SpentDate,
}

#[derive(DeriveIden)]
enum AccessTokenBlacklist {
    Table,
    Id,
    UserId,
    Jti,
    CreateDate,
    ExpireDate,
}

#[derive(DeriveIden)]
enum PasswordResetToken {
    Table,
    Id,
    UserId,
    TokenHash,
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
                t.create_table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len(Users::Name, 64))
                    .col(string_len(Users::NameKey, 64))
                    .col(string_len(Users::Email, 256))
                    .col(string_len(Users::PasswordHash, 128))
                    .col(t.timestamp(Users::JoinDate))
                    .col(t.timestamp(Users::UpdateDate))
                    .col(boolean(Users::IsSuperuser).default(false))
                    .col(boolean(Users::IsBanned).default(false))
                    .col(boolean(Users::IsActive).default(true))
                    .col(t.timestamp_null(Users::BannedDate))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("uq_users_name_key", Users::Table, Users::NameKey)).await?;
        manager.create_index(unique("uq_users_email", Users::Table, Users::Email)).await?;

        manager
            .create_table(
                t.create_table(RefreshTokenFamily::Table)
                    .col(big_pk_auto(RefreshTokenFamily::Id))
                    .col(big_integer(RefreshTokenFamily::UserId))
                    .col(t.timestamp(RefreshTokenFamily::CreateDate))
                    .col(t.timestamp(RefreshTokenFamily::ExpireDate))
                    .col(t.timestamp_null(RefreshTokenFamily::RevokeDate))
                    .col(string_len_null(RefreshTokenFamily::RevokeReason, 32))
                    .foreign_key(&mut foreign_key(
                        "fk_refresh_token_family_user",
                        (RefreshTokenFamily::Table, RefreshTokenFamily::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_refresh_token_family_user_id",
                RefreshTokenFamily::Table,
                [RefreshTokenFamily::UserId],
            ))
            .await?;

        manager
            .create_table(
                t.create_table(RefreshToken::Table)
                    .col(big_pk_auto(RefreshToken::Id))
                    .col(big_integer(RefreshToken::FamilyId))
                    .col(big_integer(RefreshToken::UserId))
                    .col(string_len(RefreshToken::Jti, 64))
                    .col(t.timestamp(RefreshToken::CreateDate))
                    .col(t.timestamp(RefreshToken::ExpireDate))
                    .col(t.timestamp_null(RefreshToken::SpentDate))
                    .foreign_key(&mut foreign_key(
                        "fk_refresh_token_family",
                        (RefreshToken::Table, RefreshToken::FamilyId),
                        (RefreshTokenFamily::Table, RefreshTokenFamily::Id),
                        cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_refresh_token_user",
                        (RefreshToken::Table, RefreshToken::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("uq_refresh_token_jti", RefreshToken::Table, RefreshToken::Jti)).await?;
        manager
            .create_index(index("idx_refresh_token_family_id", RefreshToken::Table, [RefreshToken::FamilyId]))
            .await?;
        manager.create_index(index("idx_refresh_token_user_id", RefreshToken::Table, [RefreshToken::UserId])).await?;

        manager
            .create_table(
                t.create_table(AccessTokenBlacklist::Table)
                    .col(big_pk_auto(AccessTokenBlacklist::Id))
                    .col(big_integer(AccessTokenBlacklist::UserId))
                    .col(string_len(AccessTokenBlacklist::Jti, 64))
                    .col(t.timestamp(AccessTokenBlacklist::CreateDate))
                    .col(t.timestamp(AccessTokenBlacklist::ExpireDate))
                    .foreign_key(&mut foreign_key(
                        "fk_access_token_blacklist_user",
                        (AccessTokenBlacklist::Table, AccessTokenBlacklist::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_access_token_blacklist_jti",
                AccessTokenBlacklist::Table,
                AccessTokenBlacklist::Jti,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_access_token_blacklist_user_id",
                AccessTokenBlacklist::Table,
                [AccessTokenBlacklist::UserId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_access_token_blacklist_expire_date",
                AccessTokenBlacklist::Table,
                [AccessTokenBlacklist::ExpireDate],
            ))
            .await?;

        manager
            .create_table(
                t.create_table(PasswordResetToken::Table)
                    .col(big_pk_auto(PasswordResetToken::Id))
                    .col(big_integer(PasswordResetToken::UserId))
                    .col(string_len(PasswordResetToken::TokenHash, 64))
                    .col(t.timestamp(PasswordResetToken::CreateDate))
                    .col(t.timestamp(PasswordResetToken::ExpireDate))
                    .col(t.timestamp_null(PasswordResetToken::UsedDate))
                    .foreign_key(&mut foreign_key(
                        "fk_password_reset_token_user",
                        (PasswordResetToken::Table, PasswordResetToken::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_password_reset_token_token_hash",
                PasswordResetToken::Table,
                PasswordResetToken::TokenHash,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_password_reset_token_user_id",
                PasswordResetToken::Table,
                [PasswordResetToken::UserId],
            ))
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                PasswordResetToken::Table.into_iden(),
                AccessTokenBlacklist::Table.into_iden(),
                RefreshToken::Table.into_iden(),
                RefreshTokenFamily::Table.into_iden(),
                Users::Table.into_iden(),
            ],
        )
        .await
    }
}
