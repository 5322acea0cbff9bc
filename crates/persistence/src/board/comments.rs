//! Comments in `comment`, with the post's `number_of_comment` kept in the same transactions.

use std::collections::HashMap;

use async_trait::async_trait;
use board::attachment::model::Attachment;
use board::comment::model::{CommentContent, LocatedComment, NewComment};
use board::comment::ports::CommentRepository;
use board::{Comment, CommentId, PostId};
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, Set, TransactionTrait,
};

use crate::board::rows::{CommentRow, attachment_to_domain, literal_limit};
use crate::entity::{attachment, comment, post, users};
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlCommentRepository {
    db: DatabaseConnection,
}

impl SqlCommentRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlCommentRepository { db }
    }
}

/// Visible comments of visible posts, with their authors' names and their posts' boards.
fn visible_comments() -> Select<comment::Entity> {
    comment::Entity::find()
        .column_as(users::Column::Name, "author_name")
        .column_as(post::Column::BoardId, "board_id")
        .join(JoinType::InnerJoin, comment::Relation::User.def())
        .join(JoinType::InnerJoin, comment::Relation::Post.def())
        .filter(comment::Column::IsVisible.eq(true))
        .filter(post::Column::IsVisible.eq(true))
}

/// The files of the given comments, grouped by comment, in one query.
async fn comment_files<C: ConnectionTrait>(
    db: &C,
    comment_ids: Vec<CommentId>,
) -> Result<HashMap<CommentId, Vec<Attachment>>, InfraError> {
    let mut files: HashMap<CommentId, Vec<Attachment>> = HashMap::new();
    if comment_ids.is_empty() {
        return Ok(files);
    }
    let rows = attachment::Entity::find()
        .filter(attachment::Column::CommentId.is_in(comment_ids))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await
        .map_err(db_err)?;
    for row in rows {
        if let Some(comment_id) = row.comment_id {
            files.entry(comment_id).or_default().push(attachment_to_domain(row));
        }
    }
    Ok(files)
}

/// Comments with their files; only comments flagged with files cost a lookup, all in one.
async fn with_files<C: ConnectionTrait>(db: &C, rows: Vec<CommentRow>) -> Result<Vec<Comment>, InfraError> {
    let ids = rows.iter().filter(|r| r.is_file_attached).map(|r| r.id).collect();
    let mut files = comment_files(db, ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let attachments = files.remove(&row.id).unwrap_or_default();
            row.into_comment(attachments)
        })
        .collect())
}

#[async_trait]
impl CommentRepository for SqlCommentRepository {
    async fn create(&self, new: NewComment) -> Result<Option<Comment>, InfraError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        // The count first: it takes the post's row lock (and SQLite's write lock) at once.
        let raised = post::Entity::update_many()
            .col_expr(post::Column::NumberOfComment, Expr::col(post::Column::NumberOfComment).add(1))
            .filter(post::Column::Id.eq(new.post_id))
            .filter(post::Column::IsVisible.eq(true))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if raised.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(None);
        }
        let model = comment::ActiveModel {
            post_id: Set(new.post_id),
            user_id: Set(new.author.id),
            content: Set(new.content.as_str().to_owned()),
            create_date: Set(new.at),
            update_date: Set(new.at),
            is_file_attached: Set(false),
            is_visible: Set(true),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(Some(Comment {
            id: model.id,
            post_id: model.post_id,
            author: new.author,
            content: model.content,
            create_date: model.create_date,
            update_date: model.update_date,
            is_file_attached: false,
            attachments: Vec::new(),
        }))
    }

    async fn find(&self, id: CommentId) -> Result<Option<LocatedComment>, InfraError> {
        let row = visible_comments()
            .filter(comment::Column::Id.eq(id))
            .into_model::<CommentRow>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .pop();
        let Some(row) = row else {
            return Ok(None);
        };
        let board_id = row.board_id;
        let comment = with_files(&self.db, vec![row]).await?.pop();
        Ok(comment.map(|comment| LocatedComment { comment, board_id }))
    }

    async fn update(&self, id: CommentId, content: CommentContent, at: Timestamp) -> Result<bool, InfraError> {
        let model = comment::ActiveModel {
            content: Set(content.as_str().to_owned()),
            update_date: Set(at),
            ..Default::default()
        };
        let result = comment::Entity::update_many()
            .set(model)
            .filter(comment::Column::Id.eq(id))
            .filter(comment::Column::IsVisible.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn delete(&self, id: CommentId, at: Timestamp) -> Result<bool, InfraError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        let model = comment::ActiveModel { is_visible: Set(false), update_date: Set(at), ..Default::default() };
        let hidden = comment::Entity::update_many()
            .set(model)
            .filter(comment::Column::Id.eq(id))
            .filter(comment::Column::IsVisible.eq(true))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if hidden.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        let post_id: Option<PostId> = comment::Entity::find_by_id(id)
            .select_only()
            .column(comment::Column::PostId)
            .into_tuple()
            .one(&txn)
            .await
            .map_err(db_err)?;
        let Some(post_id) = post_id else {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        };
        post::Entity::update_many()
            .col_expr(post::Column::NumberOfComment, Expr::col(post::Column::NumberOfComment).sub(1))
            .filter(post::Column::Id.eq(post_id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn list(&self, post_id: PostId, page: PageRequest) -> Result<Page<Comment>, InfraError> {
        let mut query = visible_comments()
            .filter(comment::Column::PostId.eq(post_id))
            .order_by_asc(comment::Column::Id)
            .limit(page.fetch_limit());
        if let Some(after) = page.after {
            query = query.filter(comment::Column::Id.gt(after.id));
        }
        let stmt = literal_limit(query.build(self.db.get_database_backend()), page.fetch_limit());
        let rows = CommentRow::find_by_statement(stmt).all(&self.db).await.map_err(db_err)?;
        let comments = with_files(&self.db, rows).await?;
        Ok(Page::from_rows(comments, &page, |c| Cursor::by_id(c.id)))
    }
}
