//! Posts on boards: list, write, read (counting a view), edit, delete, like.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use board::PostFilter;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::posts::{NewPostRequest, PostDto, PostListQuery, PostPatchRequest, PostSummaryDto};
use crate::errors::docs::operation_errors;
use crate::extract::{Auth, JsonBody, PageDto, QueryParams, page_request};
use crate::problem::ApiError;
use crate::state::AppState;

/// Registers the post routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_posts)
        .service(create_post)
        .service(get_post)
        .service(update_post)
        .service(delete_post)
        .service(like_post)
        .service(unlike_post);
}

/// The cursor scope of one board's list in one order and filter: a cursor of another list
/// is refused.
fn list_scope(board_id: i64, filter: &PostFilter) -> String {
    format!("posts:board={board_id}:sort={}:q={}", filter.sort.as_str(), filter.q.as_deref().unwrap_or(""))
}

operation_errors!(ListPostsErrors: BoardForbidden, BoardNotFound);

/// A page of a board's posts: newest first, or by likes or views (ties newest first),
/// optionally only those whose title or content contains `q` (case-insensitive).
#[utoipa::path(
    tag = "posts",
    params(("id" = i64, Path, description = "The board"), PostListQuery),
    responses(
        (status = 200, body = PageDto<PostSummaryDto>),
        ListPostsErrors,
    )
)]
#[get("/boards/{id}/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    query: QueryParams<PostListQuery>,
) -> Result<web::Json<PageDto<PostSummaryDto>>, ApiError> {
    let board_id = path.into_inner();
    let query = query.0;
    let filter = PostFilter::parse(query.sort.as_deref(), query.q.as_deref())?;
    let scope = list_scope(board_id, &filter);
    let page = page_request(&state.cursors, &scope, query.limit, query.cursor.as_deref())?;
    let posts = state.posts.list(auth.actor(), board_id, filter, page).await?;
    Ok(web::Json(PageDto::from_page(posts, &state.cursors, &scope, PostSummaryDto::from)))
}

operation_errors!(CreatePostErrors: BoardForbidden, BoardClosed, BoardNotFound);

/// Writes a post on a board the caller may write in.
#[utoipa::path(
    tag = "posts",
    params(("id" = i64, Path, description = "The board")),
    request_body = NewPostRequest,
    responses(
        (status = 201, body = PostDto),
        CreatePostErrors,
    )
)]
#[post("/boards/{id}/posts")]
pub async fn create_post(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<NewPostRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let post = state.posts.create(auth.actor(), path.into_inner(), &body.title, &body.content).await?;
    Ok(HttpResponse::Created().json(PostDto::from(post)))
}

operation_errors!(GetPostErrors: BoardForbidden, PostNotFound, BoardNotFound);

/// Reads a post with its files and whether the caller likes it. Counts one view, which the
/// returned `number_of_view` includes.
#[utoipa::path(
    tag = "posts",
    params(("id" = i64, Path, description = "The post")),
    responses(
        (status = 200, body = PostDto),
        GetPostErrors,
    )
)]
#[get("/posts/{id}")]
pub async fn get_post(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<web::Json<PostDto>, ApiError> {
    let post = state.posts.read(auth.actor(), path.into_inner()).await?;
    Ok(web::Json(post.into()))
}

operation_errors!(UpdatePostErrors: PostNotOwner, BoardForbidden, BoardClosed, PostNotFound, BoardNotFound);

/// Edits a post's title and/or content: its author or an admin.
#[utoipa::path(
    tag = "posts",
    params(("id" = i64, Path, description = "The post")),
    request_body = PostPatchRequest,
    responses(
        (status = 200, body = PostDto),
        UpdatePostErrors,
    )
)]
#[patch("/posts/{id}")]
pub async fn update_post(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<PostPatchRequest>,
) -> Result<web::Json<PostDto>, ApiError> {
    let body = body.0;
    let post =
        state.posts.update(auth.actor(), path.into_inner(), body.title.as_deref(), body.content.as_deref()).await?;
    Ok(web::Json(post.into()))
}

operation_errors!(DeletePostErrors: PostNotOwner, BoardForbidden, BoardClosed, PostNotFound, BoardNotFound);

/// Deletes a post, its comments and files disappearing with it: its author or an admin.
#[utoipa::path(
    tag = "posts",
    params(("id" = i64, Path, description = "The post")),
    responses(
        (status = 204, description = "Deleted"),
        DeletePostErrors,
    )
)]
#[delete("/posts/{id}")]
pub async fn delete_post(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.posts.delete(auth.actor(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

operation_errors!(LikePostErrors: BoardForbidden, BoardClosed, PostNotFound, BoardNotFound);

/// Likes a post. Idempotent: one like per user.
#[utoipa::path(
    tag = "posts",
    params(("id" = i64, Path, description = "The post")),
    responses(
        (status = 204, description = "The caller likes the post"),
        LikePostErrors,
    )
)]
#[put("/posts/{id}/like")]
pub async fn like_post(state: web::Data<AppState>, auth: Auth, path: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    state.posts.like(auth.actor(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

operation_errors!(UnlikePostErrors: BoardForbidden, BoardClosed, PostNotFound, BoardNotFound);

/// Takes a like back. Idempotent.
#[utoipa::path(
    tag = "posts",
    params(("id" = i64, Path, description = "The post")),
    responses(
        (status = 204, description = "The caller does not like the post"),
        UnlikePostErrors,
    )
)]
#[delete("/posts/{id}/like")]
pub async fn unlike_post(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.posts.unlike(auth.actor(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
