//! What the post use cases need from storage.

use async_trait::async_trait;
use kernel::{InfraError, Page, PageRequest, Timestamp, UserId};

use crate::board::model::{Board, BoardId};
use crate::post::model::{NewPost, Post, PostChanges, PostDetail, PostFilter, PostId};

/// Storage of posts and likes. Deleted posts (soft-deleted, `is_visible = false`) do not
/// exist for any method but `create`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PostRepository: Send + Sync {
    /// Stores a post with every counter at zero and returns it as read back.
    async fn create(&self, post: NewPost) -> Result<Post, InfraError>;

    /// A visible post with its author (one query).
    async fn find(&self, id: PostId) -> Result<Option<Post>, InfraError>;

    /// A visible post with its author, whether `viewer` likes it, the post's own files, and
    /// the board it is on as stored now (for the access rules). The hot read path: one query
    /// for all but the files, which cost a second one only when the post has any.
    async fn find_detail(&self, id: PostId, viewer: UserId) -> Result<Option<(PostDetail, Board)>, InfraError>;

    /// Whether `viewer` likes the visible post `id` (one query; false when the post is gone).
    async fn liked_by(&self, id: PostId, viewer: UserId) -> Result<bool, InfraError>;

    /// Applies the changes and sets `update_date`; false when the post is gone.
    async fn update(&self, id: PostId, changes: PostChanges, at: Timestamp) -> Result<bool, InfraError>;

    /// Soft-deletes the post (its comments and files disappear with it); false when it was
    /// already gone.
    async fn delete(&self, id: PostId, at: Timestamp) -> Result<bool, InfraError>;

    /// Visible posts of the board in the filter's order, after the page's cursor (the key of
    /// [`crate::PostSort::cursor_of`], ties by id descending). MUST cost a constant number
    /// of queries whatever the page size (authors are joined, never fetched per row).
    async fn list(&self, board_id: BoardId, filter: PostFilter, page: PageRequest) -> Result<Page<Post>, InfraError>;

    /// Records `user_id`'s like. The like row and `number_of_like + 1` MUST be written in one
    /// transaction by atomic SQL; true when a like was added, false when it already existed
    /// or the post is gone (idempotent, also under concurrent calls).
    async fn like(&self, id: PostId, user_id: UserId, at: Timestamp) -> Result<bool, InfraError>;

    /// Removes `user_id`'s like with `number_of_like - 1` in the same transaction; true when a
    /// like was removed, false when there was none.
    async fn unlike(&self, id: PostId, user_id: UserId) -> Result<bool, InfraError>;
}
