//! Boards: boards and their members, posts, comments, likes and attachments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::keys::{drop_tables, foreign_key, index, unique};
use crate::m0001_identity::Users;
use crate::types::Types;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Board {
    Table,
    Id,
    Name,
    Information,
    IsVisible,
    IsAvailable,
    Access,
    CreateDate,
    UpdateDate,
    DeleteDate,
}

#[derive(DeriveIden)]
enum BoardMember {
    Table,
    BoardId,
    UserId,
    CreateDate,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    BoardId,
    UserId,
    Title,
    Content,
    CreateDate,
    UpdateDate,
    NumberOfView,
    NumberOfComment,
    NumberOfLike,
    IsFileAttached,
    IsVisible,
}

#[derive(DeriveIden)]
enum Comment {
    Table,
    Id,
    PostId,
    UserId,
    Content,
    CreateDate,
    UpdateDate,
    IsFileAttached,
    IsVisible,
}

#[derive(DeriveIden)]
enum PostLike {
    Table,
    PostId,
    UserId,
    CreateDate,
}

#[derive(DeriveIden)]
enum Attachment {
    Table,
    Id,
    BoardId,
    PostId,
    CommentId,
    UserId,
    StoredName,
    OriginalName,
    ContentType,
    Size,
    CreateDate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Types::of(manager);
        let cascade = ForeignKeyAction::Cascade;
        let restrict = ForeignKeyAction::Restrict;

        manager
            .create_table(
                t.create_table(Board::Table)
                    .col(big_pk_auto(Board::Id))
                    .col(string_len(Board::Name, 128))
                    .col(string_len(Board::Information, 512))
                    .col(boolean(Board::IsVisible).default(false))
                    .col(boolean(Board::IsAvailable).default(false))
                    .col(string_len(Board::Access, 16))
                    .col(t.timestamp(Board::CreateDate))
                    .col(t.timestamp(Board::UpdateDate))
                    .col(t.timestamp_null(Board::DeleteDate))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("uq_board_name", Board::Table, Board::Name)).await?;

        manager
            .create_table(
                t.create_table(BoardMember::Table)
                    .col(big_integer(BoardMember::BoardId))
                    .col(big_integer(BoardMember::UserId))
                    .col(t.timestamp(BoardMember::CreateDate))
                    .primary_key(Index::create().col(BoardMember::BoardId).col(BoardMember::UserId))
                    .foreign_key(&mut foreign_key(
                        "fk_board_member_board",
                        (BoardMember::Table, BoardMember::BoardId),
                        (Board::Table, Board::Id),
                        cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_board_member_user",
                        (BoardMember::Table, BoardMember::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_board_member_user_id", BoardMember::Table, [BoardMember::UserId])).await?;

        manager
            .create_table(
                t.create_table(Post::Table)
                    .col(big_pk_auto(Post::Id))
                    .col(big_integer(Post::BoardId))
                    .col(big_integer(Post::UserId))
                    .col(string_len(Post::Title, 64))
                    .col(string_len(Post::Content, 1024))
                    .col(t.timestamp(Post::CreateDate))
                    .col(t.timestamp(Post::UpdateDate))
                    .col(big_integer(Post::NumberOfView).default(0))
                    .col(big_integer(Post::NumberOfComment).default(0))
                    .col(big_integer(Post::NumberOfLike).default(0))
                    .col(boolean(Post::IsFileAttached).default(false))
                    .col(boolean(Post::IsVisible).default(true))
                    .foreign_key(&mut foreign_key(
                        "fk_post_board",
                        (Post::Table, Post::BoardId),
                        (Board::Table, Board::Id),
                        restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_post_user",
                        (Post::Table, Post::UserId),
                        (Users::Table, Users::Id),
                        restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_post_board_id_id", vec![Post::BoardId, Post::Id]),
            ("idx_post_board_id_number_of_like_id", vec![Post::BoardId, Post::NumberOfLike, Post::Id]),
            ("idx_post_board_id_number_of_view_id", vec![Post::BoardId, Post::NumberOfView, Post::Id]),
            ("idx_post_user_id", vec![Post::UserId]),
        ] {
            manager.create_index(index(name, Post::Table, cols)).await?;
        }

        manager
            .create_table(
                t.create_table(Comment::Table)
                    .col(big_pk_auto(Comment::Id))
                    .col(big_integer(Comment::PostId))
                    .col(big_integer(Comment::UserId))
                    .col(string_len(Comment::Content, 256))
                    .col(t.timestamp(Comment::CreateDate))
                    .col(t.timestamp(Comment::UpdateDate))
                    .col(boolean(Comment::IsFileAttached).default(false))
                    .col(boolean(Comment::IsVisible).default(true))
                    .foreign_key(&mut foreign_key(
                        "fk_comment_post",
                        (Comment::Table, Comment::PostId),
                        (Post::Table, Post::Id),
                        restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_comment_user",
                        (Comment::Table, Comment::UserId),
                        (Users::Table, Users::Id),
                        restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_comment_post_id_id", Comment::Table, [Comment::PostId, Comment::Id])).await?;
        manager.create_index(index("idx_comment_user_id", Comment::Table, [Comment::UserId])).await?;

        manager
            .create_table(
                t.create_table(PostLike::Table)
                    .col(big_integer(PostLike::PostId))
                    .col(big_integer(PostLike::UserId))
                    .col(t.timestamp(PostLike::CreateDate))
                    .primary_key(Index::create().col(PostLike::PostId).col(PostLike::UserId))
                    .foreign_key(&mut foreign_key(
                        "fk_post_like_post",
                        (PostLike::Table, PostLike::PostId),
                        (Post::Table, Post::Id),
                        cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_post_like_user",
                        (PostLike::Table, PostLike::UserId),
                        (Users::Table, Users::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_post_like_user_id", PostLike::Table, [PostLike::UserId])).await?;

        manager
            .create_table(
                t.create_table(Attachment::Table)
                    .col(big_pk_auto(Attachment::Id))
                    .col(big_integer(Attachment::BoardId))
                    .col(big_integer(Attachment::PostId))
                    .col(big_integer_null(Attachment::CommentId))
                    .col(big_integer(Attachment::UserId))
                    .col(string_len(Attachment::StoredName, 64))
                    .col(string_len(Attachment::OriginalName, 255))
                    .col(string_len(Attachment::ContentType, 128))
                    .col(big_integer(Attachment::Size))
                    .col(t.timestamp(Attachment::CreateDate))
                    .foreign_key(&mut foreign_key(
                        "fk_attachment_board",
                        (Attachment::Table, Attachment::BoardId),
                        (Board::Table, Board::Id),
                        restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_attachment_post",
                        (Attachment::Table, Attachment::PostId),
                        (Post::Table, Post::Id),
                        cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_attachment_comment",
                        (Attachment::Table, Attachment::CommentId),
                        (Comment::Table, Comment::Id),
                        cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_attachment_user",
                        (Attachment::Table, Attachment::UserId),
                        (Users::Table, Users::Id),
                        restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("uq_attachment_stored_name", Attachment::Table, Attachment::StoredName)).await?;
        for (name, col) in [
            ("idx_attachment_post_id", Attachment::PostId),
            ("idx_attachment_comment_id", Attachment::CommentId),
            ("idx_attachment_user_id", Attachment::UserId),
            ("idx_attachment_board_id", Attachment::BoardId),
        ] {
            manager.create_index(index(name, Attachment::Table, [col])).await?;
        }

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                Attachment::Table.into_iden(),
                PostLike::Table.into_iden(),
                Comment::Table.into_iden(),
                Post::Table.into_iden(),
                BoardMember::Table.into_iden(),
                Board::Table.into_iden(),
            ],
        )
        .await
    }
}
