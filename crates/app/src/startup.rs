//! The server's life: bind, serve, run background tasks, and stop gracefully.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use agora_http::client::{ClientPolicy, normalize_origin};
use agora_http::cursor::CursorCodec;
use agora_http::rate_limit::RateLimiter;
use agora_http::shutdown::Shutdown;
use agora_http::socket::{ConnectedUsers, SocketSettings};
use agora_http::{AppState, HealthCheck, HttpSettings, ServerSettings};
use tokio::task::JoinHandle;

use crate::ai_jobs::AiJobs;
use crate::settings::{ChatSettings, Settings};
use crate::views::ViewFlusher;
use crate::wiring::ai::build_ai;
use crate::wiring::{AmqpHealth, DatabaseHealth, Services, StartupError, build_services, connect_database};

/// How often expired tokens and sessions are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// A running server: its address, its services, and the tasks beside it.
pub struct Application {
    address: SocketAddr,
    server: Server,
    services: Services,
    background: Vec<JoinHandle<()>>,
    ai: AiJobs,
    view_flusher: ViewFlusher,
    shutdown: Shutdown,
    shutdown_timeout: Duration,
}

/// Stops a running server, from a test or a tool, the way a signal does.
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    shutdown: Shutdown,
    timeout: Duration,
}

impl StopHandle {
    /// A graceful stop first closes open WebSockets (actix would otherwise wait for them
    /// until its shutdown timeout), then lets in-flight requests finish; a forced one drops
    /// everything at once.
    pub async fn stop(&self, graceful: bool) {
        if graceful {
            agora_http::shutdown::stop_gracefully(&self.server, &self.shutdown, self.timeout).await;
        } else {
            self.server.stop(false).await;
        }
    }
}

fn socket_settings(chat: &ChatSettings) -> SocketSettings {
    SocketSettings {
        ping_interval: Duration::from_millis(chat.ping_interval_ms),
        pong_timeout: Duration::from_millis(chat.pong_timeout_ms),
        send_timeout: Duration::from_millis(chat.send_timeout_ms),
        messages_per_second: chat.messages_per_second,
        message_burst: chat.message_burst,
    }
}

impl Application {
    /// Connects, migrates (when configured), binds and starts serving.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = connect_database(&settings).await?;
        let services = build_services(&settings, db).await?;
        Self::build_with(settings, services).await
    }

    /// Starts serving with services already built (tests inject their own).
    pub async fn build_with(settings: Settings, services: Services) -> Result<Self, StartupError> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener =
            TcpListener::bind(&address).map_err(|source| StartupError::Bind { address: address.clone(), source })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind { address, source })?;
        let ai = build_ai(&settings, &services).await?;
        let mut health: Vec<Arc<dyn HealthCheck>> = vec![Arc::new(DatabaseHealth(services.db.clone()))];
        if let Some(amqp) = &services.amqp {
            health.push(Arc::new(AmqpHealth(amqp.clone())));
        }
        let shutdown = Shutdown::new();
        let chat_users = Arc::new(ConnectedUsers::new());
        let state = AppState {
            accounts: services.accounts.clone(),
            boards: services.boards.clone(),
            audit: services.audit.clone(),
            ai: ai.service.clone(),
            posts: services.posts.clone(),
            comments: services.comments.clone(),
            attachments: services.attachments.clone(),
            cursors: CursorCodec::new(settings.auth.jwt_secret.expose().as_bytes()),
            client: ClientPolicy {
                trusted_proxies: settings.server.trusted_proxy_ips()?,
                cors_origins: settings.server.cors_origins.iter().map(|o| normalize_origin(o)).collect(),
                metrics_allow: settings.server.metrics_allow_ips()?,
            },
            limiter: RateLimiter::new(settings.rate_limit.auth_per_minute),
            health,
            settings: HttpSettings {
                body_limit: settings.server.body_limit_bytes,
                secure_cookies: settings.server.secure_cookies,
            },
            chat: services.chat.clone(),
            chat_sockets: socket_settings(&settings.chat),
            chat_users: chat_users.clone(),
            shutdown: shutdown.clone(),
        };
        let server_settings = ServerSettings {
            workers: settings.server.workers,
            shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
        };
        let server = agora_http::serve(state, listener, &server_settings)
            .map_err(|e| StartupError::Other(format!("cannot start the HTTP server: {e}")))?;
        tracing::info!(env = settings.env.as_str(), "listening on http://{address}");
        let recheck = Duration::from_millis(settings.chat.recheck_interval_ms);
        let background = vec![
            spawn_purger(services.clone()),
            spawn_ticket_purger(services.clone()),
            spawn_disabled_sweeper(services.clone(), chat_users, recheck),
        ];
        let view_flusher =
            ViewFlusher::spawn(services.views.clone(), Duration::from_millis(settings.views.flush_interval_ms.max(1)));
        let shutdown_timeout = server_settings.shutdown_timeout;
        Ok(Application { address, server, services, background, ai, shutdown, view_flusher, shutdown_timeout })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The AI service this server runs on.
    pub fn ai(&self) -> Arc<ai::AiService> {
        self.ai.service.clone()
    }

    /// A handle that stops the server gracefully (as SIGTERM does) or at once.
    pub fn handle(&self) -> StopHandle {
        StopHandle { server: self.server.handle(), shutdown: self.shutdown.clone(), timeout: self.shutdown_timeout }
    }

    /// Serves until SIGTERM/SIGINT or [`StopHandle::stop`], then finishes in-flight work.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        tracing::info!("server stopped; finishing background work");
        self.ai.stop().await;
        for task in self.background {
            task.abort();
        }
        // No request runs any more: the views counted so far are all there is to write.
        self.view_flusher.stop().await;
        if let Some(broker) = &self.services.amqp {
            broker.close().await;
        }
        self.services.db.clone().close().await.ok();
        tracing::info!("shutdown complete");
        result
    }
}

/// Ends the sockets of accounts disabled where this instance could not hear it.
fn spawn_disabled_sweeper(services: Services, users: Arc<ConnectedUsers>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let connected = users.snapshot();
            match services.chat.end_sockets_of_disabled(&connected).await {
                Ok(0) => {}
                Ok(ended) => tracing::info!(ended, "ended the chat sockets of accounts disabled elsewhere"),
                Err(err) => tracing::warn!(error = %err, "re-checking the accounts of chat sockets failed"),
            }
        }
    })
}

fn spawn_ticket_purger(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(PURGE_INTERVAL);
        loop {
            ticker.tick().await;
            match services.chat.purge_expired_tickets().await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired chat tickets purged"),
                Err(err) => tracing::warn!(error = %err, "purging expired chat tickets failed"),
            }
        }
    })
}

fn spawn_purger(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(PURGE_INTERVAL);
        loop {
            ticker.tick().await;
            match services.accounts.purge_expired().await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired tokens and sessions purged"),
                Err(err) => tracing::warn!(error = %err, "purging expired tokens failed"),
            }
        }
    })
}
