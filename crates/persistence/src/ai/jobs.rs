//! Inference jobs in `inference_job`. Status changes are conditional UPDATEs guarded by
//! the domain's state machine: a result is written once however often a job runs. Lists
//! leave the inputs out; they can be a thousand rows long.

use ai::ports::{InferenceJobRepository, JobChange, PendingCounts};
use ai::{Description, InferenceJob, JobId, JobResult, JobStatus, NewInferenceJob};
use async_trait::async_trait;
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};

use super::{corrupt, to_json};
use crate::entity::inference_job;
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlInferenceJobRepository {
    db: DatabaseConnection,
}

impl SqlInferenceJobRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlInferenceJobRepository { db }
    }
}

/// Every column but the inputs.
#[derive(Debug, FromQueryResult)]
struct JobRow {
    id: i64,
    user_id: i64,
    model_id: i64,
    description: String,
    status: String,
    result: Option<String>,
    error: Option<String>,
    attempts: i32,
    create_date: Timestamp,
    update_date: Timestamp,
    finish_date: Option<Timestamp>,
}

fn without_inputs() -> Select<inference_job::Entity> {
    use inference_job::Column;
    inference_job::Entity::find().select_only().columns([
        Column::Id,
        Column::UserId,
        Column::ModelId,
        Column::Description,
        Column::Status,
        Column::Result,
        Column::Error,
        Column::Attempts,
        Column::CreateDate,
        Column::UpdateDate,
        Column::FinishDate,
    ])
}

fn to_domain(row: JobRow) -> Result<InferenceJob, InfraError> {
    let id = row.id;
    let status = JobStatus::parse(&row.status)
        .ok_or_else(|| corrupt("inference_job", id, "status", format!("unknown status {:?}", row.status)))?;
    let result = row
        .result
        .as_deref()
        .map(serde_json::from_str::<JobResult>)
        .transpose()
        .map_err(|e| corrupt("inference_job", id, "result", e))?;
    Ok(InferenceJob {
        id,
        user_id: row.user_id,
        model_id: row.model_id,
        description: row.description,
        status,
        result,
        error: row.error,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        create_date: row.create_date,
        update_date: row.update_date,
        finish_date: row.finish_date,
    })
}

fn statuses(statuses: Vec<JobStatus>) -> Vec<&'static str> {
    statuses.into_iter().map(JobStatus::as_str).collect()
}

#[async_trait]
impl InferenceJobRepository for SqlInferenceJobRepository {
    async fn create(&self, job: NewInferenceJob) -> Result<InferenceJob, InfraError> {
        let saved = inference_job::ActiveModel {
            user_id: Set(job.user_id),
            model_id: Set(job.model_id),
            description: Set(job.description.as_str().to_owned()),
            status: Set(JobStatus::Queued.as_str().to_owned()),
            inputs: Set(to_json(&job.inputs.rows())?),
            result: Set(None),
            error: Set(None),
            attempts: Set(0),
            task_id: Set(None),
            create_date: Set(job.create_date),
            update_date: Set(job.create_date),
            finish_date: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(InferenceJob {
            id: saved.id,
            user_id: saved.user_id,
            model_id: saved.model_id,
            description: saved.description,
            status: JobStatus::Queued,
            result: None,
            error: None,
            attempts: 0,
            create_date: saved.create_date,
            update_date: saved.update_date,
            finish_date: None,
        })
    }

    async fn find(&self, id: JobId) -> Result<Option<InferenceJob>, InfraError> {
        let row = without_inputs()
            .filter(inference_job::Column::Id.eq(id))
            .into_model::<JobRow>()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        row.map(to_domain).transpose()
    }

    async fn inputs(&self, id: JobId) -> Result<Option<Vec<Vec<f64>>>, InfraError> {
        let inputs: Option<String> = inference_job::Entity::find_by_id(id)
            .select_only()
            .column(inference_job::Column::Inputs)
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        inputs
            .map(|json| serde_json::from_str(&json).map_err(|e| corrupt("inference_job", id, "inputs", e)))
            .transpose()
    }

    async fn list(&self, user: Option<UserId>, page: PageRequest) -> Result<Page<InferenceJob>, InfraError> {
        let mut query = without_inputs().order_by_desc(inference_job::Column::Id).limit(page.fetch_limit());
        if let Some(user) = user {
            query = query.filter(inference_job::Column::UserId.eq(user));
        }
        if let Some(after) = page.after {
            query = query.filter(inference_job::Column::Id.lt(after.id));
        }
        let rows = query.into_model::<JobRow>().all(&self.db).await.map_err(db_err)?;
        let jobs = rows.into_iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(jobs, &page, |j| Cursor::by_id(j.id)))
    }

    async fn set_description(
        &self,
        id: JobId,
        description: Description,
        at: Timestamp,
    ) -> Result<Option<InferenceJob>, InfraError> {
        let result = inference_job::Entity::update_many()
            .set(inference_job::ActiveModel {
                description: Set(description.as_str().to_owned()),
                update_date: Set(at),
                ..Default::default()
            })
            .filter(inference_job::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        self.find(id).await
    }

    async fn delete(&self, id: JobId) -> Result<bool, InfraError> {
        let result = inference_job::Entity::delete_by_id(id).exec(&self.db).await.map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn transition(&self, id: JobId, change: JobChange, at: Timestamp) -> Result<bool, InfraError> {
        let from = statuses(JobStatus::sources(change.event()));
        let mut update = inference_job::Entity::update_many();
        update = match change {
            JobChange::Start => update
                .set(inference_job::ActiveModel {
                    status: Set(JobStatus::Running.as_str().to_owned()),
                    update_date: Set(at),
                    ..Default::default()
                })
                .col_expr(inference_job::Column::Attempts, Expr::col(inference_job::Column::Attempts).add(1)),
            JobChange::Succeed(result) => update.set(inference_job::ActiveModel {
                status: Set(JobStatus::Succeeded.as_str().to_owned()),
                result: Set(Some(to_json(&result)?)),
                error: Set(None),
                finish_date: Set(Some(at)),
                update_date: Set(at),
                ..Default::default()
            }),
            JobChange::Fail(error) => update.set(inference_job::ActiveModel {
                status: Set(JobStatus::Failed.as_str().to_owned()),
                error: Set(Some(error)),
                finish_date: Set(Some(at)),
                update_date: Set(at),
                ..Default::default()
            }),
            JobChange::Retry(error) => update.set(inference_job::ActiveModel {
                status: Set(JobStatus::Queued.as_str().to_owned()),
                error: Set(Some(error)),
                update_date: Set(at),
                ..Default::default()
            }),
        };
        let result = update
            .filter(inference_job::Column::Id.eq(id))
            .filter(inference_job::Column::Status.is_in(from))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn pending(&self) -> Result<Vec<JobId>, InfraError> {
        inference_job::Entity::find()
            .select_only()
            .column(inference_job::Column::Id)
            .filter(inference_job::Column::Status.is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]))
            .order_by_asc(inference_job::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)
    }

    async fn count_pending(&self) -> Result<PendingCounts, InfraError> {
        let count = |status: JobStatus| {
            inference_job::Entity::find().filter(inference_job::Column::Status.eq(status.as_str())).count(&self.db)
        };
        let queued = count(JobStatus::Queued).await.map_err(db_err)?;
        let running = count(JobStatus::Running).await.map_err(db_err)?;
        Ok(PendingCounts { queued, running })
    }
}
