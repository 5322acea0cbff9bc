//! `chat_session`: a conversation between a user and the admins.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub information: String,
    pub creator_id: i64,
    /// The admin who answers, if one has taken the session.
    pub assignee_id: Option<i64>,
    pub is_closed: bool,
    pub is_visible: bool,
    pub create_date: DateTimeUtc,
    pub update_date: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::CreatorId", to = "super::users::Column::Id")]
    Creator,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::AssigneeId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    Assignee,
    #[sea_orm(has_many = "super::chat_session_member::Entity")]
    ChatSessionMember,
    #[sea_orm(has_many = "super::chat_message::Entity")]
    ChatMessage,
}

impl Related<super::chat_session_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChatSessionMember.def()
    }
}

impl Related<super::chat_message::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChatMessage.def()
    }
}

/// The members of a session, through `chat_session_member`; the creator and the assignee are reached with `Relation::Creator` and `Relation::Assignee`.
impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        super::chat_session_member::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::chat_session_member::Relation::ChatSession.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
