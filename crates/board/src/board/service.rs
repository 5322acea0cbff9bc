//! The use cases of boards and memberships: what admins do to boards (create, change,
//! delete, restore, members) and what every user may see of them. Every admin change is
//! recorded in the audit trail.

use std::collections::BTreeSet;
use std::sync::Arc;

use kernel::{Actor, AuditEntry, AuditLog, Clock, FieldErrors, Id, Page, PageRequest, UserId};
use serde_json::{Map, Value, json};

use crate::board::access::{BoardDirectory, BoardGate, check_write};
use crate::board::model::{Board, BoardAccess, BoardId};
use crate::board::ports::{BoardRepository, BoardWriteError};
use crate::board::values::{BoardChanges, BoardInput, BoardPatch, NewBoard, id_list, parse_board_ids};
use crate::error::BoardError;

/// A board as admins see it: with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminBoard {
    pub board: Board,
    /// Ascending.
    pub member_ids: Vec<UserId>,
}

/// A board the caller may read, and whether it may write (post, comment, like, attach) there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadableBoard {
    pub board: Board,
    pub can_write: bool,
}

/// The ports the service is built from.
pub struct BoardPorts {
    pub boards: Arc<dyn BoardRepository>,
    pub directory: Arc<dyn BoardDirectory>,
    pub audit: Arc<dyn AuditLog>,
    pub clock: Arc<dyn Clock>,
}

/// Boards, their members, and who may see them.
pub struct BoardService {
    boards: Arc<dyn BoardRepository>,
    directory: Arc<dyn BoardDirectory>,
    gate: BoardGate,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
}

/// Admin actions need an admin; `None` is a server-side tool (`admin-cli`), which may.
fn require_admin(by: Option<&Actor>) -> Result<(), BoardError> {
    match by {
        Some(actor) if !actor.is_admin() => Err(BoardError::AdminRequired),
        _ => Ok(()),
    }
}

fn write_error(err: BoardWriteError) -> BoardError {
    match err {
        BoardWriteError::NameTaken => BoardError::NameTaken,
        BoardWriteError::Infra(err) => BoardError::Infra(err),
    }
}

/// Whether `actor` may write in `board`, which it may read. Reading a restricted board
/// already proved membership, so membership is taken as given.
fn can_write(actor: &Actor, board: &Board) -> bool {
    check_write(actor, board, true).is_ok()
}

fn difference(a: &[Id], b: &[Id]) -> Vec<Id> {
    let b: BTreeSet<&Id> = b.iter().collect();
    a.iter().filter(|id| !b.contains(id)).copied().collect()
}

impl BoardService {
    pub fn new(ports: BoardPorts) -> Self {
        BoardService {
            gate: BoardGate::new(ports.directory.clone()),
            boards: ports.boards,
            directory: ports.directory,
            audit: ports.audit,
            clock: ports.clock,
        }
    }

    /// The access rules, for the other use cases of the board domain.
    pub fn gate(&self) -> &BoardGate {
        &self.gate
    }

    async fn record(
        &self,
        by: Option<&Actor>,
        action: &str,
        target_type: &str,
        target_id: Id,
        detail: Value,
    ) -> Result<(), BoardError> {
        let entry = AuditEntry {
            actor_id: by.map(|a| a.id),
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: Some(target_id),
            detail,
            create_date: self.clock.now(),
        };
        Ok(self.audit.record(entry).await?)
    }

    /// `Validation` on `field` naming the ids that are no user.
    async fn check_users_exist(&self, ids: &[UserId], field: &str) -> Result<(), BoardError> {
        if ids.is_empty() {
            return Ok(());
        }
        let unknown = self.boards.unknown_users(ids.to_vec()).await?;
        if unknown.is_empty() {
            return Ok(());
        }
        Err(FieldErrors::single(field, format!("unknown users: {}", id_list(&unknown))).into())
    }

    async fn check_user_exists(&self, user_id: UserId) -> Result<(), BoardError> {
        if self.boards.unknown_users(vec![user_id]).await?.is_empty() { Ok(()) } else { Err(BoardError::UserNotFound) }
    }

    async fn find(&self, id: BoardId) -> Result<Board, BoardError> {
        self.directory.find(id).await?.ok_or(BoardError::BoardNotFound)
    }

    /// Creates a board with its members. `by` is the admin acting, or `None` for a
    /// server-side tool.
    pub async fn create_board(&self, by: Option<&Actor>, input: BoardInput) -> Result<AdminBoard, BoardError> {
        require_admin(by)?;
        let new = NewBoard::parse(&input)?;
        self.check_users_exist(&new.member_ids, "member_ids").await?;
        let member_ids = new.member_ids.clone();
        let board = self.boards.create(new, self.clock.now()).await.map_err(write_error)?;
        let detail = json!({
            "name": board.name,
            "access": board.access.as_str(),
            "is_visible": board.is_visible,
            "is_available": board.is_available,
            "member_ids": member_ids,
        });
        self.record(by, "board.create", "board", board.id, detail).await?;
        tracing::info!(board_id = board.id, actor_id = by.map(|a| a.id), "board created");
        Ok(AdminBoard { board, member_ids })
    }

    /// Changes a board's fields and, when `member_ids` is given, replaces its members. A
    /// change that shows (`is_visible: true`) or opens (`is_available: true`) a deleted board
    /// restores it: its `delete_date` is cleared.
    pub async fn update_board(
        &self,
        by: Option<&Actor>,
        id: BoardId,
        patch: BoardPatch,
    ) -> Result<AdminBoard, BoardError> {
        require_admin(by)?;
        let (mut changes, member_ids) = BoardChanges::parse(&patch)?;
        let before = self.find(id).await?;
        if let Some(ids) = &member_ids {
            self.check_users_exist(ids, "member_ids").await?;
        }
        if changes.is_empty() && member_ids.is_none() {
            return self.admin_board(by, id).await;
        }
        changes.restore = changes.restore && before.delete_date.is_some();
        let detail = Self::update_detail(&changes, member_ids.as_deref());
        let updated = self.boards.update(id, changes, member_ids.clone(), self.clock.now()).await;
        let board = updated.map_err(write_error)?.ok_or(BoardError::BoardNotFound)?;
        let member_ids = match member_ids {
            Some(ids) => ids,
            None => self.member_ids(id).await?,
        };
        self.record(by, "board.update", "board", id, detail).await?;
        Ok(AdminBoard { board, member_ids })
    }

    fn update_detail(changes: &BoardChanges, member_ids: Option<&[UserId]>) -> Value {
        let mut detail = Map::new();
        if let Some(name) = &changes.name {
            detail.insert("name".into(), name.as_str().into());
        }
        if let Some(information) = &changes.information {
            detail.insert("information".into(), information.as_str().into());
        }
        if let Some(is_visible) = changes.is_visible {
            detail.insert("is_visible".into(), is_visible.into());
        }
        if let Some(is_available) = changes.is_available {
            detail.insert("is_available".into(), is_available.into());
        }
        if let Some(access) = changes.access {
            detail.insert("access".into(), access.as_str().into());
        }
        if let Some(ids) = member_ids {
            detail.insert("member_ids".into(), json!(ids));
        }
        if changes.restore {
            detail.insert("restored".into(), true.into());
        }
        Value::Object(detail)
    }

    /// Deletes a board softly: it is hidden and closed and gets a `delete_date`; its posts are
    /// kept and [`update_board`](Self::update_board) can restore it. Deleting a deleted board
    /// changes nothing.
    pub async fn delete_board(&self, by: Option<&Actor>, id: BoardId) -> Result<(), BoardError> {
        require_admin(by)?;
        let board = self.find(id).await?;
        if self.boards.mark_deleted(id, self.clock.now()).await? {
            self.record(by, "board.delete", "board", id, json!({ "name": board.name })).await?;
            tracing::info!(board_id = id, actor_id = by.map(|a| a.id), "board deleted");
        }
        Ok(())
    }

    async fn member_ids(&self, id: BoardId) -> Result<Vec<UserId>, BoardError> {
        Ok(self.boards.members_of(vec![id]).await?.into_iter().map(|(_, user)| user).collect())
    }

    /// One board with its members, whatever its state.
    pub async fn admin_board(&self, by: Option<&Actor>, id: BoardId) -> Result<AdminBoard, BoardError> {
        require_admin(by)?;
        let board = self.find(id).await?;
        let member_ids = self.member_ids(id).await?;
        Ok(AdminBoard { board, member_ids })
    }

    /// Every board, hidden and deleted ones too, with its members; two queries per page.
    pub async fn list_all(&self, by: Option<&Actor>, page: PageRequest) -> Result<Page<AdminBoard>, BoardError> {
        require_admin(by)?;
        let boards = self.boards.list_all(page).await?;
        let ids: Vec<BoardId> = boards.items.iter().map(|b| b.id).collect();
        let pairs = if ids.is_empty() { Vec::new() } else { self.boards.members_of(ids).await? };
        Ok(boards.map(|board| {
            let member_ids = pairs.iter().filter(|(b, _)| *b == board.id).map(|(_, user)| *user).collect();
            AdminBoard { board, member_ids }
        }))
    }

    /// The boards `actor` may read, each with whether it may write there: for users the
    /// visible, undeleted boards that are public or that it is a member of; for admins, who
    /// may do everything everywhere, every board (hidden and deleted ones too), exactly as
    /// [`board`](Self::board) lets them read it.
    pub async fn list_readable(&self, actor: &Actor, page: PageRequest) -> Result<Page<ReadableBoard>, BoardError> {
        let boards = if actor.is_admin() {
            self.boards.list_all(page).await?
        } else {
            self.boards.list_readable(actor.id, page).await?
        };
        Ok(boards.map(|board| ReadableBoard { can_write: can_write(actor, &board), board }))
    }

    /// One board, if `actor` may read it: 404 for hidden, deleted and unknown boards, 403
    /// for a restricted board the caller is not a member of.
    pub async fn board(&self, actor: &Actor, id: BoardId) -> Result<ReadableBoard, BoardError> {
        let board = self.gate.readable(actor, id).await?;
        Ok(ReadableBoard { can_write: can_write(actor, &board), board })
    }

    /// Finds a board by id, or by exact name when `key` is no id of a board (for
    /// server-side tools).
    pub async fn find_board(&self, key: &str) -> Result<Board, BoardError> {
        let key = key.trim();
        if let Ok(id) = key.parse::<BoardId>()
            && let Some(board) = self.directory.find(id).await?
        {
            return Ok(board);
        }
        self.boards.find_by_name(key).await?.ok_or(BoardError::BoardNotFound)
    }

    /// The restricted boards `user_id` is a member of, ascending. The caller has looked the
    /// user up.
    pub async fn memberships(&self, by: Option<&Actor>, user_id: UserId) -> Result<Vec<BoardId>, BoardError> {
        require_admin(by)?;
        Ok(self.boards.restricted_boards_of(user_id).await?)
    }

    /// Makes `board_ids` exactly the restricted boards `user_id` is a member of. Unknown
    /// boards and public boards (which every user may read, so membership grants nothing)
    /// are refused with 422 naming them. Returns the new list, ascending.
    pub async fn replace_memberships(
        &self,
        by: Option<&Actor>,
        user_id: UserId,
        board_ids: &[BoardId],
    ) -> Result<Vec<BoardId>, BoardError> {
        require_admin(by)?;
        let ids = parse_board_ids(board_ids)?;
        self.check_user_exists(user_id).await?;
        let found = if ids.is_empty() { Vec::new() } else { self.boards.find_many(ids.clone()).await? };
        let known: Vec<BoardId> = found.iter().map(|b| b.id).collect();
        let public: Vec<BoardId> = found.iter().filter(|b| b.access == BoardAccess::Public).map(|b| b.id).collect();
        let mut errors = FieldErrors::new();
        let unknown = difference(&ids, &known);
        if !unknown.is_empty() {
            errors.add("board_ids", format!("unknown boards: {}", id_list(&unknown)));
        }
        if !public.is_empty() {
            errors.add(
                "board_ids",
                format!("public boards need no membership (every user may read them): {}", id_list(&public)),
            );
        }
        errors.into_result()?;

        let before = self.boards.restricted_boards_of(user_id).await?;
        self.boards.replace_restricted_memberships(user_id, ids.clone(), self.clock.now()).await?;
        let added = difference(&ids, &before);
        let removed = difference(&before, &ids);
        if !added.is_empty() || !removed.is_empty() {
            let detail = json!({ "board_ids": ids, "added": added, "removed": removed });
            self.record(by, "user.boards.replace", "user", user_id, detail).await?;
            tracing::info!(user_id, actor_id = by.map(|a| a.id), ?added, ?removed, "board memberships replaced");
        }
        Ok(ids)
    }

    /// Admits one user to one restricted board. False when it was a member already.
    pub async fn grant(&self, by: Option<&Actor>, board_id: BoardId, user_id: UserId) -> Result<bool, BoardError> {
        require_admin(by)?;
        let board = self.find(board_id).await?;
        self.check_user_exists(user_id).await?;
        if board.access == BoardAccess::Public {
            return Err(FieldErrors::single(
                "board",
                format!("public boards need no membership (every user may read them): {}", board.id),
            )
            .into());
        }
        let added = self.boards.add_member(board_id, user_id, self.clock.now()).await?;
        if added {
            self.record(by, "board.member.grant", "board", board_id, json!({ "user_id": user_id })).await?;
        }
        Ok(added)
    }

    /// Removes one user from one board's members. False when it was no member.
    pub async fn revoke(&self, by: Option<&Actor>, board_id: BoardId, user_id: UserId) -> Result<bool, BoardError> {
        require_admin(by)?;
        self.find(board_id).await?;
        self.check_user_exists(user_id).await?;
        let removed = self.boards.remove_member(board_id, user_id).await?;
        if removed {
            self.record(by, "board.member.revoke", "board", board_id, json!({ "user_id": user_id })).await?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
