//! Buffered post views written as additive updates.

use async_trait::async_trait;
use board::{PostId, ViewSink};
use kernel::InfraError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};

use crate::entity::post;
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlViewSink {
    db: DatabaseConnection,
}

impl SqlViewSink {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlViewSink { db }
    }
}

#[async_trait]
impl ViewSink for SqlViewSink {
    async fn add_views(&self, counts: &[(PostId, u64)]) -> Result<(), InfraError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        for &(id, views) in counts {
            let views = i64::try_from(views).map_err(InfraError::internal)?;
            // Additive, never a value computed here: other instances add their own views to
            // the same rows, and each addition is applied exactly once.
            post::Entity::update_many()
                .col_expr(post::Column::NumberOfView, Expr::col(post::Column::NumberOfView).add(views))
                .filter(post::Column::Id.eq(id))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)
    }
}
