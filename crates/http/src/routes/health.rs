//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::errors::docs::operation_errors;
use crate::problem::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "health", security(()), responses((status = 200, body = HealthStatus)))]
#[get("/health/live")]
pub async fn live() -> web::Json<HealthStatus> {
    web::Json(HealthStatus { status: "ok" })
}

/// The process can serve: the database (and RabbitMQ, when configured) answer.
#[utoipa::path(
    tag = "health",
    security(()),
    responses(
        (status = 200, body = HealthStatus),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<HealthStatus>, ApiError> {
    for check in &state.health {
        if let Err(reason) = check.check().await {
            let mut error = ApiError::unavailable(format!("{}: {reason}", check.name()));
            error.detail = format!("The {} does not answer.", check.name());
            return Err(error);
        }
    }
    Ok(web::Json(HealthStatus { status: "ok" }))
}

operation_errors!(MetricsErrors: RouteNotFound);

/// Prometheus metrics in the text exposition format. When `APP__SERVER__METRICS_ALLOW` is
/// set, other clients get 404.
#[utoipa::path(
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        MetricsErrors,
    )
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    if !state.client.may_read_metrics(&req) {
        return Err(ApiError::new(crate::errors::ErrorCode::RouteNotFound, "No resource exists at this path."));
    }
    let text = crate::metrics::metrics().render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}
