//! Comments and their content rule.

use kernel::{Id, Timestamp};

use crate::attachment::model::Attachment;
use crate::board::model::BoardId;
use crate::post::model::{Author, PostId};
use kernel::text::content as bounded_text;

pub type CommentId = Id;

/// A visible comment of a visible post, with its author and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    pub author: Author,
    pub content: String,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    pub is_file_attached: bool,
    /// Oldest first.
    pub attachments: Vec<Attachment>,
}

/// A comment with the board it lives on, for the access rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedComment {
    pub comment: Comment,
    pub board_id: BoardId,
}

/// 1..256 characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentContent(String);

impl CommentContent {
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded_text(raw, 1, Self::MAX_CHARS).map(CommentContent)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A comment about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub post_id: PostId,
    pub author: Author,
    pub content: CommentContent,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_one_to_256_characters_and_not_blank() {
        assert!(CommentContent::parse("ok").is_ok());
        assert!(CommentContent::parse(&"ß".repeat(256)).is_ok());
        assert!(CommentContent::parse(&"ß".repeat(257)).is_err());
        assert!(CommentContent::parse("").is_err());
        assert!(CommentContent::parse("\n\t").is_err());
    }
}
