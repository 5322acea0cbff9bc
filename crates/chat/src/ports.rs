//! The ports of the chat domain: storage of sessions, messages and tickets, what it needs to
//! know about users, randomness, and the live fan-out bus. Adapters implement these
//! contracts; the service relies on nothing else.

use std::sync::Arc;

use async_trait::async_trait;
use kernel::{InfraError, Page, PageRequest, Timestamp, UserId};

use crate::event::{ChatEvent, DisabledReason};
use crate::model::{
    ChatMessage, ChatSession, MessageContent, MessageId, MessageOrder, NewMessage, NewSession, SessionChanges,
    SessionFilter, SessionId,
};

/// Why a message could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum AddMessageError {
    #[error("session not found")]
    SessionNotFound,
    #[error("session closed")]
    SessionClosed,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Storage of sessions, their members and their messages. Deleted sessions and messages
/// are kept but never returned: for every read they do not exist.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChatRepository: Send + Sync {
    /// Inserts the session and its members in one transaction.
    async fn create_session(&self, session: NewSession) -> Result<ChatSession, InfraError>;
    /// The session with its members; `None` when it does not exist or was deleted.
    async fn find_session(&self, id: SessionId) -> Result<Option<ChatSession>, InfraError>;
    /// Sessions matching the filter, newest first (`Cursor::by_id` positions), each with its
    /// members, in a constant number of queries.
    async fn list_sessions(&self, filter: SessionFilter, page: PageRequest) -> Result<Page<ChatSession>, InfraError>;
    /// Applies the changes in one transaction (a member list replaces the old one) and
    /// returns the session as it is now; `None` when it does not exist or was deleted.
    async fn update_session(
        &self,
        id: SessionId,
        changes: SessionChanges,
        at: Timestamp,
    ) -> Result<Option<ChatSession>, InfraError>;
    /// Marks the session deleted; false when it did not exist or was already deleted.
    async fn delete_session(&self, id: SessionId, at: Timestamp) -> Result<bool, InfraError>;
    /// Stores a message. MUST be atomic with the session's state: it stores nothing and
    /// answers `SessionClosed` or `SessionNotFound` when the session is closed or gone at
    /// that moment, also when a close races with the post.
    async fn add_message(&self, message: NewMessage) -> Result<ChatMessage, AddMessageError>;
    /// The message, with its author's name; `None` when it or its session was deleted.
    async fn find_message(&self, id: MessageId) -> Result<Option<ChatMessage>, InfraError>;
    /// Replaces the content; `None` when the message is gone.
    async fn update_message(
        &self,
        id: MessageId,
        content: MessageContent,
        at: Timestamp,
    ) -> Result<Option<ChatMessage>, InfraError>;
    /// Marks the message deleted; false when it was already gone.
    async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<bool, InfraError>;
    /// The session's messages in the given order, `Cursor::by_id` positions, with their
    /// authors' names, in one query.
    async fn list_messages(
        &self,
        session_id: SessionId,
        order: MessageOrder,
        page: PageRequest,
    ) -> Result<Page<ChatMessage>, InfraError>;
}

/// What the chat domain needs to know about users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChatDirectory: Send + Sync {
    /// Of `ids`, those of accounts that exist and are usable (active and not banned).
    async fn usable_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, InfraError>;
    /// The usable admin with the fewest open (not closed, not deleted) sessions assigned;
    /// ties go to the lowest id; `None` when there is no usable admin.
    async fn least_busy_admin(&self) -> Result<Option<UserId>, InfraError>;
    /// Whether the user is a usable admin.
    async fn is_admin(&self, id: UserId) -> Result<bool, InfraError>;
    /// Of `ids`, the accounts that are banned or deactivated now, and why (a deactivated
    /// account reads as deactivated even if also banned). One query.
    async fn disabled_among(&self, ids: &[UserId]) -> Result<Vec<(UserId, DisabledReason)>, InfraError>;
}

/// Storage of WebSocket tickets, by digest (never the ticket itself).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TicketStore: Send + Sync {
    async fn store(
        &self,
        digest: &str,
        user_id: UserId,
        expire_date: Timestamp,
        at: Timestamp,
    ) -> Result<(), InfraError>;
    /// Spends the ticket. MUST be atomic: answers its user only to the one caller that spends
    /// an unspent ticket that has not expired at `now`; `None` to every other caller.
    async fn redeem(&self, digest: &str, now: Timestamp) -> Result<Option<UserId>, InfraError>;
    /// Deletes tickets that expired before `now`; returns how many went.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, InfraError>;
}

/// Randomness for tickets.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TicketSecrets: Send + Sync {
    /// A URL-safe secret of at least 32 characters from a cryptographic source.
    fn new_ticket(&self) -> String;
    /// A one-way digest of a ticket, for storage and lookup (hex, 64 characters).
    fn digest(&self, ticket: &str) -> String;
}

/// What a subscription yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Event(Arc<ChatEvent>),
    /// The subscriber fell this many events behind and they were dropped: it cannot keep up.
    Lagged(u64),
}

/// The live events of one session (and those addressed to every session), in the order
/// this instance received them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChatSubscription: Send {
    /// The next delivery; `None` when the bus shut down. Cancel-safe: dropping the future
    /// loses nothing.
    async fn next(&mut self) -> Option<Delivery>;
}

/// The live fan-out of chat events to the sockets of every instance.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChatBus: Send + Sync {
    /// Delivers the event to every subscription of its session on every instance (events
    /// without a session to every subscription). Never waits for slow subscribers: one that
    /// falls too far behind gets `Delivery::Lagged` instead.
    async fn publish(&self, event: ChatEvent) -> Result<(), InfraError>;
    /// Subscribes to a session. When this returns, every event published afterwards, on
    /// any instance, reaches the subscription; dropping it unsubscribes.
    async fn subscribe(&self, session_id: SessionId) -> Result<Box<dyn ChatSubscription>, InfraError>;
}
