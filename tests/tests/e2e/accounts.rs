//! Signup, login, profile, password change, password reset, deactivation and bans.

use e2e::{Authed, TestApp, assert_problem, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn signup_creates_an_account_without_exposing_the_password() {
    let app = TestApp::spawn().await;
    let name = unique("Zoë");
    let response = app.signup(&name, &format!("{name}@Example.COM"), "password-123").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert!(user["id"].as_i64().unwrap() > 0);
    assert_eq!(user["name"], name.as_str());
    assert_eq!(user["email"], format!("{}@example.com", name.to_lowercase()).as_str());
    assert_eq!(user["is_superuser"], false);
    assert_eq!(user["is_active"], true);
    assert!(chrono::DateTime::parse_from_rfc3339(user["join_date"].as_str().unwrap()).is_ok());
    let text = user.to_string();
    assert!(!text.contains("password"), "{text}");
}

#[tokio::test]
async fn signup_refuses_taken_names_case_insensitively_and_taken_emails() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let response = app.signup(&user.name.to_uppercase(), "other@example.com", "password-123").await;
    assert_problem(response, StatusCode::CONFLICT, "user.name_taken").await;
    let response = app.signup(&unique("other"), &user.email.to_uppercase(), "password-123").await;
    assert_problem(response, StatusCode::CONFLICT, "user.email_taken").await;
}

#[tokio::test]
async fn signup_validates_every_field() {
    let app = TestApp::spawn().await;
    let response = app.signup("a!", "not-an-email", "short").await;
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    for field in ["name", "email", "password"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
    let response = app.signup(&unique("long"), &format!("{}@example.com", unique("l")), &"x".repeat(73)).await;
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["password"].is_array(), "{body}");
}

#[tokio::test]
async fn login_by_name_or_email_with_json_or_form_returns_a_token_pair_and_cookie() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    for username in [user.name.clone(), user.email.to_uppercase()] {
        let response = app.login(&username, &user.password).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("refresh_token="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("Path=/api/v1/auth"), "{cookie}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 900);
        assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
        assert!(body["refresh_token"].is_string());
    }
    let form = app
        .post("/auth/login")
        .form(&[("grant_type", "password"), ("username", &user.name), ("password", &user.password)])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let token = form.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/users/me").bearer_auth(token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_answers_the_same_for_unknown_users_and_wrong_passwords() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let wrong = assert_problem(
        app.login(&user.name, "wrong-password").await,
        StatusCode::UNAUTHORIZED,
        "auth.invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody_here", "wrong-password").await,
        StatusCode::UNAUTHORIZED,
        "auth.invalid_credentials",
    )
    .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test]
async fn the_profile_can_be_read_and_changed() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    let me: Value = app.get("/users/me").bearer(&user).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["id"], user.id);
    assert_eq!(me["name"], user.name.as_str());
    assert_eq!(me["email"], user.email.as_str());
    for field in ["join_date", "is_superuser", "is_active"] {
        assert!(!me[field].is_null(), "{field}");
    }

    let new_name = unique("renamed");
    let response = app
        .patch("/users/me")
        .bearer(&user)
        .json(&json!({"name": new_name, "email": "New.Address@Example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["name"], new_name.as_str());
    assert_eq!(updated["email"], "new.address@example.com");

    let response = app.patch("/users/me").bearer(&user).json(&json!({"name": other.name})).send().await.unwrap();
    assert_problem(response, StatusCode::CONFLICT, "user.name_taken").await;
    let response = app.patch("/users/me").bearer(&user).json(&json!({"email": other.email})).send().await.unwrap();
    assert_problem(response, StatusCode::CONFLICT, "user.email_taken").await;
    let response = app.patch("/users/me").bearer(&user).json(&json!({"email": "nope"})).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;

    assert_eq!(app.login(&new_name, &user.password).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_revokes_the_others() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let other_session: Value = app.login(&user.name, &user.password).await.json().await.unwrap();
    let other_access = other_session["access_token"].as_str().unwrap();
    let other_refresh = other_session["refresh_token"].as_str().unwrap();

    let wrong = app
        .put("/users/me/password")
        .bearer(&user)
        .json(&json!({"current_password": "not-it-at-all", "new_password": "brand-new-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let response = app
        .put("/users/me/password")
        .bearer(&user)
        .json(&json!({"current_password": user.password, "new_password": "brand-new-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    assert_eq!(app.get("/users/me").bearer(&user).send().await.unwrap().status(), StatusCode::OK);
    let revoked = app.get("/users/me").bearer_auth(other_access).send().await.unwrap();
    assert_problem(revoked, StatusCode::UNAUTHORIZED, "auth.token_revoked").await;
    let refresh = app.post("/auth/refresh").json(&json!({"refresh_token": other_refresh})).send().await.unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(app.login(&user.name, &user.password).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&user.name, "brand-new-password").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_new_password_is_validated() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let response = app
        .put("/users/me/password")
        .bearer(&user)
        .json(&json!({"current_password": user.password, "new_password": "x".repeat(73)}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["new_password"].is_array());
}

/// The reset token of the last mail: the line after the one that announces it.
fn token_in(mail: &str) -> String {
    let mut lines = mail.lines().map(str::trim).skip_while(|l| !l.starts_with("Your password reset token"));
    lines.next();
    lines.find(|l| !l.is_empty()).expect("a token line").to_owned()
}

#[tokio::test]
async fn password_reset_mails_a_single_use_token_and_revokes_every_session() {
    let app = TestApp::spawn_with(|s| s.mail.link_base = "https://forum.example/reset?token=".to_owned()).await;
    let user = app.new_user().await;

    let unknown = app.post("/auth/password-reset").json(&json!({"email": "nobody@example.com"})).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert!(app.mails().is_empty());

    let known = app.post("/auth/password-reset").json(&json!({"email": user.email})).send().await.unwrap();
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    let mails = app.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("To: {}", user.email)));
    let token = token_in(&mails[0]);
    assert!(token.len() >= 32 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{token}");
    assert!(mails[0].contains(&format!("https://forum.example/reset?token={token}")));

    let confirm = app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": token, "new_password": "after-the-reset"}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/users/me").bearer(&user).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth.token_revoked",
    )
    .await;
    assert_eq!(app.login(&user.name, "after-the-reset").await.status(), StatusCode::OK);

    let again = app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": token, "new_password": "yet-another-one"}))
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::BAD_REQUEST, "auth.reset_token_invalid").await;
    let forged = app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": "A".repeat(43), "new_password": "yet-another-one"}))
        .send()
        .await
        .unwrap();
    assert_problem(forged, StatusCode::BAD_REQUEST, "auth.reset_token_invalid").await;
}

async fn confirm_reset(app: &TestApp, token: &str, new_password: &str) -> reqwest::Response {
    app.post("/auth/password-reset/confirm")
        .json(&json!({"token": token, "new_password": new_password}))
        .send()
        .await
        .unwrap()
}

async fn request_reset(app: &TestApp, email: &str) -> String {
    let before = app.mails().len();
    let response = app.post("/auth/password-reset").json(&json!({"email": email})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let mails = app.mails();
    assert_eq!(mails.len(), before + 1, "one mail per request");
    token_in(&mails[before])
}

#[tokio::test]
async fn a_used_reset_token_spends_the_users_other_reset_tokens() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let first = request_reset(&app, &user.email).await;
    let second = request_reset(&app, &user.email).await;
    assert_eq!(confirm_reset(&app, &second, "after-the-reset").await.status(), StatusCode::NO_CONTENT);
    let response = confirm_reset(&app, &first, "attacker-password").await;
    assert_problem(response, StatusCode::BAD_REQUEST, "auth.reset_token_invalid").await;
    assert_eq!(app.login(&user.name, "after-the-reset").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_spends_outstanding_reset_tokens() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let token = request_reset(&app, &user.email).await;
    let response = app
        .put("/users/me/password")
        .bearer(&user)
        .json(&json!({"current_password": user.password, "new_password": "changed-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = confirm_reset(&app, &token, "attacker-password").await;
    assert_problem(response, StatusCode::BAD_REQUEST, "auth.reset_token_invalid").await;
}

#[tokio::test]
async fn only_the_newest_three_reset_tokens_stay_usable() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(request_reset(&app, &user.email).await);
    }
    let response = confirm_reset(&app, &tokens[0], "from-the-oldest").await;
    assert_problem(response, StatusCode::BAD_REQUEST, "auth.reset_token_invalid").await;
    assert_eq!(confirm_reset(&app, &tokens[1], "from-the-second").await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let app = TestApp::spawn_with(|s| s.auth.reset_ttl_secs = 1).await;
    let user = app.new_user().await;
    app.post("/auth/password-reset").json(&json!({"email": user.email})).send().await.unwrap();
    let token = token_in(&app.mails()[0]);
    // The token's expiry is a stored instant; wait until it has passed.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = app
        .post("/auth/password-reset/confirm")
        .json(&json!({"token": token, "new_password": "after-the-reset"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "auth.reset_token_invalid").await;
}

#[tokio::test]
async fn deactivation_needs_the_password_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let wrong = app.delete("/users/me").bearer(&user).json(&json!({"password": "nope-nope"})).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let response =
        app.delete("/users/me").bearer(&user).json(&json!({"password": user.password})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let after = app.get("/users/me").bearer(&user).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_problem(app.login(&user.name, &user.password).await, StatusCode::UNAUTHORIZED, "auth.invalid_credentials")
        .await;
    let refresh = app.post("/auth/refresh").json(&json!({"refresh_token": user.refresh_token})).send().await.unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_ban_bites_at_once_even_on_tokens_issued_before_it() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    assert_eq!(app.get("/users/me").bearer(&user).send().await.unwrap().status(), StatusCode::OK);

    app.services.accounts.set_banned(None, user.id, true).await.unwrap();
    assert_problem(app.get("/users/me").bearer(&user).send().await.unwrap(), StatusCode::FORBIDDEN, "user.banned")
        .await;
    assert_problem(app.login(&user.name, &user.password).await, StatusCode::FORBIDDEN, "user.banned").await;
    assert_problem(app.login(&user.name, "wrong-password").await, StatusCode::UNAUTHORIZED, "auth.invalid_credentials")
        .await;

    app.services.accounts.set_banned(None, user.id, false).await.unwrap();
    // The ban revoked every session: old tokens stay dead after the unban.
    assert_problem(
        app.get("/users/me").bearer(&user).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth.token_revoked",
    )
    .await;
    assert_eq!(app.login(&user.name, &user.password).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_routes_are_rate_limited_per_client_ip() {
    let app = TestApp::spawn_with(|s| s.rate_limit.auth_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(app.login("someone", "password-123").await.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = app.login("someone", "password-123").await;
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "request.rate_limited").await;
    // Each action has its own bucket.
    let signup = app.signup(&unique("rl"), &format!("{}@example.com", unique("rl")), "password-123").await;
    assert_eq!(signup.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let untrusted = TestApp::spawn_with(|s| s.rate_limit.auth_per_minute = 1).await;
    let first = untrusted.post("/auth/login").header("x-forwarded-for", "203.0.113.1");
    assert_eq!(first.json(&json!({"username": "x_y_z", "password": "password-1"})).send().await.unwrap().status(), 401);
    let second = untrusted.post("/auth/login").header("x-forwarded-for", "203.0.113.2");
    let response = second.json(&json!({"username": "x_y_z", "password": "password-1"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "a spoofed header must not buy a new bucket");

    let proxied = TestApp::spawn_with(|s| {
        s.rate_limit.auth_per_minute = 1;
        s.server.trusted_proxies = vec!["127.0.0.1".to_owned()];
    })
    .await;
    for client in ["203.0.113.1", "203.0.113.2"] {
        let response = proxied
            .post("/auth/login")
            .header("x-forwarded-for", client)
            .json(&json!({"username": "x_y_z", "password": "password-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{client} has its own bucket");
    }
}

#[tokio::test]
async fn ten_failed_logins_pause_the_accounts_logins_from_every_address_and_mail_its_owner_once() {
    let app = TestApp::spawn().await;
    let victim = app.new_user().await;
    let bystander = app.new_user().await;
    for attempt in 1..=10 {
        let response = app.login(&victim.name, "wrong-password").await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "auth.invalid_credentials").await;
        assert_eq!(app.mails().len(), usize::from(attempt == 10), "the owner hears of it when the pause begins");
    }
    let response = app.login(&victim.email, &victim.password).await;
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "request.rate_limited").await;
    let response = app.login(&victim.name, "wrong-password").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    let mails = app.mails();
    assert_eq!(mails.len(), 1, "mailed once per pause");
    assert!(mails[0].contains(&victim.email) && mails[0].contains("paused"), "{}", mails[0]);
    assert_eq!(app.get("/users/me").bearer(&victim).send().await.unwrap().status(), StatusCode::OK, "sessions go on");
    assert_eq!(app.login(&bystander.name, &bystander.password).await.status(), StatusCode::OK, "other accounts log in");
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    for _ in 0..9 {
        assert_eq!(app.login(&user.name, "wrong-password").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login(&user.name, &user.password).await.status(), StatusCode::OK);
    for _ in 0..9 {
        assert_eq!(app.login(&user.name, "wrong-password").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login(&user.name, &user.password).await.status(), StatusCode::OK, "nine new failures are not ten");
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_accounts_pause() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    for _ in 0..10 {
        let response = app
            .put("/users/me/password")
            .bearer(&user)
            .json(&json!({"current_password": "guess-guess", "new_password": "taken-over-1"}))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::UNAUTHORIZED, "auth.wrong_password").await;
    }
    let response =
        app.delete("/users/me").bearer(&user).json(&json!({"password": user.password})).send().await.unwrap();
    let response = assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "request.rate_limited").await;
    assert!(response["detail"].as_str().unwrap().contains("failed logins"), "{response}");
    assert_eq!(app.login(&user.name, &user.password).await.status(), StatusCode::TOO_MANY_REQUESTS);
}
