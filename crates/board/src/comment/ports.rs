//! What the comment use cases need from storage.

use async_trait::async_trait;
use kernel::{InfraError, Page, PageRequest, Timestamp};

use crate::comment::model::{Comment, CommentContent, CommentId, LocatedComment, NewComment};
use crate::post::model::PostId;

/// Storage of comments. A comment exists for every method only while it and its post are
/// visible (not soft-deleted).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CommentRepository: Send + Sync {
    /// Stores the comment and raises its post's `number_of_comment` by one in the SAME
    /// transaction, by atomic SQL (`n = n + 1`). `None` when the post is gone (nothing
    /// written).
    async fn create(&self, comment: NewComment) -> Result<Option<Comment>, InfraError>;

    /// A visible comment of a visible post, with its board, author and files.
    async fn find(&self, id: CommentId) -> Result<Option<LocatedComment>, InfraError>;

    /// Replaces the content and sets `update_date`; false when the comment is gone.
    async fn update(&self, id: CommentId, content: CommentContent, at: Timestamp) -> Result<bool, InfraError>;

    /// Soft-deletes the comment and lowers its post's `number_of_comment` by one in the same
    /// transaction; false (nothing changed) when it was already gone.
    async fn delete(&self, id: CommentId, at: Timestamp) -> Result<bool, InfraError>;

    /// The post's visible comments, oldest first (by id), after the cursor (`Cursor::by_id`),
    /// with authors and files, in a constant number of queries.
    async fn list(&self, post_id: PostId, page: PageRequest) -> Result<Page<Comment>, InfraError>;
}
