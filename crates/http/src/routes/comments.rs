//! Comments on posts: list (oldest first), write, edit, delete.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::posts::{CommentDto, CommentRequest};
use crate::errors::docs::operation_errors;
use crate::extract::{Auth, JsonBody, PageDto, PageQuery, QueryParams};
use crate::problem::ApiError;
use crate::state::AppState;

/// Registers the comment routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_comments).service(create_comment).service(update_comment).service(delete_comment);
}

operation_errors!(ListCommentsErrors: BoardForbidden, PostNotFound, BoardNotFound);

/// A page of a post's comments, oldest first.
#[utoipa::path(
    tag = "comments",
    params(("id" = i64, Path, description = "The post"), PageQuery),
    responses(
        (status = 200, body = PageDto<CommentDto>),
        ListCommentsErrors,
    )
)]
#[get("/posts/{id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<CommentDto>>, ApiError> {
    let post_id = path.into_inner();
    let scope = format!("comments:post={post_id}");
    let page = query.0.request(&state.cursors, &scope)?;
    let comments = state.comments.list(auth.actor(), post_id, page).await?;
    Ok(web::Json(PageDto::from_page(comments, &state.cursors, &scope, CommentDto::from)))
}

operation_errors!(CreateCommentErrors: BoardForbidden, BoardClosed, PostNotFound, BoardNotFound);

/// Comments on a post; its `number_of_comment` rises by one.
#[utoipa::path(
    tag = "comments",
    params(("id" = i64, Path, description = "The post")),
    request_body = CommentRequest,
    responses(
        (status = 201, body = CommentDto),
        CreateCommentErrors,
    )
)]
#[post("/posts/{id}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let comment = state.comments.create(auth.actor(), path.into_inner(), &body.0.content).await?;
    Ok(HttpResponse::Created().json(CommentDto::from(comment)))
}

operation_errors!(UpdateCommentErrors: CommentNotOwner, BoardForbidden, BoardClosed, CommentNotFound, BoardNotFound);

/// Replaces a comment's content: its author or an admin.
#[utoipa::path(
    tag = "comments",
    params(("id" = i64, Path, description = "The comment")),
    request_body = CommentRequest,
    responses(
        (status = 200, body = CommentDto),
        UpdateCommentErrors,
    )
)]
#[patch("/comments/{id}")]
pub async fn update_comment(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
    body: JsonBody<CommentRequest>,
) -> Result<web::Json<CommentDto>, ApiError> {
    let comment = state.comments.update(auth.actor(), path.into_inner(), &body.0.content).await?;
    Ok(web::Json(comment.into()))
}

operation_errors!(DeleteCommentErrors: CommentNotOwner, BoardForbidden, BoardClosed, CommentNotFound, BoardNotFound);

/// Deletes a comment; its post's `number_of_comment` falls by one. Its author or an admin.
#[utoipa::path(
    tag = "comments",
    params(("id" = i64, Path, description = "The comment")),
    responses(
        (status = 204, description = "Deleted"),
        DeleteCommentErrors,
    )
)]
#[delete("/comments/{id}")]
pub async fn delete_comment(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.comments.delete(auth.actor(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
