//! `ai-worker` as a separate process beside a real app: jobs complete through it; a worker
//! killed mid-job loses nothing; a redelivered finished job is acknowledged and skipped; a
//! job whose workers keep dying is failed and dead-lettered; SIGTERM is graceful; and a
//! broker that goes down gives 503 on submit, then everything recovers.
//!
//! Tests under `rabbitmq::` need the broker named by `AGORA_TEST_AMQP_URL` (`make
//! test-integration` sets it) and fail without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use std::process::{Command, Stdio};

fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

#[test]
fn refuses_to_start_without_a_broker_url_saying_why() {
    let output = Command::new(env!("CARGO_BIN_EXE_ai-worker"))
        .env_remove("APP__AMQP__URL")
        .env("APP_ENV", "test")
        .env("APP_CONFIG_DIR", config_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("APP__AMQP__URL is not set"), "{stderr}");
}

mod rabbitmq {
    use std::net::{SocketAddr, ToSocketAddrs};
    use std::time::Duration;

    use ai::JobMessage;
    use ai::ports::JobQueue;
    use e2e::ai::{ai_test_y, eventually, get_job, ready_model, submit, submit_ok, wait_for_job};
    use e2e::tcp_proxy::TcpProxy;
    use e2e::worker::WorkerProcess;
    use e2e::{Authed, TEST_AMQP_URL_VAR, TestApp, assert_problem};
    use lapin::options::{BasicGetOptions, BasicPublishOptions, QueueDeclareOptions};
    use lapin::types::FieldTable;
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    use super::*;

    const ROW: [f64; 8] = [1.0, -2.0, 3.5, 0.0, 10.0, -1.25, 4.0, 2.0];
    /// Long enough that a slowed worker is certainly still inside the job when it is stopped.
    const FOREVER_MS: &str = "600000";

    fn broker() -> String {
        std::env::var(TEST_AMQP_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{TEST_AMQP_URL_VAR} must name a RabbitMQ broker for the rabbitmq:: tests, e.g. \
                 amqp://guest:guest@127.0.0.1:5672/%2f (make test-integration sets it)"
            )
        })
    }

    fn broker_address(url: &str) -> SocketAddr {
        let parsed = reqwest::Url::parse(url).unwrap();
        (parsed.host_str().unwrap(), parsed.port().unwrap_or(5672)).to_socket_addrs().unwrap().next().unwrap()
    }

    /// An app whose jobs only separate worker processes run.
    async fn app_without_its_own_worker(amqp_url: Option<String>) -> TestApp {
        let amqp_url = amqp_url.unwrap_or_else(broker);
        TestApp::spawn_with(move |settings| {
            settings.amqp.url = app::settings::Secret::new(amqp_url);
            settings.ai.app_consumes_jobs = false;
            settings.ai.publish_timeout_ms = 2_000;
        })
        .await
    }

    /// An `ai-worker` process of this build on the app's database and job queue.
    fn start_worker(app: &TestApp, amqp_url: &str, settings: &[(&str, &str)]) -> WorkerProcess {
        WorkerProcess::spawn(Path::new(env!("CARGO_BIN_EXE_ai-worker")), app, amqp_url, settings)
    }

    fn assert_predicts_the_formula(job: &Value) {
        assert_eq!(job["status"], "succeeded", "{job}");
        let prediction = job["result"]["predictions"][0].as_f64().unwrap();
        assert!((prediction - ai_test_y(&ROW)).abs() < 1e-6, "{job}");
    }

    /// Waits until the job's status is `status`, read through the API.
    async fn wait_for_status(app: &TestApp, user: &e2e::TestUser, id: &Value, status: &str) -> Value {
        eventually(&format!("job {id} to be {status}"), Duration::from_secs(60), || async {
            let job: Value = get_job(app, user, id, 0).await.json().await.unwrap();
            (job["status"] == status).then_some(job)
        })
        .await
    }

    #[tokio::test]
    async fn jobs_complete_through_a_separate_worker_process() {
        let broker = broker();
        let app = app_without_its_own_worker(None).await;
        let mut worker = start_worker(&app, &broker, &[]);
        let admin = app.new_admin().await;
        let user = app.new_user().await;
        let model = ready_model(&app, &admin, "linear_regression").await;
        let job = submit_ok(&app, &user, &model["id"], json!([ROW])).await;
        let job = wait_for_job(&app, &user, &job["id"]).await;
        assert_predicts_the_formula(&job);
        assert_eq!(job["attempts"], 1);
        assert!(worker.terminate().await.success(), "{}", worker.log());
    }

    #[tokio::test]
    async fn a_worker_killed_mid_job_loses_nothing() {
        let broker = broker();
        let app = app_without_its_own_worker(None).await;
        let admin = app.new_admin().await;
        let mut trainer = start_worker(&app, &broker, &[]);
        let model = ready_model(&app, &admin, "linear_regression").await;
        assert!(trainer.terminate().await.success(), "{}", trainer.log());

        let mut doomed = start_worker(&app, &broker, &[("APP__AI__SIMULATED_JOB_DELAY_MS", FOREVER_MS)]);
        let job = submit_ok(&app, &admin, &model["id"], json!([ROW])).await;
        let running = wait_for_status(&app, &admin, &job["id"], "running").await;
        assert_eq!(running["attempts"], 1);
        doomed.kill();

        let _rescuer = start_worker(&app, &broker, &[]);
        let done = wait_for_job(&app, &admin, &job["id"]).await;
        assert_predicts_the_formula(&done);
        assert_eq!(done["attempts"], 2, "the second attempt finished it: {done}");
    }

    #[tokio::test]
    async fn a_redelivered_finished_job_is_acknowledged_and_skipped() {
        let broker = broker();
        let app = app_without_its_own_worker(None).await;
        // One job at a time, in queue order.
        let _worker = start_worker(&app, &broker, &[("APP__AI__CONCURRENCY", "1")]);
        let admin = app.new_admin().await;
        let model = ready_model(&app, &admin, "linear_regression").await;
        let first = submit_ok(&app, &admin, &model["id"], json!([ROW])).await;
        let finished = wait_for_job(&app, &admin, &first["id"]).await;
        assert_predicts_the_formula(&finished);

        // The same message again, as a broker redelivers it.
        let link = messaging::amqp::Broker::start(&broker, "test").await.unwrap();
        let topology = app::wiring::ai::topology(&app.settings.ai);
        let queue = messaging::jobs::AmqpJobQueue::new(link.clone(), topology.clone(), Duration::from_secs(5));
        let job_id = finished["id"].as_i64().unwrap();
        queue.publish(JobMessage::Inference { job_id }).await.unwrap();
        // Queued behind it: when this one is done, the duplicate was handled.
        let marker = submit_ok(&app, &admin, &model["id"], json!([ROW])).await;
        assert_predicts_the_formula(&wait_for_job(&app, &admin, &marker["id"]).await);

        let again: Value = get_job(&app, &admin, &finished["id"], 0).await.json().await.unwrap();
        assert_eq!(again, finished, "the result was written once");
        let channel = link.current().unwrap().connection.create_channel().await.unwrap();
        let dead = channel
            .queue_declare(
                topology.dead_letter_queue().as_str().into(),
                QueueDeclareOptions { passive: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        assert_eq!(dead.message_count(), 0, "the duplicate was acknowledged, not dead-lettered");
    }

    #[tokio::test]
    async fn a_job_whose_workers_keep_dying_is_failed_and_dead_lettered() {
        let broker = broker();
        let app = app_without_its_own_worker(None).await;
        let admin = app.new_admin().await;
        let mut trainer = start_worker(&app, &broker, &[]);
        let model = ready_model(&app, &admin, "linear_regression").await;
        assert!(trainer.terminate().await.success());

        let one_attempt = ("APP__AI__MAX_ATTEMPTS", "1");
        let mut doomed = start_worker(&app, &broker, &[one_attempt, ("APP__AI__SIMULATED_JOB_DELAY_MS", FOREVER_MS)]);
        let job = submit_ok(&app, &admin, &model["id"], json!([ROW])).await;
        wait_for_status(&app, &admin, &job["id"], "running").await;
        doomed.kill();
        let _next = start_worker(&app, &broker, &[one_attempt]);
        let failed = wait_for_job(&app, &admin, &job["id"]).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert!(failed["error"].as_str().unwrap().starts_with("gave up after 1 attempts"), "{failed}");

        // A message that is no job is dead-lettered too.
        let connection = messaging::amqp::connect(&broker, "test").await.unwrap();
        let topology = app::wiring::ai::topology(&app.settings.ai);
        let channel = connection.create_channel().await.unwrap();
        channel
            .basic_publish(
                "".into(),
                topology.queue().into(),
                BasicPublishOptions::default(),
                b"not a job",
                lapin::BasicProperties::default(),
            )
            .await
            .unwrap();
        let mut dead_letters = Vec::new();
        while dead_letters.len() < 2 {
            let message = eventually("a dead letter", Duration::from_secs(30), || async {
                channel
                    .basic_get(topology.dead_letter_queue().as_str().into(), BasicGetOptions { no_ack: true })
                    .await
                    .unwrap()
            })
            .await;
            dead_letters.push(String::from_utf8(message.delivery.data.clone()).unwrap());
        }
        let expected = format!(r#"{{"type":"inference","job_id":{}}}"#, job["id"]);
        assert!(dead_letters.contains(&expected), "{dead_letters:?}");
        assert!(dead_letters.contains(&"not a job".to_owned()), "{dead_letters:?}");
    }

    #[tokio::test]
    async fn sigterm_lets_the_running_job_finish_before_exiting() {
        let broker = broker();
        let app = app_without_its_own_worker(None).await;
        let admin = app.new_admin().await;
        let mut trainer = start_worker(&app, &broker, &[]);
        let model = ready_model(&app, &admin, "linear_regression").await;
        assert!(trainer.terminate().await.success());

        let mut worker = start_worker(&app, &broker, &[("APP__AI__SIMULATED_JOB_DELAY_MS", "3000")]);
        let job = submit_ok(&app, &admin, &model["id"], json!([ROW])).await;
        wait_for_status(&app, &admin, &job["id"], "running").await;
        let status = worker.terminate().await;
        assert!(status.success(), "{}", worker.log());
        // It exited only after committing the result.
        let done: Value = get_job(&app, &admin, &job["id"], 0).await.json().await.unwrap();
        assert_predicts_the_formula(&done);
        assert_eq!(done["attempts"], 1);
    }

    #[tokio::test]
    async fn sigterm_returns_a_job_that_cannot_finish_in_the_grace_period() {
        let broker = broker();
        let app = app_without_its_own_worker(None).await;
        let admin = app.new_admin().await;
        let mut trainer = start_worker(&app, &broker, &[]);
        let model = ready_model(&app, &admin, "linear_regression").await;
        assert!(trainer.terminate().await.success());

        let mut worker = start_worker(
            &app,
            &broker,
            &[("APP__AI__SIMULATED_JOB_DELAY_MS", FOREVER_MS), ("APP__AI__SHUTDOWN_GRACE_SECS", "1")],
        );
        let job = submit_ok(&app, &admin, &model["id"], json!([ROW])).await;
        wait_for_status(&app, &admin, &job["id"], "running").await;
        assert!(worker.terminate().await.success(), "{}", worker.log());
        let _next = start_worker(&app, &broker, &[]);
        let done = wait_for_job(&app, &admin, &job["id"]).await;
        assert_predicts_the_formula(&done);
        assert_eq!(done["attempts"], 2);
    }

    #[tokio::test]
    async fn a_broker_outage_gives_503_on_submit_and_app_and_worker_recover() {
        let broker = broker();
        let proxy = TcpProxy::start(broker_address(&broker)).await;
        let through_proxy = proxy.url_for(&broker);
        let app = app_without_its_own_worker(Some(through_proxy.clone())).await;
        let _worker = start_worker(&app, &through_proxy, &[]);
        let admin = app.new_admin().await;
        let user = app.new_user().await;
        let model = ready_model(&app, &admin, "linear_regression").await;
        app.patch(&format!("/ai/models/{}", model["id"]))
            .bearer(&admin)
            .json(&json!({"is_visible": true}))
            .send()
            .await
            .unwrap();

        proxy.cut();
        eventually("readiness to report the broker down", Duration::from_secs(30), || async {
            let response = app.client.get(app.url("/health/ready")).send().await.unwrap();
            (response.status() == StatusCode::SERVICE_UNAVAILABLE).then_some(())
        })
        .await;
        let response = submit(&app, &user, &model["id"], json!([ROW])).await;
        assert_eq!(response.headers()["retry-after"], "5");
        let problem = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "ai.queue_unavailable").await;
        assert!(problem["detail"].as_str().unwrap().contains("nothing was queued"), "{problem}");
        let page: Value = app.get("/ai/inferences").bearer(&user).send().await.unwrap().json().await.unwrap();
        assert_eq!(page["items"], json!([]), "no job was left behind");

        proxy.restore().await;
        let job = eventually("a submission to be accepted again", Duration::from_secs(60), || async {
            let response = submit(&app, &user, &model["id"], json!([ROW])).await;
            match response.status() {
                StatusCode::ACCEPTED => Some(response.json::<Value>().await.unwrap()),
                StatusCode::SERVICE_UNAVAILABLE => None,
                other => panic!("unexpected {other}"),
            }
        })
        .await;
        let done = wait_for_job(&app, &user, &job["id"]).await;
        assert_predicts_the_formula(&done);
        let page: Value = app.get("/ai/inferences").bearer(&user).send().await.unwrap().json().await.unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
    }
}
