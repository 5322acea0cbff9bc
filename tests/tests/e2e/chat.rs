//! Chat: sessions, messages and the live WebSocket, driven like real clients would.

use e2e::ws::{WAIT, WsAuth};
use e2e::{Authed, TestApp, TestUser, assert_problem};
use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap()
}

fn member_ids(session: &Value) -> Vec<i64> {
    session["members"].as_array().unwrap().iter().map(id).collect()
}

async fn page(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.get(path).bearer(user).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

fn ids_of(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(id).collect()
}

/// The value of `agora_websocket_connections` in /metrics.
async fn open_sockets(app: &TestApp) -> i64 {
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("agora_websocket_connections ")).expect("the gauge is exposed");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Waits (bounded) until the gauge reads `expected`.
async fn wait_for_open_sockets(app: &TestApp, expected: i64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = open_sockets(app).await;
        if now == expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "agora_websocket_connections stayed {now}, not {expected}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------- sessions over REST

#[tokio::test]
async fn a_new_session_lists_its_creator_and_members_and_goes_to_the_least_busy_admin() {
    let app = TestApp::spawn().await;
    let first_admin = app.new_admin().await;
    let second_admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;

    let response = app
        .post("/chat/sessions")
        .bearer(&alice)
        .json(&json!({"name": "  Billing  ", "information": "charged twice", "member_ids": [bob.id, alice.id, bob.id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["name"], "Billing");
    assert_eq!(session["information"], "charged twice");
    assert_eq!(session["is_closed"], false);
    assert_eq!(session["creator_id"], alice.id);
    let mut members = member_ids(&session);
    members.sort();
    assert_eq!(members, [alice.id, bob.id], "each member once; admins are not listed");
    assert_eq!(session["assignee_id"], first_admin.id, "a tie goes to the lowest id");
    for field in ["create_date", "update_date"] {
        assert!(chrono::DateTime::parse_from_rfc3339(session[field].as_str().unwrap()).is_ok());
    }

    let second = app.chat_session(&bob, &[]).await;
    assert_eq!(second["assignee_id"], second_admin.id, "the other admin has fewer open sessions");
    let response = app.patch(&format!("/chat/sessions/{}", id(&session))).bearer(&alice);
    let response = response.json(&json!({"is_closed": true})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let third = app.chat_session(&bob, &[]).await;
    assert_eq!(third["assignee_id"], first_admin.id, "closed sessions do not count");
}

#[tokio::test]
async fn without_an_admin_a_session_is_unassigned() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let session = app.chat_session(&alice, &[]).await;
    assert_eq!(session["assignee_id"], Value::Null);
    assert_eq!(member_ids(&session), [alice.id]);
}

#[tokio::test]
async fn session_fields_are_validated_and_unknown_members_named() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let response = app
        .post("/chat/sessions")
        .bearer(&alice)
        .json(&json!({"name": " ", "information": "i".repeat(257), "member_ids": [999_999]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    for field in ["name", "information", "member_ids"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
    assert!(body["errors"]["member_ids"][0].as_str().unwrap().contains("999999"), "{body}");

    let long = json!({"name": "n".repeat(257)});
    let response = app.post("/chat/sessions").bearer(&alice).json(&long).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    let response = app.post("/chat/sessions").json(&json!({"name": "x"})).send().await.unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.token_missing").await;
}

#[tokio::test]
async fn members_and_every_admin_read_a_session_others_get_403_and_deleted_ones_404() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let other_admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let stranger = app.new_user().await;
    let session = app.chat_session(&alice, &[&bob]).await;
    let path = format!("/chat/sessions/{}", id(&session));

    for user in [&alice, &bob, &admin, &other_admin] {
        let response = app.get(&path).bearer(user).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{}", user.name);
    }
    let response = app.get(&path).bearer(&stranger).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "chat.forbidden").await;
    let response = app.get(&format!("{path}/messages")).bearer(&stranger).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "chat.forbidden").await;

    let response = app.delete(&path).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "chat.forbidden").await;
    let response = app.delete(&path).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for user in [&alice, &admin] {
        let response = app.get(&path).bearer(user).send().await.unwrap();
        assert_problem(response, StatusCode::NOT_FOUND, "chat.session_not_found").await;
    }
    let response = app.get("/chat/sessions/987654").bearer(&admin).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "chat.session_not_found").await;
}

#[tokio::test]
async fn users_list_their_sessions_admins_all_with_filters_and_cursors() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let s1 = id(&app.chat_session(&alice, &[]).await);
    let s2 = id(&app.chat_session(&bob, &[&alice]).await);
    let s3 = id(&app.chat_session(&bob, &[]).await);
    let response = app.patch(&format!("/chat/sessions/{s3}")).bearer(&admin).json(&json!({"is_closed": true}));
    assert_eq!(response.send().await.unwrap().status(), StatusCode::OK);

    assert_eq!(ids_of(&page(&app, &alice, "/chat/sessions").await), [s2, s1]);
    assert_eq!(ids_of(&page(&app, &bob, "/chat/sessions").await), [s3, s2]);
    assert_eq!(ids_of(&page(&app, &admin, "/chat/sessions").await), [s3, s2, s1], "admins see all");
    assert_eq!(ids_of(&page(&app, &admin, "/chat/sessions?assignee=me&closed=false").await), [s2, s1]);
    assert_eq!(ids_of(&page(&app, &admin, "/chat/sessions?closed=true").await), [s3]);
    assert!(ids_of(&page(&app, &alice, "/chat/sessions?assignee=me").await).is_empty(), "users are nobody's assignee");
    assert!(ids_of(&page(&app, &admin, "/chat/sessions?assignee=none").await).is_empty());

    let first = page(&app, &admin, "/chat/sessions?limit=2").await;
    assert_eq!(ids_of(&first), [s3, s2]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = page(&app, &admin, &format!("/chat/sessions?limit=2&cursor={cursor}")).await;
    assert_eq!(ids_of(&second), [s1]);
    assert_eq!(second["next_cursor"], Value::Null);

    let response = app.get(&format!("/chat/sessions?closed=true&cursor={cursor}")).bearer(&admin).send().await;
    assert_problem(response.unwrap(), StatusCode::BAD_REQUEST, "pagination.invalid_cursor").await;
    for bad in ["assignee=someone", "closed=maybe", "limit=0", "limit=101"] {
        let response = app.get(&format!("/chat/sessions?{bad}")).bearer(&admin).send().await.unwrap();
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    }
}

#[tokio::test]
async fn the_creator_or_an_admin_changes_a_session_and_only_an_admin_reassigns() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let other_admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let carol = app.new_user().await;
    let session = app.chat_session(&alice, &[&bob]).await;
    let path = format!("/chat/sessions/{}", id(&session));

    let response = app.patch(&path).bearer(&bob).json(&json!({"name": "mine"})).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "chat.forbidden").await;
    let response = app.patch(&path).bearer(&alice).json(&json!({"assignee_id": other_admin.id})).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "auth.admin_required").await;

    let change = json!({"name": "Renamed", "information": "", "member_ids": [carol.id]});
    let response = app.patch(&path).bearer(&alice).json(&change).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!((updated["name"].as_str(), updated["information"].as_str()), (Some("Renamed"), Some("")));
    let mut members = member_ids(&updated);
    members.sort();
    assert_eq!(members, [alice.id, carol.id], "the creator always stays");
    let response = app.get(&path).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "chat.forbidden").await;

    let response = app.patch(&path).bearer(&admin).json(&json!({"assignee_id": bob.id})).send().await.unwrap();
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
    assert!(body["errors"]["assignee_id"].is_array(), "{body}");
    let response = app.patch(&path).bearer(&admin).json(&json!({"assignee_id": other_admin.id})).send().await;
    assert_eq!(response.unwrap().json::<Value>().await.unwrap()["assignee_id"], other_admin.id);
    let response = app.patch(&path).bearer(&admin).json(&json!({"assignee_id": null})).send().await.unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["assignee_id"], Value::Null);
    let response = app.patch(&path).bearer(&admin).json(&json!({"name": ""})).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
}

// ---------------------------------------------------------------- messages over REST

#[tokio::test]
async fn a_closed_session_refuses_messages_with_409_until_reopened() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let session = app.chat_session(&alice, &[]).await;
    let sid = id(&session);
    let message = app.chat_post(&alice, sid, "before").await;
    let close = app.patch(&format!("/chat/sessions/{sid}")).bearer(&alice).json(&json!({"is_closed": true}));
    assert_eq!(close.send().await.unwrap().json::<Value>().await.unwrap()["is_closed"], true);

    let post = app.post(&format!("/chat/sessions/{sid}/messages")).bearer(&alice).json(&json!({"content": "after"}));
    assert_problem(post.send().await.unwrap(), StatusCode::CONFLICT, "chat.session_closed").await;
    let edit = app.patch(&format!("/chat/messages/{}", id(&message))).bearer(&alice).json(&json!({"content": "x"}));
    assert_problem(edit.send().await.unwrap(), StatusCode::CONFLICT, "chat.session_closed").await;
    assert_eq!(ids_of(&page(&app, &alice, &format!("/chat/sessions/{sid}/messages")).await), [id(&message)]);

    let reopen = app.patch(&format!("/chat/sessions/{sid}")).bearer(&alice).json(&json!({"is_closed": false}));
    assert_eq!(reopen.send().await.unwrap().status(), StatusCode::OK);
    app.chat_post(&alice, sid, "again").await;
}

#[tokio::test]
async fn messages_are_validated_and_listed_newest_first_or_oldest_after_an_id() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[&bob]).await);
    let path = format!("/chat/sessions/{sid}/messages");

    for bad in [json!({"content": ""}), json!({"content": "   "}), json!({"content": "x".repeat(257)})] {
        let response = app.post(&path).bearer(&alice).json(&bad).send().await.unwrap();
        let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
        assert!(body["errors"]["content"].is_array(), "{body}");
    }
    let at_limit = app.chat_post(&alice, sid, &"é".repeat(256)).await;
    assert_eq!(at_limit["content"].as_str().unwrap().chars().count(), 256);
    let m2 = app.chat_post(&bob, sid, "from bob").await;
    let m3 = app.chat_post(&admin, sid, "from an admin").await;
    assert_eq!(m2["user_id"], bob.id);
    assert_eq!(m2["user_name"], bob.name.as_str());
    assert_eq!(m2["session_id"], sid);

    let newest = page(&app, &alice, &format!("{path}?limit=2")).await;
    assert_eq!(ids_of(&newest), [id(&m3), id(&m2)]);
    let cursor = newest["next_cursor"].as_str().unwrap();
    let older = page(&app, &alice, &format!("{path}?limit=2&cursor={cursor}")).await;
    assert_eq!(ids_of(&older), [id(&at_limit)]);

    let missed = page(&app, &bob, &format!("{path}?after={}&limit=1", id(&at_limit))).await;
    assert_eq!(ids_of(&missed), [id(&m2)], "catch-up runs oldest first");
    let cursor = missed["next_cursor"].as_str().unwrap();
    let rest = page(&app, &bob, &format!("{path}?after={}&limit=1&cursor={cursor}", id(&at_limit))).await;
    assert_eq!(ids_of(&rest), [id(&m3)]);
    let response = app.get(&format!("{path}?cursor={cursor}")).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "pagination.invalid_cursor").await;
    let response = app.get(&format!("{path}?after=abc")).bearer(&bob).send().await.unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "request.validation_failed").await;
}

#[tokio::test]
async fn only_the_author_edits_and_the_author_or_an_admin_deletes() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[&bob]).await);
    let mine = app.chat_post(&alice, sid, "typo").await;
    let theirs = app.chat_post(&bob, sid, "spam").await;

    for user in [&bob, &admin] {
        let edit = app.patch(&format!("/chat/messages/{}", id(&mine))).bearer(user).json(&json!({"content": "no"}));
        assert_problem(edit.send().await.unwrap(), StatusCode::FORBIDDEN, "chat.forbidden").await;
    }
    let edit = app.patch(&format!("/chat/messages/{}", id(&mine))).bearer(&alice).json(&json!({"content": "fixed"}));
    let edited: Value = edit.send().await.unwrap().json().await.unwrap();
    assert_eq!((edited["id"].as_i64(), edited["content"].as_str()), (Some(id(&mine)), Some("fixed")));
    assert_eq!(edited["create_date"], mine["create_date"]);

    let response = app.delete(&format!("/chat/messages/{}", id(&theirs))).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "chat.forbidden").await;
    let response = app.delete(&format!("/chat/messages/{}", id(&theirs))).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.delete(&format!("/chat/messages/{}", id(&mine))).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.delete(&format!("/chat/messages/{}", id(&mine))).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "chat.message_not_found").await;
    let edit = app.patch(&format!("/chat/messages/{}", id(&mine))).bearer(&alice).json(&json!({"content": "x"}));
    assert_problem(edit.send().await.unwrap(), StatusCode::NOT_FOUND, "chat.message_not_found").await;
    assert!(ids_of(&page(&app, &alice, &format!("/chat/sessions/{sid}/messages")).await).is_empty());
}

// ---------------------------------------------------------------- the live WebSocket

#[tokio::test]
async fn two_members_see_each_others_messages_live_and_in_history() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[&bob]).await);
    let mut a = app.connect(sid, &alice).await;
    let mut b = app.connect(sid, &bob).await;

    a.say("hello bob").await;
    let at_a = a.next_of("message").await;
    let at_b = b.next_of("message").await;
    assert_eq!(at_a, at_b, "the sender gets its own message, as stored");
    assert_eq!(at_b["content"], "hello bob");
    assert_eq!(at_b["user_id"], alice.id);
    assert_eq!(at_b["user_name"], alice.name.as_str());
    assert_eq!(at_b["session_id"], sid);
    assert!(at_b["id"].as_i64().unwrap() > 0);
    assert!(chrono::DateTime::parse_from_rfc3339(at_b["create_date"].as_str().unwrap()).is_ok());

    b.say("hi alice").await;
    let reply = a.next_of("message").await;
    assert_eq!((reply["content"].as_str(), reply["user_id"].as_i64()), (Some("hi alice"), Some(bob.id)));
    assert_eq!(b.next_of("message").await, reply);

    let history = page(&app, &bob, &format!("/chat/sessions/{sid}/messages")).await;
    let contents: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["hi alice", "hello bob"]);
    assert_eq!(history["items"][1]["id"], at_a["id"]);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn joins_and_leaves_are_announced_to_the_session() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let mut a = app.connect(sid, &alice).await;
    let b = app.connect(sid, &admin).await;
    let join = a.next_of("join").await;
    let join = if join["user_id"] == alice.id { a.next_of("join").await } else { join };
    assert_eq!(join, json!({"type": "join", "session_id": sid, "user_id": admin.id, "user_name": admin.name}));
    b.close().await;
    let leave = a.next_of("leave").await;
    assert_eq!(leave, json!({"type": "leave", "session_id": sid, "user_id": admin.id, "user_name": admin.name}));
}

#[tokio::test]
async fn rest_posts_edits_and_deletes_arrive_live() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let mut a = app.connect(sid, &alice).await;

    let posted = app.chat_post(&admin, sid, "an admin answers").await;
    let live = a.next_of("message").await;
    assert_eq!(live["id"], posted["id"]);
    assert_eq!(live["user_id"], admin.id);

    let edit = app.patch(&format!("/chat/messages/{}", id(&posted))).bearer(&admin).json(&json!({"content": "edited"}));
    let edited: Value = edit.send().await.unwrap().json().await.unwrap();
    let live = a.next_of("edited").await;
    let mut expected = edited.clone();
    expected["type"] = json!("edited");
    assert_eq!(live, expected, "edited carries the whole message");

    let response = app.delete(&format!("/chat/messages/{}", id(&posted))).bearer(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(a.next_of("deleted").await, json!({"type": "deleted", "id": posted["id"], "session_id": sid}));
}

#[tokio::test]
async fn non_members_unknown_and_closed_sessions_and_missing_credentials_get_no_upgrade() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let stranger = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let bearer = |u: &TestUser| WsAuth::Bearer(u.access_token.clone());

    let refused = app.try_connect(sid, bearer(&stranger), &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::FORBIDDEN, "chat.forbidden");
    let refused = app.try_connect(424242, bearer(&alice), &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::NOT_FOUND, "chat.session_not_found");
    let refused = app.try_connect(sid, WsAuth::None, &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::UNAUTHORIZED, "auth.token_missing");
    let refused = app.try_connect(sid, WsAuth::Bearer("not-a-token".into()), &[]).await.err().unwrap();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let close = app.patch(&format!("/chat/sessions/{sid}")).bearer(&alice).json(&json!({"is_closed": true}));
    assert_eq!(close.send().await.unwrap().status(), StatusCode::OK);
    let refused = app.try_connect(sid, bearer(&alice), &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::CONFLICT, "chat.session_closed");

    let response = app.get(&format!("/chat/sessions/{sid}/ws")).bearer(&alice).send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "chat.websocket_expected").await;
}

#[tokio::test]
async fn a_ticket_opens_one_socket_once_and_forged_ones_none() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let stranger = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);

    let response = app.post("/chat/ws-ticket").bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 60);
    let ticket = body["ticket"].as_str().unwrap().to_owned();
    assert!(ticket.len() >= 32);

    let mut socket = app.try_connect(sid, WsAuth::Ticket(ticket.clone()), &[]).await.unwrap();
    socket.ready().await;
    socket.say("by ticket").await;
    assert_eq!(socket.next_of("message").await["user_id"], alice.id, "the ticket speaks for its user");

    let refused = app.try_connect(sid, WsAuth::Ticket(ticket), &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::UNAUTHORIZED, "chat.ticket_invalid");
    let refused = app.try_connect(sid, WsAuth::Ticket("forged-ticket-forged-ticket-forged".into()), &[]).await;
    refused.err().unwrap().assert_problem(StatusCode::UNAUTHORIZED, "chat.ticket_invalid");

    let strangers = app.ws_ticket(&stranger).await;
    let refused = app.try_connect(sid, WsAuth::Ticket(strangers), &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::FORBIDDEN, "chat.forbidden");
    let response = app.post("/chat/ws-ticket").send().await.unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "auth.token_missing").await;
}

#[tokio::test]
async fn a_ticket_of_a_user_banned_since_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let ticket = app.ws_ticket(&alice).await;
    app.services.accounts.set_banned(None, alice.id, true).await.unwrap();
    let refused = app.try_connect(sid, WsAuth::Ticket(ticket), &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::FORBIDDEN, "user.banned");
}

#[tokio::test]
async fn a_handshake_from_a_foreign_origin_is_refused_and_allowed_ones_pass() {
    let app = TestApp::spawn_with(|s| s.server.cors_origins = vec!["https://app.example.com".into()]).await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let ticket = app.ws_ticket(&alice).await;

    let refused = app.try_connect(sid, WsAuth::Ticket(ticket.clone()), &[("origin", "https://evil.example")]).await;
    refused.err().unwrap().assert_problem(StatusCode::FORBIDDEN, "auth.origin_forbidden");
    // The refused handshake did not spend the ticket.
    let own = format!("http://127.0.0.1:{}", app.port);
    let mut socket = app.try_connect(sid, WsAuth::Ticket(ticket), &[("origin", &own)]).await.unwrap();
    socket.ready().await;
    let allowed = app.ws_ticket(&alice).await;
    let mut socket = app.try_connect(sid, WsAuth::Ticket(allowed), &[("origin", "https://app.example.com")]).await;
    socket.as_mut().unwrap().ready().await;
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_socket_stays_usable() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let mut a = app.connect(sid, &alice).await;

    let cases = [
        ("not json".to_owned(), "chat.invalid_frame"),
        (r#"{"type":"shout","content":"x"}"#.to_owned(), "chat.invalid_frame"),
        (r#"{"content":"no type"}"#.to_owned(), "chat.invalid_frame"),
        (r#"{"type":"message"}"#.to_owned(), "chat.invalid_frame"),
        (r#"{"type":"message","content":""}"#.to_owned(), "chat.invalid_content"),
        (r#"{"type":"message","content":"   "}"#.to_owned(), "chat.invalid_content"),
        (json!({"type": "message", "content": "x".repeat(257)}).to_string(), "chat.invalid_content"),
    ];
    for (frame, code) in cases {
        a.send_text(frame.clone()).await;
        let error = a.next_of("error").await;
        assert_eq!(error["code"], code, "{frame}: {error}");
        assert!(error["detail"].as_str().is_some_and(|d| !d.is_empty()), "{error}");
    }
    a.stream.send(tokio_tungstenite::tungstenite::Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(a.next_of("error").await["code"], "chat.invalid_frame");

    a.ready().await;
    a.say(&"y".repeat(256)).await;
    assert_eq!(a.next_of("message").await["content"].as_str().unwrap().len(), 256, "still usable");
    assert!(
        ids_of(&page(&app, &alice, &format!("/chat/sessions/{sid}/messages")).await).len() == 1,
        "no bad frame stored"
    );
}

#[tokio::test]
async fn a_frame_over_64_kib_closes_the_socket_with_1009() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let mut a = app.connect(sid, &alice).await;
    a.send_text("x".repeat(65 * 1024)).await;
    assert_eq!(a.closed().await.code, 1009);
    let mut again = app.connect(sid, &alice).await;
    again.say("a new socket works").await;
    again.next_of("message").await;
}

#[tokio::test]
async fn messages_over_the_rate_limit_get_an_error_frame_and_the_socket_stays() {
    let app = TestApp::spawn_with(|s| {
        s.chat.messages_per_second = 1;
        s.chat.message_burst = 2;
    })
    .await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let mut a = app.connect(sid, &alice).await;
    for n in 0..3 {
        a.say(&format!("m{n}")).await;
    }
    let mut stored = 0;
    let mut limited = 0;
    while stored + limited < 3 {
        let frame = a.next_json().await;
        match frame["type"].as_str() {
            Some("message") => stored += 1,
            Some("error") => {
                assert_eq!(frame["code"], "chat.rate_limited", "{frame}");
                limited += 1;
            }
            _ => {}
        }
    }
    assert_eq!((stored, limited), (2, 1), "the burst passes, the third waits");
    a.ready().await;
    let history = page(&app, &alice, &format!("/chat/sessions/{sid}/messages")).await;
    assert_eq!(ids_of(&history).len(), 2);
}

#[tokio::test]
async fn a_ban_or_a_deactivation_ends_that_users_sockets_only() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[&bob]).await);
    let mut a = app.connect(sid, &alice).await;
    let mut b = app.connect(sid, &bob).await;
    let mut watcher = app.connect(sid, &admin).await;

    app.services.accounts.set_banned(None, alice.id, true).await.unwrap();
    let closed = a.closed().await;
    assert_eq!(closed.code, 1008);
    assert!(closed.reason.contains("banned"), "{closed:?}");

    let response = app.delete("/users/me").bearer(&bob).json(&json!({"password": bob.password})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let closed = b.closed().await;
    assert_eq!(closed.code, 1008);
    assert!(closed.reason.contains("deactivated"), "{closed:?}");

    watcher.ready().await;
    app.chat_post(&admin, sid, "still here").await;
    assert_eq!(watcher.next_of("message").await["content"], "still here");
}

#[tokio::test]
async fn closing_or_deleting_the_session_ends_its_sockets_and_removal_ends_the_removed() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let s1 = id(&app.chat_session(&alice, &[&bob]).await);
    let s2 = id(&app.chat_session(&alice, &[]).await);
    let mut a1 = app.connect(s1, &alice).await;
    let mut b1 = app.connect(s1, &bob).await;
    let mut admin1 = app.connect(s1, &admin).await;
    let mut a2 = app.connect(s2, &alice).await;

    let remove = app.patch(&format!("/chat/sessions/{s1}")).bearer(&alice).json(&json!({"member_ids": []}));
    assert_eq!(remove.send().await.unwrap().status(), StatusCode::OK);
    let closed = b1.closed().await;
    assert_eq!(closed.code, 1008);
    assert!(closed.reason.contains("removed"), "{closed:?}");

    let close = app.patch(&format!("/chat/sessions/{s1}")).bearer(&admin).json(&json!({"is_closed": true}));
    assert_eq!(close.send().await.unwrap().status(), StatusCode::OK);
    for socket in [&mut a1, &mut admin1] {
        let closed = socket.closed().await;
        assert_eq!(closed.code, 1000);
        assert!(closed.reason.contains("closed"), "{closed:?}");
    }

    a2.ready().await;
    let response = app.delete(&format!("/chat/sessions/{s2}")).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let closed = a2.closed().await;
    assert_eq!(closed.code, 1000);
    assert!(closed.reason.contains("deleted"), "{closed:?}");
}

#[tokio::test]
async fn the_gauge_counts_open_sockets_exactly() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let before = open_sockets(&app).await;
    let a = app.connect(sid, &alice).await;
    let mut b = app.connect(sid, &alice).await;
    wait_for_open_sockets(&app, before + 2).await;
    a.close().await;
    wait_for_open_sockets(&app, before + 1).await;
    b.send_text("x".repeat(70_000)).await;
    b.closed().await;
    wait_for_open_sockets(&app, before).await;
}

#[tokio::test]
async fn the_server_pings_idle_sockets_and_drops_those_that_never_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn_with(|s| {
        s.chat.ping_interval_ms = 100;
        s.chat.pong_timeout_ms = 300;
    })
    .await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);

    // A client that answers pings (tungstenite does while reading) stays, through many rounds.
    let mut alive = app.connect(sid, &alice).await;
    let mut pings = 0;
    while pings < 5 {
        let next = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut alive.stream)).await.unwrap();
        match next.unwrap().unwrap() {
            tokio_tungstenite::tungstenite::Message::Ping(_) => pings += 1,
            tokio_tungstenite::tungstenite::Message::Close(frame) => panic!("closed while answering: {frame:?}"),
            _ => {}
        }
    }
    alive.ready().await;

    // A raw client that reads but never answers: it sees a ping, then the close, then EOF.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let handshake = format!(
        "GET /api/v1/chat/sessions/{sid}/ws HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: Bearer {}\r\n\r\n",
        app.port, alice.access_token
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(WAIT, tcp.read(&mut buffer)).await.expect("the server drops the silent socket");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(received.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&received[..head_end]));
    let opcodes = server_opcodes(&received[head_end..]);
    let ping = opcodes.iter().position(|(op, _)| *op == 0x9).expect("a ping came");
    let (op, payload) = opcodes.last().unwrap().clone();
    assert_eq!(op, 0x8, "the last frame is a close: {opcodes:?}");
    assert!(opcodes.iter().position(|(op, _)| *op == 0x8).unwrap() > ping);
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1001);
}

/// The (opcode, payload) of each unmasked frame a server sent.
fn server_opcodes(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while bytes.len() >= 2 {
        let opcode = bytes[0] & 0x0f;
        let (length, header) = match bytes[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 => panic!("no frame here is that large"),
            n => (usize::from(n), 2),
        };
        frames.push((opcode, bytes[header..header + length].to_vec()));
        bytes = &bytes[header + length..];
    }
    frames
}

#[tokio::test]
async fn a_graceful_shutdown_closes_open_sockets_with_1001_without_waiting_for_them() {
    let app = TestApp::spawn_with(|s| s.server.shutdown_timeout_secs = 60).await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let mut a = app.connect(sid, &alice).await;
    let stopping = tokio::spawn(app.stop());
    let closed = a.closed().await;
    assert_eq!(closed.code, 1001);
    drop(a);
    // Bounded well below the 60 s the server would otherwise wait for the socket.
    tokio::time::timeout(WAIT, stopping).await.expect("the server stops without waiting for sockets").unwrap();
}

#[tokio::test]
async fn a_ban_made_by_another_process_ends_the_socket_at_the_next_recheck() {
    use identity::ports::UserRepository;

    let app = TestApp::spawn_with(|s| s.chat.recheck_interval_ms = 100).await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[&bob]).await);
    let mut a = app.connect(sid, &alice).await;
    let mut b = app.connect(sid, &bob).await;
    // What admin-cli does from its own process on the embedded default: the accounts change
    // and no event reaches this server.
    let users = persistence::identity::SqlUserRepository::new(app.services.db.clone());
    users.set_banned(alice.id, true, chrono::Utc::now()).await.unwrap();
    users.set_active(bob.id, false, chrono::Utc::now()).await.unwrap();
    let closed = a.closed().await;
    assert_eq!(closed.code, 1008);
    assert!(closed.reason.contains("banned"), "{closed:?}");
    let closed = b.closed().await;
    assert!(closed.reason.contains("deactivated"), "{closed:?}");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_the_room_goes_on() {
    let app = TestApp::spawn_with(|s| {
        s.chat.socket_queue = 64;
        s.chat.send_timeout_ms = 1000;
        s.chat.messages_per_second = 0;
    })
    .await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[&bob]).await);
    let mut fast = app.connect(sid, &alice).await;

    // Bob's client takes the handshake, then never reads; a tiny receive buffer makes the
    // server feel it soon.
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(2048).unwrap();
    let tcp = tcp.connect(([127, 0, 0, 1], app.port).into()).await.unwrap();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(app.chat_ws_url(sid)).unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {}", bob.access_token).parse().unwrap());
    let (mut slow, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    let before = open_sockets(&app).await;
    assert_eq!(before, 2);

    // Kernel buffers on loopback absorb megabytes, so keep talking until the server gives
    // up on Bob (bounded); the room must never wait for him. Small batches keep Alice's own
    // buffers from filling, since she reads only between them.
    let content = "😀".repeat(250);
    let mut sent = 0;
    while open_sockets(&app).await == 2 {
        assert!(sent < 20_000, "the slow client was never dropped");
        for n in sent..sent + 20 {
            fast.say(&format!("{n:05}{content}")).await;
        }
        for n in sent..sent + 20 {
            let frame = fast.next_of("message").await;
            assert!(frame["content"].as_str().unwrap().starts_with(&format!("{n:05}")), "in order, none lost");
        }
        sent += 20;
    }
    eprintln!("the slow client was dropped after {sent} messages");
    wait_for_open_sockets(&app, 1).await;

    let mut received = 0;
    let drained = tokio::time::timeout(WAIT, async {
        while let Some(Ok(message)) = futures_util::StreamExt::next(&mut slow).await {
            if message.is_text() {
                received += 1;
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the slow client's connection ends");
    assert!(received < sent, "the slow client was cut off, after {received} frames");
}

#[tokio::test]
async fn the_openapi_document_describes_every_chat_route_with_its_errors() {
    let app = TestApp::spawn().await;
    let doc: Value = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    let routes: [(&str, &str, &[&str]); 11] = [
        ("/api/v1/chat/sessions", "post", &["201", "401", "422"]),
        ("/api/v1/chat/sessions", "get", &["200", "400", "401", "422"]),
        ("/api/v1/chat/sessions/{id}", "get", &["200", "401", "403", "404"]),
        ("/api/v1/chat/sessions/{id}", "patch", &["200", "401", "403", "404", "422"]),
        ("/api/v1/chat/sessions/{id}", "delete", &["204", "401", "403", "404"]),
        ("/api/v1/chat/sessions/{id}/messages", "get", &["200", "400", "401", "403", "404", "422"]),
        ("/api/v1/chat/sessions/{id}/messages", "post", &["201", "401", "403", "404", "409", "422"]),
        ("/api/v1/chat/messages/{id}", "patch", &["200", "401", "403", "404", "409", "422"]),
        ("/api/v1/chat/messages/{id}", "delete", &["204", "401", "403", "404"]),
        ("/api/v1/chat/ws-ticket", "post", &["200", "401"]),
        ("/api/v1/chat/sessions/{id}/ws", "get", &["101", "400", "401", "403", "404", "409"]),
    ];
    for (path, method, statuses) in routes {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        assert_eq!(operation["tags"][0], "chat", "{method} {path}");
        for status in statuses {
            assert!(operation["responses"][status].is_object(), "{method} {path} documents {status}");
        }
    }
    let after = &doc["paths"]["/api/v1/chat/sessions/{id}/messages"]["get"]["parameters"];
    let names: Vec<&str> = after.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"after") && names.contains(&"cursor"), "{names:?}");
    for schema in ["SessionDto", "MessageDto", "TicketResponse", "CreateSessionRequest", "UpdateSessionRequest"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
