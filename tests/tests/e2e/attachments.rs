//! Attachments: streamed multipart uploads with limits, downloads, deletion, and the flag
//! `is_file_attached`.

use std::path::Path;

use e2e::{Authed, TestApp, TestUser, assert_problem};
use persistence::entity::attachment;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

use crate::board_support::{OPEN, create_board, create_comment, create_post};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

fn file(name: &str, content_type: &str, bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_owned()).mime_str(content_type).unwrap()
}

async fn upload(app: &TestApp, user: &TestUser, path: &str, parts: Vec<Part>) -> reqwest::Response {
    let form = parts.into_iter().fold(Form::new(), |form, part| form.part("file", part));
    app.post(path).bearer(user).multipart(form).send().await.unwrap()
}

/// The files in the storage directory.
fn stored_files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

async fn attachment_rows(app: &TestApp) -> u64 {
    attachment::Entity::find().count(&app.services.db).await.unwrap()
}

async fn read_post(app: &TestApp, user: &TestUser, post: i64) -> Value {
    app.get(&format!("/posts/{post}")).bearer(user).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn files_are_uploaded_downloaded_and_deleted_with_the_flag_following() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.new_user().await, app.new_user().await);
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "With files", "see below").await["id"].as_i64().unwrap();

    let response = upload(
        &app,
        &alice,
        &format!("/posts/{post}/attachments"),
        vec![file("notes.txt", "text/plain", b"hello files"), file("pixel.png", "image/png", PNG)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let items = created.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["original_name"], "notes.txt");
    assert_eq!(items[0]["content_type"], "text/plain");
    assert_eq!(items[0]["size"], 11);
    let text_id = items[0]["id"].as_i64().unwrap();
    assert_eq!(items[0]["url"], format!("/api/v1/attachments/{text_id}"));
    assert_eq!(
        (items[1]["content_type"].as_str(), items[1]["size"].as_u64()),
        (Some("image/png"), Some(PNG.len() as u64))
    );
    let png_id = items[1]["id"].as_i64().unwrap();

    let stored = stored_files(&app.settings.storage.dir);
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().all(|n| n.len() == 32 && n.chars().all(|c| c.is_ascii_hexdigit())),
        "random names: {stored:?}"
    );

    let read = read_post(&app, &bob, post).await;
    assert_eq!(read["is_file_attached"], true);
    let listed: Vec<i64> = read["attachments"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, vec![text_id, png_id]);

    let response = app.get(&format!("/attachments/{text_id}")).bearer(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(headers["content-disposition"], "attachment; filename*=UTF-8''notes.txt");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"hello files");

    let response = app.delete(&format!("/attachments/{text_id}")).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "attachment.not_owner").await;
    let response = app.delete(&format!("/attachments/{text_id}")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(stored_files(&app.settings.storage.dir).len(), 1, "the file left the disk");
    let response = app.get(&format!("/attachments/{text_id}")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "attachment.not_found").await;
    assert_eq!(read_post(&app, &bob, post).await["is_file_attached"], true, "one file left");

    let response = app.delete(&format!("/attachments/{png_id}")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let read = read_post(&app, &bob, post).await;
    assert_eq!(
        (read["is_file_attached"].as_bool(), read["attachments"].as_array().map(Vec::len)),
        (Some(false), Some(0))
    );
    assert!(stored_files(&app.settings.storage.dir).is_empty());
}

#[tokio::test]
async fn an_upload_over_the_size_limit_leaves_no_file_and_no_row() {
    let app = TestApp::spawn_with(|s| s.upload.max_file_bytes = 1024).await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Too big", "x").await["id"].as_i64().unwrap();

    let response = upload(
        &app,
        &alice,
        &format!("/posts/{post}/attachments"),
        vec![file("small.txt", "text/plain", b"fits"), file("big.bin", "application/octet-stream", &[7u8; 4096])],
    )
    .await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "upload.too_large").await;
    assert!(stored_files(&app.settings.storage.dir).is_empty(), "not even the file that fitted");
    assert_eq!(attachment_rows(&app).await, 0);
    assert_eq!(read_post(&app, &alice, post).await["is_file_attached"], false);

    let response =
        upload(&app, &alice, &format!("/posts/{post}/attachments"), vec![file("a.bin", "x/y", &[1u8; 1024])]).await;
    assert_eq!(response.status(), StatusCode::CREATED, "exactly the limit is fine");
}

#[tokio::test]
async fn the_count_limit_holds_per_post_and_per_comment_and_refusals_leave_nothing() {
    let app = TestApp::spawn_with(|s| s.upload.max_files = 2).await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Few files", "x").await["id"].as_i64().unwrap();
    let path = format!("/posts/{post}/attachments");
    let three = || (0..3).map(|i| file(&format!("{i}.txt"), "text/plain", b"x")).collect::<Vec<_>>();

    let response = upload(&app, &alice, &path, three()).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "upload.too_many_files").await;
    assert!(stored_files(&app.settings.storage.dir).is_empty());
    assert_eq!(attachment_rows(&app).await, 0);

    let response = upload(&app, &alice, &path, vec![file("1.txt", "text/plain", b"1")]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response =
        upload(&app, &alice, &path, vec![file("2.txt", "text/plain", b"2"), file("3.txt", "text/plain", b"3")]).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "upload.too_many_files").await;
    let response = upload(&app, &alice, &path, vec![file("2.txt", "text/plain", b"2")]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(stored_files(&app.settings.storage.dir).len(), 2);

    // A comment has its own allowance.
    let comment = create_comment(&app, &alice, post, "with files").await["id"].as_i64().unwrap();
    let response = upload(&app, &alice, &format!("/comments/{comment}/attachments"), three()).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "upload.too_many_files").await;
    let response =
        upload(&app, &alice, &format!("/comments/{comment}/attachments"), three().into_iter().take(2).collect()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(attachment_rows(&app).await, 4);
}

#[tokio::test]
async fn a_path_as_file_name_is_stored_harmlessly() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Sneaky", "x").await["id"].as_i64().unwrap();
    let response = upload(
        &app,
        &alice,
        &format!("/posts/{post}/attachments"),
        vec![file("../../etc/passwd", "text/plain", b"not really")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created[0]["original_name"], "passwd");
    let id = created[0]["id"].as_i64().unwrap();

    let storage = &app.settings.storage.dir;
    let stored = stored_files(storage);
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], "passwd");
    assert!(!storage.parent().unwrap().join("etc").exists() && !storage.join("etc").exists());
    let response = app.get(&format!("/attachments/{id}")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.headers()["content-disposition"], "attachment; filename*=UTF-8''passwd");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"not really");

    let response = upload(
        &app,
        &alice,
        &format!("/posts/{post}/attachments"),
        vec![file("r\u{e9}sum\u{e9} \"final\".pdf", "application/pdf", b"%PDF-1.7")],
    )
    .await;
    let id = response.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();
    let response = app.get(&format!("/attachments/{id}")).bearer(&alice).send().await.unwrap();
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    );
}

#[tokio::test]
async fn a_file_claiming_an_image_type_it_is_not_is_refused_with_415() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Images", "x").await["id"].as_i64().unwrap();
    let path = format!("/posts/{post}/attachments");
    for kind in ["image/png", "image/jpeg", "image/gif", "image/webp"] {
        let response = upload(&app, &alice, &path, vec![file("x", kind, b"<html><script>alert(1)</script>")]).await;
        assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "upload.type_mismatch").await;
    }
    assert!(stored_files(&app.settings.storage.dir).is_empty());
    assert_eq!(attachment_rows(&app).await, 0);
    let response = upload(&app, &alice, &path, vec![file("ok.png", "image/png", PNG)]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn comment_files_belong_to_the_comment_author_and_show_in_the_comment_list() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.new_user().await, app.new_user().await);
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Topic", "x").await["id"].as_i64().unwrap();
    let comment = create_comment(&app, &bob, post, "see attached").await["id"].as_i64().unwrap();
    let path = format!("/comments/{comment}/attachments");

    let response = upload(&app, &alice, &path, vec![file("a.txt", "text/plain", b"a")]).await;
    assert_problem(response, StatusCode::FORBIDDEN, "comment.not_owner").await;
    let response =
        upload(&app, &bob, &format!("/posts/{post}/attachments"), vec![file("a.txt", "text/plain", b"a")]).await;
    assert_problem(response, StatusCode::FORBIDDEN, "post.not_owner").await;

    let response = upload(&app, &bob, &path, vec![file("b.txt", "text/plain", b"bob's")]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();
    let page: Value =
        app.get(&format!("/posts/{post}/comments")).bearer(&alice).send().await.unwrap().json().await.unwrap();
    let listed = &page["items"][0];
    assert_eq!(listed["is_file_attached"], true);
    assert_eq!(listed["attachments"][0]["id"], id);
    assert_eq!(listed["attachments"][0]["comment_id"], comment);
    assert_eq!(read_post(&app, &alice, post).await["is_file_attached"], false, "the post itself has no files");

    // The files of a comment are its author's, not the post author's.
    let response = app.delete(&format!("/attachments/{id}")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "attachment.not_owner").await;
    let response = app.delete(&format!("/attachments/{id}")).bearer(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let page: Value =
        app.get(&format!("/posts/{post}/comments")).bearer(&alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["items"][0]["is_file_attached"], false);

    // Deleting the comment hides its files.
    let response = upload(&app, &bob, &path, vec![file("c.txt", "text/plain", b"c")]).await;
    let id = response.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();
    let response = app.delete(&format!("/comments/{comment}")).bearer(&bob).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get(&format!("/attachments/{id}")).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "attachment.not_found").await;
}

#[tokio::test]
async fn bodies_that_are_not_file_uploads_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Topic", "x").await["id"].as_i64().unwrap();
    let path = format!("/posts/{post}/attachments");

    let response = app.post(&path).bearer(&alice).json(&serde_json::json!({"file": "x"})).send().await.unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "request.unsupported_media_type").await;
    let form = Form::new().text("comment", "hi");
    let response = app.post(&path).bearer(&alice).multipart(form).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let form = Form::new().part("file", Part::bytes(b"{}".to_vec()));
    let response = app.post(&path).bearer(&alice).multipart(form).send().await.unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["file"].is_array(), "a `file` part without a filename is no file: {body}");
    let response = app.post(&path).bearer(&alice).multipart(Form::new()).send().await.unwrap();
    assert_eq!(response.status().as_u16() / 100, 4, "an empty form is refused");
    assert!(stored_files(&app.settings.storage.dir).is_empty());
}
