//! One lazily opened channel per publisher, on the broker's current connection, opened
//! again after the link was re-established.

use lapin::Channel;
use lapin::options::ConfirmSelectOptions;
use tokio::sync::Mutex;

use super::topology::JobTopology;
use crate::amqp::Broker;

/// What a fresh channel is prepared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setup {
    /// Publisher confirms and the whole job topology (publishing jobs).
    ConfirmedJobs,
    /// The events exchange only (publishing completion events, fire-and-forget).
    Events,
}

pub(crate) struct ChannelSlot {
    broker: Broker,
    topology: JobTopology,
    setup: Setup,
    /// The open channel and the connection generation it belongs to.
    channel: Mutex<Option<(u64, Channel)>>,
}

/// Why no channel could be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SlotError {
    #[error("not connected")]
    Down,
    #[error(transparent)]
    Amqp(#[from] lapin::Error),
}

impl ChannelSlot {
    pub(crate) fn new(broker: Broker, topology: JobTopology, setup: Setup) -> Self {
        ChannelSlot { broker, topology, setup, channel: Mutex::new(None) }
    }

    pub(crate) fn topology(&self) -> &JobTopology {
        &self.topology
    }

    /// The open channel, or a new one on the current connection when there is none, it
    /// broke or belongs to an older connection. Fails at once while the link is down.
    pub(crate) async fn get(&self) -> Result<Channel, SlotError> {
        let live = self.broker.current().ok_or(SlotError::Down)?;
        let mut slot = self.channel.lock().await;
        if let Some((generation, channel)) = slot.as_ref()
            && *generation == live.generation
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        *slot = None;
        let channel = live.connection.create_channel().await?;
        match self.setup {
            Setup::ConfirmedJobs => {
                channel.confirm_select(ConfirmSelectOptions::default()).await?;
                self.topology.declare(&channel).await?;
            }
            Setup::Events => self.topology.declare_events(&channel).await?,
        }
        *slot = Some((live.generation, channel.clone()));
        Ok(channel)
    }

    /// Forgets the channel after a failure, so that the next use opens a fresh one.
    pub(crate) async fn discard(&self) {
        self.channel.lock().await.take();
    }
}
