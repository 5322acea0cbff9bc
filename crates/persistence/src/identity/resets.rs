//! Password-reset tokens, stored by their SHA-256 digest.

use async_trait::async_trait;
use identity::ports::{ResetRecord, ResetTokenRepository};
use kernel::{InfraError, Timestamp, UserId};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

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
}
