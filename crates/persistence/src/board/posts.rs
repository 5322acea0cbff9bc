//! Posts and likes in `post` and `post_like`.

use async_trait::async_trait;
use board::attachment::model::Attachment;
use board::post::model::{NewPost, PostChanges};
use board::post::ports::PostRepository;
use board::{Board, BoardAccess, BoardId, Post, PostDetail, PostFilter, PostId, PostSort};
use kernel::{InfraError, Page, PageRequest, Timestamp, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query, SubQueryStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, RelationTrait, Select, Set, TransactionTrait,
};

use crate::board::rows::{PostRow, attachment_to_domain, literal_limit};
use crate::entity::{attachment, board as board_entity, post, post_like, users};
use crate::error::{db_err, is_unique_violation, like_pattern};

#[derive(Debug, Clone)]
pub struct SqlPostRepository {
    db: DatabaseConnection,
}

impl SqlPostRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlPostRepository { db }
    }
}

// Primary-key reads of the board repositories use `all()` and take the one row, never
// `one()`: `one()` binds `LIMIT ?`, and SQLite re-prepares a statement whose LIMIT is a bound
// parameter on every execution (its plan depends on the value) — measured as a third of the
// CPU of `GET /posts/{id}` before.

/// Visible posts joined with their authors' names.
fn visible_posts() -> Select<post::Entity> {
    post::Entity::find()
        .column_as(users::Column::Name, "author_name")
        .join(JoinType::InnerJoin, post::Relation::User.def())
        .filter(post::Column::IsVisible.eq(true))
}

/// `LOWER(column) LIKE '%text%' ESCAPE '\'`: the same case-insensitive substring match on
/// every backend (MariaDB's binary collation and PostgreSQL's LIKE are case-sensitive).
fn contains_ci(column: post::Column, pattern: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col((post::Entity, column)))).like(LikeExpr::new(pattern).escape('\\'))
}

/// A post row with its board and the number of the viewer's likes of it (0 or 1).
struct DetailRow {
    post: PostRow,
    board: Board,
    liked: i64,
}

impl FromQueryResult for DetailRow {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let post = PostRow::from_query_result(row, pre)?;
        let access: String = row.try_get(pre, "board_access")?;
        let board = Board {
            id: post.board_id,
            name: row.try_get(pre, "board_name")?,
            information: row.try_get(pre, "board_information")?,
            is_visible: row.try_get(pre, "board_is_visible")?,
            is_available: row.try_get(pre, "board_is_available")?,
            // An unknown value reads as restricted, the safe side (as the board directory does).
            access: BoardAccess::parse(&access).unwrap_or(BoardAccess::Restricted),
            create_date: row.try_get(pre, "board_create_date")?,
            update_date: row.try_get(pre, "board_update_date")?,
            delete_date: row.try_get(pre, "board_delete_date")?,
        };
        Ok(DetailRow { post, board, liked: row.try_get(pre, "liked_by_viewer")? })
    }
}

/// `(SELECT COUNT(user_id) FROM post_like WHERE post_id = post.id AND user_id = viewer)`, so
/// that a post and whether the viewer likes it come in one round trip.
fn liked_by(viewer: UserId) -> Expr {
    let count = Query::select()
        .expr(Expr::col((post_like::Entity, post_like::Column::UserId)).count())
        .from(post_like::Entity)
        .and_where(Expr::col((post_like::Entity, post_like::Column::PostId)).equals((post::Entity, post::Column::Id)))
        .and_where(Expr::col((post_like::Entity, post_like::Column::UserId)).eq(viewer))
        .to_owned();
    Expr::from(SubQueryStatement::from(count))
}

/// The files of posts (their own, not their comments'), oldest first, in one query.
pub(crate) async fn post_files<C: sea_orm::ConnectionTrait>(
    db: &C,
    post_ids: &[PostId],
) -> Result<Vec<Attachment>, InfraError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = attachment::Entity::find()
        .filter(attachment::Column::PostId.is_in(post_ids.iter().copied()))
        .filter(attachment::Column::CommentId.is_null())
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await
        .map_err(db_err)?;
    Ok(rows.into_iter().map(attachment_to_domain).collect())
}

#[async_trait]
impl PostRepository for SqlPostRepository {
    async fn create(&self, new: NewPost) -> Result<Post, InfraError> {
        let model = post::ActiveModel {
            board_id: Set(new.board_id),
            user_id: Set(new.author.id),
            title: Set(new.title.as_str().to_owned()),
            content: Set(new.content.as_str().to_owned()),
            create_date: Set(new.at),
            update_date: Set(new.at),
            number_of_view: Set(0),
            number_of_comment: Set(0),
            number_of_like: Set(0),
            is_file_attached: Set(false),
            is_visible: Set(true),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(Post {
            id: model.id,
            board_id: model.board_id,
            author: new.author,
            title: model.title,
            content: model.content,
            create_date: model.create_date,
            update_date: model.update_date,
            number_of_view: model.number_of_view,
            number_of_comment: model.number_of_comment,
            number_of_like: model.number_of_like,
            is_file_attached: model.is_file_attached,
        })
    }

    async fn find(&self, id: PostId) -> Result<Option<Post>, InfraError> {
        let row = visible_posts()
            .filter(post::Column::Id.eq(id))
            .into_model::<PostRow>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .pop();
        Ok(row.map(Post::from))
    }

    async fn find_detail(&self, id: PostId, viewer: UserId) -> Result<Option<(PostDetail, Board)>, InfraError> {
        let row = visible_posts()
            .expr_as(liked_by(viewer), "liked_by_viewer")
            .join(JoinType::InnerJoin, post::Relation::Board.def())
            .column_as(board_entity::Column::Name, "board_name")
            .column_as(board_entity::Column::Information, "board_information")
            .column_as(board_entity::Column::IsVisible, "board_is_visible")
            .column_as(board_entity::Column::IsAvailable, "board_is_available")
            .column_as(board_entity::Column::Access, "board_access")
            .column_as(board_entity::Column::CreateDate, "board_create_date")
            .column_as(board_entity::Column::UpdateDate, "board_update_date")
            .column_as(board_entity::Column::DeleteDate, "board_delete_date")
            .filter(post::Column::Id.eq(id))
            .into_model::<DetailRow>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .pop();
        let Some(DetailRow { post, board, liked }) = row else {
            return Ok(None);
        };
        let (post, liked_by_me) = (Post::from(post), liked > 0);
        // The flag is kept exact with the rows, so posts without files cost no query.
        let attachments = if post.is_file_attached { post_files(&self.db, &[id]).await? } else { Vec::new() };
        Ok(Some((PostDetail { post, liked_by_me, attachments }, board)))
    }

    async fn liked_by(&self, id: PostId, viewer: UserId) -> Result<bool, InfraError> {
        // `all()` rather than `one()` or `count()`: no bound LIMIT (see above).
        let likes = post_like::Entity::find()
            .select_only()
            .column(post_like::Column::UserId)
            .inner_join(post::Entity)
            .filter(post_like::Column::PostId.eq(id))
            .filter(post_like::Column::UserId.eq(viewer))
            .filter(post::Column::IsVisible.eq(true))
            .into_tuple::<UserId>()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(!likes.is_empty())
    }

    async fn update(&self, id: PostId, changes: PostChanges, at: Timestamp) -> Result<bool, InfraError> {
        let mut model = post::ActiveModel { update_date: Set(at), ..Default::default() };
        if let Some(title) = changes.title {
            model.title = Set(title.as_str().to_owned());
        }
        if let Some(content) = changes.content {
            model.content = Set(content.as_str().to_owned());
        }
        let result = post::Entity::update_many()
            .set(model)
            .filter(post::Column::Id.eq(id))
            .filter(post::Column::IsVisible.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn delete(&self, id: PostId, at: Timestamp) -> Result<bool, InfraError> {
        let model = post::ActiveModel { is_visible: Set(false), update_date: Set(at), ..Default::default() };
        let result = post::Entity::update_many()
            .set(model)
            .filter(post::Column::Id.eq(id))
            .filter(post::Column::IsVisible.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn list(&self, board_id: BoardId, filter: PostFilter, page: PageRequest) -> Result<Page<Post>, InfraError> {
        let mut query = visible_posts().filter(post::Column::BoardId.eq(board_id)).limit(page.fetch_limit());
        if let Some(q) = filter.q.as_deref() {
            let pattern = like_pattern(&q.to_lowercase());
            query = query.filter(
                Condition::any()
                    .add(contains_ci(post::Column::Title, &pattern))
                    .add(contains_ci(post::Column::Content, &pattern)),
            );
        }
        let key = match filter.sort {
            PostSort::New => None,
            PostSort::Top => Some(post::Column::NumberOfLike),
            PostSort::Views => Some(post::Column::NumberOfView),
        };
        if let Some(key) = key {
            query = query.order_by_desc(key);
        }
        query = query.order_by_desc(post::Column::Id);
        if let Some(after) = page.after {
            query = match key {
                None => query.filter(post::Column::Id.lt(after.id)),
                Some(key) => query.filter(
                    Condition::any()
                        .add(key.lt(after.key))
                        .add(Condition::all().add(key.eq(after.key)).add(post::Column::Id.lt(after.id))),
                ),
            };
        }
        let stmt = literal_limit(query.build(self.db.get_database_backend()), page.fetch_limit());
        let rows = PostRow::find_by_statement(stmt).all(&self.db).await.map_err(db_err)?;
        let posts = rows.into_iter().map(Post::from).collect();
        let sort = filter.sort;
        Ok(Page::from_rows(posts, &page, |p| sort.cursor_of(p)))
    }

    async fn like(&self, id: PostId, user_id: UserId, at: Timestamp) -> Result<bool, InfraError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        // The counter first: it locks the post row, so concurrent likes of one post queue
        // here instead of deadlocking on the foreign-key locks of their inserts (InnoDB), and
        // SQLite takes its write lock at once.
        let raised = post::Entity::update_many()
            .col_expr(post::Column::NumberOfLike, Expr::col(post::Column::NumberOfLike).add(1))
            .filter(post::Column::Id.eq(id))
            .filter(post::Column::IsVisible.eq(true))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if raised.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        let like = post_like::ActiveModel { post_id: Set(id), user_id: Set(user_id), create_date: Set(at) };
        match post_like::Entity::insert(like).exec_without_returning(&txn).await {
            Ok(_) => {
                txn.commit().await.map_err(db_err)?;
                Ok(true)
            }
            // Already liked: rolling back takes the increment back.
            Err(err) if is_unique_violation(&err) => {
                txn.rollback().await.map_err(db_err)?;
                Ok(false)
            }
            Err(err) => Err(db_err(err)),
        }
    }

    async fn unlike(&self, id: PostId, user_id: UserId) -> Result<bool, InfraError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        post::Entity::update_many()
            .col_expr(post::Column::NumberOfLike, Expr::col(post::Column::NumberOfLike).sub(1))
            .filter(post::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let removed = post_like::Entity::delete_many()
            .filter(post_like::Column::PostId.eq(id))
            .filter(post_like::Column::UserId.eq(user_id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if removed.rows_affected == 0 {
            // No like to take back: rolling back undoes the decrement.
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
