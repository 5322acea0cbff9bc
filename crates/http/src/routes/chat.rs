//! Chat over REST: sessions, their messages, and the tickets that open a WebSocket.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chat::service::{NewSessionInput, SessionUpdateInput};
use chat::{AssigneeFilter, MessageOrder};
use kernel::{Actor, FieldErrors};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::chat::{
    CreateSessionRequest, MessageDto, MessageListQuery, MessageRequest, SessionDto, SessionListQuery, TicketResponse,
    UpdateSessionRequest,
};
use crate::errors::docs::operation_errors;
use crate::extract::{Auth, JsonBody, PageDto, QueryParams, page_request};
use crate::problem::ApiError;
use crate::state::AppState;

/// Registers the chat routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_session)
        .service(list_sessions)
        .service(get_session)
        .service(update_session)
        .service(delete_session)
        .service(list_messages)
        .service(post_message)
        .service(edit_message)
        .service(delete_message)
        .service(ws_ticket)
        .service(crate::routes::chat_ws::connect);
}

fn assignee_filter(actor: &Actor, raw: Option<&str>) -> Result<Option<AssigneeFilter>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|raw| !raw.is_empty()) else {
        return Ok(None);
    };
    Ok(Some(match raw {
        "me" => AssigneeFilter::User(actor.id),
        "none" => AssigneeFilter::Unassigned,
        id => AssigneeFilter::User(
            id.parse().map_err(|_| FieldErrors::single("assignee", "must be \"me\", \"none\" or a user id"))?,
        ),
    }))
}

/// Opens a session with the admins. Its members are the caller and the listed users; it is
/// assigned to the admin with the fewest open sessions (`assignee_id` is `null` when there
/// is no admin).
#[utoipa::path(
    tag = "chat",
    request_body = CreateSessionRequest,
    responses(
        (status = 201, body = SessionDto),
    )
)]
#[post("/chat/sessions")]
pub async fn create_session(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let input = NewSessionInput {
        name: body.name,
        information: body.information,
        member_ids: body.member_ids.unwrap_or_default(),
    };
    let session = state.chat.create_session(auth.actor(), input).await?;
    Ok(HttpResponse::Created().json(SessionDto::from(session)))
}

/// Sessions the caller is a member of, newest first; admins see every session. Filter with
/// `assignee=me` (or `none`, or an admin's id) and `closed=false`.
#[utoipa::path(
    tag = "chat",
    params(SessionListQuery),
    responses(
        (status = 200, body = PageDto<SessionDto>),
    )
)]
#[get("/chat/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    auth: Auth,
    query: QueryParams<SessionListQuery>,
) -> Result<web::Json<PageDto<SessionDto>>, ApiError> {
    let query = query.0;
    let assignee = assignee_filter(auth.actor(), query.assignee.as_deref())?;
    let scope = format!(
        "chat_sessions:assignee={}:closed={}",
        query.assignee.as_deref().unwrap_or("").trim(),
        query.closed.map_or("any", |c| if c { "true" } else { "false" })
    );
    let page = page_request(&state.cursors, &scope, query.limit, query.cursor.as_deref())?;
    let sessions = state.chat.list_sessions(auth.actor(), assignee, query.closed, page).await?;
    Ok(web::Json(PageDto::from_page(sessions, &state.cursors, &scope, SessionDto::from)))
}

operation_errors!(GetSessionErrors: ChatForbidden, ChatSessionNotFound);

/// A session with its members.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 200, body = SessionDto),
        GetSessionErrors,
    )
)]
#[get("/chat/sessions/{id}")]
pub async fn get_session(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<web::Json<SessionDto>, ApiError> {
    Ok(web::Json(state.chat.session(auth.actor(), id.into_inner()).await?.into()))
}

operation_errors!(UpdateSessionErrors: ChatForbidden, AuthAdminRequired, ChatSessionNotFound);

/// Renames, closes, reopens or re-lists the members of a session (its creator or an admin),
/// or reassigns it (admins only). Closing ends its sockets; removed members' sockets end.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Session id")),
    request_body = UpdateSessionRequest,
    responses(
        (status = 200, body = SessionDto),
        UpdateSessionErrors,
    )
)]
#[patch("/chat/sessions/{id}")]
pub async fn update_session(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: JsonBody<UpdateSessionRequest>,
) -> Result<web::Json<SessionDto>, ApiError> {
    let body = body.0;
    let input = SessionUpdateInput {
        name: body.name,
        information: body.information,
        is_closed: body.is_closed,
        assignee_id: body.assignee_id,
        member_ids: body.member_ids,
    };
    Ok(web::Json(state.chat.update_session(auth.actor(), id.into_inner(), input).await?.into()))
}

operation_errors!(DeleteSessionErrors: ChatForbidden, ChatSessionNotFound);

/// Deletes a session (its creator or an admin): its sockets end, and it and its messages
/// are 404 from now on.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 204, description = "Deleted"),
        DeleteSessionErrors,
    )
)]
#[delete("/chat/sessions/{id}")]
pub async fn delete_session(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.chat.delete_session(auth.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

operation_errors!(ListMessagesErrors: ChatForbidden, ChatSessionNotFound);

/// The session's messages, newest first. After a reconnect, fetch what was missed with
/// `?after=<id of the last message seen>`: messages above that id, oldest first, paged
/// with `next_cursor` until it is `null`. A socket open before that request misses nothing
/// stored after its first frame was answered, so the two together are complete.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Session id"), MessageListQuery),
    responses(
        (status = 200, body = PageDto<MessageDto>),
        ListMessagesErrors,
    )
)]
#[get("/chat/sessions/{id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    query: QueryParams<MessageListQuery>,
) -> Result<web::Json<PageDto<MessageDto>>, ApiError> {
    let session_id = id.into_inner();
    let query = query.0;
    let (order, scope) = match query.after {
        Some(after) => (MessageOrder::OldestAfter(after), format!("chat_messages:session={session_id}:after={after}")),
        None => (MessageOrder::NewestFirst, format!("chat_messages:session={session_id}:newest")),
    };
    let page = page_request(&state.cursors, &scope, query.limit, query.cursor.as_deref())?;
    let messages = state.chat.messages(auth.actor(), session_id, order, page).await?;
    Ok(web::Json(PageDto::from_page(messages, &state.cursors, &scope, MessageDto::from)))
}

operation_errors!(PostMessageErrors: ChatForbidden, ChatSessionNotFound, ChatSessionClosed);

/// Posts a message: it is stored, then delivered live to every socket of the session (the
/// author's included), on every instance.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Session id")),
    request_body = MessageRequest,
    responses(
        (status = 201, body = MessageDto),
        PostMessageErrors,
    )
)]
#[post("/chat/sessions/{id}/messages")]
pub async fn post_message(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: JsonBody<MessageRequest>,
) -> Result<HttpResponse, ApiError> {
    let message = state.chat.post_message(auth.actor(), id.into_inner(), &body.0.content).await?;
    Ok(HttpResponse::Created().json(MessageDto::from(message)))
}

operation_errors!(EditMessageErrors: ChatForbidden, ChatMessageNotFound, ChatSessionClosed);

/// Edits a message (its author only, while the session is open); sockets get an `edited`
/// frame with the whole message.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Message id")),
    request_body = MessageRequest,
    responses(
        (status = 200, body = MessageDto),
        EditMessageErrors,
    )
)]
#[patch("/chat/messages/{id}")]
pub async fn edit_message(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: JsonBody<MessageRequest>,
) -> Result<web::Json<MessageDto>, ApiError> {
    Ok(web::Json(state.chat.edit_message(auth.actor(), id.into_inner(), &body.0.content).await?.into()))
}

operation_errors!(DeleteMessageErrors: ChatForbidden, ChatMessageNotFound);

/// Deletes a message (its author or an admin); sockets get a `deleted` frame.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Message id")),
    responses(
        (status = 204, description = "Deleted"),
        DeleteMessageErrors,
    )
)]
#[delete("/chat/messages/{id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.chat.delete_message(auth.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A single-use ticket that opens one chat WebSocket as the caller (browsers cannot set an
/// `Authorization` header on a WebSocket). Any instance redeems it.
#[utoipa::path(
    tag = "chat",
    responses(
        (status = 200, body = TicketResponse),
    )
)]
#[post("/chat/ws-ticket")]
pub async fn ws_ticket(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let ticket = state.chat.issue_ticket(auth.actor()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(TicketResponse::from(ticket)))
}
