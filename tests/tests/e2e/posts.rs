//! Posts: CRUD, ownership, validation, lists (sorts, search, cursors), likes, and the board
//! access rules on every path.

use std::collections::HashSet;

use e2e::{Authed, TestApp, TestUser, assert_problem};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::board_support::{
    CLOSED, HIDDEN, OPEN, RESTRICTED, add_member, create_board, create_comment, create_post, stored_post,
};

async fn get_json(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.get(path).bearer(user).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

async fn list_ids(app: &TestApp, user: &TestUser, path: &str) -> Vec<i64> {
    let page = get_json(app, user, path).await;
    page["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_post_is_written_read_edited_and_deleted_with_its_author_shown() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;

    let created = create_post(&app, &alice, board, "Hello", "First post").await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["board_id"], board);
    assert_eq!(created["title"], "Hello");
    assert_eq!(created["content"], "First post");
    assert_eq!(created["author"], json!({"id": alice.id, "name": alice.name}));
    for counter in ["number_of_view", "number_of_comment", "number_of_like"] {
        assert_eq!(created[counter], 0, "{counter}");
    }
    assert_eq!(created["is_file_attached"], false);
    assert_eq!(created["liked_by_me"], false);
    assert_eq!(created["attachments"], json!([]));

    let read = get_json(&app, &alice, &format!("/posts/{id}")).await;
    assert_eq!(read["content"], "First post");
    assert_eq!(read["author"]["name"], alice.name.as_str());
    assert_eq!(read["number_of_view"], 1, "the read counts itself");

    let response =
        app.patch(&format!("/posts/{id}")).bearer(&alice).json(&json!({"title": "Hello again"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["title"], "Hello again");
    assert_eq!(edited["content"], "First post", "untouched fields stay");
    assert!(edited["update_date"].as_str().unwrap() > created["update_date"].as_str().unwrap(), "{edited}");
    assert_eq!(edited["create_date"], created["create_date"]);

    let response = app.delete(&format!("/posts/{id}")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for response in [
        app.get(&format!("/posts/{id}")).bearer(&alice).send().await.unwrap(),
        app.patch(&format!("/posts/{id}")).bearer(&alice).json(&json!({"title": "x"})).send().await.unwrap(),
        app.delete(&format!("/posts/{id}")).bearer(&alice).send().await.unwrap(),
        app.put(&format!("/posts/{id}/like")).bearer(&alice).send().await.unwrap(),
    ] {
        assert_problem(response, StatusCode::NOT_FOUND, "post.not_found").await;
    }
    assert!(list_ids(&app, &alice, &format!("/boards/{board}/posts")).await.is_empty());
    assert!(!stored_post(&app, id).await.is_visible, "soft-deleted, row kept");
}

#[tokio::test]
async fn only_the_author_or_an_admin_may_edit_or_delete_a_post() {
    let app = TestApp::spawn().await;
    let (alice, bob, admin) = (app.new_user().await, app.new_user().await, app.new_admin().await);
    let board = create_board(&app, OPEN).await;
    let id = create_post(&app, &alice, board, "Mine", "All mine").await["id"].as_i64().unwrap();

    let response =
        app.patch(&format!("/posts/{id}")).bearer(&bob).json(&json!({"title": "Bob's"})).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "post.not_owner").await;
    let response = app.delete(&format!("/posts/{id}")).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "post.not_owner").await;

    let response =
        app.patch(&format!("/posts/{id}")).bearer(&admin).json(&json!({"content": "moderated"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["author"]["id"], alice.id, "the author stays the author");
    let response = app.delete(&format!("/posts/{id}")).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn titles_and_contents_are_validated_in_characters_and_never_blank() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let path = format!("/boards/{board}/posts");

    for (title, content, bad) in [
        ("", "c", "title"),
        ("   ", "c", "title"),
        (&"t".repeat(65) as &str, "c", "title"),
        ("t", "", "content"),
        ("t", "\n\t ", "content"),
        ("t", &"c".repeat(1025) as &str, "content"),
    ] {
        let response =
            app.post(&path).bearer(&alice).json(&json!({"title": title, "content": content})).send().await.unwrap();
        let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
        assert!(body["errors"][bad].is_array(), "{body}");
    }
    // 64 and 1024 characters of several bytes each are fine.
    let created = create_post(&app, &alice, board, &"ü".repeat(64), &"字".repeat(1024)).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["title"].as_str().unwrap().chars().count(), 64);

    let response = app.patch(&format!("/posts/{id}")).bearer(&alice).json(&json!({})).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let response = app.patch(&format!("/posts/{id}")).bearer(&alice).json(&json!({"title": " "})).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
}

#[tokio::test]
async fn lists_sort_by_new_top_and_views_with_ties_newest_first() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(create_post(&app, &alice, board, &format!("post {i}"), "text").await["id"].as_i64().unwrap());
    }
    // Likes: post 1 gets two, post 2 one. Views: post 0 three, post 3 one.
    let likers = [app.new_user().await, app.new_user().await];
    for (post, users) in [(ids[1], &likers[..]), (ids[2], &likers[..1])] {
        for user in users {
            let response = app.put(&format!("/posts/{post}/like")).bearer(user).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
        }
    }
    for post in [ids[0], ids[0], ids[0], ids[3]] {
        get_json(&app, &alice, &format!("/posts/{post}")).await;
    }
    app.services.views.flush().await.unwrap();

    let base = format!("/boards/{board}/posts");
    assert_eq!(list_ids(&app, &alice, &base).await, vec![ids[3], ids[2], ids[1], ids[0]]);
    assert_eq!(list_ids(&app, &alice, &format!("{base}?sort=new")).await, vec![ids[3], ids[2], ids[1], ids[0]]);
    assert_eq!(list_ids(&app, &alice, &format!("{base}?sort=top")).await, vec![ids[1], ids[2], ids[3], ids[0]]);
    assert_eq!(list_ids(&app, &alice, &format!("{base}?sort=views")).await, vec![ids[0], ids[3], ids[2], ids[1]]);

    let page = get_json(&app, &alice, &format!("{base}?sort=top&limit=1")).await;
    let item = &page["items"][0];
    assert_eq!(item["number_of_like"], 2);
    assert_eq!(item["author"], json!({"id": alice.id, "name": alice.name}));
    assert!(item.get("content").is_none(), "summaries leave the content out: {item}");

    // Walking `top` two at a time gives the same order.
    let first = get_json(&app, &alice, &format!("{base}?sort=top&limit=2")).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = list_ids(&app, &alice, &format!("{base}?sort=top&limit=2&cursor={cursor}")).await;
    assert_eq!(second, vec![ids[3], ids[0]]);
    // A cursor of one order is refused by another.
    let response = app.get(&format!("{base}?sort=views&limit=2&cursor={cursor}")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "pagination.invalid_cursor").await;

    for query in ["sort=hot", "limit=0", "limit=101"] {
        let response = app.get(&format!("{base}?{query}")).bearer(&alice).send().await.unwrap();
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    }
}

#[tokio::test]
async fn search_matches_title_or_content_case_insensitively_and_literally() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let rust = create_post(&app, &alice, board, "Learning RUST", "slowly").await["id"].as_i64().unwrap();
    let content = create_post(&app, &alice, board, "Diary", "I wrote some Rust today").await["id"].as_i64().unwrap();
    let percent = create_post(&app, &alice, board, "Sale", "100% off_today").await["id"].as_i64().unwrap();
    create_post(&app, &alice, board, "Other", "nothing here").await;
    let other_board = create_board(&app, OPEN).await;
    create_post(&app, &alice, other_board, "rust elsewhere", "rust").await;

    let base = format!("/boards/{board}/posts");
    assert_eq!(list_ids(&app, &alice, &format!("{base}?q=rust")).await, vec![content, rust]);
    assert_eq!(list_ids(&app, &alice, &format!("{base}?q=RuSt&sort=top")).await, vec![content, rust]);
    assert_eq!(list_ids(&app, &alice, &format!("{base}?q=100%25")).await, vec![percent], "% is literal");
    assert_eq!(list_ids(&app, &alice, &format!("{base}?q=f_t")).await, vec![percent], "_ is literal");
    assert!(list_ids(&app, &alice, &format!("{base}?q=f%25t")).await.is_empty(), "no wildcard");
    assert!(list_ids(&app, &alice, &format!("{base}?q=%5C")).await.is_empty(), "a backslash is literal");
    assert_eq!(list_ids(&app, &alice, &format!("{base}?q=")).await.len(), 4, "empty q = no filter");
}

#[tokio::test]
async fn cursor_pagination_walks_every_post_exactly_once_while_posts_are_added() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let mut existing = HashSet::new();
    for i in 0..23 {
        existing.insert(create_post(&app, &alice, board, &format!("p{i}"), "x").await["id"].as_i64().unwrap());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/boards/{board}/posts?sort=new&limit=5");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = get_json(&app, &alice, &path).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()));
        // New posts arrive between pages; they are newer than the walk and never shift it.
        create_post(&app, &alice, board, "late", "x").await;
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 20, "the walk must end");
    }
    assert_eq!(seen.len(), existing.len(), "each once: {seen:?}");
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), existing);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");
}

#[tokio::test]
async fn likes_are_idempotent_and_exact_under_concurrent_puts() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let id = create_post(&app, &alice, board, "Like me", "please").await["id"].as_i64().unwrap();
    let mut users = Vec::new();
    for _ in 0..16 {
        users.push(app.new_user().await);
    }
    // Every user likes three times at once.
    let puts = users.iter().flat_map(|u| (0..3).map(move |_| u)).map(|user| {
        let request = app.put(&format!("/posts/{id}/like")).bearer(user);
        async move { request.send().await.unwrap().status() }
    });
    for status in join_all(puts).await {
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(stored_post(&app, id).await.number_of_like, 16);
    let read = get_json(&app, &users[0], &format!("/posts/{id}")).await;
    assert_eq!(read["number_of_like"], 16);
    assert_eq!(read["liked_by_me"], true);
    assert_eq!(get_json(&app, &alice, &format!("/posts/{id}")).await["liked_by_me"], false);

    for _ in 0..2 {
        let response = app.delete(&format!("/posts/{id}/like")).bearer(&users[0]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let response = app.delete(&format!("/posts/{id}/like")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "taking back a like never given is fine");
    let read = get_json(&app, &users[0], &format!("/posts/{id}")).await;
    assert_eq!((read["number_of_like"].as_i64(), read["liked_by_me"].as_bool()), (Some(15), Some(false)));
    assert_eq!(stored_post(&app, id).await.number_of_like, 15);
}

/// Every read path of a post's board: list, get, comments, and a file download.
async fn read_statuses(app: &TestApp, user: &TestUser, board: i64, post: i64, attachment: i64) -> Vec<Value> {
    let mut problems = Vec::new();
    for path in [
        format!("/boards/{board}/posts"),
        format!("/posts/{post}"),
        format!("/posts/{post}/comments"),
        format!("/attachments/{attachment}"),
    ] {
        let response = app.get(&path).bearer(user).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        problems.push(json!({"path": path, "status": status.as_u16(), "code": body["code"]}));
    }
    problems
}

/// A post with a comment and a file on a fresh board of `spec`, written by an admin.
async fn populated_board(app: &TestApp, admin: &TestUser, spec: crate::board_support::BoardSpec) -> (i64, i64, i64) {
    let board = create_board(app, spec).await;
    let post = create_post(app, admin, board, "Inside", "secret").await["id"].as_i64().unwrap();
    create_comment(app, admin, post, "secret comment").await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(b"secret file".to_vec()).file_name("s.txt"));
    let response = app.post(&format!("/posts/{post}/attachments")).bearer(admin).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let attachment = response.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();
    (board, post, attachment)
}

#[tokio::test]
async fn restricted_boards_hide_posts_comments_and_files_from_non_members_on_every_read() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let (outsider, member) = (app.new_user().await, app.new_user().await);
    let (board, post, attachment) = populated_board(&app, &admin, RESTRICTED).await;
    add_member(&app, board, &member).await;

    for outcome in read_statuses(&app, &outsider, board, post, attachment).await {
        assert_eq!(
            (outcome["status"].as_u64(), outcome["code"].as_str()),
            (Some(403), Some("board.forbidden")),
            "{outcome}"
        );
    }
    for outcome in read_statuses(&app, &member, board, post, attachment).await {
        assert_eq!(outcome["status"], 200, "{outcome}");
    }
    // Writes too: post, comment, like, attach.
    for response in [
        app.post(&format!("/boards/{board}/posts")).bearer(&outsider).json(&json!({"title": "t", "content": "c"})),
        app.post(&format!("/posts/{post}/comments")).bearer(&outsider).json(&json!({"content": "c"})),
        app.put(&format!("/posts/{post}/like")).bearer(&outsider),
    ] {
        assert_problem(response.send().await.unwrap(), StatusCode::FORBIDDEN, "board.forbidden").await;
    }
    let views = stored_post(&app, post).await.number_of_view + app.services.views.pending(post) as i64;
    assert_eq!(views, 1, "only the member's read counted");
}

/// What an unknown id of each read path answers: a hidden board's contents must answer the
/// same, or the difference tells which ids exist there.
const NOT_FOUND_CODES: [&str; 4] = ["board.not_found", "post.not_found", "post.not_found", "attachment.not_found"];

#[tokio::test]
async fn hidden_boards_are_not_found_on_every_read_except_for_admins() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let unknown = read_statuses(&app, &user, i64::from(i32::MAX), i64::from(i32::MAX), i64::from(i32::MAX)).await;
    let unknown: Vec<_> = unknown.iter().map(|o| (o["status"].clone(), o["code"].clone())).collect();
    assert_eq!(unknown, NOT_FOUND_CODES.map(|code| (json!(404), json!(code))).to_vec());
    let (board, post, attachment) = populated_board(&app, &admin, HIDDEN).await;
    for (outcome, code) in read_statuses(&app, &user, board, post, attachment).await.iter().zip(NOT_FOUND_CODES) {
        assert_eq!((outcome["status"].as_u64(), outcome["code"].as_str()), (Some(404), Some(code)), "{outcome}");
    }
    // Hidden beats membership: a member of a hidden restricted board sees nothing either.
    let hidden_restricted = crate::board_support::BoardSpec { restricted: true, visible: false, available: true };
    let (board, post, attachment) = populated_board(&app, &admin, hidden_restricted).await;
    add_member(&app, board, &user).await;
    for (outcome, code) in read_statuses(&app, &user, board, post, attachment).await.iter().zip(NOT_FOUND_CODES) {
        assert_eq!((outcome["status"].as_u64(), outcome["code"].as_str()), (Some(404), Some(code)), "{outcome}");
    }
    // Writes by id answer the same.
    let comment = create_comment(&app, &admin, post, "hidden").await["id"].as_i64().unwrap();
    let response = app.patch(&format!("/comments/{comment}")).bearer(&user).json(&json!({"content": "x"})).send().await;
    assert_problem(response.unwrap(), StatusCode::NOT_FOUND, "comment.not_found").await;
    let response = app.put(&format!("/posts/{post}/like")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "post.not_found").await;
    let response = app.delete(&format!("/attachments/{attachment}")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "attachment.not_found").await;
    for outcome in read_statuses(&app, &admin, board, post, attachment).await {
        assert_eq!(outcome["status"], 200, "{outcome}");
    }
}

#[tokio::test]
async fn closed_boards_are_read_only_for_users_and_writable_for_admins() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let (board, post, attachment) = populated_board(&app, &admin, CLOSED).await;
    for outcome in read_statuses(&app, &user, board, post, attachment).await {
        assert_eq!(outcome["status"], 200, "{outcome}");
    }
    let comment = create_comment(&app, &admin, post, "admins may").await["id"].as_i64().unwrap();
    let form = || {
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"))
    };
    for request in [
        app.post(&format!("/boards/{board}/posts")).bearer(&user).json(&json!({"title": "t", "content": "c"})),
        app.post(&format!("/posts/{post}/comments")).bearer(&user).json(&json!({"content": "c"})),
        app.put(&format!("/posts/{post}/like")).bearer(&user),
        app.delete(&format!("/posts/{post}/like")).bearer(&user),
        app.patch(&format!("/posts/{post}")).bearer(&user).json(&json!({"title": "t"})),
        app.delete(&format!("/posts/{post}")).bearer(&user),
        app.patch(&format!("/comments/{comment}")).bearer(&user).json(&json!({"content": "c"})),
        app.delete(&format!("/comments/{comment}")).bearer(&user),
        app.post(&format!("/posts/{post}/attachments")).bearer(&user).multipart(form()),
        app.delete(&format!("/attachments/{attachment}")).bearer(&user),
    ] {
        assert_problem(request.send().await.unwrap(), StatusCode::FORBIDDEN, "board.closed").await;
    }
    let response = app.put(&format!("/posts/{post}/like")).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn unknown_boards_and_posts_are_404_problems() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let response = app.get("/boards/999999/posts").bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "board.not_found").await;
    let response = app.get("/posts/999999").bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "post.not_found").await;
    let response = app.get("/posts/999999").send().await.unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.token_missing").await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_post_comment_and_attachment_route() {
    let app = TestApp::spawn().await;
    let doc: Value = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (path, method, statuses) in [
        ("/api/v1/boards/{id}/posts", "get", &["200", "401", "403", "404", "422"][..]),
        ("/api/v1/boards/{id}/posts", "post", &["201", "403", "404", "422"]),
        ("/api/v1/posts/{id}", "get", &["200", "403", "404"]),
        ("/api/v1/posts/{id}", "patch", &["200", "403", "404", "422"]),
        ("/api/v1/posts/{id}", "delete", &["204", "403", "404"]),
        ("/api/v1/posts/{id}/like", "put", &["204", "403", "404"]),
        ("/api/v1/posts/{id}/like", "delete", &["204", "403", "404"]),
        ("/api/v1/posts/{id}/comments", "get", &["200", "403", "404"]),
        ("/api/v1/posts/{id}/comments", "post", &["201", "403", "404", "422"]),
        ("/api/v1/comments/{id}", "patch", &["200", "403", "404", "422"]),
        ("/api/v1/comments/{id}", "delete", &["204", "403", "404"]),
        ("/api/v1/posts/{id}/attachments", "post", &["201", "403", "404", "413", "415", "422"]),
        ("/api/v1/comments/{id}/attachments", "post", &["201", "403", "404", "413", "415", "422"]),
        ("/api/v1/attachments/{id}", "get", &["200", "403", "404"]),
        ("/api/v1/attachments/{id}", "delete", &["204", "403", "404"]),
    ] {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        for status in statuses {
            assert!(operation["responses"][status].is_object(), "{method} {path} lacks {status}");
        }
    }
    let upload = &doc["paths"]["/api/v1/posts/{id}/attachments"]["post"]["requestBody"]["content"];
    let schema = &upload["multipart/form-data"]["schema"];
    assert!(schema.is_object(), "the upload body is documented as multipart: {upload}");
    let params = doc["paths"]["/api/v1/boards/{id}/posts"]["get"]["parameters"].as_array().unwrap();
    for name in ["limit", "cursor", "sort", "q"] {
        assert!(params.iter().any(|p| p["name"] == name), "parameter {name}");
    }
}

/// Reads of a post are reused for up to `posts.read_cache_ms` (one second by default), yet
/// every change made through the same instance shows on the very next read, and per-reader
/// parts (own like, views, board membership) are never shared.
#[tokio::test]
async fn every_change_shows_on_the_next_read_of_a_cached_post() {
    let app = TestApp::spawn_with(|s| s.posts.read_cache_ms = 1000).await;
    let (alice, bob, admin) = (app.new_user().await, app.new_user().await, app.new_admin().await);
    let board = create_board(&app, OPEN).await;
    let id = create_post(&app, &alice, board, "Cached", "first").await["id"].as_i64().unwrap();
    let path = format!("/posts/{id}");
    assert_eq!(get_json(&app, &bob, &path).await["number_of_view"], 1);

    let response = app.patch(&path).bearer(&alice).json(&json!({"content": "second"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let read = get_json(&app, &bob, &path).await;
    assert_eq!(read["content"], "second", "the edit shows at once");
    assert_eq!(read["number_of_view"], 2);

    let response = app.put(&format!("{path}/like")).bearer(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let read = get_json(&app, &bob, &path).await;
    assert_eq!((read["number_of_like"].as_i64(), read["liked_by_me"].as_bool()), (Some(1), Some(true)));
    let read = get_json(&app, &alice, &path).await;
    assert_eq!((read["number_of_like"].as_i64(), read["liked_by_me"].as_bool()), (Some(1), Some(false)), "not bob's");
    assert_eq!(read["number_of_view"], 4);

    let comment = create_comment(&app, &alice, id, "a comment").await;
    assert_eq!(get_json(&app, &bob, &path).await["number_of_comment"], 1);
    let response = app.delete(&format!("/comments/{}", comment["id"])).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(get_json(&app, &bob, &path).await["number_of_comment"], 0);

    let response = app.delete(&format!("{path}/like")).bearer(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let read = get_json(&app, &bob, &path).await;
    assert_eq!((read["number_of_like"].as_i64(), read["liked_by_me"].as_bool()), (Some(0), Some(false)));

    // The board turns restricted, then hidden: its cached post follows at once.
    let admin_path = format!("/admin/boards/{board}");
    let response = app.patch(&admin_path).bearer(&admin).json(&json!({"access": "restricted"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_problem(app.get(&path).bearer(&bob).send().await.unwrap(), StatusCode::FORBIDDEN, "board.forbidden").await;
    add_member(&app, board, &bob).await;
    assert_eq!(get_json(&app, &bob, &path).await["title"], "Cached", "a member reads it again");
    let response = app.patch(&admin_path).bearer(&admin).json(&json!({"is_visible": false})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_problem(app.get(&path).bearer(&bob).send().await.unwrap(), StatusCode::NOT_FOUND, "post.not_found").await;
    let body = json!({"is_visible": true, "access": "public"});
    let response = app.patch(&admin_path).bearer(&admin).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(get_json(&app, &alice, &path).await["title"], "Cached", "public again, for non-members too");

    // The author renames themself: the cached post names them anew.
    let renamed = e2e::unique("renamed");
    let response = app.patch("/users/me").bearer(&alice).json(&json!({"name": renamed})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(get_json(&app, &bob, &path).await["author"]["name"], renamed.as_str());

    let response = app.delete(&path).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&path).bearer(&bob).send().await.unwrap(), StatusCode::NOT_FOUND, "post.not_found").await;
}
