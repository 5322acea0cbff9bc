//! Login sessions (refresh-token families), refresh tokens by `jti`, and the access-token
//! blacklist.

use async_trait::async_trait;
use identity::ports::{AccessState, RefreshRecord, RevokeReason, SessionFamily, SessionRepository, SignInClient};
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::entity::{
    access_token_blacklist as blacklist, password_reset_token, refresh_token, refresh_token_family as family, users,
};
use crate::error::{db_err, is_unique_violation};
use crate::identity::users::to_domain;

#[derive(Debug, Clone)]
pub struct SqlSessionRepository {
    db: DatabaseConnection,
}

impl SqlSessionRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlSessionRepository { db }
    }
}

fn family_to_domain(model: family::Model) -> SessionFamily {
    SessionFamily {
        id: model.id,
        user_id: model.user_id,
        create_date: model.create_date,
        expire_date: model.expire_date,
        revoke_date: model.revoke_date,
        last_used: model.last_used.unwrap_or(model.create_date),
        client: SignInClient { user_agent: model.user_agent, ip: model.ip },
    }
}

#[async_trait]
impl SessionRepository for SqlSessionRepository {
    async fn create_family(
        &self,
        user_id: UserId,
        client: SignInClient,
        at: Timestamp,
        expire_date: Timestamp,
    ) -> Result<SessionFamily, InfraError> {
        let model = family::ActiveModel {
            user_id: Set(user_id),
            create_date: Set(at),
            expire_date: Set(expire_date),
            revoke_date: Set(None),
            revoke_reason: Set(None),
            last_used: Set(Some(at)),
            user_agent: Set(client.user_agent),
            ip: Set(client.ip),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(family_to_domain(model))
    }

    async fn find_family(&self, family_id: i64) -> Result<Option<SessionFamily>, InfraError> {
        let model = family::Entity::find_by_id(family_id).one(&self.db).await.map_err(db_err)?;
        Ok(model.map(family_to_domain))
    }

    async fn list_active_families(
        &self,
        user_id: UserId,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<SessionFamily>, InfraError> {
        let mut query = family::Entity::find()
            .filter(family::Column::UserId.eq(user_id))
            .filter(family::Column::RevokeDate.is_null())
            .filter(family::Column::ExpireDate.gt(now))
            .order_by_desc(family::Column::Id)
            .limit(page.fetch_limit());
        if let Some(after) = page.after {
            query = query.filter(family::Column::Id.lt(after.id));
        }
        let rows = query.all(&self.db).await.map_err(db_err)?;
        Ok(Page::from_rows(rows.into_iter().map(family_to_domain).collect(), &page, |f| Cursor::by_id(f.id)))
    }

    async fn store_refresh(&self, record: RefreshRecord, at: Timestamp) -> Result<(), InfraError> {
        let family_id = record.family_id;
        let txn = self.db.begin().await.map_err(db_err)?;
        family::Entity::update_many()
            .set(family::ActiveModel { last_used: Set(Some(at)), ..Default::default() })
            .filter(family::Column::Id.eq(family_id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        refresh_token::ActiveModel {
            family_id: Set(record.family_id),
            user_id: Set(record.user_id),
            jti: Set(record.jti),
            create_date: Set(at),
            expire_date: Set(record.expire_date),
            spent_date: Set(record.spent_date),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn find_refresh(&self, jti: &str) -> Result<Option<RefreshRecord>, InfraError> {
        let model = refresh_token::Entity::find()
            .filter(refresh_token::Column::Jti.eq(jti))
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(model.map(|m| RefreshRecord {
            jti: m.jti,
            family_id: m.family_id,
            user_id: m.user_id,
            expire_date: m.expire_date,
            spent_date: m.spent_date,
        }))
    }

    async fn spend_refresh(&self, jti: &str, at: Timestamp) -> Result<bool, InfraError> {
        let result = refresh_token::Entity::update_many()
            .set(refresh_token::ActiveModel { spent_date: Set(Some(at)), ..Default::default() })
            .filter(refresh_token::Column::Jti.eq(jti))
            .filter(refresh_token::Column::SpentDate.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn revoke_family(&self, family_id: i64, reason: RevokeReason, at: Timestamp) -> Result<(), InfraError> {
        family::Entity::update_many()
            .set(family::ActiveModel {
                revoke_date: Set(Some(at)),
                revoke_reason: Set(Some(reason.as_str().to_owned())),
                ..Default::default()
            })
            .filter(family::Column::Id.eq(family_id))
            .filter(family::Column::RevokeDate.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn revoke_all(
        &self,
        user_id: UserId,
        keep: Option<i64>,
        reason: RevokeReason,
        at: Timestamp,
    ) -> Result<(), InfraError> {
        let mut update = family::Entity::update_many()
            .set(family::ActiveModel {
                revoke_date: Set(Some(at)),
                revoke_reason: Set(Some(reason.as_str().to_owned())),
                ..Default::default()
            })
            .filter(family::Column::UserId.eq(user_id))
            .filter(family::Column::RevokeDate.is_null());
        if let Some(keep) = keep {
            update = update.filter(family::Column::Id.ne(keep));
        }
        update.exec(&self.db).await.map_err(db_err)?;
        Ok(())
    }

    async fn blacklist(
        &self,
        jti: &str,
        user_id: UserId,
        expire_date: Timestamp,
        at: Timestamp,
    ) -> Result<(), InfraError> {
        let result = blacklist::ActiveModel {
            user_id: Set(user_id),
            jti: Set(jti.to_owned()),
            create_date: Set(at),
            expire_date: Set(expire_date),
            ..Default::default()
        }
        .insert(&self.db)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Ok(()),
            Err(err) => Err(db_err(err)),
        }
    }

    async fn access_state(
        &self,
        user_id: UserId,
        family_id: i64,
        jti: &str,
        now: Timestamp,
    ) -> Result<Option<AccessState>, InfraError> {
        // Three primary or unique key lookups; each is a single index probe.
        let Some(user) = users::Entity::find_by_id(user_id).one(&self.db).await.map_err(db_err)? else {
            return Ok(None);
        };
        let session = family::Entity::find_by_id(family_id).one(&self.db).await.map_err(db_err)?;
        let blacklisted =
            blacklist::Entity::find().filter(blacklist::Column::Jti.eq(jti)).count(&self.db).await.map_err(db_err)? > 0;
        let session_active =
            session.is_some_and(|s| s.user_id == user_id && s.revoke_date.is_none() && s.expire_date > now);
        Ok(Some(AccessState { user: to_domain(user), session_active, blacklisted }))
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, InfraError> {
        let mut purged = 0;
        purged += blacklist::Entity::delete_many()
            .filter(blacklist::Column::ExpireDate.lt(now))
            .exec(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected;
        purged += refresh_token::Entity::delete_many()
            .filter(refresh_token::Column::ExpireDate.lt(now))
            .exec(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected;
        purged += family::Entity::delete_many()
            .filter(family::Column::ExpireDate.lt(now))
            .exec(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected;
        purged += password_reset_token::Entity::delete_many()
            .filter(password_reset_token::Column::ExpireDate.lt(now))
            .exec(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected;
        Ok(purged)
    }
}
