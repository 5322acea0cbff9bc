//! What the board service needs from storage. Adapters implement these contracts; the
//! service relies on nothing else. (The access rules' own port is
//! [`BoardDirectory`](crate::board::access::BoardDirectory).)

use async_trait::async_trait;
use kernel::{InfraError, Page, PageRequest, Timestamp, UserId};

use crate::board::model::{Board, BoardId};
use crate::board::values::{BoardChanges, NewBoard};

/// Why a board could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BoardWriteError {
    #[error("name taken")]
    NameTaken,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Storage of boards and of their members.
///
/// Members are `(board, user)` pairs. They decide who reads a restricted board; a public
/// board's members are kept (and count again once it is restricted) but grant nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BoardRepository: Send + Sync {
    /// Inserts the board (`create_date` = `update_date` = `at`) and its `member_ids` in one
    /// transaction. MUST return `NameTaken` when a board with the same name exists, also when
    /// two creates race. The caller has checked that every member exists.
    async fn create(&self, board: NewBoard, at: Timestamp) -> Result<Board, BoardWriteError>;

    /// Applies `changes` (setting `update_date` = `at`, and clearing `delete_date` when
    /// `changes.restore`) and, when `member_ids` is given, makes exactly those users the
    /// members, all in one transaction. `Ok(None)` when the board does not exist. MUST return
    /// `NameTaken` like `create`.
    async fn update(
        &self,
        id: BoardId,
        changes: BoardChanges,
        member_ids: Option<Vec<UserId>>,
        at: Timestamp,
    ) -> Result<Option<Board>, BoardWriteError>;

    /// Hides and closes the board and sets `delete_date` = `at`, unless it is deleted already.
    /// True only for the call that deleted it (so that concurrent deletes record one action).
    async fn mark_deleted(&self, id: BoardId, at: Timestamp) -> Result<bool, InfraError>;

    /// The board with exactly this name, deleted ones included.
    async fn find_by_name(&self, name: &str) -> Result<Option<Board>, InfraError>;

    /// The boards among `ids` that exist, deleted ones included, in id order.
    async fn find_many(&self, ids: Vec<BoardId>) -> Result<Vec<Board>, InfraError>;

    /// Every board, hidden and deleted ones included, by id ascending after the cursor
    /// (`Cursor::by_id`).
    async fn list_all(&self, page: PageRequest) -> Result<Page<Board>, InfraError>;

    /// The boards `user_id` may read as a non-admin: visible, not deleted, and public or with
    /// the user as a member. Ordered and paged like `list_all`; one query per page.
    async fn list_readable(&self, user_id: UserId, page: PageRequest) -> Result<Page<Board>, InfraError>;

    /// The members of each of `board_ids`, as `(board_id, user_id)` pairs ordered by board
    /// then user, in one query.
    async fn members_of(&self, board_ids: Vec<BoardId>) -> Result<Vec<(BoardId, UserId)>, InfraError>;

    /// The ids of the restricted boards `user_id` is a member of, ascending.
    async fn restricted_boards_of(&self, user_id: UserId) -> Result<Vec<BoardId>, InfraError>;

    /// Makes `board_ids` (all restricted boards) exactly the restricted boards `user_id` is a
    /// member of, in one transaction; memberships of public boards stay. MUST leave exactly
    /// that set when two replacements (or a replacement and a board update) race.
    async fn replace_restricted_memberships(
        &self,
        user_id: UserId,
        board_ids: Vec<BoardId>,
        at: Timestamp,
    ) -> Result<(), InfraError>;

    /// Adds one membership. False when it existed already, also when two adds race.
    async fn add_member(&self, board_id: BoardId, user_id: UserId, at: Timestamp) -> Result<bool, InfraError>;

    /// Removes one membership. False when there was none.
    async fn remove_member(&self, board_id: BoardId, user_id: UserId) -> Result<bool, InfraError>;

    /// The ids among `ids` that name no user, ascending.
    async fn unknown_users(&self, ids: Vec<UserId>) -> Result<Vec<UserId>, InfraError>;
}
