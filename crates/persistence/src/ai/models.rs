//! Models in `ai_model`. Every change of a training is one conditional UPDATE guarded by
//! the domain's state machine and the training's task id, so that concurrent or repeated
//! deliveries of a job can never move a model backwards.

use ai::learning::{Algorithm, Metrics};
use ai::ports::{ModelFilter, ModelRepository, ModelWriteError, PendingCounts, TrainingChange};
use ai::{Model, ModelChanges, ModelId, ModelStatus, NewModel, TaskId, TrainingEvent};
use async_trait::async_trait;
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{corrupt, to_json};
use crate::entity::ai_model;
use crate::error::{db_err, is_unique_violation};

#[derive(Debug, Clone)]
pub struct SqlModelRepository {
    db: DatabaseConnection,
}

impl SqlModelRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlModelRepository { db }
    }
}

pub(super) fn statuses(statuses: Vec<ModelStatus>) -> Vec<&'static str> {
    statuses.into_iter().map(ModelStatus::as_str).collect()
}

pub(super) fn to_domain(row: ai_model::Model) -> Result<Model, InfraError> {
    let id = row.id;
    let algorithm = row.algorithm.parse::<Algorithm>().map_err(|e| corrupt("ai_model", id, "algorithm", e))?;
    let status = ModelStatus::parse(&row.status)
        .ok_or_else(|| corrupt("ai_model", id, "status", format!("unknown status {:?}", row.status)))?;
    let features = serde_json::from_str(&row.features).map_err(|e| corrupt("ai_model", id, "features", e))?;
    let metrics = row
        .metrics
        .as_deref()
        .map(serde_json::from_str::<Metrics>)
        .transpose()
        .map_err(|e| corrupt("ai_model", id, "metrics", e))?;
    Ok(Model {
        id,
        name: row.name,
        description: row.description,
        algorithm,
        dataset_id: row.dataset_id,
        target: row.target,
        features,
        status,
        error: row.error,
        metrics,
        is_visible: row.is_visible,
        is_available: row.is_available,
        task_id: row.task_id.map(TaskId::new),
        user_id: row.user_id,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        create_date: row.create_date,
        update_date: row.update_date,
        finish_date: row.finish_date,
    })
}

#[async_trait]
impl ModelRepository for SqlModelRepository {
    async fn create(&self, model: NewModel) -> Result<Model, ModelWriteError> {
        let row = ai_model::ActiveModel {
            name: Set(model.name.as_str().to_owned()),
            description: Set(model.description.as_str().to_owned()),
            algorithm: Set(model.algorithm.as_str().to_owned()),
            dataset_id: Set(model.dataset_id),
            target: Set(model.target),
            features: Set(to_json(&model.features)?),
            status: Set(ModelStatus::Queued.as_str().to_owned()),
            error: Set(None),
            metrics: Set(None),
            is_visible: Set(model.is_visible),
            is_available: Set(false),
            task_id: Set(Some(model.task_id.as_str().to_owned())),
            user_id: Set(Some(model.user_id)),
            create_date: Set(model.create_date),
            update_date: Set(model.create_date),
            finish_date: Set(None),
            attempts: Set(0),
            ..Default::default()
        };
        match row.insert(&self.db).await {
            Ok(saved) => Ok(to_domain(saved)?),
            Err(err) if is_unique_violation(&err) => Err(ModelWriteError::NameTaken),
            Err(err) => Err(ModelWriteError::Infra(db_err(err))),
        }
    }

    async fn find(&self, id: ModelId) -> Result<Option<Model>, InfraError> {
        ai_model::Entity::find_by_id(id).one(&self.db).await.map_err(db_err)?.map(to_domain).transpose()
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Model>, InfraError> {
        let row = ai_model::Entity::find().filter(ai_model::Column::Name.eq(name)).one(&self.db).await;
        row.map_err(db_err)?.map(to_domain).transpose()
    }

    async fn list(&self, filter: ModelFilter, page: PageRequest) -> Result<Page<Model>, InfraError> {
        let mut query = ai_model::Entity::find().order_by_asc(ai_model::Column::Id).limit(page.fetch_limit());
        if filter.usable_only {
            query = query
                .filter(ai_model::Column::IsVisible.eq(true))
                .filter(ai_model::Column::IsAvailable.eq(true))
                .filter(ai_model::Column::Status.eq(ModelStatus::Ready.as_str()));
        }
        if let Some(after) = page.after {
            query = query.filter(ai_model::Column::Id.gt(after.id));
        }
        let rows = query.all(&self.db).await.map_err(db_err)?;
        let models = rows.into_iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(models, &page, |m| Cursor::by_id(m.id)))
    }

    async fn update(&self, id: ModelId, changes: ModelChanges, at: Timestamp) -> Result<Option<Model>, InfraError> {
        let mut row = ai_model::ActiveModel { update_date: Set(at), ..Default::default() };
        if let Some(description) = changes.description {
            row.description = Set(description.as_str().to_owned());
        }
        if let Some(visible) = changes.is_visible {
            row.is_visible = Set(visible);
        }
        if let Some(available) = changes.is_available {
            row.is_available = Set(available);
        }
        let result = ai_model::Entity::update_many()
            .set(row)
            .filter(ai_model::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        self.find(id).await
    }

    async fn delete(&self, id: ModelId) -> Result<bool, InfraError> {
        let result = ai_model::Entity::delete_by_id(id).exec(&self.db).await.map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn transition(
        &self,
        id: ModelId,
        task: &TaskId,
        change: TrainingChange,
        at: Timestamp,
    ) -> Result<bool, InfraError> {
        let from = statuses(ModelStatus::sources(change.event()));
        let mut update = ai_model::Entity::update_many();
        update = match change {
            TrainingChange::Start => update
                .set(ai_model::ActiveModel {
                    status: Set(ModelStatus::Training.as_str().to_owned()),
                    update_date: Set(at),
                    ..Default::default()
                })
                .col_expr(ai_model::Column::Attempts, Expr::col(ai_model::Column::Attempts).add(1)),
            TrainingChange::Fail(error) => update.set(ai_model::ActiveModel {
                status: Set(ModelStatus::Failed.as_str().to_owned()),
                error: Set(Some(error)),
                finish_date: Set(Some(at)),
                update_date: Set(at),
                ..Default::default()
            }),
            TrainingChange::Retry(error) => update.set(ai_model::ActiveModel {
                status: Set(ModelStatus::Queued.as_str().to_owned()),
                error: Set(Some(error)),
                update_date: Set(at),
                ..Default::default()
            }),
        };
        let result = update
            .filter(ai_model::Column::Id.eq(id))
            .filter(ai_model::Column::TaskId.eq(task.as_str()))
            .filter(ai_model::Column::Status.is_in(from))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn requeue(&self, id: ModelId, task: &TaskId, at: Timestamp) -> Result<bool, InfraError> {
        let result = ai_model::Entity::update_many()
            .set(ai_model::ActiveModel {
                status: Set(ModelStatus::Queued.as_str().to_owned()),
                task_id: Set(Some(task.as_str().to_owned())),
                attempts: Set(0),
                error: Set(None),
                finish_date: Set(None),
                update_date: Set(at),
                ..Default::default()
            })
            .filter(ai_model::Column::Id.eq(id))
            .filter(ai_model::Column::Status.is_in(statuses(ModelStatus::sources(TrainingEvent::Requeue))))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn restore(&self, previous: &Model, task: &TaskId, at: Timestamp) -> Result<(), InfraError> {
        ai_model::Entity::update_many()
            .set(ai_model::ActiveModel {
                status: Set(previous.status.as_str().to_owned()),
                task_id: Set(previous.task_id.as_ref().map(|t| t.as_str().to_owned())),
                attempts: Set(i32::try_from(previous.attempts).unwrap_or(i32::MAX)),
                error: Set(previous.error.clone()),
                finish_date: Set(previous.finish_date),
                update_date: Set(at),
                ..Default::default()
            })
            .filter(ai_model::Column::Id.eq(previous.id))
            .filter(ai_model::Column::TaskId.eq(task.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn pending(&self) -> Result<Vec<(ModelId, TaskId)>, InfraError> {
        let rows: Vec<(i64, Option<String>)> = ai_model::Entity::find()
            .select_only()
            .columns([ai_model::Column::Id, ai_model::Column::TaskId])
            .filter(ai_model::Column::Status.is_in([ModelStatus::Queued.as_str(), ModelStatus::Training.as_str()]))
            .order_by_asc(ai_model::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().filter_map(|(id, task)| Some((id, TaskId::new(task?)))).collect())
    }

    async fn count_pending(&self) -> Result<PendingCounts, InfraError> {
        let count = |status: ModelStatus| {
            ai_model::Entity::find().filter(ai_model::Column::Status.eq(status.as_str())).count(&self.db)
        };
        let queued = count(ModelStatus::Queued).await.map_err(db_err)?;
        let running = count(ModelStatus::Training).await.map_err(db_err)?;
        Ok(PendingCounts { queued, running })
    }
}
