//! The OpenAPI document's frame (info, security schemes, tags), its completion with the
//! error registry, and the route table that tells a wrong method (405) from an unknown
//! path (404).

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme};

/// Names of the two ways to present a token: a pasted bearer token, or Swagger UI's
/// OAuth2 password flow against the login route.
pub const BEARER: &str = "bearer";
pub const OAUTH2: &str = "oauth2";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agora API",
        version = "1",
        description = "Accounts, administration, boards, chat with admins and asynchronous AI jobs. \
            Every error is an RFC 9457 `application/problem+json` document with a stable `code`. \
            Each operation lists the codes it can answer in `x-error-codes` (code to status); the \
            whole registry, with each code's title and meaning, is this document's `x-error-codes` \
            and `GET /api-docs/errors`."
    ),
    modifiers(&Security),
    security(("bearer" = []), ("oauth2" = [])),
    tags(
        (name = "health", description = "Liveness, readiness and metrics"),
        (name = "docs", description = "The registry of problem codes (the OpenAPI document itself is at `/api-docs/openapi.json`)"),
        (name = "auth", description = "Signup, login, tokens and password reset"),
        (name = "users", description = "The caller's own account"),
        (name = "admin", description = "Administration: users, moderation, board memberships, boards in every state and the audit trail (admins only)"),
        (name = "boards", description = "Boards the caller may read, and where it may write"),
        (name = "ai", description = "Datasets, models and asynchronous inference jobs"),
        (name = "chat", description = "Sessions between users and the admins, their messages, and the live WebSocket"),
        (name = "posts", description = "Posts on boards, their likes and views"),
        (name = "comments", description = "Comments on posts"),
        (name = "attachments", description = "Files attached to posts and comments"),
    ),
    components(schemas(crate::problem::Problem, crate::errors::codes::ErrorCodeEntry))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            OAUTH2,
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new("/api/v1/auth/login", Scopes::new()))])),
        );
    }
}

/// The paths of the document, with the methods each allows.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| if s.starts_with('{') { Segment::Param } else { Segment::Literal(s.to_owned()) })
                    .collect();
                let methods = item.methods().map(|m| m.to_uppercase()).collect();
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods allowed at `path`, or `None` when no route has this path.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(segment, part)| match segment {
                        Segment::Param => true,
                        Segment::Literal(literal) => literal == part,
                    })
            })
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        if methods.is_empty() {
            return None;
        }
        methods.sort();
        methods.dedup();
        Some(methods)
    }
}

trait PathItemMethods {
    fn methods(&self) -> Box<dyn Iterator<Item = &'static str> + '_>;
}

impl PathItemMethods for utoipa::openapi::PathItem {
    fn methods(&self) -> Box<dyn Iterator<Item = &'static str> + '_> {
        let all = [
            ("get", self.get.is_some()),
            ("put", self.put.is_some()),
            ("post", self.post.is_some()),
            ("delete", self.delete.is_some()),
            ("patch", self.patch.is_some()),
            ("head", self.head.is_some()),
            ("options", self.options.is_some()),
        ];
        Box::new(all.into_iter().filter(|(_, present)| *present).map(|(m, _)| m))
    }
}

/// Completes the document made from the routes: the error responses and codes of every
/// operation, and the registry's whole list as the document's `x-error-codes`.
pub fn complete(api: &mut utoipa::openapi::OpenApi) {
    crate::errors::docs::ErrorResponses.modify(api);
    describe_responses(api);
}

/// OpenAPI requires a `description` on every response; a success response whose
/// annotation gives none gets its status phrase.
fn describe_responses(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;

    for item in api.paths.paths.values_mut() {
        for operation in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    let phrase = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
                        .and_then(|s| s.canonical_reason());
                    response.description = phrase.unwrap_or("Success").to_owned();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// What openapi-spec-validator checks first (`make fuzz` runs it on the served
    /// document): every response is described and no operationId is used twice.
    #[test]
    fn every_response_is_described_and_operation_ids_are_unique() {
        let api = serde_json::to_value(crate::openapi()).unwrap_or_default();
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in api["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(ids.insert(id.clone()), "{method} {path}: operationId {id} is used twice");
                for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                    let described = response["description"].as_str().is_some_and(|d| !d.is_empty());
                    assert!(described, "{method} {path} {status} has no description");
                }
            }
        }
    }
}
