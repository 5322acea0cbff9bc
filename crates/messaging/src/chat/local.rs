//! The chat bus of a single instance: events go straight to the local hub.

use std::sync::Arc;

use async_trait::async_trait;
use chat::ports::{ChatBus, ChatSubscription, Delivery};
use chat::{ChatEvent, SessionId};
use kernel::InfraError;

use super::hub::{Hub, HubSubscription};

/// The embedded default: a tokio broadcast per session, no broker.
#[derive(Debug, Clone)]
pub struct InProcessChatBus {
    hub: Arc<Hub>,
}

impl InProcessChatBus {
    /// A bus whose subscribers may each fall `capacity` events behind.
    pub fn new(capacity: usize) -> Self {
        InProcessChatBus { hub: Hub::new(capacity) }
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

#[async_trait]
impl ChatBus for InProcessChatBus {
    async fn publish(&self, event: ChatEvent) -> Result<(), InfraError> {
        self.hub.dispatch(event);
        Ok(())
    }

    async fn subscribe(&self, session_id: SessionId) -> Result<Box<dyn ChatSubscription>, InfraError> {
        Ok(Box::new(LocalSubscription(self.hub.subscribe(session_id))))
    }
}

struct LocalSubscription(HubSubscription);

#[async_trait]
impl ChatSubscription for LocalSubscription {
    async fn next(&mut self) -> Option<Delivery> {
        self.0.next().await
    }
}
