//! AI models and jobs over HTTP: training on `ai_test` and on uploaded datasets, inference
//! with the results checked against the formula, permissions, validation, `wait`, and jobs
//! that survive a restart. Runs on the in-process queue, or on RabbitMQ with
//! `AGORA_TEST_AMQP_URL` (the app then consumes its own queue).

use std::time::Duration;

use e2e::ai::{
    ai_test_y, create_model, eventually, get_job, get_model, ready_model, submit, submit_ok, upload_dataset,
    wait_for_job, wait_for_training,
};
use e2e::{Authed, TestApp, assert_problem, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ROWS: [[f64; 8]; 3] = [
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    [-3.5, 0.25, 9.0, -7.75, 1.0, 0.0, -2.0, 4.5],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
];

/// A CSV of `rows` rows `a,b,y` with `y = 2a - b + 1`.
fn linear_csv(rows: usize) -> String {
    let mut csv = "a,b,y\n".to_owned();
    for i in 0..rows {
        let (a, b) = (i as f64 * 0.5, (i % 7) as f64);
        csv.push_str(&format!("{a},{b},{}\n", 2.0 * a - b + 1.0));
    }
    csv
}

#[tokio::test]
async fn linear_regression_on_ai_test_trains_and_predicts_the_formula() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;

    let response = app
        .post("/ai/models")
        .bearer(&admin)
        .json(&json!({"name": unique("linear"), "description": "y from x", "is_visible": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let model: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/ai/models/{}", model["id"]));
    assert_eq!(model["status"], "queued");
    assert_eq!(model["algorithm"], "linear_regression");
    assert_eq!(model["target"], "y");
    assert_eq!(model["features"], json!(["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"]));
    assert_eq!(model["is_available"], false);

    let model = wait_for_training(&app, &admin, &model["id"]).await;
    assert_eq!(model["status"], "ready", "{model}");
    assert_eq!(model["is_available"], true);
    assert!(model["metrics"]["r2"].as_f64().unwrap() > 0.999, "{model}");
    assert_eq!(
        (model["metrics"]["train_rows"].as_u64(), model["metrics"]["test_rows"].as_u64()),
        (Some(7000), Some(3000))
    );
    assert!(model["finish_date"].is_string());

    let job = submit_ok(&app, &user, &model["id"], json!(ROWS)).await;
    assert_eq!(job["model_id"], model["id"]);
    let job = wait_for_job(&app, &user, &job["id"]).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["error"].is_null());
    let predictions = job["result"]["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), ROWS.len());
    for (row, prediction) in ROWS.iter().zip(predictions) {
        let (expected, got) = (ai_test_y(row), prediction.as_f64().unwrap());
        assert!((expected - got).abs() < 1e-6, "{row:?}: expected {expected}, got {got}");
    }
}

#[tokio::test]
async fn every_other_algorithm_trains_on_ai_test_and_predicts() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let mut models = Vec::new();
    for algorithm in ["ridge", "lasso", "decision_tree", "random_forest"] {
        let body = json!({"name": unique(algorithm), "algorithm": algorithm, "is_visible": true});
        models.push((algorithm, create_model(&app, &admin, body).await));
    }
    for (algorithm, model) in models {
        let model = wait_for_training(&app, &admin, &model["id"]).await;
        assert_eq!(model["status"], "ready", "{algorithm}: {model}");
        assert_eq!(model["algorithm"], algorithm);
        assert!(model["metrics"]["r2"].as_f64().unwrap() > 0.9, "{algorithm}: {model}");
        let job = submit_ok(&app, &admin, &model["id"], json!([ROWS[0]])).await;
        let job = wait_for_job(&app, &admin, &job["id"]).await;
        assert_eq!(job["status"], "succeeded", "{algorithm}: {job}");
        assert_eq!(job["result"]["predictions"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn users_cannot_manage_models_or_datasets() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let id = &model["id"];

    let response = app.post("/ai/models").bearer(&user).json(&json!({"name": "mine"})).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "auth.admin_required").await;
    let response =
        app.patch(&format!("/ai/models/{id}")).bearer(&user).json(&json!({"is_visible": false})).send().await;
    assert_problem(response.unwrap(), StatusCode::FORBIDDEN, "auth.admin_required").await;
    let response = app.delete(&format!("/ai/models/{id}")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "auth.admin_required").await;
    let response = app.post(&format!("/ai/models/{id}/train")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "auth.admin_required").await;
    let response = app.get("/ai/datasets").bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "auth.admin_required").await;
    let response = upload_dataset(&app, &user, "mine.csv", linear_csv(20), None).await;
    assert_problem(response, StatusCode::FORBIDDEN, "auth.admin_required").await;
    let response = app.get("/ai/models").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The model is untouched.
    assert_eq!(get_model(&app, &admin, id).await["status"], "ready");
}

#[tokio::test]
async fn users_see_and_use_only_visible_available_ready_models() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let id = model["id"].clone();
    let listed = |page: Value| page["items"].as_array().unwrap().iter().any(|m| m["id"] == id);

    let page: Value = app.get("/ai/models").bearer(&user).send().await.unwrap().json().await.unwrap();
    assert!(listed(page));

    app.patch(&format!("/ai/models/{id}")).bearer(&admin).json(&json!({"is_visible": false})).send().await.unwrap();
    let response = app.get(&format!("/ai/models/{id}")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "ai.model_not_found").await;
    assert_problem(submit(&app, &user, &id, json!([ROWS[0]])).await, StatusCode::NOT_FOUND, "ai.model_not_found").await;
    let page: Value = app.get("/ai/models").bearer(&user).send().await.unwrap().json().await.unwrap();
    assert!(!listed(page));

    let response = app
        .patch(&format!("/ai/models/{id}"))
        .bearer(&admin)
        .json(&json!({"is_visible": true, "is_available": false, "description": "paused"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!((updated["is_visible"].as_bool(), updated["is_available"].as_bool()), (Some(true), Some(false)));
    assert_eq!(updated["description"], "paused");
    let seen: Value = app.get(&format!("/ai/models/{id}")).bearer(&user).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen["is_available"], false);
    let body =
        assert_problem(submit(&app, &user, &id, json!([ROWS[0]])).await, StatusCode::CONFLICT, "ai.model_not_ready")
            .await;
    assert!(body["detail"].as_str().unwrap().contains("not available"), "{body}");
    let page: Value = app.get("/ai/models").bearer(&user).send().await.unwrap().json().await.unwrap();
    assert!(!listed(page));

    // Admins may use any ready model, and see every model in their list.
    submit_ok(&app, &admin, &id, json!([ROWS[0]])).await;
    let page: Value = app.get("/ai/models").bearer(&admin).send().await.unwrap().json().await.unwrap();
    assert!(listed(page));
}

#[tokio::test]
async fn a_model_that_is_not_ready_refuses_inferences_with_409() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    // Ridge cannot use a feature that never changes: this training fails.
    let mut csv = "a,b,y\n".to_owned();
    for i in 0..30 {
        csv.push_str(&format!("{i},3,{}\n", 2 * i));
    }
    let response = upload_dataset(&app, &admin, "constant.csv", csv, None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let dataset: Value = response.json().await.unwrap();
    let body = json!({"name": unique("ridge"), "algorithm": "ridge", "dataset_id": dataset["id"], "is_visible": true});
    let model = create_model(&app, &admin, body).await;
    let model = wait_for_training(&app, &admin, &model["id"]).await;
    assert_eq!(model["status"], "failed", "{model}");
    assert!(model["error"].as_str().unwrap().contains("\"b\""), "{model}");
    assert_eq!(model["is_available"], false);

    let response = submit(&app, &admin, &model["id"], json!([[1.0, 3.0]])).await;
    let problem = assert_problem(response, StatusCode::CONFLICT, "ai.model_not_ready").await;
    assert!(problem["detail"].as_str().unwrap().contains("failed"), "{problem}");
}

#[tokio::test]
async fn inputs_of_the_wrong_width_or_count_are_422_naming_the_expected_feature_count() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let id = &model["id"];

    let problem = assert_problem(
        submit(&app, &user, id, json!([ROWS[0], [1.0, 2.0, 3.0]])).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.validation_failed",
    )
    .await;
    let message = problem["errors"]["inputs"][0].as_str().unwrap();
    assert!(message.contains("row 2 has 3 values; the model expects 8"), "{problem}");

    for inputs in [json!([]), json!(vec![ROWS[0]; 1001])] {
        let problem = assert_problem(
            submit(&app, &user, id, inputs).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.validation_failed",
        )
        .await;
        assert!(problem["errors"]["inputs"].is_array(), "{problem}");
    }
    let response = submit(&app, &user, id, json!([["1", 2]])).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    // A thousand rows is fine.
    submit_ok(&app, &user, id, json!(vec![ROWS[1]; 1000])).await;
}

#[tokio::test]
async fn new_models_are_validated_and_names_are_unique() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let body = json!({"name": "", "algorithm": "svm", "dataset_id": 999_999, "target": "z"});
    let problem = assert_problem(
        app.post("/ai/models").bearer(&admin).json(&body).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.validation_failed",
    )
    .await;
    for field in ["name", "algorithm", "dataset_id"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    assert!(problem["errors"]["algorithm"][0].as_str().unwrap().contains("linear_regression, ridge"), "{problem}");

    let body = json!({"name": unique("m"), "target": "z"});
    let problem = assert_problem(
        app.post("/ai/models").bearer(&admin).json(&body).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.validation_failed",
    )
    .await;
    assert!(problem["errors"]["target"][0].as_str().unwrap().contains("unknown column \"z\""), "{problem}");

    let name = unique("taken");
    create_model(&app, &admin, json!({"name": name})).await;
    let response = app.post("/ai/models").bearer(&admin).json(&json!({"name": name})).send().await.unwrap();
    assert_problem(response, StatusCode::CONFLICT, "ai.model_name_taken").await;
}

#[tokio::test]
async fn ai_test_is_always_there_and_uploads_train_models() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let page: Value = app.get("/ai/datasets").bearer(&admin).send().await.unwrap().json().await.unwrap();
    let ai_test = &page["items"][0];
    assert_eq!(ai_test["name"], "ai_test");
    assert_eq!(ai_test["rows"], 10_000);
    assert_eq!(ai_test["columns"], json!(["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "y"]));

    let response = upload_dataset(&app, &admin, "reports/lines.v2.csv", linear_csv(200), None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let dataset: Value = response.json().await.unwrap();
    assert_eq!(dataset["name"], "lines.v2");
    assert_eq!((dataset["rows"].as_u64(), dataset["columns"].clone()), (Some(200), json!(["a", "b", "y"])));
    let response = upload_dataset(&app, &admin, "other.csv", linear_csv(20), Some("lines.v2")).await;
    assert_problem(response, StatusCode::CONFLICT, "ai.dataset_name_taken").await;

    let page: Value = app.get("/ai/datasets?limit=1").bearer(&admin).send().await.unwrap().json().await.unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    let next: Value = app
        .get(&format!("/ai/datasets?limit=1&cursor={cursor}"))
        .bearer(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["id"], dataset["id"]);

    let body = json!({"name": unique("lines"), "dataset_id": dataset["id"], "target": "y", "features": ["a", "b"]});
    let model = create_model(&app, &admin, body).await;
    let model = wait_for_training(&app, &admin, &model["id"]).await;
    assert_eq!(model["status"], "ready", "{model}");
    let job = submit_ok(&app, &admin, &model["id"], json!([[10.0, 3.0]])).await;
    let job = wait_for_job(&app, &admin, &job["id"]).await;
    let prediction = job["result"]["predictions"][0].as_f64().unwrap();
    assert!((prediction - 18.0).abs() < 1e-6, "{job}");
}

#[tokio::test]
async fn a_malformed_csv_is_422_naming_the_line_and_column() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let csv = linear_csv(20).replacen("\n1.5,3,1\n", "\n1.5,abc,1\n", 1);
    assert!(csv.contains("abc"));
    let problem = assert_problem(
        upload_dataset(&app, &admin, "bad.csv", csv, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ai.dataset_invalid",
    )
    .await;
    let message = problem["errors"]["file"][0].as_str().unwrap();
    assert_eq!(message, "line 5, column b: not a number: \"abc\"", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("line 5"), "{problem}");

    let problem = assert_problem(
        upload_dataset(&app, &admin, "short.csv", "a,b\n1,2\n3\n", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ai.dataset_invalid",
    )
    .await;
    assert!(problem["errors"]["file"][0].as_str().unwrap().starts_with("line 3"), "{problem}");

    let response = app.post("/ai/datasets").bearer(&admin).json(&json!({"file": "a,b"})).send().await.unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "request.unsupported_media_type").await;
}

#[tokio::test]
async fn dataset_limits_come_from_the_settings() {
    let app = TestApp::spawn_with(|settings| {
        settings.ai.dataset_max_bytes = 2_000;
        settings.ai.dataset_max_rows = 50;
    })
    .await;
    let admin = app.new_admin().await;
    let response = upload_dataset(&app, &admin, "big.csv", linear_csv(400), None).await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "ai.dataset_too_large").await;
    let problem = assert_problem(
        upload_dataset(&app, &admin, "long.csv", linear_csv(60), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ai.dataset_invalid",
    )
    .await;
    assert!(problem["errors"]["file"][0].as_str().unwrap().contains("the limit is 50 data rows"), "{problem}");
    // The shipped dataset is there all the same.
    let page: Value = app.get("/ai/datasets").bearer(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["items"][0]["rows"], 10_000);
}

#[tokio::test]
async fn users_see_only_their_own_jobs_and_admins_anyones() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let job = submit_ok(&app, &alice, &model["id"], json!([ROWS[0]])).await;
    let id = &job["id"];
    let ids = |page: &Value| page["items"].as_array().unwrap().iter().map(|j| j["id"].clone()).collect::<Vec<_>>();

    assert_problem(get_job(&app, &bob, id, 0).await, StatusCode::NOT_FOUND, "ai.inference_not_found").await;
    let page: Value = app.get("/ai/inferences").bearer(&bob).send().await.unwrap().json().await.unwrap();
    assert!(ids(&page).is_empty());
    let response = app.get(&format!("/ai/inferences?user_id={}", alice.id)).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "auth.admin_required").await;
    let page: Value = app.get("/ai/inferences").bearer(&alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(ids(&page), std::slice::from_ref(id));
    let page: Value = app
        .get(&format!("/ai/inferences?user_id={}", alice.id))
        .bearer(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&page), std::slice::from_ref(id));
    let page: Value = app
        .get(&format!("/ai/inferences?user_id={}", bob.id))
        .bearer(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ids(&page).is_empty());
    assert_eq!(get_job(&app, &admin, id, 0).await.status(), StatusCode::OK);

    let response =
        app.patch(&format!("/ai/inferences/{id}")).bearer(&alice).json(&json!({"description": "mine"})).send().await;
    let updated: Value = response.unwrap().json().await.unwrap();
    assert_eq!(updated["description"], "mine");
    let response =
        app.patch(&format!("/ai/inferences/{id}")).bearer(&admin).json(&json!({"description": "x"})).send().await;
    assert_problem(response.unwrap(), StatusCode::FORBIDDEN, "ai.not_owner").await;
    let response =
        app.patch(&format!("/ai/inferences/{id}")).bearer(&bob).json(&json!({"description": "x"})).send().await;
    assert_problem(response.unwrap(), StatusCode::NOT_FOUND, "ai.inference_not_found").await;

    let response = app.delete(&format!("/ai/inferences/{id}")).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "ai.inference_not_found").await;
    let response = app.delete(&format!("/ai/inferences/{id}")).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(get_job(&app, &alice, id, 0).await, StatusCode::NOT_FOUND, "ai.inference_not_found").await;
}

#[tokio::test]
async fn job_lists_page_newest_first() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let mut submitted = Vec::new();
    for _ in 0..3 {
        submitted.push(submit_ok(&app, &user, &model["id"], json!([ROWS[2]])).await["id"].clone());
    }
    let first: Value = app.get("/ai/inferences?limit=2").bearer(&user).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        first["items"].as_array().unwrap().iter().map(|j| j["id"].clone()).collect::<Vec<_>>(),
        [submitted[2].clone(), submitted[1].clone()]
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(&format!("/ai/inferences?limit=2&cursor={cursor}"))
        .bearer(&user)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"][0]["id"], submitted[0]);
    assert!(second["next_cursor"].is_null());
    // A cursor of another list is refused.
    let response = app.get(&format!("/ai/models?cursor={cursor}")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "pagination.invalid_cursor").await;
}

#[tokio::test]
async fn wait_returns_as_soon_as_the_job_ends() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let model = ready_model(&app, &admin, "decision_tree").await;
    let job = submit_ok(&app, &admin, &model["id"], json!([ROWS[1]])).await;
    // With wait=30 the answer comes when the job ends: well within 25 s, or this fails.
    let response = tokio::time::timeout(Duration::from_secs(25), get_job(&app, &admin, &job["id"], 30))
        .await
        .expect("wait=30 answered as soon as the job ended");
    let done: Value = response.json().await.unwrap();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 1);
    assert!(done["finish_date"].is_string());
}

#[tokio::test]
async fn wait_gives_the_current_status_when_it_runs_out() {
    // Every prediction takes 4 s here; a one-second wait sees the job unfinished.
    let app = TestApp::spawn_with(|settings| {
        settings.ai.simulated_job_delay_ms = 4_000;
        settings.ai.shutdown_grace_secs = 0;
    })
    .await;
    let admin = app.new_admin().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let job = submit_ok(&app, &admin, &model["id"], json!([ROWS[0]])).await;
    let early: Value = get_job(&app, &admin, &job["id"], 1).await.json().await.unwrap();
    assert!(matches!(early["status"].as_str(), Some("queued" | "running")), "{early}");
    assert!(early["result"].is_null());
    let done = wait_for_job(&app, &admin, &job["id"]).await;
    assert_eq!(done["status"], "succeeded");
}

#[tokio::test]
async fn wait_outside_zero_to_thirty_is_422() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    for wait in ["31", "-1", "soon"] {
        let response = app.get(&format!("/ai/inferences/1?wait={wait}")).bearer(&user).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
        assert!(problem["errors"]["wait"].is_array(), "{wait}: {problem}");
    }
}

#[tokio::test]
async fn retraining_requeues_the_model_and_a_model_in_training_is_busy() {
    let app = TestApp::spawn_with(|settings| {
        settings.ai.simulated_job_delay_ms = 3_000;
        settings.ai.shutdown_grace_secs = 0;
    })
    .await;
    let admin = app.new_admin().await;
    let model = create_model(&app, &admin, json!({"name": unique("m"), "is_visible": true})).await;
    let id = &model["id"];
    // Training takes at least 3 s: the model is still queued or training.
    let response = app.post(&format!("/ai/models/{id}/train")).bearer(&admin).send().await.unwrap();
    assert_problem(response, StatusCode::CONFLICT, "ai.model_busy").await;
    let first = wait_for_training(&app, &admin, id).await;
    assert_eq!(first["status"], "ready");

    let response = app.post(&format!("/ai/models/{id}/train")).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let queued: Value = response.json().await.unwrap();
    // A worker may have picked it up already.
    assert!(matches!(queued["status"].as_str(), Some("queued" | "training")), "{queued}");
    assert!(queued["finish_date"].is_null());
    let problem =
        assert_problem(submit(&app, &admin, id, json!([ROWS[0]])).await, StatusCode::CONFLICT, "ai.model_not_ready")
            .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("queued")
            || problem["detail"].as_str().unwrap().contains("training")
    );
    let second = wait_for_training(&app, &admin, id).await;
    assert_eq!(second["status"], "ready");
    assert_ne!(second["finish_date"], first["finish_date"]);
}

#[tokio::test]
async fn deleting_a_model_removes_it_with_its_jobs() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let job = submit_ok(&app, &user, &model["id"], json!([ROWS[0]])).await;
    wait_for_job(&app, &user, &job["id"]).await;
    let response = app.delete(&format!("/ai/models/{}", model["id"])).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get(&format!("/ai/models/{}", model["id"])).bearer(&admin).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "ai.model_not_found").await;
    assert_problem(get_job(&app, &user, &job["id"], 0).await, StatusCode::NOT_FOUND, "ai.inference_not_found").await;
    let response = app.delete(&format!("/ai/models/{}", model["id"])).bearer(&admin).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "ai.model_not_found").await;
}

#[tokio::test]
async fn jobs_unfinished_at_shutdown_are_completed_after_a_restart() {
    // Each job takes 2 s and the app stops without waiting for it.
    let app = TestApp::spawn_with(|settings| {
        settings.ai.simulated_job_delay_ms = 2_000;
        settings.ai.shutdown_grace_secs = 0;
    })
    .await;
    let admin = app.new_admin().await;
    let model = ready_model(&app, &admin, "linear_regression").await;
    let job = submit_ok(&app, &admin, &model["id"], json!([ROWS[0]])).await;
    let pending = create_model(&app, &admin, json!({"name": unique("pending")})).await;

    let app = app
        .restart_with(|settings| {
            settings.ai.simulated_job_delay_ms = 0;
        })
        .await;
    // The old access token is still valid: same database, same secret.
    let job = wait_for_job(&app, &admin, &job["id"]).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let pending = wait_for_training(&app, &admin, &pending["id"]).await;
    assert_eq!(pending["status"], "ready", "{pending}");
}

#[tokio::test]
async fn metrics_report_queued_and_running_jobs() {
    let app = TestApp::spawn().await;
    let text = eventually("the AI job gauges", Duration::from_secs(30), || async {
        let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        text.contains(r#"agora_ai_jobs{kind="inference",status="queued"}"#).then_some(text)
    })
    .await;
    for series in [
        r#"agora_ai_jobs{kind="inference",status="running"}"#,
        r#"agora_ai_jobs{kind="training",status="queued"}"#,
        r#"agora_ai_jobs{kind="training",status="running"}"#,
    ] {
        assert!(text.contains(series), "{series} missing");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_ai_route() {
    let app = TestApp::spawn().await;
    let api: Value = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (path, methods) in [
        ("/api/v1/ai/models", &["get", "post"][..]),
        ("/api/v1/ai/models/{id}", &["get", "patch", "delete"]),
        ("/api/v1/ai/models/{id}/train", &["post"]),
        ("/api/v1/ai/models/{id}/inferences", &["post"]),
        ("/api/v1/ai/datasets", &["get", "post"]),
        ("/api/v1/ai/inferences", &["get"]),
        ("/api/v1/ai/inferences/{id}", &["get", "patch", "delete"]),
    ] {
        for method in methods {
            let operation = &api["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} missing");
            assert_eq!(operation["tags"][0], "ai", "{method} {path}");
        }
    }
    let upload = &api["paths"]["/api/v1/ai/datasets"]["post"]["requestBody"]["content"];
    assert!(upload["multipart/form-data"].is_object(), "{upload}");
}
