//! `ai_model_artifact`: the serialised trained model, one per ready model.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_model_artifact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub model_id: i64,
    pub format: String,
    #[sea_orm(column_type = "Blob")]
    pub content: Vec<u8>,
    pub create_date: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::ai_model::Entity",
        from = "Column::ModelId",
        to = "super::ai_model::Column::Id",
        on_delete = "Cascade"
    )]
    AiModel,
}

impl Related<super::ai_model::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AiModel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
