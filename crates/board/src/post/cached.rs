//! The post read cache as decorators of the board's storage ports: post reads go through
//! [`PostReadCache`], and every write that can change what a post read shows (the post,
//! its counters, its files, its board, its stored views) drops the affected entries on its
//! way to storage. Services receive these as plain ports and never see the cache, so a new
//! write path cannot forget to invalidate.

use std::sync::Arc;

use async_trait::async_trait;
use kernel::{Clock, InfraError, Page, PageRequest, Timestamp, UserId};

use crate::attachment::model::{AttachTarget, Attachment, AttachmentId, AttachmentRecord, NewAttachment};
use crate::attachment::ports::{AttachWriteError, AttachmentRepository};
use crate::board::model::{Board, BoardId};
use crate::board::ports::{BoardRepository, BoardWriteError};
use crate::board::values::{BoardChanges, NewBoard};
use crate::comment::model::{Comment, CommentContent, CommentId, LocatedComment, NewComment};
use crate::comment::ports::CommentRepository;
use crate::post::model::{NewPost, Post, PostChanges, PostDetail, PostFilter, PostId};
use crate::post::ports::PostRepository;
use crate::post::read_cache::{PostReadCache, SharedPost};
use crate::view::ViewSink;

/// Wraps storage ports so that they share one [`PostReadCache`].
#[derive(Clone)]
pub struct PostReadCaching {
    cache: Arc<PostReadCache>,
    clock: Arc<dyn Clock>,
}

impl PostReadCaching {
    pub fn new(cache: Arc<PostReadCache>, clock: Arc<dyn Clock>) -> Self {
        PostReadCaching { cache, clock }
    }

    /// Post reads served from the cache; post edits, deletes and likes invalidate.
    pub fn posts(&self, inner: Arc<dyn PostRepository>) -> Arc<dyn PostRepository> {
        Arc::new(CachedPosts { inner, cache: self.cache.clone(), clock: self.clock.clone() })
    }

    /// Comment writes invalidate their post (its comment count).
    pub fn comments(&self, inner: Arc<dyn CommentRepository>) -> Arc<dyn CommentRepository> {
        Arc::new(CachedComments { inner, cache: self.cache.clone() })
    }

    /// Attachment writes invalidate the posts that show them.
    pub fn attachments(&self, inner: Arc<dyn AttachmentRepository>) -> Arc<dyn AttachmentRepository> {
        Arc::new(CachedAttachments { inner, cache: self.cache.clone() })
    }

    /// Board changes invalidate every post (each read carries its board).
    pub fn boards(&self, inner: Arc<dyn BoardRepository>) -> Arc<dyn BoardRepository> {
        Arc::new(CachedBoards { inner, cache: self.cache.clone() })
    }

    /// A view flush invalidates the posts whose stored count it raised.
    pub fn view_sink(&self, inner: Arc<dyn ViewSink>) -> Arc<dyn ViewSink> {
        Arc::new(CachedViewSink { inner, cache: self.cache.clone() })
    }
}

struct CachedPosts {
    inner: Arc<dyn PostRepository>,
    cache: Arc<PostReadCache>,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl PostRepository for CachedPosts {
    async fn create(&self, post: NewPost) -> Result<Post, InfraError> {
        self.inner.create(post).await
    }

    async fn find(&self, id: PostId) -> Result<Option<Post>, InfraError> {
        self.inner.find(id).await
    }

    async fn find_detail(&self, id: PostId, viewer: UserId) -> Result<Option<(PostDetail, Board)>, InfraError> {
        let now = self.clock.now();
        if let Some((SharedPost { post, attachments, board }, liked)) = self.cache.get(id, viewer, now) {
            let liked_by_me = match liked {
                Some(liked) => liked,
                None => {
                    let ticket = self.cache.ticket();
                    let liked = self.inner.liked_by(id, viewer).await?;
                    self.cache.put_like(ticket, id, viewer, liked);
                    liked
                }
            };
            return Ok(Some((PostDetail { post, liked_by_me, attachments }, board)));
        }
        let ticket = self.cache.ticket();
        let found = self.inner.find_detail(id, viewer).await?;
        if let Some((detail, board)) = &found {
            let shared =
                SharedPost { post: detail.post.clone(), attachments: detail.attachments.clone(), board: board.clone() };
            self.cache.put(ticket, shared, viewer, detail.liked_by_me, now);
        }
        Ok(found)
    }

    async fn liked_by(&self, id: PostId, viewer: UserId) -> Result<bool, InfraError> {
        self.inner.liked_by(id, viewer).await
    }

    async fn update(&self, id: PostId, changes: PostChanges, at: Timestamp) -> Result<bool, InfraError> {
        let updated = self.inner.update(id, changes, at).await;
        self.cache.forget(id);
        updated
    }

    async fn delete(&self, id: PostId, at: Timestamp) -> Result<bool, InfraError> {
        let deleted = self.inner.delete(id, at).await;
        self.cache.forget(id);
        deleted
    }

    async fn list(&self, board_id: BoardId, filter: PostFilter, page: PageRequest) -> Result<Page<Post>, InfraError> {
        self.inner.list(board_id, filter, page).await
    }

    async fn like(&self, id: PostId, user_id: UserId, at: Timestamp) -> Result<bool, InfraError> {
        let liked = self.inner.like(id, user_id, at).await;
        self.cache.forget(id);
        liked
    }

    async fn unlike(&self, id: PostId, user_id: UserId) -> Result<bool, InfraError> {
        let unliked = self.inner.unlike(id, user_id).await;
        self.cache.forget(id);
        unliked
    }
}

struct CachedComments {
    inner: Arc<dyn CommentRepository>,
    cache: Arc<PostReadCache>,
}

#[async_trait]
impl CommentRepository for CachedComments {
    async fn create(&self, comment: NewComment) -> Result<Option<Comment>, InfraError> {
        let post_id = comment.post_id;
        let created = self.inner.create(comment).await;
        self.cache.forget(post_id);
        created
    }

    async fn find(&self, id: CommentId) -> Result<Option<LocatedComment>, InfraError> {
        self.inner.find(id).await
    }

    async fn update(&self, id: CommentId, content: CommentContent, at: Timestamp) -> Result<bool, InfraError> {
        // A post read shows no comment text: nothing cached changes.
        self.inner.update(id, content, at).await
    }

    async fn delete(&self, id: CommentId, at: Timestamp) -> Result<bool, InfraError> {
        let deleted = self.inner.delete(id, at).await;
        // The port names the comment, not its post; deletes are rare enough to drop all.
        self.cache.clear();
        deleted
    }

    async fn list(&self, post_id: PostId, page: PageRequest) -> Result<Page<Comment>, InfraError> {
        self.inner.list(post_id, page).await
    }
}

struct CachedAttachments {
    inner: Arc<dyn AttachmentRepository>,
    cache: Arc<PostReadCache>,
}

#[async_trait]
impl AttachmentRepository for CachedAttachments {
    async fn count(&self, target: AttachTarget) -> Result<u64, InfraError> {
        self.inner.count(target).await
    }

    async fn create_all(
        &self,
        target: AttachTarget,
        files: Vec<NewAttachment>,
        max_files: u32,
    ) -> Result<Vec<Attachment>, AttachWriteError> {
        let created = self.inner.create_all(target, files, max_files).await;
        match target {
            AttachTarget::Post(post_id) => self.cache.forget(post_id),
            // A post read lists the post's own files only.
            AttachTarget::Comment(_) => {}
        }
        created
    }

    async fn find(&self, id: AttachmentId) -> Result<Option<AttachmentRecord>, InfraError> {
        self.inner.find(id).await
    }

    async fn delete(&self, id: AttachmentId) -> Result<bool, InfraError> {
        let deleted = self.inner.delete(id).await;
        // The port names the file, not its post; deletes are rare enough to drop all.
        self.cache.clear();
        deleted
    }
}

struct CachedBoards {
    inner: Arc<dyn BoardRepository>,
    cache: Arc<PostReadCache>,
}

#[async_trait]
impl BoardRepository for CachedBoards {
    async fn create(&self, board: NewBoard, at: Timestamp) -> Result<Board, BoardWriteError> {
        self.inner.create(board, at).await
    }

    async fn update(
        &self,
        id: BoardId,
        changes: BoardChanges,
        member_ids: Option<Vec<UserId>>,
        at: Timestamp,
    ) -> Result<Option<Board>, BoardWriteError> {
        let updated = self.inner.update(id, changes, member_ids, at).await;
        self.cache.clear();
        updated
    }

    async fn mark_deleted(&self, id: BoardId, at: Timestamp) -> Result<bool, InfraError> {
        let deleted = self.inner.mark_deleted(id, at).await;
        self.cache.clear();
        deleted
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Board>, InfraError> {
        self.inner.find_by_name(name).await
    }

    async fn find_many(&self, ids: Vec<BoardId>) -> Result<Vec<Board>, InfraError> {
        self.inner.find_many(ids).await
    }

    async fn list_all(&self, page: PageRequest) -> Result<Page<Board>, InfraError> {
        self.inner.list_all(page).await
    }

    async fn list_readable(&self, user_id: UserId, page: PageRequest) -> Result<Page<Board>, InfraError> {
        self.inner.list_readable(user_id, page).await
    }

    async fn members_of(&self, board_ids: Vec<BoardId>) -> Result<Vec<(BoardId, UserId)>, InfraError> {
        self.inner.members_of(board_ids).await
    }

    async fn restricted_boards_of(&self, user_id: UserId) -> Result<Vec<BoardId>, InfraError> {
        self.inner.restricted_boards_of(user_id).await
    }

    // Membership is asked anew on every read (cached or not): member writes drop nothing.
    async fn replace_restricted_memberships(
        &self,
        user_id: UserId,
        board_ids: Vec<BoardId>,
        at: Timestamp,
    ) -> Result<(), InfraError> {
        self.inner.replace_restricted_memberships(user_id, board_ids, at).await
    }

    async fn add_member(&self, board_id: BoardId, user_id: UserId, at: Timestamp) -> Result<bool, InfraError> {
        self.inner.add_member(board_id, user_id, at).await
    }

    async fn remove_member(&self, board_id: BoardId, user_id: UserId) -> Result<bool, InfraError> {
        self.inner.remove_member(board_id, user_id).await
    }

    async fn unknown_users(&self, ids: Vec<UserId>) -> Result<Vec<UserId>, InfraError> {
        self.inner.unknown_users(ids).await
    }
}

/// The flush runs while no read is between loading a stored count and adding the pending
/// views ([`crate::ViewCounter::stable`]), so forgetting the flushed posts here means no
/// read adds the new pending count to a stored count cached before the flush.
struct CachedViewSink {
    inner: Arc<dyn ViewSink>,
    cache: Arc<PostReadCache>,
}

#[async_trait]
impl ViewSink for CachedViewSink {
    async fn add_views(&self, counts: &[(PostId, u64)]) -> Result<(), InfraError> {
        let added = self.inner.add_views(counts).await;
        for (post, _) in counts {
            self.cache.forget(*post);
        }
        added
    }
}
