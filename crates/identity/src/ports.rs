//! The ports of the identity domain: what it needs from storage, cryptography and mail.
//! Adapters implement these contracts; the service relies on nothing else.

use async_trait::async_trait;
use kernel::{InfraError, Page, PageRequest, Timestamp, UserId};

use crate::token::{AccessClaims, RefreshClaims, TokenError};
use crate::user::{NewUser, Password, PasswordHash, User, UserUpdate};

/// Why a user could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum UserWriteError {
    #[error("name taken")]
    NameTaken,
    #[error("email taken")]
    EmailTaken,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Which users a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Case-insensitive substring of the name or the email.
    pub q: Option<String>,
}

/// Storage of user accounts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a user. MUST return `NameTaken` when another user has the same name key
    /// (case-insensitive) and `EmailTaken` when the email exists, also when two inserts race.
    async fn create(&self, user: NewUser) -> Result<User, UserWriteError>;
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, InfraError>;
    /// Looks a user up by the lower-cased name key.
    async fn find_by_name_key(&self, name_key: &str) -> Result<Option<User>, InfraError>;
    /// Looks a user up by the lower-cased email.
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, InfraError>;
    /// Applies the given profile changes, with the same conflict rules as `create`.
    async fn update_profile(&self, id: UserId, update: UserUpdate, at: Timestamp) -> Result<User, UserWriteError>;
    async fn set_password(&self, id: UserId, hash: PasswordHash, at: Timestamp) -> Result<(), InfraError>;
    /// Sets `is_banned` and, when banning, records the time of the ban.
    async fn set_banned(&self, id: UserId, banned: bool, at: Timestamp) -> Result<(), InfraError>;
    async fn set_active(&self, id: UserId, active: bool, at: Timestamp) -> Result<(), InfraError>;
    /// Users ordered by id ascending, after the cursor; `Cursor::by_id` positions.
    async fn list(&self, filter: UserFilter, page: PageRequest) -> Result<Page<User>, InfraError>;
}

/// A login session: the family of refresh tokens one login started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFamily {
    pub id: i64,
    pub user_id: UserId,
    pub create_date: Timestamp,
    /// The absolute end of the session, however often it is refreshed.
    pub expire_date: Timestamp,
    pub revoke_date: Option<Timestamp>,
    /// The login or the latest refresh.
    pub last_used: Timestamp,
    pub client: SignInClient,
}

/// Where a sign-in came from, as its owner sees it in the list of sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInClient {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl SignInClient {
    /// The longest user agent kept; the rest is cut.
    pub const MAX_USER_AGENT_CHARS: usize = 256;

    /// A client description fit to store and show: control characters dropped (NUL cannot
    /// even be stored on PostgreSQL), the user agent cut to its maximum, empty values none.
    pub fn new(user_agent: Option<&str>, ip: Option<&str>) -> Self {
        let clean = |raw: &str, max: usize| {
            let text: String = raw.chars().filter(|c| !c.is_control()).take(max).collect();
            let text = text.trim().to_owned();
            (!text.is_empty()).then_some(text)
        };
        SignInClient {
            user_agent: user_agent.and_then(|ua| clean(ua, Self::MAX_USER_AGENT_CHARS)),
            ip: ip.and_then(|ip| clean(ip, 64)),
        }
    }
}

/// A stored refresh token (by its `jti`, never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub jti: String,
    pub family_id: i64,
    pub user_id: UserId,
    pub expire_date: Timestamp,
    pub spent_date: Option<Timestamp>,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Logout,
    RefreshReused,
    PasswordChanged,
    PasswordReset,
    Banned,
    Deactivated,
    /// Its owner ended it from the list of sessions.
    SessionRevoked,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Logout => "logout",
            RevokeReason::RefreshReused => "refresh_reused",
            RevokeReason::PasswordChanged => "password_changed",
            RevokeReason::PasswordReset => "password_reset",
            RevokeReason::Banned => "banned",
            RevokeReason::Deactivated => "deactivated",
            RevokeReason::SessionRevoked => "session_revoked",
        }
    }
}

/// Everything the per-request check needs, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessState {
    pub user: User,
    /// The session exists, is not revoked and has not passed its absolute end.
    pub session_active: bool,
    /// The access token's `jti` is on the blacklist.
    pub blacklisted: bool,
}

/// Storage of login sessions, refresh tokens and the access-token blacklist.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Starts a session; `at` is its first use.
    async fn create_family(
        &self,
        user_id: UserId,
        client: SignInClient,
        at: Timestamp,
        expire_date: Timestamp,
    ) -> Result<SessionFamily, InfraError>;
    async fn find_family(&self, family_id: i64) -> Result<Option<SessionFamily>, InfraError>;
    /// The user's live sessions (not revoked, not past their absolute end at `now`), newest
    /// first, after the cursor (`Cursor::by_id`).
    async fn list_active_families(
        &self,
        user_id: UserId,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<SessionFamily>, InfraError>;
    /// Stores a refresh token, and MUST record `at` as its family's last use.
    async fn store_refresh(&self, record: RefreshRecord, at: Timestamp) -> Result<(), InfraError>;
    async fn find_refresh(&self, jti: &str) -> Result<Option<RefreshRecord>, InfraError>;
    /// Marks the token spent. MUST be atomic: returns true only for the one caller that
    /// spent it, false when it was already spent (a concurrent or repeated use).
    async fn spend_refresh(&self, jti: &str, at: Timestamp) -> Result<bool, InfraError>;
    async fn revoke_family(&self, family_id: i64, reason: RevokeReason, at: Timestamp) -> Result<(), InfraError>;
    /// Revokes every active session of the user except `keep`.
    async fn revoke_all(
        &self,
        user_id: UserId,
        keep: Option<i64>,
        reason: RevokeReason,
        at: Timestamp,
    ) -> Result<(), InfraError>;
    /// Puts an access token's `jti` on the blacklist until `expire_date`. Idempotent.
    async fn blacklist(
        &self,
        jti: &str,
        user_id: UserId,
        expire_date: Timestamp,
        at: Timestamp,
    ) -> Result<(), InfraError>;
    /// Reads the user, the session and the blacklist for one access token. `None` when the
    /// user does not exist. Called on every authenticated request: one round trip.
    async fn access_state(
        &self,
        user_id: UserId,
        family_id: i64,
        jti: &str,
        now: Timestamp,
    ) -> Result<Option<AccessState>, InfraError>;
    /// Deletes blacklist entries, refresh tokens and sessions that expired before `now`;
    /// returns how many rows went.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, InfraError>;
}

/// A password reset request as stored (by the hash of its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRecord {
    pub user_id: UserId,
    pub expire_date: Timestamp,
    pub used_date: Option<Timestamp>,
}

/// Storage of password-reset tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ResetTokenRepository: Send + Sync {
    async fn store(
        &self,
        token_hash: &str,
        user_id: UserId,
        expire_date: Timestamp,
        at: Timestamp,
    ) -> Result<(), InfraError>;
    async fn find(&self, token_hash: &str) -> Result<Option<ResetRecord>, InfraError>;
    /// Marks the token used. MUST be atomic: true only for the one caller that used it.
    async fn consume(&self, token_hash: &str, at: Timestamp) -> Result<bool, InfraError>;
    /// Marks every unused token of the user used (a new password spends them all).
    async fn consume_all(&self, user_id: UserId, at: Timestamp) -> Result<(), InfraError>;
    /// Marks the user's unused tokens used, all but the `keep` newest.
    async fn keep_newest(&self, user_id: UserId, keep: u64, at: Timestamp) -> Result<(), InfraError>;
}

/// The failed logins of one account in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    pub count: u32,
    /// When the first failure of the window happened.
    pub window_start: Timestamp,
    /// Logins are refused until then, whatever the password.
    pub locked_until: Option<Timestamp>,
}

/// Storage of failed-login counts per account, shared by every instance so that the
/// throttle holds whatever address and instance the attempts come through.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoginThrottleRepository: Send + Sync {
    async fn find(&self, user_id: UserId) -> Result<Option<LoginFailures>, InfraError>;
    /// Stores the account's failures, replacing what was there.
    async fn save(&self, user_id: UserId, failures: LoginFailures) -> Result<(), InfraError>;
    /// Forgets the account's failures (a successful login). Idempotent.
    async fn clear(&self, user_id: UserId) -> Result<(), InfraError>;
}

/// Password hashing. Implementations MUST NOT block the async executor (bcrypt runs on
/// a blocking thread).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, InfraError>;
    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, InfraError>;
    /// Spends the same work as `verify` against a hash no password matches, so that a
    /// login for an unknown user costs what a wrong password costs.
    async fn verify_dummy(&self, password: &str) -> Result<(), InfraError>;
}

/// Encoding and verification of signed tokens. A token of one kind MUST NOT verify as
/// the other kind; expiry is checked by `verify_*`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenCodec: Send + Sync {
    fn encode_access(&self, claims: &AccessClaims) -> Result<String, InfraError>;
    fn encode_refresh(&self, claims: &RefreshClaims) -> Result<String, InfraError>;
    fn decode_access(&self, token: &str) -> Result<AccessClaims, TokenError>;
    fn decode_refresh(&self, token: &str) -> Result<RefreshClaims, TokenError>;
}

/// Randomness for identifiers and secrets.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretGenerator: Send + Sync {
    /// A unique token id (`jti`).
    fn token_id(&self) -> String;
    /// A URL-safe secret of at least 32 characters from a cryptographic source.
    fn url_safe_secret(&self) -> String;
    /// A one-way digest of a secret, for storage and lookup (hex, 64 characters).
    fn digest(&self, secret: &str) -> String;
}

/// An outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Mail delivery (log, file or SMTP).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> Result<(), InfraError>;
}

/// Why an account stopped being usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledReason {
    Banned,
    Deactivated,
}

/// Listeners of account changes that other parts of the system must act on at once, such
/// as live chat sockets of a banned user.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountEvents: Send + Sync {
    /// The account was banned or deactivated. Failures are the listener's to log.
    async fn account_disabled(&self, user_id: UserId, reason: DisabledReason);

    /// The account's name changed: copies of it kept for reads (post authors) are stale.
    async fn account_renamed(&self, user_id: UserId);
}

/// An [`AccountEvents`] that nobody listens to.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAccountEvents;

#[async_trait]
impl AccountEvents for NoAccountEvents {
    async fn account_disabled(&self, _: UserId, _: DisabledReason) {}

    async fn account_renamed(&self, _: UserId) {}
}
