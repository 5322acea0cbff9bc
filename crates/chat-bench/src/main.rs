//! `chat-bench`: load on the chat WebSocket of a release build of `agora`.
//!
//! It starts `target/release/agora` on a fresh database (SQLite by default), signs up
//! `sessions × clients` users, opens one chat session per group and one socket per user,
//! then reports:
//! - the server's memory (VmRSS of /proc/<pid>/status) before and with every socket open
//!   and idle, and the difference per socket;
//! - for each offered load (messages per second over all sessions, each sent by a random
//!   member), the messages delivered per second (every member receives every message of
//!   its session, the sender included) and the p50/p99/max delivery latency, measured from
//!   the moment a client wrote the frame until each member read it.
//!
//! Client and server share the machine, so the figures include the clients' own cost.
//! Not a test: it asserts nothing. `make bench-chat` builds and runs it.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(about = "Chat WebSocket load: delivery rate, latency and memory per socket")]
struct Args {
    /// Chat sessions.
    #[arg(long, default_value_t = 100)]
    sessions: usize,
    /// Connected clients (members) per session.
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Offered loads to measure, in messages per second over all sessions (comma list).
    #[arg(long, value_delimiter = ',', default_value = "100,500,1000")]
    rates: Vec<u32>,
    /// Seconds each load runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The server binary.
    #[arg(long, default_value = "target/release/agora")]
    server: PathBuf,
    /// Database URL for the server; default a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// RabbitMQ URL for the chat bus; default the in-process bus.
    #[arg(long, default_value = "")]
    amqp_url: String,
    /// Also write the figures as a Markdown section (for BENCHMARKS.md) to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

/// The server under test.
struct Server {
    child: tokio::process::Child,
    base: String,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(args: &Args) -> Result<Server, Failure> {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let database = args
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()));
        let child = tokio::process::Command::new(&args.server)
            .env("APP_ENV", "development")
            .env("APP__SERVER__PORT", port.to_string())
            .env("APP__DATABASE__URL", database)
            .env("APP__STORAGE__DIR", dir.path().join("files"))
            .env("APP__AUTH__BCRYPT_COST", "4")
            .env("APP__RATE_LIMIT__AUTH_PER_MINUTE", "0")
            .env("APP__CHAT__MESSAGES_PER_SECOND", "0")
            .env("APP__LOG__LEVEL", "warn")
            .env("APP__AMQP__URL", &args.amqp_url)
            .env("APP__CHAT__BUS_NAMESPACE", format!("bench{}", std::process::id()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e} (run `make bench-chat`)", args.server.display()))?;
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), port, _dir: dir };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = client.get(format!("{}/health/ready", server.base)).send().await
                && response.status().is_success()
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err("the server did not become ready in 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// VmRSS of the server process, in KiB.
    fn rss_kib(&self) -> Result<u64, Failure> {
        let pid = self.child.id().ok_or("the server exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or("no VmRSS in /proc status")?;
        Ok(line.split_whitespace().nth(1).ok_or("malformed VmRSS")?.parse()?)
    }
}

struct User {
    token: String,
}

async fn user(client: &reqwest::Client, base: &str, n: usize) -> Result<User, Failure> {
    let name = format!("bench_{n}_{}", std::process::id());
    let email = format!("{name}@bench.local");
    let api = format!("{base}/api/v1");
    let account = api_client::sign_up(client, &api, &name, &email, "bench-password-1").await?;
    Ok(User { token: account.access_token })
}

async fn user_id(client: &reqwest::Client, base: &str, user: &User) -> Result<i64, Failure> {
    let me: Value = client.get(format!("{base}/api/v1/users/me")).bearer_auth(&user.token).send().await?.json().await?;
    me["id"].as_i64().ok_or_else(|| "no id".into())
}

async fn connect(port: u16, session_id: i64, user: &User) -> Result<Socket, Failure> {
    let mut request = format!("ws://127.0.0.1:{port}/api/v1/chat/sessions/{session_id}/ws").into_client_request()?;
    request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {}", user.token))?);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await?;
    // Ready: the first frame is answered, so nothing stored from now on is missed.
    socket.send(Message::text(r#"{"type":"ping"}"#)).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.as_str().contains(r#""type":"pong""#) => return Ok(socket),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.into()),
            None => return Err("the socket closed before its pong".into()),
        }
    }
}

/// Delivery latencies in microseconds, and how many deliveries were counted.
#[derive(Default)]
struct Record {
    latencies: std::sync::Mutex<Vec<u64>>,
    delivered: AtomicU64,
}

impl Record {
    fn take(&self) -> Vec<u64> {
        std::mem::take(&mut *self.latencies.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Reads one socket's frames, recording the latency of each `message` frame (whose content
/// is `b:<microseconds since start when sent>`) while a load is measured.
fn spawn_reader(
    mut frames: futures_util::stream::SplitStream<Socket>,
    start: Instant,
    record: Arc<Record>,
    measuring: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        while let Some(Ok(message)) = frames.next().await {
            let Message::Text(text) = message else { continue };
            let text = text.as_str();
            let Some(at) = text.find("\"content\":\"b:") else { continue };
            let digits: String = text[at + 13..].chars().take_while(char::is_ascii_digit).collect();
            let Ok(sent) = digits.parse::<u64>() else { continue };
            let now = start.elapsed().as_micros() as u64;
            if measuring.load(Ordering::Relaxed) {
                record
                    .latencies
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(now.saturating_sub(sent));
                record.delivered.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let server = Server::start(&args).await?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let total = args.sessions * args.clients;
    let bus = if args.amqp_url.is_empty() { "in-process bus" } else { "RabbitMQ bus" };
    let database = if args.database_url.is_some() { "the given database" } else { "SQLite" };
    println!(
        "chat-bench: {} sessions × {} clients = {total} sockets, server {} on {database}, {bus}",
        args.sessions, args.clients, server.base
    );

    // Users and sessions.
    let mut users = Vec::with_capacity(total);
    for chunk in (0..total).collect::<Vec<_>>().chunks(50) {
        let batch = futures_util::future::try_join_all(chunk.iter().map(|n| user(&http, &server.base, *n))).await?;
        users.extend(batch);
    }
    let mut ids = Vec::with_capacity(total);
    for user in &users {
        ids.push(user_id(&http, &server.base, user).await?);
    }
    let mut session_ids = Vec::with_capacity(args.sessions);
    for group in 0..args.sessions {
        let creator = &users[group * args.clients];
        let members: Vec<i64> = ids[group * args.clients + 1..(group + 1) * args.clients].to_vec();
        let session: Value = http
            .post(format!("{}/api/v1/chat/sessions", server.base))
            .bearer_auth(&creator.token)
            .json(&json!({"name": format!("bench {group}"), "member_ids": members}))
            .send()
            .await?
            .json()
            .await?;
        session_ids.push(session["id"].as_i64().ok_or("no session id")?);
    }

    // Memory with every socket open and idle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = server.rss_kib()?;
    let mut sockets = Vec::with_capacity(total);
    for (n, user) in users.iter().enumerate() {
        sockets.push(connect(server.port, session_ids[n / args.clients], user).await?);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = server.rss_kib()?;
    let per_socket = (rss_idle.saturating_sub(rss_before)) as f64 / total as f64;
    println!(
        "memory: {} KiB before, {} KiB with {total} idle sockets: {:.1} KiB per socket",
        rss_before, rss_idle, per_socket
    );

    // Readers record latencies; writers take frames from a channel.
    let start = Instant::now();
    let record = Arc::new(Record::default());
    let measuring = Arc::new(AtomicBool::new(false));
    let mut writers: Vec<mpsc::Sender<String>> = Vec::with_capacity(total);
    for socket in sockets {
        let (sink, frames): (SplitSink<Socket, Message>, _) = socket.split();
        spawn_reader(frames, start, record.clone(), measuring.clone());
        let (tx, mut rx) = mpsc::channel::<String>(64);
        let mut sink = sink;
        tokio::spawn(async move {
            while let Some(text) = rx.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
        });
        writers.push(tx);
    }

    let mut rows = String::new();
    println!("load (each message reaches the {} members of its session):", args.clients);
    println!("  offered msg/s | sent   | delivered/s | p50 ms | p99 ms | max ms");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for rate in &args.rates {
        record.take();
        record.delivered.store(0, Ordering::Relaxed);
        measuring.store(true, Ordering::Relaxed);
        let interval = Duration::from_secs_f64(1.0 / f64::from((*rate).max(1)));
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let run_start = Instant::now();
        let mut sent = 0u64;
        while run_start.elapsed() < Duration::from_secs(args.seconds) {
            ticker.tick().await;
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let writer = &writers[(seed % total as u64) as usize];
            let content = format!("b:{}", start.elapsed().as_micros());
            let frame = json!({"type": "message", "content": content}).to_string();
            if writer.try_send(frame).is_ok() {
                sent += 1;
            }
        }
        // Let the last deliveries arrive.
        let expected = sent * args.clients as u64;
        let drain = Instant::now();
        while record.delivered.load(Ordering::Relaxed) < expected && drain.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let elapsed = run_start.elapsed().as_secs_f64();
        measuring.store(false, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let delivered = record.delivered.load(Ordering::Relaxed);
        let mut latencies = record.take();
        latencies.sort_unstable();
        let ms = |us: u64| us as f64 / 1000.0;
        rows.push_str(&format!(
            "| {rate} | {sent} | {delivered} | {:.0} | {:.2} | {:.2} | {:.1} |\n",
            delivered as f64 / elapsed,
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
            ms(latencies.last().copied().unwrap_or(0)),
        ));
        println!(
            "  {:>13} | {:>6} | {:>11.0} | {:>6.2} | {:>6.2} | {:>6.1}{}",
            rate,
            sent,
            delivered as f64 / elapsed,
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
            ms(latencies.last().copied().unwrap_or(0)),
            if delivered < expected { format!("  ({} of {expected} delivered)", delivered) } else { String::new() }
        );
    }
    let rss_after = server.rss_kib()?;
    println!("memory after the load: {rss_after} KiB");
    if let Some(path) = &args.markdown {
        let section = format!(
            "## Chat\n\n\
             | offered msg/s | messages sent | deliveries | delivered msg/s | p50 ms | p99 ms | max ms |\n\
             | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
             {rows}\n\
             | server memory (VmRSS) | KiB |\n\
             | --- | ---: |\n\
             | before any socket | {rss_before} |\n\
             | with {total} open idle sockets | {rss_idle} |\n\
             | per idle socket | {per_socket:.1} |\n\
             | after the load | {rss_after} |\n\n\
             Measured by `crates/chat-bench` (`make bench-chat`): a release build of `agora` on \
             {database} with the {bus}; {} chat sessions of {} members each, one \
             WebSocket per member ({total} sockets). Memory is the server's VmRSS \
             (/proc/PID/status) before the sockets open and 2 s after all are open and idle. \
             Each load then runs {} s: messages are sent at the offered rate from random \
             members, every member of the session (the sender included) receives each one, and \
             delivery latency runs from the client writing the frame to each member reading it. \
             Delivered msg/s counts deliveries (one message to {} members is {} deliveries). \
             Clients and server share the machine.\n",
            args.sessions, args.clients, args.seconds, args.clients, args.clients
        );
        std::fs::write(path, section)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
