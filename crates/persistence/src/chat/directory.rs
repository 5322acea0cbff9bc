//! Users as the chat domain sees them: who may be listed, and which admin is least busy.

use async_trait::async_trait;
use chat::DisabledReason;
use chat::ports::ChatDirectory;
use kernel::{InfraError, UserId};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::entity::{chat_session, users};
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlChatDirectory {
    db: DatabaseConnection,
}

impl SqlChatDirectory {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlChatDirectory { db }
    }
}

/// Accounts that can act: active and not banned.
fn usable() -> Condition {
    Condition::all().add(users::Column::IsActive.eq(true)).add(users::Column::IsBanned.eq(false))
}

#[async_trait]
impl ChatDirectory for SqlChatDirectory {
    async fn usable_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, InfraError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Id.is_in(ids.iter().copied()))
            .filter(usable())
            .into_tuple::<i64>()
            .all(&self.db)
            .await
            .map_err(db_err)
    }

    async fn least_busy_admin(&self) -> Result<Option<UserId>, InfraError> {
        let open_sessions = Expr::col((chat_session::Entity, chat_session::Column::Id)).count();
        let query = Query::select()
            .column((users::Entity, users::Column::Id))
            .from(users::Entity)
            .join(
                JoinType::LeftJoin,
                chat_session::Entity,
                Condition::all()
                    .add(
                        Expr::col((chat_session::Entity, chat_session::Column::AssigneeId))
                            .equals((users::Entity, users::Column::Id)),
                    )
                    .add(Expr::col((chat_session::Entity, chat_session::Column::IsClosed)).eq(false))
                    .add(Expr::col((chat_session::Entity, chat_session::Column::IsVisible)).eq(true)),
            )
            .and_where(Expr::col((users::Entity, users::Column::IsSuperuser)).eq(true))
            .and_where(Expr::col((users::Entity, users::Column::IsActive)).eq(true))
            .and_where(Expr::col((users::Entity, users::Column::IsBanned)).eq(false))
            .group_by_col((users::Entity, users::Column::Id))
            .order_by_expr(open_sessions, Order::Asc)
            .order_by((users::Entity, users::Column::Id), Order::Asc)
            .limit(1)
            .to_owned();
        let row = self.db.query_one(&query).await.map_err(db_err)?;
        row.map(|row| row.try_get::<i64>("", "id").map_err(db_err)).transpose()
    }

    async fn disabled_among(&self, ids: &[UserId]) -> Result<Vec<(UserId, DisabledReason)>, InfraError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, bool)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::IsActive)
            .filter(users::Column::Id.is_in(ids.iter().copied()))
            .filter(Condition::any().add(users::Column::IsActive.eq(false)).add(users::Column::IsBanned.eq(true)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, active)| (id, if active { DisabledReason::Banned } else { DisabledReason::Deactivated }))
            .collect())
    }

    async fn is_admin(&self, id: UserId) -> Result<bool, InfraError> {
        let count = users::Entity::find()
            .filter(users::Column::Id.eq(id))
            .filter(users::Column::IsSuperuser.eq(true))
            .filter(usable())
            .count(&self.db)
            .await
            .map_err(db_err)?;
        Ok(count > 0)
    }
}
