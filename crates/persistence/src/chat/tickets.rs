//! WebSocket tickets in `chat_ws_ticket`, by their SHA-256 digest, so that any instance can
//! redeem a ticket another issued.

use async_trait::async_trait;
use chat::ports::TicketStore;
use kernel::{InfraError, Timestamp, UserId};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::entity::chat_ws_ticket as ticket;
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlTicketStore {
    db: DatabaseConnection,
}

impl SqlTicketStore {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlTicketStore { db }
    }
}

#[async_trait]
impl TicketStore for SqlTicketStore {
    async fn store(
        &self,
        digest: &str,
        user_id: UserId,
        expire_date: Timestamp,
        at: Timestamp,
    ) -> Result<(), InfraError> {
        ticket::ActiveModel {
            ticket_hash: Set(digest.to_owned()),
            user_id: Set(user_id),
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

    async fn redeem(&self, digest: &str, now: Timestamp) -> Result<Option<UserId>, InfraError> {
        // The conditional UPDATE is the atomic step: of concurrent redeemers, one matches.
        let spent = ticket::Entity::update_many()
            .set(ticket::ActiveModel { used_date: Set(Some(now)), ..Default::default() })
            .filter(ticket::Column::TicketHash.eq(digest))
            .filter(ticket::Column::UsedDate.is_null())
            .filter(ticket::Column::ExpireDate.gt(now))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if spent.rows_affected != 1 {
            return Ok(None);
        }
        ticket::Entity::find()
            .select_only()
            .column(ticket::Column::UserId)
            .filter(ticket::Column::TicketHash.eq(digest))
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(db_err)
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, InfraError> {
        let result = ticket::Entity::delete_many()
            .filter(ticket::Column::ExpireDate.lt(now))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected)
    }
}
