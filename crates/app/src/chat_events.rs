//! The bridge from identity to the parts that keep copies of account state: when an
//! account is banned or deactivated, its chat sockets end on every instance (through the
//! chat bus); when it is renamed, cached post reads (which show author names) are dropped.

use std::sync::Arc;

use async_trait::async_trait;
use board::PostReadCache;
use chat::ChatService;
use identity::ports::{AccountEvents, DisabledReason};
use kernel::UserId;

/// Forwards account events to the chat service and the post read cache.
pub struct AccountEventBridge {
    pub chat: Arc<ChatService>,
    pub post_reads: Arc<PostReadCache>,
}

#[async_trait]
impl AccountEvents for AccountEventBridge {
    async fn account_disabled(&self, user_id: UserId, reason: DisabledReason) {
        let reason = match reason {
            DisabledReason::Banned => chat::DisabledReason::Banned,
            DisabledReason::Deactivated => chat::DisabledReason::Deactivated,
        };
        self.chat.user_disabled(user_id, reason).await;
    }

    async fn account_renamed(&self, _: UserId) {
        // Renames are rare; finding every cached post of the author is not worth an index.
        self.post_reads.clear();
    }
}
