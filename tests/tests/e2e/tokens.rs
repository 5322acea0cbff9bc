//! Access and refresh tokens: rotation, reuse detection, cookies, logout, and every kind of
//! bad token.

use auth::JwtCodec;
use chrono::{Duration, Utc};
use e2e::{Authed, TestApp, TestUser, assert_problem};
use identity::ports::TokenCodec;
use identity::{AccessClaims, RefreshClaims};
use kernel::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn refresh_with_body(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/auth/refresh").json(&json!({"refresh_token": token})).send().await.unwrap()
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_spends_the_old_refresh_token() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let response = refresh_with_body(&app, &user.refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let pair: Value = response.json().await.unwrap();
    let new_refresh = pair["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, user.refresh_token);
    let new_access = pair["access_token"].as_str().unwrap();
    assert_eq!(app.get("/users/me").bearer_auth(new_access).send().await.unwrap().status(), StatusCode::OK);
    // The pair before the rotation still works until the old access token expires.
    assert_eq!(app.get("/users/me").bearer(&user).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(refresh_with_body(&app, new_refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let pair: Value = refresh_with_body(&app, &user.refresh_token).await.json().await.unwrap();
    let stolen_reuse = refresh_with_body(&app, &user.refresh_token).await;
    assert_problem(stolen_reuse, StatusCode::UNAUTHORIZED, "auth.refresh_reused").await;
    // The legitimate holder's newer tokens die with the family.
    let newer = refresh_with_body(&app, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(newer.status(), StatusCode::UNAUTHORIZED);
    let access = app.get("/users/me").bearer_auth(pair["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_problem(access, StatusCode::UNAUTHORIZED, "auth.token_revoked").await;
    // Another session of the same user is untouched.
    let other = app.login(&user.name, &user.password).await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_succeed_at_most_once() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let attempts = (0..8).map(|_| refresh_with_body(&app, &user.refresh_token));
    let responses = futures_util::future::join_all(attempts).await;
    let ok = responses.iter().filter(|r| r.status() == StatusCode::OK).count();
    assert!(ok <= 1, "{ok} refreshes succeeded with one token");
}

fn cookie_of(user: &TestUser) -> String {
    format!("refresh_token={}", user.refresh_token)
}

#[tokio::test]
async fn refresh_by_cookie_works_from_the_same_origin_only() {
    let app = TestApp::spawn_with(|s| s.server.cors_origins = vec!["https://app.example.com".to_owned()]).await;
    let user = app.new_user().await;
    let no_origin = app.post("/auth/refresh").header("cookie", cookie_of(&user)).send().await.unwrap();
    assert_eq!(no_origin.status(), StatusCode::OK);
    let rotated = no_origin.headers()["set-cookie"].to_str().unwrap().to_owned();
    let token = rotated.split(';').next().unwrap().trim_start_matches("refresh_token=").to_owned();

    let evil = app
        .post("/auth/refresh")
        .header("cookie", format!("refresh_token={token}"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_problem(evil, StatusCode::FORBIDDEN, "auth.origin_forbidden").await;

    let same = app
        .post("/auth/refresh")
        .header("cookie", format!("refresh_token={token}"))
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::OK, "the forbidden attempt must not have spent the token");
    let token = same.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    let listed = app
        .post("/auth/refresh")
        .header("cookie", token)
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    assert_eq!(listed.headers()["access-control-allow-origin"], "https://app.example.com");
}

#[tokio::test]
async fn refresh_without_any_token_is_401() {
    let app = TestApp::spawn().await;
    let response = app.post("/auth/refresh").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = refresh_with_body(&app, "not-a-token").await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.token_invalid").await;
}

#[tokio::test]
async fn logout_blacklists_the_access_token_and_ends_the_family() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let response = app.post("/auth/logout").bearer(&user).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("refresh_token=;") || cookie.contains("Max-Age=0"), "{cookie}");
    assert_problem(
        app.get("/users/me").bearer(&user).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth.token_revoked",
    )
    .await;
    assert_eq!(refresh_with_body(&app, &user.refresh_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/auth/logout").bearer(&user).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn requests_without_a_token_are_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    for request in [app.get("/users/me"), app.get("/users/me").header("authorization", "Basic Zm9vOmJhcg==")] {
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_problem(response, StatusCode::UNAUTHORIZED, "auth.token_missing").await;
    }
}

fn codec(app: &TestApp) -> JwtCodec {
    JwtCodec::new(app.settings.auth.jwt_secret.expose().as_bytes())
}

#[tokio::test]
async fn forged_unsigned_expired_and_wrong_type_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let claims = codec(&app).decode_access(&user.access_token).unwrap();

    let forged = JwtCodec::new(b"someone-elses-secret-someone-elses").encode_access(&claims).unwrap();
    let expired = codec(&app)
        .encode_access(&AccessClaims {
            issued_at: Utc::now() - Duration::hours(2),
            expires_at: Utc::now() - Duration::hours(1),
            ..claims.clone()
        })
        .unwrap();
    let admin_claim = codec(&app).encode_access(&AccessClaims { role: Role::Admin, ..claims.clone() }).unwrap();
    let refresh_as_access = user.refresh_token.clone();
    let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    let payload = user.access_token.split('.').nth(1).unwrap();
    let alg_none = format!("{header}.{payload}.");

    for (token, code) in [
        (forged.as_str(), "auth.token_invalid"),
        (expired.as_str(), "auth.token_expired"),
        (refresh_as_access.as_str(), "auth.token_invalid"),
        (alg_none.as_str(), "auth.token_invalid"),
        ("garbage", "auth.token_invalid"),
    ] {
        let response = app.get("/users/me").bearer_auth(token).send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_problem(response, StatusCode::UNAUTHORIZED, code).await;
    }

    // A validly signed token claiming a role the account lacks gets no admin rights: roles
    // are read from the account on every request.
    let me: Value = app.get("/users/me").bearer_auth(&admin_claim).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["is_superuser"], false);

    // An access token is not a refresh token either.
    let response = refresh_with_body(&app, &user.access_token).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.token_invalid").await;
    let forged_refresh = JwtCodec::new(b"someone-elses-secret-someone-elses")
        .encode_refresh(&RefreshClaims {
            user_id: user.id,
            jti: "x".into(),
            family_id: claims.family_id,
            issued_at: Utc::now(),
            expires_at: Utc::now() + Duration::days(1),
        })
        .unwrap();
    assert_problem(refresh_with_body(&app, &forged_refresh).await, StatusCode::UNAUTHORIZED, "auth.token_invalid")
        .await;
}
