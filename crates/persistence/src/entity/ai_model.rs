//! `ai_model`: a model, trained asynchronously from a dataset.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_model")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub description: String,
    pub algorithm: String,
    pub dataset_id: i64,
    /// The column the model predicts.
    pub target: String,
    /// JSON array of the input column names.
    #[sea_orm(column_type = "Text")]
    pub features: String,
    /// `queued`, `training`, `ready` or `failed`.
    pub status: String,
    pub error: Option<String>,
    /// JSON object of training metrics.
    #[sea_orm(column_type = "Text")]
    pub metrics: Option<String>,
    pub is_visible: bool,
    pub is_available: bool,
    pub task_id: Option<String>,
    /// The creator.
    pub user_id: Option<i64>,
    pub create_date: DateTimeUtc,
    pub update_date: DateTimeUtc,
    pub finish_date: Option<DateTimeUtc>,
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::ai_dataset::Entity",
        from = "Column::DatasetId",
        to = "super::ai_dataset::Column::Id"
    )]
    Dataset,
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::UserId", to = "super::users::Column::Id")]
    User,
    #[sea_orm(has_one = "super::ai_model_artifact::Entity")]
    Artifact,
    #[sea_orm(has_many = "super::inference_job::Entity")]
    InferenceJob,
}

impl Related<super::ai_dataset::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Dataset.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::ai_model_artifact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Artifact.def()
    }
}

impl Related<super::inference_job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InferenceJob.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
