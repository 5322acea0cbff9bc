//! What every route shares: health, metrics, problem documents, headers, CORS and docs.

use e2e::{Authed, TestApp, assert_problem};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn liveness_and_readiness_answer_ok() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/health/ready"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_in_prometheus_text() {
    let app = TestApp::spawn().await;
    app.client.get(app.url("/health/live")).send().await.unwrap();
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"agora_http_requests_total{method="GET",route="/health/live",status="200"}"#), "{text}");
    assert!(text.contains("agora_http_request_duration_seconds_bucket"));
    assert!(text.contains("agora_websocket_connections"));
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = TestApp::spawn().await;
    for path in ["/nope", "/api/v1/nope", "/api/v1/users/me/extra"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_problem(response, StatusCode::NOT_FOUND, "route.not_found").await;
    }
}

#[tokio::test]
async fn wrong_methods_are_405_problems_with_allow() {
    let app = TestApp::spawn().await;
    let response = app.client.delete(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED, "route.method_not_allowed").await;
    let response = app.client.post(app.url("/health/live")).send().await.unwrap();
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED, "route.method_not_allowed").await;
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_types_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/auth/signup")
        .header("content-type", "application/json")
        .body(r#"{"name": "alice", "email":"#)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "request.malformed_json").await;

    let response = app
        .post("/auth/signup")
        .json(&serde_json::json!({"name": 42, "email": "a@example.com", "password": "password-1"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["name"].is_array(), "{body}");

    let response = app.post("/auth/signup").json(&serde_json::json!({"name": "alice"})).send().await.unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["email"].is_array(), "{body}");
}

#[tokio::test]
async fn oversized_bodies_are_413_problems() {
    let app = TestApp::spawn_with(|s| s.server.body_limit_bytes = 1024).await;
    let big = format!(r#"{{"name": "{}", "email": "a@example.com", "password": "password-1"}}"#, "x".repeat(4096));
    let response = app.post("/auth/signup").header("content-type", "application/json").body(big).send().await.unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "request.too_large").await;
}

#[tokio::test]
async fn unsupported_media_types_are_415_problems() {
    let app = TestApp::spawn().await;
    let response = app.post("/auth/signup").header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "request.unsupported_media_type").await;
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/nope", "/api/v1/users/me"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(!headers["x-request-id"].is_empty());
    }
    let response = app.client.get(app.url("/health/live")).header("x-request-id", "trace-123").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-123");
}

#[tokio::test]
async fn api_answers_are_never_kept_by_shared_caches() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let login = app.login(&user.name, &user.password).await;
    assert_eq!(login.headers()["cache-control"], "no-store", "an answer holding tokens");
    for path in ["/users/me", "/boards", "/users/me/sessions"] {
        let response = app.get(path).bearer(&user).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    let refused = app.get("/users/me").send().await.unwrap();
    assert_eq!(refused.headers()["cache-control"], "no-store", "a problem document too");
}

#[tokio::test]
async fn problem_documents_carry_the_request_id() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/nope")).send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());
}

#[tokio::test]
async fn cors_is_granted_only_to_configured_origins() {
    let app = TestApp::spawn_with(|s| s.server.cors_origins = vec!["https://app.example.com".to_owned()]).await;
    let allowed = app
        .client
        .request(reqwest::Method::OPTIONS, app.api("/users/me"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    assert!(allowed.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));

    let refused = app
        .client
        .request(reqwest::Method::OPTIONS, app.api("/users/me"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    assert_problem(refused, StatusCode::FORBIDDEN, "auth.origin_forbidden").await;

    let simple = app.client.get(app.url("/health/live")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(simple.status(), StatusCode::OK);
    assert!(simple.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn the_openapi_document_describes_every_accounts_route_with_bearer_security() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let expected = [
        ("/api/v1/auth/signup", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/password-reset", "post"),
        ("/api/v1/auth/password-reset/confirm", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "patch"),
        ("/api/v1/users/me", "delete"),
        ("/api/v1/users/me/password", "put"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ];
    for (path, method) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(operation["responses"].is_object(), "{method} {path} has no responses");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["oauth2"]["flows"]["password"]["tokenUrl"], "/api/v1/auth/login");
    // Public routes opt out of the global bearer requirement.
    assert_eq!(doc["paths"]["/api/v1/auth/login"]["post"]["security"], serde_json::json!([{}]));
}

#[tokio::test]
async fn swagger_ui_is_served_without_internet() {
    let app = TestApp::spawn().await;
    let redirect = app.client.get(app.url("/swagger-ui")).send().await.unwrap();
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers()["location"], "/swagger-ui/");
    let page = app.client.get(app.url("/swagger-ui/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let script = app.client.get(app.url("/swagger-ui/swagger-ui-bundle.js")).send().await.unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.bytes().await.unwrap().len() > 100_000);
    let init = app.client.get(app.url("/swagger-ui/swagger-initializer.js")).send().await.unwrap();
    let init = init.text().await.unwrap();
    assert!(init.contains("/api-docs/openapi.json"), "{init}");
    assert!(!init.contains("https://"), "the page must not load anything from the internet: {init}");
}

#[tokio::test]
async fn metrics_are_hidden_from_clients_outside_the_allow_list() {
    let app = TestApp::spawn_with(|s| s.server.metrics_allow = vec!["10.9.9.9".to_owned()]).await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "route.not_found").await;
    let open = TestApp::spawn_with(|s| s.server.metrics_allow = vec!["127.0.0.1".to_owned()]).await;
    assert_eq!(open.client.get(open.url("/metrics")).send().await.unwrap().status(), StatusCode::OK);
}

/// Every `$ref` of the OpenAPI document names a component that exists: clients and
/// generators choke on dangling references.
#[tokio::test]
async fn every_reference_in_the_openapi_document_resolves() {
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let app = TestApp::spawn().await;
    let doc: Value = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("external reference {target}"));
        assert!(doc.pointer(pointer).is_some(), "dangling reference {target}");
    }
}

/// The Grafana dashboard of docker/ plots only metrics the server exports (request metrics
/// appear with the first request).
#[tokio::test]
async fn every_metric_of_the_grafana_dashboard_is_exported() {
    let app = TestApp::spawn().await;
    app.client.get(app.url("/health/live")).send().await.unwrap();
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let dashboard =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docker/grafana/dashboards/agora.json"))
            .unwrap();
    let mut names: Vec<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("agora_"))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        assert!(text.lines().any(|line| line.starts_with(name)), "{name} is not exported:\n{text}");
    }
}
