//! The harness of the end-to-end suite: a real Agora server on a random port over a fresh
//! database, and helpers to drive it like a client would.
//!
//! The database comes from `AGORA_TEST_DATABASE_URL` (unset: a SQLite file in a temporary
//! directory); the suite runs unchanged on SQLite, PostgreSQL and MariaDB.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod drill;
pub mod ws;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use app::{Application, Services, Settings, StopHandle};
use identity::service::SignupInput;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use testdb::{TestDatabase, fresh_database_from_env};

pub mod ai;
pub mod tcp_proxy;
pub mod worker;

/// A running server and everything a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub port: u16,
    pub client: Client,
    pub settings: Settings,
    pub services: Services,
    pub dir: TempDir,
    handle: StopHandle,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The database, owned by the first instance (a second instance shares it).
    _db: Option<TestDatabase>,
}

/// A user with a live session.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// The environment variable naming the RabbitMQ broker the suite runs on; unset means the
/// in-process queue and chat bus.
pub const TEST_AMQP_URL_VAR: &str = "AGORA_TEST_AMQP_URL";

/// The settings every test server starts from: `APP_ENV=test`, port 0, files and mail in
/// `dir`, the given database, and the broker of `AGORA_TEST_AMQP_URL` if set.
pub fn test_settings(database_url: &str, dir: &Path) -> Settings {
    let vars: HashMap<String, String> = [("APP_ENV".to_owned(), "test".to_owned())].into();
    let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let mut settings = Settings::load_from(&vars, &config_dir).expect("test settings");
    settings.server.host = "127.0.0.1".to_owned();
    settings.server.port = 0;
    settings.database.url = app::settings::Secret::new(database_url);
    settings.database.migrate_on_start = false;
    settings.storage.dir = dir.join("files");
    settings.mail.transport = app::settings::MailTransport::File;
    settings.mail.dir = dir.join("mail");
    if let Ok(amqp) = std::env::var(TEST_AMQP_URL_VAR) {
        settings.amqp.url = app::settings::Secret::new(amqp);
        // Each server gets its own AI job queue on the shared broker, which it consumes
        // itself (tests of separate ai-worker processes turn that off), and which the
        // broker deletes once the test is over.
        settings.ai.queue = unique("agora_test_ai");
        settings.ai.queue_expiry_secs = 600;
        settings.ai.app_consumes_jobs = true;
    }
    // Test servers share one broker, and their fresh databases reuse ids: keep them apart.
    settings.chat.bus_namespace = unique("test");
    settings
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

impl TestApp {
    /// A server with the test settings.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose settings `configure` may change first.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let db = fresh_database_from_env().await.expect("a fresh test database (AGORA_TEST_DATABASE_URL)");
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut settings = test_settings(&db.url, dir.path());
        configure(&mut settings);
        Self::start(settings, dir, Some(db)).await
    }

    /// Another instance of the server on the same database (and the same broker, when
    /// `AGORA_TEST_AMQP_URL` is set), as a second instance behind a load balancer would be.
    /// It must be dropped before `self`, which owns the database.
    pub async fn spawn_second_instance(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut settings = test_settings(self.settings.database.url.expose(), dir.path());
        settings.chat = self.settings.chat.clone();
        settings.amqp = self.settings.amqp.clone();
        settings.ai = self.settings.ai.clone();
        Self::start(settings, dir, None).await
    }

    async fn start(settings: Settings, dir: TempDir, db: Option<TestDatabase>) -> TestApp {
        let application = Application::build(settings.clone()).await.expect("the server starts");
        let port = application.port();
        let services = application.services().clone();
        let handle = application.handle();
        let server = tokio::spawn(application.run_until_stopped());
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("HTTP client");
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client,
            settings,
            services,
            dir,
            handle,
            server: Some(server),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `/api/v1` + `path`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.api(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.api(path))
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.client.patch(self.api(path))
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.client.put(self.api(path))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.api(path))
    }

    /// POST /auth/signup.
    pub async fn signup(&self, name: &str, email: &str, password: &str) -> Response {
        self.post("/auth/signup")
            .json(&json!({"name": name, "email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// POST /auth/login with JSON.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post("/auth/login").json(&json!({"username": username, "password": password})).send().await.unwrap()
    }

    /// Signs a new user up and logs it in.
    pub async fn new_user(&self) -> TestUser {
        let name = unique("user");
        let email = format!("{name}@example.com");
        let password = "password-123".to_owned();
        let account = api_client::sign_up(&self.client, &self.api(""), &name, &email, &password).await.unwrap();
        TestUser {
            id: account.id,
            name,
            email,
            password,
            access_token: account.access_token,
            refresh_token: account.refresh_token,
        }
    }

    /// Creates an administrator the way `admin-cli` does, and logs it in.
    pub async fn new_admin(&self) -> TestUser {
        let name = unique("admin");
        let email = format!("{name}@example.com");
        let password = "admin-password-1".to_owned();
        let admin = self
            .services
            .accounts
            .create_admin(SignupInput { name: name.clone(), email: email.clone(), password: password.clone() })
            .await
            .expect("create admin");
        self.logged_in(admin.id, name, email, password).await
    }

    async fn logged_in(&self, id: i64, name: String, email: String, password: String) -> TestUser {
        let response = self.login(&name, &password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {name}");
        let tokens: Value = response.json().await.unwrap();
        TestUser {
            id,
            name,
            email,
            password,
            access_token: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a visible, open board through the admin API (`POST /admin/boards`) and
    /// returns its id. `access` is `public` or `restricted`.
    pub async fn create_board(&self, admin: &TestUser, name: &str, access: &str) -> i64 {
        let board = self.create_board_with(admin, json!({"name": name, "access": access})).await;
        board["id"].as_i64().expect("board id")
    }

    /// Creates a board from a whole `POST /admin/boards` body (e.g. with `is_visible`,
    /// `is_available` or `member_ids`) and returns the created board.
    pub async fn create_board_with(&self, admin: &TestUser, body: Value) -> Value {
        let response = self.post("/admin/boards").bearer(admin).json(&body).send().await.unwrap();
        let status = response.status();
        let created: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "create board {body}: {created}");
        created
    }

    /// Makes `board_ids` the restricted boards `user_id` is a member of
    /// (`PUT /admin/users/{id}/boards`).
    pub async fn set_memberships(&self, admin: &TestUser, user_id: i64, board_ids: &[i64]) {
        let response = self
            .put(&format!("/admin/users/{user_id}/boards"))
            .bearer(admin)
            .json(&json!({"board_ids": board_ids}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "memberships of {user_id}: {}", response.text().await.unwrap());
    }

    /// The `.eml` files written so far, oldest first.
    pub fn mails(&self) -> Vec<String> {
        let dir: PathBuf = self.settings.mail.dir.clone();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> =
            entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// Stops the server gracefully and starts a new one on the same database, directory
    /// and settings, changed first by `configure`.
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        self.handle.stop(true).await;
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
        let mut settings = self.settings.clone();
        settings.server.port = 0;
        configure(&mut settings);
        let application = Application::build(settings.clone()).await.expect("the server starts again");
        let port = application.port();
        let services = application.services().clone();
        let handle = application.handle();
        let server = tokio::spawn(application.run_until_stopped());
        // Take the database and directory out of the stopped app, which has nothing left
        // to stop on drop.
        let db = self._db.take();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temporary directory"));
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: self.client.clone(),
            settings,
            services,
            dir,
            handle,
            server: Some(server),
            _db: db,
        }
    }

    /// Stops the server gracefully and waits until it has finished.
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.server.is_some() {
            let handle = self.handle.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { handle.stop(false).await });
            }
        }
    }
}

/// Adds the user's bearer token.
pub trait Authed {
    fn bearer(self, user: &TestUser) -> Self;
}

impl Authed for RequestBuilder {
    fn bearer(self, user: &TestUser) -> Self {
        self.bearer_auth(&user.access_token)
    }
}

/// Asserts a problem document with this status and code, and returns it.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    let actual = response.status();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "status; body: {body}");
    assert!(content_type.starts_with("application/problem+json"), "content type {content_type}; body: {body}");
    assert_eq!(body["code"], code, "code; body: {body}");
    assert_eq!(body["status"], status.as_u16(), "status member; body: {body}");
    for member in ["type", "title", "detail"] {
        assert!(body[member].is_string(), "{member} missing; body: {body}");
    }
    body
}
