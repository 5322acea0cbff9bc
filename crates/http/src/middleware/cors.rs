//! CORS as API.md states it: no `Origin` or the server's own origin is same-origin; other
//! origins get CORS headers only when configured. Preflights from other origins are refused.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};

use crate::client::OriginVerdict;
use crate::errors::ErrorCode;
use crate::problem::ApiError;
use crate::state::AppState;

const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOW_HEADERS: &str = "authorization, content-type, x-request-id";
const EXPOSE_HEADERS: &str = "x-request-id, retry-after, www-authenticate, content-disposition, location";

pub fn origin_forbidden() -> ApiError {
    ApiError::new(ErrorCode::AuthOriginForbidden, "Requests from this origin are not allowed.")
}

pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let verdict = match req.app_data::<web::Data<AppState>>() {
        Some(state) => state.client.origin(req.request()),
        None => OriginVerdict::Absent,
    };
    let is_preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        let response = match &verdict {
            OriginVerdict::Forbidden(_) => origin_forbidden().error_response(),
            _ => HttpResponse::build(StatusCode::NO_CONTENT)
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .finish(),
        };
        let mut res = req.into_response(response);
        allow(&mut res, &verdict);
        return Ok(res);
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    allow(&mut res, &verdict);
    Ok(res)
}

fn allow(res: &mut ServiceResponse<BoxBody>, verdict: &OriginVerdict) {
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let OriginVerdict::Allowed(origin) = verdict
        && let Ok(value) = HeaderValue::from_str(origin)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
}
