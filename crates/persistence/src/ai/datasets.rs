//! Datasets in `ai_dataset`; the CSV content is read only when a training needs it.

use ai::ports::{DatasetRepository, DatasetWriteError};
use ai::{Dataset, DatasetId, NewDataset};
use async_trait::async_trait;
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select, Set,
};

use super::{corrupt, to_json};
use crate::entity::ai_dataset;
use crate::error::{db_err, is_unique_violation};

#[derive(Debug, Clone)]
pub struct SqlDatasetRepository {
    db: DatabaseConnection,
}

impl SqlDatasetRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlDatasetRepository { db }
    }
}

/// Every column but the content.
#[derive(Debug, FromQueryResult)]
struct DatasetRow {
    id: i64,
    name: String,
    columns: String,
    row_count: i64,
    user_id: Option<i64>,
    create_date: Timestamp,
}

fn without_content() -> Select<ai_dataset::Entity> {
    use ai_dataset::Column;
    ai_dataset::Entity::find().select_only().columns([
        Column::Id,
        Column::Name,
        Column::Columns,
        Column::RowCount,
        Column::UserId,
        Column::CreateDate,
    ])
}

fn to_domain(row: DatasetRow) -> Result<Dataset, InfraError> {
    let columns = serde_json::from_str(&row.columns).map_err(|e| corrupt("ai_dataset", row.id, "columns", e))?;
    Ok(Dataset {
        id: row.id,
        name: row.name,
        columns,
        rows: u64::try_from(row.row_count).unwrap_or(0),
        user_id: row.user_id,
        create_date: row.create_date,
    })
}

impl SqlDatasetRepository {
    async fn find_one(&self, query: Select<ai_dataset::Entity>) -> Result<Option<Dataset>, InfraError> {
        let row = query.into_model::<DatasetRow>().one(&self.db).await.map_err(db_err)?;
        row.map(to_domain).transpose()
    }
}

#[async_trait]
impl DatasetRepository for SqlDatasetRepository {
    async fn create(&self, dataset: NewDataset) -> Result<Dataset, DatasetWriteError> {
        let model = ai_dataset::ActiveModel {
            name: Set(dataset.name.as_str().to_owned()),
            columns: Set(to_json(&dataset.columns)?),
            row_count: Set(i64::try_from(dataset.rows).unwrap_or(i64::MAX)),
            content: Set(dataset.content),
            user_id: Set(dataset.user_id),
            create_date: Set(dataset.create_date),
            ..Default::default()
        };
        match model.insert(&self.db).await {
            Ok(saved) => Ok(Dataset {
                id: saved.id,
                name: saved.name,
                columns: dataset.columns,
                rows: dataset.rows,
                user_id: saved.user_id,
                create_date: saved.create_date,
            }),
            Err(err) if is_unique_violation(&err) => Err(DatasetWriteError::NameTaken),
            Err(err) => Err(DatasetWriteError::Infra(db_err(err))),
        }
    }

    async fn find(&self, id: DatasetId) -> Result<Option<Dataset>, InfraError> {
        self.find_one(without_content().filter(ai_dataset::Column::Id.eq(id))).await
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Dataset>, InfraError> {
        self.find_one(without_content().filter(ai_dataset::Column::Name.eq(name))).await
    }

    async fn content(&self, id: DatasetId) -> Result<Option<Vec<u8>>, InfraError> {
        ai_dataset::Entity::find_by_id(id)
            .select_only()
            .column(ai_dataset::Column::Content)
            .into_tuple::<Vec<u8>>()
            .one(&self.db)
            .await
            .map_err(db_err)
    }

    async fn list(&self, page: PageRequest) -> Result<Page<Dataset>, InfraError> {
        let mut query = without_content().order_by_asc(ai_dataset::Column::Id).limit(page.fetch_limit());
        if let Some(after) = page.after {
            query = query.filter(ai_dataset::Column::Id.gt(after.id));
        }
        let rows = query.into_model::<DatasetRow>().all(&self.db).await.map_err(db_err)?;
        let datasets = rows.into_iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(datasets, &page, |d| Cursor::by_id(d.id)))
    }
}
