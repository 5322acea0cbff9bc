//! The error side of the OpenAPI document, generated from the registry: each operation
//! declares only the codes particular to it (`operation_errors!`), and one pass adds the
//! codes every operation of a kind can answer, then writes the error responses, the
//! operation's `x-error-codes` and the document's whole list.

use std::collections::{BTreeMap, BTreeSet};

use utoipa::Modify;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Content, Object, OpenApi, Ref, RefOr, Type};

use crate::errors::codes::ErrorCode;

/// The extension naming the codes of a response, an operation or the document.
pub const X_ERROR_CODES: &str = "x-error-codes";
/// The extension naming the codes a WebSocket operation can send in error frames.
pub const X_FRAME_ERROR_CODES: &str = "x-frame-error-codes";

/// Declares `$name`, for an operation's `responses(...)`: the error codes particular to
/// that operation. Codes every operation of its kind answers (token problems, malformed or
/// invalid bodies, unknown ids in the path, 5xx) are added by [`ErrorResponses`].
macro_rules! operation_errors {
    ($name:ident: $($code:ident),+ $(,)?) => {
        #[doc = concat!("The error codes particular to `", stringify!($name), "`.")]
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                $crate::errors::docs::declared(&[$($crate::errors::ErrorCode::$code),+])
            }
        }
    };
}
pub(crate) use operation_errors;

/// The placeholder responses of an `operation_errors!` type: one per status, each naming
/// its codes in `x-error-codes`, rewritten whole by [`ErrorResponses`].
pub fn declared(codes: &[ErrorCode]) -> BTreeMap<String, RefOr<Response>> {
    by_status(codes.iter().copied())
        .into_iter()
        .map(|(status, codes)| (status, RefOr::T(problem_response(&codes))))
        .collect()
}

fn by_status(codes: impl Iterator<Item = ErrorCode>) -> BTreeMap<String, Vec<ErrorCode>> {
    let mut map: BTreeMap<String, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        let list = map.entry(code.status().as_u16().to_string()).or_default();
        if !list.contains(&code) {
            list.push(code);
        }
    }
    map
}

fn codes_value(codes: &[ErrorCode]) -> serde_json::Value {
    serde_json::Value::Array(codes.iter().map(|c| serde_json::Value::from(c.code())).collect())
}

fn string_header(description: &str) -> Header {
    let mut header = Header::new(Object::with_type(Type::String));
    header.description = Some(description.to_owned());
    header
}

fn problem_response(codes: &[ErrorCode]) -> Response {
    let description = codes.iter().map(|c| format!("`{}`: {}", c.code(), c.meaning())).collect::<Vec<_>>().join("\n\n");
    let mut builder = ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", Content::new(Some(Ref::from_schema_name("Problem"))))
        .extensions(Some(Extensions::builder().add(X_ERROR_CODES, codes_value(codes)).build()));
    let status = codes.first().map(|c| c.status().as_u16());
    if codes.iter().any(|c| is_token_problem(*c)) {
        builder = builder.header("WWW-Authenticate", string_header("`Bearer`, on a missing or unusable token"));
    }
    if matches!(status, Some(429 | 503)) {
        builder = builder.header("Retry-After", string_header("Seconds to wait before trying again"));
    }
    builder.build()
}

fn is_token_problem(code: ErrorCode) -> bool {
    TOKEN_PROBLEMS.contains(&code) || matches!(code, ErrorCode::ChatTicketInvalid | ErrorCode::UserDeactivated)
}

/// What every protected operation can answer before its handler runs.
const TOKEN_PROBLEMS: &[ErrorCode] = &[
    ErrorCode::AuthTokenMissing,
    ErrorCode::AuthTokenInvalid,
    ErrorCode::AuthTokenExpired,
    ErrorCode::AuthTokenRevoked,
];
const ACCOUNT_PROBLEMS: &[ErrorCode] = &[ErrorCode::UserDeactivated, ErrorCode::UserBanned];
/// What every operation with a body can answer, besides its media type's syntax error.
const BODY_PROBLEMS: &[ErrorCode] = &[
    ErrorCode::RequestMalformedBody,
    ErrorCode::RequestTooLarge,
    ErrorCode::RequestUnsupportedMediaType,
    ErrorCode::RequestValidationFailed,
];
/// Paths that answer without the database.
const WITHOUT_DATABASE: &[&str] = &["/health/live", "/metrics", "/api-docs/errors"];

/// The pass that completes every operation's errors from the registry; see the module.
pub struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, api: &mut OpenApi) {
        for (path, item) in api.paths.paths.iter_mut() {
            let reaches_database = !WITHOUT_DATABASE.contains(&path.as_str());
            let path_has_params = path.contains('{');
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
            ]
            .into_iter()
            .flatten()
            {
                let mut codes = declared_codes(operation);
                codes.extend(common_codes(operation, path_has_params, reaches_database));
                write_errors(operation, &codes);
            }
        }
        let all: Vec<serde_json::Value> =
            ErrorCode::ALL.iter().filter_map(|c| serde_json::to_value(c.entry()).ok()).collect();
        api.extensions.get_or_insert_with(Extensions::default).insert(X_ERROR_CODES.to_owned(), all.into());
    }
}

/// The codes of the responses an `operation_errors!` type (or any annotation) declared.
fn declared_codes(operation: &Operation) -> BTreeSet<ErrorCode> {
    operation
        .responses
        .responses
        .values()
        .filter_map(|response| match response {
            RefOr::T(response) => response.extensions.as_ref()?.get(X_ERROR_CODES)?.as_array(),
            RefOr::Ref(_) => None,
        })
        .flatten()
        .filter_map(|code| code.as_str().and_then(ErrorCode::parse))
        .collect()
}

fn common_codes(operation: &Operation, path_has_params: bool, reaches_database: bool) -> Vec<ErrorCode> {
    let mut codes = vec![ErrorCode::ServerInternal];
    if reaches_database {
        codes.push(ErrorCode::ServerUnavailable);
    }
    if let Some(RefOr::T(body)) = &operation.request_body {
        let multipart = body.content.keys().any(|media| media.starts_with("multipart/"));
        codes.push(if multipart { ErrorCode::RequestMalformedMultipart } else { ErrorCode::RequestMalformedJson });
        codes.extend_from_slice(BODY_PROBLEMS);
    }
    let query: Vec<&str> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.as_str()),
            _ => None,
        })
        .collect();
    if !query.is_empty() {
        codes.push(ErrorCode::RequestValidationFailed);
    }
    if query.contains(&"cursor") {
        codes.push(ErrorCode::PaginationInvalidCursor);
    }
    if path_has_params {
        codes.push(ErrorCode::RouteNotFound);
    }
    let public = operation.security.as_ref().is_some_and(|requirements| {
        requirements.iter().all(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({})))
    });
    if !public {
        codes.extend_from_slice(TOKEN_PROBLEMS);
        codes.extend_from_slice(ACCOUNT_PROBLEMS);
    }
    if operation.responses.responses.contains_key("101") {
        codes.extend(ErrorCode::ALL.iter().filter(|c| c.in_frames()));
    }
    codes
}

/// Replaces the operation's error responses with one per status of `codes`, and lists the
/// codes in the operation's `x-error-codes` (and `x-frame-error-codes` for WebSockets).
fn write_errors(operation: &mut Operation, codes: &BTreeSet<ErrorCode>) {
    let is_socket = operation.responses.responses.contains_key("101");
    operation.responses.responses.retain(|status, _| !status.starts_with(['4', '5']));
    let problems: Vec<ErrorCode> = codes.iter().copied().filter(|c| c.in_problems()).collect();
    for (status, codes) in by_status(problems.iter().copied()) {
        operation.responses.responses.insert(status, RefOr::T(problem_response(&codes)));
    }
    let listed: serde_json::Map<String, serde_json::Value> =
        problems.iter().map(|c| (c.code().to_owned(), c.status().as_u16().into())).collect();
    let extensions = operation.extensions.get_or_insert_with(Extensions::default);
    extensions.insert(X_ERROR_CODES.to_owned(), listed.into());
    if is_socket {
        let frames: Vec<ErrorCode> = codes.iter().copied().filter(|c| c.in_frames()).collect();
        extensions.insert(X_FRAME_ERROR_CODES.to_owned(), codes_value(&frames));
    }
}
