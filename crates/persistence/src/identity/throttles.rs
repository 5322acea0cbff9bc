//! Failed-login counts per account, one row each, replaced on every failure.

use async_trait::async_trait;
use identity::ports::{LoginFailures, LoginThrottleRepository};
use kernel::{InfraError, UserId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityTrait, Set};

use crate::entity::login_throttle as throttle;
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlLoginThrottleRepository {
    db: DatabaseConnection,
}

impl SqlLoginThrottleRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlLoginThrottleRepository { db }
    }
}

#[async_trait]
impl LoginThrottleRepository for SqlLoginThrottleRepository {
    async fn find(&self, user_id: UserId) -> Result<Option<LoginFailures>, InfraError> {
        let model = throttle::Entity::find_by_id(user_id).one(&self.db).await.map_err(db_err)?;
        Ok(model.map(|m| LoginFailures {
            count: u32::try_from(m.failures).unwrap_or(0),
            window_start: m.window_start,
            locked_until: m.locked_until,
        }))
    }

    async fn save(&self, user_id: UserId, failures: LoginFailures) -> Result<(), InfraError> {
        let row = throttle::ActiveModel {
            user_id: Set(user_id),
            failures: Set(i32::try_from(failures.count).unwrap_or(i32::MAX)),
            window_start: Set(failures.window_start),
            locked_until: Set(failures.locked_until),
        };
        throttle::Entity::insert(row)
            .on_conflict(
                OnConflict::column(throttle::Column::UserId)
                    .update_columns([
                        throttle::Column::Failures,
                        throttle::Column::WindowStart,
                        throttle::Column::LockedUntil,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn clear(&self, user_id: UserId) -> Result<(), InfraError> {
        throttle::Entity::delete_by_id(user_id).exec(&self.db).await.map_err(db_err)?;
        Ok(())
    }
}
