//! The chat bus ([`chat::ports::ChatBus`]): an in-process broadcast for one instance, and
//! RabbitMQ for several instances that share rooms. Both fan out through the same local
//! [`hub::Hub`], so sockets see the same behaviour either way.

pub mod hub;
pub mod local;
pub mod rabbitmq;

pub use hub::Hub;
pub use local::InProcessChatBus;
pub use rabbitmq::AmqpChatBus;

/// How many events a subscriber may fall behind its session before it is told it lagged
/// (and, being too slow, is dropped), unless configured otherwise.
pub const DEFAULT_CAPACITY: usize = 256;
