//! JSON (and form) bodies with precise errors: malformed syntax is 400, a well-formed body
//! with a wrong type or a missing field is 422 naming the field, an oversized one is 413.
//!
//! Body limits are not refused here: the contract is one 422 naming every invalid field,
//! the ones only the database can judge (unknown member ids, datasets) included, so the
//! domain's `parse`, which reads the same length constants as the DTOs' `validator` rules,
//! refuses them all at once.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use kernel::FieldErrors;
use serde::de::DeserializeOwned;

use crate::errors::ErrorCode;
use crate::problem::ApiError;

/// The largest JSON body accepted, unless configured otherwise with [`BodyLimit`].
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// App data that sets the largest accepted JSON or form body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body deserialised into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// A JSON or `application/x-www-form-urlencoded` body (the OAuth2 password flow posts a form).
#[derive(Debug)]
pub struct JsonOrForm<T>(pub T);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Form,
}

fn body_format(req: &HttpRequest, allow_form: bool) -> Result<Format, ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        // Lenient: a body without a content type is read as JSON.
        return Ok(Format::Json);
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")) {
        Ok(Format::Json)
    } else if allow_form && essence == "application/x-www-form-urlencoded" {
        Ok(Format::Form)
    } else {
        let accepted =
            if allow_form { "application/json or application/x-www-form-urlencoded" } else { "application/json" };
        Err(ApiError::new(ErrorCode::RequestUnsupportedMediaType, format!("The body must be {accepted}.")))
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::RequestTooLarge, format!("The body exceeds {limit} bytes."))
}

async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<web::Bytes, ApiError> {
    let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_BODY_LIMIT, |l| l.0);
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| {
            ApiError::new(ErrorCode::RequestMalformedBody, format!("The body could not be read: {err}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Turns a serde path and message into a field name: `a.b[0]` for nested values, the
/// missing field's own name when serde reports it at the parent.
fn field_name(path: &str, message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(field) = rest.split('`').next()
    {
        return if path == "." { field.to_owned() } else { format!("{path}.{field}") };
    }
    if path == "." { "body".to_owned() } else { path.to_owned() }
}

/// A message without serde's position suffix (" at line 1 column 9").
fn clean_message(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Every request body of the API is a JSON object; serde would also read a struct from an
/// array, which the documents do not allow.
fn parse_json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        // Well-formed JSON of another kind is a validation error, not a syntax error.
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|err| malformed(&err))?;
        return Err(ApiError::validation(FieldErrors::single("body", "must be a JSON object")));
    }
    parse_json(bytes)
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = clean_message(&inner.to_string());
                ApiError::validation(FieldErrors::single(&field_name(&path, &message), message))
            }
            _ => malformed(&inner),
        }
    })?;
    deserializer.end().map_err(|err| malformed(&err))?;
    Ok(value)
}

fn malformed(err: &serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::RequestMalformedJson, format!("The body is not valid JSON: {err}"))
}

fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded_parse(bytes));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = clean_message(&err.into_inner().to_string());
        ApiError::validation(FieldErrors::single(&field_name(&path, &message), message))
    })
}

fn form_urlencoded_parse(bytes: &[u8]) -> url::form_urlencoded::Parse<'_> {
    url::form_urlencoded::parse(bytes)
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            body_format(&req, false)?;
            let bytes = read_body(&req, &mut payload).await?;
            parse_json_object(&bytes).map(JsonBody)
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonOrForm<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let format = body_format(&req, true)?;
            let bytes = read_body(&req, &mut payload).await?;
            match format {
                Format::Json => parse_json_object(&bytes).map(JsonOrForm),
                Format::Form => parse_form(&bytes).map(JsonOrForm),
            }
        })
    }
}

/// Reads an optional JSON body: an empty body gives `None`.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let bytes = read_body(&req, &mut payload).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(None));
            }
            body_format(&req, false)?;
            if bytes.trim_ascii() == b"null" {
                return Ok(OptionalJson(None));
            }
            parse_json_object(&bytes).map(|v| OptionalJson(Some(v)))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use actix_web::http::StatusCode;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Signup {
        name: String,
        age: u8,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        flag: bool,
    }

    #[test]
    fn syntax_errors_are_400() {
        let err = parse_json::<Signup>(br#"{"name": "a", "#).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.code, ErrorCode::RequestMalformedJson);
        let err = parse_json::<Signup>(br#"{"name":"a","age":1} trailing"#).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn wrong_types_are_422_naming_the_field() {
        let err = parse_json::<Signup>(br#"{"name": 5, "age": 1}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.errors.unwrap().fields().contains_key("name"));

        let err = parse_json::<Signup>(br#"{"name": "a", "age": 1, "inner": {"flag": "yes"}}"#).unwrap_err();
        assert!(err.errors.unwrap().fields().contains_key("inner.flag"));
    }

    #[test]
    fn missing_fields_are_422_naming_the_field() {
        let err = parse_json::<Signup>(br#"{"age": 1}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.errors.unwrap().fields().contains_key("name"));
    }

    #[test]
    fn a_body_of_the_wrong_shape_is_422() {
        for body in [&b"\"just a string\""[..], b"[1, 2]", b"[null, null]", b"42", b"null"] {
            let err = parse_json_object::<Signup>(body).unwrap_err();
            assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(err.errors.unwrap().fields().contains_key("body"));
        }
        let err = parse_json_object::<Signup>(b"[1, 2").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn forms_parse_and_report_missing_fields() {
        #[derive(Debug, Deserialize)]
        struct Login {
            username: String,
            password: String,
        }
        let login: Login = parse_form(b"username=bob&password=p%40ss&grant_type=password").unwrap();
        assert_eq!((login.username.as_str(), login.password.as_str()), ("bob", "p@ss"));
        let err = parse_form::<Login>(b"username=bob").unwrap_err();
        assert!(err.errors.unwrap().fields().contains_key("password"));
    }
}
