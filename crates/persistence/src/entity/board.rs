//! `board`: a discussion board.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "board")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub information: String,
    pub is_visible: bool,
    pub is_available: bool,
    /// `public` or `restricted` (members only, see `board_member`).
    pub access: String,
    pub create_date: DateTimeUtc,
    pub update_date: DateTimeUtc,
    pub delete_date: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::board_member::Entity")]
    BoardMember,
    #[sea_orm(has_many = "super::post::Entity")]
    Post,
    #[sea_orm(has_many = "super::attachment::Entity")]
    Attachment,
}

impl Related<super::board_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BoardMember.def()
    }
}

impl Related<super::post::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Post.def()
    }
}

impl Related<super::attachment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attachment.def()
    }
}

/// The members of a board, through `board_member`.
impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        super::board_member::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::board_member::Relation::Board.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
