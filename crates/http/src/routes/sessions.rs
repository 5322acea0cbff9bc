//! The caller's sign-ins: list them, end one.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use identity::ports::SignInClient;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::sessions::SessionDto;
use crate::errors::docs::operation_errors;
use crate::extract::{Auth, PageDto, PageQuery, QueryParams};
use crate::problem::ApiError;
use crate::state::AppState;

const SESSIONS_SCOPE: &str = "users/me/sessions:order=id_desc";

/// Registers the session routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_my_sessions).service(revoke_my_session);
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
        (status = 200, description = "The caller's live sign-ins", body = PageDto<SessionDto>),
    )
)]
#[get("/users/me/sessions")]
pub async fn list_my_sessions(
    state: web::Data<AppState>,
    auth: Auth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<SessionDto>>, ApiError> {
    let page = query.0.request(&state.cursors, SESSIONS_SCOPE)?;
    let sessions = state.accounts.list_sessions(&auth.0, page).await?;
    let current = auth.0.claims.family_id;
    Ok(web::Json(PageDto::from_page(sessions, &state.cursors, SESSIONS_SCOPE, |f| SessionDto::new(f, current))))
}

operation_errors!(RevokeSessionErrors: SessionNotFound);

/// Ends one of the caller's sign-ins: its refresh and access tokens stop working at once
/// (on other instances within `APP__AUTH__ACCESS_CACHE_MS`).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "The session's id, from the list")),
    responses(
        (status = 204, description = "The session ended"),
        RevokeSessionErrors,
    )
)]
#[delete("/users/me/sessions/{id}")]
pub async fn revoke_my_session(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.accounts.revoke_session(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
