//! The text rules of API.md's "Account security": no text field takes NUL or another
//! control character (multi-line ones keep newlines and tabs), names are of one script and
//! unique by their NFKC case-folded form. NUL was a 500 on PostgreSQL, which cannot store it.

use e2e::{Authed, TestApp, assert_problem, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::board_support::{OPEN, create_board, create_post};

const CONTROLS: [&str; 4] = ["nul\u{0}inside", "bell\u{7}", "escape\u{1b}[2J", "lone\rreturn"];

fn field_errors(problem: &Value, field: &str) -> Vec<String> {
    problem["errors"][field].as_array().map(|m| m.iter().map(|v| v.to_string()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn posts_and_comments_refuse_control_characters_and_keep_line_breaks() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;

    for bad in CONTROLS {
        let response = app
            .post(&format!("/boards/{board}/posts"))
            .bearer(&alice)
            .json(&json!({"title": "fine", "content": bad}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
        assert!(!field_errors(&problem, "content").is_empty(), "{problem}");
    }
    let response = app
        .post(&format!("/boards/{board}/posts"))
        .bearer(&alice)
        .json(&json!({"title": "two\nlines", "content": "fine"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(!field_errors(&problem, "title").is_empty(), "a title is one line: {problem}");

    let post = create_post(&app, &alice, board, "fine", "line one\r\nline two\n\tindented").await;
    assert_eq!(post["content"], "line one\r\nline two\n\tindented", "newlines and tabs are kept as typed");
    let post_id = post["id"].as_i64().unwrap();

    let response = app
        .patch(&format!("/posts/{post_id}"))
        .bearer(&alice)
        .json(&json!({"content": "x\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let response = app
        .post(&format!("/posts/{post_id}/comments"))
        .bearer(&alice)
        .json(&json!({"content": "nul\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;

    let response = app.get(&format!("/boards/{board}/posts?q=nul%00")).bearer(&alice).send().await.unwrap();
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(!field_errors(&problem, "q").is_empty(), "{problem}");

    let read: Value = app.get(&format!("/posts/{post_id}")).bearer(&alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["content"], "line one\r\nline two\n\tindented", "a refused edit changed nothing");
    assert_eq!(read["number_of_comment"], 0, "a refused comment was not stored");
}

#[tokio::test]
async fn chat_boards_and_models_refuse_control_characters() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;

    let response = app
        .post("/admin/boards")
        .bearer(&admin)
        .json(&json!({"name": unique("b"), "information": "a\u{0}b", "is_visible": true, "is_available": true, "access": "public"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;

    let response = app
        .post("/chat/sessions")
        .bearer(&alice)
        .json(&json!({"name": "help", "information": "nul\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let response = app
        .post("/chat/sessions")
        .bearer(&alice)
        .json(&json!({"name": "help", "information": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let session = response.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let response = app
        .post(&format!("/chat/sessions/{session}/messages"))
        .bearer(&alice)
        .json(&json!({"content": "hi\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;

    let response = app
        .post("/ai/models")
        .bearer(&admin)
        .json(&json!({"name": unique("m"), "description": "x\u{1b}", "algorithm": "linear_regression", "is_visible": true}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;

    let response = app.get("/admin/users?q=a%00").bearer(&admin).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
}

#[tokio::test]
async fn names_of_mixed_scripts_are_refused_and_look_alikes_cannot_coexist() {
    let app = TestApp::spawn().await;
    let base = unique("root");

    // Latin with two Cyrillic "о": it reads as a Latin name.
    let spoof = format!("r\u{43e}\u{43e}t{}", &base[4..]);
    let response = app.signup(&spoof, &format!("{}@example.com", unique("s")), "password-123").await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(!field_errors(&problem, "name").is_empty(), "{problem}");

    let response = app.signup(&base, &format!("{base}@example.com"), "password-123").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let fullwidth: String = base.to_uppercase().chars().map(fullwidth).collect();
    let response = app.signup(&fullwidth, &format!("{}@example.com", unique("f")), "password-123").await;
    assert_problem(response, StatusCode::CONFLICT, "user.name_taken").await;

    // The folded form logs in as the same account, as typing the name in capitals always did.
    let response = app.login(&fullwidth, "password-123").await;
    assert_eq!(response.status(), StatusCode::OK);

    // A name in one other script is welcome.
    let cyrillic = "\u{43f}\u{43e}\u{43b}\u{44c}\u{437}\u{43e}\u{432}\u{430}\u{442}\u{435}\u{43b}\u{44c}_1";
    let response = app.signup(cyrillic, &format!("{}@example.com", unique("c")), "password-123").await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
}

#[tokio::test]
async fn credentials_with_control_characters_never_reach_the_database() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;

    let response = app.login(&format!("{}\u{0}", alice.name), &alice.password).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.invalid_credentials").await;
    let response = app.login(&format!("{}\u{0}", alice.email), &alice.password).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.invalid_credentials").await;

    let response = app.signup(&unique("u"), &format!("{}@example.com", unique("e")), "password\u{0}123").await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let response = app.post("/auth/password-reset").json(&json!({"email": "a\u{0}@example.com"})).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
}

/// The fullwidth form of an ASCII letter or digit (NFKC turns it back).
fn fullwidth(c: char) -> char {
    if c.is_ascii_alphanumeric() { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c }
}
