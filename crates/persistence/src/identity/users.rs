//! Users in the `users` table.

use async_trait::async_trait;
use identity::ports::{UserFilter, UserRepository, UserWriteError};
use identity::{NewUser, PasswordHash, User, UserUpdate};
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entity::users;
use crate::error::{db_err, is_unique_violation, like_pattern};

/// The identity domain's users, stored with SQL.
#[derive(Debug, Clone)]
pub struct SqlUserRepository {
    db: DatabaseConnection,
}

impl SqlUserRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlUserRepository { db }
    }

    /// Tells which unique field a failed write collided on.
    async fn conflict(&self, name_key: Option<&str>, err: DbErr) -> UserWriteError {
        if !is_unique_violation(&err) {
            return UserWriteError::Infra(db_err(err));
        }
        if let Some(key) = name_key {
            match self.find_by_name_key(key).await {
                Ok(Some(_)) => return UserWriteError::NameTaken,
                Ok(None) => {}
                Err(err) => return UserWriteError::Infra(err),
            }
        }
        UserWriteError::EmailTaken
    }
}

pub(crate) fn to_domain(model: users::Model) -> User {
    User {
        id: model.id,
        name: model.name,
        email: model.email,
        password_hash: PasswordHash::new(model.password_hash),
        join_date: model.join_date,
        update_date: model.update_date,
        is_superuser: model.is_superuser,
        is_banned: model.is_banned,
        is_active: model.is_active,
    }
}

impl SqlUserRepository {
    async fn find_one(&self, condition: Condition) -> Result<Option<User>, InfraError> {
        let model = users::Entity::find().filter(condition).one(&self.db).await.map_err(db_err)?;
        Ok(model.map(to_domain))
    }

    async fn update_column(&self, id: UserId, model: users::ActiveModel) -> Result<(), InfraError> {
        users::Entity::update_many()
            .set(model)
            .filter(users::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl UserRepository for SqlUserRepository {
    async fn create(&self, user: NewUser) -> Result<User, UserWriteError> {
        let name_key = user.name.key();
        let model = users::ActiveModel {
            name: Set(user.name.as_str().to_owned()),
            name_key: Set(name_key.clone()),
            email: Set(user.email.as_str().to_owned()),
            password_hash: Set(user.password_hash.as_str().to_owned()),
            join_date: Set(user.join_date),
            update_date: Set(user.join_date),
            is_superuser: Set(user.is_superuser),
            is_banned: Set(false),
            is_active: Set(true),
            banned_date: Set(None),
            ..Default::default()
        };
        match model.insert(&self.db).await {
            Ok(model) => Ok(to_domain(model)),
            Err(err) => Err(self.conflict(Some(&name_key), err).await),
        }
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, InfraError> {
        Ok(users::Entity::find_by_id(id).one(&self.db).await.map_err(db_err)?.map(to_domain))
    }

    async fn find_by_name_key(&self, name_key: &str) -> Result<Option<User>, InfraError> {
        self.find_one(Condition::all().add(users::Column::NameKey.eq(name_key))).await
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<User>, InfraError> {
        self.find_one(Condition::all().add(users::Column::Email.eq(email))).await
    }

    async fn update_profile(&self, id: UserId, update: UserUpdate, at: Timestamp) -> Result<User, UserWriteError> {
        let mut model = users::ActiveModel { update_date: Set(at), ..Default::default() };
        let name_key = update.name.as_ref().map(|n| n.key());
        if let Some(name) = &update.name {
            model.name = Set(name.as_str().to_owned());
            model.name_key = Set(name.key());
        }
        if let Some(email) = &update.email {
            model.email = Set(email.as_str().to_owned());
        }
        let result = users::Entity::update_many().set(model).filter(users::Column::Id.eq(id)).exec(&self.db).await;
        if let Err(err) = result {
            return Err(self.conflict(name_key.as_deref(), err).await);
        }
        self.find_by_id(id)
            .await?
            .ok_or_else(|| UserWriteError::Infra(InfraError::internal(format!("user {id} vanished during update"))))
    }

    async fn set_password(&self, id: UserId, hash: PasswordHash, at: Timestamp) -> Result<(), InfraError> {
        let model = users::ActiveModel {
            password_hash: Set(hash.as_str().to_owned()),
            update_date: Set(at),
            ..Default::default()
        };
        self.update_column(id, model).await
    }

    async fn set_banned(&self, id: UserId, banned: bool, at: Timestamp) -> Result<(), InfraError> {
        let model = users::ActiveModel {
            is_banned: Set(banned),
            banned_date: Set(banned.then_some(at)),
            update_date: Set(at),
            ..Default::default()
        };
        self.update_column(id, model).await
    }

    async fn set_active(&self, id: UserId, active: bool, at: Timestamp) -> Result<(), InfraError> {
        let model = users::ActiveModel { is_active: Set(active), update_date: Set(at), ..Default::default() };
        self.update_column(id, model).await
    }

    async fn list(&self, filter: UserFilter, page: PageRequest) -> Result<Page<User>, InfraError> {
        let mut query = users::Entity::find().order_by_asc(users::Column::Id).limit(page.fetch_limit());
        if let Some(after) = page.after {
            query = query.filter(users::Column::Id.gt(after.id));
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = like_pattern(&q.to_lowercase());
            query = query.filter(
                Condition::any()
                    .add(Expr::col(users::Column::NameKey).like(LikeExpr::new(pattern.clone()).escape('\\')))
                    .add(Expr::col(users::Column::Email).like(LikeExpr::new(pattern).escape('\\'))),
            );
        }
        let rows = query.all(&self.db).await.map_err(db_err)?;
        Ok(Page::from_rows(rows.into_iter().map(to_domain).collect(), &page, |u| Cursor::by_id(u.id)))
    }
}
