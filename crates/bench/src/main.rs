//! `make bench`: starts a release build of the server (`target/release/agora`) on a fresh
//! SQLite database, seeds users, a board, posts and comments, then drives
//! `GET /health/live`, `GET /users/me` (a reference: one authenticated read), `GET /posts/{id}`, `GET /boards/{id}/posts` and
//! `POST /posts/{id}/comments` with concurrent HTTP clients and prints requests per second
//! and p50/p99 latency per route. A benchmark, not a test: it asserts nothing about time.
//!
//! Then, on a second server with the production bcrypt cost (12), the accounts figure:
//! `GET /health/live` latency from one paced client alone, and again while 200 logins run
//! at once, which shows whether bcrypt on the blocking pool leaves the reactor free.
//!
//! Settings (environment): `BENCH_SERVER` (path of the server binary), `BENCH_SECONDS`
//! (per route, default 10), `BENCH_CONCURRENCY` (clients, default 32), `BENCH_POSTS`
//! (seeded posts, default 200), `BENCH_ROUTES` (run only the routes whose name contains one of
//! these comma-separated strings; `login` selects the accounts run), `BENCH_LOGINS`
//! (concurrent logins of the accounts run, default 200). `--markdown FILE` also writes the
//! figures as Markdown sections (board and accounts) for BENCHMARKS.md.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use persistence::entity::board;
use reqwest::{Client, Method, StatusCode};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The server process; stopped with SIGTERM (a graceful shutdown) when dropped.
struct Server {
    child: Child,
    base: String,
    db_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

fn free_port() -> Result<u16, Failure> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn start_server(binary: &Path, dir: &Path, client: &Client, bcrypt_cost: u32) -> Result<Server, Failure> {
    let port = free_port()?;
    let db_url = format!("sqlite://{}?mode=rwc", dir.join("agora.db").display());
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = Command::new(binary)
        .env("APP_ENV", "development")
        .env("APP__SERVER__PORT", port.to_string())
        .env("APP__DATABASE__URL", &db_url)
        .env("APP__STORAGE__DIR", dir.join("files"))
        .env("APP__AUTH__BCRYPT_COST", bcrypt_cost.to_string())
        .env("APP__RATE_LIMIT__AUTH_PER_MINUTE", "0")
        .env("APP__LOG__LEVEL", "warn")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| format!("cannot start {}: {e} (run `cargo build --release -p app` first)", binary.display()))?;
    let server = Server { child, base: format!("http://127.0.0.1:{port}"), db_url };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{}/health/ready", server.base)).send().await
            && response.status() == StatusCode::OK
        {
            return Ok(server);
        }
        if Instant::now() > deadline {
            return Err(format!("the server did not become ready; see {}", dir.join("server.log").display()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn call(
    client: &Client,
    method: Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<Value, Failure> {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        return Err(format!("{status}: {text}").into());
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A signed-up, logged-in user's access token.
async fn new_user(client: &Client, base: &str, i: usize) -> Result<String, Failure> {
    let name = format!("bench_user_{i}");
    let email = format!("{name}@example.com");
    let api = format!("{base}/api/v1");
    Ok(api_client::sign_up(client, &api, &name, &email, "bench-password-1").await?.access_token)
}

/// One route under load.
struct Scenario {
    name: &'static str,
    method: Method,
    /// The URL of the n-th request.
    url: Box<dyn Fn(u64) -> String + Send + Sync>,
    body: Option<Value>,
    auth: bool,
}

struct Outcome {
    name: &'static str,
    requests: usize,
    errors: u64,
    rps: f64,
    p50: Duration,
    p99: Duration,
}

async fn run(
    client: &Client,
    scenario: Arc<Scenario>,
    tokens: Arc<Vec<String>>,
    seconds: u64,
    clients: usize,
) -> Outcome {
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let tasks = (0..clients).map(|worker| {
        let (client, scenario, tokens) = (client.clone(), scenario.clone(), tokens.clone());
        let (counter, errors) = (counter.clone(), errors.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let token = &tokens[worker % tokens.len()];
            while Instant::now() < end {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let mut request = client.request(scenario.method.clone(), (scenario.url)(n));
                if scenario.auth {
                    request = request.bearer_auth(token);
                }
                if let Some(body) = &scenario.body {
                    request = request.json(body);
                }
                let sent = Instant::now();
                let ok = match request.send().await {
                    Ok(response) => {
                        let success = response.status().is_success();
                        success && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                latencies.push(sent.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        })
    });
    let mut latencies: Vec<Duration> = Vec::new();
    for result in futures_util::future::join_all(tasks).await {
        latencies.extend(result.unwrap_or_default());
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| latencies.get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)));
    Outcome {
        name: scenario.name,
        requests: latencies.len(),
        errors: errors.load(Ordering::Relaxed),
        rps: latencies.len() as f64 / elapsed,
        p50: at(0.50).copied().unwrap_or_default(),
        p99: at(0.99).copied().unwrap_or_default(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let at = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(at).copied().unwrap_or_default()
}

/// Options from the command line.
struct Options {
    /// Where to write the Markdown sections, if anywhere.
    markdown: Option<PathBuf>,
}

fn options() -> Result<Options, Failure> {
    let mut options = Options { markdown: None };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--markdown" => options.markdown = Some(args.next().ok_or("--markdown needs a file")?.into()),
            other => return Err(format!("unknown option {other}; see the module documentation").into()),
        }
    }
    Ok(options)
}

fn server_binary() -> PathBuf {
    std::env::var("BENCH_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/agora"))
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The board routes under load; their outcomes, `GET /health/live` first.
async fn board_bench(only: &[String], seconds: u64, clients: usize) -> Result<Vec<Outcome>, Failure> {
    let post_count: usize = env_or("BENCH_POSTS", 200);
    let binary = server_binary();
    let dir = tempfile::Builder::new().prefix("agora-bench-").tempdir()?;
    let client = Client::builder().pool_max_idle_per_host(clients * 2).build()?;
    let server = start_server(&binary, dir.path(), &client, 4).await?;
    let base = server.base.clone();
    let api = format!("{base}/api/v1");
    eprintln!("server {} (pid {}) on {base}, SQLite at {}", binary.display(), server.child.id(), server.db_url);

    // Seed: users, a public board (straight into the database), posts and some comments.
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(new_user(&client, &base, i).await?);
    }
    let db = persistence::connect(&server.db_url, &persistence::PoolSettings::default()).await?;
    let now = chrono::Utc::now();
    let board_id = board::ActiveModel {
        name: Set("bench".to_owned()),
        information: Set("benchmark board".to_owned()),
        is_visible: Set(true),
        is_available: Set(true),
        access: Set("public".to_owned()),
        create_date: Set(now),
        update_date: Set(now),
        delete_date: Set(None),
        ..Default::default()
    }
    .insert(&db)
    .await?
    .id;
    db.close().await?;
    let mut post_ids = Vec::new();
    for i in 0..post_count {
        let body = json!({"title": format!("Post {i}"), "content": format!("Content of post {i}. ").repeat(10)});
        let post =
            call(&client, Method::POST, format!("{api}/boards/{board_id}/posts"), &tokens[i % 8], Some(body)).await?;
        post_ids.push(post["id"].as_i64().ok_or("no post id")?);
    }
    for (i, id) in post_ids.iter().take(20).enumerate() {
        let body = json!({"content": "a seeded comment"});
        call(&client, Method::POST, format!("{api}/posts/{id}/comments"), &tokens[i % 8], Some(body)).await?;
    }
    eprintln!(
        "seeded {} users, board {board_id}, {} posts; {clients} clients, {seconds} s per route",
        tokens.len(),
        post_ids.len()
    );

    let post_ids = Arc::new(post_ids);
    let comment_target = post_ids[0];
    let scenarios = vec![
        Scenario {
            name: "GET /health/live",
            method: Method::GET,
            url: Box::new({
                let base = base.clone();
                move |_| format!("{base}/health/live")
            }),
            body: None,
            auth: false,
        },
        // A reference: authentication plus one primary-key read.
        Scenario {
            name: "GET /users/me",
            method: Method::GET,
            url: Box::new({
                let api = api.clone();
                move |_| format!("{api}/users/me")
            }),
            body: None,
            auth: true,
        },
        Scenario {
            name: "GET /posts/{id}",
            method: Method::GET,
            url: Box::new({
                let (api, ids) = (api.clone(), post_ids.clone());
                move |n| format!("{api}/posts/{}", ids[(n as usize) % ids.len()])
            }),
            body: None,
            auth: true,
        },
        Scenario {
            name: "GET /boards/{id}/posts",
            method: Method::GET,
            url: Box::new({
                let api = api.clone();
                move |_| format!("{api}/boards/{board_id}/posts?limit=20")
            }),
            body: None,
            auth: true,
        },
        Scenario {
            name: "POST /posts/{id}/comments",
            method: Method::POST,
            url: Box::new({
                let api = api.clone();
                move |_| format!("{api}/posts/{comment_target}/comments")
            }),
            body: Some(json!({"content": "a benchmark comment"})),
            auth: true,
        },
    ];
    let tokens = Arc::new(tokens);
    let mut outcomes = Vec::new();
    for scenario in
        scenarios.into_iter().filter(|s| only.is_empty() || only.iter().any(|o| s.name.contains(o.as_str())))
    {
        // A short warm-up, then the measured run.
        let scenario = Arc::new(scenario);
        run(&client, scenario.clone(), tokens.clone(), 1, clients).await;
        let outcome = run(&client, scenario, tokens.clone(), seconds, clients).await;
        eprintln!("{:<28} {:>9.0} req/s", outcome.name, outcome.rps);
        outcomes.push(outcome);
    }
    drop(server);
    Ok(outcomes)
}

/// `GET /health/live` latencies from one client sending a request every 5 ms (or when the
/// previous answered, if later) until `stop` says so.
async fn probe_health(client: Client, base: String, stop: Arc<std::sync::atomic::AtomicBool>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(5));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        let sent = Instant::now();
        if let Ok(response) = client.get(format!("{base}/health/live")).send().await
            && response.status().is_success()
            && response.bytes().await.is_ok()
        {
            latencies.push(sent.elapsed());
        }
    }
    latencies.sort_unstable();
    latencies
}

/// The accounts run: health latency alone and during a burst of bcrypt logins.
struct Accounts {
    logins: usize,
    logins_ok: usize,
    logins_elapsed: Duration,
    alone: Vec<Duration>,
    during: Vec<Duration>,
}

async fn accounts_bench(alone_seconds: u64) -> Result<Accounts, Failure> {
    let logins: usize = env_or("BENCH_LOGINS", 200);
    let dir = tempfile::Builder::new().prefix("agora-bench-accounts-").tempdir()?;
    let client = Client::builder().pool_max_idle_per_host(logins + 8).build()?;
    let server = start_server(&server_binary(), dir.path(), &client, 12).await?;
    let base = server.base.clone();
    // The account every login of the burst uses (`new_user` names it and sets its password).
    new_user(&client, &base, 0).await?;
    let (name, password) = ("bench_user_0", "bench-password-1");
    eprintln!("accounts: bcrypt cost 12, health alone for {alone_seconds} s, then during {logins} concurrent logins");

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = tokio::spawn(probe_health(client.clone(), base.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(alone_seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let alone = probe.await?;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = tokio::spawn(probe_health(client.clone(), base.clone(), stop.clone()));
    let started = Instant::now();
    let tasks = (0..logins).map(|_| {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let response = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": name, "password": password}))
                .send()
                .await;
            matches!(response, Ok(r) if r.status().is_success())
        })
    });
    let logins_ok = futures_util::future::join_all(tasks).await.into_iter().filter(|r| matches!(r, Ok(true))).count();
    let logins_elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = probe.await?;
    drop(server);
    Ok(Accounts { logins, logins_ok, logins_elapsed, alone, during })
}

fn board_markdown(outcomes: &[Outcome], seconds: u64, clients: usize) -> String {
    let health = outcomes.iter().find(|o| o.name == "GET /health/live").map(|o| o.rps).unwrap_or(0.0);
    let ratio = |rps: f64| if health > 0.0 { format!("{:.2}", rps / health) } else { "–".to_owned() };
    let mut md = String::from("## Board\n\n");
    md.push_str("| route | requests/s | p50 ms | p99 ms | requests | errors | ÷ /health/live |\n");
    md.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for o in outcomes {
        md.push_str(&format!(
            "| `{}` | {:.0} | {} | {} | {} | {} | {} |\n",
            o.name,
            o.rps,
            ms(o.p50),
            ms(o.p99),
            o.requests,
            o.errors,
            ratio(o.rps)
        ));
    }
    if let Some(post) = outcomes.iter().find(|o| o.name == "GET /posts/{id}") {
        md.push_str(&format!("\nGET /posts/{{id}} ÷ GET /health/live: **{}**\n", ratio(post.rps)));
    }
    md.push_str(&format!(
        "\nMeasured by `crates/bench` (`make bench-board`): a release build of `agora` on a fresh \
         SQLite file (WAL), seeded with 8 users, one public board and {} posts (20 with a \
         comment). Each route runs 1 s of warm-up, then {seconds} s of {clients} concurrent \
         keep-alive HTTP/1.1 clients each sending its next request when the previous one \
         answered; requests/s is answers over wall time, p50/p99 the latency of every answer. \
         Authenticated routes use the 8 users' bearer tokens in turn; `GET /posts/{{id}}` \
         cycles through every post (each read counts a view); comments all go to one post. \
         The load generator runs on the same machine and shares its cores.\n",
        env_or("BENCH_POSTS", 200usize)
    ));
    md
}

fn accounts_markdown(a: &Accounts) -> String {
    let row = |name: &str, l: &[Duration]| {
        format!(
            "| {name} | {} | {} | {} | {} |\n",
            ms(percentile(l, 0.5)),
            ms(percentile(l, 0.99)),
            ms(l.last().copied().unwrap_or_default()),
            l.len()
        )
    };
    let mut md = String::from("## Accounts\n\n");
    md.push_str("| `GET /health/live` | p50 ms | p99 ms | max ms | requests |\n");
    md.push_str("| --- | ---: | ---: | ---: | ---: |\n");
    md.push_str(&row("alone", &a.alone));
    md.push_str(&row(&format!("while {} logins run", a.logins), &a.during));
    md.push_str(&format!(
        "\n{} of {} concurrent logins succeeded in {:.1} s ({:.1} logins/s).\n\n\
         Measured by `crates/bench` (`make bench-board`): a release build of `agora` with \
         `bcrypt_cost = 12` (the production default) on SQLite. One client asks \
         `GET /health/live` every 5 ms (the next one when the previous answered, if later), \
         first alone, then while {} `POST /auth/login` requests for one account are sent at \
         once. Password hashes run on the blocking pool, `auth.hash_concurrency` (one per \
         core) at a time, so the health answers keep their latency while the logins queue.\n",
        a.logins_ok,
        a.logins,
        a.logins_elapsed.as_secs_f64(),
        a.logins_ok as f64 / a.logins_elapsed.as_secs_f64(),
        a.logins
    ));
    md
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let options = options()?;
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let clients: usize = env_or("BENCH_CONCURRENCY", 32);
    let only: Vec<String> = std::env::var("BENCH_ROUTES")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let mut markdown = String::new();

    let outcomes = board_bench(&only, seconds, clients).await?;
    if !outcomes.is_empty() {
        let health = outcomes.iter().find(|o| o.name == "GET /health/live").map(|o| o.rps).unwrap_or(0.0);
        println!("| route | requests/s | p50 ms | p99 ms | requests | errors | vs /health/live |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for o in &outcomes {
            println!(
                "| `{}` | {:.0} | {} | {} | {} | {} | {:.2} |",
                o.name,
                o.rps,
                ms(o.p50),
                ms(o.p99),
                o.requests,
                o.errors,
                if health > 0.0 { o.rps / health } else { 0.0 }
            );
        }
        println!("\n{clients} concurrent clients, {seconds} s per route, release build, SQLite, {} cores", cores());
        markdown.push_str(&board_markdown(&outcomes, seconds, clients));
    }

    if only.is_empty() || only.iter().any(|o| "login".contains(o.as_str())) {
        let accounts = accounts_bench(seconds.min(5)).await?;
        let section = accounts_markdown(&accounts);
        println!("\n{section}");
        markdown.push('\n');
        markdown.push_str(&section);
    }

    if let Some(path) = &options.markdown {
        std::fs::write(path, markdown)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
