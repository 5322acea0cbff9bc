//! Bodies and query strings of the chat routes.

use chat::{ChatMessage, ChatSession, Member, Ticket};
use chat::{MessageContent, SessionInformation, SessionName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::extract::validation::limit;

use crate::extract::page::{MAX_LIMIT, MIN_LIMIT};

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct CreateSessionRequest {
    /// Not blank.
    #[schema(example = "Billing question", min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = limit(SessionName::MAX_CHARS)))]
    pub name: String,
    /// Empty when absent.
    #[schema(example = "I was charged twice in March", max_length = 256)]
    #[validate(length(max = limit(SessionInformation::MAX_CHARS)))]
    pub information: Option<String>,
    /// Other users to add (at most 100); each must exist and be active. The creator is
    /// always a member.
    #[serde(default)]
    pub member_ids: Option<Vec<i64>>,
}

/// Any subset of the fields; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema, Validate)]
pub struct UpdateSessionRequest {
    /// Not blank.
    #[schema(min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = limit(SessionName::MAX_CHARS)))]
    pub name: Option<String>,
    #[schema(max_length = 256)]
    #[validate(length(max = limit(SessionInformation::MAX_CHARS)))]
    pub information: Option<String>,
    /// `true` closes the session (its sockets end; nothing more can be posted), `false`
    /// reopens it.
    pub is_closed: Option<bool>,
    /// Admins only: the id of an active admin, or `null` to unassign.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, nullable)]
    pub assignee_id: Option<Option<i64>>,
    /// Replaces the listed members (the creator always stays); removed users' sockets end.
    pub member_ids: Option<Vec<i64>>,
}

/// Tells a field sent as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub id: i64,
    pub name: String,
}

impl From<Member> for MemberDto {
    fn from(member: Member) -> Self {
        MemberDto { id: member.id, name: member.name }
    }
}

/// A chat session between its members and the admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub id: i64,
    pub name: String,
    pub information: String,
    pub is_closed: bool,
    /// The admin who answers; `null` while no admin exists or after unassigning.
    pub assignee_id: Option<i64>,
    pub creator_id: i64,
    /// The creator and the listed users. Admins take part without being listed.
    pub members: Vec<MemberDto>,
    pub create_date: DateTime<Utc>,
    /// Changes with every edit and every new message.
    pub update_date: DateTime<Utc>,
}

impl From<ChatSession> for SessionDto {
    fn from(session: ChatSession) -> Self {
        SessionDto {
            id: session.id,
            name: session.name,
            information: session.information,
            is_closed: session.is_closed,
            assignee_id: session.assignee_id,
            creator_id: session.creator_id,
            members: session.members.into_iter().map(MemberDto::from).collect(),
            create_date: session.create_date,
            update_date: session.update_date,
        }
    }
}

/// A stored message; the `message` and `edited` WebSocket frames carry the same fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    pub session_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub content: String,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
}

impl From<ChatMessage> for MessageDto {
    fn from(message: ChatMessage) -> Self {
        MessageDto {
            id: message.id,
            session_id: message.session_id,
            user_id: message.user_id,
            user_name: message.user_name,
            content: message.content,
            create_date: message.create_date,
            update_date: message.update_date,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct MessageRequest {
    /// Not only white space.
    #[schema(example = "Hello, can you help me?", min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = limit(MessageContent::MAX_CHARS)))]
    pub content: String,
}

/// A single-use WebSocket ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketResponse {
    /// Pass as `?ticket=` to `GET /api/v1/chat/sessions/{id}/ws`; it works once.
    pub ticket: String,
    /// Seconds until it expires.
    #[schema(example = 60)]
    pub expires_in: i64,
}

impl From<Ticket> for TicketResponse {
    fn from(ticket: Ticket) -> Self {
        TicketResponse { ticket: ticket.ticket, expires_in: ticket.expires_in }
    }
}

/// `GET /chat/sessions`: filters and paging.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct SessionListQuery {
    /// `me` (sessions assigned to the caller), `none` (unassigned) or an admin's id.
    pub assignee: Option<String>,
    /// `false` for open sessions only, `true` for closed ones only; both when absent.
    pub closed: Option<bool>,
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = MIN_LIMIT, max = MAX_LIMIT))]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /chat/sessions/{id}/messages`: order and paging.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct MessageListQuery {
    /// Catch-up after a reconnect: only messages with an id above this one, oldest first.
    /// Without it the page is newest first.
    pub after: Option<i64>,
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = MIN_LIMIT, max = MAX_LIMIT))]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (of the same order and `after`).
    pub cursor: Option<String>,
}

/// `GET /chat/sessions/{id}/ws`: how a browser authenticates.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct SocketQuery {
    /// A ticket from `POST /chat/ws-ticket`, for clients that cannot set an
    /// `Authorization` header on a WebSocket. Without it, the bearer token is used.
    pub ticket: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_assignee_unassigns_while_an_absent_one_changes_nothing() {
        let absent: UpdateSessionRequest = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
        assert_eq!(absent.assignee_id, None);
        let null: UpdateSessionRequest = serde_json::from_str(r#"{"assignee_id":null}"#).unwrap();
        assert_eq!(null.assignee_id, Some(None));
        let set: UpdateSessionRequest = serde_json::from_str(r#"{"assignee_id":3}"#).unwrap();
        assert_eq!(set.assignee_id, Some(Some(3)));
    }
}
