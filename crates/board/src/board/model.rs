//! A board as stored.

use kernel::{Id, Timestamp};
use serde::{Deserialize, Serialize};

pub type BoardId = Id;

/// Who may read a visible board: every active user, or its members only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BoardAccess {
    Public,
    Restricted,
}

impl BoardAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            BoardAccess::Public => "public",
            BoardAccess::Restricted => "restricted",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "public" => Ok(BoardAccess::Public),
            "restricted" => Ok(BoardAccess::Restricted),
            _ => Err("must be \"public\" or \"restricted\"".to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    pub id: BoardId,
    pub name: String,
    pub information: String,
    /// Hidden boards, and everything in them, are 404 for non-admins.
    pub is_visible: bool,
    /// Closed boards can be read but not written (403 `board.closed`) by non-admins.
    pub is_available: bool,
    pub access: BoardAccess,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    /// Set by DELETE, which also hides and closes the board; PATCH can restore it.
    pub delete_date: Option<Timestamp>,
}
