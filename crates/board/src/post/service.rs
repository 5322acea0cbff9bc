//! The post use cases: write, read (counting a view), edit, delete, list, like.

use std::sync::Arc;

use kernel::{Actor, Clock, FieldErrors, Page, PageRequest};

use crate::board::access::BoardGate;
use crate::board::model::BoardId;
use crate::error::BoardError;
use crate::post::model::{Author, NewPost, Post, PostChanges, PostContent, PostDetail, PostFilter, PostId, Title};
use crate::post::ports::PostRepository;
use crate::view::ViewCounter;

/// Posts, their likes and views.
pub struct PostService {
    posts: Arc<dyn PostRepository>,
    gate: BoardGate,
    views: Arc<ViewCounter>,
    clock: Arc<dyn Clock>,
}

/// Whether `actor` wrote what belongs to `author_id`, or is an admin.
pub(crate) fn is_author_or_admin(actor: &Actor, author_id: kernel::UserId) -> bool {
    actor.is_admin() || actor.id == author_id
}

impl PostService {
    pub fn new(
        posts: Arc<dyn PostRepository>,
        gate: BoardGate,
        views: Arc<ViewCounter>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PostService { posts, gate, views, clock }
    }

    /// The stored count plus the views not flushed yet.
    fn with_pending_views(&self, mut post: Post) -> Post {
        post.number_of_view += i64::try_from(self.views.pending(post.id)).unwrap_or(i64::MAX);
        post
    }

    /// A visible post, checked against the board's rules (`writable` for changes).
    async fn visible(&self, actor: &Actor, id: PostId, write: bool) -> Result<Post, BoardError> {
        let post = self.posts.find(id).await?.ok_or(BoardError::PostNotFound)?;
        let allowed = if write {
            self.gate.writable(actor, post.board_id).await
        } else {
            self.gate.readable(actor, post.board_id).await
        };
        allowed.map_err(|err| err.hidden_as(BoardError::PostNotFound))?;
        Ok(post)
    }

    /// Writes a post on a board the actor may write in.
    pub async fn create(
        &self,
        actor: &Actor,
        board_id: BoardId,
        title: &str,
        content: &str,
    ) -> Result<PostDetail, BoardError> {
        self.gate.writable(actor, board_id).await?;
        let mut errors = FieldErrors::new();
        let title = errors.check("title", Title::parse(title));
        let content = errors.check("content", PostContent::parse(content));
        let (Some(title), Some(content)) = (title, content) else {
            return Err(BoardError::Validation(errors));
        };
        let author = Author { id: actor.id, name: actor.name.clone() };
        let post = self.posts.create(NewPost { board_id, author, title, content, at: self.clock.now() }).await?;
        Ok(PostDetail { post, liked_by_me: false, attachments: Vec::new() })
    }

    /// Reads a post and counts one view; the answer's `number_of_view` includes it.
    pub async fn read(&self, actor: &Actor, id: PostId) -> Result<PostDetail, BoardError> {
        let _stable = self.views.stable().await;
        let (mut detail, board) = self.posts.find_detail(id, actor.id).await?.ok_or(BoardError::PostNotFound)?;
        // The board came with the post (in the same query, or from the read cache): the gate
        // checks its rules as loaded and asks for membership anew.
        self.gate.check_readable(actor, &board).await.map_err(|err| err.hidden_as(BoardError::PostNotFound))?;
        let pending = self.views.record(id);
        detail.post.number_of_view += i64::try_from(pending).unwrap_or(i64::MAX);
        Ok(detail)
    }

    /// The post as it is now, without counting a view.
    async fn reload(&self, actor: &Actor, id: PostId) -> Result<PostDetail, BoardError> {
        let _stable = self.views.stable().await;
        let (mut detail, _) = self.posts.find_detail(id, actor.id).await?.ok_or(BoardError::PostNotFound)?;
        detail.post = self.with_pending_views(detail.post);
        Ok(detail)
    }

    /// Edits the title and/or content; the author or an admin only.
    pub async fn update(
        &self,
        actor: &Actor,
        id: PostId,
        title: Option<&str>,
        content: Option<&str>,
    ) -> Result<PostDetail, BoardError> {
        let post = self.visible(actor, id, true).await?;
        if !is_author_or_admin(actor, post.author.id) {
            return Err(BoardError::NotPostAuthor);
        }
        let changes = PostChanges::parse(title, content)?;
        let updated = self.posts.update(id, changes, self.clock.now()).await?;
        if !updated {
            return Err(BoardError::PostNotFound);
        }
        self.reload(actor, id).await
    }

    /// Soft-deletes a post, hiding its comments and files; the author or an admin only.
    pub async fn delete(&self, actor: &Actor, id: PostId) -> Result<(), BoardError> {
        let post = self.visible(actor, id, true).await?;
        if !is_author_or_admin(actor, post.author.id) {
            return Err(BoardError::NotPostAuthor);
        }
        let deleted = self.posts.delete(id, self.clock.now()).await?;
        if !deleted {
            return Err(BoardError::PostNotFound);
        }
        Ok(())
    }

    /// A page of a board's posts in the filter's order.
    pub async fn list(
        &self,
        actor: &Actor,
        board_id: BoardId,
        filter: PostFilter,
        page: PageRequest,
    ) -> Result<Page<Post>, BoardError> {
        self.gate.readable(actor, board_id).await?;
        let _stable = self.views.stable().await;
        let page = self.posts.list(board_id, filter, page).await?;
        Ok(page.map(|post| self.with_pending_views(post)))
    }

    /// Likes a post; liking twice is one like.
    pub async fn like(&self, actor: &Actor, id: PostId) -> Result<(), BoardError> {
        self.visible(actor, id, true).await?;
        self.posts.like(id, actor.id, self.clock.now()).await?;
        Ok(())
    }

    /// Takes a like back; without a like, nothing happens.
    pub async fn unlike(&self, actor: &Actor, id: PostId) -> Result<(), BoardError> {
        self.visible(actor, id, true).await?;
        self.posts.unlike(id, actor.id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
