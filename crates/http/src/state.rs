//! What handlers share: the domain services and the HTTP layer's own settings.

use std::sync::Arc;

use ai::AiService;
use async_trait::async_trait;
use board::{AttachmentService, BoardService, CommentService, PostService};
use chat::ChatService;
use identity::AccountService;
use kernel::AuditLog;

use crate::client::ClientPolicy;
use crate::cursor::CursorCodec;
use crate::rate_limit::RateLimiter;
use crate::shutdown::Shutdown;
use crate::socket::{ConnectedUsers, SocketSettings};

/// A dependency that `/health/ready` asks before answering 200.
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// A short name such as `database` or `amqp`.
    fn name(&self) -> &'static str;
    /// `Err` with a reason when the dependency does not answer.
    async fn check(&self) -> Result<(), String>;
}

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest JSON body in bytes.
    pub body_limit: usize,
    /// Force the `Secure` flag on cookies; otherwise it follows the request scheme.
    pub secure_cookies: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings { body_limit: crate::extract::body::DEFAULT_BODY_LIMIT, secure_cookies: false }
    }
}

/// The state of the application, shared by every worker.
pub struct AppState {
    pub accounts: Arc<AccountService>,
    pub posts: Arc<PostService>,
    pub comments: Arc<CommentService>,
    pub attachments: Arc<AttachmentService>,
    pub boards: Arc<BoardService>,
    /// The audit trail, read by `GET /admin/audit`.
    pub audit: Arc<dyn AuditLog>,
    pub ai: Arc<AiService>,
    pub cursors: CursorCodec,
    pub client: ClientPolicy,
    pub limiter: RateLimiter,
    pub health: Vec<Arc<dyn HealthCheck>>,
    pub settings: HttpSettings,
    pub chat: Arc<ChatService>,
    /// How chat WebSockets behave.
    pub chat_sockets: SocketSettings,
    /// The users with open sockets on this instance.
    pub chat_users: Arc<ConnectedUsers>,
    /// Tells open WebSockets to close when a graceful shutdown starts.
    pub shutdown: Shutdown,
}
