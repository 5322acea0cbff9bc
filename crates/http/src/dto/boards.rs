//! Bodies of the board routes, for users (`/boards`) and admins (`/admin/boards`).

use board::board::values::MAX_MEMBER_IDS;
use board::{AdminBoard, Board, BoardAccess, BoardInformation, BoardInput, BoardName, BoardPatch, ReadableBoard};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::extract::validation::limit;

/// Who may read a visible board: `public`, every active user; `restricted`, its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccessDto {
    Public,
    Restricted,
}

impl From<BoardAccess> for AccessDto {
    fn from(access: BoardAccess) -> Self {
        match access {
            BoardAccess::Public => AccessDto::Public,
            BoardAccess::Restricted => AccessDto::Restricted,
        }
    }
}

/// A board the caller may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardDto {
    pub id: i64,
    pub name: String,
    pub information: String,
    /// False: hidden; only admins see it.
    pub is_visible: bool,
    /// False: closed; readable, but only admins may write in it.
    pub is_available: bool,
    pub access: AccessDto,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    /// When an admin deleted the board; only admins ever see a deleted board.
    pub delete_date: Option<DateTime<Utc>>,
    /// Whether the caller may post, comment, like and attach here.
    pub can_write: bool,
}

impl From<ReadableBoard> for BoardDto {
    fn from(readable: ReadableBoard) -> Self {
        let Board { id, name, information, is_visible, is_available, access, create_date, update_date, delete_date } =
            readable.board;
        BoardDto {
            id,
            name,
            information,
            is_visible,
            is_available,
            access: access.into(),
            create_date,
            update_date,
            delete_date,
            can_write: readable.can_write,
        }
    }
}

/// A board as admins see it, whatever its state, with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminBoardDto {
    pub id: i64,
    pub name: String,
    pub information: String,
    pub is_visible: bool,
    pub is_available: bool,
    pub access: AccessDto,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    /// Set by DELETE (the board is then hidden and closed); a PATCH that sets `is_visible`
    /// or `is_available` to true clears it.
    pub delete_date: Option<DateTime<Utc>>,
    /// The users admitted to the board, ascending. They matter while it is restricted; a
    /// public board keeps its list for the day it is restricted again.
    pub member_ids: Vec<i64>,
}

impl From<AdminBoard> for AdminBoardDto {
    fn from(admin: AdminBoard) -> Self {
        let Board { id, name, information, is_visible, is_available, access, create_date, update_date, delete_date } =
            admin.board;
        AdminBoardDto {
            id,
            name,
            information,
            is_visible,
            is_available,
            access: access.into(),
            create_date,
            update_date,
            delete_date,
            member_ids: admin.member_ids,
        }
    }
}

/// A new board.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct BoardCreateRequest {
    /// Unique; surrounding whitespace is trimmed.
    #[schema(example = "general", min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = limit(BoardName::MAX_CHARS)))]
    pub name: String,
    /// Default empty.
    #[schema(example = "Anything goes", max_length = 512)]
    #[validate(length(max = limit(BoardInformation::MAX_CHARS)))]
    pub information: Option<String>,
    /// Default true.
    pub is_visible: Option<bool>,
    /// Default true.
    pub is_available: Option<bool>,
    /// Default `public`.
    #[schema(value_type = Option<AccessDto>)]
    pub access: Option<String>,
    /// Users admitted to the board; unknown ids are refused with 422.
    #[schema(max_items = 5000)]
    #[validate(length(max = limit(MAX_MEMBER_IDS), code = "items"))]
    pub member_ids: Option<Vec<i64>>,
}

impl From<BoardCreateRequest> for BoardInput {
    fn from(body: BoardCreateRequest) -> Self {
        BoardInput {
            name: body.name,
            information: body.information,
            is_visible: body.is_visible,
            is_available: body.is_available,
            access: body.access,
            member_ids: body.member_ids,
        }
    }
}

/// A change of a board: absent (or null) fields stay as they are. Setting `is_visible` or
/// `is_available` to true restores a deleted board.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct BoardUpdateRequest {
    /// Unique.
    #[schema(min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = limit(BoardName::MAX_CHARS)))]
    pub name: Option<String>,
    #[schema(max_length = 512)]
    #[validate(length(max = limit(BoardInformation::MAX_CHARS)))]
    pub information: Option<String>,
    pub is_visible: Option<bool>,
    pub is_available: Option<bool>,
    #[schema(value_type = Option<AccessDto>)]
    pub access: Option<String>,
    /// Replaces the member list; unknown ids are refused with 422.
    #[schema(max_items = 5000)]
    #[validate(length(max = limit(MAX_MEMBER_IDS), code = "items"))]
    pub member_ids: Option<Vec<i64>>,
}

impl From<BoardUpdateRequest> for BoardPatch {
    fn from(body: BoardUpdateRequest) -> Self {
        BoardPatch {
            name: body.name,
            information: body.information,
            is_visible: body.is_visible,
            is_available: body.is_available,
            access: body.access,
            member_ids: body.member_ids,
        }
    }
}
