//! Trained models in `ai_model_artifact`, saved in the same transaction that marks their
//! model ready, so that a ready model always has the artifact its version names.

use ai::learning::{ModelArtifact, TrainedModel};
use ai::ports::{ModelStore, StoredArtifact};
use ai::{ArtifactVersion, ModelId, ModelStatus, TaskId, TrainingEvent};
use async_trait::async_trait;
use kernel::{InfraError, Timestamp};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::models::statuses;
use super::to_json;
use crate::entity::{ai_model, ai_model_artifact};
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlModelStore {
    db: DatabaseConnection,
}

impl SqlModelStore {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlModelStore { db }
    }
}

#[async_trait]
impl ModelStore for SqlModelStore {
    async fn save(
        &self,
        model: ModelId,
        task: &TaskId,
        trained: TrainedModel,
        at: Timestamp,
    ) -> Result<Option<ArtifactVersion>, InfraError> {
        let metrics = to_json(&trained.metrics)?;
        let txn = self.db.begin().await.map_err(db_err)?;
        // The guarded UPDATE comes first: it takes the write lock at once (SQLite) and
        // decides whether this training still counts.
        let marked = ai_model::Entity::update_many()
            .set(ai_model::ActiveModel {
                status: Set(ModelStatus::Ready.as_str().to_owned()),
                metrics: Set(Some(metrics)),
                error: Set(None),
                is_available: Set(true),
                finish_date: Set(Some(at)),
                update_date: Set(at),
                ..Default::default()
            })
            .filter(ai_model::Column::Id.eq(model))
            .filter(ai_model::Column::TaskId.eq(task.as_str()))
            .filter(ai_model::Column::Status.is_in(statuses(ModelStatus::sources(TrainingEvent::Succeed))))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if marked.rows_affected != 1 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(None);
        }
        let ModelArtifact { format, bytes } = trained.artifact;
        let replaced = ai_model_artifact::Entity::update_many()
            .set(ai_model_artifact::ActiveModel {
                format: Set(format.clone()),
                content: Set(bytes.clone()),
                create_date: Set(at),
                ..Default::default()
            })
            .filter(ai_model_artifact::Column::ModelId.eq(model))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if replaced.rows_affected == 0 {
            ai_model_artifact::ActiveModel {
                model_id: Set(model),
                format: Set(format),
                content: Set(bytes),
                create_date: Set(at),
            }
            .insert(&txn)
            .await
            .map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(Some(ArtifactVersion(at)))
    }

    async fn load(&self, model: ModelId) -> Result<Option<StoredArtifact>, InfraError> {
        let row = ai_model_artifact::Entity::find_by_id(model).one(&self.db).await.map_err(db_err)?;
        Ok(row.map(|row| StoredArtifact {
            version: ArtifactVersion(row.create_date),
            artifact: ModelArtifact { format: row.format, bytes: row.content },
        }))
    }
}
