//! RabbitMQ is restarted under an app and a separate worker: nothing accepted is lost, the
//! outage answers 503 problems, and everything reconnects by itself.

use std::time::Duration;

use e2e::drill::{AgoraProcess, DrillClient, DrillUser, PrivatePostgres, PrivateRabbit, create_admin, eventually};
use reqwest::Method;
use serde_json::{Value, json};

const ROW: [f64; 8] = [1.0, -2.0, 3.5, 0.0, 10.0, -1.25, 4.0, 2.0];
/// Generous: a job waits out the outage in the queue, and a slowed worker runs them one by one.
const JOB_DONE: Duration = Duration::from_secs(120);

async fn submit(client: &DrillClient, user: &DrillUser, model_id: i64) -> (u16, Value) {
    client.call(Method::POST, &format!("/ai/models/{model_id}/inferences"), user, Some(json!({"inputs": [ROW]}))).await
}

async fn post_message(client: &DrillClient, user: &DrillUser, session_id: i64, content: &str) -> i64 {
    let (status, message) = client
        .call(Method::POST, &format!("/chat/sessions/{session_id}/messages"), user, Some(json!({"content": content})))
        .await;
    assert_eq!(status, 201, "a chat message is stored even while the bus is down: {message}");
    message["id"].as_i64().unwrap()
}

async fn ready_status(client: &DrillClient) -> u16 {
    match client.http.get(client.url("/health/ready")).send().await {
        Ok(response) => response.status().as_u16(),
        Err(err) => panic!("readiness did not answer: {err}"),
    }
}

async fn wait_succeeded(client: &DrillClient, user: &DrillUser, job_id: i64) -> Value {
    eventually(&format!("job {job_id} to succeed"), JOB_DONE, || async {
        let (status, job) = client.call(Method::GET, &format!("/ai/inferences/{job_id}"), user, None).await;
        assert_eq!(status, 200, "{job}");
        assert_ne!(job["status"], "failed", "no job fails because of the outage: {job}");
        (job["status"] == "succeeded").then_some(job)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rabbitmq_restart_loses_no_accepted_job_or_chat_message_and_everything_reconnects() {
    let postgres = tokio::task::spawn_blocking(PrivatePostgres::start).await.unwrap();
    let rabbit = tokio::task::spawn_blocking(PrivateRabbit::start).await.unwrap();
    let server = AgoraProcess::spawn(
        "agora",
        &[
            ("APP__DATABASE__URL", postgres.url()),
            ("APP__AMQP__URL", rabbit.url()),
            ("APP__SERVER__PORT", "0".into()),
            ("APP__AI__APP_CONSUMES_JOBS", "false".into()),
            ("APP__AI__PUBLISH_TIMEOUT_MS", "2000".into()),
        ],
    );
    // Slowed, one job at a time: jobs are still queued and running when the broker stops.
    let worker = AgoraProcess::spawn(
        "ai-worker",
        &[
            ("APP__DATABASE__URL", postgres.url()),
            ("APP__AMQP__URL", rabbit.url()),
            ("APP__AI__CONCURRENCY", "1".into()),
            ("APP__AI__SIMULATED_JOB_DELAY_MS", "2000".into()),
        ],
    );
    let client = DrillClient::new(&server);
    let database_url = postgres.url();
    tokio::task::spawn_blocking(move || create_admin(&database_url, "drill_admin", "admin-password-1")).await.unwrap();
    let admin = client.login("drill_admin", "admin-password-1").await;
    let user = client.new_user("drill_user").await;

    let model_id = client.trained_model(&admin, "drill_model", JOB_DONE).await;

    let (status, session) =
        client.call(Method::POST, "/chat/sessions", &user, Some(json!({"name": "drill", "information": "help"}))).await;
    assert_eq!(status, 201, "{session}");
    let session_id = session["id"].as_i64().unwrap();
    let mut socket = client.try_chat_socket(session_id, &user).await.expect("a socket while the broker is up");
    let mut accepted_messages = vec![post_message(&client, &user, session_id, "before the outage").await];
    assert_eq!(socket.next_of("message").await["content"], "before the outage");

    let mut accepted_jobs = Vec::new();
    for _ in 0..4 {
        let (status, job) = submit(&client, &user, model_id).await;
        assert_eq!(status, 202, "{job}");
        accepted_jobs.push(job["id"].as_i64().unwrap());
    }

    // The premise: the slowed worker (8 s of work in all) has not finished them yet.
    let (_, last) = client.call(Method::GET, &format!("/ai/inferences/{}", accepted_jobs[3]), &user, None).await;
    assert_ne!(last["status"], "succeeded", "jobs are still pending when the broker stops: {last}");

    let rabbit = tokio::task::spawn_blocking(move || {
        rabbit.stop();
        rabbit
    })
    .await
    .unwrap();
    eventually("readiness to report the broker down", Duration::from_secs(30), || async {
        (ready_status(&client).await == 503).then_some(())
    })
    .await;
    let closed = socket.closed().await;
    assert_eq!(closed.code, 1012, "a socket whose live delivery broke is asked to reconnect: {closed:?}");
    for _ in 0..3 {
        let (status, problem) = submit(&client, &user, model_id).await;
        assert_eq!(status, 503, "{problem}");
        assert_eq!(problem["code"], "ai.queue_unavailable", "{problem}");
    }
    accepted_messages.push(post_message(&client, &user, session_id, "during the outage").await);
    assert!(client.try_chat_socket(session_id, &user).await.is_none(), "no live chat without the bus");

    let rabbit = tokio::task::spawn_blocking(move || {
        rabbit.resume();
        rabbit
    })
    .await
    .unwrap();
    eventually("readiness to report the broker back", Duration::from_secs(60), || async {
        (ready_status(&client).await == 200).then_some(())
    })
    .await;

    let mut socket = eventually("the chat socket to reconnect", Duration::from_secs(60), || async {
        client.try_chat_socket(session_id, &user).await
    })
    .await;
    accepted_messages.push(post_message(&client, &user, session_id, "after the restart").await);
    assert_eq!(socket.next_of("message").await["content"], "after the restart", "delivered live again");

    let after = eventually("a submission to be accepted again", Duration::from_secs(60), || async {
        let (status, job) = submit(&client, &user, model_id).await;
        match status {
            202 => Some(job["id"].as_i64().unwrap()),
            503 => {
                assert_eq!(job["code"], "ai.queue_unavailable", "{job}");
                None
            }
            other => panic!("unexpected {other}: {job}"),
        }
    })
    .await;
    accepted_jobs.push(after);
    for job_id in &accepted_jobs {
        let job = wait_succeeded(&client, &user, *job_id).await;
        assert!(job["result"]["predictions"][0].is_number(), "{job}");
    }

    let (status, page) =
        client.call(Method::GET, &format!("/chat/sessions/{session_id}/messages?limit=100"), &user, None).await;
    assert_eq!(status, 200, "{page}");
    let history: Vec<i64> = page["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    for id in &accepted_messages {
        assert!(history.contains(id), "accepted message {id} is in the history {history:?}");
    }

    for process in [&server, &worker] {
        let lines = process.lines();
        assert!(lines.iter().all(|l| !l.contains("panicked")), "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("RabbitMQ connection established again")), "reconnected: {lines:#?}");
    }
    drop((server, worker));
    tokio::task::spawn_blocking(move || drop((rabbit, postgres))).await.unwrap();
}
