//! `ai_dataset`: a CSV dataset that models train on.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_dataset")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// JSON array of the column names.
    #[sea_orm(column_type = "Text")]
    pub columns: String,
    pub row_count: i64,
    /// The CSV bytes.
    #[sea_orm(column_type = "Blob")]
    pub content: Vec<u8>,
    /// Null for the dataset shipped with Agora.
    pub user_id: Option<i64>,
    pub create_date: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::UserId", to = "super::users::Column::Id")]
    User,
    #[sea_orm(has_many = "super::ai_model::Entity")]
    AiModel,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::ai_model::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AiModel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
