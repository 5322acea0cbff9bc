//! Rules of the account service, checked against mocked ports.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use kernel::audit::MockAuditLog;
use kernel::{Actor, InfraError, ManualClock, Role, Timestamp};
use mockall::predicate::{always, eq};

use super::*;
use crate::ports::{
    AccessState, DisabledReason, LoginFailures, MockAccountEvents, MockLoginThrottleRepository, MockMailer,
    MockPasswordHasher, MockResetTokenRepository, MockSecretGenerator, MockSessionRepository, MockTokenCodec,
    MockUserRepository, ResetRecord,
};
use crate::user::PasswordHash;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap()
}

fn user(id: i64) -> User {
    User {
        id,
        name: format!("user{id}"),
        email: format!("user{id}@example.com"),
        password_hash: PasswordHash::new(format!("hash-of-user{id}")),
        join_date: t0(),
        update_date: t0(),
        is_superuser: false,
        is_banned: false,
        is_active: true,
    }
}

fn family(id: i64, user_id: i64) -> SessionFamily {
    SessionFamily {
        id,
        user_id,
        create_date: t0(),
        expire_date: t0() + Duration::days(90),
        revoke_date: None,
        last_used: t0(),
        client: SignInClient::default(),
    }
}

fn access_claims(user_id: i64, family_id: i64) -> AccessClaims {
    AccessClaims {
        user_id,
        role: Role::User,
        jti: "access-jti".to_owned(),
        family_id,
        issued_at: t0(),
        expires_at: t0() + Duration::minutes(15),
    }
}

fn refresh_claims(user_id: i64, family_id: i64) -> RefreshClaims {
    RefreshClaims {
        user_id,
        jti: "refresh-jti".to_owned(),
        family_id,
        issued_at: t0(),
        expires_at: t0() + Duration::days(14),
    }
}

/// The ports of one test, each a mock to be given expectations before `build`.
struct Fixture {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    resets: MockResetTokenRepository,
    throttles: MockLoginThrottleRepository,
    hasher: MockPasswordHasher,
    codec: MockTokenCodec,
    secrets: MockSecretGenerator,
    mailer: MockMailer,
    audit: MockAuditLog,
    events: MockAccountEvents,
    config: IdentityConfig,
}

impl Fixture {
    fn new() -> Self {
        let mut secrets = MockSecretGenerator::new();
        secrets.expect_token_id().returning(|| "fresh-jti".to_owned());
        secrets.expect_digest().returning(|secret| format!("digest({secret})"));
        let mut codec = MockTokenCodec::new();
        codec.expect_encode_access().returning(|c| Ok(format!("access:{}", c.jti)));
        codec.expect_encode_refresh().returning(|c| Ok(format!("refresh:{}", c.jti)));
        Fixture {
            users: MockUserRepository::new(),
            sessions: MockSessionRepository::new(),
            resets: MockResetTokenRepository::new(),
            throttles: MockLoginThrottleRepository::new(),
            hasher: MockPasswordHasher::new(),
            codec,
            secrets,
            mailer: MockMailer::new(),
            audit: MockAuditLog::new(),
            events: MockAccountEvents::new(),
            // The per-account throttle has tests of its own; elsewhere it stays out of the way.
            config: IdentityConfig { max_login_failures: 0, ..IdentityConfig::default() },
        }
    }

    fn build(self) -> AccountService {
        AccountService::new(
            AccountPorts {
                users: Arc::new(self.users),
                sessions: Arc::new(self.sessions),
                resets: Arc::new(self.resets),
                throttles: Arc::new(self.throttles),
                hasher: Arc::new(self.hasher),
                codec: Arc::new(self.codec),
                secrets: Arc::new(self.secrets),
                mailer: Arc::new(self.mailer),
                clock: Arc::new(ManualClock::new(t0())),
                audit: Arc::new(self.audit),
                events: Arc::new(self.events),
            },
            self.config,
        )
    }

    /// The user `user` exists, is found by name and email, and `password` is right.
    fn with_user(&mut self, user: User, password: &'static str) {
        let by_name = user.clone();
        self.users
            .expect_find_by_name_key()
            .with(eq(user.name.to_lowercase()))
            .returning(move |_| Ok(Some(by_name.clone())));
        let by_email = user.clone();
        self.users.expect_find_by_email().with(eq(user.email.clone())).returning(move |_| Ok(Some(by_email.clone())));
        let by_id = user.clone();
        self.users.expect_find_by_id().with(eq(user.id)).returning(move |_| Ok(Some(by_id.clone())));
        let hash = user.password_hash.clone();
        self.hasher.expect_verify().returning(move |given, stored| Ok(given == password && stored == &hash));
    }

    fn expect_new_session(&mut self, family_id: i64) {
        self.sessions.expect_create_family().returning(move |user_id, client, at, expire| {
            Ok(SessionFamily {
                id: family_id,
                user_id,
                create_date: at,
                expire_date: expire,
                revoke_date: None,
                last_used: at,
                client,
            })
        });
        self.sessions.expect_store_refresh().returning(|_, _| Ok(()));
    }
}

fn signup_input(name: &str, email: &str, password: &str) -> SignupInput {
    SignupInput { name: name.to_owned(), email: email.to_owned(), password: password.to_owned() }
}

#[tokio::test]
async fn signup_reports_every_invalid_field_at_once() {
    let service = Fixture::new().build();
    let err = service.signup(signup_input("a", "not-an-email", "short")).await.unwrap_err();
    let IdentityError::Validation(errors) = err else { panic!("expected validation, got {err:?}") };
    let fields: Vec<&String> = errors.fields().keys().collect();
    assert_eq!(fields, ["email", "name", "password"]);
}

#[tokio::test]
async fn signup_refuses_password_over_72_bytes_instead_of_cutting_it() {
    let service = Fixture::new().build();
    let err = service.signup(signup_input("alice", "alice@example.com", &"x".repeat(73))).await.unwrap_err();
    assert!(matches!(err, IdentityError::Validation(e) if e.fields().contains_key("password")));
}

#[tokio::test]
async fn signup_refuses_taken_name_case_insensitively_without_hashing() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_name_key().with(eq("alice".to_owned())).returning(|_| Ok(Some(user(1))));
    fx.hasher.expect_hash().never();
    let err = fx.build().signup(signup_input("ALICE", "new@example.com", "password1")).await.unwrap_err();
    assert!(matches!(err, IdentityError::NameTaken));
}

#[tokio::test]
async fn signup_refuses_taken_email() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_name_key().returning(|_| Ok(None));
    fx.users.expect_find_by_email().with(eq("alice@example.com".to_owned())).returning(|_| Ok(Some(user(1))));
    let err = fx.build().signup(signup_input("alice", "Alice@Example.com", "password1")).await.unwrap_err();
    assert!(matches!(err, IdentityError::EmailTaken));
}

#[tokio::test]
async fn signup_stores_a_hash_and_maps_a_racing_duplicate_to_conflict() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_name_key().returning(|_| Ok(None));
    fx.users.expect_find_by_email().returning(|_| Ok(None));
    fx.hasher
        .expect_hash()
        .withf(|p| p.expose() == "password1")
        .returning(|_| Ok(PasswordHash::new("bcrypt-hash".to_owned())));
    fx.users
        .expect_create()
        .withf(|u| {
            u.password_hash.as_str() == "bcrypt-hash" && !u.is_superuser && u.email.as_str() == "alice@example.com"
        })
        .returning(|_| Err(UserWriteError::EmailTaken));
    let err = fx.build().signup(signup_input("alice", "alice@example.com", "password1")).await.unwrap_err();
    assert!(matches!(err, IdentityError::EmailTaken));
}

#[tokio::test]
async fn create_admin_creates_a_superuser() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_name_key().returning(|_| Ok(None));
    fx.users.expect_find_by_email().returning(|_| Ok(None));
    fx.hasher.expect_hash().returning(|_| Ok(PasswordHash::new("h".to_owned())));
    fx.users.expect_create().withf(|u| u.is_superuser).returning(|_| {
        let mut admin = user(1);
        admin.is_superuser = true;
        Ok(admin)
    });
    fx.audit
        .expect_record()
        .withf(|e| e.action == "user.create_admin" && e.actor_id.is_none() && e.target_id == Some(1))
        .times(1)
        .returning(|_| Ok(()));
    let admin = fx.build().create_admin(signup_input("root", "root@example.com", "password1")).await.unwrap();
    assert_eq!(admin.role(), Role::Admin);
}

#[tokio::test]
async fn login_for_unknown_user_spends_dummy_bcrypt_work_and_answers_invalid_credentials() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_name_key().returning(|_| Ok(None));
    fx.hasher.expect_verify_dummy().times(1).returning(|_| Ok(()));
    let err = fx.build().login("ghost", "password1", SignInClient::default()).await.unwrap_err();
    assert!(matches!(err, IdentityError::InvalidCredentials));
}

#[tokio::test]
async fn login_with_wrong_password_answers_invalid_credentials() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "right-password");
    let err = fx.build().login("user1", "wrong-password", SignInClient::default()).await.unwrap_err();
    assert!(matches!(err, IdentityError::InvalidCredentials));
}

#[tokio::test]
async fn login_of_deactivated_account_looks_like_wrong_credentials() {
    let mut fx = Fixture::new();
    let mut gone = user(1);
    gone.is_active = false;
    fx.with_user(gone, "right-password");
    let err = fx.build().login("user1", "right-password", SignInClient::default()).await.unwrap_err();
    assert!(matches!(err, IdentityError::InvalidCredentials));
}

#[tokio::test]
async fn login_of_banned_account_is_banned_only_with_the_right_password() {
    let mut fx = Fixture::new();
    let mut banned = user(1);
    banned.is_banned = true;
    fx.with_user(banned, "right-password");
    let service = fx.build();
    assert!(matches!(
        service.login("user1", "right-password", SignInClient::default()).await,
        Err(IdentityError::Banned)
    ));
    assert!(matches!(
        service.login("user1", "wrong-password", SignInClient::default()).await,
        Err(IdentityError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn login_by_email_ignores_case_and_starts_a_new_session() {
    let mut fx = Fixture::new();
    fx.with_user(user(7), "right-password");
    fx.expect_new_session(42);
    let outcome = fx.build().login("User7@EXAMPLE.com", "right-password", SignInClient::default()).await.unwrap();
    assert_eq!(outcome.user.id, 7);
    assert_eq!(outcome.tokens.access_token, "access:fresh-jti");
    assert_eq!(outcome.tokens.refresh_token, "refresh:fresh-jti");
    assert_eq!(outcome.tokens.expires_in, 900);
    assert_eq!(outcome.tokens.refresh_expires_at, t0() + Duration::seconds(1_209_600));
}

#[tokio::test]
async fn login_refuses_overlong_and_empty_input_as_validation() {
    let service = Fixture::new().build();
    assert!(matches!(
        service.login("alice", &"x".repeat(73), SignInClient::default()).await,
        Err(IdentityError::Validation(_))
    ));
    assert!(matches!(service.login("", "password1", SignInClient::default()).await, Err(IdentityError::Validation(_))));
}

fn refresh_fixture(record: RefreshRecord, fam: SessionFamily, account: User) -> Fixture {
    let mut fx = Fixture::new();
    let claims = refresh_claims(record.user_id, record.family_id);
    fx.codec.expect_decode_refresh().returning(move |_| Ok(claims.clone()));
    fx.sessions.expect_find_refresh().returning(move |_| Ok(Some(record.clone())));
    fx.sessions.expect_find_family().returning(move |_| Ok(Some(fam.clone())));
    fx.users.expect_find_by_id().returning(move |_| Ok(Some(account.clone())));
    fx
}

fn live_record() -> RefreshRecord {
    RefreshRecord {
        jti: "refresh-jti".to_owned(),
        family_id: 5,
        user_id: 1,
        expire_date: t0() + Duration::days(14),
        spent_date: None,
    }
}

#[tokio::test]
async fn refresh_spends_the_token_and_issues_a_pair_in_the_same_family() {
    let mut fx = refresh_fixture(live_record(), family(5, 1), user(1));
    fx.sessions.expect_spend_refresh().with(eq("refresh-jti"), always()).times(1).returning(|_, _| Ok(true));
    fx.sessions
        .expect_store_refresh()
        .withf(|r, _| r.family_id == 5 && r.jti == "fresh-jti" && r.spent_date.is_none())
        .times(1)
        .returning(|_, _| Ok(()));
    let outcome = fx.build().refresh("refresh-token").await.unwrap();
    assert_eq!(outcome.tokens.refresh_token, "refresh:fresh-jti");
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let mut record = live_record();
    record.spent_date = Some(t0());
    let mut fx = refresh_fixture(record, family(5, 1), user(1));
    fx.sessions
        .expect_revoke_family()
        .with(eq(5), eq(RevokeReason::RefreshReused), always())
        .times(1)
        .returning(|_, _, _| Ok(()));
    fx.sessions.expect_spend_refresh().never();
    let err = fx.build().refresh("refresh-token").await.unwrap_err();
    assert!(matches!(err, IdentityError::RefreshReused));
}

#[tokio::test]
async fn losing_a_refresh_race_counts_as_reuse() {
    let mut fx = refresh_fixture(live_record(), family(5, 1), user(1));
    fx.sessions.expect_spend_refresh().returning(|_, _| Ok(false));
    fx.sessions.expect_revoke_family().times(1).returning(|_, _, _| Ok(()));
    let err = fx.build().refresh("refresh-token").await.unwrap_err();
    assert!(matches!(err, IdentityError::RefreshReused));
}

#[tokio::test]
async fn refresh_in_a_revoked_or_expired_family_is_refused() {
    let mut revoked = family(5, 1);
    revoked.revoke_date = Some(t0());
    let fx = refresh_fixture(live_record(), revoked, user(1));
    assert!(matches!(fx.build().refresh("t").await, Err(IdentityError::TokenRevoked)));

    let mut ended = family(5, 1);
    ended.expire_date = t0();
    let fx = refresh_fixture(live_record(), ended, user(1));
    assert!(matches!(fx.build().refresh("t").await, Err(IdentityError::TokenRevoked)));
}

#[tokio::test]
async fn refresh_of_banned_or_deactivated_user_is_refused() {
    let mut banned = user(1);
    banned.is_banned = true;
    let fx = refresh_fixture(live_record(), family(5, 1), banned);
    assert!(matches!(fx.build().refresh("t").await, Err(IdentityError::Banned)));

    let mut gone = user(1);
    gone.is_active = false;
    let fx = refresh_fixture(live_record(), family(5, 1), gone);
    assert!(matches!(fx.build().refresh("t").await, Err(IdentityError::Deactivated)));
}

#[tokio::test]
async fn refresh_token_never_outlives_its_session() {
    let mut short = family(5, 1);
    short.expire_date = t0() + Duration::hours(1);
    let mut fx = refresh_fixture(live_record(), short, user(1));
    fx.sessions.expect_spend_refresh().returning(|_, _| Ok(true));
    fx.sessions
        .expect_store_refresh()
        .withf(|r, _| r.expire_date == t0() + Duration::hours(1))
        .times(1)
        .returning(|_, _| Ok(()));
    let outcome = fx.build().refresh("t").await.unwrap();
    assert_eq!(outcome.tokens.refresh_expires_at, t0() + Duration::hours(1));
}

#[tokio::test]
async fn refresh_rejects_tokens_the_codec_refuses() {
    let mut fx = Fixture::new();
    fx.codec.expect_decode_refresh().returning(|_| Err(TokenError::Invalid));
    assert!(matches!(fx.build().refresh("access-token").await, Err(IdentityError::TokenInvalid)));
}

fn auth_fixture(state: Option<AccessState>) -> Fixture {
    let mut fx = Fixture::new();
    fx.codec.expect_decode_access().returning(|_| Ok(access_claims(1, 5)));
    fx.sessions
        .expect_access_state()
        .with(eq(1), eq(5), eq("access-jti"), always())
        .returning(move |_, _, _, _| Ok(state.clone()));
    fx
}

fn state(account: User) -> AccessState {
    AccessState { user: account, session_active: true, blacklisted: false }
}

#[tokio::test]
async fn authenticate_takes_the_role_from_the_account_not_the_token() {
    let mut admin = user(1);
    admin.is_superuser = true;
    let auth = auth_fixture(Some(state(admin))).build().authenticate("t").await.unwrap();
    assert_eq!(auth.actor, Actor { id: 1, name: "user1".to_owned(), role: Role::Admin });
    assert_eq!(auth.claims.family_id, 5);
}

#[tokio::test]
async fn authenticate_rejects_banned_deactivated_revoked_and_blacklisted() {
    let mut banned = user(1);
    banned.is_banned = true;
    let service = auth_fixture(Some(state(banned))).build();
    assert!(matches!(service.authenticate("t").await, Err(IdentityError::Banned)));

    let mut gone = user(1);
    gone.is_active = false;
    let service = auth_fixture(Some(state(gone))).build();
    assert!(matches!(service.authenticate("t").await, Err(IdentityError::Deactivated)));

    let revoked = AccessState { session_active: false, ..state(user(1)) };
    let service = auth_fixture(Some(revoked)).build();
    assert!(matches!(service.authenticate("t").await, Err(IdentityError::TokenRevoked)));

    let blacklisted = AccessState { blacklisted: true, ..state(user(1)) };
    let service = auth_fixture(Some(blacklisted)).build();
    assert!(matches!(service.authenticate("t").await, Err(IdentityError::TokenRevoked)));

    let service = auth_fixture(None).build();
    assert!(matches!(service.authenticate("t").await, Err(IdentityError::TokenInvalid)));
}

#[tokio::test]
async fn authenticate_reports_expired_and_invalid_tokens() {
    let mut fx = Fixture::new();
    fx.codec
        .expect_decode_access()
        .returning(|t| if t == "old" { Err(TokenError::Expired) } else { Err(TokenError::Invalid) });
    let service = fx.build();
    assert!(matches!(service.authenticate("old").await, Err(IdentityError::TokenExpired)));
    assert!(matches!(service.authenticate("forged").await, Err(IdentityError::TokenInvalid)));
}

fn authenticated(user_id: i64, family_id: i64) -> Authenticated {
    Authenticated {
        actor: Actor { id: user_id, name: format!("user{user_id}"), role: Role::User },
        claims: access_claims(user_id, family_id),
    }
}

#[tokio::test]
async fn logout_blacklists_the_access_token_until_expiry_and_revokes_its_family() {
    let mut fx = Fixture::new();
    fx.sessions
        .expect_blacklist()
        .with(eq("access-jti"), eq(1), eq(t0() + Duration::minutes(15)), always())
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    fx.sessions
        .expect_revoke_family()
        .with(eq(5), eq(RevokeReason::Logout), always())
        .times(1)
        .returning(|_, _, _| Ok(()));
    fx.build().logout(&authenticated(1, 5)).await.unwrap();
}

#[tokio::test]
async fn change_password_with_wrong_current_password_changes_nothing() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "right-password");
    fx.users.expect_set_password().never();
    fx.sessions.expect_revoke_all().never();
    let err = fx.build().change_password(&authenticated(1, 5), "wrong", "new-password").await.unwrap_err();
    assert!(matches!(err, IdentityError::WrongPassword));
}

#[tokio::test]
async fn change_password_spends_reset_tokens_and_revokes_every_other_session_but_keeps_this_one() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "right-password");
    fx.hasher.expect_hash().returning(|_| Ok(PasswordHash::new("new-hash".to_owned())));
    fx.users
        .expect_set_password()
        .withf(|id, hash, _| *id == 1 && hash.as_str() == "new-hash")
        .times(1)
        .returning(|_, _, _| Ok(()));
    fx.resets.expect_consume_all().with(eq(1), always()).times(1).returning(|_, _| Ok(()));
    fx.sessions
        .expect_revoke_all()
        .with(eq(1), eq(Some(5)), eq(RevokeReason::PasswordChanged), always())
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    fx.build().change_password(&authenticated(1, 5), "right-password", "new-password").await.unwrap();
}

#[tokio::test]
async fn change_password_validates_the_new_password() {
    let service = Fixture::new().build();
    let err = service.change_password(&authenticated(1, 5), "x", &"y".repeat(73)).await.unwrap_err();
    assert!(matches!(err, IdentityError::Validation(e) if e.fields().contains_key("new_password")));
}

#[tokio::test]
async fn deactivate_needs_the_password_then_revokes_everything() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "right-password");
    fx.users.expect_set_active().with(eq(1), eq(false), always()).times(1).returning(|_, _, _| Ok(()));
    fx.sessions
        .expect_revoke_all()
        .with(eq(1), eq(None), eq(RevokeReason::Deactivated), always())
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    fx.sessions.expect_blacklist().times(1).returning(|_, _, _, _| Ok(()));
    fx.events.expect_account_disabled().with(eq(1), eq(DisabledReason::Deactivated)).times(1).return_const(());
    let service = fx.build();
    assert!(matches!(service.deactivate(&authenticated(1, 5), "wrong").await, Err(IdentityError::WrongPassword)));
    service.deactivate(&authenticated(1, 5), "right-password").await.unwrap();
}

#[tokio::test]
async fn password_reset_for_unknown_or_inactive_email_sends_nothing_and_succeeds() {
    let mut fx = Fixture::new();
    let mut gone = user(2);
    gone.is_active = false;
    fx.users.expect_find_by_email().returning(move |email| Ok((email == "user2@example.com").then(|| gone.clone())));
    fx.mailer.expect_send().never();
    fx.resets.expect_store().never();
    let service = fx.build();
    service.request_password_reset("nobody@example.com").await.unwrap();
    service.request_password_reset("user2@example.com").await.unwrap();
}

#[tokio::test]
async fn password_reset_stores_only_a_digest_and_mails_the_token_and_link() {
    let mut fx = Fixture::new();
    fx.config.reset_link_base = Some("https://agora.example/reset?token=".to_owned());
    fx.with_user(user(1), "pw");
    fx.secrets.expect_url_safe_secret().returning(|| "S3cretTokenS3cretTokenS3cretToken0123".to_owned());
    fx.resets
        .expect_store()
        .withf(|hash, user_id, expire, at| {
            hash == "digest(S3cretTokenS3cretTokenS3cretToken0123)"
                && *user_id == 1
                && *expire == *at + Duration::minutes(30)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    fx.resets
        .expect_keep_newest()
        .with(eq(1), eq(MAX_OUTSTANDING_RESETS), always())
        .times(1)
        .returning(|_, _, _| Ok(()));
    fx.mailer
        .expect_send()
        .withf(|mail| {
            mail.to == "user1@example.com"
                && mail.body.contains("\nS3cretTokenS3cretTokenS3cretToken0123\n")
                && mail.body.contains("https://agora.example/reset?token=S3cretTokenS3cretTokenS3cretToken0123")
        })
        .times(1)
        .returning(|_| Ok(()));
    fx.build().request_password_reset("USER1@example.com").await.unwrap();
}

#[tokio::test]
async fn password_reset_succeeds_even_when_the_mail_fails() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "pw");
    fx.secrets.expect_url_safe_secret().returning(|| "t".repeat(43));
    fx.resets.expect_store().returning(|_, _, _, _| Ok(()));
    fx.resets.expect_keep_newest().returning(|_, _, _| Ok(()));
    fx.mailer.expect_send().returning(|_| Err(InfraError::unavailable("smtp down")));
    fx.build().request_password_reset("user1@example.com").await.unwrap();
}

fn reset_record(used: bool, expire_in: Duration) -> ResetRecord {
    ResetRecord { user_id: 1, expire_date: t0() + expire_in, used_date: used.then(t0) }
}

#[tokio::test]
async fn reset_confirm_refuses_unknown_used_and_expired_tokens() {
    for record in [None, Some(reset_record(true, Duration::minutes(5))), Some(reset_record(false, Duration::zero()))] {
        let mut fx = Fixture::new();
        fx.resets.expect_find().returning(move |_| Ok(record.clone()));
        fx.users.expect_set_password().never();
        let err = fx.build().confirm_password_reset("token", "new-password").await.unwrap_err();
        assert!(matches!(err, IdentityError::ResetTokenInvalid), "{err:?}");
    }
}

#[tokio::test]
async fn reset_confirm_lost_race_changes_nothing() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "pw");
    fx.resets.expect_find().returning(|_| Ok(Some(reset_record(false, Duration::minutes(5)))));
    fx.hasher.expect_hash().returning(|_| Ok(PasswordHash::new("h".to_owned())));
    fx.resets.expect_consume().returning(|_, _| Ok(false));
    fx.users.expect_set_password().never();
    let err = fx.build().confirm_password_reset("token", "new-password").await.unwrap_err();
    assert!(matches!(err, IdentityError::ResetTokenInvalid));
}

#[tokio::test]
async fn reset_confirm_sets_the_password_spends_every_reset_token_and_revokes_every_session() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "pw");
    fx.resets
        .expect_find()
        .with(eq("digest(token)"))
        .returning(|_| Ok(Some(reset_record(false, Duration::minutes(5)))));
    fx.hasher.expect_hash().returning(|_| Ok(PasswordHash::new("h2".to_owned())));
    fx.resets.expect_consume().times(1).returning(|_, _| Ok(true));
    fx.resets.expect_consume_all().with(eq(1), always()).times(1).returning(|_, _| Ok(()));
    fx.users.expect_set_password().times(1).returning(|_, _, _| Ok(()));
    fx.sessions
        .expect_revoke_all()
        .with(eq(1), eq(None), eq(RevokeReason::PasswordReset), always())
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    fx.build().confirm_password_reset("token", "new-password").await.unwrap();
}

fn admin_actor(id: i64) -> Actor {
    Actor { id, name: "root".to_owned(), role: Role::Admin }
}

#[tokio::test]
async fn only_admins_ban_and_never_themselves() {
    let service = Fixture::new().build();
    let plain = Actor { id: 2, name: "u".to_owned(), role: Role::User };
    assert!(matches!(service.set_banned(Some(&plain), 1, true).await, Err(IdentityError::AdminRequired)));
    assert!(matches!(service.set_banned(Some(&admin_actor(3)), 3, true).await, Err(IdentityError::CannotModerateSelf)));
    assert!(matches!(
        service.set_active(Some(&admin_actor(3)), 3, false).await,
        Err(IdentityError::CannotModerateSelf)
    ));
}

#[tokio::test]
async fn a_ban_revokes_every_session_and_an_unban_revokes_nothing() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "pw");
    fx.users.expect_set_banned().times(2).returning(|_, _, _| Ok(()));
    fx.sessions
        .expect_revoke_all()
        .with(eq(1), eq(None), eq(RevokeReason::Banned), always())
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    fx.events.expect_account_disabled().with(eq(1), eq(DisabledReason::Banned)).times(1).return_const(());
    fx.audit
        .expect_record()
        .withf(|e| e.action == "user.ban" && e.actor_id == Some(9) && e.target_id == Some(1))
        .times(1)
        .returning(|_| Ok(()));
    fx.audit.expect_record().withf(|e| e.action == "user.unban" && e.actor_id.is_none()).times(1).returning(|_| Ok(()));
    let service = fx.build();
    service.set_banned(Some(&admin_actor(9)), 1, true).await.unwrap();
    service.set_banned(None, 1, false).await.unwrap();
}

#[tokio::test]
async fn update_profile_allows_own_name_in_other_case_and_refuses_taken_email() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "pw");
    fx.users.expect_find_by_email().with(eq("taken@example.com".to_owned())).returning(|_| Ok(Some(user(2))));
    fx.users
        .expect_update_profile()
        .withf(|id, u, _| *id == 1 && u.name.as_ref().map(|n| n.as_str()) == Some("USER1"))
        .times(1)
        .returning(|_, _, _| Ok(User { name: "USER1".to_owned(), ..user(1) }));
    fx.events.expect_account_renamed().with(eq(1)).times(1).return_const(());
    let service = fx.build();
    let actor = Actor { id: 1, name: "user1".to_owned(), role: Role::User };
    service.update_profile(&actor, Some("USER1"), None).await.unwrap();
    let err = service.update_profile(&actor, None, Some("taken@example.com")).await.unwrap_err();
    assert!(matches!(err, IdentityError::EmailTaken));
}

#[tokio::test]
async fn update_profile_validates_fields() {
    let service = Fixture::new().build();
    let actor = Actor { id: 1, name: "user1".to_owned(), role: Role::User };
    let err = service.update_profile(&actor, Some("x"), Some("nope")).await.unwrap_err();
    assert!(matches!(err, IdentityError::Validation(e) if e.fields().len() == 2));
}

#[tokio::test]
async fn repeated_requests_with_one_token_reuse_the_check_until_a_local_revocation() {
    let mut fx = Fixture::new();
    fx.codec.expect_decode_access().returning(|_| Ok(access_claims(1, 5)));
    let banned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = banned.clone();
    fx.sessions.expect_access_state().times(2).returning(move |_, _, _, _| {
        let mut account = user(1);
        account.is_banned = seen.load(std::sync::atomic::Ordering::SeqCst);
        Ok(Some(state(account)))
    });
    fx.with_user(user(1), "pw");
    fx.users.expect_set_banned().returning(move |_, value, _| {
        banned.store(value, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    });
    fx.sessions.expect_revoke_all().returning(|_, _, _, _| Ok(()));
    fx.events.expect_account_disabled().return_const(());
    fx.audit.expect_record().returning(|_| Ok(()));
    let service = fx.build();
    service.authenticate("t").await.unwrap();
    service.authenticate("t").await.unwrap();
    service.authenticate("t").await.unwrap();
    service.set_banned(None, 1, true).await.unwrap();
    assert!(matches!(service.authenticate("t").await, Err(IdentityError::Banned)), "a local ban bites at once");
}

#[tokio::test]
async fn a_zero_cache_ttl_checks_every_request() {
    let mut fx = auth_fixture(Some(state(user(1))));
    fx.config.access_cache_ttl = Duration::zero();
    fx.sessions.checkpoint();
    fx.sessions.expect_access_state().times(3).returning(|_, _, _, _| Ok(Some(state(user(1)))));
    let service = fx.build();
    for _ in 0..3 {
        service.authenticate("t").await.unwrap();
    }
}

#[tokio::test]
async fn moderation_changes_and_records_only_what_differs() {
    let mut fx = Fixture::new();
    let mut banned = user(1);
    banned.is_banned = true;
    fx.users.expect_find_by_id().with(eq(1)).times(1).returning(|_| Ok(Some(user(1))));
    fx.users.expect_find_by_id().with(eq(1)).returning(move |_| Ok(Some(banned.clone())));
    fx.users.expect_set_banned().with(eq(1), eq(true), always()).times(1).returning(|_, _, _| Ok(()));
    fx.sessions.expect_revoke_all().times(1).returning(|_, _, _, _| Ok(()));
    fx.events.expect_account_disabled().times(1).return_const(());
    fx.audit.expect_record().withf(|e| e.action == "user.ban" && e.actor_id == Some(9)).times(1).returning(|_| Ok(()));
    let service = fx.build();
    // Already active: only the ban is applied and recorded.
    let after = service.moderate(Some(&admin_actor(9)), 1, Some(true), Some(true)).await.unwrap();
    assert!(after.is_banned);
    // Banned already: nothing to do, nothing recorded.
    let again = service.moderate(Some(&admin_actor(9)), 1, Some(true), None).await.unwrap();
    assert!(again.is_banned);
}

#[tokio::test]
async fn moderation_of_oneself_or_by_a_non_admin_is_refused() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_id().with(eq(3)).returning(|_| Ok(Some(user(3))));
    let service = fx.build();
    let plain = Actor { id: 2, name: "u".to_owned(), role: Role::User };
    assert!(matches!(service.moderate(Some(&plain), 1, None, None).await, Err(IdentityError::AdminRequired)));
    let me = admin_actor(3);
    assert!(matches!(service.moderate(Some(&me), 3, Some(true), None).await, Err(IdentityError::CannotModerateSelf)));
    assert!(matches!(service.moderate(Some(&me), 3, None, Some(false)).await, Err(IdentityError::CannotModerateSelf)));
    assert!(service.moderate(Some(&me), 3, None, None).await.is_ok(), "an empty change of oneself reads the user");
}

#[tokio::test]
async fn moderating_an_unknown_user_is_not_found() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_id().returning(|_| Ok(None));
    let err = fx.build().moderate(Some(&admin_actor(9)), 44, Some(true), None).await.unwrap_err();
    assert!(matches!(err, IdentityError::UserNotFound));
}

#[tokio::test]
async fn active_actor_refuses_deactivated_and_banned_accounts_like_authenticate() {
    let mut fx = Fixture::new();
    let mut admin = user(1);
    admin.is_superuser = true;
    let mut gone = user(2);
    gone.is_active = false;
    let mut banned = user(3);
    banned.is_banned = true;
    for u in [admin, gone, banned] {
        fx.users.expect_find_by_id().with(eq(u.id)).returning(move |_| Ok(Some(u.clone())));
    }
    fx.users.expect_find_by_id().with(eq(4)).returning(|_| Ok(None));
    let service = fx.build();
    let actor = service.active_actor(1).await.unwrap();
    assert_eq!((actor.id, actor.name.as_str(), actor.role), (1, "user1", Role::Admin));
    assert!(matches!(service.active_actor(2).await, Err(IdentityError::Deactivated)));
    assert!(matches!(service.active_actor(3).await, Err(IdentityError::Banned)));
    assert!(matches!(service.active_actor(4).await, Err(IdentityError::TokenInvalid)));
}

#[tokio::test]
async fn login_records_where_the_sign_in_came_from() {
    let mut fx = Fixture::new();
    fx.with_user(user(1), "right-password");
    fx.sessions
        .expect_create_family()
        .withf(|_, client, _, _| {
            client.user_agent.as_deref() == Some("curl/8.0") && client.ip.as_deref() == Some("203.0.113.9")
        })
        .times(1)
        .returning(|user_id, client, at, expire| {
            Ok(SessionFamily {
                id: 3,
                user_id,
                create_date: at,
                expire_date: expire,
                revoke_date: None,
                last_used: at,
                client,
            })
        });
    fx.sessions.expect_store_refresh().returning(|_, _| Ok(()));
    let client = SignInClient::new(Some("curl/8.0\u{0}"), Some("203.0.113.9"));
    fx.build().login("user1", "right-password", client).await.unwrap();
}

#[test]
fn sign_in_clients_drop_control_characters_and_cut_long_agents() {
    let client = SignInClient::new(Some(&format!("a\u{0}b\n{}", "x".repeat(400))), Some(""));
    let agent = client.user_agent.unwrap();
    assert!(agent.starts_with("abx"));
    assert_eq!(agent.chars().count(), SignInClient::MAX_USER_AGENT_CHARS);
    assert_eq!(client.ip, None);
}

#[tokio::test]
async fn revoking_a_session_ends_it_and_forgets_cached_token_checks() {
    let mut fx = Fixture::new();
    fx.sessions.expect_find_family().with(eq(8)).returning(|_| Ok(Some(family(8, 1))));
    fx.sessions
        .expect_revoke_family()
        .with(eq(8), eq(RevokeReason::SessionRevoked), always())
        .times(1)
        .returning(|_, _, _| Ok(()));
    fx.build().revoke_session(&authenticated(1, 5), 8).await.unwrap();
}

#[tokio::test]
async fn another_users_or_an_ended_session_is_not_found_and_left_alone() {
    let mut fx = Fixture::new();
    fx.sessions.expect_find_family().with(eq(8)).returning(|_| Ok(Some(family(8, 2))));
    fx.sessions.expect_find_family().with(eq(9)).returning(|_| {
        let mut ended = family(9, 1);
        ended.revoke_date = Some(t0());
        Ok(Some(ended))
    });
    fx.sessions.expect_find_family().with(eq(10)).returning(|_| Ok(None));
    fx.sessions.expect_revoke_family().never();
    let service = fx.build();
    for id in [8, 9, 10] {
        let err = service.revoke_session(&authenticated(1, 5), id).await.unwrap_err();
        assert!(matches!(err, IdentityError::SessionNotFound), "{id}: {err:?}");
    }
}

fn throttled_fixture() -> Fixture {
    let mut fx = Fixture::new();
    fx.config.max_login_failures = 3;
    fx.with_user(user(1), "right-password");
    fx
}

#[tokio::test]
async fn a_failed_login_starts_or_extends_the_accounts_failure_window() {
    let mut fx = throttled_fixture();
    let window = LoginFailures { count: 1, window_start: t0() - Duration::minutes(5), locked_until: None };
    fx.throttles.expect_find().with(eq(1)).returning(move |_| Ok(Some(window)));
    fx.throttles.expect_save().with(eq(1), eq(LoginFailures { count: 2, ..window })).times(1).returning(|_, _| Ok(()));
    fx.mailer.expect_send().never();
    let err = fx.build().login("user1", "wrong", SignInClient::default()).await.unwrap_err();
    assert!(matches!(err, IdentityError::InvalidCredentials), "{err:?}");

    let mut fx = throttled_fixture();
    let stale = LoginFailures { count: 2, window_start: t0() - Duration::minutes(20), locked_until: None };
    fx.throttles.expect_find().returning(move |_| Ok(Some(stale)));
    fx.throttles
        .expect_save()
        .with(eq(1), eq(LoginFailures { count: 1, window_start: t0(), locked_until: None }))
        .times(1)
        .returning(|_, _| Ok(()));
    fx.build().login("user1", "wrong", SignInClient::default()).await.unwrap_err();
}

#[tokio::test]
async fn the_failure_that_reaches_the_limit_locks_logins_and_mails_the_owner_once() {
    let mut fx = throttled_fixture();
    let window = LoginFailures { count: 2, window_start: t0() - Duration::minutes(1), locked_until: None };
    fx.throttles.expect_find().returning(move |_| Ok(Some(window)));
    let locked = LoginFailures { count: 3, locked_until: Some(t0() + Duration::minutes(15)), ..window };
    fx.throttles.expect_save().with(eq(1), eq(locked)).times(1).returning(|_, _| Ok(()));
    fx.mailer
        .expect_send()
        .withf(|mail| mail.to == "user1@example.com" && mail.body.contains("paused"))
        .times(1)
        .returning(|_| Ok(()));
    fx.build().login("user1", "wrong", SignInClient::default()).await.unwrap_err();
}

#[tokio::test]
async fn a_locked_account_refuses_even_the_right_password_without_hashing() {
    let mut fx = Fixture::new();
    fx.config.max_login_failures = 3;
    let account = user(1);
    let by_name = account.clone();
    fx.users.expect_find_by_name_key().returning(move |_| Ok(Some(by_name.clone())));
    let locked = LoginFailures { count: 3, window_start: t0(), locked_until: Some(t0() + Duration::seconds(90)) };
    fx.throttles.expect_find().returning(move |_| Ok(Some(locked)));
    fx.hasher.expect_verify().never();
    fx.sessions.expect_create_family().never();
    let err = fx.build().login("user1", "right-password", SignInClient::default()).await.unwrap_err();
    assert!(matches!(err, IdentityError::LoginThrottled { retry_after_secs: 90 }), "{err:?}");
}

#[tokio::test]
async fn a_successful_login_forgets_the_failures_and_an_expired_lock_lets_logins_through() {
    let mut fx = throttled_fixture();
    let expired = LoginFailures { count: 3, window_start: t0(), locked_until: Some(t0() - Duration::seconds(1)) };
    fx.throttles.expect_find().returning(move |_| Ok(Some(expired)));
    fx.throttles.expect_clear().never();
    fx.expect_new_session(4);
    fx.build().login("user1", "right-password", SignInClient::default()).await.unwrap();

    let mut fx = throttled_fixture();
    let window = LoginFailures { count: 2, window_start: t0(), locked_until: None };
    fx.throttles.expect_find().returning(move |_| Ok(Some(window)));
    fx.throttles.expect_clear().with(eq(1)).times(1).returning(|_| Ok(()));
    fx.expect_new_session(4);
    fx.build().login("user1", "right-password", SignInClient::default()).await.unwrap();
}

#[tokio::test]
async fn wrong_current_passwords_count_as_failed_logins_and_a_locked_account_cannot_check_one() {
    let mut fx = throttled_fixture();
    let window = LoginFailures { count: 2, window_start: t0(), locked_until: None };
    fx.throttles.expect_find().returning(move |_| Ok(Some(window)));
    let locked = LoginFailures { count: 3, locked_until: Some(t0() + Duration::minutes(15)), ..window };
    fx.throttles.expect_save().with(eq(1), eq(locked)).times(1).returning(|_, _| Ok(()));
    fx.mailer.expect_send().times(1).returning(|_| Ok(()));
    fx.users.expect_set_password().never();
    let err = fx.build().change_password(&authenticated(1, 5), "wrong", "new-password").await.unwrap_err();
    assert!(matches!(err, IdentityError::WrongPassword), "{err:?}");

    let mut fx = throttled_fixture();
    fx.throttles.expect_find().returning(move |_| Ok(Some(locked)));
    fx.users.expect_set_active().never();
    let err = fx.build().deactivate(&authenticated(1, 5), "right-password").await.unwrap_err();
    assert!(matches!(err, IdentityError::LoginThrottled { .. }), "{err:?}");
}
