//! `ai-worker`: consumes AI jobs (trainings and inferences) from RabbitMQ and runs them,
//! writing results to the database the app reads. Run as many as the load needs, on any
//! host that reaches the database and the broker.
//!
//! It reads the app's configuration (`config/`, `APP__…` variables) and requires
//! `APP__AMQP__URL`. SIGTERM or SIGINT stop it gracefully: it takes no new job, gives
//! running ones `ai.shutdown_grace_secs` to finish and returns the rest to the queue. It
//! does not migrate the database; the app (or `cargo run -p migration -- up`) does.

use std::process::ExitCode;
use std::sync::Arc;

use app::Settings;
use messaging::amqp::Broker;
use messaging::jobs::{AmqpJobEvents, AmqpJobWorker, ShutdownTrigger};

#[tokio::main]
async fn main() -> ExitCode {
    let mut settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("ai-worker: {err}");
            return ExitCode::FAILURE;
        }
    };
    let _log = match app::telemetry::init(&settings.log) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("ai-worker: invalid configuration: {err}");
            return ExitCode::FAILURE;
        }
    };
    let Some(url) = settings.amqp.url().map(str::to_owned) else {
        let message = "APP__AMQP__URL is not set: ai-worker consumes AI jobs from RabbitMQ, e.g. \
                       APP__AMQP__URL=amqp://guest:guest@127.0.0.1:5672/%2f (without RabbitMQ the app \
                       runs AI jobs itself)";
        tracing::error!("{message}");
        eprintln!("ai-worker: {message}");
        return ExitCode::FAILURE;
    };
    match run(&mut settings, &url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "ai-worker stopped with an error");
            eprintln!("ai-worker: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: &mut Settings, url: &str) -> Result<(), String> {
    settings.database.migrate_on_start = false;
    let db = app::wiring::connect_database(settings).await.map_err(|e| e.to_string())?;
    let broker = Broker::start(url, "ai-worker").await.map_err(|e| format!("RabbitMQ: {e}"))?;
    let topology = app::wiring::ai::topology(&settings.ai);
    let events = Arc::new(AmqpJobEvents::new(broker.clone(), topology.clone()));
    let runner = Arc::new(app::wiring::ai::job_runner(&settings.ai, &db, events));
    let tag = format!("ai-worker-{}", std::process::id());
    let worker =
        AmqpJobWorker::new(broker.clone(), topology, runner, app::wiring::ai::worker_settings(&settings.ai, &tag));

    let (trigger, shutdown) = ShutdownTrigger::new();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stop requested; finishing running jobs");
        trigger.trigger();
    });
    tracing::info!(queue = settings.ai.queue, concurrency = settings.ai.concurrency, "ai-worker started");
    let result = worker.run(shutdown).await.map_err(|e| e.to_string());
    broker.close().await;
    db.close().await.ok();
    tracing::info!("ai-worker stopped");
    result
}

/// Resolves at SIGTERM or SIGINT (Ctrl-C).
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "SIGTERM cannot be handled; only SIGINT stops the worker gracefully");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
