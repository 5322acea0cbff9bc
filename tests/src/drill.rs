//! Private infrastructure for fault drills and the scale-out proof: a PostgreSQL cluster
//! and a RabbitMQ node of their own on spare ports (never the machine's shared services),
//! and Agora binaries run as real processes.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// Waits until `check` holds, polling; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn postgres_bin(tool: &str) -> PathBuf {
    let base = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(base)
        .unwrap_or_else(|e| panic!("PostgreSQL binaries not found under {}: {e}", base.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL version").join("bin").join(tool)
}

/// A PostgreSQL cluster in a temporary directory, owned by the `postgres` user.
pub struct PrivatePostgres {
    pub port: u16,
    dir: tempfile::TempDir,
}

impl PrivatePostgres {
    pub fn start() -> PrivatePostgres {
        let dir = tempfile::Builder::new().prefix("agora-drill-pg-").tempdir().expect("tempdir");
        run(Command::new("chown").arg("postgres").arg(dir.path()));
        let data = dir.path().join("data");
        run(Command::new("runuser").args(["-u", "postgres", "--"]).arg(postgres_bin("initdb")).args([
            "-D",
            data.to_str().expect("utf-8 path"),
            "-A",
            "trust",
            "-U",
            "postgres",
        ]));
        let postgres = PrivatePostgres { port: free_port(), dir };
        postgres.resume();
        postgres
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("data");
        run(Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(postgres_bin("pg_ctl"))
            .args(["-D", data.to_str().expect("utf-8 path"), "-w"])
            .args(args));
    }

    /// Starts (again) on the same port and data.
    pub fn resume(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        let log = self.dir.path().join("log");
        self.pg_ctl(&["-o", &options, "-l", log.to_str().expect("utf-8 path"), "start"]);
        wait_until("PostgreSQL to accept connections", Duration::from_secs(30), || port_open(self.port));
    }

    /// Stops the server at once (`-m immediate`: like a crash), keeping its data.
    pub fn kill(&self) {
        self.pg_ctl(&["-m", "immediate", "stop"]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(postgres_bin("pg_ctl"))
            .args(["-D", data.to_str().unwrap_or_default(), "-m", "immediate", "stop"])
            .output();
    }
}

/// A RabbitMQ node of its own (`drill-<port>@localhost`) with its own config and data.
pub struct PrivateRabbit {
    pub port: u16,
    node: String,
    dir: tempfile::TempDir,
}

impl PrivateRabbit {
    pub fn start() -> PrivateRabbit {
        let dir = tempfile::Builder::new().prefix("agora-drill-rmq-").tempdir().expect("tempdir");
        let port = free_port();
        std::fs::write(dir.path().join("enabled_plugins"), "[].\n").expect("plugins file");
        std::fs::write(dir.path().join("rabbitmq.conf"), format!("listeners.tcp.default = 127.0.0.1:{port}\n"))
            .expect("config file");
        run(Command::new("chown").args(["-R", "rabbitmq:rabbitmq"]).arg(dir.path()));
        let rabbit = PrivateRabbit { port, node: format!("drill{port}@localhost"), dir };
        rabbit.resume();
        rabbit
    }

    /// `amqp://guest:guest@127.0.0.1:PORT/%2f`
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.dir.path();
        let mut command = Command::new(program);
        command
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", (self.port as u32 + 10_000).min(65_000).to_string())
            .env("RABBITMQ_MNESIA_BASE", path.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", path.join("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", path.join("enabled_plugins"))
            .env("RABBITMQ_PID_FILE", path.join("pid"))
            .env("RABBITMQ_CONFIG_FILE", path.join("rabbitmq.conf"));
        command
    }

    /// Starts the node (again), keeping its durable queues.
    pub fn resume(&self) {
        run(self.command("rabbitmq-server").arg("-detached"));
        wait_until("RabbitMQ to accept connections", Duration::from_secs(60), || port_open(self.port));
    }

    /// Stops the node.
    pub fn stop(&self) {
        run(self.command("rabbitmqctl").args(["-n", &self.node, "stop"]));
        wait_until("RabbitMQ to stop", Duration::from_secs(30), || !port_open(self.port));
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        let _ = self.command("rabbitmqctl").args(["-n", &self.node, "stop"]).output();
    }
}

/// The directory of the workspace's built binaries (`target/debug` unless
/// `CARGO_TARGET_DIR` or `AGORA_BIN_DIR` says otherwise).
pub fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("AGORA_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug")
}

/// A running Agora binary (`agora` or `ai-worker`) with its output captured.
pub struct AgoraProcess {
    pub child: Child,
    /// The port it listens on (servers only).
    pub port: Option<u16>,
    pub output: Arc<Mutex<Vec<String>>>,
}

impl AgoraProcess {
    /// Starts `binary` with `APP_ENV=test`, the repository's `config/`, and `env`; for the
    /// server, waits for its `listening on` line and reads the port from it.
    pub fn spawn(binary: &str, env: &[(&str, String)]) -> AgoraProcess {
        let path = bin_dir().join(binary);
        assert!(path.exists(), "{} is not built; run `cargo build --workspace --bins` first", path.display());
        let mut command = Command::new(&path);
        command
            .env("APP_ENV", "test")
            .env("APP_CONFIG_DIR", Path::new(env!("CARGO_MANIFEST_DIR")).join("../config"))
            .env("APP__LOG__FORMAT", "text")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().expect("output lock").push(line);
                }
            });
        }
        let mut process = AgoraProcess { child, port: None, output };
        if binary == "agora" {
            let mut port = None;
            wait_until(&format!("{binary} to listen"), Duration::from_secs(60), || {
                port = process.lines().iter().find_map(|line| {
                    let rest = line.split("listening on http://").nth(1)?;
                    rest.split_whitespace().next()?.rsplit(':').next()?.parse::<u16>().ok()
                });
                port.is_some()
            });
            process.port = port;
        }
        process
    }

    /// What the process wrote so far, stdout and stderr interleaved.
    pub fn lines(&self) -> Vec<String> {
        self.output.lock().expect("output lock").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port.expect("a server process"))
    }

    /// Sends SIGTERM (graceful stop).
    pub fn terminate(&self) {
        run(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
    }

    /// Sends SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit; panics after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(start.elapsed() < timeout, "process did not exit within {timeout:?}: {:#?}", self.lines());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for AgoraProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates an administrator with `admin-cli create-admin` on `database_url`.
pub fn create_admin(database_url: &str, name: &str, password: &str) {
    use std::io::Write;

    let path = bin_dir().join("admin-cli");
    assert!(path.exists(), "{} is not built; run `cargo build --workspace --bins` first", path.display());
    let mut child = Command::new(&path)
        .env("APP_ENV", "test")
        .env("APP_CONFIG_DIR", Path::new(env!("CARGO_MANIFEST_DIR")).join("../config"))
        .env("APP__DATABASE__URL", database_url)
        .args(["create-admin", "--name", name, "--email", &format!("{name}@example.com"), "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("password written");
    let output = child.wait_with_output().expect("admin-cli ran");
    assert!(output.status.success(), "admin-cli create-admin failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// An account of a drill, logged in against one server.
#[derive(Debug, Clone)]
pub struct DrillUser {
    pub id: i64,
    pub name: String,
    pub token: String,
}

/// HTTP against the `/api/v1` of a server process, with a bounded timeout so that a hang
/// fails the drill instead of stalling it.
#[derive(Debug, Clone)]
pub struct DrillClient {
    pub http: reqwest::Client,
    base: String,
}

impl DrillClient {
    pub fn new(server: &AgoraProcess) -> DrillClient {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
        DrillClient { http, base: server.url("") }
    }

    /// The same client aimed at another server process (e.g. a restarted one).
    pub fn at(&self, server: &AgoraProcess) -> DrillClient {
        DrillClient { http: self.http.clone(), base: server.url("") }
    }

    /// `http://127.0.0.1:PORT/api/v1{path}`
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// `http://127.0.0.1:PORT{path}` (outside the API, e.g. health checks).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `ws://127.0.0.1:PORT/api/v1{path}`
    pub fn ws(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base.replacen("http://", "ws://", 1))
    }

    pub async fn login(&self, name: &str, password: &str) -> DrillUser {
        let response = self
            .http
            .post(self.api("/auth/login"))
            .json(&serde_json::json!({"username": name, "password": password}))
            .send()
            .await
            .expect("login answered");
        assert_eq!(response.status(), 200, "login of {name}");
        let tokens: serde_json::Value = response.json().await.expect("tokens");
        let token = tokens["access_token"].as_str().expect("access token").to_owned();
        let me: serde_json::Value = self
            .http
            .get(self.api("/users/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me answered")
            .json()
            .await
            .expect("me");
        DrillUser { id: me["id"].as_i64().expect("user id"), name: name.to_owned(), token }
    }

    /// Signs a new user up and logs it in.
    pub async fn new_user(&self, name: &str) -> DrillUser {
        let email = format!("{name}@example.com");
        let account = api_client::sign_up(&self.http, &self.api(""), name, &email, "password-123").await.unwrap();
        DrillUser { id: account.id, name: name.to_owned(), token: account.access_token }
    }

    /// Creates a `linear_regression` model named `name` as `admin` and waits (up to
    /// `timeout`) until it is trained; returns its id. A failed training fails the drill.
    pub async fn trained_model(&self, admin: &DrillUser, name: &str, timeout: Duration) -> i64 {
        let body = serde_json::json!({"name": name, "description": "drill", "algorithm": "linear_regression", "is_visible": true});
        let (status, model) = self.call(reqwest::Method::POST, "/ai/models", admin, Some(body)).await;
        assert_eq!(status, 202, "{model}");
        let id = model["id"].as_i64().expect("model id");
        eventually("the model to be trained", timeout, || async {
            let (_, model) = self.call(reqwest::Method::GET, &format!("/ai/models/{id}"), admin, None).await;
            assert_ne!(model["status"], "failed", "{model}");
            (model["status"] == "ready").then_some(())
        })
        .await;
        id
    }

    /// Opens a chat socket on `session_id` as `user` and waits until its first frame was
    /// answered; `None` when the server refuses the handshake with 503 (its chat bus is down).
    pub async fn try_chat_socket(&self, session_id: i64, user: &DrillUser) -> Option<crate::ws::WsClient> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request =
            self.ws(&format!("/chat/sessions/{session_id}/ws")).into_client_request().expect("ws request");
        let bearer = format!("Bearer {}", user.token);
        request.headers_mut().insert("authorization", bearer.parse().expect("header value"));
        match tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(request)).await {
            Ok(Ok((stream, _))) => {
                let mut socket = crate::ws::WsClient { stream };
                socket.ready().await;
                Some(socket)
            }
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
                assert_eq!(response.status().as_u16(), 503, "a refused socket is only ever 503: {response:?}");
                None
            }
            Ok(Err(other)) => panic!("the chat handshake failed: {other}"),
            Err(_) => panic!("the chat handshake hung"),
        }
    }

    /// Sends a JSON request and returns its status and JSON body (`Null` when not JSON).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        user: &DrillUser,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.http.request(method, self.api(path)).bearer_auth(&user.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{path}: no answer: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// Polls until a condition yields a value (the same as the AI tests use).
pub use crate::ai::eventually;
