//! Password-reset tokens, stored by their SHA-256 digest.

use async_trait::async_trait;
use identity::ports::{ResetRecord, ResetTokenRepository};
use kernel::{InfraError, Timestamp, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::password_reset_token as reset;
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlResetTokenRepository {
    db: DatabaseConnection,
}

impl SqlResetTokenRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlResetTokenRepository { db }
    }
}

#[async_trait]
impl ResetTokenRepository for SqlResetTokenRepository {
    async fn store(
        &self,
        token_hash: &str,
        user_id: UserId,
        expire_date: Timestamp,
        at: Timestamp,
    ) -> Result<(), InfraError> {
        reset::ActiveModel {
            user_id: Set(user_id),
            token_hash: Set(token_hash.to_owned()),
            create_date: Set(at),
            expire_date: Set(expire_date),
            used_date: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn find(&self, token_hash: &str) -> Result<Option<ResetRecord>, InfraError> {
        let model = reset::Entity::find()
            .filter(reset::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(model.map(|m| ResetRecord { user_id: m.user_id, expire_date: m.expire_date, used_date: m.used_date }))
    }

    async fn consume(&self, token_hash: &str, at: Timestamp) -> Result<bool, InfraError> {
        let result = reset::Entity::update_many()
            .set(reset::ActiveModel { used_date: Set(Some(at)), ..Default::default() })
            .filter(reset::Column::TokenHash.eq(token_hash))
            .filter(reset::Column::UsedDate.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn consume_all(&self, user_id: UserId, at: Timestamp) -> Result<(), InfraError> {
        reset::Entity::update_many()
            .set(reset::ActiveModel { used_date: Set(Some(at)), ..Default::default() })
            .filter(reset::Column::UserId.eq(user_id))
            .filter(reset::Column::UsedDate.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn keep_newest(&self, user_id: UserId, keep: u64, at: Timestamp) -> Result<(), InfraError> {
        // A user holds a handful of unused tokens: skip the newest here rather than with
        // OFFSET, which MySQL and SQLite accept only after a LIMIT.
        let unused: Vec<i64> = reset::Entity::find()
            .select_only()
            .column(reset::Column::Id)
            .filter(reset::Column::UserId.eq(user_id))
            .filter(reset::Column::UsedDate.is_null())
            .order_by_desc(reset::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let older: Vec<i64> = unused.into_iter().skip(usize::try_from(keep).unwrap_or(usize::MAX)).collect();
        if older.is_empty() {
            return Ok(());
        }
        reset::Entity::update_many()
            .set(reset::ActiveModel { used_date: Set(Some(at)), ..Default::default() })
            .filter(reset::Column::Id.is_in(older))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
