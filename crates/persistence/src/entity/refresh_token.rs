//! `refresh_token`: one issued refresh token, known by its `jti` only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_token")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub family_id: i64,
    pub user_id: i64,
    #[sea_orm(unique)]
    pub jti: String,
    pub create_date: DateTimeUtc,
    pub expire_date: DateTimeUtc,
    /// Set when the token is exchanged; a second use reveals theft.
    pub spent_date: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::refresh_token_family::Entity",
        from = "Column::FamilyId",
        to = "super::refresh_token_family::Column::Id",
        on_delete = "Cascade"
    )]
    Family,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::refresh_token_family::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Family.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
