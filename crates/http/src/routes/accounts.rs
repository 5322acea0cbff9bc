//! Accounts: signup, login, tokens, password reset and the caller's own profile.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use identity::service::SignupInput;
use identity::{LoginOutcome, TokenPair};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::accounts::{
    DeactivateRequest, LoginRequest, PasswordChange, PasswordResetConfirm, PasswordResetRequest, ProfileUpdate,
    RefreshRequest, SignupRequest, TokenResponse, UserDto,
};
use crate::errors::ErrorCode;
use crate::errors::docs::operation_errors;
use crate::extract::body::OptionalJson;
use crate::extract::{Auth, JsonBody, JsonOrForm};
use crate::middleware::cors::origin_forbidden;
use crate::problem::ApiError;
use crate::rate_limit::Action;
use crate::state::AppState;

/// The cookie that carries the refresh token for browsers; scoped to the auth routes.
pub const REFRESH_COOKIE: &str = "refresh_token";
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// Registers the accounts routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(signup)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(request_password_reset)
        .service(confirm_password_reset)
        .service(me)
        .service(update_me)
        .service(change_password)
        .service(deactivate);
}

fn rate_limit(state: &AppState, req: &HttpRequest, action: Action) -> Result<(), ApiError> {
    let Some(ip) = state.client.client_ip(req) else {
        return Ok(());
    };
    state.limiter.check(action, ip).map_err(|wait| {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::new(ErrorCode::RequestRateLimited, "Too many attempts; slow down.").with_retry_after(seconds.max(1))
    })
}

fn refresh_cookie<'a>(state: &AppState, req: &HttpRequest, value: String, max_age: CookieDuration) -> Cookie<'a> {
    let secure = state.settings.secure_cookies || state.client.scheme(req) == "https";
    Cookie::build(REFRESH_COOKIE, value)
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(max_age)
        .finish()
}

fn token_response(state: &AppState, req: &HttpRequest, tokens: TokenPair) -> HttpResponse {
    let remaining = (tokens.refresh_expires_at - chrono::Utc::now()).num_seconds().max(0);
    let cookie = refresh_cookie(state, req, tokens.refresh_token.clone(), CookieDuration::seconds(remaining));
    HttpResponse::Ok().cookie(cookie).insert_header((header::CACHE_CONTROL, "no-store")).json(TokenResponse {
        access_token: tokens.access_token,
        token_type: "bearer",
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
    })
}

operation_errors!(SignupErrors: UserNameTaken, UserEmailTaken, RequestRateLimited);

/// Creates an account.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = SignupRequest,
    responses(
        (status = 201, body = UserDto),
        SignupErrors,
    )
)]
#[post("/auth/signup")]
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, &req, Action::Signup)?;
    let body = body.0;
    let user =
        state.accounts.signup(SignupInput { name: body.name, email: body.email, password: body.password }).await?;
    Ok(HttpResponse::Created().json(UserDto::from(user)))
}

operation_errors!(LoginErrors: AuthInvalidCredentials, UserBanned, RequestRateLimited);

/// Logs in by name or email (JSON, or the OAuth2 password-flow form Swagger UI sends).
/// Answers a token pair and sets the refresh token as an HttpOnly cookie.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(content(
        (LoginRequest = "application/json"),
        (LoginRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, body = TokenResponse),
        LoginErrors,
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonOrForm<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, &req, Action::Login)?;
    let client = crate::routes::sessions::sign_in_client(&state, &req);
    let LoginOutcome { tokens, .. } = state.accounts.login(&body.0.username, &body.0.password, client).await?;
    Ok(token_response(&state, &req, tokens))
}

operation_errors!(
    RefreshErrors: AuthTokenMissing,
    AuthTokenInvalid,
    AuthTokenExpired,
    AuthTokenRevoked,
    AuthRefreshReused,
    AuthOriginForbidden,
    UserBanned,
);

/// Exchanges a refresh token (body, or the cookie) for a new pair. The old refresh token is
/// spent; presenting it again revokes its whole family (`auth.refresh_reused`).
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(content = Option<RefreshRequest>, description = "Optional: without it the `refresh_token` cookie is used"),
    responses(
        (status = 200, body = TokenResponse),
        RefreshErrors,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: OptionalJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let from_body = body.0.and_then(|b| b.refresh_token).filter(|t| !t.is_empty());
    let token = match from_body {
        Some(token) => token,
        None => {
            let cookie = req.cookie(REFRESH_COOKIE).ok_or_else(|| {
                ApiError::unauthorized(ErrorCode::AuthTokenMissing, "Send the refresh token in the body or the cookie.")
            })?;
            // The cookie rides along on cross-site requests; only our own origin (or a
            // configured one) may use it.
            if state.client.origin(&req).is_forbidden() {
                return Err(origin_forbidden());
            }
            cookie.value().to_owned()
        }
    };
    let LoginOutcome { tokens, .. } = state.accounts.refresh(&token).await?;
    Ok(token_response(&state, &req, tokens))
}

/// Ends this session: the access token is rejected from now on and its refresh family is
/// revoked.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest, auth: Auth) -> Result<HttpResponse, ApiError> {
    state.accounts.logout(&auth.0).await?;
    let mut expired = refresh_cookie(&state, &req, String::new(), CookieDuration::ZERO);
    expired.make_removal();
    Ok(HttpResponse::NoContent().cookie(expired).finish())
}

operation_errors!(RequestPasswordResetErrors: RequestRateLimited);

/// Mails a single-use reset token if an active account has this email. Always 202, so that
/// accounts cannot be discovered.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; a mail is sent when the account exists"),
        RequestPasswordResetErrors,
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, &req, Action::PasswordReset)?;
    state.accounts.request_password_reset(&body.0.email).await?;
    Ok(HttpResponse::Accepted().finish())
}

operation_errors!(ConfirmPasswordResetErrors: AuthResetTokenInvalid, RequestRateLimited);

/// Sets a new password with a reset token; every session of the account is revoked.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password changed"),
        ConfirmPasswordResetErrors,
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PasswordResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, &req, Action::PasswordReset)?;
    state.accounts.confirm_password_reset(&body.0.token, &body.0.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's account.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, body = UserDto),
    )
)]
#[get("/users/me")]
pub async fn me(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<UserDto>, ApiError> {
    Ok(web::Json(state.accounts.profile(auth.actor().id).await?.into()))
}

operation_errors!(UpdateMeErrors: UserNameTaken, UserEmailTaken);

/// Changes the caller's name and/or email.
#[utoipa::path(
    tag = "users",
    request_body = ProfileUpdate,
    responses(
        (status = 200, body = UserDto),
        UpdateMeErrors,
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ProfileUpdate>,
) -> Result<web::Json<UserDto>, ApiError> {
    let user = state.accounts.update_profile(auth.actor(), body.0.name.as_deref(), body.0.email.as_deref()).await?;
    Ok(web::Json(user.into()))
}

operation_errors!(ChangePasswordErrors: AuthWrongPassword, RequestRateLimited);

/// Changes the caller's password; every other session of the caller is revoked. A wrong
/// current password counts as a failed login of the account (see `POST /auth/login`).
#[utoipa::path(
    tag = "users",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Password changed"),
        ChangePasswordErrors,
    )
)]
#[put("/users/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    state.accounts.change_password(&auth.0, &body.0.current_password, &body.0.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

operation_errors!(DeactivateErrors: AuthWrongPassword, RequestRateLimited);

/// Deactivates the caller's account (its content stays); every token of it is revoked. A
/// wrong password counts as a failed login of the account.
#[utoipa::path(
    tag = "users",
    request_body = DeactivateRequest,
    responses(
        (status = 204, description = "Deactivated"),
        DeactivateErrors,
    )
)]
#[delete("/users/me")]
pub async fn deactivate(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<DeactivateRequest>,
) -> Result<HttpResponse, ApiError> {
    state.accounts.deactivate(&auth.0, &body.0.password).await?;
    Ok(HttpResponse::NoContent().finish())
}
