//! Two app instances on one database and one broker share chat rooms.

use e2e::ws::WsAuth;
use e2e::{Authed, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::require_broker;

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_message_sent_on_one_instance_reaches_sockets_on_the_other() {
    require_broker();
    let a = TestApp::spawn().await;
    let b = a.spawn_second_instance().await;
    let alice = a.new_user().await;
    let bob = a.new_user().await;
    let sid = id(&a.chat_session(&alice, &[&bob]).await);
    let mut on_a = a.connect(sid, &alice).await;
    let mut on_b = b.connect(sid, &bob).await;

    on_a.say("over the socket on A").await;
    let seen_on_b = on_b.next_of("message").await;
    assert_eq!(seen_on_b["content"], "over the socket on A");
    assert_eq!(seen_on_b["user_id"], alice.id);
    assert_eq!(on_a.next_of("message").await, seen_on_b, "the sender gets it once, the same");

    let posted = a.chat_post(&alice, sid, "over REST on A").await;
    assert_eq!(on_b.next_of("message").await["id"], posted["id"]);
    assert_eq!(on_a.next_of("message").await["id"], posted["id"]);
    on_b.say("answer from B").await;
    assert_eq!(on_a.next_of("message").await["content"], "answer from B");

    let edit =
        b.patch(&format!("/chat/messages/{}", id(&posted))).bearer(&alice).json(&json!({"content": "edited on B"}));
    assert_eq!(edit.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(on_a.next_of("edited").await["content"], "edited on B");
    let response = b.delete(&format!("/chat/messages/{}", id(&posted))).bearer(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(on_a.next_of("deleted").await["id"], posted["id"]);
}

#[tokio::test]
async fn a_ticket_from_one_instance_opens_a_socket_on_the_other_once() {
    require_broker();
    let a = TestApp::spawn().await;
    let b = a.spawn_second_instance().await;
    let alice = a.new_user().await;
    let sid = id(&a.chat_session(&alice, &[]).await);
    let ticket = a.ws_ticket(&alice).await;
    let mut socket = b.try_connect(sid, WsAuth::Ticket(ticket.clone()), &[]).await.unwrap();
    socket.ready().await;
    let refused = a.try_connect(sid, WsAuth::Ticket(ticket), &[]).await.err().unwrap();
    refused.assert_problem(StatusCode::UNAUTHORIZED, "chat.ticket_invalid");
}

#[tokio::test]
async fn bans_and_closes_on_one_instance_end_sockets_on_the_other() {
    require_broker();
    let a = TestApp::spawn().await;
    let b = a.spawn_second_instance().await;
    let admin = a.new_admin().await;
    let alice = a.new_user().await;
    let bob = a.new_user().await;
    let s1 = id(&a.chat_session(&alice, &[&bob]).await);
    let mut alice_on_b = b.connect(s1, &alice).await;
    let mut bob_on_b = b.connect(s1, &bob).await;

    a.services.accounts.set_banned(None, alice.id, true).await.unwrap();
    let closed = alice_on_b.closed().await;
    assert_eq!(closed.code, 1008);
    assert!(closed.reason.contains("banned"), "{closed:?}");

    let close = a.patch(&format!("/chat/sessions/{s1}")).bearer(&admin).json(&json!({"is_closed": true}));
    assert_eq!(close.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(bob_on_b.closed().await.code, 1000);
}

#[tokio::test]
async fn readiness_includes_the_broker() {
    require_broker();
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_broker_outage_asks_sockets_to_reconnect_and_live_chat_resumes_afterwards() {
    require_broker();
    let broker = std::env::var(e2e::TEST_AMQP_URL_VAR).unwrap();
    let parsed = url::Url::parse(&broker).unwrap();
    let target = std::net::ToSocketAddrs::to_socket_addrs(&(parsed.host_str().unwrap(), parsed.port().unwrap_or(5672)))
        .unwrap()
        .next()
        .unwrap();
    let proxy = e2e::tcp_proxy::TcpProxy::start(target).await;
    let through_proxy = proxy.url_for(&broker);
    let app = TestApp::spawn_with(move |settings| settings.amqp.url = app::settings::Secret::new(through_proxy)).await;
    let alice = app.new_user().await;
    let sid = id(&app.chat_session(&alice, &[]).await);
    let mut socket = app.connect(sid, &alice).await;

    proxy.cut();
    let closed = socket.closed().await;
    assert_eq!(closed.code, 1012, "live delivery broke: reconnect ({closed:?})");
    let during = app.chat_post(&alice, sid, "stored while the bus is down").await;

    proxy.restore().await;
    let mut socket = e2e::ai::eventually("a socket to open again", std::time::Duration::from_secs(60), || async {
        match app.try_connect(sid, WsAuth::Bearer(alice.access_token.clone()), &[]).await {
            Ok(socket) => Some(socket),
            Err(refused) => {
                refused.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "server.unavailable");
                None
            }
        }
    })
    .await;
    socket.ready().await;
    let after = app.chat_post(&alice, sid, "live again").await;
    assert_eq!(socket.next_of("message").await["id"], after["id"]);
    let page: Value =
        app.get(&format!("/chat/sessions/{sid}/messages")).bearer(&alice).send().await.unwrap().json().await.unwrap();
    let ids: Vec<&Value> = page["items"].as_array().unwrap().iter().map(|m| &m["id"]).collect();
    assert!(ids.contains(&&during["id"]) && ids.contains(&&after["id"]), "{page}");
}
