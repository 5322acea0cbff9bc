//! Helpers of the AI tests: models, datasets and inference jobs driven through the API,
//! and the `ai_test` formula to check predictions against.

use std::future::Future;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::{Authed, TestApp, TestUser, unique};

/// How long a training may take in a test (a debug build trains a random forest slowly).
pub const TRAINING_TIMEOUT: Duration = Duration::from_secs(180);

/// `y = 4x0 + 5x1 + 2x2 + 7x3 + 0.1x4 + 15x5 + 0.05x6 + x7`, the formula of `ai_test`.
pub fn ai_test_y(x: &[f64; 8]) -> f64 {
    let coefficients = [4.0, 5.0, 2.0, 7.0, 0.1, 15.0, 0.05, 1.0];
    x.iter().zip(coefficients).map(|(x, c)| x * c).sum()
}

/// Polls `condition` until it gives `Some`, failing the test after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut condition: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = condition().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// POST /ai/models; asserts 202 and returns the queued model.
pub async fn create_model(app: &TestApp, admin: &TestUser, body: Value) -> Value {
    let response = app.post("/ai/models").bearer(admin).json(&body).send().await.unwrap();
    let status = response.status();
    let model: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{model}");
    assert_eq!(model["status"], "queued", "{model}");
    model
}

/// GET /ai/models/{id} as `admin`.
pub async fn get_model(app: &TestApp, admin: &TestUser, id: &Value) -> Value {
    let response = app.get(&format!("/ai/models/{id}")).bearer(admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Waits until the model's training ended (ready or failed) and returns the model.
pub async fn wait_for_training(app: &TestApp, admin: &TestUser, id: &Value) -> Value {
    eventually(&format!("the training of model {id}"), TRAINING_TIMEOUT, || async {
        let model = get_model(app, admin, id).await;
        matches!(model["status"].as_str(), Some("ready" | "failed")).then_some(model)
    })
    .await
}

/// A visible model of `algorithm` on `ai_test`, trained and ready.
pub async fn ready_model(app: &TestApp, admin: &TestUser, algorithm: &str) -> Value {
    let body = json!({"name": unique(algorithm), "description": "test", "algorithm": algorithm, "is_visible": true});
    let model = create_model(app, admin, body).await;
    let model = wait_for_training(app, admin, &model["id"]).await;
    assert_eq!(model["status"], "ready", "{model}");
    model
}

/// POST /ai/models/{id}/inferences.
pub async fn submit(app: &TestApp, user: &TestUser, model_id: &Value, inputs: Value) -> Response {
    app.post(&format!("/ai/models/{model_id}/inferences"))
        .bearer(user)
        .json(&json!({ "inputs": inputs }))
        .send()
        .await
        .unwrap()
}

/// Submits an inference, asserts 202 and returns the queued job.
pub async fn submit_ok(app: &TestApp, user: &TestUser, model_id: &Value, inputs: Value) -> Value {
    let response = submit(app, user, model_id, inputs).await;
    let status = response.status();
    let job: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], "queued", "{job}");
    job
}

/// GET /ai/inferences/{id}?wait=N.
pub async fn get_job(app: &TestApp, user: &TestUser, id: &Value, wait: u32) -> Response {
    app.get(&format!("/ai/inferences/{id}?wait={wait}")).bearer(user).send().await.unwrap()
}

/// Waits (with `?wait=30`, again while unfinished) until the job ended; returns it.
pub async fn wait_for_job(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    eventually(&format!("inference job {id}"), TRAINING_TIMEOUT, || async {
        let response = get_job(app, user, id, 30).await;
        assert_eq!(response.status(), StatusCode::OK);
        let job: Value = response.json().await.unwrap();
        matches!(job["status"].as_str(), Some("succeeded" | "failed")).then_some(job)
    })
    .await
}

/// POST /ai/datasets with a `file` part (and a `name` part when given).
pub async fn upload_dataset(
    app: &TestApp,
    admin: &TestUser,
    file_name: &str,
    csv: impl Into<Vec<u8>>,
    name: Option<&str>,
) -> Response {
    let part = Part::bytes(csv.into()).file_name(file_name.to_owned()).mime_str("text/csv").unwrap();
    let mut form = Form::new().part("file", part);
    if let Some(name) = name {
        form = form.text("name", name.to_owned());
    }
    app.post("/ai/datasets").bearer(admin).multipart(form).send().await.unwrap()
}
