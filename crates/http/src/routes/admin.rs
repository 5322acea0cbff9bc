//! Administration: users, their moderation and board memberships, boards in every state,
//! and the audit trail. Every route takes [`AdminAuth`]: anyone else gets 403
//! `auth.admin_required`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use identity::ports::UserFilter;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::admin::{
    AdminUserDetailDto, AdminUserDto, AdminUsersQuery, AuditEntryDto, UserBoardsRequest, UserModerationRequest,
};
use crate::dto::boards::{AdminBoardDto, BoardCreateRequest, BoardUpdateRequest};
use crate::errors::docs::operation_errors;
use crate::extract::{AdminAuth, JsonBody, PageDto, PageQuery, QueryParams, page_request};
use crate::problem::ApiError;
use crate::state::AppState;

/// Cursor scopes: one per list (and, for users, per search).
const BOARDS_SCOPE: &str = "admin/boards:order=id";
const AUDIT_SCOPE: &str = "admin/audit:order=newest";

fn users_scope(q: &str) -> String {
    format!("admin/users:order=id:q={q}")
}

/// Registers the administration routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(get_user)
        .service(moderate_user)
        .service(replace_user_boards)
        .service(list_boards)
        .service(create_board)
        .service(update_board)
        .service(delete_board)
        .service(list_audit);
}

async fn user_detail(
    state: &AppState,
    admin: &AdminAuth,
    user: identity::User,
) -> Result<AdminUserDetailDto, ApiError> {
    let board_ids = state.boards.memberships(Some(admin.actor()), user.id).await?;
    Ok(AdminUserDetailDto { user: user.into(), board_ids })
}

operation_errors!(ListUsersErrors: AuthAdminRequired);

/// Users in id order, optionally searched by name or email. Pages walk every user exactly
/// once even while users sign up.
#[utoipa::path(
    tag = "admin",
    params(AdminUsersQuery),
    responses(
        (status = 200, body = PageDto<AdminUserDto>),
        ListUsersErrors,
    )
)]
#[get("/admin/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    query: QueryParams<AdminUsersQuery>,
) -> Result<web::Json<PageDto<AdminUserDto>>, ApiError> {
    let query = query.0;
    let q = query.q.as_deref().map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
    let scope = users_scope(q.as_deref().unwrap_or(""));
    let page = page_request(&state.cursors, &scope, query.limit, query.cursor.as_deref())?;
    let users = state.accounts.list_users(UserFilter { q }, page).await?;
    Ok(web::Json(PageDto::from_page(users, &state.cursors, &scope, AdminUserDto::from)))
}

operation_errors!(GetUserErrors: AuthAdminRequired, UserNotFound);

/// One user, with the restricted boards it is a member of.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, body = AdminUserDetailDto),
        GetUserErrors,
    )
)]
#[get("/admin/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    admin: AdminAuth,
    id: web::Path<i64>,
) -> Result<web::Json<AdminUserDetailDto>, ApiError> {
    let user = state.accounts.profile(id.into_inner()).await?;
    Ok(web::Json(user_detail(&state, &admin, user).await?))
}

operation_errors!(ModerateUserErrors: AuthAdminRequired, AdminSelfModeration, UserNotFound);

/// Bans or unbans, deactivates or reactivates a user. A ban or a deactivation ends every
/// session of the user at once: its tokens fail on their next request. An admin cannot
/// ban or deactivate themself. Only real changes are made and recorded in the audit trail.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UserModerationRequest,
    responses(
        (status = 200, body = AdminUserDetailDto),
        ModerateUserErrors,
    )
)]
#[patch("/admin/users/{id}")]
pub async fn moderate_user(
    state: web::Data<AppState>,
    admin: AdminAuth,
    id: web::Path<i64>,
    body: JsonBody<UserModerationRequest>,
) -> Result<web::Json<AdminUserDetailDto>, ApiError> {
    let body = body.0;
    let user = state.accounts.moderate(Some(admin.actor()), id.into_inner(), body.is_banned, body.is_active).await?;
    Ok(web::Json(user_detail(&state, &admin, user).await?))
}

operation_errors!(ReplaceUserBoardsErrors: AuthAdminRequired, UserNotFound);

/// Replaces the user's memberships of restricted boards. Public boards need no membership
/// and are refused, like unknown boards, with 422 naming them.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UserBoardsRequest,
    responses(
        (status = 200, body = AdminUserDetailDto),
        ReplaceUserBoardsErrors,
    )
)]
#[put("/admin/users/{id}/boards")]
pub async fn replace_user_boards(
    state: web::Data<AppState>,
    admin: AdminAuth,
    id: web::Path<i64>,
    body: JsonBody<UserBoardsRequest>,
) -> Result<web::Json<AdminUserDetailDto>, ApiError> {
    let id = id.into_inner();
    let board_ids = state.boards.replace_memberships(Some(admin.actor()), id, &body.0.board_ids).await?;
    let user = state.accounts.profile(id).await?;
    Ok(web::Json(AdminUserDetailDto { user: user.into(), board_ids }))
}

operation_errors!(ListBoardsErrors: AuthAdminRequired);

/// Every board, hidden and deleted ones too, in id order, with its members.
#[utoipa::path(
    tag = "admin",
    operation_id = "list_all_boards",
    params(PageQuery),
    responses(
        (status = 200, body = PageDto<AdminBoardDto>),
        ListBoardsErrors,
    )
)]
#[get("/admin/boards")]
pub async fn list_boards(
    state: web::Data<AppState>,
    admin: AdminAuth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<AdminBoardDto>>, ApiError> {
    let page = query.0.request(&state.cursors, BOARDS_SCOPE)?;
    let boards = state.boards.list_all(Some(admin.actor()), page).await?;
    Ok(web::Json(PageDto::from_page(boards, &state.cursors, BOARDS_SCOPE, AdminBoardDto::from)))
}

operation_errors!(CreateBoardErrors: AuthAdminRequired, BoardNameTaken);

/// Creates a board (by default public, visible and open) with its members.
#[utoipa::path(
    tag = "admin",
    request_body = BoardCreateRequest,
    responses(
        (status = 201, body = AdminBoardDto),
        CreateBoardErrors,
    )
)]
#[post("/admin/boards")]
pub async fn create_board(
    state: web::Data<AppState>,
    admin: AdminAuth,
    body: JsonBody<BoardCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let board = state.boards.create_board(Some(admin.actor()), body.0.into()).await?;
    Ok(HttpResponse::Created().json(AdminBoardDto::from(board)))
}

operation_errors!(UpdateBoardErrors: AuthAdminRequired, BoardNotFound, BoardNameTaken);

/// Changes any field of a board; `member_ids` replaces its members. Setting `is_visible`
/// or `is_available` to true restores a deleted board (clears its `delete_date`).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The board's id")),
    request_body = BoardUpdateRequest,
    responses(
        (status = 200, body = AdminBoardDto),
        UpdateBoardErrors,
    )
)]
#[patch("/admin/boards/{id}")]
pub async fn update_board(
    state: web::Data<AppState>,
    admin: AdminAuth,
    id: web::Path<i64>,
    body: JsonBody<BoardUpdateRequest>,
) -> Result<web::Json<AdminBoardDto>, ApiError> {
    let board = state.boards.update_board(Some(admin.actor()), id.into_inner(), body.0.into()).await?;
    Ok(web::Json(board.into()))
}

operation_errors!(DeleteBoardErrors: AuthAdminRequired, BoardNotFound);

/// Deletes a board softly: it becomes hidden and closed and gets a `delete_date`; its posts
/// are kept, and a PATCH can restore it. Deleting a deleted board changes nothing.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The board's id")),
    responses(
        (status = 204, description = "Deleted"),
        DeleteBoardErrors,
    )
)]
#[delete("/admin/boards/{id}")]
pub async fn delete_board(
    state: web::Data<AppState>,
    admin: AdminAuth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.boards.delete_board(Some(admin.actor()), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

operation_errors!(ListAuditErrors: AuthAdminRequired);

/// The audit trail of admin actions (API and `admin-cli`), newest first.
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    responses(
        (status = 200, body = PageDto<AuditEntryDto>),
        ListAuditErrors,
    )
)]
#[get("/admin/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<AuditEntryDto>>, ApiError> {
    let page = query.0.request(&state.cursors, AUDIT_SCOPE)?;
    let entries = state.audit.list(page).await.map_err(ApiError::from)?;
    Ok(web::Json(PageDto::from_page(entries, &state.cursors, AUDIT_SCOPE, AuditEntryDto::from)))
}
