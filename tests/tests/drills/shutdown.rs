//! The app is stopped with SIGTERM under load.

use std::time::Duration;

use e2e::drill::{AgoraProcess, PrivatePostgres};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_lets_in_flight_requests_finish() {
    let postgres = tokio::task::spawn_blocking(PrivatePostgres::start).await.unwrap();
    let mut server = AgoraProcess::spawn(
        "agora",
        &[
            ("APP__DATABASE__URL", postgres.url()),
            ("APP__SERVER__PORT", "0".into()),
            ("APP__AUTH__BCRYPT_COST", "10".into()),
            // The drill proves that accepted requests finish, not how fast: sixteen debug-build
            // bcrypt logins on a shared machine can outlast test.toml's 5 s grace.
            ("APP__SERVER__SHUTDOWN_TIMEOUT_SECS", "120".into()),
        ],
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let signup = json!({"name": "drill_user", "email": "drill@example.com", "password": "password-123"});
    assert_eq!(client.post(server.url("/api/v1/auth/signup")).json(&signup).send().await.unwrap().status(), 201);

    // Logins are slow (bcrypt cost 10, a few at a time): when the first has answered, the
    // others have been accepted and are still being worked on.
    let (first_done, mut first) = tokio::sync::mpsc::channel::<()>(16);
    let mut logins = Vec::new();
    for _ in 0..16 {
        let (client, url, first_done) = (client.clone(), server.url("/api/v1/auth/login"), first_done.clone());
        logins.push(tokio::spawn(async move {
            let login = json!({"username": "drill_user", "password": "password-123"});
            let result = client.post(&url).json(&login).send().await.map(|r| r.status().as_u16());
            let _ = first_done.send(()).await;
            result
        }));
    }
    first.recv().await;
    server.terminate();
    let mut finished = 0;
    for login in logins {
        match login.await.unwrap() {
            Ok(status) => {
                assert_eq!(status, 200, "an accepted request must complete normally: {:#?}", server.lines());
                finished += 1;
            }
            // A request sent after the listener closed is refused at connect: never
            // accepted, so never half-done.
            Err(err) => assert!(err.is_connect(), "request broken mid-flight: {err:?}; {:#?}", server.lines()),
        }
    }
    assert!(finished > 1, "requests in flight when SIGTERM arrived finished: {finished}");
    let status = tokio::task::spawn_blocking(move || {
        let status = server.wait_exit(Duration::from_secs(30));
        (status, server.lines())
    })
    .await
    .unwrap();
    assert!(status.0.success(), "exit status {:?}", status.0);
    assert!(status.1.iter().any(|l| l.contains("shutdown complete")), "{:#?}", status.1);
    drop(postgres);
}
