//! Views: counted per read, buffered, flushed additively by every instance, never lost on
//! a graceful shutdown.

use std::time::Duration;

use e2e::{Authed, TestApp};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;

use crate::board_support::{OPEN, Sibling, create_board, create_post, eventually, stored_post};

const FLUSH_TIMEOUT: Duration = Duration::from_secs(20);

/// A flush interval no test waits for: flushes happen only when a test triggers them or a
/// server stops.
const NEVER_MS: u64 = 3_600_000;

#[tokio::test]
async fn two_hundred_concurrent_reads_give_exactly_two_hundred_views_after_a_flush() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Popular", "read me").await["id"].as_i64().unwrap();

    let reads = (0..200).map(|_| {
        let request = app.get(&format!("/posts/{post}")).bearer(&alice);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()["number_of_view"].as_i64().unwrap()
        }
    });
    let seen: Vec<i64> = join_all(reads).await;
    assert!(seen.iter().all(|&n| (1..=200).contains(&n)), "each read includes itself: {seen:?}");
    // The flusher (every 200 ms in tests) writes them; the buffer drains completely.
    eventually("200 views stored", FLUSH_TIMEOUT, || async { stored_post(&app, post).await.number_of_view == 200 })
        .await;
    assert_eq!(app.services.views.pending(post), 0);
    let read: Value = app.get(&format!("/posts/{post}")).bearer(&alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["number_of_view"], 201, "stored 200 plus this read");
}

#[tokio::test]
async fn reads_show_stored_views_plus_unflushed_ones() {
    let app = TestApp::spawn_with(|s| s.views.flush_interval_ms = NEVER_MS).await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Counted", "yes").await["id"].as_i64().unwrap();
    for expected in 1..=3 {
        let read: Value = app.get(&format!("/posts/{post}")).bearer(&alice).send().await.unwrap().json().await.unwrap();
        assert_eq!(read["number_of_view"], expected);
    }
    assert_eq!(stored_post(&app, post).await.number_of_view, 0, "nothing written yet");
    let page: Value =
        app.get(&format!("/boards/{board}/posts")).bearer(&alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["items"][0]["number_of_view"], 3, "lists include unflushed views and count none");
    let report = app.services.views.flush().await.unwrap();
    assert_eq!((report.posts, report.views), (1, 3));
    assert_eq!(stored_post(&app, post).await.number_of_view, 3);

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("agora_view_flush_batches_total"), "{metrics}");
}

#[tokio::test]
async fn views_survive_a_graceful_shutdown() {
    let app = TestApp::spawn_with(|s| s.views.flush_interval_ms = NEVER_MS).await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Persistent", "views").await["id"].as_i64().unwrap();

    // A second instance on the same database takes the reads, then is stopped as by SIGTERM.
    let instance = Sibling::spawn(&app, |s| s.views.flush_interval_ms = NEVER_MS).await;
    for _ in 0..7 {
        let response = app.client.get(instance.api(&format!("/posts/{post}"))).bearer(&alice).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(stored_post(&app, post).await.number_of_view, 0, "buffered, not written");
    instance.stop().await;
    assert_eq!(stored_post(&app, post).await.number_of_view, 7, "written at shutdown");
}

#[tokio::test]
async fn instances_flushing_the_same_post_keep_the_count_exact() {
    let app = TestApp::spawn_with(|s| s.views.flush_interval_ms = 50).await;
    let alice = app.new_user().await;
    let board = create_board(&app, OPEN).await;
    let post = create_post(&app, &alice, board, "Shared", "row").await["id"].as_i64().unwrap();
    let other = Sibling::spawn(&app, |s| s.views.flush_interval_ms = 50).await;

    let urls: Vec<String> = (0..150)
        .map(|i| if i % 2 == 0 { app.api(&format!("/posts/{post}")) } else { other.api(&format!("/posts/{post}")) })
        .collect();
    let reads = urls.iter().map(|url| {
        let request = app.client.get(url).bearer(&alice);
        async move { assert_eq!(request.send().await.unwrap().status(), StatusCode::OK) }
    });
    join_all(reads).await;
    eventually("150 views stored from both instances", FLUSH_TIMEOUT, || async {
        stored_post(&app, post).await.number_of_view == 150
    })
    .await;
    other.stop().await;
    app.services.views.flush().await.unwrap();
    assert_eq!(stored_post(&app, post).await.number_of_view, 150);
}
