//! One chat WebSocket after its handshake: relays the session's live events to the client
//! and the client's frames to the chat service, until something ends it.
//!
//! Robustness rules live here: a bad frame gets an error frame and the socket stays; a frame
//! (or a fragmented message) over 64 KiB ends it with 1009; a silent socket is pinged and
//! dropped when it stops answering; a client too slow to take its events (its subscription
//! lags, or one write stalls) is dropped rather than slowing the room; closing or deleting
//! the session, removal, a ban or a deactivation end it with a close frame and a reason;
//! messages are rate limited; a server shutdown closes it with 1001.

pub mod frames;
pub mod rate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use chat::ports::{ChatSubscription, Delivery};
use chat::{ChatError, ChatEvent, ChatService, SessionId, SocketClose, SocketEffect};
use kernel::{Actor, UserId};

use crate::errors::ErrorCode;
use crate::metrics::metrics;
use crate::shutdown::Shutdown;
use frames::{ClientFrame, FrameError, ServerFrame};
use rate::TokenBucket;

/// The largest frame, and the largest message assembled from fragments, a client may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// How long the server waits for the client's answer to its close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How sockets behave; see `[chat]` in the configuration.
#[derive(Debug, Clone)]
pub struct SocketSettings {
    /// A socket silent this long is pinged.
    pub ping_interval: Duration,
    /// A pinged socket that sends nothing for this long is dropped.
    pub pong_timeout: Duration,
    /// A write that cannot complete in this time means the client is too slow: it is dropped.
    pub send_timeout: Duration,
    /// Messages per second a socket may post on average; 0 = no limit.
    pub messages_per_second: u32,
    /// Messages a socket may post in a burst.
    pub message_burst: u32,
}

impl Default for SocketSettings {
    fn default() -> Self {
        SocketSettings {
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(5),
            messages_per_second: 10,
            message_burst: 20,
        }
    }
}

/// The users with open sockets on this instance, and how many sockets each has: whose
/// accounts the instance re-checks, in case they were disabled where it could not hear.
#[derive(Debug, Default)]
pub struct ConnectedUsers(Mutex<HashMap<UserId, usize>>);

impl ConnectedUsers {
    pub fn new() -> Self {
        Self::default()
    }

    /// The users with at least one open socket.
    pub fn snapshot(&self) -> Vec<UserId> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).keys().copied().collect()
    }

    fn add(&self, user_id: UserId) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner).entry(user_id).or_insert(0) += 1;
    }

    fn remove(&self, user_id: UserId) {
        let mut users = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = users.get_mut(&user_id) {
            *count -= 1;
            if *count == 0 {
                users.remove(&user_id);
            }
        }
    }
}

/// Counts an open socket in `agora_websocket_connections` and among the connected users
/// for exactly as long as it lives, however its task ends (a forced shutdown drops it
/// mid-flight).
#[derive(Debug)]
pub struct OpenSocket {
    users: Arc<ConnectedUsers>,
    user_id: UserId,
}

impl OpenSocket {
    pub fn new(users: Arc<ConnectedUsers>, user_id: UserId) -> Self {
        metrics().websockets_open.inc();
        users.add(user_id);
        OpenSocket { users, user_id }
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        metrics().websockets_open.dec();
        self.users.remove(self.user_id);
    }
}

/// Everything one socket needs.
pub struct ChatSocket {
    pub chat: Arc<ChatService>,
    pub actor: Actor,
    pub session_id: SessionId,
    pub subscription: Box<dyn ChatSubscription>,
    pub session: Session,
    pub stream: MessageStream,
    pub settings: SocketSettings,
    pub shutdown: Shutdown,
    pub open: OpenSocket,
}

/// How a socket ends.
#[derive(Debug)]
enum Ending {
    /// The server closes it with this code and reason.
    Close(CloseCode, &'static str),
    /// The client sent a close frame; answer it.
    ClientClosed(Option<CloseReason>),
    /// The connection is gone or cannot take a close frame: just drop it.
    Drop(&'static str),
}

fn close_code(close: SocketClose) -> CloseCode {
    match close {
        SocketClose::SessionClosed | SocketClose::SessionDeleted => CloseCode::Normal,
        SocketClose::RemovedFromSession | SocketClose::Banned | SocketClose::Deactivated => CloseCode::Policy,
    }
}

/// A message assembled from continuation frames.
struct Fragments {
    text: bool,
    bytes: Vec<u8>,
}

impl ChatSocket {
    /// Serves the socket until it ends, announcing the user's join and leave.
    pub async fn run(mut self) {
        self.chat.socket_joined(&self.actor, self.session_id).await;
        let ending = self.serve().await;
        tracing::debug!(user_id = self.actor.id, session_id = self.session_id, ?ending, "chat socket ends");
        let ChatSocket { chat, actor, session_id, subscription, session, mut stream, open, .. } = self;
        // Events no longer matter; free the subscription before the goodbye.
        drop(subscription);
        match ending {
            Ending::Close(code, reason) => {
                let reason = CloseReason { code, description: Some(reason.to_owned()) };
                if tokio::time::timeout(CLOSE_GRACE, session.close(Some(reason))).await.is_ok() {
                    drain(&mut stream).await;
                }
            }
            Ending::ClientClosed(reason) => {
                let _ = tokio::time::timeout(CLOSE_GRACE, session.close(reason)).await;
            }
            Ending::Drop(why) => tracing::debug!(user_id = actor.id, why, "chat socket dropped without a close frame"),
        }
        drop(stream);
        drop(open);
        chat.socket_left(&actor, session_id).await;
    }

    async fn serve(&mut self) -> Ending {
        let mut limiter =
            TokenBucket::new(self.settings.messages_per_second, self.settings.message_burst, Instant::now());
        let mut ticker = tokio::time::interval(self.settings.ping_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.reset();
        let mut last_heard = Instant::now();
        let mut pong_due: Option<tokio::time::Instant> = None;
        let mut fragments: Option<Fragments> = None;
        let shutdown = self.shutdown.clone();
        loop {
            let dead_line = async move {
                match pong_due {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            // Outgoing events first: a socket that posts a burst then never falls behind on
            // its own echoes, and nothing waits on the client's frames but the client.
            tokio::select! {
                biased;
                () = shutdown.started() => return Ending::Close(CloseCode::Away, "the server is shutting down"),
                delivery = self.subscription.next() => {
                    if let Some(ending) = self.on_delivery(delivery).await {
                        return ending;
                    }
                }
                received = self.stream.recv() => {
                    last_heard = Instant::now();
                    pong_due = None;
                    let result = match received {
                        None => return Ending::Drop("the connection closed"),
                        Some(Err(err)) => return protocol_ending(&err),
                        Some(Ok(message)) => self.on_message(message, &mut fragments, &mut limiter).await,
                    };
                    if let Err(ending) = result {
                        return ending;
                    }
                }
                _ = ticker.tick() => {
                    if pong_due.is_none() && last_heard.elapsed() >= self.settings.ping_interval {
                        let ping = Message::Ping(actix_web::web::Bytes::from_static(b"agora"));
                        if let Err(ending) = self.write(ping).await {
                            return ending;
                        }
                        pong_due = Some(tokio::time::Instant::now() + self.settings.pong_timeout);
                    }
                }
                () = dead_line => return Ending::Close(CloseCode::Away, "no answer to ping"),
            }
        }
    }

    /// Acts on one delivery of the bus; `Some` ends the socket.
    async fn on_delivery(&mut self, delivery: Option<Delivery>) -> Option<Ending> {
        let event = match delivery {
            None => {
                return Some(Ending::Close(
                    CloseCode::Restart,
                    "live delivery was interrupted; reconnect and fetch what you missed from the history",
                ));
            }
            Some(Delivery::Lagged(missed)) => {
                tracing::info!(user_id = self.actor.id, missed, "dropping a chat socket too slow for its session");
                return Some(Ending::Drop("too slow to keep up with the session"));
            }
            Some(Delivery::Event(event)) => event,
        };
        match event.effect_on(&self.actor, self.session_id) {
            SocketEffect::Ignore => None,
            SocketEffect::Close(close) => Some(Ending::Close(close_code(close), close.reason())),
            SocketEffect::Deliver => self.deliver(&event).await.err(),
        }
    }

    async fn deliver(&mut self, event: &ChatEvent) -> Result<(), Ending> {
        match frames::event_frame(event) {
            Some(frame) => self.send(&frame).await,
            None => Ok(()),
        }
    }

    async fn send(&mut self, frame: &ServerFrame<'_>) -> Result<(), Ending> {
        self.write(Message::Text(frame.to_json().into())).await
    }

    /// Writes one frame; a client that does not take it in time is too slow and dropped.
    async fn write(&mut self, message: Message) -> Result<(), Ending> {
        let sending = futures_util::SinkExt::send(&mut self.session, message);
        match tokio::time::timeout(self.settings.send_timeout, sending).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Drop("the connection closed")),
            Err(_) => {
                tracing::info!(user_id = self.actor.id, "dropping a chat socket whose client stopped reading");
                Err(Ending::Drop("the client stopped reading"))
            }
        }
    }

    async fn error(&mut self, error: &FrameError) -> Result<(), Ending> {
        self.send(&ServerFrame::Error { code: error.code, detail: &error.detail }).await
    }

    async fn on_message(
        &mut self,
        message: Message,
        fragments: &mut Option<Fragments>,
        limiter: &mut TokenBucket,
    ) -> Result<(), Ending> {
        match message {
            Message::Text(text) => self.on_text(&text, limiter).await,
            Message::Binary(_) => {
                self.error(&FrameError::new(ErrorCode::ChatInvalidFrame, "frames must be JSON text")).await
            }
            Message::Ping(bytes) => self.write(Message::Pong(bytes)).await,
            Message::Pong(_) | Message::Nop => Ok(()),
            Message::Close(reason) => Err(Ending::ClientClosed(reason)),
            Message::Continuation(item) => {
                let (first, bytes, last) = match item {
                    Item::FirstText(bytes) => (Some(true), bytes, false),
                    Item::FirstBinary(bytes) => (Some(false), bytes, false),
                    Item::Continue(bytes) => (None, bytes, false),
                    Item::Last(bytes) => (None, bytes, true),
                };
                if let Some(text) = first {
                    *fragments = Some(Fragments { text, bytes: Vec::new() });
                }
                let Some(assembling) = fragments.as_mut() else {
                    return Err(Ending::Close(CloseCode::Protocol, "a continuation frame without a first frame"));
                };
                if assembling.bytes.len() + bytes.len() > MAX_FRAME_BYTES {
                    return Err(Ending::Close(CloseCode::Size, "messages are limited to 64 KiB"));
                }
                assembling.bytes.extend_from_slice(&bytes);
                if !last {
                    return Ok(());
                }
                let Some(done) = fragments.take() else { return Ok(()) };
                if !done.text {
                    return self.error(&FrameError::new(ErrorCode::ChatInvalidFrame, "frames must be JSON text")).await;
                }
                match String::from_utf8(done.bytes) {
                    Ok(text) => self.on_text(&text, limiter).await,
                    Err(_) => Err(Ending::Close(CloseCode::Invalid, "text frames must be UTF-8")),
                }
            }
        }
    }

    async fn on_text(&mut self, text: &str, limiter: &mut TokenBucket) -> Result<(), Ending> {
        let frame = match frames::parse_client_frame(text) {
            Ok(frame) => frame,
            Err(error) => return self.error(&error).await,
        };
        match frame {
            ClientFrame::Ping => self.send(&ServerFrame::Pong).await,
            ClientFrame::Message { content } => {
                if let Err(wait) = limiter.take(Instant::now()) {
                    let detail = format!("too many messages; wait {} ms", wait.as_millis().max(1));
                    return self.error(&FrameError::new(ErrorCode::ChatRateLimited, detail)).await;
                }
                // The message comes back through the bus like everyone else's.
                match self.chat.post_from_socket(&self.actor, self.session_id, &content).await {
                    Ok(_) => Ok(()),
                    Err(err) => self.on_post_error(err).await,
                }
            }
        }
    }

    async fn on_post_error(&mut self, err: ChatError) -> Result<(), Ending> {
        let error = match err {
            ChatError::Validation(errors) => {
                let detail = errors.fields().get("content").and_then(|m| m.first()).cloned().unwrap_or_default();
                FrameError::new(ErrorCode::ChatInvalidContent, format!("content {detail}"))
            }
            ChatError::SessionClosed => {
                return Err(Ending::Close(CloseCode::Normal, SocketClose::SessionClosed.reason()));
            }
            ChatError::SessionNotFound => {
                return Err(Ending::Close(CloseCode::Normal, SocketClose::SessionDeleted.reason()));
            }
            ChatError::Infra(err) => {
                tracing::warn!(error = %err, "a chat message from a socket could not be stored");
                FrameError::new(ErrorCode::ServerUnavailable, "the message could not be stored; try again shortly")
            }
            other => {
                tracing::error!(error = %other, "unexpected error posting from a chat socket");
                FrameError::new(ErrorCode::ServerInternal, "an internal error occurred")
            }
        };
        self.error(&error).await
    }
}

fn protocol_ending(err: &ProtocolError) -> Ending {
    match err {
        ProtocolError::Overflow => Ending::Close(CloseCode::Size, "frames are limited to 64 KiB"),
        ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            Ending::Close(CloseCode::Invalid, "text frames must be UTF-8")
        }
        ProtocolError::Io(_) => Ending::Drop("the connection failed"),
        _ => Ending::Close(CloseCode::Protocol, "the frame breaks the WebSocket protocol"),
    }
}

/// Reads what the client still sends after our close frame until its answering close, so
/// that the connection ends cleanly; gives up after a moment or at the first error.
async fn drain(stream: &mut MessageStream) {
    let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, stream.recv()).await {
        if matches!(message, Message::Close(_)) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_users_count_each_socket_until_the_last_one_closes() {
        let users = Arc::new(ConnectedUsers::new());
        let first = OpenSocket::new(users.clone(), 7);
        let second = OpenSocket::new(users.clone(), 7);
        let other = OpenSocket::new(users.clone(), 8);
        let mut now = users.snapshot();
        now.sort();
        assert_eq!(now, [7, 8]);
        drop(first);
        drop(other);
        assert_eq!(users.snapshot(), [7]);
        drop(second);
        assert!(users.snapshot().is_empty());
    }
}
