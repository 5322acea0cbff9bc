//! The caller's sign-ins: list them, end one.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use identity::ports::SignInClient;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::sessions::SessionDto;
use crate::extract::{Auth, PageDto, PageQuery, QueryParams};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

const SESSIONS_SCOPE: &str = "users/me/sessions:order=id_desc";

/// Registers the session routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_sessions).service(revoke_session);
}

/// What the list of sessions shows of the client that logs in.
pub fn sign_in_client(state: &AppState, req: &HttpRequest) -> SignInClient {
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let ip = state.client.client_ip(req).map(|ip| ip.to_string());
    SignInClient::new(user_agent, ip.as_deref())
}

/// The caller's live sign-ins, newest first; `current` marks the one of this token.
#[utoipa::path(
    tag = "users",
    params(PageQuery),
    responses(
        (status = 200, body = PageDto<SessionDto>),
        (status = 400, description = "`pagination.invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`user.banned`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` outside 1..100", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/me/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    auth: Auth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<SessionDto>>, ApiError> {
    let page = query.0.request(&state.cursors, SESSIONS_SCOPE)?;
    let sessions = state.accounts.list_sessions(&auth.0, page).await?;
    let current = auth.0.claims.family_id;
    Ok(web::Json(PageDto::from_page(sessions, &state.cursors, SESSIONS_SCOPE, |f| SessionDto::new(f, current))))
}

/// Ends one of the caller's sign-ins: its refresh and access tokens stop working at once
/// (on other instances within `APP__AUTH__ACCESS_CACHE_MS`).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "The session's id, from the list")),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`user.banned`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session.not_found`: no live session of the caller has this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/users/me/sessions/{id}")]
pub async fn revoke_session(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.accounts.revoke_session(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
