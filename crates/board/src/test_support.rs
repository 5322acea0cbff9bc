//! Shared fixtures of the domain's unit tests.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kernel::{ManualClock, Timestamp};

use crate::board::access::{BoardGate, MockBoardDirectory};
use crate::board::model::{Board, BoardAccess};
use crate::comment::model::Comment;
use crate::post::model::{Author, Post};

pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap()
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(t0()))
}

pub use kernel::test_support::{admin, user};

pub fn board(id: i64, access: BoardAccess, is_visible: bool, is_available: bool) -> Board {
    Board {
        id,
        name: format!("board{id}"),
        information: String::new(),
        is_visible,
        is_available,
        access,
        create_date: t0(),
        update_date: t0(),
        delete_date: None,
    }
}

/// A gate over one board with the given flags, of which `members` are members.
pub fn gate(board: Board, members: Vec<i64>) -> BoardGate {
    let mut directory = MockBoardDirectory::new();
    let id = board.id;
    directory.expect_find().returning(move |b| Ok((b == id).then(|| board.clone())));
    directory.expect_is_member().returning(move |_, user| Ok(members.contains(&user)));
    BoardGate::new(Arc::new(directory))
}

/// An open public board 1.
pub fn open_gate() -> BoardGate {
    gate(board(1, BoardAccess::Public, true, true), vec![])
}

pub fn post(id: i64, author: i64) -> Post {
    Post {
        id,
        board_id: 1,
        author: Author { id: author, name: format!("user{author}") },
        title: "title".into(),
        content: "content".into(),
        create_date: t0(),
        update_date: t0(),
        number_of_view: 10,
        number_of_comment: 0,
        number_of_like: 0,
        is_file_attached: false,
    }
}

/// Comment `id` on post 5.
pub fn comment(id: i64, author: i64) -> Comment {
    Comment {
        id,
        post_id: 5,
        author: Author { id: author, name: format!("user{author}") },
        content: "nice".into(),
        create_date: t0(),
        update_date: t0(),
        is_file_attached: false,
        attachments: vec![],
    }
}
