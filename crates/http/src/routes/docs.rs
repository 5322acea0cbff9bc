//! The registry of problem codes, for clients that want every code with its status and
//! meaning without reading the OpenAPI document.

use actix_web::{get, web};

use crate::errors::ErrorCode;
use crate::errors::codes::ErrorCodeEntry;

/// Every problem code the API and the chat WebSocket can answer: its HTTP status, a title,
/// when it happens, and whether it comes in problem documents, WebSocket error frames or
/// both. Each operation of the OpenAPI document lists its own in `x-error-codes`.
#[utoipa::path(tag = "docs", security(()), responses((status = 200, body = Vec<ErrorCodeEntry>)))]
#[get("/api-docs/errors")]
pub async fn errors() -> web::Json<Vec<ErrorCodeEntry>> {
    web::Json(ErrorCode::ALL.iter().map(|code| code.entry()).collect())
}
