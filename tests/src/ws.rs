//! A chat WebSocket client for the suite: connects with a bearer token or a ticket, sends
//! frames, and waits for frames with bounded timeouts (never sleeps and hopes).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{Authed, TestApp, TestUser};

/// How long a test waits for a frame, a close or a condition that must come.
pub const WAIT: Duration = Duration::from_secs(10);

/// How a client proves who it is at the handshake.
#[derive(Debug, Clone)]
pub enum WsAuth {
    Bearer(String),
    Ticket(String),
    None,
}

/// A handshake the server refused: its status and problem document.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub body: Value,
}

impl Refused {
    /// Asserts the status and the problem code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "status; body: {}", self.body);
        assert_eq!(self.body["code"], code, "code; body: {}", self.body);
        assert_eq!(self.body["status"], status.as_u16(), "body: {}", self.body);
    }
}

/// An open chat socket.
pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// The close frame the server sent: code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

impl TestApp {
    /// `ws://127.0.0.1:PORT/api/v1/chat/sessions/{id}/ws`
    pub fn chat_ws_url(&self, session_id: i64) -> String {
        format!("ws://127.0.0.1:{}/api/v1/chat/sessions/{session_id}/ws", self.port)
    }

    /// A fresh single-use ticket of `user`.
    pub async fn ws_ticket(&self, user: &TestUser) -> String {
        let response = self.post("/chat/ws-ticket").bearer(user).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["ticket"].as_str().unwrap().to_owned()
    }

    /// Opens a socket on the session with the given credentials and extra headers.
    pub async fn try_connect(
        &self,
        session_id: i64,
        auth: WsAuth,
        headers: &[(&str, &str)],
    ) -> Result<WsClient, Refused> {
        let mut url = self.chat_ws_url(session_id);
        if let WsAuth::Ticket(ticket) = &auth {
            url = format!("{url}?ticket={ticket}");
        }
        let mut request = url.into_client_request().unwrap();
        if let WsAuth::Bearer(token) = &auth {
            request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        }
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            request.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
        }
        match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await.expect("handshake in time") {
            Ok((stream, _)) => Ok(WsClient { stream }),
            Err(WsError::Http(response)) => {
                let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
                let content_type =
                    response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                assert!(content_type.starts_with("application/problem+json"), "refusal content type {content_type}");
                let body = response.body().as_deref().map(serde_json::from_slice).transpose().unwrap();
                Err(Refused { status, body: body.unwrap_or(Value::Null) })
            }
            Err(other) => panic!("handshake failed: {other}"),
        }
    }

    /// Opens a socket as `user` with its bearer token, and waits until the server has
    /// answered a first frame: from then on the socket misses no message.
    pub async fn connect(&self, session_id: i64, user: &TestUser) -> WsClient {
        let mut client = self
            .try_connect(session_id, WsAuth::Bearer(user.access_token.clone()), &[])
            .await
            .unwrap_or_else(|refused| panic!("socket refused: {refused:?}"));
        client.ready().await;
        client
    }

    /// Creates a session as `creator` listing `members`, and returns its JSON.
    pub async fn chat_session(&self, creator: &TestUser, members: &[&TestUser]) -> Value {
        let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
        let response = self
            .post("/chat/sessions")
            .bearer(creator)
            .json(&json!({"name": crate::unique("session"), "information": "help", "member_ids": ids}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Posts a message over REST and returns it.
    pub async fn chat_post(&self, user: &TestUser, session_id: i64, content: &str) -> Value {
        let response = self
            .post(&format!("/chat/sessions/{session_id}/messages"))
            .bearer(user)
            .json(&json!({ "content": content }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }
}

impl WsClient {
    pub async fn send_text(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        self.stream.send(Message::text(text)).await.unwrap();
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(value.to_string()).await;
    }

    /// Sends a chat message frame.
    pub async fn say(&mut self, content: &str) {
        self.send_json(json!({"type": "message", "content": content})).await;
    }

    /// Sends `ping` and waits for `pong` (other frames before it are skipped).
    pub async fn ready(&mut self) {
        self.send_json(json!({"type": "ping"})).await;
        self.next_of("pong").await;
    }

    /// The next JSON frame; WebSocket pings and pongs are skipped, a close fails the test.
    pub async fn next_json(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .expect("a readable frame");
            match message {
                Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON frames"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a JSON frame, got {other:?}"),
            }
        }
    }

    /// The next frame of this `type`, skipping others (such as `join` and `leave`).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next_json().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Waits for the server's close frame (skipping other frames) and returns it.
    pub async fn closed(&mut self) -> Closed {
        loop {
            let next = tokio::time::timeout(WAIT, self.stream.next()).await.expect("a close in time");
            match next {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Closed { code: u16::from(frame.code), reason: frame.reason.as_str().to_owned() };
                }
                Some(Ok(Message::Close(None))) => return Closed { code: 1005, reason: String::new() },
                Some(Ok(_)) => continue,
                Some(Err(err)) => panic!("the socket failed before a close frame: {err}"),
                None => panic!("the socket ended without a close frame"),
            }
        }
    }

    /// Closes from the client side and waits for the server's answer.
    pub async fn close(mut self) {
        self.stream.close(None).await.ok();
        let _ = tokio::time::timeout(WAIT, async { while let Some(Ok(_)) = self.stream.next().await {} }).await;
    }
}
