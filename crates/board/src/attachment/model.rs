//! Attachments as stored, and the metadata rules of uploaded files.

use kernel::{Id, Timestamp, UserId};

use crate::board::model::BoardId;
use crate::comment::model::CommentId;
use crate::post::model::PostId;

pub type AttachmentId = Id;

/// What a file is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachTarget {
    Post(PostId),
    Comment(CommentId),
}

/// A file's metadata. The file itself lives in the file store under a random name that
/// never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub post_id: PostId,
    /// Set when the file belongs to a comment of the post.
    pub comment_id: Option<CommentId>,
    /// The uploader.
    pub user_id: UserId,
    /// The client's file name, reduced to a harmless base name.
    pub original_name: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub create_date: Timestamp,
}

/// An attachment with what the access rules need to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    pub attachment: Attachment,
    /// The name of the file in the file store.
    pub stored_name: String,
    /// The board of the post it belongs to.
    pub board_id: BoardId,
    /// The author of the post or comment it is attached to.
    pub target_author: UserId,
}

/// A stored file about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub stored_name: String,
    pub original_name: String,
    pub content_type: String,
    pub size: i64,
    pub user_id: UserId,
    pub at: Timestamp,
}

/// The most characters of an original name that are kept.
pub const MAX_ORIGINAL_NAME_CHARS: usize = 255;

/// Reduces a client's file name to metadata that is harmless anywhere it is shown: the last
/// path component only (`../../etc/passwd` becomes `passwd`), no control characters, at
/// most 255 characters; `file` when nothing is left.
pub fn sanitize_original_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(MAX_ORIGINAL_NAME_CHARS).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." { "file".to_owned() } else { cleaned.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_names_lose_their_paths_and_control_characters() {
        assert_eq!(sanitize_original_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(sanitize_original_name(Some("C:\\Users\\me\\photo.png")), "photo.png");
        assert_eq!(sanitize_original_name(Some("a\r\nb\0.txt")), "ab.txt");
        assert_eq!(sanitize_original_name(Some("..")), "file");
        assert_eq!(sanitize_original_name(Some("dir/")), "file");
        assert_eq!(sanitize_original_name(None), "file");
        assert_eq!(sanitize_original_name(Some("résumé 2026.pdf")), "résumé 2026.pdf");
        assert_eq!(sanitize_original_name(Some(&"x".repeat(400))).chars().count(), 255);
    }
}
