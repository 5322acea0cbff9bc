//! The database goes away under load and comes back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use e2e::drill::{AgoraProcess, PrivatePostgres, wait_until};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// What one request of the load saw.
#[derive(Debug, Clone)]
struct Seen {
    status: u16,
    content_type: String,
    code: Option<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_under_load_answers_503_problems_then_recovers_without_restarting_the_app() {
    let postgres = tokio::task::spawn_blocking(PrivatePostgres::start).await.unwrap();
    let server = AgoraProcess::spawn(
        "agora",
        &[
            ("APP__DATABASE__URL", postgres.url()),
            ("APP__SERVER__PORT", "0".into()),
            ("APP__DATABASE__ACQUIRE_TIMEOUT_SECS", "2".into()),
        ],
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let signup = json!({"name": "drill_user", "email": "drill@example.com", "password": "password-123"});
    assert_eq!(client.post(server.url("/api/v1/auth/signup")).json(&signup).send().await.unwrap().status(), 201);
    let login = json!({"username": "drill_user", "password": "password-123"});
    let tokens: Value =
        client.post(server.url("/api/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_owned();

    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (client, seen, stop, token, url) =
            (client.clone(), seen.clone(), stop.clone(), token.clone(), server.url("/api/v1/users/me"));
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Ok(response) = client.get(&url).bearer_auth(&token).send().await else { continue };
                let status = response.status().as_u16();
                let content_type =
                    response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let code = body["code"].as_str().map(str::to_owned);
                seen.lock().await.push(Seen { status, content_type, code });
            }
        }));
    }
    let count = |status: u16| {
        let seen = seen.clone();
        move || seen.try_lock().map(|s| s.iter().filter(|r| r.status == status).count()).unwrap_or(0)
    };

    let ok_before = count(200);
    tokio::task::spawn_blocking(move || {
        wait_until("answers before the outage", Duration::from_secs(30), || ok_before() >= 20)
    })
    .await
    .unwrap();
    let postgres = tokio::task::spawn_blocking(move || {
        postgres.kill();
        postgres
    })
    .await
    .unwrap();
    let unavailable = count(503);
    tokio::task::spawn_blocking(move || {
        wait_until("503 answers during the outage", Duration::from_secs(60), || unavailable() >= 5)
    })
    .await
    .unwrap();
    let ok_at_resume = count(200)();
    let postgres = tokio::task::spawn_blocking(move || {
        postgres.resume();
        postgres
    })
    .await
    .unwrap();
    let ok_after = count(200);
    tokio::task::spawn_blocking(move || {
        wait_until("answers after the database is back", Duration::from_secs(60), || ok_after() >= ok_at_resume + 20)
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    let seen = seen.lock().await;
    for response in seen.iter() {
        match response.status {
            200 => {}
            503 => {
                assert!(response.content_type.starts_with("application/problem+json"), "{response:?}");
                assert_eq!(response.code.as_deref(), Some("server.unavailable"), "{response:?}");
            }
            other => panic!("unexpected status {other} during the drill: {response:?}"),
        }
    }
    assert!(server.lines().iter().all(|l| !l.contains("panicked")), "the server panicked");
    drop(postgres);
}
