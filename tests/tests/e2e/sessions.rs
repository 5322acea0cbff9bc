//! The caller's sign-ins (`/users/me/sessions`): listed with where they came from, and
//! ended one at a time with immediate effect on that sign-in's tokens.

use e2e::{Authed, TestApp, TestUser, assert_problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Logs `user` in again from another client; returns the new sign-in's tokens.
async fn sign_in_from(app: &TestApp, user: &TestUser, user_agent: &str) -> TestUser {
    let response = app
        .post("/auth/login")
        .header("user-agent", user_agent)
        .json(&json!({"username": user.name, "password": user.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    TestUser {
        access_token: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        ..user.clone()
    }
}

async fn sessions(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let response = app.get("/users/me/sessions").bearer(user).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sign_ins_are_listed_newest_first_with_client_and_the_current_one_marked() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let phone = sign_in_from(&app, &alice, "AgoraPhone/2.1").await;

    let listed = sessions(&app, &phone).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0]["id"].as_i64().unwrap() > listed[1]["id"].as_i64().unwrap(), "newest first");
    assert_eq!(listed[0]["user_agent"], "AgoraPhone/2.1");
    assert_eq!(listed[0]["ip"], "127.0.0.1");
    assert_eq!((listed[0]["current"].as_bool(), listed[1]["current"].as_bool()), (Some(true), Some(false)));
    for session in &listed {
        for field in ["create_date", "last_used"] {
            assert!(session[field].is_string(), "{field}: {session}");
        }
    }
    let from_first = sessions(&app, &alice).await;
    assert_eq!(from_first[1]["current"], true, "the other token sees its own sign-in as current");

    // Paging walks both with limit=1.
    let response = app.get("/users/me/sessions?limit=1").bearer(&alice).send().await.unwrap();
    let page: Value = response.json().await.unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let response = app.get(&format!("/users/me/sessions?limit=1&cursor={cursor}")).bearer(&alice).send().await.unwrap();
    let next: Value = response.json().await.unwrap();
    assert_eq!(next["items"][0]["id"], listed[1]["id"]);
    assert_eq!(next["next_cursor"], Value::Null);
}

#[tokio::test]
async fn revoking_a_sign_in_stops_its_tokens_at_once_and_spares_the_others() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let laptop = sign_in_from(&app, &alice, "Laptop").await;
    let laptop_id = sessions(&app, &laptop).await[0]["id"].as_i64().unwrap();

    let response = app.delete(&format!("/users/me/sessions/{laptop_id}")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let response = app.get("/users/me").bearer(&laptop).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the revoked sign-in's access token");
    let response =
        app.post("/auth/refresh").json(&json!({"refresh_token": laptop.refresh_token})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the revoked sign-in's refresh token");

    let response = app.get("/users/me").bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the other sign-in goes on");
    let listed = sessions(&app, &alice).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["current"], true);

    let response = app.delete(&format!("/users/me/sessions/{laptop_id}")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "session.not_found").await;
}

#[tokio::test]
async fn another_users_sign_in_cannot_be_seen_or_ended() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let mallory = app.new_user().await;
    let alice_session = sessions(&app, &alice).await[0]["id"].as_i64().unwrap();

    assert!(sessions(&app, &mallory).await.iter().all(|s| s["id"] != alice_session));
    let response = app.delete(&format!("/users/me/sessions/{alice_session}")).bearer(&mallory).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "session.not_found").await;
    assert_eq!(app.get("/users/me").bearer(&alice).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_updates_last_used_and_logout_removes_the_sign_in() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let before = sessions(&app, &alice).await[0].clone();

    let response = app.post("/auth/refresh").json(&json!({"refresh_token": alice.refresh_token})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let refreshed = TestUser { access_token: tokens["access_token"].as_str().unwrap().to_owned(), ..alice.clone() };
    let after = sessions(&app, &refreshed).await[0].clone();
    assert_eq!(after["id"], before["id"], "a refresh stays in its sign-in");
    let instant = |v: &Value| chrono::DateTime::parse_from_rfc3339(v["last_used"].as_str().unwrap()).unwrap();
    assert!(instant(&after) > instant(&before), "{before} {after}");

    let response = app.post("/auth/logout").bearer(&refreshed).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let again = sign_in_from(&app, &alice, "again").await;
    let listed = sessions(&app, &again).await;
    assert_eq!(listed.len(), 1, "the logged-out sign-in is gone: {listed:?}");
}
