//! Comments: CRUD, ownership, order and paging, and the post's exact comment count.

use e2e::{Authed, TestApp, assert_problem};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::board_support::{OPEN, create_board, create_comment, create_post, stored_post};

#[tokio::test]
async fn comments_are_written_listed_oldest_first_edited_and_deleted_with_the_count_following() {
    let app = TestApp::spawn().await;
    let (alice, bob, admin) = (app.new_user().await, app.new_user().await, app.new_admin().await);
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Topic", "Discuss").await["id"].as_i64().unwrap();

    let first = create_comment(&app, &bob, post, "first!").await;
    assert_eq!(first["post_id"], post);
    assert_eq!(first["author"], json!({"id": bob.id, "name": bob.name}));
    assert_eq!(first["attachments"], json!([]));
    let mut ids = vec![first["id"].as_i64().unwrap()];
    for i in 0..4 {
        ids.push(create_comment(&app, &alice, post, &format!("reply {i}")).await["id"].as_i64().unwrap());
    }
    assert_eq!(stored_post(&app, post).await.number_of_comment, 5);

    // Oldest first, two at a time.
    let mut seen = Vec::new();
    let mut path = format!("/posts/{post}/comments?limit=2");
    loop {
        let page: Value = app.get(&path).bearer(&bob).send().await.unwrap().json().await.unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/posts/{post}/comments?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    let id = ids[0];
    let response =
        app.patch(&format!("/comments/{id}")).bearer(&alice).json(&json!({"content": "hijack"})).send().await;
    assert_problem(response.unwrap(), StatusCode::FORBIDDEN, "comment.not_owner").await;
    let response = app.delete(&format!("/comments/{id}")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "comment.not_owner").await;

    let response = app.patch(&format!("/comments/{id}")).bearer(&bob).json(&json!({"content": "edited"})).send().await;
    let edited: Value = response.unwrap().json().await.unwrap();
    assert_eq!(edited["content"], "edited");
    assert!(edited["update_date"].as_str().unwrap() > first["update_date"].as_str().unwrap());
    let response =
        app.patch(&format!("/comments/{}", ids[1])).bearer(&admin).json(&json!({"content": "moderated"})).send().await;
    assert_eq!(response.unwrap().status(), StatusCode::OK);

    let response = app.delete(&format!("/comments/{id}")).bearer(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.delete(&format!("/comments/{id}")).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "comment.not_found").await;
    let response = app.delete(&format!("/comments/{}", ids[2])).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(stored_post(&app, post).await.number_of_comment, 3, "deleting twice counts once");

    let page: Value =
        app.get(&format!("/posts/{post}/comments")).bearer(&bob).send().await.unwrap().json().await.unwrap();
    let left: Vec<i64> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(left, vec![ids[1], ids[3], ids[4]]);
}

#[tokio::test]
async fn comment_content_is_one_to_256_characters_and_never_blank() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Topic", "Discuss").await["id"].as_i64().unwrap();
    for bad in ["", "  \n", &"x".repeat(257)] {
        let response =
            app.post(&format!("/posts/{post}/comments")).bearer(&alice).json(&json!({"content": bad})).send().await;
        let body =
            assert_problem(response.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
        assert!(body["errors"]["content"].is_array(), "{body}");
    }
    create_comment(&app, &alice, post, &"ł".repeat(256)).await;
    assert_eq!(stored_post(&app, post).await.number_of_comment, 1, "refused comments count nothing");
}

#[tokio::test]
async fn sixty_four_concurrent_comments_count_exactly_sixty_four() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Busy", "thread").await["id"].as_i64().unwrap();
    let requests = (0..64).map(|i| {
        let user = if i % 2 == 0 { &alice } else { &bob };
        let request =
            app.post(&format!("/posts/{post}/comments")).bearer(user).json(&json!({"content": format!("c{i}")}));
        async move { request.send().await.unwrap().status() }
    });
    for status in join_all(requests).await {
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(stored_post(&app, post).await.number_of_comment, 64);
    let read: Value = app.get(&format!("/posts/{post}")).bearer(&alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["number_of_comment"], 64);
    let page: Value =
        app.get(&format!("/posts/{post}/comments?limit=100")).bearer(&bob).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 64);
}

#[tokio::test]
async fn deleting_a_post_hides_its_comments() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Soon gone", "bye").await["id"].as_i64().unwrap();
    let comment = create_comment(&app, &alice, post, "me too").await["id"].as_i64().unwrap();
    let response = app.delete(&format!("/posts/{post}")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let response = app.get(&format!("/posts/{post}/comments")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "post.not_found").await;
    let response =
        app.post(&format!("/posts/{post}/comments")).bearer(&alice).json(&json!({"content": "x"})).send().await;
    assert_problem(response.unwrap(), StatusCode::NOT_FOUND, "post.not_found").await;
    let response =
        app.patch(&format!("/comments/{comment}")).bearer(&alice).json(&json!({"content": "x"})).send().await;
    assert_problem(response.unwrap(), StatusCode::NOT_FOUND, "comment.not_found").await;
    let response = app.delete(&format!("/comments/{comment}")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "comment.not_found").await;
}
