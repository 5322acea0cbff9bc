//! Helpers of the post, comment, view and attachment tests: boards, memberships, posts and
//! comments made through the API, and a second server on the same database.

use std::time::{Duration, Instant};

use app::{Application, Settings, StopHandle};
use e2e::{Authed, TestApp, TestUser, unique};
use persistence::entity::post;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

/// How a test board is set up.
#[derive(Debug, Clone, Copy)]
pub struct BoardSpec {
    pub restricted: bool,
    pub visible: bool,
    pub available: bool,
}

pub const OPEN: BoardSpec = BoardSpec { restricted: false, visible: true, available: true };
pub const RESTRICTED: BoardSpec = BoardSpec { restricted: true, visible: true, available: true };
pub const HIDDEN: BoardSpec = BoardSpec { restricted: false, visible: false, available: true };
pub const CLOSED: BoardSpec = BoardSpec { restricted: false, visible: true, available: false };

/// Creates a board through the admin API (`TestApp::create_board_with`) and returns its id.
pub async fn create_board(app: &TestApp, spec: BoardSpec) -> i64 {
    let admin = app.new_admin().await;
    let body = json!({
        "name": unique("board"),
        "information": "a test board",
        "is_visible": spec.visible,
        "is_available": spec.available,
        "access": if spec.restricted { "restricted" } else { "public" },
    });
    app.create_board_with(&admin, body).await["id"].as_i64().expect("board id")
}

/// Makes `user` a member of the (restricted) board, and of no other (admin API).
pub async fn add_member(app: &TestApp, board_id: i64, user: &TestUser) {
    let admin = app.new_admin().await;
    app.set_memberships(&admin, user.id, &[board_id]).await;
}

/// Writes a post through the API and returns its body.
pub async fn create_post(app: &TestApp, user: &TestUser, board_id: i64, title: &str, content: &str) -> Value {
    let response = app
        .post(&format!("/boards/{board_id}/posts"))
        .bearer(user)
        .json(&json!({"title": title, "content": content}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "create post");
    response.json().await.unwrap()
}

/// Writes a comment through the API and returns its body.
pub async fn create_comment(app: &TestApp, user: &TestUser, post_id: i64, content: &str) -> Value {
    let response = app
        .post(&format!("/posts/{post_id}/comments"))
        .bearer(user)
        .json(&json!({"content": content}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "create comment");
    response.json().await.unwrap()
}

/// A post's row as stored.
pub async fn stored_post(app: &TestApp, post_id: i64) -> post::Model {
    post::Entity::find_by_id(post_id).one(&app.services.db).await.unwrap().expect("post row")
}

/// Polls `check` every 25 ms until it holds; panics after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A second server on the same database and storage as `app`, as a scaled-out instance.
pub struct Sibling {
    pub address: String,
    handle: StopHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Sibling {
    pub async fn spawn(app: &TestApp, configure: impl FnOnce(&mut Settings)) -> Sibling {
        let mut settings = app.settings.clone();
        configure(&mut settings);
        let application = Application::build(settings).await.expect("the second server starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        let handle = application.handle();
        let task = tokio::spawn(application.run_until_stopped());
        Sibling { address, handle, task }
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }

    /// Stops gracefully, as SIGTERM does, and waits until shutdown is complete.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        self.task.await.expect("server task").expect("server stopped cleanly");
    }
}
