//! The HTTP adapter: actix-web routes and WebSocket handlers that translate requests into
//! calls of the domain services, domain errors into problem documents, and the OpenAPI
//! document with Swagger UI. No SQL and no business rules live here.

pub mod client;
pub mod cursor;
pub mod dto;
pub mod errors;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod rate_limit;
pub mod routes;
pub mod shutdown;
pub mod socket;
pub mod state;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

pub use state::{AppState, HealthCheck, HttpSettings};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings { workers: 0, shutdown_timeout: Duration::from_secs(30) }
    }
}

/// The complete OpenAPI document, as served at [`OPENAPI_PATH`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routes_app(App::new()).split_for_parts();
    openapi::complete(&mut api);
    api
}

fn routes_app<T>(app: App<T>) -> utoipa_actix_web::UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .service(routes::health::live)
        .service(routes::health::ready)
        .service(routes::health::metrics)
        .service(routes::docs::errors)
        .service(
            scope::scope("/api/v1")
                .configure(routes::accounts::configure)
                .configure(routes::sessions::configure)
                .configure(routes::admin::configure)
                .configure(routes::boards::configure)
                .configure(routes::ai::configure)
                .configure(routes::chat::configure)
                .configure(routes::posts::configure)
                .configure(routes::comments::configure)
                .configure(routes::attachments::configure),
        )
}

/// The application with every route and middleware, ready for `HttpServer` or tests.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let body_limit = extract::body::BodyLimit(state.settings.body_limit);
    let (app, api) = routes_app(
        App::new().app_data(state).app_data(body_limit).app_data(actix_web::web::PayloadConfig::new(body_limit.0)),
    )
    .split_for_parts();
    let mut api = api;
    openapi::complete(&mut api);
    let table = web::Data::new(openapi::RouteTable::from_openapi(&api));
    app.app_data(table)
        .service(
            SwaggerUi::new("/swagger-ui/{_:.*}")
                .url(OPENAPI_PATH, api)
                .config(SwaggerConfig::default().validator_url("none").persist_authorization(true)),
        )
        .route(
            "/swagger-ui",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect().insert_header(("Location", "/swagger-ui/")).finish()
            }),
        )
        .default_service(web::to(routes::fallback::not_found_or_method))
        // Innermost first: problem documents replace error bodies, so the headers of CORS
        // and security are added outside them, and observation sees the final response.
        .wrap(from_fn(middleware::problems::problems))
        .wrap(from_fn(middleware::cors::cors))
        .wrap(middleware::security::headers())
        .wrap(from_fn(middleware::security::no_store))
        .wrap(from_fn(middleware::observe::observe))
}

/// Starts serving on `listener`. The returned server stops gracefully on SIGTERM/SIGINT or
/// when `state.shutdown` begins (the stop handle of the app does both): open WebSockets are
/// told to close at once, and in-flight requests get up to `shutdown_timeout` to finish.
pub fn serve(state: AppState, listener: TcpListener, settings: &ServerSettings) -> std::io::Result<Server> {
    metrics::metrics();
    let shutdown = state.shutdown.clone();
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || build_app(state.clone()))
        // Small writes (chat frames, short JSON answers) go out at once instead of waiting
        // up to 40 ms for Nagle's algorithm and the peer's delayed ACK.
        .tcp_nodelay(true)
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        // Signals are ours: actix would stop each worker as soon as it alone is idle.
        .disable_signals()
        .listen(listener)?;
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    let server = server.run();
    let (handle, timeout) = (server.handle(), settings.shutdown_timeout);
    tokio::spawn(async move {
        tokio::select! {
            () = shutdown::os_signal() => tracing::info!("stop signal received; shutting down gracefully"),
            () = shutdown.started() => {}
        }
        shutdown::stop_gracefully(&handle, &shutdown, timeout).await;
    });
    Ok(server)
}
