//! The identity repositories on the backend of `AGORA_TEST_DATABASE_URL` (SQLite when unset).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use identity::ports::{
    RefreshRecord, ResetTokenRepository, RevokeReason, SessionRepository, SignInClient, UserFilter, UserRepository,
    UserWriteError,
};
use identity::{Email, NewUser, PasswordHash, UserName, UserUpdate};
use kernel::{AuditEntry, AuditLog, PageRequest};
use persistence::audit::SqlAuditLog;
use persistence::identity::{SqlResetTokenRepository, SqlSessionRepository, SqlUserRepository};
use testdb::{TestDatabase, fresh_database_from_env};

async fn database() -> TestDatabase {
    fresh_database_from_env().await.unwrap_or_else(|e| panic!("cannot prepare the test database: {e}"))
}

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::seconds(seconds) + Duration::microseconds(250)
}

fn new_user(name: &str, email: &str) -> NewUser {
    NewUser {
        name: UserName::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        password_hash: PasswordHash::new(format!("$2b$04$hash-of-{name}")),
        is_superuser: false,
        join_date: t(0),
    }
}

#[tokio::test]
async fn users_round_trip_and_conflicts_name_the_taken_field() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let alice = users.create(new_user("Alice", "alice@example.com")).await.unwrap();
    assert_eq!(alice.name, "Alice");
    assert_eq!(alice.join_date, t(0));
    assert!(alice.is_active && !alice.is_banned && !alice.is_superuser);
    assert_eq!(users.find_by_name_key("alice").await.unwrap().unwrap().id, alice.id);
    assert_eq!(users.find_by_email("alice@example.com").await.unwrap().unwrap().id, alice.id);
    assert_eq!(users.find_by_id(alice.id).await.unwrap().unwrap(), alice);
    assert!(users.find_by_id(alice.id + 1000).await.unwrap().is_none());

    let same_name = users.create(new_user("ALICE", "other@example.com")).await.unwrap_err();
    assert!(matches!(same_name, UserWriteError::NameTaken), "{same_name:?}");
    let same_email = users.create(new_user("bob", "alice@example.com")).await.unwrap_err();
    assert!(matches!(same_email, UserWriteError::EmailTaken), "{same_email:?}");

    let bob = users.create(new_user("bob", "bob@example.com")).await.unwrap();
    let rename = UserUpdate { name: Some(UserName::parse("alice").unwrap()), email: None };
    assert!(matches!(users.update_profile(bob.id, rename, t(5)).await, Err(UserWriteError::NameTaken)));
    let reemail = UserUpdate { name: None, email: Some(Email::parse("alice@example.com").unwrap()) };
    assert!(matches!(users.update_profile(bob.id, reemail, t(5)).await, Err(UserWriteError::EmailTaken)));
    let fine = UserUpdate { name: Some(UserName::parse("Robert").unwrap()), email: None };
    let robert = users.update_profile(bob.id, fine, t(5)).await.unwrap();
    assert_eq!((robert.name.as_str(), robert.update_date), ("Robert", t(5)));
    db.close().await.unwrap();
}

#[tokio::test]
async fn bans_activation_and_passwords_are_stored() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let user = users.create(new_user("carol", "carol@example.com")).await.unwrap();
    users.set_banned(user.id, true, t(1)).await.unwrap();
    users.set_active(user.id, false, t(2)).await.unwrap();
    users.set_password(user.id, PasswordHash::new("$2b$04$new".into()), t(3)).await.unwrap();
    let stored = users.find_by_id(user.id).await.unwrap().unwrap();
    assert!(stored.is_banned && !stored.is_active);
    assert_eq!(stored.password_hash.as_str(), "$2b$04$new");
    assert_eq!(stored.update_date, t(3));
    db.close().await.unwrap();
}

#[tokio::test]
async fn user_lists_filter_case_insensitively_escape_wildcards_and_page_by_id() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    for (name, email) in [
        ("Ann_1", "ann1@example.com"),
        ("annabel", "a2@example.com"),
        ("bob", "annex@example.com"),
        ("carl", "c@example.com"),
        ("ann-x", "ax@example.com"),
    ] {
        users.create(new_user(name, email)).await.unwrap();
    }
    let filter = UserFilter { q: Some("ANN".into()) };
    let first = users.list(filter.clone(), PageRequest::new(Some(2), None).unwrap()).await.unwrap();
    assert_eq!(first.items.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["Ann_1", "annabel"]);
    let second = users.list(filter.clone(), PageRequest::new(Some(2), first.next).unwrap()).await.unwrap();
    assert_eq!(second.items.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["bob", "ann-x"]);
    assert!(second.next.is_none());
    // `_` is a literal, not a wildcard.
    let underscore = users.list(UserFilter { q: Some("n_1".into()) }, PageRequest::first()).await.unwrap();
    assert_eq!(underscore.items.len(), 1);
    let percent = users.list(UserFilter { q: Some("%".into()) }, PageRequest::first()).await.unwrap();
    assert!(percent.items.is_empty());
    db.close().await.unwrap();
}

#[tokio::test]
async fn refresh_tokens_are_spent_once_and_families_revoke_together() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let sessions = SqlSessionRepository::new(db.conn.clone());
    let user = users.create(new_user("dave", "dave@example.com")).await.unwrap();
    let one = sessions.create_family(user.id, SignInClient::default(), t(0), t(1000)).await.unwrap();
    let two = sessions.create_family(user.id, SignInClient::default(), t(0), t(1000)).await.unwrap();
    assert_ne!(one.id, two.id);
    let record = RefreshRecord {
        jti: "jti-1".into(),
        family_id: one.id,
        user_id: user.id,
        expire_date: t(500),
        spent_date: None,
    };
    sessions.store_refresh(record.clone(), t(0)).await.unwrap();
    assert_eq!(sessions.find_refresh("jti-1").await.unwrap().unwrap(), record);
    assert!(sessions.spend_refresh("jti-1", t(10)).await.unwrap());
    assert!(!sessions.spend_refresh("jti-1", t(11)).await.unwrap(), "a token is spent only once");
    assert_eq!(sessions.find_refresh("jti-1").await.unwrap().unwrap().spent_date, Some(t(10)));

    sessions.revoke_all(user.id, Some(two.id), RevokeReason::PasswordChanged, t(20)).await.unwrap();
    assert_eq!(sessions.find_family(one.id).await.unwrap().unwrap().revoke_date, Some(t(20)));
    assert_eq!(sessions.find_family(two.id).await.unwrap().unwrap().revoke_date, None);
    sessions.revoke_family(two.id, RevokeReason::Logout, t(30)).await.unwrap();
    sessions.revoke_family(two.id, RevokeReason::Logout, t(40)).await.unwrap();
    assert_eq!(sessions.find_family(two.id).await.unwrap().unwrap().revoke_date, Some(t(30)), "first revocation kept");
    db.close().await.unwrap();
}

#[tokio::test]
async fn live_sessions_list_newest_first_with_client_and_last_use() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let sessions = SqlSessionRepository::new(db.conn.clone());
    let user = users.create(new_user("fred", "fred@example.com")).await.unwrap();
    let other = users.create(new_user("gina", "gina@example.com")).await.unwrap();
    let client = SignInClient::new(Some("Agent/1.0"), Some("198.51.100.4"));
    let old = sessions.create_family(user.id, client.clone(), t(0), t(1000)).await.unwrap();
    let expired = sessions.create_family(user.id, client.clone(), t(0), t(5)).await.unwrap();
    let revoked = sessions.create_family(user.id, client.clone(), t(0), t(1000)).await.unwrap();
    let newest = sessions.create_family(user.id, SignInClient::default(), t(1), t(1000)).await.unwrap();
    sessions.create_family(other.id, client.clone(), t(0), t(1000)).await.unwrap();
    sessions.revoke_family(revoked.id, RevokeReason::SessionRevoked, t(2)).await.unwrap();
    let record = RefreshRecord {
        jti: "jti-f".into(),
        family_id: old.id,
        user_id: user.id,
        expire_date: t(500),
        spent_date: None,
    };
    sessions.store_refresh(record, t(7)).await.unwrap();

    let first = sessions.list_active_families(user.id, t(10), PageRequest::new(Some(1), None).unwrap()).await.unwrap();
    assert_eq!(first.items.iter().map(|f| f.id).collect::<Vec<_>>(), vec![newest.id]);
    let after = PageRequest::new(Some(10), first.next).unwrap();
    let rest = sessions.list_active_families(user.id, t(10), after).await.unwrap();
    assert_eq!(
        rest.items.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![old.id],
        "expired {} and revoked {} are not live",
        expired.id,
        revoked.id
    );
    assert_eq!(rest.items[0].client, client);
    assert_eq!(rest.items[0].last_used, t(7), "storing a refresh token is a use");
    assert_eq!(first.items[0].last_used, t(1), "a new session was last used at its login");
    assert!(rest.next.is_none());
    db.close().await.unwrap();
}

#[tokio::test]
async fn concurrent_spends_of_one_refresh_token_succeed_once() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let sessions = SqlSessionRepository::new(db.conn.clone());
    let user = users.create(new_user("erin", "erin@example.com")).await.unwrap();
    let family = sessions.create_family(user.id, SignInClient::default(), t(0), t(1000)).await.unwrap();
    let record = RefreshRecord {
        jti: "race".into(),
        family_id: family.id,
        user_id: user.id,
        expire_date: t(500),
        spent_date: None,
    };
    sessions.store_refresh(record, t(0)).await.unwrap();
    let attempts = (0..16).map(|i| {
        let sessions = sessions.clone();
        tokio::spawn(async move { sessions.spend_refresh("race", t(i)).await.unwrap() })
    });
    let results = futures_util::future::join_all(attempts).await;
    assert_eq!(results.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1);
    db.close().await.unwrap();
}

#[tokio::test]
async fn access_state_reads_user_session_and_blacklist() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let sessions = SqlSessionRepository::new(db.conn.clone());
    let user = users.create(new_user("frank", "frank@example.com")).await.unwrap();
    let other = users.create(new_user("grace", "grace@example.com")).await.unwrap();
    let family = sessions.create_family(user.id, SignInClient::default(), t(0), t(100)).await.unwrap();

    let state = sessions.access_state(user.id, family.id, "a", t(1)).await.unwrap().unwrap();
    assert!(state.session_active && !state.blacklisted);
    assert_eq!(state.user.id, user.id);
    let expired = sessions.access_state(user.id, family.id, "a", t(100)).await.unwrap().unwrap();
    assert!(!expired.session_active, "the absolute lifetime ended");
    let foreign = sessions.access_state(other.id, family.id, "a", t(1)).await.unwrap().unwrap();
    assert!(!foreign.session_active, "a family of another user does not count");
    assert!(sessions.access_state(user.id + 1000, family.id, "a", t(1)).await.unwrap().is_none());

    sessions.blacklist("a", user.id, t(50), t(2)).await.unwrap();
    sessions.blacklist("a", user.id, t(50), t(3)).await.unwrap();
    assert!(sessions.access_state(user.id, family.id, "a", t(4)).await.unwrap().unwrap().blacklisted);
    sessions.revoke_family(family.id, RevokeReason::Logout, t(5)).await.unwrap();
    assert!(!sessions.access_state(user.id, family.id, "b", t(6)).await.unwrap().unwrap().session_active);
    db.close().await.unwrap();
}

#[tokio::test]
async fn purging_removes_only_what_expired() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let sessions = SqlSessionRepository::new(db.conn.clone());
    let resets = SqlResetTokenRepository::new(db.conn.clone());
    let user = users.create(new_user("heidi", "heidi@example.com")).await.unwrap();
    let old = sessions.create_family(user.id, SignInClient::default(), t(0), t(10)).await.unwrap();
    let live = sessions.create_family(user.id, SignInClient::default(), t(0), t(1000)).await.unwrap();
    for (jti, family, expire) in [("old", old.id, t(10)), ("live", live.id, t(500))] {
        let record = RefreshRecord {
            jti: jti.into(),
            family_id: family,
            user_id: user.id,
            expire_date: expire,
            spent_date: None,
        };
        sessions.store_refresh(record, t(0)).await.unwrap();
    }
    sessions.blacklist("gone", user.id, t(10), t(0)).await.unwrap();
    sessions.blacklist("kept", user.id, t(500), t(0)).await.unwrap();
    resets.store("expired-digest", user.id, t(10), t(0)).await.unwrap();

    let purged = sessions.purge_expired(t(100)).await.unwrap();
    assert_eq!(purged, 4, "one family, one refresh token, one blacklist entry, one reset token");
    assert!(sessions.find_family(old.id).await.unwrap().is_none());
    assert!(sessions.find_family(live.id).await.unwrap().is_some());
    assert!(sessions.find_refresh("live").await.unwrap().is_some());
    let family = live.id;
    assert!(sessions.access_state(user.id, family, "kept", t(100)).await.unwrap().unwrap().blacklisted);
    assert!(resets.find("expired-digest").await.unwrap().is_none());
    db.close().await.unwrap();
}

#[tokio::test]
async fn reset_tokens_are_consumed_once() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let resets = SqlResetTokenRepository::new(db.conn.clone());
    let user = users.create(new_user("ivan", "ivan@example.com")).await.unwrap();
    resets.store("digest", user.id, t(100), t(0)).await.unwrap();
    let record = resets.find("digest").await.unwrap().unwrap();
    assert_eq!((record.user_id, record.expire_date, record.used_date), (user.id, t(100), None));
    assert!(resets.consume("digest", t(1)).await.unwrap());
    assert!(!resets.consume("digest", t(2)).await.unwrap());
    assert_eq!(resets.find("digest").await.unwrap().unwrap().used_date, Some(t(1)));
    assert!(resets.find("unknown").await.unwrap().is_none());
    db.close().await.unwrap();
}

#[tokio::test]
async fn reset_tokens_keep_only_the_newest_and_a_new_password_spends_them_all() {
    let db = database().await;
    let users = SqlUserRepository::new(db.conn.clone());
    let resets = SqlResetTokenRepository::new(db.conn.clone());
    let user = users.create(new_user("judy", "judy@example.com")).await.unwrap();
    let other = users.create(new_user("karl", "karl@example.com")).await.unwrap();
    for digest in ["d1", "d2", "d3", "d4"] {
        resets.store(digest, user.id, t(100), t(0)).await.unwrap();
    }
    resets.store("other", other.id, t(100), t(0)).await.unwrap();
    resets.keep_newest(user.id, 2, t(1)).await.unwrap();
    let used = |digest: &'static str| {
        let resets = resets.clone();
        async move { resets.find(digest).await.unwrap().unwrap().used_date }
    };
    assert_eq!((used("d1").await, used("d2").await), (Some(t(1)), Some(t(1))), "the oldest are spent");
    assert_eq!((used("d3").await, used("d4").await), (None, None), "the newest two stay");

    resets.consume_all(user.id, t(2)).await.unwrap();
    assert_eq!((used("d3").await, used("d4").await), (Some(t(2)), Some(t(2))));
    assert_eq!(used("d1").await, Some(t(1)), "an already spent token keeps its time");
    assert_eq!(used("other").await, None, "another user's token is untouched");
    db.close().await.unwrap();
}

#[tokio::test]
async fn the_audit_trail_lists_newest_first_with_cursors() {
    let db = database().await;
    let audit = SqlAuditLog::new(db.conn.clone());
    for i in 0..5 {
        audit
            .record(AuditEntry {
                actor_id: None,
                action: format!("action.{i}"),
                target_type: "user".into(),
                target_id: Some(i),
                detail: serde_json::json!({"n": i}),
                create_date: t(i),
            })
            .await
            .unwrap();
    }
    let first = audit.list(PageRequest::new(Some(3), None).unwrap()).await.unwrap();
    let actions: Vec<_> = first.items.iter().map(|r| r.entry.action.clone()).collect();
    assert_eq!(actions, ["action.4", "action.3", "action.2"]);
    assert_eq!(first.items[0].entry.detail, serde_json::json!({"n": 4}));
    let rest = audit.list(PageRequest::new(Some(3), first.next).unwrap()).await.unwrap();
    assert_eq!(rest.items.len(), 2);
    assert!(rest.next.is_none());
    db.close().await.unwrap();
}
