//! Bearer authentication: every protected handler takes [`Auth`] or [`AdminAuth`].

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use identity::service::Authenticated;
use kernel::Actor;

use crate::errors::ErrorCode;
use crate::problem::ApiError;
use crate::state::AppState;

/// An authenticated caller. Missing or bad tokens are 401 with `WWW-Authenticate: Bearer`;
/// a banned account is 403.
#[derive(Debug, Clone)]
pub struct Auth(pub Authenticated);

impl Auth {
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }
}

/// An authenticated administrator; anyone else gets 403 `auth.admin_required`.
#[derive(Debug, Clone)]
pub struct AdminAuth(pub Authenticated);

impl AdminAuth {
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

async fn authenticate(req: HttpRequest) -> Result<Authenticated, ApiError> {
    if let Some(done) = req.extensions().get::<Authenticated>() {
        return Ok(done.clone());
    }
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal("application state missing"))?;
    let token = bearer_token(&req)
        .ok_or_else(|| ApiError::unauthorized(ErrorCode::AuthTokenMissing, "This route needs a bearer token."))?;
    let authenticated = state.accounts.authenticate(&token).await?;
    req.extensions_mut().insert(authenticated.clone());
    Ok(authenticated)
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Auth) })
    }
}

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let authenticated = authenticate(req).await?;
            if !authenticated.actor.is_admin() {
                return Err(ApiError::new(ErrorCode::AuthAdminRequired, "This route is for administrators."));
            }
            Ok(AdminAuth(authenticated))
        })
    }
}
