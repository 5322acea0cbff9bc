//! Gives every request an id (echoed as `x-request-id`), a tracing span, a log line and
//! its metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::metrics::metrics;
use crate::shutdown::Shutdown;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, stored in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accepts a caller's id when it is short and plain, so ids can be traced across services.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| value.to_owned())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Counted until the response is produced, so that a graceful stop waits for it.
    let shutdown = req.app_data::<web::Data<AppState>>().map(|state| state.shutdown.clone());
    let _in_flight = shutdown.as_ref().map(Shutdown::track);
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let mut res = result?;
    let status = res.status();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let metrics = metrics();
    metrics.http_requests.with_label_values(&[method.as_str(), route.as_str(), status.as_str()]).inc();
    metrics.http_duration.with_label_values(&[method.as_str(), route.as_str()]).observe(elapsed.as_secs_f64());
    let _entered = span.enter();
    let millis = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), latency_ms = millis, "request failed");
    } else {
        tracing::info!(status = status.as_u16(), latency_ms = millis, "request served");
    }
    if shutdown.as_ref().is_some_and(Shutdown::is_started) {
        // Keep-alive clients move to another instance instead of holding this one open.
        res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}
