//! The JSON frames of the chat WebSocket, as API.md lists them.
//!
//! Client to server: `{"type":"message","content":"..."}`, `{"type":"ping"}`. Server to
//! client: `message` and `edited` (the whole message), `deleted`, `join`, `leave`, `pong`,
//! and `error` with a `code` and a `detail`.

use chat::{ChatEvent, ChatMessage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::errors::ErrorCode;

/// What a client may send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Message { content: String },
    Ping,
}

/// Why a client frame was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// A registry entry that frames carry.
    pub code: ErrorCode,
    pub detail: String,
}

impl FrameError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        FrameError { code, detail: detail.into() }
    }

    fn invalid(detail: impl Into<String>) -> Self {
        FrameError::new(ErrorCode::ChatInvalidFrame, detail)
    }
}

/// Reads a client's text frame.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, FrameError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| FrameError::invalid("frames must be JSON objects such as {\"type\":\"ping\"}"))?;
    let Some(kind) = value.get("type").and_then(serde_json::Value::as_str) else {
        return Err(FrameError::invalid("a frame needs a string \"type\": \"message\" or \"ping\""));
    };
    if kind != "message" && kind != "ping" {
        return Err(FrameError::invalid(format!("unknown frame type {kind:?}; expected \"message\" or \"ping\"")));
    }
    serde_json::from_value(value).map_err(|_| FrameError::invalid("a \"message\" frame needs a string \"content\""))
}

/// A message as the `message` and `edited` frames carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageBody<'a> {
    pub id: i64,
    pub session_id: i64,
    pub user_id: i64,
    pub user_name: &'a str,
    pub content: &'a str,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
}

impl<'a> From<&'a ChatMessage> for MessageBody<'a> {
    fn from(message: &'a ChatMessage) -> Self {
        MessageBody {
            id: message.id,
            session_id: message.session_id,
            user_id: message.user_id,
            user_name: &message.user_name,
            content: &message.content,
            create_date: message.create_date,
            update_date: message.update_date,
        }
    }
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    Message(MessageBody<'a>),
    Edited(MessageBody<'a>),
    Deleted { id: i64, session_id: i64 },
    Join { session_id: i64, user_id: i64, user_name: &'a str },
    Leave { session_id: i64, user_id: i64, user_name: &'a str },
    Pong,
    Error { code: ErrorCode, detail: &'a str },
}

impl ServerFrame<'_> {
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The frame a live event becomes, if it is one a client sees.
pub fn event_frame(event: &ChatEvent) -> Option<ServerFrame<'_>> {
    Some(match event {
        ChatEvent::Message { message } => ServerFrame::Message(message.into()),
        ChatEvent::Edited { message } => ServerFrame::Edited(message.into()),
        ChatEvent::Deleted { session_id, message_id } => {
            ServerFrame::Deleted { id: *message_id, session_id: *session_id }
        }
        ChatEvent::Joined { session_id, user_id, user_name } => {
            ServerFrame::Join { session_id: *session_id, user_id: *user_id, user_name }
        }
        ChatEvent::Left { session_id, user_id, user_name } => {
            ServerFrame::Leave { session_id: *session_id, user_id: *user_id, user_name }
        }
        ChatEvent::SessionClosed { .. }
        | ChatEvent::SessionDeleted { .. }
        | ChatEvent::MemberRemoved { .. }
        | ChatEvent::UserDisabled { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn client_frames_parse_and_bad_ones_say_why() {
        assert_eq!(parse_client_frame(r#"{"type":"ping"}"#), Ok(ClientFrame::Ping));
        assert_eq!(
            parse_client_frame(r#"{"type":"message","content":"hi","extra":1}"#),
            Ok(ClientFrame::Message { content: "hi".into() })
        );
        for bad in ["not json", "[1]", "{}", r#"{"type":5}"#, r#"{"type":"shout"}"#, r#"{"type":"message"}"#] {
            let err = parse_client_frame(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::ChatInvalidFrame, "{bad}");
        }
        let err = parse_client_frame(r#"{"type":"message","content":7}"#).unwrap_err();
        assert!(err.detail.contains("content"), "{err:?}");
    }

    #[test]
    fn server_frames_have_exactly_the_documented_shape() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().unwrap();
        let message = ChatMessage {
            id: 9,
            session_id: 3,
            user_id: 4,
            user_name: "bob".into(),
            content: "hi".into(),
            create_date: t,
            update_date: t,
        };
        let frame: Value = serde_json::from_str(&ServerFrame::Message((&message).into()).to_json()).unwrap();
        assert_eq!(
            frame,
            json!({"type": "message", "id": 9, "session_id": 3, "user_id": 4, "user_name": "bob", "content": "hi",
                   "create_date": "2026-01-02T03:04:05Z", "update_date": "2026-01-02T03:04:05Z"})
        );
        let edited = ChatEvent::Edited { message: message.clone() };
        let edited = event_frame(&edited).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&edited.to_json()).unwrap()["type"], "edited");
        let deleted = event_frame(&ChatEvent::Deleted { session_id: 3, message_id: 9 }).unwrap().to_json();
        assert_eq!(
            serde_json::from_str::<Value>(&deleted).unwrap(),
            json!({"type": "deleted", "id": 9, "session_id": 3})
        );
        let join = ChatEvent::Joined { session_id: 3, user_id: 4, user_name: "bob".into() };
        let join: Value = serde_json::from_str(&event_frame(&join).unwrap().to_json()).unwrap();
        assert_eq!(join, json!({"type": "join", "session_id": 3, "user_id": 4, "user_name": "bob"}));
        assert_eq!(ServerFrame::Pong.to_json(), r#"{"type":"pong"}"#);
        let error = ServerFrame::Error { code: ErrorCode::ChatRateLimited, detail: "slow down" }.to_json();
        let code = ErrorCode::ChatRateLimited.code();
        assert_eq!(error, format!(r#"{{"type":"error","code":"{code}","detail":"slow down"}}"#));
        assert_eq!(event_frame(&ChatEvent::SessionClosed { session_id: 3 }), None);
    }
}
