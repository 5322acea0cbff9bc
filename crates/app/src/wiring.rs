//! Builds the adapters named by the configuration and injects them into the services: the
//! one place where every service is built ([`ai`] holds the AI part).

pub mod ai;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use board::{
    AttachmentPorts, AttachmentService, BoardGate, BoardPorts, BoardService, CommentService, PostReadCache,
    PostReadCaching, PostService, UploadLimits, ViewCounter,
};
use chat::ports::ChatBus;
use chat::{ChatConfig, ChatPorts, ChatService};
use identity::ports::Mailer;
use identity::service::AccountPorts;
use identity::{AccountService, IdentityConfig};
use kernel::{AuditLog, Clock, SystemClock};
use messaging::amqp::Broker;
use messaging::chat::{AmqpChatBus, InProcessChatBus};
use persistence::DatabaseConnection;
use persistence::audit::SqlAuditLog;
use persistence::board::{
    SqlAttachmentRepository, SqlBoardDirectory, SqlBoardRepository, SqlCommentRepository, SqlPostRepository,
    SqlViewSink,
};
use persistence::chat::{SqlChatDirectory, SqlChatRepository, SqlTicketStore};
use persistence::files::LocalFileStore;
use persistence::identity::{
    SqlLoginThrottleRepository, SqlResetTokenRepository, SqlSessionRepository, SqlUserRepository,
};

use crate::chat_events::AccountEventBridge;
use crate::settings::{MailTransport, Settings, SettingsError, SmtpSecurity};

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("database: {0}")]
    Database(String),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
    #[error("{0}")]
    Other(String),
}

/// Every domain service, built on the configured adapters.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub accounts: Arc<AccountService>,
    pub audit: Arc<dyn AuditLog>,
    pub boards: Arc<BoardService>,
    pub chat: Arc<ChatService>,
    /// The RabbitMQ connection of this process, when `APP__AMQP__URL` is set.
    pub amqp: Option<Broker>,
    pub posts: Arc<PostService>,
    pub comments: Arc<CommentService>,
    pub attachments: Arc<AttachmentService>,
    /// Post views not yet written; the server flushes it on a timer and at shutdown.
    pub views: Arc<ViewCounter>,
}

/// Opens the database pool and, when configured, migrates it.
pub async fn connect_database(settings: &Settings) -> Result<DatabaseConnection, StartupError> {
    let pool = persistence::PoolSettings {
        // Two at least: migrating holds a lock on one connection while migrations use another.
        max_connections: settings.database.max_connections.max(2),
        acquire_timeout: Duration::from_secs(settings.database.acquire_timeout_secs.max(1)),
    };
    let db = persistence::connect(settings.database.url.expose(), &pool)
        .await
        .map_err(|e| StartupError::Database(format!("cannot connect: {e}")))?;
    if settings.database.migrate_on_start {
        migration::up_exclusive(&db).await.map_err(|e| StartupError::Database(format!("migration failed: {e}")))?;
    }
    Ok(db)
}

fn mailer(settings: &Settings) -> Result<Arc<dyn Mailer>, StartupError> {
    let mail = &settings.mail;
    Ok(match mail.transport {
        MailTransport::Log => Arc::new(mail::LogMailer),
        MailTransport::File => Arc::new(mail::FileMailer::new(&mail.dir, &mail.from)),
        MailTransport::Smtp => {
            let security = match mail.smtp_security {
                SmtpSecurity::None => mail::SmtpSecurity::None,
                SmtpSecurity::Starttls => mail::SmtpSecurity::StartTls,
                SmtpSecurity::Tls => mail::SmtpSecurity::Tls,
            };
            let credentials = (!mail.smtp_username.is_empty())
                .then(|| (mail.smtp_username.clone(), mail.smtp_password.expose().to_owned()));
            Arc::new(
                mail::SmtpMailer::new(&mail.smtp_host, mail.smtp_port, security, credentials, &mail.from)
                    .map_err(|e| StartupError::Other(format!("mail: {e}")))?,
            )
        }
    })
}

/// Connects to RabbitMQ when `APP__AMQP__URL` is set: one link per process, reconnected
/// for as long as the process runs.
pub async fn connect_amqp(settings: &Settings) -> Result<Option<Broker>, StartupError> {
    let Some(url) = settings.amqp.url() else {
        return Ok(None);
    };
    let broker = Broker::start(url, "agora").await.map_err(|e| StartupError::Other(e.to_string()))?;
    Ok(Some(broker))
}

/// The chat bus: RabbitMQ when connected (instances share rooms), else in-process.
async fn chat_bus(settings: &Settings, amqp: Option<&Broker>) -> Result<Arc<dyn ChatBus>, StartupError> {
    let capacity = settings.chat.socket_queue;
    Ok(match amqp {
        Some(broker) => Arc::new(
            AmqpChatBus::start(broker, capacity, &settings.chat.bus_namespace)
                .await
                .map_err(|e| StartupError::Other(format!("chat bus: {e}")))?,
        ),
        None => Arc::new(InProcessChatBus::new(capacity)),
    })
}

fn chat_service(
    settings: &Settings,
    db: &DatabaseConnection,
    bus: Arc<dyn ChatBus>,
    clock: Arc<dyn Clock>,
) -> ChatService {
    ChatService::new(
        ChatPorts {
            repository: Arc::new(SqlChatRepository::new(db.clone())),
            directory: Arc::new(SqlChatDirectory::new(db.clone())),
            tickets: Arc::new(SqlTicketStore::new(db.clone())),
            secrets: Arc::new(auth::RandomSecrets),
            bus,
            clock,
        },
        ChatConfig {
            ticket_ttl: chrono::Duration::seconds(settings.chat.ticket_ttl_secs),
            max_members: settings.chat.max_members,
        },
    )
}

/// Builds every service on `db` and the configured adapters (connecting to RabbitMQ when
/// configured).
pub async fn build_services(settings: &Settings, db: DatabaseConnection) -> Result<Services, StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let amqp = connect_amqp(settings).await?;
    let bus = chat_bus(settings, amqp.as_ref()).await?;
    let chat = Arc::new(chat_service(settings, &db, bus, clock.clone()));
    let auth = &settings.auth;
    let hasher = auth::BcryptHasher::new(auth.bcrypt_cost, auth.hash_concurrency)
        .map_err(|e| StartupError::Other(e.to_string()))?;
    let identity_config = IdentityConfig {
        access_ttl: chrono::Duration::seconds(auth.access_ttl_secs),
        refresh_ttl: chrono::Duration::seconds(auth.refresh_ttl_secs),
        session_max_age: chrono::Duration::seconds(auth.session_max_age_secs),
        reset_ttl: chrono::Duration::seconds(auth.reset_ttl_secs),
        reset_link_base: Some(settings.mail.link_base.trim().to_owned()).filter(|s| !s.is_empty()),
        access_cache_ttl: chrono::Duration::milliseconds(auth.access_cache_ms.min(1000) as i64),
        max_login_failures: settings.rate_limit.account_failures,
        ..IdentityConfig::default()
    };
    let audit: Arc<dyn AuditLog> = Arc::new(SqlAuditLog::new(db.clone()));
    let read_cache =
        Arc::new(PostReadCache::new(chrono::Duration::milliseconds(settings.posts.read_cache_ms.min(1000) as i64)));
    // Every board port that reads or changes what a post read shows goes through the cache.
    let caching = PostReadCaching::new(read_cache.clone(), clock.clone());
    let accounts = AccountService::new(
        AccountPorts {
            users: Arc::new(SqlUserRepository::new(db.clone())),
            sessions: Arc::new(SqlSessionRepository::new(db.clone())),
            resets: Arc::new(SqlResetTokenRepository::new(db.clone())),
            throttles: Arc::new(SqlLoginThrottleRepository::new(db.clone())),
            hasher: Arc::new(hasher),
            codec: Arc::new(auth::JwtCodec::new(auth.jwt_secret.expose().as_bytes())),
            secrets: Arc::new(auth::RandomSecrets),
            mailer: mailer(settings)?,
            clock: clock.clone(),
            audit: audit.clone(),
            events: Arc::new(AccountEventBridge { chat: chat.clone(), post_reads: read_cache.clone() }),
        },
        identity_config,
    );
    let boards = BoardService::new(BoardPorts {
        boards: caching.boards(Arc::new(SqlBoardRepository::new(db.clone()))),
        directory: Arc::new(SqlBoardDirectory::new(db.clone())),
        audit: audit.clone(),
        clock: clock.clone(),
    });
    let board_services = build_board_services(settings, &db, clock, &caching)?;
    Ok(Services {
        db,
        accounts: Arc::new(accounts),
        audit,
        boards: Arc::new(boards),
        chat,
        amqp,
        posts: board_services.posts,
        comments: board_services.comments,
        attachments: board_services.attachments,
        views: board_services.views,
    })
}

/// The post, comment and attachment services and the view buffer they share.
struct BoardServices {
    posts: Arc<PostService>,
    comments: Arc<CommentService>,
    attachments: Arc<AttachmentService>,
    views: Arc<ViewCounter>,
}

fn build_board_services(
    settings: &Settings,
    db: &DatabaseConnection,
    clock: Arc<dyn Clock>,
    caching: &PostReadCaching,
) -> Result<BoardServices, StartupError> {
    let gate = BoardGate::new(Arc::new(SqlBoardDirectory::new(db.clone())));
    let posts = caching.posts(Arc::new(SqlPostRepository::new(db.clone())));
    let comments = caching.comments(Arc::new(SqlCommentRepository::new(db.clone())));
    let views = Arc::new(ViewCounter::new(caching.view_sink(Arc::new(SqlViewSink::new(db.clone())))));
    let files = LocalFileStore::new(&settings.storage.dir)
        .map_err(|e| StartupError::Other(format!("storage: cannot create {}: {e}", settings.storage.dir.display())))?;
    let limits = UploadLimits { max_file_bytes: settings.upload.max_file_bytes, max_files: settings.upload.max_files };
    let attachments = AttachmentService::new(
        AttachmentPorts {
            attachments: caching.attachments(Arc::new(SqlAttachmentRepository::new(db.clone()))),
            posts: posts.clone(),
            comments: comments.clone(),
            files: Arc::new(files),
            clock: clock.clone(),
        },
        gate.clone(),
        limits,
    );
    Ok(BoardServices {
        posts: Arc::new(PostService::new(posts.clone(), gate.clone(), views.clone(), clock.clone())),
        comments: Arc::new(CommentService::new(comments, posts, gate, clock)),
        attachments: Arc::new(attachments),
        views,
    })
}

/// Readiness of the RabbitMQ connection.
pub struct AmqpHealth(pub Broker);

#[async_trait]
impl agora_http::HealthCheck for AmqpHealth {
    fn name(&self) -> &'static str {
        "amqp"
    }

    async fn check(&self) -> Result<(), String> {
        if self.0.is_connected() { Ok(()) } else { Err("not connected".to_owned()) }
    }
}

/// Readiness of the database.
pub struct DatabaseHealth(pub DatabaseConnection);

#[async_trait]
impl agora_http::HealthCheck for DatabaseHealth {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> Result<(), String> {
        persistence::ping(&self.0).await.map_err(|e| e.to_string())
    }
}
