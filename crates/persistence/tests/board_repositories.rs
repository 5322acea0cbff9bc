//! The board repositories on the backend of `AGORA_TEST_DATABASE_URL` (SQLite when unset):
//! counters kept by atomic SQL, lists in a constant number of queries, limits held under
//! concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use board::attachment::model::NewAttachment;
use board::attachment::ports::{AttachWriteError, AttachmentRepository};
use board::comment::model::{CommentContent, NewComment};
use board::comment::ports::CommentRepository;
use board::post::model::{NewPost, PostContent, Title};
use board::post::ports::PostRepository;
use board::{AttachTarget, Author, PostFilter, PostSort, ViewSink};
use chrono::{DateTime, TimeZone, Utc};
use kernel::PageRequest;
use persistence::board::{SqlAttachmentRepository, SqlCommentRepository, SqlPostRepository, SqlViewSink};
use persistence::entity::{board as board_entity, post, users};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use testdb::{TestDatabase, fresh_database_from_env};

async fn database() -> TestDatabase {
    fresh_database_from_env().await.unwrap_or_else(|e| panic!("cannot prepare the test database: {e}"))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

async fn user(db: &DatabaseConnection, name: &str) -> Author {
    let model = users::ActiveModel {
        name: Set(name.to_owned()),
        name_key: Set(name.to_lowercase()),
        email: Set(format!("{name}@example.com")),
        password_hash: Set("$2b$04$x".to_owned()),
        join_date: Set(t0()),
        update_date: Set(t0()),
        is_superuser: Set(false),
        is_banned: Set(false),
        is_active: Set(true),
        banned_date: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    Author { id: model.id, name: model.name }
}

async fn board(db: &DatabaseConnection) -> i64 {
    board_entity::ActiveModel {
        name: Set("general".to_owned()),
        information: Set(String::new()),
        is_visible: Set(true),
        is_available: Set(true),
        access: Set("public".to_owned()),
        create_date: Set(t0()),
        update_date: Set(t0()),
        delete_date: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

fn new_post(board_id: i64, author: &Author, title: &str) -> NewPost {
    NewPost {
        board_id,
        author: author.clone(),
        title: Title::parse(title).unwrap(),
        content: PostContent::parse("content").unwrap(),
        at: t0(),
    }
}

fn file(user_id: i64, n: u32) -> NewAttachment {
    NewAttachment {
        stored_name: format!("{:032x}", u128::from(n) + u128::from(user_id as u64) * 1_000_000),
        original_name: format!("{n}.txt"),
        content_type: "text/plain".to_owned(),
        size: 1,
        user_id,
        at: t0(),
    }
}

/// A second handle on the same pool that counts the statements it runs.
fn counting(db: &DatabaseConnection) -> (DatabaseConnection, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut conn = db.clone();
    let seen = count.clone();
    conn.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    (conn, count)
}

async fn stored(db: &DatabaseConnection, id: i64) -> post::Model {
    post::Entity::find_by_id(id).one(db).await.unwrap().unwrap()
}

#[tokio::test]
async fn pages_of_a_hundred_posts_and_comments_cost_a_constant_number_of_queries() {
    let db = database().await;
    let board_id = board(&db.conn).await;
    let mut authors = Vec::new();
    for i in 0..10 {
        authors.push(user(&db.conn, &format!("author{i}")).await);
    }
    let posts = SqlPostRepository::new(db.conn.clone());
    let comments = SqlCommentRepository::new(db.conn.clone());
    let attachments = SqlAttachmentRepository::new(db.conn.clone());
    let mut first = None;
    for i in 0..100 {
        let created = posts.create(new_post(board_id, &authors[i % 10], &format!("post {i}"))).await.unwrap();
        first.get_or_insert(created.id);
    }
    let post_id = first.unwrap();
    for i in 0..100 {
        let author = &authors[i % 10];
        let new =
            NewComment { post_id, author: author.clone(), content: CommentContent::parse("c").unwrap(), at: t0() };
        let comment = comments.create(new).await.unwrap().unwrap();
        if i % 3 == 0 {
            attachments
                .create_all(AttachTarget::Comment(comment.id), vec![file(author.id, i as u32)], 10)
                .await
                .unwrap();
        }
    }

    let (conn, count) = counting(&db.conn);
    let page = PageRequest::new(Some(100), None).unwrap();
    for sort in [PostSort::New, PostSort::Top, PostSort::Views] {
        count.store(0, Ordering::SeqCst);
        let list =
            SqlPostRepository::new(conn.clone()).list(board_id, PostFilter { sort, q: None }, page).await.unwrap();
        assert_eq!(list.items.len(), 100);
        assert!(list.items.iter().all(|p| p.author.name.starts_with("author")));
        assert_eq!(count.load(Ordering::SeqCst), 1, "{sort:?}: one joined query");
    }
    count.store(0, Ordering::SeqCst);
    let (detail, board) =
        SqlPostRepository::new(conn.clone()).find_detail(post_id, authors[1].id).await.unwrap().unwrap();
    assert_eq!((detail.post.id, board.id, detail.liked_by_me), (post_id, board_id, false));
    assert_eq!(count.load(Ordering::SeqCst), 1, "a post without files, its board and the viewer's like: one query");
    count.store(0, Ordering::SeqCst);
    let list = SqlCommentRepository::new(conn.clone()).list(post_id, page).await.unwrap();
    assert_eq!(list.items.len(), 100);
    assert_eq!(list.items.iter().filter(|c| c.attachments.len() == 1).count(), 34);
    assert_eq!(count.load(Ordering::SeqCst), 2, "comments with authors, then every file at once");
    db.close().await.unwrap();
}

#[tokio::test]
async fn likes_and_comments_keep_their_counters_in_their_transactions() {
    let db = database().await;
    let board_id = board(&db.conn).await;
    let (alice, bob) = (user(&db.conn, "alice").await, user(&db.conn, "bob").await);
    let posts = SqlPostRepository::new(db.conn.clone());
    let comments = SqlCommentRepository::new(db.conn.clone());
    let id = posts.create(new_post(board_id, &alice, "counted")).await.unwrap().id;

    assert!(posts.like(id, bob.id, t0()).await.unwrap());
    assert!(!posts.like(id, bob.id, t0()).await.unwrap(), "a second like is no like");
    assert!(posts.like(id, alice.id, t0()).await.unwrap());
    assert_eq!(stored(&db.conn, id).await.number_of_like, 2);
    assert!(posts.find_detail(id, bob.id).await.unwrap().unwrap().0.liked_by_me);
    assert!(posts.unlike(id, bob.id).await.unwrap());
    assert!(!posts.unlike(id, bob.id).await.unwrap());
    assert_eq!(stored(&db.conn, id).await.number_of_like, 1);
    assert!(!posts.find_detail(id, bob.id).await.unwrap().unwrap().0.liked_by_me);

    let content = || CommentContent::parse("hi").unwrap();
    let c1 = comments.create(NewComment { post_id: id, author: bob.clone(), content: content(), at: t0() }).await;
    let c1 = c1.unwrap().unwrap();
    comments.create(NewComment { post_id: id, author: bob.clone(), content: content(), at: t0() }).await.unwrap();
    assert_eq!(stored(&db.conn, id).await.number_of_comment, 2);
    assert!(comments.delete(c1.id, t0()).await.unwrap());
    assert!(!comments.delete(c1.id, t0()).await.unwrap());
    assert_eq!(stored(&db.conn, id).await.number_of_comment, 1);

    assert!(posts.delete(id, t0()).await.unwrap());
    let gone = comments.create(NewComment { post_id: id, author: bob, content: content(), at: t0() }).await.unwrap();
    assert!(gone.is_none(), "no comment on a deleted post");
    assert_eq!(stored(&db.conn, id).await.number_of_comment, 1);
    assert!(!posts.like(id, alice.id, t0()).await.unwrap());
    db.close().await.unwrap();
}

#[tokio::test]
async fn view_sinks_add_and_never_overwrite() {
    let db = database().await;
    let board_id = board(&db.conn).await;
    let alice = user(&db.conn, "alice").await;
    let posts = SqlPostRepository::new(db.conn.clone());
    let a = posts.create(new_post(board_id, &alice, "a")).await.unwrap().id;
    let b = posts.create(new_post(board_id, &alice, "b")).await.unwrap().id;
    let sinks: Vec<SqlViewSink> = (0..4).map(|_| SqlViewSink::new(db.conn.clone())).collect();
    let flushes = sinks.iter().map(|sink| async move {
        for _ in 0..5 {
            sink.add_views(&[(a, 3), (b, 1)]).await.unwrap();
        }
    });
    futures_util::future::join_all(flushes).await;
    assert_eq!(stored(&db.conn, a).await.number_of_view, 60);
    assert_eq!(stored(&db.conn, b).await.number_of_view, 20);
    db.close().await.unwrap();
}

#[tokio::test]
async fn concurrent_uploads_cannot_pass_the_count_limit_together() {
    let db = database().await;
    let board_id = board(&db.conn).await;
    let alice = user(&db.conn, "alice").await;
    let id = SqlPostRepository::new(db.conn.clone()).create(new_post(board_id, &alice, "files")).await.unwrap().id;
    let repo = SqlAttachmentRepository::new(db.conn.clone());
    let uploads = (0..4u32).map(|i| {
        let repo = repo.clone();
        let files = vec![file(alice.id, i * 10), file(alice.id, i * 10 + 1)];
        async move { repo.create_all(AttachTarget::Post(id), files, 5).await }
    });
    let results = futures_util::future::join_all(uploads).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 2, "two uploads of two fit under five");
    assert!(results.iter().all(|r| r.is_ok() || matches!(r, Err(AttachWriteError::TooMany))));
    assert_eq!(repo.count(AttachTarget::Post(id)).await.unwrap(), 4);
    assert!(stored(&db.conn, id).await.is_file_attached);

    let created = results.into_iter().flatten().flatten().collect::<Vec<_>>();
    for attachment in &created {
        assert!(repo.delete(attachment.id).await.unwrap());
    }
    assert!(!stored(&db.conn, id).await.is_file_attached, "no files left, flag down");
    assert!(!repo.delete(created[0].id).await.unwrap());
    db.close().await.unwrap();
}
