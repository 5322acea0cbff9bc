//! Unknown paths (404) and known paths with a wrong method (405 with `Allow`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::errors::ErrorCode;
use crate::openapi::RouteTable;
use crate::problem::ApiError;

pub async fn not_found_or_method(req: HttpRequest, table: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    Err(match table.allowed(req.path()) {
        Some(methods) => ApiError::new(
            ErrorCode::RouteMethodNotAllowed,
            format!("{} is not allowed here; allowed: {}.", req.method(), methods.join(", ")),
        )
        .with_header(header::ALLOW, methods.join(", ")),
        None => ApiError::new(ErrorCode::RouteNotFound, "No resource exists at this path."),
    })
}
