//! Boards as users see them: the ones they may read, and where they may write.

use actix_web::{get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::boards::BoardDto;
use crate::errors::docs::operation_errors;
use crate::extract::{Auth, PageDto, PageQuery, QueryParams};
use crate::problem::ApiError;
use crate::state::AppState;

const BOARDS_SCOPE: &str = "boards:readable:order=id";
const MY_BOARDS_SCOPE: &str = "users/me/boards:order=id";

/// Registers the board routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_boards).service(get_board).service(my_boards);
}

async fn readable_page(
    state: &AppState,
    auth: &Auth,
    query: &PageQuery,
    scope: &str,
) -> Result<PageDto<BoardDto>, ApiError> {
    let page = query.request(&state.cursors, scope)?;
    let boards = state.boards.list_readable(auth.actor(), page).await?;
    Ok(PageDto::from_page(boards, &state.cursors, scope, BoardDto::from))
}

/// The boards the caller may read, in id order: visible boards that are public or that the
/// caller is a member of. Admins, who may do everything everywhere, get every board,
/// hidden and deleted ones included.
#[utoipa::path(
    tag = "boards",
    params(PageQuery),
    responses(
        (status = 200, body = PageDto<BoardDto>),
    )
)]
#[get("/boards")]
pub async fn list_boards(
    state: web::Data<AppState>,
    auth: Auth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<BoardDto>>, ApiError> {
    Ok(web::Json(readable_page(&state, &auth, &query.0, BOARDS_SCOPE).await?))
}

operation_errors!(GetBoardErrors: BoardForbidden, BoardNotFound);

/// One board, with whether the caller may write in it.
#[utoipa::path(
    tag = "boards",
    params(("id" = i64, Path, description = "The board's id")),
    responses(
        (status = 200, body = BoardDto),
        GetBoardErrors,
    )
)]
#[get("/boards/{id}")]
pub async fn get_board(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<web::Json<BoardDto>, ApiError> {
    Ok(web::Json(state.boards.board(auth.actor(), id.into_inner()).await?.into()))
}

/// The caller's board permissions: every board it may read, each with `can_write` (false
/// where the board is closed).
#[utoipa::path(
    tag = "boards",
    params(PageQuery),
    responses(
        (status = 200, body = PageDto<BoardDto>),
    )
)]
#[get("/users/me/boards")]
pub async fn my_boards(
    state: web::Data<AppState>,
    auth: Auth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<BoardDto>>, ApiError> {
    Ok(web::Json(readable_page(&state, &auth, &query.0, MY_BOARDS_SCOPE).await?))
}
