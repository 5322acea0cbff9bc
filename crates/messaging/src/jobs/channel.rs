//! One lazily opened channel per publisher, opened again after the connection recovered.

use std::sync::Arc;

use lapin::options::ConfirmSelectOptions;
use lapin::{Channel, Connection};
use tokio::sync::Mutex;

use super::topology::JobTopology;

/// What a fresh channel is prepared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setup {
    /// Publisher confirms and the whole job topology (publishing jobs).
    ConfirmedJobs,
    /// The events exchange only (publishing completion events, fire-and-forget).
    Events,
}

pub(crate) struct ChannelSlot {
    connection: Arc<Connection>,
    topology: JobTopology,
    setup: Setup,
    channel: Mutex<Option<Channel>>,
}

impl ChannelSlot {
    pub(crate) fn new(connection: Arc<Connection>, topology: JobTopology, setup: Setup) -> Self {
        ChannelSlot { connection, topology, setup, channel: Mutex::new(None) }
    }

    pub(crate) fn topology(&self) -> &JobTopology {
        &self.topology
    }

    /// The open channel, or a new one when there is none or it broke. Fails at once while
    /// the connection is down.
    pub(crate) async fn get(&self) -> lapin::Result<Channel> {
        let mut slot = self.channel.lock().await;
        if let Some(channel) = slot.as_ref().filter(|channel| channel.status().connected()) {
            return Ok(channel.clone());
        }
        *slot = None;
        let channel = self.connection.create_channel().await?;
        match self.setup {
            Setup::ConfirmedJobs => {
                channel.confirm_select(ConfirmSelectOptions::default()).await?;
                self.topology.declare(&channel).await?;
            }
            Setup::Events => self.topology.declare_events(&channel).await?,
        }
        *slot = Some(channel.clone());
        Ok(channel)
    }

    /// Forgets the channel after a failure, so that the next use opens a fresh one.
    pub(crate) async fn discard(&self) {
        self.channel.lock().await.take();
    }
}
