//! What travels on the chat bus, and what each event does to a connected socket.

use kernel::{Actor, UserId};
use serde::{Deserialize, Serialize};

use crate::model::{ChatMessage, MessageId, SessionId};

/// Why an account stopped being usable; its sockets end with this reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    Banned,
    Deactivated,
}

/// A live event. Every event but `UserDisabled` belongs to one session and reaches the
/// sockets of that session; `UserDisabled` reaches every socket of every session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChatEvent {
    /// A message was stored.
    Message { message: ChatMessage },
    /// A message's content changed; carries the whole message.
    Edited { message: ChatMessage },
    /// A message was deleted.
    Deleted { session_id: SessionId, message_id: MessageId },
    /// A user opened a socket on the session.
    Joined { session_id: SessionId, user_id: UserId, user_name: String },
    /// A user's socket on the session closed.
    Left { session_id: SessionId, user_id: UserId, user_name: String },
    /// The session was closed: its sockets end.
    SessionClosed { session_id: SessionId },
    /// The session was deleted: its sockets end.
    SessionDeleted { session_id: SessionId },
    /// A user was removed from the session's members: that user's sockets on it end.
    MemberRemoved { session_id: SessionId, user_id: UserId },
    /// An account was banned or deactivated: its sockets end everywhere.
    UserDisabled { user_id: UserId, reason: DisabledReason },
}

impl ChatEvent {
    /// The session the event belongs to; `None` for events addressed to every session.
    pub fn session_id(&self) -> Option<SessionId> {
        match self {
            ChatEvent::Message { message } | ChatEvent::Edited { message } => Some(message.session_id),
            ChatEvent::Deleted { session_id, .. }
            | ChatEvent::Joined { session_id, .. }
            | ChatEvent::Left { session_id, .. }
            | ChatEvent::SessionClosed { session_id }
            | ChatEvent::SessionDeleted { session_id }
            | ChatEvent::MemberRemoved { session_id, .. } => Some(*session_id),
            ChatEvent::UserDisabled { .. } => None,
        }
    }

    /// What this event does to a socket of `viewer` on session `session_id`.
    pub fn effect_on(&self, viewer: &Actor, session_id: SessionId) -> SocketEffect {
        if let ChatEvent::UserDisabled { user_id, reason } = self {
            return match (*user_id == viewer.id, reason) {
                (false, _) => SocketEffect::Ignore,
                (true, DisabledReason::Banned) => SocketEffect::Close(SocketClose::Banned),
                (true, DisabledReason::Deactivated) => SocketEffect::Close(SocketClose::Deactivated),
            };
        }
        if self.session_id() != Some(session_id) {
            return SocketEffect::Ignore;
        }
        match self {
            ChatEvent::SessionClosed { .. } => SocketEffect::Close(SocketClose::SessionClosed),
            ChatEvent::SessionDeleted { .. } => SocketEffect::Close(SocketClose::SessionDeleted),
            // Admins read every session without membership, so losing one changes nothing.
            ChatEvent::MemberRemoved { user_id, .. } if *user_id == viewer.id && !viewer.is_admin() => {
                SocketEffect::Close(SocketClose::RemovedFromSession)
            }
            ChatEvent::MemberRemoved { .. } => SocketEffect::Ignore,
            _ => SocketEffect::Deliver,
        }
    }
}

/// What a socket does with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketEffect {
    /// Send it to the client.
    Deliver,
    /// Not for this socket.
    Ignore,
    /// End the socket, telling the client why.
    Close(SocketClose),
}

/// Why the server ends a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketClose {
    SessionClosed,
    SessionDeleted,
    RemovedFromSession,
    Banned,
    Deactivated,
}

impl SocketClose {
    /// The reason put in the close frame.
    pub fn reason(self) -> &'static str {
        match self {
            SocketClose::SessionClosed => "the chat session was closed",
            SocketClose::SessionDeleted => "the chat session was deleted",
            SocketClose::RemovedFromSession => "you were removed from the chat session",
            SocketClose::Banned => "this account is banned",
            SocketClose::Deactivated => "this account is deactivated",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use kernel::test_support::{admin, user};

    use super::*;

    fn message(session_id: SessionId) -> ChatMessage {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        ChatMessage {
            id: 1,
            session_id,
            user_id: 2,
            user_name: "u2".into(),
            content: "hi".into(),
            create_date: t,
            update_date: t,
        }
    }

    #[test]
    fn session_events_reach_only_sockets_of_that_session() {
        let event = ChatEvent::Message { message: message(5) };
        assert_eq!(event.effect_on(&user(2), 5), SocketEffect::Deliver);
        assert_eq!(event.effect_on(&user(2), 6), SocketEffect::Ignore);
        let deleted = ChatEvent::Deleted { session_id: 5, message_id: 1 };
        assert_eq!(deleted.effect_on(&admin(1), 5), SocketEffect::Deliver);
    }

    #[test]
    fn closing_or_deleting_a_session_ends_every_socket_on_it() {
        for (event, close) in [
            (ChatEvent::SessionClosed { session_id: 5 }, SocketClose::SessionClosed),
            (ChatEvent::SessionDeleted { session_id: 5 }, SocketClose::SessionDeleted),
        ] {
            assert_eq!(event.effect_on(&user(2), 5), SocketEffect::Close(close));
            assert_eq!(event.effect_on(&admin(1), 5), SocketEffect::Close(close));
            assert_eq!(event.effect_on(&user(2), 6), SocketEffect::Ignore);
        }
    }

    #[test]
    fn removing_a_member_ends_only_that_users_sockets_and_never_an_admins() {
        let event = ChatEvent::MemberRemoved { session_id: 5, user_id: 2 };
        assert_eq!(event.effect_on(&user(2), 5), SocketEffect::Close(SocketClose::RemovedFromSession));
        assert_eq!(event.effect_on(&user(3), 5), SocketEffect::Ignore);
        assert_eq!(event.effect_on(&admin(2), 5), SocketEffect::Ignore);
    }

    #[test]
    fn disabling_an_account_ends_its_sockets_in_every_session() {
        let ban = ChatEvent::UserDisabled { user_id: 2, reason: DisabledReason::Banned };
        assert_eq!(ban.session_id(), None);
        assert_eq!(ban.effect_on(&user(2), 5), SocketEffect::Close(SocketClose::Banned));
        assert_eq!(ban.effect_on(&user(2), 9), SocketEffect::Close(SocketClose::Banned));
        assert_eq!(ban.effect_on(&user(3), 5), SocketEffect::Ignore);
        let gone = ChatEvent::UserDisabled { user_id: 2, reason: DisabledReason::Deactivated };
        assert_eq!(gone.effect_on(&user(2), 5), SocketEffect::Close(SocketClose::Deactivated));
    }

    #[test]
    fn close_reasons_fit_in_a_close_frame() {
        for close in [
            SocketClose::SessionClosed,
            SocketClose::SessionDeleted,
            SocketClose::RemovedFromSession,
            SocketClose::Banned,
            SocketClose::Deactivated,
        ] {
            assert!(close.reason().len() <= 123, "{close:?}");
        }
    }
}
