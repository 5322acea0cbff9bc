//! The OpenAPI document's frame (info, security schemes, tags) and the route table that
//! tells a wrong method (405) from an unknown path (404).

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
            Every error is an RFC 9457 `application/problem+json` document with a stable `code`."
    ),
    modifiers(&Security),
    security(("bearer" = []), ("oauth2" = [])),
    tags(
        (name = "health", description = "Liveness, readiness and metrics"),
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
    components(schemas(crate::problem::Problem))
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

/// Documents the error statuses every operation of a kind can answer, so that each
/// handler lists only its own: bodies can be malformed (400), too large (413), of another
/// media type (415) or invalid (422); query parameters can be invalid (422); ids in the
/// path can be unknown (404); protected routes answer 401 without a valid token; and any
/// route that reaches the database can answer 503 while it is down.
pub fn add_common_responses(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};

    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", Content::new(Some(Ref::from_schema_name("Problem"))))
                .build(),
        )
    };
    for (path, item) in api.paths.paths.iter_mut() {
        let reaches_database = !matches!(path.as_str(), "/health/live" | "/metrics");
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
            let has_body = operation.request_body.is_some();
            let has_query = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
            let public = operation.security.as_ref().is_some_and(|requirements| {
                requirements.iter().all(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({})))
            });
            let mut add = |status: &str, description: &str| {
                operation.responses.responses.entry(status.to_owned()).or_insert_with(|| problem(description));
            };
            if has_body {
                add("400", "Malformed body (`request.malformed_json`)");
                add("413", "Body too large (`request.too_large`)");
                add("415", "Unsupported media type (`request.unsupported_media_type`)");
                add("422", "Invalid fields (`request.validation_failed`, with `errors`)");
            }
            if has_query {
                add("400", "Invalid cursor (`pagination.invalid_cursor`)");
                add("422", "Invalid query parameters (`request.validation_failed`, with `errors`)");
            }
            if path_has_params {
                add("404", "Not found");
            }
            if !public {
                add("401", "Missing, invalid, expired or revoked token (`auth.*`), with `WWW-Authenticate: Bearer`");
                add("403", "Not allowed (e.g. `user.banned`)");
            }
            if reaches_database {
                add("503", "A dependency is unavailable (`server.unavailable`), with `Retry-After`");
            }
        }
    }
}
