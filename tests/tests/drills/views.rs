//! Buffered post views survive a graceful stop: SIGTERM writes them before the app exits.

use std::time::Duration;

use e2e::drill::{AgoraProcess, DrillClient, PrivatePostgres, create_admin};
use reqwest::Method;
use serde_json::json;

const READS: i64 = 25;

fn server(postgres: &PrivatePostgres) -> AgoraProcess {
    AgoraProcess::spawn(
        "agora",
        &[
            ("APP__DATABASE__URL", postgres.url()),
            ("APP__SERVER__PORT", "0".into()),
            // No flush on a timer during the drill: only the one at shutdown.
            ("APP__VIEWS__FLUSH_INTERVAL_MS", "86400000".into()),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn views_buffered_when_sigterm_arrives_are_written_before_the_app_exits() {
    let postgres = tokio::task::spawn_blocking(PrivatePostgres::start).await.unwrap();
    let mut first = server(&postgres);
    let client = DrillClient::new(&first);
    let database_url = postgres.url();
    tokio::task::spawn_blocking(move || create_admin(&database_url, "drill_admin", "admin-password-1")).await.unwrap();
    let admin = client.login("drill_admin", "admin-password-1").await;
    let (status, board) =
        client.call(Method::POST, "/admin/boards", &admin, Some(json!({"name": "drill", "access": "public"}))).await;
    assert_eq!(status, 201, "{board}");
    let (status, post) = client
        .call(
            Method::POST,
            &format!("/boards/{}/posts", board["id"]),
            &admin,
            Some(json!({"title": "read me", "content": "often"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let post_path = format!("/posts/{}", post["id"]);
    for read in 1..=READS {
        let (status, post) = client.call(Method::GET, &post_path, &admin, None).await;
        assert_eq!(status, 200, "{post}");
        assert_eq!(post["number_of_view"], read, "each read counts, flushed or not: {post}");
    }

    first.terminate();
    let (status, lines) = tokio::task::spawn_blocking(move || {
        let status = first.wait_exit(Duration::from_secs(60));
        (status, first.lines())
    })
    .await
    .unwrap();
    assert!(status.success(), "exit status {status:?}: {lines:#?}");

    let second = server(&postgres);
    let client = client.at(&second);
    let admin = client.login("drill_admin", "admin-password-1").await;
    let (status, post) = client.call(Method::GET, &post_path, &admin, None).await;
    assert_eq!(status, 200, "{post}");
    assert_eq!(post["number_of_view"], READS + 1, "every read before the stop was written, plus this one: {post}");
    drop(second);
    tokio::task::spawn_blocking(move || drop(postgres)).await.unwrap();
}
