//! The bridge from identity to chat: when an account is banned or deactivated, its chat
//! sockets end on every instance (through the chat bus).

use std::sync::Arc;

use async_trait::async_trait;
use chat::ChatService;
use identity::ports::{AccountEvents, DisabledReason};
use kernel::UserId;

/// Forwards account events to the chat service.
pub struct ChatAccountEvents(pub Arc<ChatService>);

#[async_trait]
impl AccountEvents for ChatAccountEvents {
    async fn account_disabled(&self, user_id: UserId, reason: DisabledReason) {
        let reason = match reason {
            DisabledReason::Banned => chat::DisabledReason::Banned,
            DisabledReason::Deactivated => chat::DisabledReason::Deactivated,
        };
        self.0.user_disabled(user_id, reason).await;
    }
}
