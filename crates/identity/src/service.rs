//! The use cases of the identity domain, written against its ports.

use std::sync::Arc;

use chrono::Duration;
use kernel::{Actor, AuditEntry, AuditLog, Clock, FieldErrors, Page, PageRequest, Timestamp, UserId};

use crate::access_cache::AccessCache;
use crate::error::IdentityError;
use crate::ports::{
    AccountEvents, DisabledReason, LoginFailures, LoginThrottleRepository, Mail, Mailer, PasswordHasher, RefreshRecord,
    ResetTokenRepository, RevokeReason, SecretGenerator, SessionFamily, SessionRepository, SignInClient, TokenCodec,
    UserFilter, UserRepository, UserWriteError,
};
use crate::token::{AccessClaims, RefreshClaims, TokenError};
use crate::user::{Email, NewUser, Password, User, UserName, UserUpdate};

/// Reset tokens a user may hold at once; asking for another spends the oldest, so a
/// mailbox flooded with reset mails holds few live tokens.
pub const MAX_OUTSTANDING_RESETS: u64 = 3;

/// Lifetimes and mail settings of the identity domain.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub access_ttl: Duration,
    /// Sliding lifetime of one refresh token.
    pub refresh_ttl: Duration,
    /// Absolute lifetime of a login session, however often it is refreshed.
    pub session_max_age: Duration,
    pub reset_ttl: Duration,
    /// Put before the reset token to make a link in the mail, when set.
    pub reset_link_base: Option<String>,
    /// How long a per-request access check may be reused (at most one second, so that
    /// revocations made on other instances bite within a second; zero disables).
    pub access_cache_ttl: Duration,
    /// Failed logins of one account within `login_failure_window` after which its logins
    /// wait `login_lockout`; 0 turns the per-account throttle off.
    pub max_login_failures: u32,
    pub login_failure_window: Duration,
    pub login_lockout: Duration,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            access_ttl: Duration::seconds(900),
            refresh_ttl: Duration::seconds(1_209_600),
            session_max_age: Duration::days(90),
            reset_ttl: Duration::minutes(30),
            reset_link_base: None,
            access_cache_ttl: Duration::milliseconds(500),
            max_login_failures: 10,
            login_failure_window: Duration::minutes(15),
            login_lockout: Duration::minutes(15),
        }
    }
}

/// A freshly issued access and refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_expires_at: Timestamp,
}

/// The result of a successful login or refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    pub user: User,
    pub tokens: TokenPair,
}

/// An authenticated request: the caller and the claims of the token it presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub actor: Actor,
    pub claims: AccessClaims,
}

/// The input of a signup, as received.
#[derive(Debug, Clone)]
pub struct SignupInput {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// Accounts, sessions and credentials.
pub struct AccountService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    resets: Arc<dyn ResetTokenRepository>,
    throttles: Arc<dyn LoginThrottleRepository>,
    hasher: Arc<dyn PasswordHasher>,
    codec: Arc<dyn TokenCodec>,
    secrets: Arc<dyn SecretGenerator>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditLog>,
    events: Arc<dyn AccountEvents>,
    access_cache: AccessCache,
    config: IdentityConfig,
}

/// The ports the service is built from.
pub struct AccountPorts {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub resets: Arc<dyn ResetTokenRepository>,
    pub throttles: Arc<dyn LoginThrottleRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub codec: Arc<dyn TokenCodec>,
    pub secrets: Arc<dyn SecretGenerator>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub audit: Arc<dyn AuditLog>,
    pub events: Arc<dyn AccountEvents>,
}

impl AccountService {
    pub fn new(ports: AccountPorts, config: IdentityConfig) -> Self {
        AccountService {
            users: ports.users,
            sessions: ports.sessions,
            resets: ports.resets,
            throttles: ports.throttles,
            hasher: ports.hasher,
            codec: ports.codec,
            secrets: ports.secrets,
            mailer: ports.mailer,
            clock: ports.clock,
            audit: ports.audit,
            events: ports.events,
            access_cache: AccessCache::new(config.access_cache_ttl.min(Duration::seconds(1))),
            config,
        }
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    /// Creates a regular account.
    pub async fn signup(&self, input: SignupInput) -> Result<User, IdentityError> {
        self.create_user(input, false).await
    }

    /// Creates an administrator. Only server-side tools call this; no route leads here.
    pub async fn create_admin(&self, input: SignupInput) -> Result<User, IdentityError> {
        let admin = self.create_user(input, true).await?;
        self.record(None, "user.create_admin", admin.id, serde_json::json!({ "name": admin.name })).await?;
        Ok(admin)
    }

    async fn record(
        &self,
        by: Option<&Actor>,
        action: &str,
        user_id: UserId,
        detail: serde_json::Value,
    ) -> Result<(), IdentityError> {
        let entry = AuditEntry {
            actor_id: by.map(|a| a.id),
            action: action.to_owned(),
            target_type: "user".to_owned(),
            target_id: Some(user_id),
            detail,
            create_date: self.clock.now(),
        };
        Ok(self.audit.record(entry).await?)
    }

    async fn create_user(&self, input: SignupInput, is_superuser: bool) -> Result<User, IdentityError> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", UserName::parse(&input.name));
        let email = errors.check("email", Email::parse(&input.email));
        let password = errors.check("password", Password::parse(&input.password));
        let (Some(name), Some(email), Some(password)) = (name, email, password) else {
            return Err(IdentityError::Validation(errors));
        };
        // Checked before hashing so that a taken name costs no bcrypt work; the insert
        // still catches a concurrent signup.
        if self.users.find_by_name_key(&name.key()).await?.is_some() {
            return Err(IdentityError::NameTaken);
        }
        if self.users.find_by_email(email.as_str()).await?.is_some() {
            return Err(IdentityError::EmailTaken);
        }
        let password_hash = self.hasher.hash(&password).await?;
        let new_user = NewUser { name, email, password_hash, is_superuser, join_date: self.clock.now() };
        self.users.create(new_user).await.map_err(write_error)
    }

    /// Logs in by name or email. Unknown users, wrong passwords and deactivated accounts
    /// get the same answer and cost the same bcrypt work.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: SignInClient,
    ) -> Result<LoginOutcome, IdentityError> {
        let mut errors = FieldErrors::new();
        if username.trim().is_empty() {
            errors.add("username", "must not be empty");
        }
        if password.is_empty() {
            errors.add("password", "must not be empty");
        } else if password.len() > Password::MAX_BYTES {
            errors.add("password", format!("must be at most {} bytes long", Password::MAX_BYTES));
        }
        errors.into_result()?;

        let user = self.find_by_name_or_email(username).await?;
        let Some(user) = user else {
            self.hasher.verify_dummy(password).await?;
            return Err(IdentityError::InvalidCredentials);
        };
        let now = self.clock.now();
        let failures = self.check_login_throttle(&user, now).await?;
        if !self.hasher.verify(password, &user.password_hash).await? || !user.is_active {
            self.record_login_failure(&user, failures, now).await?;
            return Err(IdentityError::InvalidCredentials);
        }
        if failures.is_some() {
            self.throttles.clear(user.id).await?;
        }
        if user.is_banned {
            return Err(IdentityError::Banned);
        }
        let family = self.sessions.create_family(user.id, client, now, now + self.config.session_max_age).await?;
        let tokens = self.issue_pair(&user, &family, now).await?;
        Ok(LoginOutcome { user, tokens })
    }

    /// The account's failures in their current window; `LoginThrottled` while it is locked.
    async fn check_login_throttle(&self, user: &User, now: Timestamp) -> Result<Option<LoginFailures>, IdentityError> {
        if self.config.max_login_failures == 0 {
            return Ok(None);
        }
        let failures = self.throttles.find(user.id).await?;
        if let Some(until) = failures.and_then(|f| f.locked_until).filter(|until| *until > now) {
            let wait = (until - now).num_milliseconds();
            let retry_after_secs = u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1);
            return Err(IdentityError::LoginThrottled { retry_after_secs });
        }
        Ok(failures.filter(|f| f.window_start + self.config.login_failure_window > now && f.locked_until.is_none()))
    }

    /// The signed-in user's password check before a sensitive change: a wrong password
    /// counts as a failed login of the account, so a stolen access token cannot be used to
    /// guess the password faster than logins can.
    async fn check_password(&self, user: &User, password: &str, now: Timestamp) -> Result<(), IdentityError> {
        let failures = self.check_login_throttle(user, now).await?;
        if !self.hasher.verify(password, &user.password_hash).await? {
            self.record_login_failure(user, failures, now).await?;
            return Err(IdentityError::WrongPassword);
        }
        if failures.is_some() {
            self.throttles.clear(user.id).await?;
        }
        Ok(())
    }

    /// Counts a failed login; the failure that reaches the limit locks the account's logins
    /// and mails its owner, once per lock.
    async fn record_login_failure(
        &self,
        user: &User,
        current: Option<LoginFailures>,
        now: Timestamp,
    ) -> Result<(), IdentityError> {
        if self.config.max_login_failures == 0 {
            return Ok(());
        }
        let mut failures = current.unwrap_or(LoginFailures { count: 0, window_start: now, locked_until: None });
        failures.count += 1;
        if failures.count >= self.config.max_login_failures {
            failures.locked_until = Some(now + self.config.login_lockout);
        }
        self.throttles.save(user.id, failures).await?;
        if failures.locked_until.is_some() {
            self.send_quietly(self.lockout_mail(user), "login lockout").await;
        }
        Ok(())
    }

    fn lockout_mail(&self, user: &User) -> Mail {
        let minutes = self.config.login_lockout.num_minutes();
        let body = format!(
            "Hello {name},\n\nthere were {count} failed attempts to log in to your Agora account within \
             {window} minutes, so its logins are paused for {minutes} minutes, from every address.\n\n\
             If this was not you, someone may be guessing your password: once the pause is over, \
             choose a new one (or reset it by mail now).\n",
            name = user.name,
            count = self.config.max_login_failures,
            window = self.config.login_failure_window.num_minutes(),
        );
        Mail { to: user.email.clone(), subject: "Failed logins to your Agora account".to_owned(), body }
    }

    /// Sends a mail whose failure the client must not learn of; the operator sees it.
    async fn send_quietly(&self, mail: Mail, what: &str) {
        if let Err(err) = self.mailer.send(mail).await {
            tracing::warn!(error = %err, what, "mail could not be sent");
        }
    }

    /// The user a typed name or email names. Text no name or email can hold (a control
    /// character) names nobody and reaches no query.
    async fn find_by_name_or_email(&self, raw: &str) -> Result<Option<User>, IdentityError> {
        let raw = raw.trim();
        if raw.chars().any(char::is_control) {
            return Ok(None);
        }
        let user = if raw.contains('@') {
            self.users.find_by_email(&raw.to_lowercase()).await?
        } else {
            self.users.find_by_name_key(&UserName::key_of(raw)).await?
        };
        Ok(user)
    }

    async fn issue_pair(
        &self,
        user: &User,
        family: &SessionFamily,
        now: Timestamp,
    ) -> Result<TokenPair, IdentityError> {
        let access = AccessClaims {
            user_id: user.id,
            role: user.role(),
            jti: self.secrets.token_id(),
            family_id: family.id,
            issued_at: now,
            expires_at: now + self.config.access_ttl,
        };
        let refresh_expires_at = (now + self.config.refresh_ttl).min(family.expire_date);
        let refresh = RefreshClaims {
            user_id: user.id,
            jti: self.secrets.token_id(),
            family_id: family.id,
            issued_at: now,
            expires_at: refresh_expires_at,
        };
        let access_token = self.codec.encode_access(&access)?;
        let refresh_token = self.codec.encode_refresh(&refresh)?;
        self.sessions
            .store_refresh(
                RefreshRecord {
                    jti: refresh.jti.clone(),
                    family_id: family.id,
                    user_id: user.id,
                    expire_date: refresh_expires_at,
                    spent_date: None,
                },
                now,
            )
            .await?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.config.access_ttl.num_seconds(),
            refresh_expires_at,
        })
    }

    /// Exchanges a refresh token for a new pair. The presented token is spent; presenting a
    /// spent token again revokes its whole family.
    pub async fn refresh(&self, refresh_token: &str) -> Result<LoginOutcome, IdentityError> {
        let claims = self.codec.decode_refresh(refresh_token).map_err(token_error)?;
        let record = self.sessions.find_refresh(&claims.jti).await?.ok_or(IdentityError::TokenInvalid)?;
        let now = self.clock.now();
        if record.spent_date.is_some() {
            self.sessions.revoke_family(record.family_id, RevokeReason::RefreshReused, now).await?;
            self.access_cache.forget_family(record.family_id);
            return Err(IdentityError::RefreshReused);
        }
        let family = self.sessions.find_family(record.family_id).await?.ok_or(IdentityError::TokenInvalid)?;
        if family.revoke_date.is_some() || family.expire_date <= now {
            return Err(IdentityError::TokenRevoked);
        }
        let user = self.users.find_by_id(record.user_id).await?.ok_or(IdentityError::TokenInvalid)?;
        if !user.is_active {
            return Err(IdentityError::Deactivated);
        }
        if user.is_banned {
            return Err(IdentityError::Banned);
        }
        if !self.sessions.spend_refresh(&claims.jti, now).await? {
            // Another request spent it between our read and our write: a reuse.
            self.sessions.revoke_family(record.family_id, RevokeReason::RefreshReused, now).await?;
            self.access_cache.forget_family(record.family_id);
            return Err(IdentityError::RefreshReused);
        }
        let tokens = self.issue_pair(&user, &family, now).await?;
        Ok(LoginOutcome { user, tokens })
    }

    /// Checks an access token and the account behind it; called on every authenticated
    /// request. A deactivated account is 401, a banned one 403, whatever the token's age.
    pub async fn authenticate(&self, access_token: &str) -> Result<Authenticated, IdentityError> {
        let claims = self.codec.decode_access(access_token).map_err(token_error)?;
        let now = self.clock.now();
        let state = match self.access_cache.get(claims.user_id, claims.family_id, &claims.jti, now) {
            Some(state) => state,
            None => {
                let state = self
                    .sessions
                    .access_state(claims.user_id, claims.family_id, &claims.jti, now)
                    .await?
                    .ok_or(IdentityError::TokenInvalid)?;
                self.access_cache.put(claims.family_id, &claims.jti, state.clone(), now);
                state
            }
        };
        if !state.user.is_active {
            return Err(IdentityError::Deactivated);
        }
        if state.user.is_banned {
            return Err(IdentityError::Banned);
        }
        if state.blacklisted || !state.session_active {
            return Err(IdentityError::TokenRevoked);
        }
        let actor = Actor { id: state.user.id, name: state.user.name.clone(), role: state.user.role() };
        Ok(Authenticated { actor, claims })
    }

    /// The caller behind a credential other than an access token (a chat WebSocket ticket):
    /// the account as it is now, refused like `authenticate` refuses it when deactivated
    /// (401) or banned (403).
    pub async fn active_actor(&self, user_id: UserId) -> Result<Actor, IdentityError> {
        let user = self.users.find_by_id(user_id).await?.ok_or(IdentityError::TokenInvalid)?;
        if !user.is_active {
            return Err(IdentityError::Deactivated);
        }
        if user.is_banned {
            return Err(IdentityError::Banned);
        }
        Ok(Actor { id: user.id, name: user.name.clone(), role: user.role() })
    }

    /// Ends the session of the presented access token: the token is blacklisted until it
    /// expires and its refresh family is revoked.
    pub async fn logout(&self, auth: &Authenticated) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let claims = &auth.claims;
        self.sessions.blacklist(&claims.jti, claims.user_id, claims.expires_at, now).await?;
        self.sessions.revoke_family(claims.family_id, RevokeReason::Logout, now).await?;
        self.access_cache.forget_family(claims.family_id);
        Ok(())
    }

    pub async fn profile(&self, user_id: UserId) -> Result<User, IdentityError> {
        self.users.find_by_id(user_id).await?.ok_or(IdentityError::UserNotFound)
    }

    /// The caller's live sign-ins, newest first.
    pub async fn list_sessions(
        &self,
        auth: &Authenticated,
        page: PageRequest,
    ) -> Result<Page<SessionFamily>, IdentityError> {
        Ok(self.sessions.list_active_families(auth.actor.id, self.clock.now(), page).await?)
    }

    /// Ends one of the caller's sign-ins: its refresh tokens and access tokens stop working
    /// at once. Another user's session, or one already ended, is `SessionNotFound`.
    pub async fn revoke_session(&self, auth: &Authenticated, family_id: i64) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let family = self.sessions.find_family(family_id).await?;
        let live = family.filter(|f| f.user_id == auth.actor.id && f.revoke_date.is_none() && f.expire_date > now);
        let Some(family) = live else {
            return Err(IdentityError::SessionNotFound);
        };
        self.sessions.revoke_family(family.id, RevokeReason::SessionRevoked, now).await?;
        self.access_cache.forget_family(family.id);
        Ok(())
    }

    /// Changes the caller's name and/or email.
    pub async fn update_profile(
        &self,
        actor: &Actor,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<User, IdentityError> {
        let mut errors = FieldErrors::new();
        let update = UserUpdate {
            name: name.and_then(|raw| errors.check("name", UserName::parse(raw))),
            email: email.and_then(|raw| errors.check("email", Email::parse(raw))),
        };
        errors.into_result()?;
        let current = self.profile(actor.id).await?;
        if let Some(name) = &update.name
            && name.key() != UserName::key_of(&current.name)
            && self.users.find_by_name_key(&name.key()).await?.is_some()
        {
            return Err(IdentityError::NameTaken);
        }
        if let Some(email) = &update.email
            && email.as_str() != current.email
            && self.users.find_by_email(email.as_str()).await?.is_some()
        {
            return Err(IdentityError::EmailTaken);
        }
        if update.name.is_none() && update.email.is_none() {
            return Ok(current);
        }
        let user = self.users.update_profile(actor.id, update, self.clock.now()).await.map_err(write_error)?;
        self.access_cache.forget_user(user.id);
        if user.name != current.name {
            self.events.account_renamed(user.id).await;
        }
        Ok(user)
    }

    /// Changes the caller's password; every other session of the caller is revoked.
    pub async fn change_password(&self, auth: &Authenticated, current: &str, new: &str) -> Result<(), IdentityError> {
        let new = Password::parse(new).map_err(|message| FieldErrors::single("new_password", message))?;
        let user = self.profile(auth.actor.id).await?;
        let now = self.clock.now();
        self.check_password(&user, current, now).await?;
        let hash = self.hasher.hash(&new).await?;
        self.users.set_password(user.id, hash, now).await?;
        self.access_cache.forget_user(user.id);
        self.resets.consume_all(user.id, now).await?;
        self.sessions.revoke_all(user.id, Some(auth.claims.family_id), RevokeReason::PasswordChanged, now).await?;
        Ok(())
    }

    /// Deactivates the caller's account after checking the password; its content stays,
    /// every token of it stops working.
    pub async fn deactivate(&self, auth: &Authenticated, password: &str) -> Result<(), IdentityError> {
        let user = self.profile(auth.actor.id).await?;
        let now = self.clock.now();
        self.check_password(&user, password, now).await?;
        self.users.set_active(user.id, false, now).await?;
        self.access_cache.forget_user(user.id);
        self.sessions.revoke_all(user.id, None, RevokeReason::Deactivated, now).await?;
        self.sessions.blacklist(&auth.claims.jti, user.id, auth.claims.expires_at, now).await?;
        self.events.account_disabled(user.id, DisabledReason::Deactivated).await;
        Ok(())
    }

    /// Mails a single-use reset token when an active account has this email. Answers the
    /// same whether or not it exists, so that accounts cannot be enumerated.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), IdentityError> {
        let email = Email::parse(email).map_err(|message| FieldErrors::single("email", message))?;
        let Some(user) = self.users.find_by_email(email.as_str()).await? else {
            return Ok(());
        };
        if !user.is_active {
            return Ok(());
        }
        let token = self.secrets.url_safe_secret();
        let now = self.clock.now();
        let expire_date = now + self.config.reset_ttl;
        self.resets.store(&self.secrets.digest(&token), user.id, expire_date, now).await?;
        self.resets.keep_newest(user.id, MAX_OUTSTANDING_RESETS, now).await?;
        let mail = self.reset_mail(&user, &token);
        if let Err(err) = self.mailer.send(mail).await {
            // The client learns nothing either way; the operator sees the failure.
            tracing::warn!(error = %err, user_id = user.id, "password reset mail could not be sent");
        }
        Ok(())
    }

    fn reset_mail(&self, user: &User, token: &str) -> Mail {
        let minutes = self.config.reset_ttl.num_minutes();
        let mut body = format!(
            "Hello {name},\n\nsomeone asked to reset the password of your Agora account.\n\n\
             Your password reset token:\n\n{token}\n\n",
            name = user.name
        );
        if let Some(base) = &self.config.reset_link_base {
            body.push_str(&format!("Or open this link:\n\n{base}{token}\n\n"));
        }
        body.push_str(&format!(
            "The token works once, for {minutes} minutes. If you did not ask for it, ignore this mail.\n"
        ));
        Mail { to: user.email.clone(), subject: "Reset your Agora password".to_owned(), body }
    }

    /// Sets a new password with a reset token; the token is spent and every session of
    /// the user is revoked.
    pub async fn confirm_password_reset(&self, token: &str, new_password: &str) -> Result<(), IdentityError> {
        let new = Password::parse(new_password).map_err(|message| FieldErrors::single("new_password", message))?;
        let digest = self.secrets.digest(token);
        let now = self.clock.now();
        let record = self.resets.find(&digest).await?.ok_or(IdentityError::ResetTokenInvalid)?;
        if record.used_date.is_some() || record.expire_date <= now {
            return Err(IdentityError::ResetTokenInvalid);
        }
        let user = self.users.find_by_id(record.user_id).await?.ok_or(IdentityError::ResetTokenInvalid)?;
        let hash = self.hasher.hash(&new).await?;
        if !self.resets.consume(&digest, now).await? {
            return Err(IdentityError::ResetTokenInvalid);
        }
        self.users.set_password(user.id, hash, now).await?;
        self.access_cache.forget_user(user.id);
        self.resets.consume_all(user.id, now).await?;
        self.sessions.revoke_all(user.id, None, RevokeReason::PasswordReset, now).await?;
        Ok(())
    }

    /// Users, optionally filtered, in id order.
    pub async fn list_users(&self, filter: UserFilter, page: PageRequest) -> Result<Page<User>, IdentityError> {
        if filter.q.as_deref().is_some_and(kernel::text::has_forbidden_control) {
            return Err(FieldErrors::single("q", kernel::text::CONTROL_CHARACTERS).into());
        }
        Ok(self.users.list(filter, page).await?)
    }

    /// Finds a user by id, or by name when `key` is not a number (for server-side tools).
    pub async fn find_user(&self, key: &str) -> Result<User, IdentityError> {
        let user = match key.trim().parse::<UserId>() {
            Ok(id) => self.users.find_by_id(id).await?,
            Err(_) => self.find_by_name_or_email(key).await?,
        };
        user.ok_or(IdentityError::UserNotFound)
    }

    /// Bans or unbans a user. A ban revokes every session of the user at once; the
    /// per-request check rejects even access tokens issued before it. `by` is the admin
    /// acting, or `None` for a server-side tool.
    pub async fn set_banned(&self, by: Option<&Actor>, user_id: UserId, banned: bool) -> Result<User, IdentityError> {
        self.check_moderator(by, user_id)?;
        let user = self.profile(user_id).await?;
        let now = self.clock.now();
        self.users.set_banned(user.id, banned, now).await?;
        self.access_cache.forget_user(user.id);
        if banned {
            self.sessions.revoke_all(user.id, None, RevokeReason::Banned, now).await?;
            self.events.account_disabled(user.id, DisabledReason::Banned).await;
        }
        let action = if banned { "user.ban" } else { "user.unban" };
        self.record(by, action, user.id, serde_json::json!({ "is_banned": banned })).await?;
        self.profile(user_id).await
    }

    /// Deactivates or reactivates a user; deactivation revokes every session at once.
    pub async fn set_active(&self, by: Option<&Actor>, user_id: UserId, active: bool) -> Result<User, IdentityError> {
        self.check_moderator(by, user_id)?;
        let user = self.profile(user_id).await?;
        let now = self.clock.now();
        self.users.set_active(user.id, active, now).await?;
        self.access_cache.forget_user(user.id);
        if !active {
            self.sessions.revoke_all(user.id, None, RevokeReason::Deactivated, now).await?;
            self.events.account_disabled(user.id, DisabledReason::Deactivated).await;
        }
        let action = if active { "user.activate" } else { "user.deactivate" };
        self.record(by, action, user.id, serde_json::json!({ "is_active": active })).await?;
        self.profile(user_id).await
    }

    /// An admin's moderation of a user (`PATCH /admin/users/{id}`): bans or unbans and/or
    /// deactivates or reactivates, changing (and recording) only what differs from the
    /// user's current state. Naming either field for oneself is `CannotModerateSelf`.
    pub async fn moderate(
        &self,
        by: Option<&Actor>,
        user_id: UserId,
        is_banned: Option<bool>,
        is_active: Option<bool>,
    ) -> Result<User, IdentityError> {
        if let Some(actor) = by
            && !actor.is_admin()
        {
            return Err(IdentityError::AdminRequired);
        }
        if is_banned.is_some() || is_active.is_some() {
            self.check_moderator(by, user_id)?;
        }
        let user = self.profile(user_id).await?;
        let mut changed = false;
        if let Some(banned) = is_banned.filter(|b| *b != user.is_banned) {
            self.set_banned(by, user_id, banned).await?;
            changed = true;
        }
        if let Some(active) = is_active.filter(|a| *a != user.is_active) {
            self.set_active(by, user_id, active).await?;
            changed = true;
        }
        if changed { self.profile(user_id).await } else { Ok(user) }
    }

    fn check_moderator(&self, by: Option<&Actor>, target: UserId) -> Result<(), IdentityError> {
        match by {
            None => Ok(()),
            Some(actor) if !actor.is_admin() => Err(IdentityError::AdminRequired),
            Some(actor) if actor.id == target => Err(IdentityError::CannotModerateSelf),
            Some(_) => Ok(()),
        }
    }

    /// Removes expired tokens and sessions; run periodically.
    pub async fn purge_expired(&self) -> Result<u64, IdentityError> {
        Ok(self.sessions.purge_expired(self.clock.now()).await?)
    }
}

fn write_error(err: UserWriteError) -> IdentityError {
    match err {
        UserWriteError::NameTaken => IdentityError::NameTaken,
        UserWriteError::EmailTaken => IdentityError::EmailTaken,
        UserWriteError::Infra(err) => IdentityError::Infra(err),
    }
}

fn token_error(err: TokenError) -> IdentityError {
    match err {
        TokenError::Invalid => IdentityError::TokenInvalid,
        TokenError::Expired => IdentityError::TokenExpired,
    }
}

#[cfg(test)]
mod tests;
