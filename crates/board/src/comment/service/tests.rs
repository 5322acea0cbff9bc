//! Rules of the comment service, checked against mocked ports.

use std::sync::Arc;

use kernel::{Page, PageRequest};
use mockall::predicate::eq;

use super::*;
use crate::board::model::BoardAccess;
use crate::comment::ports::MockCommentRepository;
use crate::post::ports::MockPostRepository;
use crate::test_support::{admin, board, clock, comment, gate, open_gate, post, user};

struct Fixture {
    comments: MockCommentRepository,
    posts: MockPostRepository,
    gate: BoardGate,
}

impl Fixture {
    fn new() -> Self {
        let mut posts = MockPostRepository::new();
        posts.expect_find().with(eq(5)).returning(|_| Ok(Some(post(5, 2))));
        posts.expect_find().returning(|_| Ok(None));
        Fixture { comments: MockCommentRepository::new(), posts, gate: open_gate() }
    }

    fn with_comment(&mut self, comment: Comment) {
        self.comments
            .expect_find()
            .with(eq(comment.id))
            .returning(move |_| Ok(Some(LocatedComment { comment: comment.clone(), board_id: 1 })));
    }

    fn build(self) -> CommentService {
        CommentService::new(Arc::new(self.comments), Arc::new(self.posts), self.gate, clock())
    }
}

#[tokio::test]
async fn commenting_writes_through_the_counting_repository_call() {
    let mut f = Fixture::new();
    f.comments
        .expect_create()
        .withf(|new| new.post_id == 5 && new.author.id == 3 && new.content.as_str() == "hello")
        .times(1)
        .returning(|_| Ok(Some(comment(1, 3))));
    let service = f.build();
    assert_eq!(service.create(&user(3), 5, "hello").await.unwrap().id, 1);
}

#[tokio::test]
async fn comments_on_missing_or_vanished_posts_are_not_found() {
    let mut f = Fixture::new();
    f.comments.expect_create().times(1).returning(|_| Ok(None));
    let service = f.build();
    assert!(matches!(service.create(&user(3), 99, "hello").await, Err(BoardError::PostNotFound)));
    assert!(matches!(service.create(&user(3), 5, "hello").await, Err(BoardError::PostNotFound)), "deleted meanwhile");
}

#[tokio::test]
async fn comment_content_is_one_to_256_characters() {
    let mut f = Fixture::new();
    f.comments.expect_create().never();
    let service = f.build();
    for bad in ["", "   ", &"x".repeat(257)] {
        assert!(matches!(service.create(&user(3), 5, bad).await, Err(BoardError::Validation(_))), "{bad:?}");
    }
}

#[tokio::test]
async fn closed_and_restricted_boards_refuse_comments_from_users() {
    let mut f = Fixture::new();
    f.gate = gate(board(1, BoardAccess::Public, true, false), vec![]);
    f.comments.expect_create().never();
    assert!(matches!(f.build().create(&user(3), 5, "hi").await, Err(BoardError::Closed)));

    let mut f = Fixture::new();
    f.gate = gate(board(1, BoardAccess::Restricted, true, true), vec![]);
    f.comments.expect_list().never();
    let service = f.build();
    assert!(matches!(service.create(&user(3), 5, "hi").await, Err(BoardError::Forbidden)));
    assert!(matches!(service.list(&user(3), 5, PageRequest::first()).await, Err(BoardError::Forbidden)));
}

#[tokio::test]
async fn only_the_author_or_an_admin_may_edit_or_delete_a_comment() {
    let mut f = Fixture::new();
    f.with_comment(comment(1, 3));
    f.comments.expect_update().times(2).returning(|_, _, _| Ok(true));
    f.comments.expect_delete().times(1).returning(|_, _| Ok(true));
    let service = f.build();
    assert!(matches!(service.update(&user(4), 1, "mine now").await, Err(BoardError::NotCommentAuthor)));
    assert!(matches!(service.delete(&user(4), 1).await, Err(BoardError::NotCommentAuthor)));
    assert!(service.update(&user(3), 1, "edited").await.is_ok());
    assert!(service.update(&admin(1), 1, "moderated").await.is_ok());
    assert!(service.delete(&user(3), 1).await.is_ok());
}

#[tokio::test]
async fn deleting_twice_is_not_found_the_second_time() {
    let mut f = Fixture::new();
    f.with_comment(comment(1, 3));
    f.comments.expect_delete().times(1).returning(|_, _| Ok(false));
    f.comments.expect_find().returning(|_| Ok(None));
    let service = f.build();
    assert!(matches!(service.delete(&user(3), 1).await, Err(BoardError::CommentNotFound)));
    assert!(matches!(service.delete(&user(3), 2).await, Err(BoardError::CommentNotFound)));
}

#[tokio::test]
async fn lists_come_from_the_repository_after_the_read_check() {
    let mut f = Fixture::new();
    f.comments
        .expect_list()
        .with(eq(5), eq(PageRequest::first()))
        .times(1)
        .returning(|_, _| Ok(Page { items: vec![comment(1, 3), comment(2, 4)], next: None }));
    let page = f.build().list(&user(9), 5, PageRequest::first()).await.unwrap();
    assert_eq!(page.items.len(), 2);
}
