//! `users`: one account per row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The name as the user spelled it.
    pub name: String,
    /// `name` lower-cased; carries the unique index.
    #[sea_orm(unique)]
    pub name_key: String,
    /// Stored lower-case.
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub join_date: DateTimeUtc,
    pub update_date: DateTimeUtc,
    pub is_superuser: bool,
    pub is_banned: bool,
    pub is_active: bool,
    pub banned_date: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::refresh_token_family::Entity")]
    RefreshTokenFamily,
    #[sea_orm(has_many = "super::refresh_token::Entity")]
    RefreshToken,
    #[sea_orm(has_many = "super::access_token_blacklist::Entity")]
    AccessTokenBlacklist,
    #[sea_orm(has_many = "super::password_reset_token::Entity")]
    PasswordResetToken,
    #[sea_orm(has_many = "super::board_member::Entity")]
    BoardMember,
    #[sea_orm(has_many = "super::post::Entity")]
    Post,
    #[sea_orm(has_many = "super::comment::Entity")]
    Comment,
    #[sea_orm(has_many = "super::post_like::Entity")]
    PostLike,
    #[sea_orm(has_many = "super::attachment::Entity")]
    Attachment,
    #[sea_orm(has_many = "super::chat_session_member::Entity")]
    ChatSessionMember,
    #[sea_orm(has_many = "super::chat_message::Entity")]
    ChatMessage,
    #[sea_orm(has_many = "super::chat_ws_ticket::Entity")]
    ChatWsTicket,
    #[sea_orm(has_many = "super::inference_job::Entity")]
    InferenceJob,
}

impl Related<super::refresh_token_family::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefreshTokenFamily.def()
    }
}

impl Related<super::refresh_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefreshToken.def()
    }
}

impl Related<super::access_token_blacklist::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AccessTokenBlacklist.def()
    }
}

impl Related<super::password_reset_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PasswordResetToken.def()
    }
}

impl Related<super::board_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BoardMember.def()
    }
}

/// The boards a user is a member of, through `board_member`.
impl Related<super::board::Entity> for Entity {
    fn to() -> RelationDef {
        super::board_member::Relation::Board.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::board_member::Relation::User.def().rev())
    }
}

impl Related<super::post::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Post.def()
    }
}

impl Related<super::comment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Comment.def()
    }
}

impl Related<super::post_like::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PostLike.def()
    }
}

impl Related<super::attachment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attachment.def()
    }
}

impl Related<super::chat_session_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChatSessionMember.def()
    }
}

/// The chat sessions a user is a member of, through `chat_session_member`.
impl Related<super::chat_session::Entity> for Entity {
    fn to() -> RelationDef {
        super::chat_session_member::Relation::ChatSession.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::chat_session_member::Relation::User.def().rev())
    }
}

impl Related<super::chat_message::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChatMessage.def()
    }
}

impl Related<super::chat_ws_ticket::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChatWsTicket.def()
    }
}

impl Related<super::inference_job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InferenceJob.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
