//! One RabbitMQ connection per process, shared by the job queue and the chat bus. lapin
//! recovers it (and replays queues, bindings and consumers) after the broker restarts.

use std::time::Duration;

use kernel::InfraError;
pub use lapin::Connection;
use lapin::ConnectionProperties;

/// How long the initial connection is retried before startup fails.
pub const CONNECT_ATTEMPTS: u32 = 10;

/// Connects with automatic recovery: after a network error or broker restart the
/// connection retries forever, backing off up to 5 s between attempts.
pub async fn connect(url: &str, name: &str) -> Result<Connection, InfraError> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        let properties = ConnectionProperties::default()
            .with_connection_name(name.into())
            .enable_auto_recover()
            .configure_backoff(|b| {
                b.with_min_delay(Duration::from_millis(200)).with_max_delay(Duration::from_secs(5)).without_max_times()
            });
        match Connection::connect(url, properties).await {
            Ok(connection) => return Ok(connection),
            Err(err) if attempt < CONNECT_ATTEMPTS => {
                tracing::warn!(error = %err, attempt, "RabbitMQ not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(err) => return Err(InfraError::unavailable(format!("RabbitMQ: {err}"))),
        }
    }
}

/// Whether the connection is currently up (for readiness).
pub fn is_connected(connection: &Connection) -> bool {
    connection.status().connected()
}
