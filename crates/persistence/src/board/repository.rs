//! Boards and their members in `board` and `board_member`.

use std::collections::BTreeSet;
use std::future::Future;

use async_trait::async_trait;
use board::{Board, BoardAccess, BoardChanges, BoardId, BoardRepository, BoardWriteError, NewBoard};
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp, UserId};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set, TransactionTrait,
};

use crate::board::directory::board_to_domain;
use crate::entity::{board as board_entity, board_member, users};
use crate::error::{db_err, is_deadlock, is_unique_violation};

/// Rows per multi-row INSERT, well below every backend's limit of bound parameters.
const INSERT_CHUNK: usize = 500;

/// How often a membership transaction that lost a race is tried in all.
const RACE_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
pub struct SqlBoardRepository {
    db: DatabaseConnection,
}

impl SqlBoardRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlBoardRepository { db }
    }
}

/// Why a write transaction failed.
enum Fail {
    NameTaken,
    Db(DbErr),
}

impl From<DbErr> for Fail {
    fn from(err: DbErr) -> Self {
        Fail::Db(err)
    }
}

impl From<Fail> for BoardWriteError {
    fn from(fail: Fail) -> Self {
        match fail {
            Fail::NameTaken => BoardWriteError::NameTaken,
            Fail::Db(err) => BoardWriteError::Infra(db_err(err)),
        }
    }
}

/// Membership writes set no name: their only failures are the database's.
fn membership_failure(fail: Fail) -> InfraError {
    match fail {
        Fail::Db(err) => db_err(err),
        Fail::NameTaken => InfraError::internal("a membership change reported a taken name"),
    }
}

/// Runs `attempt` again when it lost a race with a concurrent membership change: a
/// duplicate key on `board_member` (another transaction inserted the same pair first) or a
/// deadlock. Each attempt is one whole transaction, so a retry starts from fresh data.
async fn retry_races<T, F, Fut>(mut attempt: F) -> Result<T, Fail>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Fail>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(Fail::Db(err)) if tries < RACE_ATTEMPTS && (is_unique_violation(&err) || is_deadlock(&err)) => {
                tracing::debug!(error = %err, tries, "membership change lost a race; running it again");
                // A short, growing pause lets the winner commit before the next attempt.
                tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(tries))).await;
                tries += 1;
            }
            other => return other,
        }
    }
}

/// Inserts `(board_id, user_id)` pairs in chunks.
async fn insert_members<C: ConnectionTrait>(
    conn: &C,
    pairs: impl IntoIterator<Item = (BoardId, UserId)>,
    at: Timestamp,
) -> Result<(), DbErr> {
    let rows: Vec<board_member::ActiveModel> = pairs
        .into_iter()
        .map(|(board_id, user_id)| board_member::ActiveModel {
            board_id: Set(board_id),
            user_id: Set(user_id),
            create_date: Set(at),
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        board_member::Entity::insert_many(chunk.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Makes `user_ids` exactly the members of `board_id`: removes the others, adds the missing.
async fn replace_board_members<C: ConnectionTrait>(
    conn: &C,
    board_id: BoardId,
    user_ids: &[UserId],
    at: Timestamp,
) -> Result<(), DbErr> {
    let mut delete = board_member::Entity::delete_many().filter(board_member::Column::BoardId.eq(board_id));
    if !user_ids.is_empty() {
        delete = delete.filter(board_member::Column::UserId.is_not_in(user_ids.iter().copied()));
    }
    delete.exec(conn).await?;
    if user_ids.is_empty() {
        return Ok(());
    }
    let present: BTreeSet<UserId> = board_member::Entity::find()
        .select_only()
        .column(board_member::Column::UserId)
        .filter(board_member::Column::BoardId.eq(board_id))
        .into_tuple::<UserId>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let missing = user_ids.iter().filter(|id| !present.contains(id)).map(|user_id| (board_id, *user_id));
    insert_members(conn, missing, at).await
}

fn restricted_board_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(board_entity::Column::Id)
        .from(board_entity::Entity)
        .and_where(board_entity::Column::Access.eq(BoardAccess::Restricted.as_str()))
        .to_owned()
}

impl SqlBoardRepository {
    async fn try_update(
        &self,
        id: BoardId,
        changes: &BoardChanges,
        member_ids: Option<&[UserId]>,
        at: Timestamp,
    ) -> Result<Option<Board>, Fail> {
        let mut model = board_entity::ActiveModel { update_date: Set(at), ..Default::default() };
        if let Some(name) = &changes.name {
            model.name = Set(name.as_str().to_owned());
        }
        if let Some(information) = &changes.information {
            model.information = Set(information.as_str().to_owned());
        }
        if let Some(is_visible) = changes.is_visible {
            model.is_visible = Set(is_visible);
        }
        if let Some(is_available) = changes.is_available {
            model.is_available = Set(is_available);
        }
        if let Some(access) = changes.access {
            model.access = Set(access.as_str().to_owned());
        }
        if changes.restore {
            model.delete_date = Set(None);
        }
        let txn = self.db.begin().await?;
        // The write comes first: it locks the board row (so that concurrent updates of one
        // board queue up) and takes SQLite's write lock at once.
        let updated = match board_entity::Entity::update_many()
            .set(model)
            .filter(board_entity::Column::Id.eq(id))
            .exec(&txn)
            .await
        {
            Ok(result) => result.rows_affected,
            Err(err) if is_unique_violation(&err) => return Err(Fail::NameTaken),
            Err(err) => return Err(err.into()),
        };
        if updated == 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        if let Some(ids) = member_ids {
            replace_board_members(&txn, id, ids, at).await?;
        }
        let board = board_entity::Entity::find_by_id(id).one(&txn).await?;
        txn.commit().await?;
        Ok(board.map(board_to_domain))
    }

    async fn try_replace_memberships(&self, user_id: UserId, board_ids: &[BoardId], at: Timestamp) -> Result<(), Fail> {
        let txn = self.db.begin().await?;
        // Replacements of one user's memberships queue up behind the user's row lock rather
        // than deadlock over board_member's index ranges (MySQL's gap locks). SQLite has one
        // writer at a time anyway, and its transaction must start with the write.
        if txn.get_database_backend() != DbBackend::Sqlite {
            users::Entity::find_by_id(user_id)
                .select_only()
                .column(users::Column::Id)
                .lock_exclusive()
                .into_tuple::<UserId>()
                .one(&txn)
                .await?;
        }
        let mut delete = board_member::Entity::delete_many()
            .filter(board_member::Column::UserId.eq(user_id))
            .filter(board_member::Column::BoardId.in_subquery(restricted_board_ids()));
        if !board_ids.is_empty() {
            delete = delete.filter(board_member::Column::BoardId.is_not_in(board_ids.iter().copied()));
        }
        delete.exec(&txn).await?;
        if !board_ids.is_empty() {
            let present: BTreeSet<BoardId> = board_member::Entity::find()
                .select_only()
                .column(board_member::Column::BoardId)
                .filter(board_member::Column::UserId.eq(user_id))
                .filter(board_member::Column::BoardId.is_in(board_ids.iter().copied()))
                .into_tuple::<BoardId>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            let missing = board_ids.iter().filter(|id| !present.contains(id)).map(|board_id| (*board_id, user_id));
            insert_members(&txn, missing, at).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    async fn page(&self, condition: Condition, page: PageRequest) -> Result<Page<Board>, InfraError> {
        let mut query = board_entity::Entity::find()
            .filter(condition)
            .order_by_asc(board_entity::Column::Id)
            .limit(page.fetch_limit());
        if let Some(after) = page.after {
            query = query.filter(board_entity::Column::Id.gt(after.id));
        }
        let rows = query.all(&self.db).await.map_err(db_err)?;
        Ok(Page::from_rows(rows.into_iter().map(board_to_domain).collect(), &page, |b| Cursor::by_id(b.id)))
    }
}

#[async_trait]
impl BoardRepository for SqlBoardRepository {
    async fn create(&self, board: NewBoard, at: Timestamp) -> Result<Board, BoardWriteError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        let model = board_entity::ActiveModel {
            name: Set(board.name.as_str().to_owned()),
            information: Set(board.information.as_str().to_owned()),
            is_visible: Set(board.is_visible),
            is_available: Set(board.is_available),
            access: Set(board.access.as_str().to_owned()),
            create_date: Set(at),
            update_date: Set(at),
            delete_date: Set(None),
            ..Default::default()
        };
        // The insert comes first: on PostgreSQL a failed statement aborts the transaction.
        let created = match model.insert(&txn).await {
            Ok(created) => created,
            Err(err) if is_unique_violation(&err) => return Err(BoardWriteError::NameTaken),
            Err(err) => return Err(BoardWriteError::Infra(db_err(err))),
        };
        insert_members(&txn, board.member_ids.iter().map(|user_id| (created.id, *user_id)), at)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(board_to_domain(created))
    }

    async fn update(
        &self,
        id: BoardId,
        changes: BoardChanges,
        member_ids: Option<Vec<UserId>>,
        at: Timestamp,
    ) -> Result<Option<Board>, BoardWriteError> {
        Ok(retry_races(|| self.try_update(id, &changes, member_ids.as_deref(), at)).await?)
    }

    async fn mark_deleted(&self, id: BoardId, at: Timestamp) -> Result<bool, InfraError> {
        let model = board_entity::ActiveModel {
            is_visible: Set(false),
            is_available: Set(false),
            delete_date: Set(Some(at)),
            update_date: Set(at),
            ..Default::default()
        };
        let result = board_entity::Entity::update_many()
            .set(model)
            .filter(board_entity::Column::Id.eq(id))
            .filter(board_entity::Column::DeleteDate.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Board>, InfraError> {
        let model = board_entity::Entity::find()
            .filter(board_entity::Column::Name.eq(name))
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(model.map(board_to_domain))
    }

    async fn find_many(&self, ids: Vec<BoardId>) -> Result<Vec<Board>, InfraError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = board_entity::Entity::find()
            .filter(board_entity::Column::Id.is_in(ids))
            .order_by_asc(board_entity::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(board_to_domain).collect())
    }

    async fn list_all(&self, page: PageRequest) -> Result<Page<Board>, InfraError> {
        self.page(Condition::all(), page).await
    }

    async fn list_readable(&self, user_id: UserId, page: PageRequest) -> Result<Page<Board>, InfraError> {
        let memberships = Query::select()
            .column(board_member::Column::BoardId)
            .from(board_member::Entity)
            .and_where(board_member::Column::UserId.eq(user_id))
            .to_owned();
        let condition = Condition::all()
            .add(board_entity::Column::IsVisible.eq(true))
            .add(board_entity::Column::DeleteDate.is_null())
            .add(
                Condition::any()
                    .add(board_entity::Column::Access.eq(BoardAccess::Public.as_str()))
                    .add(board_entity::Column::Id.in_subquery(memberships)),
            );
        self.page(condition, page).await
    }

    async fn members_of(&self, board_ids: Vec<BoardId>) -> Result<Vec<(BoardId, UserId)>, InfraError> {
        if board_ids.is_empty() {
            return Ok(Vec::new());
        }
        board_member::Entity::find()
            .select_only()
            .column(board_member::Column::BoardId)
            .column(board_member::Column::UserId)
            .filter(board_member::Column::BoardId.is_in(board_ids))
            .order_by_asc(board_member::Column::BoardId)
            .order_by_asc(board_member::Column::UserId)
            .into_tuple::<(BoardId, UserId)>()
            .all(&self.db)
            .await
            .map_err(db_err)
    }

    async fn restricted_boards_of(&self, user_id: UserId) -> Result<Vec<BoardId>, InfraError> {
        board_member::Entity::find()
            .select_only()
            .column(board_member::Column::BoardId)
            .join(JoinType::InnerJoin, board_member::Relation::Board.def())
            .filter(board_member::Column::UserId.eq(user_id))
            .filter(board_entity::Column::Access.eq(BoardAccess::Restricted.as_str()))
            .order_by_asc(board_member::Column::BoardId)
            .into_tuple::<BoardId>()
            .all(&self.db)
            .await
            .map_err(db_err)
    }

    async fn replace_restricted_memberships(
        &self,
        user_id: UserId,
        board_ids: Vec<BoardId>,
        at: Timestamp,
    ) -> Result<(), InfraError> {
        retry_races(|| self.try_replace_memberships(user_id, &board_ids, at)).await.map_err(membership_failure)
    }

    async fn add_member(&self, board_id: BoardId, user_id: UserId, at: Timestamp) -> Result<bool, InfraError> {
        let attempt = || async {
            let row =
                board_member::ActiveModel { board_id: Set(board_id), user_id: Set(user_id), create_date: Set(at) };
            match board_member::Entity::insert(row).exec_without_returning(&self.db).await {
                Ok(_) => Ok(true),
                // Already a member, also when a concurrent add won: not a race to run again.
                Err(err) if is_unique_violation(&err) => Ok(false),
                Err(err) => Err(Fail::Db(err)),
            }
        };
        retry_races(attempt).await.map_err(membership_failure)
    }

    async fn remove_member(&self, board_id: BoardId, user_id: UserId) -> Result<bool, InfraError> {
        let result = board_member::Entity::delete_by_id((board_id, user_id)).exec(&self.db).await.map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn unknown_users(&self, ids: Vec<UserId>) -> Result<Vec<UserId>, InfraError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: BTreeSet<UserId> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Id.is_in(ids.iter().copied()))
            .into_tuple::<UserId>()
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .collect();
        let mut unknown: Vec<UserId> = ids.into_iter().filter(|id| !found.contains(id)).collect();
        unknown.sort_unstable();
        unknown.dedup();
        Ok(unknown)
    }
}
