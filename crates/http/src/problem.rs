//! RFC 9457 problem documents: the one shape of every error response.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kernel::{FieldErrors, InfraError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::errors::codes::ErrorCode;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error response: a registry entry (its code and status), a human `detail`, optional
/// field errors and extra headers (`WWW-Authenticate`, `Retry-After`, `Allow`).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The entry's status, except for framework errors answered with their own status.
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Option<FieldErrors>,
    pub headers: Vec<(HeaderName, String)>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:agora:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// A stable machine-readable code such as `user.name_taken`.
    pub code: String,
    /// Field name to messages, on validation errors (422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// The id of the request, as in the `x-request-id` header; quote it when reporting a 5xx.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    /// A problem with the status of `code`'s registry entry.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError { status: code.status(), code, detail: detail.into(), errors: None, headers: Vec::new() }
    }

    /// The problem of an error the framework raised with `status` (not one of ours): the
    /// registry's code for that status, the status kept as it was.
    pub fn framework(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError { status, ..ApiError::new(framework_code(status), detail) }
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 422 with field errors.
    pub fn validation(errors: FieldErrors) -> Self {
        ApiError::invalid(ErrorCode::RequestValidationFailed, format!("The request is invalid: {errors}"), errors)
    }

    /// A problem of `code` with field errors.
    pub fn invalid(code: ErrorCode, detail: impl Into<String>, errors: FieldErrors) -> Self {
        ApiError { errors: Some(errors), ..ApiError::new(code, detail) }
    }

    /// 401 that tells the client to authenticate with a bearer token.
    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError::new(code, detail).with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    /// 500 whose cause is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(ErrorCode::ServerInternal, "An internal error occurred.")
    }

    /// 503 whose cause is logged, never sent.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        ApiError::new(ErrorCode::ServerUnavailable, "A service this request needs is unavailable; try again shortly.")
            .with_retry_after(5)
    }

    /// Adds `Retry-After: seconds`.
    pub fn with_retry_after(self, seconds: u64) -> Self {
        self.with_header(header::RETRY_AFTER, seconds.to_string())
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:agora:problem:{}", self.code.code()),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.code().to_owned(),
            errors: self.errors.as_ref().map(|e| e.fields().clone()),
            request_id: None,
        }
    }
}

/// The code answered for the framework's own errors of `status`.
fn framework_code(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::BAD_REQUEST => ErrorCode::RequestBadRequest,
        StatusCode::UNAUTHORIZED => ErrorCode::AuthUnauthorized,
        StatusCode::FORBIDDEN => ErrorCode::AuthForbidden,
        StatusCode::NOT_FOUND => ErrorCode::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::RouteMethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::RequestTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::RequestUnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::RequestValidationFailed,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RequestRateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::ServerUnavailable,
        s if s.is_server_error() => ErrorCode::ServerInternal,
        _ => ErrorCode::RequestError,
    }
}

impl From<InfraError> for ApiError {
    fn from(err: InfraError) -> Self {
        match err {
            InfraError::Unavailable(cause) => ApiError::unavailable(cause),
            InfraError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::validation(errors)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        problem_response(self.status, &self.problem(), &self.headers)
    }
}

/// Serialises a problem into a response with the right content type and headers.
pub fn problem_response(status: StatusCode, problem: &Problem, headers: &[(HeaderName, String)]) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.insert_header((name.clone(), value));
        }
    }
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    response.body(body)
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
