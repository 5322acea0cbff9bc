//! The AI job queue: RabbitMQ adapters (publisher with confirms, the consuming worker, the
//! completion events every app instance listens to) and their in-process twins for the
//! embedded default.
//!
//! Topology, all named after one base queue name `Q` (setting `ai.queue`):
//! - `Q`: durable queue of job messages; rejected messages go to `Q.dlx`;
//! - `Q.dlx` (direct) and `Q.dead`: where jobs that failed for good end, for inspection;
//! - `Q.events` (fanout): "inference job N finished", so that waiting requests on every
//!   app instance answer at once; each instance binds its own exclusive queue.

mod channel;
mod codec;
mod events;
mod local;
mod notifier;
mod publisher;
mod shutdown;
mod task_ids;
mod topology;
mod worker;

pub use codec::{decode, encode};
pub use events::{AmqpJobEvents, CompletionListener};
pub use local::{InProcessJobQueue, LocalQueueSettings, LocalWorkers};
pub use notifier::CompletionNotifier;
pub use publisher::AmqpJobQueue;
pub use shutdown::{Shutdown, ShutdownTrigger};
pub use task_ids::UuidTaskIds;
pub use topology::JobTopology;
pub use worker::{AmqpJobWorker, WorkerSettings};
