//! Rules of the post service, checked against mocked ports.

use std::sync::Arc;

use kernel::{InfraError, PageRequest};
use mockall::predicate::{always, eq};

use super::*;
use crate::board::model::{Board, BoardAccess};
use crate::comment::model::Comment;
use crate::comment::ports::MockCommentRepository;
use crate::comment::service::CommentService;
use crate::post::cached::PostReadCaching;
use crate::post::model::PostSort;
use crate::post::ports::MockPostRepository;
use crate::post::read_cache::PostReadCache;
use crate::test_support::{admin, board, clock, comment, gate, open_gate, post, user};
use crate::view::MockViewSink;

struct Fixture {
    posts: MockPostRepository,
    gate: BoardGate,
    /// The board `find_detail` reads with the post.
    board: Board,
    sink: MockViewSink,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            posts: MockPostRepository::new(),
            gate: open_gate(),
            board: board(1, BoardAccess::Public, true, true),
            sink: MockViewSink::new(),
        }
    }

    /// The board is stored with these flags: the gate and `find_detail` both see them.
    fn with_board(&mut self, board: Board, members: Vec<i64>) {
        self.gate = gate(board.clone(), members);
        self.board = board;
    }

    fn build(self) -> (PostService, Arc<ViewCounter>) {
        let views = Arc::new(ViewCounter::new(Arc::new(self.sink)));
        (PostService::new(Arc::new(self.posts), self.gate, views.clone(), clock()), views)
    }

    fn with_post(&mut self, post: Post) {
        self.posts.expect_find().with(eq(post.id)).returning(move |_| Ok(Some(post.clone())));
    }

    fn with_detail(&mut self, post: Post) {
        let board = self.board.clone();
        self.posts.expect_find_detail().returning(move |_, _| {
            Ok(Some((PostDetail { post: post.clone(), liked_by_me: false, attachments: vec![] }, board.clone())))
        });
    }
}

#[tokio::test]
async fn creating_validates_every_field_at_once_and_writes_nothing_when_invalid() {
    let mut f = Fixture::new();
    f.posts.expect_create().never();
    let (service, _) = f.build();
    let err = service.create(&user(2), 1, "  ", &"x".repeat(1025)).await.unwrap_err();
    let BoardError::Validation(errors) = err else { panic!("expected validation, got {err:?}") };
    assert!(errors.fields().contains_key("title") && errors.fields().contains_key("content"));
}

#[tokio::test]
async fn creating_stores_the_author_and_the_time() {
    let mut f = Fixture::new();
    f.posts
        .expect_create()
        .withf(|new| {
            new.author == Author { id: 2, name: "user2".into() } && new.title.as_str() == "Hi" && new.board_id == 1
        })
        .times(1)
        .returning(|_| Ok(post(5, 2)));
    let (service, _) = f.build();
    let detail = service.create(&user(2), 1, "Hi", "there").await.unwrap();
    assert_eq!(detail.post.id, 5);
    assert!(!detail.liked_by_me);
}

#[tokio::test]
async fn closed_boards_refuse_new_posts_but_admins_may_write() {
    let mut f = Fixture::new();
    f.gate = gate(board(1, BoardAccess::Public, true, false), vec![]);
    f.posts.expect_create().times(1).returning(|_| Ok(post(5, 9)));
    let (service, _) = f.build();
    assert!(matches!(service.create(&user(2), 1, "t", "c").await, Err(BoardError::Closed)));
    assert!(service.create(&admin(9), 1, "t", "c").await.is_ok());
}

#[tokio::test]
async fn only_the_author_or_an_admin_may_edit_or_delete() {
    let mut f = Fixture::new();
    f.with_post(post(5, 2));
    f.with_detail(post(5, 2));
    f.posts.expect_update().times(2).returning(|_, _, _| Ok(true));
    f.posts.expect_delete().times(1).returning(|_, _| Ok(true));
    let (service, _) = f.build();
    assert!(matches!(service.update(&user(3), 5, Some("new"), None).await, Err(BoardError::NotPostAuthor)));
    assert!(matches!(service.delete(&user(3), 5).await, Err(BoardError::NotPostAuthor)));
    assert!(service.update(&user(2), 5, Some("new"), None).await.is_ok());
    assert!(service.update(&admin(1), 5, None, Some("moderated")).await.is_ok());
    assert!(service.delete(&admin(1), 5).await.is_ok());
}

#[tokio::test]
async fn edits_are_validated_after_ownership() {
    let mut f = Fixture::new();
    f.with_post(post(5, 2));
    f.posts.expect_update().never();
    let (service, _) = f.build();
    assert!(matches!(service.update(&user(2), 5, Some(""), None).await, Err(BoardError::Validation(_))));
    assert!(matches!(service.update(&user(2), 5, None, None).await, Err(BoardError::Validation(_))));
}

#[tokio::test]
async fn deleted_posts_are_not_found() {
    let mut f = Fixture::new();
    f.posts.expect_find().returning(|_| Ok(None));
    f.posts.expect_find_detail().returning(|_, _| Ok(None));
    let (service, views) = f.build();
    assert!(matches!(service.read(&user(2), 5).await, Err(BoardError::PostNotFound)));
    assert!(matches!(service.update(&user(2), 5, Some("x"), None).await, Err(BoardError::PostNotFound)));
    assert!(matches!(service.like(&user(2), 5).await, Err(BoardError::PostNotFound)));
    assert_eq!(views.pending(5), 0, "a failed read counts no view");
}

#[tokio::test]
async fn each_read_counts_one_view_and_shows_it() {
    let mut f = Fixture::new();
    f.with_detail(post(5, 2));
    let (service, views) = f.build();
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.number_of_view, 11);
    assert_eq!(service.read(&user(4), 5).await.unwrap().post.number_of_view, 12);
    assert_eq!(views.pending(5), 2);
}

#[tokio::test]
async fn reads_of_restricted_posts_count_no_view_for_outsiders() {
    let mut f = Fixture::new();
    f.with_board(board(1, BoardAccess::Restricted, true, true), vec![3]);
    f.with_detail(post(5, 2));
    let (service, views) = f.build();
    assert!(matches!(service.read(&user(4), 5).await, Err(BoardError::Forbidden)));
    assert_eq!(views.pending(5), 0);
    assert!(service.read(&user(3), 5).await.is_ok());
    assert_eq!(views.pending(5), 1);
}

#[tokio::test]
async fn hidden_boards_hide_their_posts_as_if_they_did_not_exist() {
    let mut f = Fixture::new();
    f.with_board(board(1, BoardAccess::Public, false, true), vec![]);
    f.with_detail(post(5, 2));
    f.posts.expect_list().never();
    let (service, _) = f.build();
    assert!(matches!(service.read(&user(3), 5).await, Err(BoardError::PostNotFound)), "like an unknown id");
    let page = PageRequest::first();
    assert!(matches!(service.list(&user(3), 1, PostFilter::default(), page).await, Err(BoardError::BoardNotFound)));
}

#[tokio::test]
async fn lists_show_stored_plus_unflushed_views() {
    let mut f = Fixture::new();
    f.with_detail(post(5, 2));
    f.posts
        .expect_list()
        .with(eq(1), eq(PostFilter { sort: PostSort::Views, q: None }), always())
        .returning(|_, _, _| Ok(kernel::Page { items: vec![post(5, 2), post(6, 2)], next: None }));
    let (service, _) = f.build();
    service.read(&user(3), 5).await.unwrap();
    let filter = PostFilter { sort: PostSort::Views, q: None };
    let page = service.list(&user(3), 1, filter, PageRequest::first()).await.unwrap();
    let views: Vec<i64> = page.items.iter().map(|p| p.number_of_view).collect();
    assert_eq!(views, vec![11, 10]);
}

#[tokio::test]
async fn likes_go_through_the_repository_once_per_call_and_need_a_writable_board() {
    let mut f = Fixture::new();
    f.with_post(post(5, 2));
    f.posts.expect_like().with(eq(5), eq(3), always()).times(2).returning(|_, _, _| Ok(false));
    f.posts.expect_unlike().with(eq(5), eq(3)).times(1).returning(|_, _| Ok(true));
    let (service, _) = f.build();
    service.like(&user(3), 5).await.unwrap();
    service.like(&user(3), 5).await.unwrap();
    service.unlike(&user(3), 5).await.unwrap();

    let mut f = Fixture::new();
    f.gate = gate(board(1, BoardAccess::Public, true, false), vec![]);
    f.with_post(post(5, 2));
    f.posts.expect_like().never();
    let (service, _) = f.build();
    assert!(matches!(service.like(&user(3), 5).await, Err(BoardError::Closed)));
}

#[tokio::test]
async fn storage_failures_surface_as_infrastructure_errors() {
    let mut f = Fixture::new();
    f.posts.expect_find_detail().returning(|_, _| Err(InfraError::unavailable("down")));
    let (service, _) = f.build();
    assert!(matches!(service.read(&user(3), 5).await, Err(BoardError::Infra(InfraError::Unavailable(_)))));
}

fn caching() -> PostReadCaching {
    PostReadCaching::new(Arc::new(PostReadCache::new(chrono::Duration::seconds(1))), clock())
}

/// A fixture whose post repository and view sink are wrapped by a read cache of one second;
/// the service itself is built exactly as without it.
fn cached(f: Fixture) -> (PostService, Arc<ViewCounter>) {
    cached_with(f, &caching())
}

fn cached_with(f: Fixture, caching: &PostReadCaching) -> (PostService, Arc<ViewCounter>) {
    let views = Arc::new(ViewCounter::new(caching.view_sink(Arc::new(f.sink))));
    (PostService::new(caching.posts(Arc::new(f.posts)), f.gate, views.clone(), clock()), views)
}

#[tokio::test]
async fn cached_reads_load_the_post_once_and_each_reader_s_like_once() {
    let mut f = Fixture::new();
    let board = f.board.clone();
    f.posts.expect_find_detail().times(1).returning(move |_, _| {
        Ok(Some((PostDetail { post: post(5, 2), liked_by_me: false, attachments: vec![] }, board.clone())))
    });
    f.posts.expect_liked_by().with(eq(5), eq(3)).times(1).returning(|_, _| Ok(true));
    let (service, _) = cached(f);
    let first = service.read(&user(2), 5).await.unwrap();
    assert!(!first.liked_by_me);
    assert_eq!(first.post.number_of_view, 11, "stored 10 plus this read");
    for views in [12, 13] {
        let read = service.read(&user(3), 5).await.unwrap();
        assert!(read.liked_by_me, "the reader's own like, not user 2's");
        assert_eq!(read.post.number_of_view, views, "every read counts, cached or not");
    }
}

#[tokio::test]
async fn an_edit_shows_on_the_next_read_of_a_cached_post() {
    let mut f = Fixture::new();
    f.with_post(post(5, 2));
    let board = f.board.clone();
    let edited = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = edited.clone();
    f.posts.expect_find_detail().returning(move |_, _| {
        let mut post = post(5, 2);
        if seen.load(std::sync::atomic::Ordering::SeqCst) {
            post.title = "new".into();
        }
        Ok(Some((PostDetail { post, liked_by_me: false, attachments: vec![] }, board.clone())))
    });
    f.posts.expect_liked_by().returning(|_, _| Ok(false));
    f.posts.expect_update().times(1).returning(move |_, _, _| {
        edited.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(true)
    });
    let (service, _) = cached(f);
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.title, "title");
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.title, "title", "cached");
    service.update(&user(2), 5, Some("new"), None).await.unwrap();
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.title, "new");
}

#[tokio::test]
async fn a_cached_post_on_a_restricted_board_still_asks_for_membership() {
    let mut f = Fixture::new();
    f.with_board(board(1, BoardAccess::Restricted, true, true), vec![2]);
    f.with_detail(post(5, 2));
    f.posts.expect_liked_by().returning(|_, _| Ok(false));
    let (service, _) = cached(f);
    assert!(service.read(&user(2), 5).await.is_ok());
    assert!(matches!(service.read(&user(3), 5).await, Err(BoardError::Forbidden)));
    assert!(service.read(&user(2), 5).await.is_ok());
}

#[tokio::test]
async fn a_view_flush_makes_cached_reads_load_the_stored_count_again() {
    let mut f = Fixture::new();
    let board = f.board.clone();
    let loads = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let counted = loads.clone();
    // The stored count is 10 before the flush and 12 after it.
    f.posts.expect_find_detail().times(2).returning(move |_, _| {
        let mut post = post(5, 2);
        post.number_of_view += 2 * counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Some((PostDetail { post, liked_by_me: false, attachments: vec![] }, board.clone())))
    });
    f.posts.expect_liked_by().returning(|_, _| Ok(false));
    f.sink.expect_add_views().withf(|counts| counts == [(5, 2)]).times(1).returning(|_| Ok(()));
    let (service, views) = cached(f);
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.number_of_view, 11);
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.number_of_view, 12);
    views.flush().await.unwrap();
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.number_of_view, 13, "12 stored plus this read");
}

#[tokio::test]
async fn a_comment_written_by_the_comment_service_shows_on_the_next_read_of_a_cached_post() {
    // The stored comment count, raised by the comment repository's insert.
    let stored = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let mut f = Fixture::new();
    let board = f.board.clone();
    let count = stored.clone();
    f.posts.expect_find_detail().returning(move |_, _| {
        let mut post = post(5, 2);
        post.number_of_comment = count.load(std::sync::atomic::Ordering::SeqCst);
        Ok(Some((PostDetail { post, liked_by_me: false, attachments: vec![] }, board.clone())))
    });
    let mut comments = MockCommentRepository::new();
    let count = stored.clone();
    comments.expect_create().times(1).returning(move |new| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Some(Comment { post_id: new.post_id, ..comment(9, 3) }))
    });
    let mut comment_posts = MockPostRepository::new();
    comment_posts.expect_find().returning(|_| Ok(Some(post(5, 2))));
    let caching = caching();
    let (service, _) = cached_with(f, &caching);
    // The comment service is given the wrapped repository and nothing else: no cache handle.
    let comment_service =
        CommentService::new(caching.comments(Arc::new(comments)), Arc::new(comment_posts), open_gate(), clock());

    assert_eq!(service.read(&user(3), 5).await.unwrap().post.number_of_comment, 0);
    stored.store(7, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.number_of_comment, 0, "served from the cache");
    stored.store(0, std::sync::atomic::Ordering::SeqCst);
    comment_service.create(&user(3), 5, "first").await.unwrap();
    assert_eq!(service.read(&user(3), 5).await.unwrap().post.number_of_comment, 1, "the insert dropped the entry");
}

#[tokio::test]
async fn closing_a_board_through_the_board_service_bites_at_once_on_its_cached_posts() {
    use crate::board::ports::MockBoardRepository;
    use crate::board::service::{BoardPorts, BoardService};
    use crate::board::values::BoardPatch;

    let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut f = Fixture::new();
    let is_closed = closed.clone();
    f.posts.expect_find_detail().returning(move |_, _| {
        let open = !is_closed.load(std::sync::atomic::Ordering::SeqCst);
        let board = board(1, BoardAccess::Public, open, true);
        Ok(Some((PostDetail { post: post(5, 2), liked_by_me: false, attachments: vec![] }, board)))
    });
    let mut boards = MockBoardRepository::new();
    let open_board = board(1, BoardAccess::Public, true, true);
    boards.expect_find_many().returning(move |_| Ok(vec![open_board.clone()]));
    let hidden = board(1, BoardAccess::Public, false, true);
    boards.expect_update().times(1).returning(move |_, _, _, _| {
        closed.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(Some(hidden.clone()))
    });
    boards.expect_members_of().returning(|_| Ok(vec![]));
    let mut directory = crate::board::access::MockBoardDirectory::new();
    directory.expect_find().returning(|_| Ok(Some(board(1, BoardAccess::Public, true, true))));
    let mut audit = kernel::audit::MockAuditLog::new();
    audit.expect_record().returning(|_| Ok(()));
    let caching = caching();
    let (service, _) = cached_with(f, &caching);
    let board_service = BoardService::new(BoardPorts {
        boards: caching.boards(Arc::new(boards)),
        directory: Arc::new(directory),
        audit: Arc::new(audit),
        clock: clock(),
    });

    assert!(service.read(&user(3), 5).await.is_ok());
    let patch = BoardPatch { is_visible: Some(false), ..BoardPatch::default() };
    board_service.update_board(Some(&admin(1)), 1, patch).await.unwrap();
    assert!(matches!(service.read(&user(3), 5).await, Err(BoardError::PostNotFound)), "hidden at once");
}
