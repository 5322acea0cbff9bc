//! Chat sessions, their members and messages, and the value types that make invalid chat
//! data unrepresentable.

use kernel::{Id, Timestamp, UserId};
use serde::{Deserialize, Serialize};

pub type SessionId = Id;
pub type MessageId = Id;

/// A user taking part in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: UserId,
    pub name: String,
}

/// A conversation between its members and the admins. Admins are never listed as members
/// (unless a user listed one), yet may read, join and post in every session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSession {
    pub id: SessionId,
    pub name: String,
    pub information: String,
    pub creator_id: UserId,
    /// The admin who answers; `None` while no admin exists.
    pub assignee_id: Option<UserId>,
    pub is_closed: bool,
    /// The creator and the listed users, by id.
    pub members: Vec<Member>,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
}

impl ChatSession {
    pub fn has_member(&self, user_id: UserId) -> bool {
        self.members.iter().any(|m| m.id == user_id)
    }
}

/// A message as stored and as delivered live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: MessageId,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub user_name: String,
    pub content: String,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
}

/// A session about to be created: its members include the creator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub name: SessionName,
    pub information: SessionInformation,
    pub creator_id: UserId,
    /// Distinct ids, the creator's first.
    pub member_ids: Vec<UserId>,
    pub assignee_id: Option<UserId>,
    pub at: Timestamp,
}

/// Validated changes of a session; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionChanges {
    pub name: Option<SessionName>,
    pub information: Option<SessionInformation>,
    pub is_closed: Option<bool>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<UserId>>,
    /// Replaces the members (the creator always stays).
    pub member_ids: Option<Vec<UserId>>,
}

impl SessionChanges {
    pub fn is_empty(&self) -> bool {
        *self == SessionChanges::default()
    }
}

/// A message about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub session_id: SessionId,
    pub user_id: UserId,
    /// The author's name as it is now, returned with the stored message.
    pub user_name: String,
    pub content: MessageContent,
    pub at: Timestamp,
}

/// Which assignee a session list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Sessions assigned to this admin.
    User(UserId),
    /// Sessions no admin was assigned to.
    Unassigned,
}

/// Which sessions a list shows, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// Only sessions this user is a member of (every non-admin list sets it).
    pub member: Option<UserId>,
    pub assignee: Option<AssigneeFilter>,
    pub closed: Option<bool>,
}

/// The order of a message list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageOrder {
    /// Newest first: the history view.
    NewestFirst,
    /// Oldest first, only messages with an id above `after`: what a reconnecting client
    /// missed since the last message it saw.
    OldestAfter(MessageId),
}

/// A session's name: 1..256 characters once trimmed, on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionName(String);

impl SessionName {
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::name(raw, Self::MAX_CHARS).map(SessionName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a session is about: 0..256 characters once trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInformation(String);

impl SessionInformation {
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::optional(raw.trim(), Self::MAX_CHARS).map(SessionInformation)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message's text: 1..256 characters, not only white space. Kept as typed (leading
/// spaces and line breaks are the author's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::content(raw, 1, Self::MAX_CHARS).map(MessageContent)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_trimmed_one_to_256_characters() {
        assert_eq!(SessionName::parse("  Billing  ").unwrap().as_str(), "Billing");
        assert!(SessionName::parse(&"名".repeat(256)).is_ok());
        for bad in ["", "   ", "\n\t", &"x".repeat(257)] {
            assert!(SessionName::parse(bad).is_err(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn session_information_may_be_empty_but_not_longer_than_256() {
        assert_eq!(SessionInformation::parse("").unwrap().as_str(), "");
        assert!(SessionInformation::parse(&"i".repeat(256)).is_ok());
        assert!(SessionInformation::parse(&"i".repeat(257)).is_err());
    }

    #[test]
    fn message_content_is_one_to_256_characters_and_not_blank() {
        assert_eq!(MessageContent::parse(" hi\n").unwrap().as_str(), " hi\n");
        assert!(MessageContent::parse(&"é".repeat(256)).is_ok(), "characters, not bytes");
        for bad in ["", " ", "\n\n", &"x".repeat(257)] {
            assert!(MessageContent::parse(bad).is_err(), "{bad:?} should be invalid");
        }
    }
}
