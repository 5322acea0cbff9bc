//! Attachment metadata in `attachment`, with `is_file_attached` of posts and comments kept
//! in the same transactions.

use async_trait::async_trait;
use board::attachment::model::{AttachmentRecord, NewAttachment};
use board::attachment::ports::{AttachWriteError, AttachmentRepository};
use board::{AttachTarget, Attachment, AttachmentId, PostId};
use chrono::{DateTime, Utc};
use kernel::InfraError;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QuerySelect, RelationTrait, Set, TransactionTrait,
};

use crate::board::rows::attachment_to_domain;
use crate::entity::{attachment, comment, post};
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlAttachmentRepository {
    db: DatabaseConnection,
}

impl SqlAttachmentRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlAttachmentRepository { db }
    }
}

/// The attachments that belong to `target` itself.
fn of_target(target: AttachTarget) -> Condition {
    match target {
        AttachTarget::Post(id) => {
            Condition::all().add(attachment::Column::PostId.eq(id)).add(attachment::Column::CommentId.is_null())
        }
        AttachTarget::Comment(id) => Condition::all().add(attachment::Column::CommentId.eq(id)),
    }
}

/// Sets the target's `is_file_attached` to `value` (an SQL expression), only while the target
/// is visible; the number of rows matched.
async fn set_flag(txn: &DatabaseTransaction, target: AttachTarget, value: Expr) -> Result<u64, InfraError> {
    let result = match target {
        AttachTarget::Post(id) => {
            post::Entity::update_many()
                .col_expr(post::Column::IsFileAttached, value)
                .filter(post::Column::Id.eq(id))
                .filter(post::Column::IsVisible.eq(true))
                .exec(txn)
                .await
        }
        AttachTarget::Comment(id) => {
            comment::Entity::update_many()
                .col_expr(comment::Column::IsFileAttached, value)
                .filter(comment::Column::Id.eq(id))
                .filter(comment::Column::IsVisible.eq(true))
                .exec(txn)
                .await
        }
    };
    Ok(result.map_err(db_err)?.rows_affected)
}

/// Whether the target still has files, as an SQL expression evaluated by the UPDATE itself.
fn has_files(target: AttachTarget) -> Expr {
    let mut select = Query::select();
    select.expr(Expr::val(1)).from(attachment::Entity);
    match target {
        AttachTarget::Post(id) => {
            select
                .and_where(Expr::col((attachment::Entity, attachment::Column::PostId)).eq(id))
                .and_where(Expr::col((attachment::Entity, attachment::Column::CommentId)).is_null());
        }
        AttachTarget::Comment(id) => {
            select.and_where(Expr::col((attachment::Entity, attachment::Column::CommentId)).eq(id));
        }
    }
    Expr::exists(select.to_owned())
}

/// The post and board of a target.
async fn locate<C: ConnectionTrait>(db: &C, target: AttachTarget) -> Result<Option<(PostId, i64)>, InfraError> {
    let found: Option<(i64, i64)> = match target {
        AttachTarget::Post(id) => post::Entity::find_by_id(id)
            .select_only()
            .column(post::Column::Id)
            .column(post::Column::BoardId)
            .into_tuple()
            .one(db)
            .await
            .map_err(db_err)?,
        AttachTarget::Comment(id) => comment::Entity::find_by_id(id)
            .select_only()
            .column(comment::Column::PostId)
            .column(post::Column::BoardId)
            .join(JoinType::InnerJoin, comment::Relation::Post.def())
            .filter(post::Column::IsVisible.eq(true))
            .into_tuple()
            .one(db)
            .await
            .map_err(db_err)?,
    };
    Ok(found)
}

/// An attachment with its post's board and visibility, and its comment's author and
/// visibility, as one joined row.
#[derive(Debug, FromQueryResult)]
struct AttachmentRow {
    id: i64,
    board_id: i64,
    post_id: i64,
    comment_id: Option<i64>,
    user_id: i64,
    stored_name: String,
    original_name: String,
    content_type: String,
    size: i64,
    create_date: DateTime<Utc>,
    post_author: i64,
    comment_author: Option<i64>,
    comment_visible: Option<bool>,
}

#[async_trait]
impl AttachmentRepository for SqlAttachmentRepository {
    async fn count(&self, target: AttachTarget) -> Result<u64, InfraError> {
        attachment::Entity::find().filter(of_target(target)).count(&self.db).await.map_err(db_err)
    }

    async fn create_all(
        &self,
        target: AttachTarget,
        files: Vec<NewAttachment>,
        max_files: u32,
    ) -> Result<Vec<Attachment>, AttachWriteError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        // Flag first: it locks the target row, so concurrent uploads to one target count
        // one after the other and cannot pass the limit together.
        if set_flag(&txn, target, Expr::val(true)).await? == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Err(AttachWriteError::TargetGone);
        }
        let Some((post_id, board_id)) = locate(&txn, target).await? else {
            txn.rollback().await.map_err(db_err)?;
            return Err(AttachWriteError::TargetGone);
        };
        let existing = attachment::Entity::find().filter(of_target(target)).count(&txn).await.map_err(db_err)?;
        if existing + files.len() as u64 > u64::from(max_files) {
            txn.rollback().await.map_err(db_err)?;
            return Err(AttachWriteError::TooMany);
        }
        let comment_id = match target {
            AttachTarget::Post(_) => None,
            AttachTarget::Comment(id) => Some(id),
        };
        let mut created = Vec::with_capacity(files.len());
        for file in files {
            let model = attachment::ActiveModel {
                board_id: Set(board_id),
                post_id: Set(post_id),
                comment_id: Set(comment_id),
                user_id: Set(file.user_id),
                stored_name: Set(file.stored_name),
                original_name: Set(file.original_name),
                content_type: Set(file.content_type),
                size: Set(file.size),
                create_date: Set(file.at),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(db_err)?;
            created.push(attachment_to_domain(model));
        }
        txn.commit().await.map_err(db_err)?;
        Ok(created)
    }

    async fn find(&self, id: AttachmentId) -> Result<Option<AttachmentRecord>, InfraError> {
        let row = attachment::Entity::find()
            .select_only()
            .columns([
                attachment::Column::Id,
                attachment::Column::PostId,
                attachment::Column::CommentId,
                attachment::Column::UserId,
                attachment::Column::StoredName,
                attachment::Column::OriginalName,
                attachment::Column::ContentType,
                attachment::Column::Size,
                attachment::Column::CreateDate,
            ])
            .column_as(post::Column::BoardId, "board_id")
            .column_as(post::Column::UserId, "post_author")
            .column_as(comment::Column::UserId, "comment_author")
            .column_as(comment::Column::IsVisible, "comment_visible")
            .join(JoinType::InnerJoin, attachment::Relation::Post.def())
            .join(JoinType::LeftJoin, attachment::Relation::Comment.def())
            .filter(attachment::Column::Id.eq(id))
            .filter(post::Column::IsVisible.eq(true))
            .into_model::<AttachmentRow>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .pop();
        let Some(row) = row else {
            return Ok(None);
        };
        let target_author = match row.comment_id {
            None => row.post_author,
            Some(_) => match (row.comment_visible, row.comment_author) {
                (Some(true), Some(author)) => author,
                _ => return Ok(None),
            },
        };
        Ok(Some(AttachmentRecord {
            attachment: Attachment {
                id: row.id,
                post_id: row.post_id,
                comment_id: row.comment_id,
                user_id: row.user_id,
                original_name: row.original_name,
                content_type: row.content_type,
                size: row.size,
                create_date: row.create_date,
            },
            stored_name: row.stored_name,
            board_id: row.board_id,
            target_author,
        }))
    }

    async fn delete(&self, id: AttachmentId) -> Result<bool, InfraError> {
        let Some(model) = attachment::Entity::find_by_id(id).one(&self.db).await.map_err(db_err)? else {
            return Ok(false);
        };
        let target = match model.comment_id {
            Some(comment_id) => AttachTarget::Comment(comment_id),
            None => AttachTarget::Post(model.post_id),
        };
        let txn = self.db.begin().await.map_err(db_err)?;
        // Lock the target row first, so the flag below is computed after any concurrent
        // upload to it has committed (PostgreSQL evaluates a statement on its own snapshot).
        let flag = match target {
            AttachTarget::Post(_) => Expr::col(post::Column::IsFileAttached),
            AttachTarget::Comment(_) => Expr::col(comment::Column::IsFileAttached),
        };
        set_flag(&txn, target, flag).await?;
        let removed = attachment::Entity::delete_by_id(id).exec(&txn).await.map_err(db_err)?;
        if removed.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        set_flag(&txn, target, has_files(target)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
