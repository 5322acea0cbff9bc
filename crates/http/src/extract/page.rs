//! Query strings with field-level errors, and the page parameters every list takes.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Ready, ready};
use kernel::{FieldErrors, Page, PageRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::cursor::CursorCodec;
use crate::extract::validation::validated;
use crate::problem::ApiError;

/// A query string deserialised into `T`; a wrong type or a value outside its limits is 422
/// naming the parameter.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = url::form_urlencoded::parse(req.query_string().as_bytes());
        let deserializer = serde_urlencoded::Deserializer::new(query);
        let parsed = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            let message = err.into_inner().to_string();
            let field = if path == "." { "query".to_owned() } else { path };
            ApiError::validation(FieldErrors::single(&field, message))
        });
        ready(parsed.and_then(validated).map(QueryParams))
    }
}

/// The smallest and largest `?limit=` of every list (the domain's `PageRequest` range).
pub const MIN_LIMIT: i64 = kernel::page::MIN_LIMIT as i64;
pub const MAX_LIMIT: i64 = kernel::page::MAX_LIMIT as i64;

/// `?limit=&cursor=` of a list without other parameters.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = MIN_LIMIT, max = MAX_LIMIT))]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Validates the limit and reads the cursor of the list named `scope`.
    pub fn request(&self, codec: &CursorCodec, scope: &str) -> Result<PageRequest, ApiError> {
        page_request(codec, scope, self.limit, self.cursor.as_deref())
    }
}

/// Validates a limit and a cursor of the list named `scope`.
pub fn page_request(
    codec: &CursorCodec,
    scope: &str,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<PageRequest, ApiError> {
    let after = cursor.filter(|c| !c.is_empty()).map(|c| codec.decode(scope, c)).transpose()?;
    PageRequest::new(limit, after).map_err(ApiError::validation)
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageDto<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> PageDto<T> {
    /// Converts a domain page, signing its cursor for the list named `scope`.
    pub fn from_page<U>(page: Page<U>, codec: &CursorCodec, scope: &str, f: impl FnMut(U) -> T) -> Self {
        PageDto {
            next_cursor: page.next.map(|c| codec.encode(scope, c)),
            items: page.items.into_iter().map(f).collect(),
        }
    }
}
