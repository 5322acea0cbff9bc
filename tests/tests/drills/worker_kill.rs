//! An `ai-worker` process is killed (SIGKILL) in the middle of a job while another runs.

use std::time::Duration;

use e2e::drill::{AgoraProcess, DrillClient, DrillUser, PrivatePostgres, PrivateRabbit, create_admin, eventually};
use reqwest::Method;
use serde_json::{Value, json};

const ROW: [f64; 8] = [1.0, -2.0, 3.5, 0.0, 10.0, -1.25, 4.0, 2.0];
const JOB_DONE: Duration = Duration::from_secs(120);

fn worker(postgres: &PrivatePostgres, rabbit: &PrivateRabbit, extra: &[(&str, String)]) -> AgoraProcess {
    let mut env = vec![("APP__DATABASE__URL", postgres.url()), ("APP__AMQP__URL", rabbit.url())];
    env.extend(extra.iter().cloned());
    AgoraProcess::spawn("ai-worker", &env)
}

async fn job(client: &DrillClient, user: &DrillUser, job_id: i64) -> Value {
    let (status, job) = client.call(Method::GET, &format!("/ai/inferences/{job_id}"), user, None).await;
    assert_eq!(status, 200, "{job}");
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_on_a_killed_worker_completes_on_the_other_on_its_second_attempt() {
    let postgres = tokio::task::spawn_blocking(PrivatePostgres::start).await.unwrap();
    let rabbit = tokio::task::spawn_blocking(PrivateRabbit::start).await.unwrap();
    let server = AgoraProcess::spawn(
        "agora",
        &[
            ("APP__DATABASE__URL", postgres.url()),
            ("APP__AMQP__URL", rabbit.url()),
            ("APP__SERVER__PORT", "0".into()),
            ("APP__AI__APP_CONSUMES_JOBS", "false".into()),
        ],
    );
    let client = DrillClient::new(&server);
    let database_url = postgres.url();
    tokio::task::spawn_blocking(move || create_admin(&database_url, "drill_admin", "admin-password-1")).await.unwrap();
    let admin = client.login("drill_admin", "admin-password-1").await;

    // A prompt worker trains the model, then steps aside so that the job goes to the slow one.
    let mut trainer = worker(&postgres, &rabbit, &[]);
    let model_id = client.trained_model(&admin, "drill_model", JOB_DONE).await;
    trainer.terminate();
    let status = tokio::task::spawn_blocking(move || trainer.wait_exit(Duration::from_secs(60))).await.unwrap();
    assert!(status.success(), "the trainer stopped gracefully: {status:?}");

    // Slow enough that it is certainly still inside the job when it is killed.
    let mut doomed = worker(&postgres, &rabbit, &[("APP__AI__SIMULATED_JOB_DELAY_MS", "600000".into())]);
    let (status, submitted) = client
        .call(Method::POST, &format!("/ai/models/{model_id}/inferences"), &admin, Some(json!({"inputs": [ROW]})))
        .await;
    assert_eq!(status, 202, "{submitted}");
    let job_id = submitted["id"].as_i64().unwrap();
    let running = eventually("the job to run on the slow worker", JOB_DONE, || async {
        let job = job(&client, &admin, job_id).await;
        (job["status"] == "running").then_some(job)
    })
    .await;
    assert_eq!(running["attempts"], 1, "{running}");

    let rescuer = worker(&postgres, &rabbit, &[]);
    doomed.kill();
    let done = eventually("the job to finish on the other worker", JOB_DONE, || async {
        let job = job(&client, &admin, job_id).await;
        (job["status"] == "succeeded" || job["status"] == "failed").then_some(job)
    })
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "the second attempt, on the other worker, finished it: {done}");
    assert!(done["result"]["predictions"][0].is_number(), "{done}");

    drop((server, rescuer));
    tokio::task::spawn_blocking(move || drop((rabbit, postgres))).await.unwrap();
}
