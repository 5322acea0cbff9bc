//! Boards: admins create, change, delete and restore them; users see exactly the boards
//! they may read (public or member, visible, not deleted) and learn where they may write.

use std::collections::HashSet;

use e2e::{Authed, TestApp, TestUser, assert_problem, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn get_json(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.get(path).bearer(user).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

/// Every item of a list, following its cursors.
async fn walk(app: &TestApp, user: &TestUser, path: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut url = format!("{path}?limit={limit}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page = get_json(app, user, &url).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
    panic!("{path} does not end");
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|b| b["id"].as_i64().unwrap()).collect()
}

async fn patch_board(app: &TestApp, admin: &TestUser, id: i64, body: Value) -> reqwest::Response {
    app.patch(&format!("/admin/boards/{id}")).bearer(admin).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn admins_create_boards_public_visible_and_open_by_default() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let name = unique("general");
    let response =
        app.post("/admin/boards").bearer(&admin).json(&json!({"name": format!("  {name} ")})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let board: Value = response.json().await.unwrap();
    assert!(board["id"].as_i64().unwrap() > 0);
    assert_eq!(board["name"], name.as_str(), "trimmed");
    assert_eq!(board["information"], "");
    assert_eq!((board["is_visible"].as_bool(), board["is_available"].as_bool()), (Some(true), Some(true)));
    assert_eq!(board["access"], "public");
    assert_eq!(board["member_ids"], json!([]));
    assert!(board["delete_date"].is_null());
    assert_eq!(board["create_date"], board["update_date"]);
    assert!(chrono::DateTime::parse_from_rfc3339(board["create_date"].as_str().unwrap()).is_ok());

    let member = app.new_user().await;
    let full = app
        .create_board_with(
            &admin,
            json!({"name": unique("staff"), "information": "Staff only\nplease", "is_visible": false,
                   "is_available": false, "access": "restricted", "member_ids": [member.id, member.id]}),
        )
        .await;
    assert_eq!(full["information"], "Staff only\nplease");
    assert_eq!((full["is_visible"].as_bool(), full["is_available"].as_bool()), (Some(false), Some(false)));
    assert_eq!(full["access"], "restricted");
    assert_eq!(full["member_ids"], json!([member.id]));
}

#[tokio::test]
async fn board_names_are_unique_even_when_admins_race() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let name = unique("dup");
    app.create_board(&admin, &name, "public").await;
    let response = app.post("/admin/boards").bearer(&admin).json(&json!({"name": name})).send().await.unwrap();
    assert_problem(response, StatusCode::CONFLICT, "board.name_taken").await;

    let racing = unique("race");
    let requests = (0..6).map(|_| app.post("/admin/boards").bearer(&admin).json(&json!({"name": racing})).send());
    let responses = futures_util::future::join_all(requests).await;
    let mut statuses: Vec<u16> = responses.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);

    let other = app.create_board(&admin, &unique("other"), "public").await;
    let response = patch_board(&app, &admin, other, json!({"name": name})).await;
    assert_problem(response, StatusCode::CONFLICT, "board.name_taken").await;
}

#[tokio::test]
async fn invalid_boards_are_refused_naming_every_field() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let response = app
        .post("/admin/boards")
        .bearer(&admin)
        .json(&json!({"name": "x".repeat(129), "information": "i".repeat(513), "access": "secret", "member_ids": [999_999]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    for field in ["name", "information", "access"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
    let response = app.post("/admin/boards").bearer(&admin).json(&json!({"name": "   "})).send().await.unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["name"].is_array());
    let response = app
        .post("/admin/boards")
        .bearer(&admin)
        .json(&json!({"name": unique("m"), "member_ids": [999_999, 999_998]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert_eq!(body["errors"]["member_ids"], json!(["unknown users: 999998, 999999"]));
    let response =
        app.post("/admin/boards").bearer(&admin).json(&json!({"information": "no name"})).send().await.unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["name"].is_array());
    let response =
        app.post("/admin/boards").bearer(&admin).json(&json!({"name": "n", "is_visible": "yes"})).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let response = app
        .post("/admin/boards")
        .bearer(&admin)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "request.malformed_json").await;

    let board = app.create_board(&admin, &unique("ok"), "public").await;
    let response = patch_board(&app, &admin, board, json!({"name": "", "access": "everyone", "member_ids": [0]})).await;
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    for field in ["name", "access", "member_ids"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
}

#[tokio::test]
async fn a_restricted_board_is_forbidden_to_non_members_until_they_are_admitted() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let member = app.new_user().await;
    let outsider = app.new_user().await;
    let team = app
        .create_board_with(&admin, json!({"name": unique("team"), "access": "restricted", "member_ids": [member.id]}))
        .await;
    let team = team["id"].as_i64().unwrap();

    let board = get_json(&app, &member, &format!("/boards/{team}")).await;
    assert_eq!((board["access"].as_str(), board["can_write"].as_bool()), (Some("restricted"), Some(true)));
    assert!(board.get("member_ids").is_none(), "users do not see who else is a member");
    let response = app.get(&format!("/boards/{team}")).bearer(&outsider).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "board.forbidden").await;
    assert!(!ids(&walk(&app, &outsider, "/boards", 100).await).contains(&team));
    assert!(ids(&walk(&app, &member, "/boards", 100).await).contains(&team));

    app.set_memberships(&admin, outsider.id, &[team]).await;
    assert_eq!(get_json(&app, &outsider, &format!("/boards/{team}")).await["id"], team);
    assert!(ids(&walk(&app, &outsider, "/users/me/boards", 100).await).contains(&team));

    let response = patch_board(&app, &admin, team, json!({"member_ids": []})).await;
    assert_eq!(response.json::<Value>().await.unwrap()["member_ids"], json!([]));
    let response = app.get(&format!("/boards/{team}")).bearer(&member).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "board.forbidden").await;

    // Opening the board to everyone needs no membership at all.
    patch_board(&app, &admin, team, json!({"access": "public"})).await;
    assert_eq!(get_json(&app, &member, &format!("/boards/{team}")).await["access"], "public");
}

#[tokio::test]
async fn a_public_board_is_open_to_users_who_sign_up_after_it_was_made() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let board = app.create_board(&admin, &unique("lobby"), "public").await;
    let newcomer = app.new_user().await;
    let seen = get_json(&app, &newcomer, &format!("/boards/{board}")).await;
    assert_eq!(seen["can_write"], true);
    assert!(ids(&walk(&app, &newcomer, "/boards", 100).await).contains(&board));
}

#[tokio::test]
async fn a_hidden_board_is_404_for_users_and_listed_for_admins() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let hidden = app
        .create_board_with(&admin, json!({"name": unique("hidden"), "is_visible": false, "member_ids": [user.id]}))
        .await;
    let hidden = hidden["id"].as_i64().unwrap();
    let hidden_restricted = app
        .create_board_with(
            &admin,
            json!({"name": unique("hr"), "is_visible": false, "access": "restricted", "member_ids": [user.id]}),
        )
        .await["id"]
        .as_i64()
        .unwrap();

    for id in [hidden, hidden_restricted, 999_999] {
        let response = app.get(&format!("/boards/{id}")).bearer(&user).send().await.unwrap();
        assert_problem(response, StatusCode::NOT_FOUND, "board.not_found").await;
    }
    let response = app.get("/boards/not-a-number").bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "route.not_found").await;
    for path in ["/boards", "/users/me/boards"] {
        let listed = ids(&walk(&app, &user, path, 100).await);
        assert!(!listed.contains(&hidden) && !listed.contains(&hidden_restricted), "{path}: {listed:?}");
    }

    assert_eq!(get_json(&app, &admin, &format!("/boards/{hidden}")).await["is_visible"], false);
    for path in ["/boards", "/admin/boards"] {
        let listed = ids(&walk(&app, &admin, path, 100).await);
        assert!(listed.contains(&hidden) && listed.contains(&hidden_restricted), "{path}: {listed:?}");
    }

    patch_board(&app, &admin, hidden, json!({"is_visible": true})).await;
    assert_eq!(get_json(&app, &user, &format!("/boards/{hidden}")).await["id"], hidden);
}

#[tokio::test]
async fn closed_boards_are_readable_but_not_writable_for_users() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let open = app.create_board(&admin, &unique("open"), "public").await;
    let closed = app.create_board_with(&admin, json!({"name": unique("closed"), "is_available": false})).await["id"]
        .as_i64()
        .unwrap();

    let mine = walk(&app, &user, "/users/me/boards", 100).await;
    let rights = |id: i64| mine.iter().find(|b| b["id"] == id).map(|b| b["can_write"].as_bool().unwrap());
    assert_eq!(rights(open), Some(true));
    assert_eq!(rights(closed), Some(false));
    assert_eq!(get_json(&app, &user, &format!("/boards/{closed}")).await["can_write"], false);
    assert_eq!(
        get_json(&app, &admin, &format!("/boards/{closed}")).await["can_write"],
        true,
        "admins write everywhere"
    );

    patch_board(&app, &admin, closed, json!({"is_available": true})).await;
    assert_eq!(get_json(&app, &user, &format!("/boards/{closed}")).await["can_write"], true);
}

#[tokio::test]
async fn deleting_hides_and_closes_a_board_and_a_patch_restores_it() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let name = unique("doomed");
    let board = app.create_board(&admin, &name, "public").await;

    let response = app.delete(&format!("/admin/boards/{board}")).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.text().await.unwrap().is_empty());
    assert_eq!(
        app.delete(&format!("/admin/boards/{board}")).bearer(&admin).send().await.unwrap().status(),
        204,
        "idempotent"
    );
    let response = app.get(&format!("/boards/{board}")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "board.not_found").await;
    assert!(!ids(&walk(&app, &user, "/boards", 100).await).contains(&board));

    let all = walk(&app, &admin, "/admin/boards", 100).await;
    let deleted = all.iter().find(|b| b["id"] == board).expect("deleted boards are listed for admins");
    assert!(deleted["delete_date"].is_string());
    assert_eq!((deleted["is_visible"].as_bool(), deleted["is_available"].as_bool()), (Some(false), Some(false)));
    // Its name stays taken while it is deleted.
    let response = app.post("/admin/boards").bearer(&admin).json(&json!({"name": name})).send().await.unwrap();
    assert_problem(response, StatusCode::CONFLICT, "board.name_taken").await;

    let renamed =
        patch_board(&app, &admin, board, json!({"information": "archived"})).await.json::<Value>().await.unwrap();
    assert!(renamed["delete_date"].is_string(), "changing other fields keeps it deleted");

    let response = patch_board(&app, &admin, board, json!({"is_visible": true, "is_available": true})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let restored: Value = response.json().await.unwrap();
    assert!(restored["delete_date"].is_null());
    assert_eq!(restored["information"], "archived");
    let seen = get_json(&app, &user, &format!("/boards/{board}")).await;
    assert_eq!((seen["is_visible"].as_bool(), seen["can_write"].as_bool()), (Some(true), Some(true)));

    for response in [
        app.delete("/admin/boards/999999").bearer(&admin).send().await.unwrap(),
        patch_board(&app, &admin, 999_999, json!({"name": "ghost"})).await,
    ] {
        assert_problem(response, StatusCode::NOT_FOUND, "board.not_found").await;
    }
}

#[tokio::test]
async fn a_patch_changes_only_the_fields_it_names() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let member = app.new_user().await;
    let created = app
        .create_board_with(
            &admin,
            json!({"name": unique("p"), "information": "before", "access": "restricted", "member_ids": [member.id]}),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    let new_name = unique("renamed");
    let response = patch_board(&app, &admin, id, json!({"name": new_name, "information": null})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["name"], new_name.as_str());
    assert_eq!(updated["information"], "before", "null leaves a field as it is");
    assert_eq!(updated["access"], "restricted");
    assert_eq!(updated["member_ids"], json!([member.id]));
    assert_eq!(updated["create_date"], created["create_date"]);
    assert_ne!(updated["update_date"], created["update_date"]);

    let unchanged = patch_board(&app, &admin, id, json!({})).await.json::<Value>().await.unwrap();
    assert_eq!(unchanged["update_date"], updated["update_date"]);
}

#[tokio::test]
async fn board_lists_page_in_id_order_with_cursors_of_their_own() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(app.create_board(&admin, &format!("{}_{i}", unique("page")), "public").await);
    }
    made.push(
        app.create_board_with(&admin, json!({"name": unique("closed"), "is_available": false})).await["id"]
            .as_i64()
            .unwrap(),
    );

    for path in ["/boards", "/users/me/boards", "/admin/boards"] {
        let who = if path.starts_with("/admin") { &admin } else { &user };
        let walked = ids(&walk(&app, who, path, 2).await);
        assert_eq!(walked, made, "{path}");
        assert_eq!(walked.iter().collect::<HashSet<_>>().len(), walked.len());
    }
    let first = get_json(&app, &user, "/boards?limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let response = app.get(&format!("/users/me/boards?cursor={cursor}")).bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "pagination.invalid_cursor").await;
    let response = app.get("/boards?limit=0").bearer(&user).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let response = app.get("/boards").send().await.unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.token_missing").await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_board_and_admin_route_with_its_errors() {
    let app = TestApp::spawn().await;
    let doc: Value = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    let expected: [(&str, &str, &[&str]); 12] = [
        ("/api/v1/admin/users", "get", &["200", "400", "401", "403", "422"]),
        ("/api/v1/admin/users/{id}", "get", &["200", "401", "403", "404"]),
        ("/api/v1/admin/users/{id}", "patch", &["200", "400", "401", "403", "404", "422"]),
        ("/api/v1/admin/users/{id}/boards", "put", &["200", "400", "401", "403", "404", "422"]),
        ("/api/v1/admin/boards", "get", &["200", "400", "401", "403", "422"]),
        ("/api/v1/admin/boards", "post", &["201", "400", "401", "403", "409", "422"]),
        ("/api/v1/admin/boards/{id}", "patch", &["200", "400", "401", "403", "404", "409", "422"]),
        ("/api/v1/admin/boards/{id}", "delete", &["204", "401", "403", "404"]),
        ("/api/v1/admin/audit", "get", &["200", "400", "401", "403", "422"]),
        ("/api/v1/boards", "get", &["200", "400", "401", "403", "422"]),
        ("/api/v1/boards/{id}", "get", &["200", "401", "403", "404"]),
        ("/api/v1/users/me/boards", "get", &["200", "400", "401", "403", "422"]),
    ];
    for (path, method, statuses) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let documented: Vec<&str> = operation["responses"].as_object().unwrap().keys().map(String::as_str).collect();
        for status in statuses {
            assert!(documented.contains(status), "{method} {path} does not document {status}: {documented:?}");
        }
        let tag = if path.contains("/admin/") { "admin" } else { "boards" };
        assert_eq!(operation["tags"], json!([tag]), "{method} {path}");
    }
    let tags: Vec<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(tags.contains(&"admin") && tags.contains(&"boards"), "{tags:?}");
    let board = &doc["components"]["schemas"]["BoardDto"]["properties"];
    for field in
        ["id", "name", "information", "is_visible", "is_available", "access", "create_date", "update_date", "can_write"]
    {
        assert!(board[field].is_object(), "BoardDto.{field}");
    }
}
