//! Administration: the user list and search, moderation (bans and deactivation that bite at
//! once), board memberships, and the audit trail; every route for admins only.

use std::collections::HashSet;

use e2e::{Authed, TestApp, TestUser, assert_problem, unique};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn get_json(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.get(path).bearer(user).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

async fn moderate(app: &TestApp, admin: &TestUser, user_id: i64, body: Value) -> reqwest::Response {
    app.patch(&format!("/admin/users/{user_id}")).bearer(admin).json(&body).send().await.unwrap()
}

/// Every admin route with a body that would be valid for an admin.
fn admin_routes(user_id: i64, board_id: i64) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/admin/users".into(), None),
        (Method::GET, format!("/admin/users/{user_id}"), None),
        (Method::PATCH, format!("/admin/users/{user_id}"), Some(json!({"is_banned": true}))),
        (Method::PUT, format!("/admin/users/{user_id}/boards"), Some(json!({"board_ids": []}))),
        (Method::GET, "/admin/boards".into(), None),
        (Method::POST, "/admin/boards".into(), Some(json!({"name": "sneaky"}))),
        (Method::PATCH, format!("/admin/boards/{board_id}"), Some(json!({"name": "sneaky"}))),
        (Method::DELETE, format!("/admin/boards/{board_id}"), None),
        (Method::GET, "/admin/audit".into(), None),
    ]
}

#[tokio::test]
async fn every_admin_route_refuses_non_admins_and_anonymous_callers() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let board = app.create_board(&admin, &unique("b"), "public").await;
    for (method, path, body) in admin_routes(user.id, board) {
        let mut request = app.client.request(method.clone(), app.api(&path)).bearer(&user);
        if let Some(body) = &body {
            request = request.json(body);
        }
        assert_problem(request.send().await.unwrap(), StatusCode::FORBIDDEN, "auth.admin_required").await;
        let anonymous = app.client.request(method.clone(), app.api(&path)).send().await.unwrap();
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer", "{method} {path}");
        assert_problem(anonymous, StatusCode::UNAUTHORIZED, "auth.token_missing").await;
    }
    // Nothing happened: the user is not banned and the board still stands.
    assert_eq!(app.get("/users/me").bearer(&user).send().await.unwrap().status(), StatusCode::OK);
    let board = get_json(&app, &user, &format!("/boards/{board}")).await;
    assert_eq!(board["is_visible"], true);
}

#[tokio::test]
async fn admins_list_users_with_their_flags_and_search_by_name_or_email() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let tag = unique("find");
    let alice = format!("{tag}_alice");
    assert_eq!(app.signup(&alice, &format!("{}@example.com", unique("a")), "password-123").await.status(), 201);
    let bob = unique("bob");
    assert_eq!(app.signup(&bob, &format!("{tag}_bob@Example.com"), "password-123").await.status(), 201);
    app.new_user().await;

    let page = get_json(&app, &admin, &format!("/admin/users?q={}", tag.to_uppercase())).await;
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, [alice.as_str(), bob.as_str()], "by name and by email, case-insensitively");
    assert!(page["next_cursor"].is_null());
    let first = &page["items"][0];
    for field in ["id", "name", "email", "join_date", "is_superuser", "is_banned", "is_active"] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }
    assert!(first.get("password_hash").is_none() && !first.to_string().contains("hash"));

    let all = get_json(&app, &admin, "/admin/users?limit=100").await;
    let me = all["items"].as_array().unwrap().iter().find(|u| u["id"] == admin.id).unwrap();
    assert_eq!(
        (me["is_superuser"].as_bool(), me["is_banned"].as_bool(), me["is_active"].as_bool()),
        (Some(true), Some(false), Some(true))
    );

    let percent = get_json(&app, &admin, "/admin/users?q=%25").await;
    assert!(percent["items"].as_array().unwrap().is_empty(), "LIKE wildcards match literally");
}

#[tokio::test]
async fn the_user_list_walks_every_user_exactly_once_while_users_sign_up() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let tag = unique("walk");
    let mut signups = 0;
    let mut sign_up = async || {
        signups += 1;
        let name = format!("{tag}_{signups}");
        let response = app.signup(&name, &format!("{name}@example.com"), "password-123").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    };
    let mut before = Vec::new();
    for _ in 0..8 {
        before.push(sign_up().await);
    }

    for query in [String::new(), format!("q={tag}&")] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for page_number in 0.. {
            assert!(page_number < 50, "the walk does not end");
            let mut path = format!("/admin/users?{query}limit=3");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = get_json(&app, &admin, &path).await;
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            seen.extend(items.iter().map(|u| u["id"].as_i64().unwrap()));
            // Users keep signing up between the pages.
            if page_number < 6 {
                sign_up().await;
                sign_up().await;
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique_ids: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(unique_ids.len(), seen.len(), "a user appeared twice ({query}): {seen:?}");
        for id in &before {
            assert!(unique_ids.contains(id), "user {id}, there before the walk, was missed ({query})");
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, seen, "id order");
    }
}

#[tokio::test]
async fn cursors_work_only_on_the_list_that_made_them_and_limits_are_checked() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    for _ in 0..3 {
        app.new_user().await;
    }
    app.create_board(&admin, &unique("b"), "public").await;
    app.create_board(&admin, &unique("b"), "public").await;
    let users = get_json(&app, &admin, "/admin/users?limit=1").await;
    let cursor = users["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(
        get_json(&app, &admin, &format!("/admin/users?limit=1&cursor={cursor}")).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for path in [
        format!("/admin/boards?cursor={cursor}"),
        format!("/admin/audit?cursor={cursor}"),
        format!("/boards?cursor={cursor}"),
        format!("/admin/users?q=user&cursor={cursor}"),
        "/admin/users?cursor=not-a-cursor".to_owned(),
    ] {
        let response = app.get(&path).bearer(&admin).send().await.unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST, "pagination.invalid_cursor").await;
    }
    let boards = get_json(&app, &admin, "/admin/boards?limit=1").await;
    let board_cursor = boards["next_cursor"].as_str().unwrap().to_owned();
    let response = app.get(&format!("/admin/users?cursor={board_cursor}")).bearer(&admin).send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "pagination.invalid_cursor").await;

    for path in [
        "/admin/users?limit=0",
        "/admin/users?limit=101",
        "/admin/boards?limit=500",
        "/admin/audit?limit=-1",
        "/admin/users?limit=ten",
    ] {
        let response = app.get(path).bearer(&admin).send().await.unwrap();
        let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
        assert!(body["errors"]["limit"].is_array(), "{path}: {body}");
    }
}

#[tokio::test]
async fn a_user_in_detail_shows_its_restricted_boards() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let public = app.create_board(&admin, &unique("pub"), "public").await;
    let team = app.create_board(&admin, &unique("team"), "restricted").await;
    // A membership of a public board (kept for the day it is restricted) is no board id.
    let response = app
        .patch(&format!("/admin/boards/{public}"))
        .bearer(&admin)
        .json(&json!({"member_ids": [user.id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.set_memberships(&admin, user.id, &[team]).await;

    let detail = get_json(&app, &admin, &format!("/admin/users/{}", user.id)).await;
    assert_eq!(detail["id"], user.id);
    assert_eq!(detail["name"], user.name.as_str());
    assert_eq!(detail["email"], user.email.as_str());
    assert_eq!(detail["is_banned"], false);
    assert_eq!(detail["board_ids"], json!([team]));

    let response = app.get("/admin/users/999999").bearer(&admin).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "user.not_found").await;
}

#[tokio::test]
async fn a_ban_takes_effect_on_the_very_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    assert_eq!(app.get("/users/me").bearer(&user).send().await.unwrap().status(), StatusCode::OK);

    let response = moderate(&app, &admin, user.id, json!({"is_banned": true})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let banned: Value = response.json().await.unwrap();
    assert_eq!((banned["id"].as_i64(), banned["is_banned"].as_bool()), (Some(user.id), Some(true)));
    assert_eq!(banned["board_ids"], json!([]));

    for path in ["/users/me", "/boards", "/users/me/boards"] {
        let response = app.get(path).bearer(&user).send().await.unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "user.banned").await;
    }
    assert_problem(app.login(&user.name, &user.password).await, StatusCode::FORBIDDEN, "user.banned").await;
    let refresh = app.post("/auth/refresh").json(&json!({"refresh_token": user.refresh_token})).send().await.unwrap();
    assert!(matches!(refresh.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN), "{}", refresh.status());

    let response = moderate(&app, &admin, user.id, json!({"is_banned": false})).await;
    assert_eq!(response.json::<Value>().await.unwrap()["is_banned"], false);
    // The ban ended every session; the user logs in again.
    let old = app.get("/users/me").bearer(&user).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&user.name, &user.password).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn deactivation_by_an_admin_ends_every_session_and_reactivation_lets_the_user_back() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let response = moderate(&app, &admin, user.id, json!({"is_active": false})).await;
    assert_eq!(response.json::<Value>().await.unwrap()["is_active"], false);
    let old = app.get("/users/me").bearer(&user).send().await.unwrap();
    assert_eq!(old.headers()["www-authenticate"], "Bearer");
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert_problem(app.login(&user.name, &user.password).await, StatusCode::UNAUTHORIZED, "auth.invalid_credentials")
        .await;

    let response = moderate(&app, &admin, user.id, json!({"is_active": true})).await;
    assert_eq!(response.json::<Value>().await.unwrap()["is_active"], true);
    assert_eq!(app.login(&user.name, &user.password).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_cannot_ban_or_deactivate_themself_and_unknown_users_are_404() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    for body in
        [json!({"is_banned": true}), json!({"is_active": false}), json!({"is_banned": false, "is_active": true})]
    {
        let response = moderate(&app, &admin, admin.id, body).await;
        assert_problem(response, StatusCode::FORBIDDEN, "admin.self_moderation").await;
    }
    assert_eq!(app.get("/users/me").bearer(&admin).send().await.unwrap().status(), StatusCode::OK);

    let other_admin = app.new_admin().await;
    let response = moderate(&app, &other_admin, admin.id, json!({"is_banned": true})).await;
    assert_eq!(response.status(), StatusCode::OK, "one admin may ban another");

    let response = moderate(&app, &other_admin, 999_999, json!({"is_banned": true})).await;
    assert_problem(response, StatusCode::NOT_FOUND, "user.not_found").await;
    let response = moderate(&app, &other_admin, admin.id, json!({"is_banned": "yes"})).await;
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["is_banned"].is_array(), "{body}");
}

#[tokio::test]
async fn replacing_memberships_opens_restricted_boards_and_refuses_unknown_and_public_ones() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let public = app.create_board(&admin, &unique("pub"), "public").await;
    let team = app.create_board(&admin, &unique("team"), "restricted").await;
    let staff = app.create_board(&admin, &unique("staff"), "restricted").await;
    let path = format!("/admin/users/{}/boards", user.id);

    let response = app
        .put(&path)
        .bearer(&admin)
        .json(&json!({"board_ids": [team, 999_998, public, 999_999]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let messages = body["errors"]["board_ids"].to_string();
    assert!(messages.contains("999998, 999999"), "{messages}");
    assert!(
        messages.contains(&format!("public boards need no membership (every user may read them): {public}")),
        "{messages}"
    );
    assert!(!messages.contains(&team.to_string()), "{messages}");

    let response =
        app.put("/admin/users/999999/boards").bearer(&admin).json(&json!({"board_ids": [team]})).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "user.not_found").await;
    let response = app.put(&path).bearer(&admin).json(&json!({"board_ids": "all"})).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;

    assert_problem(
        app.get(&format!("/boards/{team}")).bearer(&user).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "board.forbidden",
    )
    .await;
    let response = app.put(&path).bearer(&admin).json(&json!({"board_ids": [staff, team, team]})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let detail: Value = response.json().await.unwrap();
    assert_eq!(detail["id"], user.id);
    let mut expected = [team, staff];
    expected.sort_unstable();
    assert_eq!(detail["board_ids"], json!(expected));
    assert_eq!(get_json(&app, &user, &format!("/boards/{team}")).await["id"], team);
    assert_eq!(get_json(&app, &user, &format!("/boards/{staff}")).await["id"], staff);

    app.set_memberships(&admin, user.id, &[staff]).await;
    assert_problem(
        app.get(&format!("/boards/{team}")).bearer(&user).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "board.forbidden",
    )
    .await;
    app.set_memberships(&admin, user.id, &[]).await;
    assert_eq!(get_json(&app, &admin, &format!("/admin/users/{}", user.id)).await["board_ids"], json!([]));
}

#[tokio::test]
async fn every_admin_action_is_in_the_audit_trail_newest_first_with_its_actor() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let name = unique("audited");
    let board =
        app.create_board_with(&admin, json!({"name": name, "access": "restricted", "member_ids": [user.id]})).await;
    let board_id = board["id"].as_i64().unwrap();
    let response = app
        .patch(&format!("/admin/boards/{board_id}"))
        .bearer(&admin)
        .json(&json!({"is_available": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.delete(&format!("/admin/boards/{board_id}")).bearer(&admin).send().await.unwrap().status(), 204);
    let other = app.create_board(&admin, &unique("other"), "restricted").await;
    app.set_memberships(&admin, user.id, &[other]).await;
    for body in [
        json!({"is_banned": true}),
        json!({"is_banned": false}),
        json!({"is_active": false}),
        json!({"is_active": true}),
    ] {
        assert_eq!(moderate(&app, &admin, user.id, body).await.status(), StatusCode::OK);
    }
    // A change to nothing is no action.
    assert_eq!(moderate(&app, &admin, user.id, json!({"is_active": true})).await.status(), StatusCode::OK);

    let trail = get_json(&app, &admin, "/admin/audit?limit=100").await;
    let entries = trail["items"].as_array().unwrap();
    let actions: Vec<(&str, &str, i64)> = entries
        .iter()
        .take(9)
        .map(|e| (e["action"].as_str().unwrap(), e["target_type"].as_str().unwrap(), e["target_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("user.activate", "user", user.id),
            ("user.deactivate", "user", user.id),
            ("user.unban", "user", user.id),
            ("user.ban", "user", user.id),
            ("user.boards.replace", "user", user.id),
            ("board.create", "board", other),
            ("board.delete", "board", board_id),
            ("board.update", "board", board_id),
            ("board.create", "board", board_id),
        ]
    );
    for entry in entries.iter().take(9) {
        assert_eq!(entry["actor_id"], admin.id, "{entry}");
        assert!(chrono::DateTime::parse_from_rfc3339(entry["create_date"].as_str().unwrap()).is_ok());
        assert!(entry["id"].as_i64().unwrap() > 0);
    }
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(entries[8]["detail"]["name"], name.as_str());
    assert_eq!(entries[8]["detail"]["member_ids"], json!([user.id]));
    assert_eq!(entries[7]["detail"], json!({"is_available": false}));
    assert_eq!(entries[4]["detail"], json!({"board_ids": [other], "added": [other], "removed": [board_id]}));
    // The admin itself was created server-side: no actor.
    let created = entries.iter().find(|e| e["action"] == "user.create_admin" && e["target_id"] == admin.id).unwrap();
    assert!(created["actor_id"].is_null());

    // Pages of the trail walk it without gaps or repeats.
    let mut walked = Vec::new();
    let mut path = "/admin/audit?limit=4".to_owned();
    loop {
        let page = get_json(&app, &admin, &path).await;
        walked.extend(page["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/admin/audit?limit=4&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, ids);
}
