//! `SqlBoardRepository` against a real database: the contract of `BoardRepository` on
//! SQLite, and on PostgreSQL or MySQL/MariaDB when `AGORA_TEST_DATABASE_URL` names one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use board::{
    Board, BoardAccess, BoardChanges, BoardDirectory, BoardInformation, BoardName, BoardRepository, BoardWriteError,
    NewBoard,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use kernel::{PageRequest, UserId};
use persistence::board::{SqlBoardDirectory, SqlBoardRepository};
use persistence::entity::users;
use sea_orm::{ActiveModelTrait, Set};
use testdb::{TEST_DATABASE_URL_VAR, TestDatabase, fresh_database_from_env};

async fn database() -> TestDatabase {
    fresh_database_from_env()
        .await
        .unwrap_or_else(|e| panic!("cannot prepare the test database ({TEST_DATABASE_URL_VAR}): {e}"))
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

async fn user(db: &TestDatabase, name: &str) -> UserId {
    users::ActiveModel {
        name: Set(name.to_owned()),
        name_key: Set(name.to_lowercase()),
        email: Set(format!("{name}@example.com")),
        password_hash: Set("hash".to_owned()),
        join_date: Set(at(0)),
        update_date: Set(at(0)),
        is_superuser: Set(false),
        is_banned: Set(false),
        is_active: Set(true),
        banned_date: Set(None),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert user")
    .id
}

fn new_board(name: &str, access: BoardAccess, member_ids: Vec<UserId>) -> NewBoard {
    NewBoard {
        name: BoardName::parse(name).unwrap(),
        information: BoardInformation::parse("about it").unwrap(),
        is_visible: true,
        is_available: true,
        access,
        member_ids,
    }
}

fn ids(boards: &[Board]) -> Vec<i64> {
    boards.iter().map(|b| b.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_boards_with_members_and_refuses_taken_names_even_when_racing() {
    let db = database().await;
    let repo = Arc::new(SqlBoardRepository::new(db.conn.clone()));
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);

    let team = repo.create(new_board("team", BoardAccess::Restricted, vec![alice, bob]), at(1)).await.unwrap();
    assert_eq!(
        (team.name.as_str(), team.access, team.create_date, team.update_date),
        ("team", BoardAccess::Restricted, at(1), at(1))
    );
    assert_eq!(repo.members_of(vec![team.id]).await.unwrap(), [(team.id, alice), (team.id, bob)]);
    assert!(matches!(
        repo.create(new_board("team", BoardAccess::Public, vec![]), at(2)).await,
        Err(BoardWriteError::NameTaken)
    ));
    assert!(repo.create(new_board("Team", BoardAccess::Public, vec![]), at(2)).await.is_ok(), "names compare exactly");

    let racers: Vec<_> = (0..6)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.create(new_board("hot", BoardAccess::Public, vec![]), at(3)).await })
        })
        .collect();
    let mut created = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(_) => created += 1,
            Err(BoardWriteError::NameTaken) => {}
            Err(other) => panic!("a racing create failed otherwise: {other}"),
        }
    }
    assert_eq!(created, 1);
    db.close().await.unwrap();
}

#[tokio::test]
async fn updates_fields_members_and_restores_deleted_boards() {
    let db = database().await;
    let repo = SqlBoardRepository::new(db.conn.clone());
    let directory = SqlBoardDirectory::new(db.conn.clone());
    let (alice, bob, carol) = (user(&db, "alice").await, user(&db, "bob").await, user(&db, "carol").await);
    let board = repo.create(new_board("general", BoardAccess::Public, vec![alice, bob]), at(0)).await.unwrap();
    repo.create(new_board("other", BoardAccess::Public, vec![]), at(0)).await.unwrap();

    assert!(repo.mark_deleted(board.id, at(1)).await.unwrap());
    assert!(!repo.mark_deleted(board.id, at(2)).await.unwrap(), "deleted once");
    let deleted = directory.find(board.id).await.unwrap().unwrap();
    assert_eq!((deleted.is_visible, deleted.is_available, deleted.delete_date), (false, false, Some(at(1))));

    let changes = BoardChanges {
        name: Some(BoardName::parse("renamed").unwrap()),
        is_visible: Some(true),
        access: Some(BoardAccess::Restricted),
        restore: true,
        ..Default::default()
    };
    let updated = repo.update(board.id, changes, Some(vec![bob, carol]), at(3)).await.unwrap().unwrap();
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.access, BoardAccess::Restricted);
    assert_eq!((updated.is_visible, updated.is_available, updated.delete_date), (true, false, None));
    assert_eq!(updated.update_date, at(3));
    assert_eq!(updated.information, "about it", "untouched fields stay");
    assert_eq!(repo.members_of(vec![board.id]).await.unwrap(), [(board.id, bob), (board.id, carol)]);

    let rename = BoardChanges { name: Some(BoardName::parse("other").unwrap()), ..Default::default() };
    assert!(matches!(repo.update(board.id, rename, None, at(4)).await, Err(BoardWriteError::NameTaken)));
    assert!(repo.update(999_999, BoardChanges::default(), None, at(4)).await.unwrap().is_none());
    assert!(repo.update(board.id, BoardChanges::default(), Some(vec![]), at(5)).await.unwrap().is_some());
    assert!(repo.members_of(vec![board.id]).await.unwrap().is_empty());
    db.close().await.unwrap();
}

#[tokio::test]
async fn lists_readable_boards_per_user_in_pages() {
    let db = database().await;
    let repo = SqlBoardRepository::new(db.conn.clone());
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
    let public = repo.create(new_board("public", BoardAccess::Public, vec![]), at(0)).await.unwrap();
    let team = repo.create(new_board("team", BoardAccess::Restricted, vec![alice]), at(0)).await.unwrap();
    let mut hidden = new_board("hidden", BoardAccess::Public, vec![alice]);
    hidden.is_visible = false;
    let hidden = repo.create(hidden, at(0)).await.unwrap();
    let mut closed = new_board("closed", BoardAccess::Public, vec![]);
    closed.is_available = false;
    let closed = repo.create(closed, at(0)).await.unwrap();
    let gone = repo.create(new_board("gone", BoardAccess::Public, vec![]), at(0)).await.unwrap();
    repo.mark_deleted(gone.id, at(1)).await.unwrap();

    let all = |user| {
        let repo = &repo;
        async move { repo.list_readable(user, PageRequest::with_limit(100)).await.unwrap().items }
    };
    assert_eq!(ids(&all(alice).await), [public.id, team.id, closed.id]);
    assert_eq!(ids(&all(bob).await), [public.id, closed.id]);

    let first = repo.list_readable(alice, PageRequest::new(Some(2), None).unwrap()).await.unwrap();
    assert_eq!(ids(&first.items), [public.id, team.id]);
    let second = repo.list_readable(alice, PageRequest::new(Some(2), first.next).unwrap()).await.unwrap();
    assert_eq!(ids(&second.items), [closed.id]);
    assert_eq!(second.next, None);

    let everything = repo.list_all(PageRequest::with_limit(100)).await.unwrap();
    assert_eq!(ids(&everything.items), [public.id, team.id, hidden.id, closed.id, gone.id]);
    db.close().await.unwrap();
}

#[tokio::test]
async fn replaces_only_the_restricted_memberships_of_a_user() {
    let db = database().await;
    let repo = SqlBoardRepository::new(db.conn.clone());
    let alice = user(&db, "alice").await;
    let public = repo.create(new_board("public", BoardAccess::Public, vec![alice]), at(0)).await.unwrap();
    let a = repo.create(new_board("a", BoardAccess::Restricted, vec![alice]), at(0)).await.unwrap();
    let b = repo.create(new_board("b", BoardAccess::Restricted, vec![]), at(0)).await.unwrap();
    let c = repo.create(new_board("c", BoardAccess::Restricted, vec![]), at(0)).await.unwrap();

    assert_eq!(repo.restricted_boards_of(alice).await.unwrap(), [a.id]);
    repo.replace_restricted_memberships(alice, vec![b.id, c.id], at(1)).await.unwrap();
    assert_eq!(repo.restricted_boards_of(alice).await.unwrap(), [b.id, c.id]);
    assert_eq!(repo.members_of(vec![public.id]).await.unwrap(), [(public.id, alice)], "public memberships stay");
    repo.replace_restricted_memberships(alice, vec![], at(2)).await.unwrap();
    assert!(repo.restricted_boards_of(alice).await.unwrap().is_empty());

    let found = repo.find_many(vec![c.id, 999_999, a.id]).await.unwrap();
    assert_eq!(ids(&found), [a.id, c.id]);
    assert_eq!(repo.find_by_name("b").await.unwrap().map(|x| x.id), Some(b.id));
    assert_eq!(repo.find_by_name("B").await.unwrap(), None);
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replacements_leave_exactly_one_of_the_requested_sets() {
    let db = database().await;
    let repo = Arc::new(SqlBoardRepository::new(db.conn.clone()));
    let alice = user(&db, "alice").await;
    let mut boards = Vec::new();
    for i in 0..6 {
        boards.push(repo.create(new_board(&format!("r{i}"), BoardAccess::Restricted, vec![]), at(0)).await.unwrap().id);
    }
    let sets: Vec<Vec<i64>> = vec![boards[0..4].to_vec(), boards[2..6].to_vec(), boards[1..5].to_vec()];
    let tasks: Vec<_> = sets
        .iter()
        .cycle()
        .take(9)
        .cloned()
        .map(|set| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.replace_restricted_memberships(alice, set, at(1)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("a racing replacement succeeds");
    }
    let now = repo.restricted_boards_of(alice).await.unwrap();
    assert!(sets.contains(&now), "{now:?} is none of the requested sets");
    db.close().await.unwrap();
}

#[tokio::test]
async fn adds_and_removes_single_memberships_idempotently_and_finds_unknown_users() {
    let db = database().await;
    let repo = SqlBoardRepository::new(db.conn.clone());
    let directory = SqlBoardDirectory::new(db.conn.clone());
    let alice = user(&db, "alice").await;
    let team = repo.create(new_board("team", BoardAccess::Restricted, vec![]), at(0)).await.unwrap();

    assert!(repo.add_member(team.id, alice, at(1)).await.unwrap());
    assert!(!repo.add_member(team.id, alice, at(2)).await.unwrap());
    assert!(directory.is_member(team.id, alice).await.unwrap());
    assert!(repo.remove_member(team.id, alice).await.unwrap());
    assert!(!repo.remove_member(team.id, alice).await.unwrap());
    assert!(!directory.is_member(team.id, alice).await.unwrap());

    assert_eq!(repo.unknown_users(vec![alice + 7, alice, alice + 3, alice + 7]).await.unwrap(), [alice + 3, alice + 7]);
    assert!(repo.unknown_users(vec![]).await.unwrap().is_empty());
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn membership_changes_from_the_board_and_the_user_side_never_fail_when_they_race() {
    let db = database().await;
    let repo = Arc::new(SqlBoardRepository::new(db.conn.clone()));
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
    let mut boards = Vec::new();
    for i in 0..4 {
        boards.push(repo.create(new_board(&format!("r{i}"), BoardAccess::Restricted, vec![]), at(0)).await.unwrap().id);
    }
    let mut tasks = Vec::new();
    for round in 0..4 {
        let (r, b) = (repo.clone(), boards.clone());
        tasks.push(tokio::spawn(async move {
            let members = if round % 2 == 0 { vec![alice, bob] } else { vec![alice] };
            r.update(b[round % 4], BoardChanges::default(), Some(members), at(1))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }));
        let (r, b) = (repo.clone(), boards.clone());
        tasks.push(tokio::spawn(async move {
            r.replace_restricted_memberships(alice, b[..=round].to_vec(), at(1)).await.map_err(|e| e.to_string())
        }));
        let (r, b) = (repo.clone(), boards.clone());
        tasks.push(tokio::spawn(async move {
            r.add_member(b[3 - round], bob, at(1)).await.map(|_| ()).map_err(|e| e.to_string())
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("a racing membership change succeeds");
    }
    repo.replace_restricted_memberships(alice, vec![boards[1]], at(2)).await.unwrap();
    assert_eq!(repo.restricted_boards_of(alice).await.unwrap(), [boards[1]]);
    db.close().await.unwrap();
}
