//! `bench-ai`: how many inference jobs per second the server takes from submission to
//! result, and the p50/p99 latency from `POST /ai/models/{id}/inferences` to the answer of
//! `GET /ai/inferences/{id}?wait=30` that carries the result. Runs the in-process queue,
//! then RabbitMQ with one `ai-worker` process (the release build next to this binary).
//!
//! `make bench-ai` builds in release and runs it. Options: `--jobs N` (default 2000),
//! `--clients N` (concurrent clients, default 32), `--rows N` (input rows per job,
//! default 1), `--mode in-process|rabbitmq|both` (default both), `--markdown FILE` (also
//! write the figures as a Markdown section for BENCHMARKS.md). The broker is
//! `AGORA_TEST_AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/%2f`); the database is
//! a fresh SQLite file unless `AGORA_TEST_DATABASE_URL` names a server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use e2e::ai::{get_job, ready_model, submit_ok};
use e2e::worker::WorkerProcess;
use e2e::{TEST_AMQP_URL_VAR, TestApp, TestUser};
use serde_json::{Value, json};

const DEFAULT_BROKER: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

struct Options {
    jobs: usize,
    clients: usize,
    rows: usize,
    modes: Vec<Mode>,
    markdown: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    InProcess,
    RabbitMq,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::InProcess => "in-process",
            Mode::RabbitMq => "rabbitmq + 1 ai-worker",
        }
    }
}

fn options() -> Result<Options, String> {
    let mut options =
        Options { jobs: 2000, clients: 32, rows: 1, modes: vec![Mode::InProcess, Mode::RabbitMq], markdown: None };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number =
            |raw: String| raw.parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("{flag}: not a positive number"));
        match flag.as_str() {
            "--jobs" => options.jobs = number(value()?)?,
            "--clients" => options.clients = number(value()?)?,
            "--rows" => options.rows = number(value()?)?.min(1000),
            "--markdown" => options.markdown = Some(value()?.into()),
            "--mode" => {
                options.modes = match value()?.as_str() {
                    "in-process" => vec![Mode::InProcess],
                    "rabbitmq" => vec![Mode::RabbitMq],
                    "both" => vec![Mode::InProcess, Mode::RabbitMq],
                    other => return Err(format!("--mode: in-process, rabbitmq or both, not {other:?}")),
                }
            }
            other => return Err(format!("unknown option {other}; see the module documentation")),
        }
    }
    Ok(options)
}

struct Report {
    mode: Mode,
    jobs: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn markdown_row(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "| {} | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            self.mode.name(),
            self.jobs,
            self.elapsed.as_secs_f64(),
            self.jobs as f64 / self.elapsed.as_secs_f64(),
            ms(self.percentile(50.0)),
            ms(self.percentile(99.0)),
            ms(*self.latencies.last().unwrap()),
        )
    }

    fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<24} {:>6} jobs in {:>7.2} s = {:>8.1} jobs/s   latency p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
            self.mode.name(),
            self.jobs,
            self.elapsed.as_secs_f64(),
            self.jobs as f64 / self.elapsed.as_secs_f64(),
            ms(self.percentile(50.0)),
            ms(self.percentile(99.0)),
            ms(*self.latencies.last().unwrap()),
        );
    }
}

/// Submits and waits for one job; the time from submission to the answer with the result.
async fn one_job(app: &TestApp, user: &TestUser, model_id: &Value, inputs: &Value) -> Duration {
    let started = Instant::now();
    let job = submit_ok(app, user, model_id, inputs.clone()).await;
    loop {
        let done: Value = get_job(app, user, &job["id"], 30).await.json().await.unwrap();
        match done["status"].as_str() {
            Some("succeeded") => return started.elapsed(),
            Some("failed") => panic!("a job failed: {done}"),
            _ => {}
        }
    }
}

/// `jobs` jobs from `clients` concurrent clients, each submitting its next job when the
/// previous one answered.
async fn run(app: Arc<TestApp>, user: Arc<TestUser>, model_id: Value, options: &Options) -> (Duration, Vec<Duration>) {
    let inputs = Arc::new(json!(vec![[0.5, -1.0, 2.0, 3.0, 0.25, 1.0, -2.0, 4.0]; options.rows]));
    let remaining = Arc::new(AtomicUsize::new(options.jobs));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..options.clients {
        let (app, user, model_id, inputs, remaining) =
            (app.clone(), user.clone(), model_id.clone(), inputs.clone(), remaining.clone());
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                latencies.push(one_job(&app, &user, &model_id, &inputs).await);
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    (elapsed, latencies)
}

async fn bench(mode: Mode, options: &Options) -> Report {
    let broker = std::env::var(TEST_AMQP_URL_VAR).unwrap_or_else(|_| DEFAULT_BROKER.to_owned());
    let broker_for_app = broker.clone();
    let app = TestApp::spawn_with(move |settings| {
        settings.server.workers = 0;
        settings.database.max_connections = 32;
        match mode {
            Mode::InProcess => settings.amqp.url = app::settings::Secret::new(""),
            Mode::RabbitMq => {
                settings.amqp.url = app::settings::Secret::new(broker_for_app);
                settings.ai.queue = e2e::unique("agora_bench_ai");
                settings.ai.queue_expiry_secs = 600;
                settings.ai.app_consumes_jobs = false;
            }
        }
    })
    .await;
    let _worker = (mode == Mode::RabbitMq).then(|| {
        let binary = std::env::current_exe().unwrap().with_file_name("ai-worker");
        WorkerProcess::spawn(&binary, &app, &broker, &[("APP__DATABASE__MAX_CONNECTIONS", "32")])
    });
    let admin = app.new_admin().await;
    let user = Arc::new(app.new_user().await);
    let model = ready_model(&app, &admin, "linear_regression").await;
    let app = Arc::new(app);
    let warm_up = Options {
        jobs: options.clients * 2,
        clients: options.clients,
        rows: options.rows,
        modes: vec![],
        markdown: None,
    };
    run(app.clone(), user.clone(), model["id"].clone(), &warm_up).await;
    let (elapsed, latencies) = run(app, user, model["id"].clone(), options).await;
    Report { mode, jobs: options.jobs, elapsed, latencies }
}

#[tokio::main]
async fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("bench-ai: {err}");
            std::process::exit(2);
        }
    };
    println!(
        "bench-ai: {} inference jobs of {} row(s) each, {} concurrent clients, linear_regression on ai_test",
        options.jobs, options.rows, options.clients
    );
    let mut rows = String::new();
    for &mode in &options.modes {
        let report = bench(mode, &options).await;
        report.print();
        rows.push_str(&report.markdown_row());
    }
    if let Some(path) = &options.markdown {
        let section = format!(
            "## AI\n\n\
             | queue | jobs | seconds | jobs/s | p50 ms | p99 ms | max ms |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n\
             {rows}\n\
             Measured by `tests/src/bin/bench_ai.rs` (`make bench-ai`): the server runs in the \
             benchmark's process (release build) on a fresh SQLite file; an admin trains a \
             `linear_regression` model on the `ai_test` dataset, then {} concurrent clients each \
             submit an inference job of {} row(s) (`POST /api/v1/ai/models/{{id}}/inferences`) and \
             wait for its result with `GET /api/v1/ai/inferences/{{id}}?wait=30`, then submit the \
             next, until {} jobs are done (after a warm-up of {} jobs). jobs/s is jobs over the \
             wall time; latency runs from the submission to the answer carrying the result. \
             `in-process`: the app's own tokio job queue. `rabbitmq + 1 ai-worker`: jobs go through \
             RabbitMQ (amqp://127.0.0.1:5672) to one `ai-worker` process (release build), \
             which writes the result; the app hears of completion over the broker.\n",
            options.clients,
            options.rows,
            options.jobs,
            options.clients * 2
        );
        if let Err(err) = std::fs::write(path, section) {
            eprintln!("bench-ai: cannot write {}: {err}", path.display());
            std::process::exit(1);
        }
    }
}
