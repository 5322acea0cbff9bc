//! Request extractors that fail with problem documents: bodies, authentication, pages.

pub mod auth;
pub mod body;
pub mod multipart;
pub mod page;
pub mod validation;

pub use auth::{AdminAuth, Auth};
pub use body::{JsonBody, JsonOrForm};
pub use page::{PageDto, PageQuery, QueryParams, page_request};
