//! The registry of every problem `code` the API and the chat WebSocket can answer: one entry
//! per code, with its HTTP status, a short title and when it happens. `ApiError` and the
//! socket's error frames are built only from these entries, and the OpenAPI document lists
//! them (per operation, and whole at `GET /api-docs/errors`). Codes are a contract: an
//! entry's spelling never changes.

use actix_web::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a code is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// In a problem document of an operation of the OpenAPI document.
    Problem,
    /// In an `{"type":"error"}` frame of the chat WebSocket (its status is the nearest
    /// HTTP equivalent; no response carries it).
    Frame,
    /// In a problem document of an operation and in a WebSocket error frame.
    Both,
    /// In a problem document for a request no operation handles (an unknown path, or an
    /// error raised by the framework before any handler ran).
    Fallback,
}

macro_rules! registry {
    ($( $variant:ident = ($code:literal, $status:ident, $channel:ident, $title:literal, $meaning:literal) ),+ $(,)?) => {
        /// A problem code of the API. See the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( #[doc = $meaning] $variant, )+
        }

        impl ErrorCode {
            /// Every entry, in registry order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The stable machine-readable code, such as `user.name_taken`.
            pub const fn code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)+ }
            }

            /// The HTTP status of a problem with this code.
            pub const fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)+ }
            }

            /// Where the code is answered.
            pub const fn channel(self) -> Channel {
                match self { $(ErrorCode::$variant => Channel::$channel,)+ }
            }

            /// A short summary of the problem, the same for every occurrence.
            pub const fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)+ }
            }

            /// One line saying when the code is answered.
            pub const fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)+ }
            }
        }
    };
}

registry! {
    // ---- the request itself -------------------------------------------------------
    RequestValidationFailed = ("request.validation_failed", UNPROCESSABLE_ENTITY, Problem, "Invalid fields",
        "A field of the body or the query is missing, of the wrong type or out of its limits; `errors` names each field."),
    RequestMalformedJson = ("request.malformed_json", BAD_REQUEST, Problem, "Malformed JSON",
        "The body is not syntactically valid JSON."),
    RequestMalformedBody = ("request.malformed_body", BAD_REQUEST, Problem, "Unreadable body",
        "The body could not be read to its end (the connection broke or the encoding is wrong)."),
    RequestMalformedMultipart = ("request.malformed_multipart", BAD_REQUEST, Problem, "Malformed multipart body",
        "A multipart upload (attachments, datasets) cannot be parsed as multipart/form-data."),
    RequestUnsupportedMediaType = ("request.unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, Problem, "Unsupported media type",
        "The body's Content-Type is not one the operation reads (JSON, a form, or multipart/form-data)."),
    RequestTooLarge = ("request.too_large", PAYLOAD_TOO_LARGE, Problem, "Body too large",
        "The body exceeds the server's body limit."),
    RequestRateLimited = ("request.rate_limited", TOO_MANY_REQUESTS, Problem, "Too many attempts",
        "Too many attempts from this address; wait the `Retry-After` seconds."),
    RequestBadRequest = ("request.bad_request", BAD_REQUEST, Fallback, "Bad request",
        "The framework refused the request before any handler ran."),
    RequestError = ("request.error", BAD_REQUEST, Fallback, "Request error",
        "Another client error raised by the framework; the status says which."),
    PaginationInvalidCursor = ("pagination.invalid_cursor", BAD_REQUEST, Problem, "Invalid cursor",
        "The `cursor` is not one this server made for this list (with these filters)."),
    RouteNotFound = ("route.not_found", NOT_FOUND, Problem, "No such resource",
        "No resource exists at this path (an unknown path, or a path id that is not a number)."),
    RouteMethodNotAllowed = ("route.method_not_allowed", METHOD_NOT_ALLOWED, Fallback, "Method not allowed",
        "The path exists but not with this method; `Allow` lists the methods."),

    // ---- authentication and authorisation ----------------------------------------
    AuthTokenMissing = ("auth.token_missing", UNAUTHORIZED, Problem, "Token missing",
        "The operation needs a bearer token (or, for refresh, the refresh cookie) and none was sent."),
    AuthTokenInvalid = ("auth.token_invalid", UNAUTHORIZED, Problem, "Token invalid",
        "The token is forged, malformed or of the wrong type."),
    AuthTokenExpired = ("auth.token_expired", UNAUTHORIZED, Problem, "Token expired",
        "The token's lifetime is over; refresh it or log in again."),
    AuthTokenRevoked = ("auth.token_revoked", UNAUTHORIZED, Problem, "Token revoked",
        "The token was revoked by a logout, a password change or a deactivation."),
    AuthRefreshReused = ("auth.refresh_reused", UNAUTHORIZED, Problem, "Refresh token reused",
        "A spent refresh token was presented again; its whole family is now revoked."),
    AuthInvalidCredentials = ("auth.invalid_credentials", UNAUTHORIZED, Problem, "Invalid credentials",
        "Login with an unknown user, a wrong password or a deactivated account."),
    AuthWrongPassword = ("auth.wrong_password", UNAUTHORIZED, Problem, "Wrong password",
        "The password given to confirm a change of the caller's own account is wrong."),
    AuthResetTokenInvalid = ("auth.reset_token_invalid", BAD_REQUEST, Problem, "Reset token invalid",
        "The password-reset token is spent, expired or forged."),
    AuthAdminRequired = ("auth.admin_required", FORBIDDEN, Problem, "Administrators only",
        "The operation (or the option used) is for administrators."),
    AuthOriginForbidden = ("auth.origin_forbidden", FORBIDDEN, Problem, "Origin forbidden",
        "A cookie-authenticated request, preflight or WebSocket handshake came from an origin that is not allowed."),
    AuthUnauthorized = ("auth.unauthorized", UNAUTHORIZED, Fallback, "Unauthorized",
        "The framework refused the request as unauthenticated before any handler ran."),
    AuthForbidden = ("auth.forbidden", FORBIDDEN, Fallback, "Forbidden",
        "The framework refused the request as forbidden before any handler ran."),

    // ---- accounts ----------------------------------------------------------------
    UserNameTaken = ("user.name_taken", CONFLICT, Problem, "Name taken",
        "Another account has this name (names are compared case-insensitively)."),
    UserEmailTaken = ("user.email_taken", CONFLICT, Problem, "Email taken",
        "Another account has this email address."),
    UserBanned = ("user.banned", FORBIDDEN, Problem, "Account banned",
        "The caller's account is banned."),
    UserDeactivated = ("user.deactivated", UNAUTHORIZED, Problem, "Account deactivated",
        "The caller's account is deactivated; its tokens no longer work."),
    UserNotFound = ("user.not_found", NOT_FOUND, Problem, "User not found",
        "No user has this id."),
    SessionNotFound = ("session.not_found", NOT_FOUND, Problem, "Session not found",
        "No live sign-in of the caller has this id (another user's is not revealed)."),
    AdminSelfModeration = ("admin.self_moderation", FORBIDDEN, Problem, "Self-moderation",
        "An administrator tried to ban, deactivate or demote their own account."),

    // ---- boards, posts, comments, attachments -------------------------------------
    BoardNotFound = ("board.not_found", NOT_FOUND, Problem, "Board not found",
        "No board with this id is visible to the caller."),
    BoardForbidden = ("board.forbidden", FORBIDDEN, Problem, "Board restricted",
        "The board is restricted and the caller is not one of its members."),
    BoardClosed = ("board.closed", FORBIDDEN, Problem, "Board closed",
        "The board is closed: readable, but only administrators may write in it."),
    BoardNameTaken = ("board.name_taken", CONFLICT, Problem, "Board name taken",
        "Another board has this name."),
    PostNotFound = ("post.not_found", NOT_FOUND, Problem, "Post not found",
        "No post with this id is readable by the caller."),
    PostNotOwner = ("post.not_owner", FORBIDDEN, Problem, "Not the author",
        "Only the post's author may change it (and, for deletion, administrators)."),
    CommentNotFound = ("comment.not_found", NOT_FOUND, Problem, "Comment not found",
        "No comment with this id is readable by the caller."),
    CommentNotOwner = ("comment.not_owner", FORBIDDEN, Problem, "Not the author",
        "Only the comment's author may change it (and, for deletion, administrators)."),
    AttachmentNotFound = ("attachment.not_found", NOT_FOUND, Problem, "Attachment not found",
        "No attachment with this id is readable by the caller."),
    AttachmentNotOwner = ("attachment.not_owner", FORBIDDEN, Problem, "Not the uploader",
        "Only the attachment's uploader (or an administrator) may delete it."),
    UploadTooLarge = ("upload.too_large", PAYLOAD_TOO_LARGE, Problem, "File too large",
        "An uploaded file exceeds the per-file size limit."),
    UploadTooManyFiles = ("upload.too_many_files", UNPROCESSABLE_ENTITY, Problem, "Too many files",
        "The upload would give the post or comment more files than allowed."),
    UploadTypeMismatch = ("upload.type_mismatch", UNSUPPORTED_MEDIA_TYPE, Problem, "File type mismatch",
        "A file's bytes do not match its declared content type or extension, or the type is not allowed."),

    // ---- AI ----------------------------------------------------------------------
    AiModelNotFound = ("ai.model_not_found", NOT_FOUND, Problem, "Model not found",
        "No model with this id is usable by the caller."),
    AiModelNameTaken = ("ai.model_name_taken", CONFLICT, Problem, "Model name taken",
        "Another model has this name."),
    AiModelNotReady = ("ai.model_not_ready", CONFLICT, Problem, "Model not ready",
        "The model is not trained (or, for users, not available) and serves no inferences."),
    AiModelBusy = ("ai.model_busy", CONFLICT, Problem, "Model busy",
        "The model is already queued or training."),
    AiDatasetNameTaken = ("ai.dataset_name_taken", CONFLICT, Problem, "Dataset name taken",
        "Another dataset has this name."),
    AiDatasetInvalid = ("ai.dataset_invalid", UNPROCESSABLE_ENTITY, Problem, "Dataset invalid",
        "The CSV file is malformed or over the row or column limit; `errors.file` names the line and column."),
    AiDatasetTooLarge = ("ai.dataset_too_large", PAYLOAD_TOO_LARGE, Problem, "Dataset too large",
        "The CSV file exceeds the dataset size limit."),
    AiInferenceNotFound = ("ai.inference_not_found", NOT_FOUND, Problem, "Inference not found",
        "No inference job with this id is readable by the caller."),
    AiNotOwner = ("ai.not_owner", FORBIDDEN, Problem, "Not the owner",
        "Only the job's owner may change it."),
    AiQueueUnavailable = ("ai.queue_unavailable", SERVICE_UNAVAILABLE, Problem, "Job queue unavailable",
        "The job queue cannot be reached, so nothing was queued or changed; retry after `Retry-After`."),

    // ---- chat --------------------------------------------------------------------
    ChatSessionNotFound = ("chat.session_not_found", NOT_FOUND, Problem, "Session not found",
        "No chat session with this id is readable by the caller."),
    ChatMessageNotFound = ("chat.message_not_found", NOT_FOUND, Problem, "Message not found",
        "No message with this id exists in this session."),
    ChatForbidden = ("chat.forbidden", FORBIDDEN, Problem, "Not allowed in this session",
        "The caller is not a member of the session, or not the author of the message."),
    ChatSessionClosed = ("chat.session_closed", CONFLICT, Problem, "Session closed",
        "The session is closed and takes no new messages or sockets."),
    ChatTicketInvalid = ("chat.ticket_invalid", UNAUTHORIZED, Problem, "Ticket invalid",
        "The WebSocket ticket is forged, expired or already used."),
    ChatWebsocketExpected = ("chat.websocket_expected", BAD_REQUEST, Problem, "WebSocket expected",
        "The request to a WebSocket route is not a WebSocket handshake."),
    ChatInvalidFrame = ("chat.invalid_frame", BAD_REQUEST, Frame, "Invalid frame",
        "A WebSocket frame is not a JSON text frame of a known type."),
    ChatInvalidContent = ("chat.invalid_content", UNPROCESSABLE_ENTITY, Frame, "Invalid content",
        "A WebSocket message's content is blank or too long."),
    ChatRateLimited = ("chat.rate_limited", TOO_MANY_REQUESTS, Frame, "Too many messages",
        "The socket sent messages faster than allowed; the message was dropped."),

    // ---- the server --------------------------------------------------------------
    ServerInternal = ("server.internal", INTERNAL_SERVER_ERROR, Both, "Internal error",
        "An unexpected error; it is logged with the request id, which the problem carries."),
    ServerUnavailable = ("server.unavailable", SERVICE_UNAVAILABLE, Both, "Service unavailable",
        "A dependency (the database, the chat bus) is down or the server is shutting down; retry after `Retry-After`."),
}

impl ErrorCode {
    /// The entry of a code string, if the registry has one.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// Whether a problem document can carry this code.
    pub fn in_problems(self) -> bool {
        self.channel() != Channel::Frame
    }

    /// Whether a WebSocket error frame can carry this code.
    pub fn in_frames(self) -> bool {
        matches!(self.channel(), Channel::Frame | Channel::Both)
    }

    /// The entry as clients read it at `GET /api-docs/errors`.
    pub fn entry(self) -> ErrorCodeEntry {
        ErrorCodeEntry {
            code: self.code(),
            status: self.status().as_u16(),
            title: self.title(),
            description: self.meaning(),
            channel: self.channel(),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// One entry of the registry of problem codes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorCodeEntry {
    /// The stable machine-readable code.
    #[schema(example = "user.name_taken")]
    pub code: &'static str,
    /// The HTTP status of a problem with this code (for frame codes, the nearest one).
    #[schema(example = 409)]
    pub status: u16,
    /// A short summary.
    #[schema(example = "Name taken")]
    pub title: &'static str,
    /// When the code is answered.
    pub description: &'static str,
    pub channel: Channel,
}

#[cfg(test)]
mod tests;
