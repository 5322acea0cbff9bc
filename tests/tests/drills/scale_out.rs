//! The scale-out proof: two `agora` instances and two `ai-worker`s, as separate processes on
//! one PostgreSQL and one RabbitMQ (private ones, like every drill), behave as one server.
//! Chat crosses instances, jobs are shared by the workers, views counted on both instances
//! add up exactly, and a ban made on one instance rejects the user's token on the other.

use std::time::Duration;

use e2e::drill::{AgoraProcess, DrillClient, PrivatePostgres, PrivateRabbit, create_admin, eventually, wait_until};
use reqwest::Method;
use serde_json::json;

const VIEWS_PER_INSTANCE: usize = 150;
const JOBS: usize = 24;

fn completed_jobs(worker: &AgoraProcess) -> usize {
    worker.lines().iter().filter(|l| l.contains("job completed") && l.contains("inference-")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_and_two_workers_on_one_database_and_broker_act_as_one_server() {
    let (postgres, rabbit) =
        tokio::task::spawn_blocking(|| (PrivatePostgres::start(), PrivateRabbit::start())).await.unwrap();
    let shared = |extra: &[(&'static str, String)]| {
        let mut env = vec![
            ("APP__DATABASE__URL", postgres.url()),
            ("APP__AMQP__URL", rabbit.url()),
            ("APP__AUTH__BCRYPT_COST", "4".to_owned()),
        ];
        env.extend_from_slice(extra);
        env
    };
    let server_env = shared(&[("APP__SERVER__PORT", "0".into()), ("APP__VIEWS__FLUSH_INTERVAL_MS", "200".into())]);
    let servers = [AgoraProcess::spawn("agora", &server_env), AgoraProcess::spawn("agora", &server_env)];
    let a = DrillClient::new(&servers[0]);
    let b = DrillClient::new(&servers[1]);
    // Both workers log each job they complete, so that the test can see who ran what.
    let worker_env = shared(&[
        ("RUST_LOG", "info,sqlx=warn,ai=debug".into()),
        ("APP__AI__CONCURRENCY", "1".into()),
        ("APP__AI__SIMULATED_JOB_DELAY_MS", "50".into()),
    ]);
    let workers = [AgoraProcess::spawn("ai-worker", &worker_env), AgoraProcess::spawn("ai-worker", &worker_env)];
    for worker in &workers {
        wait_until("both workers to consume", Duration::from_secs(60), || {
            worker.lines().iter().any(|l| l.contains("consuming AI jobs"))
        });
    }

    create_admin(&postgres.url(), "root", "password-123");
    let admin = a.login("root", "password-123").await;
    let alice = a.new_user("alice").await;
    let bob = b.new_user("bob").await;

    // Chat crosses instances both ways: alice is on A, bob on B.
    let (status, session) = a
        .call(
            Method::POST,
            "/chat/sessions",
            &alice,
            Some(json!({"name": "help", "information": "", "member_ids": [bob.id]})),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let session = session["id"].as_i64().unwrap();
    let mut alice_on_a = a.try_chat_socket(session, &alice).await.expect("a socket on A");
    let mut bob_on_b = b.try_chat_socket(session, &bob).await.expect("a socket on B");
    alice_on_a.say("hello from A").await;
    let seen = bob_on_b.next_of("message").await;
    assert_eq!((seen["content"].as_str(), seen["user_id"].as_i64()), (Some("hello from A"), Some(alice.id)));
    bob_on_b.say("hello from B").await;
    assert_eq!(alice_on_a.next_of("message").await["content"], "hello from A", "the sender's own copy");
    assert_eq!(alice_on_a.next_of("message").await["content"], "hello from B");
    let (status, posted) = b
        .call(Method::POST, &format!("/chat/sessions/{session}/messages"), &bob, Some(json!({"content": "REST on B"})))
        .await;
    assert_eq!(status, 201);
    assert_eq!(alice_on_a.next_of("message").await["id"], posted["id"]);

    // Jobs are shared: a model trains on one of the workers, then inference jobs submitted
    // on both instances all succeed, and each worker ran some of them.
    let model = a.trained_model(&admin, "scale_model", Duration::from_secs(60)).await;
    let mut jobs = Vec::new();
    for n in 0..JOBS {
        let instance = if n % 2 == 0 { &a } else { &b };
        let row = json!({"inputs": [[n as f64, 1, 1, 1, 1, 1, 1, 1]]});
        let (status, job) =
            instance.call(Method::POST, &format!("/ai/models/{model}/inferences"), &alice, Some(row)).await;
        assert_eq!(status, 202, "{job}");
        jobs.push((n, job["id"].as_i64().unwrap()));
    }
    for (n, job) in jobs {
        let instance = if n % 2 == 0 { &b } else { &a };
        let (status, done) = instance.call(Method::GET, &format!("/ai/inferences/{job}?wait=30"), &alice, None).await;
        assert_eq!((status, done["status"].as_str()), (200, Some("succeeded")), "{done}");
        // y = 4x0 + 5 + 2 + 7 + 0.1 + 15 + 0.05 + 1 with the other inputs at 1.
        let expected = 4.0 * n as f64 + 30.15;
        let predicted = done["result"]["predictions"][0].as_f64().unwrap();
        assert!((predicted - expected).abs() < 0.05, "job {job}: {predicted} for {expected}");
    }
    let ran: Vec<usize> = workers.iter().map(completed_jobs).collect();
    assert_eq!(ran.iter().sum::<usize>(), JOBS, "every job ran exactly once: {ran:?}");
    assert!(ran.iter().all(|&n| n > 0), "both workers took jobs: {ran:?}");

    // Views counted on both instances add up exactly.
    let (status, board) = a
        .call(
            Method::POST,
            "/admin/boards",
            &admin,
            Some(json!({"name": "town square", "information": "", "access": "public"})),
        )
        .await;
    assert_eq!(status, 201, "{board}");
    let board = board["id"].as_i64().unwrap();
    let (status, post) = b
        .call(
            Method::POST,
            &format!("/boards/{board}/posts"),
            &bob,
            Some(json!({"title": "counted", "content": "read me"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let post = post["id"].as_i64().unwrap();
    let reads = [&a, &b].map(|instance| {
        let (client, url, token) =
            (instance.http.clone(), instance.api(&format!("/posts/{post}")), alice.token.clone());
        tokio::spawn(async move {
            for _ in 0..VIEWS_PER_INSTANCE {
                let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert_eq!(response.status(), 200);
            }
        })
    });
    for read in reads {
        read.await.unwrap();
    }
    let expected = (2 * VIEWS_PER_INSTANCE) as i64;
    for instance in [&a, &b] {
        eventually("both instances' views to be flushed", Duration::from_secs(20), || async {
            let (status, page) = instance.call(Method::GET, &format!("/boards/{board}/posts"), &alice, None).await;
            assert_eq!(status, 200, "{page}");
            let views = page["items"][0]["number_of_view"].as_i64().unwrap();
            assert!(views <= expected, "views were counted twice: {views}");
            (views == expected).then_some(())
        })
        .await;
    }

    // A ban made on A rejects bob's token on B.
    assert_eq!(b.call(Method::GET, "/users/me", &bob, None).await.0, 200);
    let (status, _) =
        a.call(Method::PATCH, &format!("/admin/users/{}", bob.id), &admin, Some(json!({"is_banned": true}))).await;
    assert_eq!(status, 200);
    let refused = eventually("the ban to reach the other instance", Duration::from_secs(5), || async {
        let (status, body) = b.call(Method::GET, "/users/me", &bob, None).await;
        (status != 200).then_some((status, body))
    })
    .await;
    assert_eq!((refused.0, refused.1["code"].as_str()), (403, Some("user.banned")), "{}", refused.1);

    for process in &servers {
        assert!(process.lines().iter().all(|l| !l.contains("panicked")), "{:#?}", process.lines());
    }
    drop((servers, workers));
    drop((postgres, rabbit));
}
