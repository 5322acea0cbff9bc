//! One RabbitMQ link per process, shared by the job queue and the chat bus.
//!
//! lapin's own recovery is not used: it proved unreliable when the broker link is cut.
//! Instead a [`Broker`] owns the reconnect. A supervisor task holds the current
//! [`Connection`], notices when it dies, and opens a new one forever with backoff
//! (200 ms up to 5 s), publishing each as a new *generation*. Publishers take the current
//! connection and fail at once while there is none; consumers wait for a live connection,
//! declare their topology again and consume until the stream ends or the generation they
//! started on is lost, then start over.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use kernel::InfraError;
pub use lapin::Connection;
use lapin::{ConnectionProperties, Event};
use tokio::sync::watch;

/// How many times the initial connection is tried before startup fails.
pub const CONNECT_ATTEMPTS: u32 = 10;

const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A connection attempt that hangs (a half-open link) counts as failed after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the supervisor looks at the connection's status besides listening to events.
const STATUS_POLL: Duration = Duration::from_millis(250);

/// Opens one plain connection (no automatic recovery), trying up to [`CONNECT_ATTEMPTS`]
/// times with backoff. Most code wants a [`Broker`] instead.
pub async fn connect(url: &str, name: &str) -> Result<Connection, InfraError> {
    let mut delay = MIN_BACKOFF;
    let mut attempt = 1;
    loop {
        match open(url, name).await {
            Ok(connection) => return Ok(connection),
            Err(err) if attempt < CONNECT_ATTEMPTS => {
                tracing::warn!(error = %err, attempt, "RabbitMQ not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
            Err(err) => return Err(InfraError::unavailable(format!("RabbitMQ: {err}"))),
        }
    }
}

async fn open(url: &str, name: &str) -> Result<Connection, String> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    match tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(url, properties)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no connection within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

/// The connection of one generation, or none while the link is down.
#[derive(Clone)]
struct Link {
    generation: u64,
    connection: Option<Arc<Connection>>,
}

/// A live connection handed out by the [`Broker`], with the generation it belongs to.
#[derive(Clone)]
pub struct Live {
    pub generation: u64,
    pub connection: Arc<Connection>,
}

/// The process's link to RabbitMQ, reconnected forever by a supervisor task. Cheap to
/// clone; every clone sees the same link.
#[derive(Clone)]
pub struct Broker {
    link: watch::Receiver<Link>,
    closing: Arc<watch::Sender<bool>>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let link = self.link.borrow();
        f.debug_struct("Broker")
            .field("generation", &link.generation)
            .field("connected", &link.connection.is_some())
            .finish()
    }
}

impl Broker {
    /// Connects (trying [`CONNECT_ATTEMPTS`] times, so that a wrong URL fails startup) and
    /// starts the supervisor that keeps the link up from then on. Must run inside a tokio
    /// runtime.
    pub async fn start(url: &str, name: &str) -> Result<Broker, InfraError> {
        let first = connect(url, name).await?;
        let (link, receiver) = watch::channel(Link { generation: 1, connection: Some(Arc::new(first)) });
        let (closing, closed) = watch::channel(false);
        tokio::spawn(supervise(url.to_owned(), name.to_owned(), link, closed));
        Ok(Broker { link: receiver, closing: Arc::new(closing) })
    }

    /// The current connection, or `None` at once while the link is down.
    pub fn current(&self) -> Option<Live> {
        let link = self.link.borrow();
        let connection = link.connection.clone()?;
        connection.status().connected().then(|| Live { generation: link.generation, connection })
    }

    /// Whether the link is up (for readiness).
    pub fn is_connected(&self) -> bool {
        self.current().is_some()
    }

    /// Waits for a live connection; `None` once the broker is closed.
    pub async fn connected(&self) -> Option<Live> {
        let mut link = self.link.clone();
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(live) = self.current() {
                return Some(live);
            }
            // Woken by the next generation, or checked again shortly (a connection that
            // is published but not yet reported connected).
            let _ = tokio::time::timeout(STATUS_POLL, link.changed()).await;
        }
    }

    /// Resolves once `generation` is no longer the live link: it broke, or was replaced.
    pub async fn lost(&self, generation: u64) {
        let mut link = self.link.clone();
        loop {
            {
                let current = link.borrow_and_update();
                let alive = current.generation == generation
                    && current.connection.as_ref().is_some_and(|c| c.status().connected());
                if !alive {
                    return;
                }
            }
            if tokio::time::timeout(STATUS_POLL, link.changed()).await.is_ok_and(|changed| changed.is_err()) {
                return;
            }
        }
    }

    /// Stops reconnecting and closes the current connection.
    pub async fn close(&self) {
        self.closing.send_replace(true);
        let connection = self.link.borrow().connection.clone();
        if let Some(connection) = connection
            && let Err(err) = connection.close(200, "shutting down".into()).await
        {
            tracing::debug!(error = %err, "the RabbitMQ connection did not close cleanly");
        }
    }
}

/// Keeps the link up: waits until the current connection dies, then reconnects with
/// backoff and publishes the new generation. Ends when the broker is closed.
async fn supervise(url: String, name: String, link: watch::Sender<Link>, mut closing: watch::Receiver<bool>) {
    loop {
        let (generation, connection) = {
            let current = link.borrow();
            (current.generation, current.connection.clone())
        };
        if let Some(connection) = connection {
            tokio::select! {
                () = dies(&connection) => {}
                _ = closing.wait_for(|closed| *closed) => return,
            }
            tracing::warn!(generation, "the RabbitMQ connection was lost; reconnecting");
            link.send_replace(Link { generation, connection: None });
            // Whatever is left of it (a connection that only looks dead) goes for good.
            let _ = tokio::time::timeout(Duration::from_secs(1), connection.close(320, "reconnecting".into())).await;
        }
        let mut delay = MIN_BACKOFF;
        let connection = loop {
            match open(&url, &name).await {
                Ok(connection) => break connection,
                Err(err) => {
                    tracing::warn!(error = %err, retry_in_ms = delay.as_millis(), "RabbitMQ not reachable; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = closing.wait_for(|closed| *closed) => return,
                    }
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        };
        if *closing.borrow() {
            let _ = connection.close(200, "shutting down".into()).await;
            return;
        }
        tracing::info!(generation = generation + 1, "RabbitMQ connection established again");
        link.send_replace(Link { generation: generation + 1, connection: Some(Arc::new(connection)) });
    }
}

/// Resolves once `connection` is no longer connected. Connection events wake it early;
/// polling the status covers events that came before it listened.
async fn dies(connection: &Connection) {
    let mut events = connection.events_listener();
    let mut poll = tokio::time::interval(STATUS_POLL);
    loop {
        if !connection.status().connected() {
            return;
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Event::Error(err)) => tracing::debug!(error = %err, "RabbitMQ connection event"),
                Some(_) => {}
                None => return,
            },
            _ = poll.tick() => {}
        }
    }
}
