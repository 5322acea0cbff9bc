//! Who may read and write a board. Every read and write path of the board domain (boards,
//! posts, comments, likes, attachments) asks [`BoardGate`] first.
//!
//! A user may read a board when it is visible and either public or the user is a member;
//! may write where it may read and the board is available. Admins may do everything
//! everywhere. A hidden board is 404 (its existence is not revealed), a restricted one 403.

use std::sync::Arc;

use async_trait::async_trait;
use kernel::{Actor, InfraError, UserId};

use crate::board::model::{Board, BoardAccess, BoardId};
use crate::error::BoardError;

/// What the access rules need to know about boards.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BoardDirectory: Send + Sync {
    /// The board, deleted ones included.
    async fn find(&self, id: BoardId) -> Result<Option<Board>, InfraError>;
    /// Whether the user is a member of the (restricted) board.
    async fn is_member(&self, board_id: BoardId, user_id: UserId) -> Result<bool, InfraError>;
}

/// Whether `actor` may read `board`, given its membership.
pub fn check_read(actor: &Actor, board: &Board, is_member: bool) -> Result<(), BoardError> {
    if actor.is_admin() {
        return Ok(());
    }
    if !board.is_visible || board.delete_date.is_some() {
        return Err(BoardError::BoardNotFound);
    }
    if board.access == BoardAccess::Restricted && !is_member {
        return Err(BoardError::Forbidden);
    }
    Ok(())
}

/// Whether `actor` may write (post, comment, like, attach) in `board`.
pub fn check_write(actor: &Actor, board: &Board, is_member: bool) -> Result<(), BoardError> {
    check_read(actor, board, is_member)?;
    if !actor.is_admin() && !board.is_available {
        return Err(BoardError::Closed);
    }
    Ok(())
}

/// Applies the access rules to boards looked up by id.
#[derive(Clone)]
pub struct BoardGate {
    directory: Arc<dyn BoardDirectory>,
}

impl BoardGate {
    pub fn new(directory: Arc<dyn BoardDirectory>) -> Self {
        BoardGate { directory }
    }

    async fn load(&self, actor: &Actor, board_id: BoardId) -> Result<(Board, bool), BoardError> {
        let board = self.directory.find(board_id).await?.ok_or(BoardError::BoardNotFound)?;
        let is_member = self.membership(actor, &board).await?;
        Ok((board, is_member))
    }

    /// Whether `actor` is a member of `board`, asked only where it matters.
    async fn membership(&self, actor: &Actor, board: &Board) -> Result<bool, BoardError> {
        Ok(match (actor.is_admin(), board.access) {
            (false, BoardAccess::Restricted) => self.directory.is_member(board.id, actor.id).await?,
            _ => false,
        })
    }

    /// The read rule for a board the caller has just loaded itself, fresh from storage
    /// (e.g. joined into the query that found a post): the same check as
    /// [`readable`](Self::readable) without looking the board up again.
    pub async fn check_readable(&self, actor: &Actor, board: &Board) -> Result<(), BoardError> {
        let is_member = self.membership(actor, board).await?;
        check_read(actor, board, is_member)
    }

    /// The board if `actor` may read it; `BoardNotFound` or `Forbidden` otherwise.
    pub async fn readable(&self, actor: &Actor, board_id: BoardId) -> Result<Board, BoardError> {
        let (board, is_member) = self.load(actor, board_id).await?;
        check_read(actor, &board, is_member)?;
        Ok(board)
    }

    /// The board if `actor` may write in it; `BoardNotFound`, `Forbidden` or `Closed` otherwise.
    pub async fn writable(&self, actor: &Actor, board_id: BoardId) -> Result<Board, BoardError> {
        let (board, is_member) = self.load(actor, board_id).await?;
        check_write(actor, &board, is_member)?;
        Ok(board)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use kernel::test_support::{admin, user};
    use mockall::predicate::eq;

    use super::*;

    fn board(access: BoardAccess, is_visible: bool, is_available: bool) -> Board {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        Board {
            id: 1,
            name: "general".into(),
            information: String::new(),
            is_visible,
            is_available,
            access,
            create_date: t,
            update_date: t,
            delete_date: None,
        }
    }

    #[test]
    fn public_visible_boards_are_readable_by_every_user_without_membership() {
        assert!(check_read(&user(7), &board(BoardAccess::Public, true, true), false).is_ok());
        assert!(check_write(&user(7), &board(BoardAccess::Public, true, true), false).is_ok());
    }

    #[test]
    fn hidden_and_deleted_boards_do_not_exist_for_users() {
        let hidden = board(BoardAccess::Public, false, true);
        assert!(matches!(check_read(&user(7), &hidden, true), Err(BoardError::BoardNotFound)));
        let mut deleted = board(BoardAccess::Public, true, true);
        deleted.delete_date = Some(deleted.create_date);
        assert!(matches!(check_read(&user(7), &deleted, true), Err(BoardError::BoardNotFound)));
    }

    #[test]
    fn restricted_boards_are_for_members_only() {
        let restricted = board(BoardAccess::Restricted, true, true);
        assert!(matches!(check_read(&user(7), &restricted, false), Err(BoardError::Forbidden)));
        assert!(matches!(check_write(&user(7), &restricted, false), Err(BoardError::Forbidden)));
        assert!(check_write(&user(7), &restricted, true).is_ok());
    }

    #[test]
    fn closed_boards_are_readable_but_not_writable() {
        let closed = board(BoardAccess::Public, true, false);
        assert!(check_read(&user(7), &closed, false).is_ok());
        assert!(matches!(check_write(&user(7), &closed, false), Err(BoardError::Closed)));
    }

    #[test]
    fn admins_may_do_everything_everywhere() {
        let mut worst = board(BoardAccess::Restricted, false, false);
        worst.delete_date = Some(worst.create_date);
        assert!(check_write(&admin(1), &worst, false).is_ok());
    }

    #[tokio::test]
    async fn the_gate_asks_for_membership_only_where_it_matters() {
        let mut directory = MockBoardDirectory::new();
        directory.expect_find().with(eq(1)).returning(|_| Ok(Some(board(BoardAccess::Restricted, true, true))));
        directory.expect_is_member().with(eq(1), eq(7)).times(1).returning(|_, _| Ok(true));
        let gate = BoardGate::new(Arc::new(directory));
        assert!(gate.writable(&user(7), 1).await.is_ok());
        assert!(gate.readable(&admin(1), 1).await.is_ok(), "admins need no membership lookup");
    }

    #[tokio::test]
    async fn a_board_loaded_by_the_caller_gets_the_same_rules_without_a_lookup() {
        let mut directory = MockBoardDirectory::new();
        directory.expect_find().never();
        directory.expect_is_member().with(eq(1), eq(7)).times(2).returning(|_, _| Ok(false));
        let gate = BoardGate::new(Arc::new(directory));
        let restricted = board(BoardAccess::Restricted, true, true);
        assert!(matches!(gate.check_readable(&user(7), &restricted).await, Err(BoardError::Forbidden)));
        assert!(gate.check_readable(&admin(1), &restricted).await.is_ok());
        let hidden = board(BoardAccess::Public, false, true);
        assert!(matches!(gate.check_readable(&user(7), &hidden).await, Err(BoardError::BoardNotFound)));
        let closed_restricted = board(BoardAccess::Restricted, true, false);
        assert!(matches!(gate.check_readable(&user(7), &closed_restricted).await, Err(BoardError::Forbidden)));
    }

    #[tokio::test]
    async fn the_gate_reports_unknown_boards_as_not_found() {
        let mut directory = MockBoardDirectory::new();
        directory.expect_find().returning(|_| Ok(None));
        let gate = BoardGate::new(Arc::new(directory));
        assert!(matches!(gate.readable(&user(7), 99).await, Err(BoardError::BoardNotFound)));
    }
}
