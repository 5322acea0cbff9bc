//! The chat repositories on every backend: sessions and members, the least busy admin,
//! atomic posting against closed sessions, message pages in both orders, and single-use
//! tickets.
//!
//! Runs on SQLite unless `AGORA_TEST_DATABASE_URL` names a PostgreSQL or MySQL/MariaDB
//! server; a named server that cannot be reached fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chat::ports::{AddMessageError, ChatDirectory, ChatRepository, TicketStore};
use chat::{
    AssigneeFilter, DisabledReason, MessageContent, MessageOrder, NewMessage, NewSession, SessionChanges,
    SessionFilter, SessionInformation, SessionName,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use kernel::{Page, PageRequest};
use persistence::chat::{SqlChatDirectory, SqlChatRepository, SqlTicketStore};
use persistence::entity::users;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use testdb::{TEST_DATABASE_URL_VAR, TestDatabase, fresh_database_from_env};

async fn database() -> TestDatabase {
    fresh_database_from_env()
        .await
        .unwrap_or_else(|e| panic!("cannot prepare the test database ({TEST_DATABASE_URL_VAR}): {e}"))
}

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap() + Duration::seconds(seconds)
}

#[derive(Clone, Copy)]
enum Kind {
    User,
    Admin,
    BannedAdmin,
    DeactivatedAdmin,
    Banned,
}

async fn account(db: &DatabaseConnection, name: &str, kind: Kind) -> i64 {
    let (is_superuser, is_banned, is_active) = match kind {
        Kind::User => (false, false, true),
        Kind::Admin => (true, false, true),
        Kind::BannedAdmin => (true, true, true),
        Kind::DeactivatedAdmin => (true, false, false),
        Kind::Banned => (false, true, true),
    };
    users::ActiveModel {
        name: Set(name.to_owned()),
        name_key: Set(name.to_lowercase()),
        email: Set(format!("{}@example.com", name.to_lowercase())),
        password_hash: Set("$2b$04$hash".to_owned()),
        join_date: Set(t(0)),
        update_date: Set(t(0)),
        is_superuser: Set(is_superuser),
        is_banned: Set(is_banned),
        is_active: Set(is_active),
        banned_date: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

fn new_session(name: &str, creator_id: i64, members: &[i64], assignee_id: Option<i64>, at: i64) -> NewSession {
    let mut member_ids = vec![creator_id];
    member_ids.extend_from_slice(members);
    NewSession {
        name: SessionName::parse(name).unwrap(),
        information: SessionInformation::parse("about it").unwrap(),
        creator_id,
        member_ids,
        assignee_id,
        at: t(at),
    }
}

fn new_message(session_id: i64, user_id: i64, text: &str, at: i64) -> NewMessage {
    NewMessage {
        session_id,
        user_id,
        user_name: format!("name-of-{user_id}"),
        content: MessageContent::parse(text).unwrap(),
        at: t(at),
    }
}

fn ids<T>(page: &Page<T>, id: impl Fn(&T) -> i64) -> Vec<i64> {
    page.items.iter().map(id).collect()
}

#[tokio::test]
async fn sessions_keep_their_members_with_names_until_deleted() {
    let db = database().await;
    let alice = account(&db.conn, "alice", Kind::User).await;
    let bob = account(&db.conn, "bob", Kind::User).await;
    let repo = SqlChatRepository::new(db.conn.clone());

    let created = repo.create_session(new_session("Billing", alice, &[bob], None, 1)).await.unwrap();
    assert_eq!(created.name, "Billing");
    assert_eq!(created.information, "about it");
    assert_eq!((created.creator_id, created.assignee_id, created.is_closed), (alice, None, false));
    let members: Vec<(i64, &str)> = created.members.iter().map(|m| (m.id, m.name.as_str())).collect();
    assert_eq!(members, [(alice, "alice"), (bob, "bob")]);
    assert_eq!((created.create_date, created.update_date), (t(1), t(1)));

    assert_eq!(repo.find_session(created.id).await.unwrap(), Some(created.clone()));
    assert!(repo.delete_session(created.id, t(2)).await.unwrap());
    assert!(!repo.delete_session(created.id, t(3)).await.unwrap(), "already deleted");
    assert_eq!(repo.find_session(created.id).await.unwrap(), None);
    assert_eq!(repo.update_session(created.id, SessionChanges::default(), t(4)).await.unwrap(), None);
    db.close().await.unwrap();
}

#[tokio::test]
async fn session_lists_filter_by_member_assignee_and_state_newest_first_in_pages() {
    let db = database().await;
    let alice = account(&db.conn, "alice", Kind::User).await;
    let bob = account(&db.conn, "bob", Kind::User).await;
    let admin = account(&db.conn, "root", Kind::Admin).await;
    let repo = SqlChatRepository::new(db.conn.clone());
    let s1 = repo.create_session(new_session("one", alice, &[], Some(admin), 1)).await.unwrap().id;
    let s2 = repo.create_session(new_session("two", bob, &[alice], None, 2)).await.unwrap().id;
    let s3 = repo.create_session(new_session("three", bob, &[], Some(admin), 3)).await.unwrap().id;
    let s4 = repo.create_session(new_session("four", alice, &[], Some(admin), 4)).await.unwrap().id;
    repo.update_session(s3, SessionChanges { is_closed: Some(true), ..Default::default() }, t(5)).await.unwrap();
    repo.delete_session(s4, t(6)).await.unwrap();

    let all = |filter| repo.list_sessions(filter, PageRequest::with_limit(100));
    let page = all(SessionFilter::default()).await.unwrap();
    assert_eq!(ids(&page, |s| s.id), [s3, s2, s1], "deleted sessions never show");
    assert_eq!(page.items[1].members.len(), 2, "members come with each session");
    let page = all(SessionFilter { member: Some(alice), ..Default::default() }).await.unwrap();
    assert_eq!(ids(&page, |s| s.id), [s2, s1]);
    let mine = SessionFilter { assignee: Some(AssigneeFilter::User(admin)), closed: Some(false), member: None };
    assert_eq!(ids(&all(mine).await.unwrap(), |s| s.id), [s1]);
    let unassigned = SessionFilter { assignee: Some(AssigneeFilter::Unassigned), ..Default::default() };
    assert_eq!(ids(&all(unassigned).await.unwrap(), |s| s.id), [s2]);
    let closed = SessionFilter { closed: Some(true), ..Default::default() };
    assert_eq!(ids(&all(closed).await.unwrap(), |s| s.id), [s3]);

    let first = repo.list_sessions(SessionFilter::default(), PageRequest::new(Some(2), None).unwrap()).await.unwrap();
    assert_eq!(ids(&first, |s| s.id), [s3, s2]);
    let second = repo.list_sessions(SessionFilter::default(), PageRequest::new(Some(2), first.next).unwrap());
    let second = second.await.unwrap();
    assert_eq!(ids(&second, |s| s.id), [s1]);
    assert_eq!(second.next, None);
    db.close().await.unwrap();
}

#[tokio::test]
async fn updates_change_fields_and_replace_members_in_one_go() {
    let db = database().await;
    let alice = account(&db.conn, "alice", Kind::User).await;
    let bob = account(&db.conn, "bob", Kind::User).await;
    let carol = account(&db.conn, "carol", Kind::User).await;
    let admin = account(&db.conn, "root", Kind::Admin).await;
    let repo = SqlChatRepository::new(db.conn.clone());
    let id = repo.create_session(new_session("old", alice, &[bob], None, 1)).await.unwrap().id;

    let changes = SessionChanges {
        name: Some(SessionName::parse("new").unwrap()),
        information: Some(SessionInformation::parse("").unwrap()),
        is_closed: Some(true),
        assignee_id: Some(Some(admin)),
        member_ids: Some(vec![alice, carol]),
    };
    let updated = repo.update_session(id, changes, t(2)).await.unwrap().unwrap();
    assert_eq!((updated.name.as_str(), updated.information.as_str()), ("new", ""));
    assert_eq!((updated.is_closed, updated.assignee_id, updated.update_date), (true, Some(admin), t(2)));
    assert_eq!(updated.members.iter().map(|m| m.id).collect::<Vec<_>>(), [alice, carol]);

    let reopened = SessionChanges { is_closed: Some(false), assignee_id: Some(None), ..Default::default() };
    let updated = repo.update_session(id, reopened, t(3)).await.unwrap().unwrap();
    assert_eq!((updated.is_closed, updated.assignee_id), (false, None));
    assert_eq!(updated.members.len(), 2, "members untouched when not given");
    db.close().await.unwrap();
}

#[tokio::test]
async fn the_least_busy_usable_admin_gets_the_next_session_ties_to_the_lowest_id() {
    let db = database().await;
    let directory = SqlChatDirectory::new(db.conn.clone());
    let repo = SqlChatRepository::new(db.conn.clone());
    assert_eq!(directory.least_busy_admin().await.unwrap(), None, "no admin at all");

    let user = account(&db.conn, "alice", Kind::User).await;
    account(&db.conn, "banned_admin", Kind::BannedAdmin).await;
    account(&db.conn, "gone_admin", Kind::DeactivatedAdmin).await;
    assert_eq!(directory.least_busy_admin().await.unwrap(), None, "disabled admins take no sessions");

    let a1 = account(&db.conn, "admin_one", Kind::Admin).await;
    let a2 = account(&db.conn, "admin_two", Kind::Admin).await;
    assert_eq!(directory.least_busy_admin().await.unwrap(), Some(a1), "a tie goes to the lowest id");

    let s = repo.create_session(new_session("s", user, &[], Some(a1), 1)).await.unwrap().id;
    assert_eq!(directory.least_busy_admin().await.unwrap(), Some(a2));
    repo.create_session(new_session("t", user, &[], Some(a2), 2)).await.unwrap();
    assert_eq!(directory.least_busy_admin().await.unwrap(), Some(a1), "tied again");
    repo.create_session(new_session("u", user, &[], Some(a1), 3)).await.unwrap();
    assert_eq!(directory.least_busy_admin().await.unwrap(), Some(a2));

    repo.update_session(s, SessionChanges { is_closed: Some(true), ..Default::default() }, t(4)).await.unwrap();
    assert_eq!(directory.least_busy_admin().await.unwrap(), Some(a1), "closed sessions do not count");
    let u2 = repo.create_session(new_session("v", user, &[], Some(a2), 5)).await.unwrap().id;
    assert_eq!(directory.least_busy_admin().await.unwrap(), Some(a1));
    repo.delete_session(u2, t(6)).await.unwrap();
    assert_eq!(directory.least_busy_admin().await.unwrap(), Some(a1), "deleted sessions do not count");
    db.close().await.unwrap();
}

#[tokio::test]
async fn only_existing_usable_accounts_can_be_listed_and_only_usable_admins_assigned() {
    let db = database().await;
    let directory = SqlChatDirectory::new(db.conn.clone());
    let alice = account(&db.conn, "alice", Kind::User).await;
    let banned = account(&db.conn, "mallory", Kind::Banned).await;
    let admin = account(&db.conn, "root", Kind::Admin).await;
    let gone_admin = account(&db.conn, "gone_admin", Kind::DeactivatedAdmin).await;
    let mut usable = directory.usable_users(&[alice, banned, admin, gone_admin, 9999]).await.unwrap();
    usable.sort();
    assert_eq!(usable, [alice, admin]);
    assert!(directory.usable_users(&[]).await.unwrap().is_empty());
    assert!(directory.is_admin(admin).await.unwrap());
    assert!(!directory.is_admin(alice).await.unwrap());
    assert!(!directory.is_admin(gone_admin).await.unwrap());
    assert!(!directory.is_admin(9999).await.unwrap());
    let mut disabled = directory.disabled_among(&[alice, banned, admin, gone_admin, 9999]).await.unwrap();
    disabled.sort_by_key(|(id, _)| *id);
    assert_eq!(disabled, [(banned, DisabledReason::Banned), (gone_admin, DisabledReason::Deactivated)]);
    assert!(directory.disabled_among(&[]).await.unwrap().is_empty());
    db.close().await.unwrap();
}

#[tokio::test]
async fn messages_are_refused_by_closed_and_deleted_sessions_and_touch_open_ones() {
    let db = database().await;
    let alice = account(&db.conn, "alice", Kind::User).await;
    let repo = SqlChatRepository::new(db.conn.clone());
    let id = repo.create_session(new_session("s", alice, &[], None, 1)).await.unwrap().id;

    let message = repo.add_message(new_message(id, alice, "hello", 2)).await.unwrap();
    assert_eq!((message.session_id, message.user_id, message.content.as_str()), (id, alice, "hello"));
    assert_eq!(message.user_name, format!("name-of-{alice}"), "the name given is returned as is");
    assert_eq!(repo.find_session(id).await.unwrap().unwrap().update_date, t(2), "the post is activity");
    assert_eq!(repo.find_message(message.id).await.unwrap().unwrap().user_name, "alice");

    repo.update_session(id, SessionChanges { is_closed: Some(true), ..Default::default() }, t(3)).await.unwrap();
    let err = repo.add_message(new_message(id, alice, "late", 4)).await.unwrap_err();
    assert!(matches!(err, AddMessageError::SessionClosed), "{err:?}");
    repo.delete_session(id, t(5)).await.unwrap();
    let err = repo.add_message(new_message(id, alice, "later", 6)).await.unwrap_err();
    assert!(matches!(err, AddMessageError::SessionNotFound), "{err:?}");
    let err = repo.add_message(new_message(424242, alice, "nowhere", 6)).await.unwrap_err();
    assert!(matches!(err, AddMessageError::SessionNotFound), "{err:?}");
    assert_eq!(repo.find_message(message.id).await.unwrap(), None, "messages of deleted sessions are gone");
    db.close().await.unwrap();
}

#[tokio::test]
async fn message_pages_run_newest_first_or_oldest_after_an_id_without_deleted_ones() {
    let db = database().await;
    let alice = account(&db.conn, "alice", Kind::User).await;
    let bob = account(&db.conn, "bob", Kind::User).await;
    let repo = SqlChatRepository::new(db.conn.clone());
    let id = repo.create_session(new_session("s", alice, &[bob], None, 1)).await.unwrap().id;
    let other = repo.create_session(new_session("o", bob, &[], None, 1)).await.unwrap().id;
    let mut sent = Vec::new();
    for n in 0..5 {
        let author = if n % 2 == 0 { alice } else { bob };
        sent.push(repo.add_message(new_message(id, author, &format!("m{n}"), 2 + n)).await.unwrap().id);
    }
    repo.add_message(new_message(other, bob, "elsewhere", 9)).await.unwrap();
    assert!(repo.delete_message(sent[2], t(10)).await.unwrap());
    assert!(!repo.delete_message(sent[2], t(11)).await.unwrap());
    assert_eq!(repo.find_message(sent[2]).await.unwrap(), None);

    let two = |after| PageRequest::new(Some(2), after).unwrap();
    let first = repo.list_messages(id, MessageOrder::NewestFirst, two(None)).await.unwrap();
    assert_eq!(ids(&first, |m| m.id), [sent[4], sent[3]]);
    assert_eq!(first.items[0].user_name, "alice");
    assert_eq!(first.items[1].user_name, "bob");
    let second = repo.list_messages(id, MessageOrder::NewestFirst, two(first.next)).await.unwrap();
    assert_eq!(ids(&second, |m| m.id), [sent[1], sent[0]]);
    assert_eq!(second.next, None, "the last page says so");

    let missed = repo.list_messages(id, MessageOrder::OldestAfter(sent[0]), two(None)).await.unwrap();
    assert_eq!(ids(&missed, |m| m.id), [sent[1], sent[3]]);
    let rest = repo.list_messages(id, MessageOrder::OldestAfter(sent[0]), two(missed.next)).await.unwrap();
    assert_eq!(ids(&rest, |m| m.id), [sent[4]]);
    assert_eq!(rest.next, None);

    let edited = repo.update_message(sent[1], MessageContent::parse("edited").unwrap(), t(12)).await.unwrap();
    let edited = edited.unwrap();
    assert_eq!((edited.content.as_str(), edited.update_date, edited.create_date), ("edited", t(12), t(3)));
    let gone = repo.update_message(sent[2], MessageContent::parse("x").unwrap(), t(13)).await.unwrap();
    assert_eq!(gone, None, "a deleted message cannot be edited");
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_ticket_is_redeemed_once_before_it_expires_even_by_concurrent_callers() {
    let db = database().await;
    let alice = account(&db.conn, "alice", Kind::User).await;
    let store = Arc::new(SqlTicketStore::new(db.conn.clone()));
    store.store("digest-a", alice, t(60), t(0)).await.unwrap();
    store.store("digest-b", alice, t(60), t(0)).await.unwrap();
    store.store("digest-old", alice, t(10), t(0)).await.unwrap();

    let tries: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.redeem("digest-a", t(5)).await.unwrap() })
        })
        .collect();
    let mut winners = Vec::new();
    for attempt in tries {
        winners.extend(attempt.await.unwrap());
    }
    assert_eq!(winners, [alice], "exactly one caller spends the ticket");
    assert_eq!(store.redeem("digest-a", t(6)).await.unwrap(), None, "spent");
    assert_eq!(store.redeem("digest-unknown", t(6)).await.unwrap(), None);
    assert_eq!(store.redeem("digest-old", t(10)).await.unwrap(), None, "expired at its expiry instant");
    assert_eq!(store.purge_expired(t(30)).await.unwrap(), 1);
    assert_eq!(store.redeem("digest-b", t(30)).await.unwrap(), Some(alice), "purging keeps live tickets");
    db.close().await.unwrap();
}
