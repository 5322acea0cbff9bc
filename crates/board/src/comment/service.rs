//! The comment use cases: write (raising the post's count), read, edit, delete, list.

use std::sync::Arc;

use kernel::{Actor, Clock, FieldErrors, Page, PageRequest};

use crate::board::access::BoardGate;
use crate::comment::model::{Comment, CommentContent, CommentId, LocatedComment, NewComment};
use crate::comment::ports::CommentRepository;
use crate::error::BoardError;
use crate::post::model::{Author, PostId};
use crate::post::ports::PostRepository;
use crate::post::service::is_author_or_admin;

/// Comments on posts.
pub struct CommentService {
    comments: Arc<dyn CommentRepository>,
    posts: Arc<dyn PostRepository>,
    gate: BoardGate,
    clock: Arc<dyn Clock>,
}

fn parse_content(raw: &str) -> Result<CommentContent, BoardError> {
    let mut errors = FieldErrors::new();
    match errors.check("content", CommentContent::parse(raw)) {
        Some(content) => Ok(content),
        None => Err(BoardError::Validation(errors)),
    }
}

impl CommentService {
    pub fn new(
        comments: Arc<dyn CommentRepository>,
        posts: Arc<dyn PostRepository>,
        gate: BoardGate,
        clock: Arc<dyn Clock>,
    ) -> Self {
        CommentService { comments, posts, gate, clock }
    }

    /// Comments on a post of a board the actor may write in.
    pub async fn create(&self, actor: &Actor, post_id: PostId, content: &str) -> Result<Comment, BoardError> {
        let post = self.posts.find(post_id).await?.ok_or(BoardError::PostNotFound)?;
        self.gate.writable(actor, post.board_id).await.map_err(|err| err.hidden_as(BoardError::PostNotFound))?;
        let content = parse_content(content)?;
        let author = Author { id: actor.id, name: actor.name.clone() };
        let new = NewComment { post_id, author, content, at: self.clock.now() };
        self.comments.create(new).await?.ok_or(BoardError::PostNotFound)
    }

    /// A page of a post's comments, oldest first.
    pub async fn list(&self, actor: &Actor, post_id: PostId, page: PageRequest) -> Result<Page<Comment>, BoardError> {
        let post = self.posts.find(post_id).await?.ok_or(BoardError::PostNotFound)?;
        self.gate.readable(actor, post.board_id).await.map_err(|err| err.hidden_as(BoardError::PostNotFound))?;
        Ok(self.comments.list(post_id, page).await?)
    }

    /// A visible comment the actor may change: on a writable board, by its author or an admin.
    async fn own(&self, actor: &Actor, id: CommentId) -> Result<LocatedComment, BoardError> {
        let located = self.comments.find(id).await?.ok_or(BoardError::CommentNotFound)?;
        self.gate.writable(actor, located.board_id).await.map_err(|err| err.hidden_as(BoardError::CommentNotFound))?;
        if !is_author_or_admin(actor, located.comment.author.id) {
            return Err(BoardError::NotCommentAuthor);
        }
        Ok(located)
    }

    /// Replaces a comment's content; the author or an admin only.
    pub async fn update(&self, actor: &Actor, id: CommentId, content: &str) -> Result<Comment, BoardError> {
        self.own(actor, id).await?;
        let content = parse_content(content)?;
        if !self.comments.update(id, content, self.clock.now()).await? {
            return Err(BoardError::CommentNotFound);
        }
        let located = self.comments.find(id).await?.ok_or(BoardError::CommentNotFound)?;
        Ok(located.comment)
    }

    /// Soft-deletes a comment, lowering its post's count; the author or an admin only.
    pub async fn delete(&self, actor: &Actor, id: CommentId) -> Result<(), BoardError> {
        self.own(actor, id).await?;
        if !self.comments.delete(id, self.clock.now()).await? {
            return Err(BoardError::CommentNotFound);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
