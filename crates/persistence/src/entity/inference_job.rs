//! `inference_job`: one asynchronous prediction with a model.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inference_job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub model_id: i64,
    pub description: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// JSON document of the inputs.
    #[sea_orm(column_type = "Text")]
    pub inputs: String,
    /// JSON document of the result.
    #[sea_orm(column_type = "Text")]
    pub result: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub task_id: Option<String>,
    pub create_date: DateTimeUtc,
    pub update_date: DateTimeUtc,
    pub finish_date: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::UserId", to = "super::users::Column::Id")]
    User,
    #[sea_orm(
        belongs_to = "super::ai_model::Entity",
        from = "Column::ModelId",
        to = "super::ai_model::Column::Id",
        on_delete = "Cascade"
    )]
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
