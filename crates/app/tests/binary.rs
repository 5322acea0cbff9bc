//! The built `agora` binary as an operator meets it: its command line, its refusals of bad
//! configuration, its startup log, and a log reader that stalls or goes away.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, PipeReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const STARTUP: Duration = Duration::from_secs(60);

/// `agora` on a fresh SQLite database in `dir`, with the repository's `config/` and
/// `APP_ENV=test`, on any free port; `env` adds or overrides variables.
fn agora(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_ENV", "test")
        .env("APP_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
        .env("APP__DATABASE__URL", format!("sqlite://{}?mode=rwc", dir.join("agora.db").display()))
        .env("APP__STORAGE__DIR", dir.join("files"))
        .env("APP__SERVER__PORT", "0")
        .current_dir(dir)
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    agora(dir, env).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A server whose standard output and error share one pipe, as in `agora 2>&1 | reader`.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts and reads the pipe up to the `listening on` line; returns the lines read so
    /// far and the pipe's read end, which the caller may keep reading, hold unread or close.
    fn start(dir: &Path, env: &[(&str, &str)]) -> (Server, Vec<String>, BufReader<PipeReader>) {
        let (reader, writer) = std::io::pipe().unwrap();
        let mut child = agora(dir, env).stdout(writer.try_clone().unwrap()).stderr(writer).spawn().unwrap();
        let (lines_tx, lines_rx) = mpsc::channel();
        let reading = std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut lines = Vec::new();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                lines.push(std::mem::take(&mut line));
                if lines.last().is_some_and(|l| l.contains("listening on")) {
                    break;
                }
            }
            let _ = lines_tx.send(());
            (lines, reader)
        });
        let started = lines_rx.recv_timeout(STARTUP);
        if started.is_err() {
            // Ends the pipe, and with it the reading thread.
            let _ = child.kill();
        }
        let (lines, reader) = reading.join().unwrap();
        assert!(started.is_ok(), "no `listening on` line: {lines:#?}");
        let port = lines
            .iter()
            .find_map(|l| {
                let address = l.split("listening on http://").nth(1)?;
                let end = address.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))?;
                address[..end].rsplit(':').next()?.parse().ok()
            })
            .unwrap_or_else(|| panic!("no port in {lines:#?}"));
        (Server { child, port }, lines, reader)
    }

    /// Starts with its output going nowhere: both streams are a pipe whose reader is
    /// already closed. The port is chosen here, since the log that names it is lost.
    fn start_unread(dir: &Path, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let port_text = port.to_string();
        let mut env = env.to_vec();
        env.push(("APP__SERVER__PORT", &port_text));
        let child = agora(dir, &env).stdout(writer.try_clone().unwrap()).stderr(writer).spawn().unwrap();
        Server { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends SIGTERM and waits for the exit; panics when it does not come in time.
    fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "agora ignored SIGTERM for 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

/// Polls `/health/live` until it answers 200; panics after `STARTUP`.
async fn wait_live(client: &reqwest::Client, server: &Server) {
    let deadline = Instant::now() + STARTUP;
    loop {
        if let Ok(response) = client.get(server.url("/health/live")).send().await
            && response.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "the server never answered /health/live");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `agora_log_write_failures_total{reason="…"}` as `/metrics` reports it.
async fn log_failures(client: &reqwest::Client, server: &Server, reason: &str) -> f64 {
    let metrics = client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let series = format!("agora_log_write_failures_total{{reason=\"{reason}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics:\n{metrics}"))
}

/// Health checks answered one after another, each within the client's timeout.
async fn answers(client: &reqwest::Client, server: &Server, times: usize) {
    for _ in 0..times {
        let status = client.get(server.url("/health/live")).send().await.unwrap().status();
        assert_eq!(status, 200);
    }
}

#[test]
fn help_and_version_answer_like_any_cli_and_start_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let help = run(dir.path(), &["--help"], &[]);
    assert_eq!(help.status.code(), Some(0));
    let stdout = text(&help.stdout);
    for documented in ["Usage: agora", "APP__SECTION__KEY", "APP_CONFIG_DIR", "RUST_LOG", "--version", "SIGTERM"] {
        assert!(stdout.contains(documented), "{documented} missing:\n{stdout}");
    }
    assert!(!stdout.contains("listening on"));
    assert!(!dir.path().join("agora.db").exists(), "--help opened no database");

    let version = run(dir.path(), &["--version"], &[]);
    assert_eq!(version.status.code(), Some(0));
    let line = text(&version.stdout);
    let expected = format!("agora {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected) && line.trim_end().ends_with(')'), "{line}");
    assert!(!dir.path().join("agora.db").exists(), "--version opened no database");

    assert_eq!(run(dir.path(), &["--port", "9000"], &[]).status.code(), Some(2));
}

#[test]
fn an_unknown_setting_refuses_to_start_naming_it_and_the_setting_meant() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &[("APP__SERVER__PROT", "9999")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("APP__SERVER__PROT is not a setting; did you mean APP__SERVER__PORT?"), "{stderr}");

    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(config.join("test.toml"), "[log]\nformt = \"json\"\n").unwrap();
    let out = run(dir.path(), &[], &[("APP_CONFIG_DIR", config.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("test.toml sets log.formt, which is not a setting; did you mean log.format?"), "{stderr}");
}

#[test]
fn a_broken_log_filter_refuses_to_start_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &[("APP__LOG__LEVEL", "info,sqlx=wrn")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("log.level \"info,sqlx=wrn\""), "{}", text(&out.stderr));
    // (A bare word is a valid filter: the name of a target.)
    let out = run(dir.path(), &[], &[("RUST_LOG", "info,sqlx=debugg")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("RUST_LOG \"info,sqlx=debugg\"") && stderr.contains("not a valid log filter"), "{stderr}");
}

#[tokio::test]
async fn the_startup_log_names_version_commit_and_files_read_without_colour_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let (server, lines, _reader) = Server::start(dir.path(), &[]);
    let starting = lines.iter().find(|l| l.contains("starting")).unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(starting.contains(&format!("agora {} (commit ", env!("CARGO_PKG_VERSION"))), "{starting}");
    assert!(starting.contains("built-in defaults") && starting.contains("config/test.toml"), "{starting}");
    assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "escape codes in a pipe: {lines:#?}");
    assert!(server.terminate().success());
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let (server, lines, _reader) = Server::start(dir.path(), &[("APP__LOG__FORMAT", "json")]);
    for line in &lines {
        let event: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(event["level"].is_string() && event["message"].is_string(), "{line}");
    }
    let starting = lines.iter().find(|l| l.contains("starting")).unwrap();
    let event: serde_json::Value = serde_json::from_str(starting).unwrap();
    assert_eq!(event["version"], env!("CARGO_PKG_VERSION"));
    assert!(event["commit"].as_str().is_some_and(|c| !c.is_empty()), "{starting}");
    assert!(server.terminate().success());
}

#[tokio::test]
async fn a_log_reader_gone_before_startup_neither_kills_nor_hangs_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_unread(dir.path(), &[("RUST_LOG", "debug")]);
    let client = client();
    wait_live(&client, &server).await;
    answers(&client, &server, 20).await;
    assert!(log_failures(&client, &server, "write_error").await > 0.0, "the lost lines are counted");
    assert!(server.terminate().success());
}

#[tokio::test]
async fn a_log_reader_gone_after_startup_neither_kills_nor_hangs_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _lines, reader) = Server::start(dir.path(), &[("RUST_LOG", "debug")]);
    drop(reader);
    let client = client();
    answers(&client, &server, 20).await;
    assert!(log_failures(&client, &server, "write_error").await > 0.0, "the lost lines are counted");
    answers(&client, &server, 5).await;
    assert!(server.terminate().success());
}

#[tokio::test]
async fn a_log_reader_that_stops_reading_neither_blocks_the_server_nor_its_stop() {
    let dir = tempfile::tempdir().unwrap();
    // The reader stays open and reads nothing more: the pipe fills, then its writer blocks.
    let (server, _lines, _unread) = Server::start(dir.path(), &[("RUST_LOG", "trace")]);
    let client = client();
    let deadline = Instant::now() + Duration::from_secs(120);
    while log_failures(&client, &server, "queue_full").await == 0.0 {
        assert!(Instant::now() < deadline, "the log never filled the pipe and the queue");
        answers(&client, &server, 50).await;
    }
    answers(&client, &server, 20).await;
    assert!(server.terminate().success());
}
