//! The chat WebSocket handshake: origin, credentials and membership are checked before the
//! upgrade, so a refused client gets a problem document and no socket.

use actix_web::{HttpRequest, HttpResponse, get, web};
use kernel::Actor;

use crate::dto::chat::SocketQuery;
use crate::errors::ErrorCode;
use crate::errors::docs::operation_errors;
use crate::extract::QueryParams;
use crate::extract::auth::bearer_token;
use crate::middleware::cors::origin_forbidden;
use crate::problem::ApiError;
use crate::socket::{ChatSocket, MAX_FRAME_BYTES, OpenSocket};
use crate::state::AppState;

async fn socket_actor(state: &AppState, req: &HttpRequest, query: &SocketQuery) -> Result<Actor, ApiError> {
    if let Some(ticket) = query.ticket.as_deref().filter(|t| !t.is_empty()) {
        let user_id = state.chat.redeem_ticket(ticket).await?;
        return Ok(state.accounts.active_actor(user_id).await?);
    }
    let token = bearer_token(req).ok_or_else(|| {
        ApiError::unauthorized(ErrorCode::AuthTokenMissing, "Send a ticket as ?ticket= or a bearer token.")
    })?;
    Ok(state.accounts.authenticate(&token).await?.actor)
}

operation_errors!(ConnectErrors: ChatWebsocketExpected, ChatTicketInvalid, AuthOriginForbidden, ChatForbidden, ChatSessionNotFound, ChatSessionClosed);

/// Opens the live chat of a session (members and admins) as a WebSocket.
///
/// Authenticate with `?ticket=` (from `POST /chat/ws-ticket`; single use) or an
/// `Authorization: Bearer` header. A browser handshake from an origin that is neither this
/// server's nor listed in `APP__SERVER__CORS_ORIGINS` is refused.
///
/// Frames are JSON text. Client: `{"type":"message","content":"..."}` (1..256 characters)
/// and `{"type":"ping"}`. Server: `{"type":"message","id","session_id","user_id","user_name",
/// "content","create_date","update_date"}`, `{"type":"edited",...}` (the whole message),
/// `{"type":"deleted","id","session_id"}`, `{"type":"join"|"leave","session_id","user_id",
/// "user_name"}`, `{"type":"pong"}` and `{"type":"error","code","detail"}` with codes
/// `chat.invalid_frame`, `chat.invalid_content`, `chat.rate_limited`, `server.unavailable`.
///
/// Every message (from a socket or `POST .../messages`) is stored, then delivered to every
/// socket of the session, the sender's included. Once the server has answered a socket's
/// first frame (a `ping` gets `pong`), the socket receives every message stored after it;
/// after a reconnect, fetch what was missed with `GET .../messages?after=<last id seen>`.
/// A bad frame gets an error frame and the socket stays open. The socket ends with a close
/// frame and reason when the session is closed (1000) or deleted (1000), when the user is
/// removed from it, banned or deactivated (1008), on a frame over 64 KiB (1009), when the
/// server shuts down (1001), or when live delivery was interrupted (1012: reconnect). Idle
/// sockets are pinged and dropped when they stop answering; a client that does not read
/// its frames fast enough is dropped.
#[utoipa::path(
    tag = "chat",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(("id" = i64, Path, description = "Session id"), SocketQuery),
    responses(
        (status = 101, description = "Switching Protocols: the WebSocket is open"),
        ConnectErrors,
    )
)]
#[get("/chat/sessions/{id}/ws")]
pub async fn connect(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    query: QueryParams<SocketQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if state.client.origin(&req).is_forbidden() {
        return Err(origin_forbidden());
    }
    // The handshake is checked first so that a request that could never upgrade does not
    // spend a ticket; nothing is sent until the checks below pass.
    let (response, session, stream) = actix_ws::handle(&req, body).map_err(|err| {
        ApiError::new(ErrorCode::ChatWebsocketExpected, format!("This route opens a WebSocket: {err}"))
    })?;
    let actor = socket_actor(&state, &req, &query.0).await?;
    if state.shutdown.is_started() {
        return Err(ApiError::new(ErrorCode::ServerUnavailable, "The server is shutting down; connect again shortly."));
    }
    let session_id = id.into_inner();
    let grant = state.chat.open_socket(&actor, session_id).await?;
    let open = OpenSocket::new(state.chat_users.clone(), actor.id);
    let socket = ChatSocket {
        chat: state.chat.clone(),
        actor,
        session_id,
        subscription: grant.subscription,
        session,
        stream: stream.max_frame_size(MAX_FRAME_BYTES),
        settings: state.chat_sockets.clone(),
        shutdown: state.shutdown.clone(),
        open,
    };
    actix_web::rt::spawn(socket.run());
    Ok(response)
}
