//! Makes every error response a problem document: actix's own 404, 405, 413 and extractor
//! errors included, and adds the request id to the body of every problem.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::middleware::observe::RequestId;
use crate::problem::{ApiError, PROBLEM_JSON, problem_response};

fn detail_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "No resource exists at this path.",
        StatusCode::METHOD_NOT_ALLOWED => "This path does not support this method.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.",
        s if s.is_server_error() => "An internal error occurred.",
        _ => "The request could not be processed.",
    }
}

pub async fn problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let request_id = res.request().extensions().get::<RequestId>().map(|id| id.0.clone());
    // Our own errors: rebuild to add the request id. Others: replace the body entirely,
    // so that no HTML, plain text or internal message reaches the client.
    let api_error = res.response().error().and_then(|e| e.as_error::<ApiError>()).cloned();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem && api_error.is_none() {
        return Ok(res);
    }
    let error = api_error.unwrap_or_else(|| {
        if let Some(cause) = res.response().error() {
            if status.is_server_error() {
                tracing::error!(error = %cause, "unhandled error");
            } else {
                tracing::debug!(error = %cause, "request error");
            }
        }
        ApiError::framework(status, detail_for(status))
    });
    let mut problem = error.problem();
    problem.request_id = request_id;
    let mut headers = error.headers.clone();
    // Keep protocol headers that the original response carried (e.g. `Allow` on 405).
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = res.headers().get(&name).and_then(|v| v.to_str().ok())
            && !headers.iter().any(|(n, _)| n == name)
        {
            headers.push((name, value.to_owned()));
        }
    }
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, problem_response(status, &problem, &headers)))
}
