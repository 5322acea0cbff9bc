//! The audit trail in `admin_audit`.

use async_trait::async_trait;
use kernel::{AuditEntry, AuditLog, AuditRecord, Cursor, InfraError, Page, PageRequest};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::admin_audit;
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlAuditLog {
    db: DatabaseConnection,
}

impl SqlAuditLog {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlAuditLog { db }
    }
}

#[async_trait]
impl AuditLog for SqlAuditLog {
    async fn record(&self, entry: AuditEntry) -> Result<(), InfraError> {
        admin_audit::ActiveModel {
            actor_id: Set(entry.actor_id),
            action: Set(entry.action),
            target_type: Set(entry.target_type),
            target_id: Set(entry.target_id),
            detail: Set(entry.detail.to_string()),
            create_date: Set(entry.create_date),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn list(&self, page: PageRequest) -> Result<Page<AuditRecord>, InfraError> {
        let mut query = admin_audit::Entity::find().order_by_desc(admin_audit::Column::Id).limit(page.fetch_limit());
        if let Some(after) = page.after {
            query = query.filter(admin_audit::Column::Id.lt(after.id));
        }
        let rows = query.all(&self.db).await.map_err(db_err)?;
        let records = rows
            .into_iter()
            .map(|m| AuditRecord {
                id: m.id,
                entry: AuditEntry {
                    actor_id: m.actor_id,
                    action: m.action,
                    target_type: m.target_type,
                    target_id: m.target_id,
                    detail: serde_json::from_str(&m.detail).unwrap_or(serde_json::Value::String(m.detail)),
                    create_date: m.create_date,
                },
            })
            .collect();
        Ok(Page::from_rows(records, &page, |r| Cursor::by_id(r.id)))
    }
}
