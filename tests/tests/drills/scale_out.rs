//! The scale-out proof: two `agora` instances and two `ai-worker`s, as separate processes on
//! one PostgreSQL and one RabbitMQ (private ones, like every drill), behave as one server.
//! Chat crosses instances, jobs are shared by the workers, views counted on both instances
//! add up exactly, and a ban made on one instance rejects the user's token on the other.

use std::time::Duration;

use e2e::ai::eventually;
use e2e::drill::{AgoraProcess, PrivatePostgres, PrivateRabbit, admin_cli, wait_until};
use futures_util::{SinkExt, StreamExt};
use reqwest::Client;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const PASSWORD: &str = "password-123";
const VIEWS_PER_INSTANCE: usize = 150;
const JOBS: usize = 24;

/// One of the two instances, as a client sees it.
struct Instance {
    process: AgoraProcess,
    client: Client,
}

impl Instance {
    fn url(&self, path: &str) -> String {
        self.process.url(&format!("/api/v1{path}"))
    }

    async fn send(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body)).await
    }

    async fn login(&self, name: &str) -> String {
        let login = json!({"username": name, "password": PASSWORD});
        let response = self.client.post(self.url("/auth/login")).json(&login).send().await.unwrap();
        assert_eq!(response.status(), 200, "login of {name}");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn signup(&self, name: &str) -> (i64, String) {
        let signup = json!({"name": name, "email": format!("{name}@example.com"), "password": PASSWORD});
        let response = self.client.post(self.url("/auth/signup")).json(&signup).send().await.unwrap();
        assert_eq!(response.status(), 201, "signup of {name}");
        let user: Value = response.json().await.unwrap();
        (user["id"].as_i64().unwrap(), self.login(name).await)
    }

    /// A chat socket as the holder of `token`, ready: its first frame has been answered.
    async fn socket(&self, session: i64, token: &str) -> Socket {
        let port = self.process.port.unwrap();
        let mut request =
            format!("ws://127.0.0.1:{port}/api/v1/chat/sessions/{session}/ws").into_client_request().unwrap();
        request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut socket = Socket { stream };
        socket.send(json!({"type": "ping"})).await;
        socket.next_of("pong").await;
        socket
    }
}

struct Socket {
    stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Socket {
    async fn send(&mut self, frame: Value) {
        self.stream.send(Message::text(frame.to_string())).await.unwrap();
    }

    async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), self.stream.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .expect("a readable frame");
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                if frame["type"] == kind {
                    return frame;
                }
            }
        }
    }
}

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
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let a = Instance { process: AgoraProcess::spawn("agora", &server_env), client: client.clone() };
    let b = Instance { process: AgoraProcess::spawn("agora", &server_env), client };
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

    let cli = admin_cli(
        &[("APP__DATABASE__URL", postgres.url())],
        &["create-admin", "--name", "root", "--email", "root@example.com", "--password-stdin"],
        PASSWORD,
    );
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let admin = a.login("root").await;
    let (alice_id, alice) = a.signup("alice").await;
    let (bob_id, bob) = b.signup("bob").await;

    // Chat crosses instances both ways: alice is on A, bob on B.
    let (status, session) =
        a.post("/chat/sessions", &alice, json!({"name": "help", "information": "", "member_ids": [bob_id]})).await;
    assert_eq!(status, 201, "{session}");
    let session = session["id"].as_i64().unwrap();
    let mut alice_on_a = a.socket(session, &alice).await;
    let mut bob_on_b = b.socket(session, &bob).await;
    alice_on_a.send(json!({"type": "message", "content": "hello from A"})).await;
    let seen = bob_on_b.next_of("message").await;
    assert_eq!((seen["content"].as_str(), seen["user_id"].as_i64()), (Some("hello from A"), Some(alice_id)));
    bob_on_b.send(json!({"type": "message", "content": "hello from B"})).await;
    assert_eq!(alice_on_a.next_of("message").await["content"], "hello from A", "the sender's own copy");
    assert_eq!(alice_on_a.next_of("message").await["content"], "hello from B");
    let (status, posted) =
        b.post(&format!("/chat/sessions/{session}/messages"), &bob, json!({"content": "REST on B"})).await;
    assert_eq!(status, 201);
    assert_eq!(alice_on_a.next_of("message").await["id"], posted["id"]);

    // Jobs are shared: a model trains on one of the workers, then inference jobs submitted
    // on both instances all succeed, and each worker ran some of them.
    let model = json!({"name": "scale_model", "description": "", "algorithm": "linear_regression", "is_visible": true});
    let (status, model) = a.post("/ai/models", &admin, model).await;
    assert_eq!(status, 202, "{model}");
    let model = model["id"].as_i64().unwrap();
    let trained = eventually("the model to finish training", Duration::from_secs(60), || async {
        let status = b.get(&format!("/ai/models/{model}"), &admin).await.1["status"].clone();
        (status != "queued" && status != "training").then_some(status)
    })
    .await;
    assert_eq!(trained, "ready");
    let mut jobs = Vec::new();
    for n in 0..JOBS {
        let instance = if n % 2 == 0 { &a } else { &b };
        let row = json!({"inputs": [[n as f64, 1, 1, 1, 1, 1, 1, 1]]});
        let (status, job) = instance.post(&format!("/ai/models/{model}/inferences"), &alice, row).await;
        assert_eq!(status, 202, "{job}");
        jobs.push((n, job["id"].as_i64().unwrap()));
    }
    for (n, job) in jobs {
        let instance = if n % 2 == 0 { &b } else { &a };
        let (status, done) = instance.get(&format!("/ai/inferences/{job}?wait=30"), &alice).await;
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
    let (status, board) =
        a.post("/admin/boards", &admin, json!({"name": "town square", "information": "", "access": "public"})).await;
    assert_eq!(status, 201, "{board}");
    let board = board["id"].as_i64().unwrap();
    let (status, post) =
        b.post(&format!("/boards/{board}/posts"), &bob, json!({"title": "counted", "content": "read me"})).await;
    assert_eq!(status, 201, "{post}");
    let post = post["id"].as_i64().unwrap();
    let reads = [&a, &b].map(|instance| {
        let (client, url, token) = (instance.client.clone(), instance.url(&format!("/posts/{post}")), alice.clone());
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
            let (status, page) = instance.get(&format!("/boards/{board}/posts"), &alice).await;
            assert_eq!(status, 200, "{page}");
            let views = page["items"][0]["number_of_view"].as_i64().unwrap();
            assert!(views <= expected, "views were counted twice: {views}");
            (views == expected).then_some(())
        })
        .await;
    }

    // A ban made on A rejects bob's token on B.
    assert_eq!(b.get("/users/me", &bob).await.0, 200);
    let (status, _) = a
        .send(reqwest::Method::PATCH, &format!("/admin/users/{bob_id}"), &admin, Some(json!({"is_banned": true})))
        .await;
    assert_eq!(status, 200);
    let refused = eventually("the ban to reach the other instance", Duration::from_secs(5), || async {
        let (status, body) = b.get("/users/me", &bob).await;
        (status != 200).then_some((status, body))
    })
    .await;
    assert_eq!((refused.0, refused.1["code"].as_str()), (403, Some("user.banned")), "{}", refused.1);

    for process in [&a.process, &b.process] {
        assert!(process.lines().iter().all(|l| !l.contains("panicked")), "{:#?}", process.lines());
    }
    drop((a, b, workers));
    drop((postgres, rabbit));
}
