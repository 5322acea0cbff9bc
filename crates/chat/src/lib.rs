//! The chat domain: sessions in which users talk with the admins, their members and
//! messages, the single-use tickets that open a WebSocket, and the live fan-out port
//! ([`ports::ChatBus`]) that carries every stored message to the connected sockets of
//! every instance. Framework-free: adapters implement the ports in [`ports`], and
//! [`ChatService`] holds every rule.

pub mod access;
pub mod error;
pub mod event;
pub mod model;
pub mod ports;
pub mod service;

pub use error::ChatError;
pub use event::{ChatEvent, DisabledReason, SocketClose, SocketEffect};
pub use model::{
    AssigneeFilter, ChatMessage, ChatSession, Member, MessageContent, MessageId, MessageOrder, NewMessage, NewSession,
    SessionChanges, SessionFilter, SessionId, SessionInformation, SessionName,
};
pub use service::{ChatConfig, ChatPorts, ChatService, NewSessionInput, SessionUpdateInput, SocketGrant, Ticket};
