//! Rules of the board service, checked against mocked ports.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kernel::audit::MockAuditLog;
use kernel::test_support::{admin, user};
use kernel::{Cursor, ManualClock, Timestamp};
use mockall::predicate::{always, eq};

use super::*;
use crate::board::access::MockBoardDirectory;
use crate::board::ports::MockBoardRepository;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap()
}

fn board(id: BoardId, access: BoardAccess) -> Board {
    Board {
        id,
        name: format!("board{id}"),
        information: String::new(),
        is_visible: true,
        is_available: true,
        access,
        create_date: t0(),
        update_date: t0(),
        delete_date: None,
    }
}

/// The ports of one test, each a mock to be given expectations before `build`. A call
/// nobody expected fails the test.
struct Fixture {
    boards: MockBoardRepository,
    directory: MockBoardDirectory,
    audit: MockAuditLog,
}

impl Fixture {
    fn new() -> Self {
        Fixture { boards: MockBoardRepository::new(), directory: MockBoardDirectory::new(), audit: MockAuditLog::new() }
    }

    fn build(self) -> BoardService {
        BoardService::new(BoardPorts {
            boards: Arc::new(self.boards),
            directory: Arc::new(self.directory),
            audit: Arc::new(self.audit),
            clock: Arc::new(ManualClock::new(t0())),
        })
    }

    fn with_board(&mut self, board: Board) {
        self.directory.expect_find().with(eq(board.id)).returning(move |_| Ok(Some(board.clone())));
    }

    fn with_users(&mut self, existing: &'static [UserId]) {
        self.boards
            .expect_unknown_users()
            .returning(move |ids| Ok(ids.into_iter().filter(|id| !existing.contains(id)).collect()));
    }

    /// Exactly one audit entry, checked by `check`.
    fn expect_audit(&mut self, check: impl Fn(&AuditEntry) + Send + Sync + 'static) {
        self.audit.expect_record().times(1).returning(move |entry| {
            check(&entry);
            Ok(())
        });
    }
}

fn input(name: &str) -> BoardInput {
    BoardInput { name: name.into(), ..Default::default() }
}

fn validation_fields(err: BoardError) -> Vec<String> {
    let BoardError::Validation(errors) = err else { panic!("expected validation, got {err:?}") };
    errors.fields().keys().cloned().collect()
}

#[tokio::test]
async fn every_admin_action_refuses_a_non_admin_before_touching_storage() {
    let service = Fixture::new().build();
    let u = user(7);
    let by = Some(&u);
    assert!(matches!(service.create_board(by, input("x")).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.update_board(by, 1, BoardPatch::default()).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.delete_board(by, 1).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.list_all(by, PageRequest::first()).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.admin_board(by, 1).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.memberships(by, 2).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.replace_memberships(by, 2, &[1]).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.grant(by, 1, 2).await, Err(BoardError::AdminRequired)));
    assert!(matches!(service.revoke(by, 1, 2).await, Err(BoardError::AdminRequired)));
}

#[tokio::test]
async fn creating_validates_every_field_before_touching_storage() {
    let service = Fixture::new().build();
    let bad = BoardInput {
        name: " ".into(),
        information: Some("i".repeat(513)),
        access: Some("private".into()),
        ..Default::default()
    };
    let fields = validation_fields(service.create_board(Some(&admin(1)), bad).await.unwrap_err());
    assert_eq!(fields, ["access", "information", "name"]);
}

#[tokio::test]
async fn creating_refuses_unknown_members_naming_them() {
    let mut fixture = Fixture::new();
    fixture.with_users(&[2, 3]);
    let service = fixture.build();
    let input = BoardInput { member_ids: Some(vec![3, 9, 2, 8]), ..input("team") };
    let err = service.create_board(Some(&admin(1)), input).await.unwrap_err();
    let BoardError::Validation(errors) = err else { panic!("{err:?}") };
    assert_eq!(errors.fields()["member_ids"], ["unknown users: 8, 9"]);
}

#[tokio::test]
async fn creating_stores_the_board_with_its_members_and_records_who_did_it() {
    let mut fixture = Fixture::new();
    fixture.with_users(&[2, 3]);
    fixture
        .boards
        .expect_create()
        .withf(|new, at| {
            new.name.as_str() == "team"
                && new.access == BoardAccess::Restricted
                && new.member_ids == [2, 3]
                && *at == t0()
        })
        .times(1)
        .returning(|new, _| Ok(Board { name: new.name.as_str().into(), ..board(5, new.access) }));
    fixture.expect_audit(|entry| {
        assert_eq!(entry.actor_id, Some(1));
        assert_eq!(entry.action, "board.create");
        assert_eq!((entry.target_type.as_str(), entry.target_id), ("board", Some(5)));
        assert_eq!(entry.detail["access"], "restricted");
        assert_eq!(entry.detail["member_ids"], serde_json::json!([2, 3]));
        assert_eq!(entry.create_date, t0());
    });
    let service = fixture.build();
    let input = BoardInput { access: Some("restricted".into()), member_ids: Some(vec![3, 2, 3]), ..input(" team ") };
    let created = service.create_board(Some(&admin(1)), input).await.unwrap();
    assert_eq!(created.board.id, 5);
    assert_eq!(created.member_ids, [2, 3]);
}

#[tokio::test]
async fn a_taken_name_is_a_conflict_and_records_nothing() {
    let mut fixture = Fixture::new();
    fixture.boards.expect_create().returning(|_, _| Err(BoardWriteError::NameTaken));
    let service = fixture.build();
    assert!(matches!(service.create_board(None, input("dup")).await, Err(BoardError::NameTaken)));
}

#[tokio::test]
async fn server_side_tools_act_without_an_actor_and_are_recorded_as_such() {
    let mut fixture = Fixture::new();
    fixture.boards.expect_create().returning(|new, _| Ok(board(4, new.access)));
    fixture.expect_audit(|entry| assert_eq!(entry.actor_id, None));
    fixture.build().create_board(None, input("cli")).await.unwrap();
}

#[tokio::test]
async fn updating_an_unknown_board_is_not_found_and_writes_nothing() {
    let mut fixture = Fixture::new();
    fixture.directory.expect_find().returning(|_| Ok(None));
    let patch = BoardPatch { name: Some("x".into()), ..Default::default() };
    let err = fixture.build().update_board(Some(&admin(1)), 9, patch).await.unwrap_err();
    assert!(matches!(err, BoardError::BoardNotFound));
}

#[tokio::test]
async fn an_empty_patch_changes_and_records_nothing() {
    let mut fixture = Fixture::new();
    fixture.with_board(board(3, BoardAccess::Restricted));
    fixture.boards.expect_members_of().with(eq(vec![3])).returning(|_| Ok(vec![(3, 4), (3, 6)]));
    let unchanged = fixture.build().update_board(Some(&admin(1)), 3, BoardPatch::default()).await.unwrap();
    assert_eq!(unchanged.member_ids, [4, 6]);
}

#[tokio::test]
async fn showing_or_opening_a_deleted_board_restores_it() {
    let mut fixture = Fixture::new();
    let mut deleted = board(3, BoardAccess::Public);
    deleted.delete_date = Some(t0());
    deleted.is_visible = false;
    deleted.is_available = false;
    fixture.with_board(deleted);
    fixture
        .boards
        .expect_update()
        .withf(|id, changes, members, _| {
            *id == 3 && changes.restore && changes.is_visible == Some(true) && members.is_none()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(Some(board(3, BoardAccess::Public))));
    fixture.boards.expect_members_of().returning(|_| Ok(vec![]));
    fixture.expect_audit(|entry| {
        assert_eq!(entry.action, "board.update");
        assert_eq!(entry.detail, serde_json::json!({"is_visible": true, "restored": true}));
    });
    let patch = BoardPatch { is_visible: Some(true), ..Default::default() };
    let restored = fixture.build().update_board(Some(&admin(1)), 3, patch).await.unwrap();
    assert_eq!(restored.board.delete_date, None);
}

#[tokio::test]
async fn renaming_a_deleted_board_keeps_it_deleted() {
    let mut fixture = Fixture::new();
    let mut deleted = board(3, BoardAccess::Public);
    deleted.delete_date = Some(t0());
    fixture.with_board(deleted.clone());
    fixture
        .boards
        .expect_update()
        .withf(|_, changes, _, _| !changes.restore)
        .times(1)
        .returning(move |_, _, _, _| Ok(Some(deleted.clone())));
    fixture.boards.expect_members_of().returning(|_| Ok(vec![]));
    fixture.expect_audit(|entry| assert_eq!(entry.detail, serde_json::json!({"name": "renamed"})));
    let patch = BoardPatch { name: Some("renamed".into()), ..Default::default() };
    fixture.build().update_board(Some(&admin(1)), 3, patch).await.unwrap();
}

#[tokio::test]
async fn updating_the_members_checks_them_and_replaces_the_list() {
    let mut fixture = Fixture::new();
    fixture.with_board(board(3, BoardAccess::Restricted));
    fixture.with_users(&[4, 5]);
    fixture
        .boards
        .expect_update()
        .withf(|_, changes, members, _| changes.is_empty() && members.as_deref() == Some(&[4, 5][..]))
        .times(1)
        .returning(|_, _, _, _| Ok(Some(board(3, BoardAccess::Restricted))));
    fixture.expect_audit(|entry| assert_eq!(entry.detail, serde_json::json!({"member_ids": [4, 5]})));
    let service = fixture.build();
    let patch = BoardPatch { member_ids: Some(vec![5, 4]), ..Default::default() };
    assert_eq!(service.update_board(Some(&admin(1)), 3, patch).await.unwrap().member_ids, [4, 5]);
    let unknown = BoardPatch { member_ids: Some(vec![4, 77]), ..Default::default() };
    assert_eq!(validation_fields(service.update_board(Some(&admin(1)), 3, unknown).await.unwrap_err()), ["member_ids"]);
}

#[tokio::test]
async fn deleting_is_soft_and_recorded_once() {
    let mut fixture = Fixture::new();
    fixture.with_board(board(3, BoardAccess::Public));
    let mut first = true;
    fixture.boards.expect_mark_deleted().with(eq(3), eq(t0())).times(2).returning(move |_, _| {
        let deleted_now = first;
        first = false;
        Ok(deleted_now)
    });
    fixture.expect_audit(|entry| {
        assert_eq!(entry.action, "board.delete");
        assert_eq!(entry.detail["name"], "board3");
    });
    let service = fixture.build();
    service.delete_board(Some(&admin(1)), 3).await.unwrap();
    service.delete_board(Some(&admin(1)), 3).await.unwrap();
}

#[tokio::test]
async fn users_list_the_boards_they_may_read_and_learn_where_they_may_write() {
    let mut fixture = Fixture::new();
    let mut closed = board(2, BoardAccess::Public);
    closed.is_available = false;
    let page =
        Page { items: vec![board(1, BoardAccess::Public), closed, board(3, BoardAccess::Restricted)], next: None };
    fixture.boards.expect_list_readable().with(eq(7), always()).times(1).returning(move |_, _| Ok(page.clone()));
    let listed = fixture.build().list_readable(&user(7), PageRequest::first()).await.unwrap();
    let rights: Vec<(BoardId, bool)> = listed.items.iter().map(|b| (b.board.id, b.can_write)).collect();
    assert_eq!(rights, [(1, true), (2, false), (3, true)]);
}

#[tokio::test]
async fn admins_list_every_board_and_may_write_everywhere() {
    let mut fixture = Fixture::new();
    let mut deleted = board(2, BoardAccess::Restricted);
    deleted.is_visible = false;
    deleted.is_available = false;
    deleted.delete_date = Some(t0());
    let page = Page { items: vec![board(1, BoardAccess::Public), deleted], next: Some(Cursor::by_id(2)) };
    fixture.boards.expect_list_all().times(1).returning(move |_| Ok(page.clone()));
    let listed = fixture.build().list_readable(&admin(1), PageRequest::first()).await.unwrap();
    assert!(listed.items.iter().all(|b| b.can_write));
    assert_eq!(listed.next, Some(Cursor::by_id(2)));
}

#[tokio::test]
async fn the_admin_list_brings_every_boards_members_in_one_lookup() {
    let mut fixture = Fixture::new();
    let page = Page { items: vec![board(1, BoardAccess::Public), board(2, BoardAccess::Restricted)], next: None };
    fixture.boards.expect_list_all().returning(move |_| Ok(page.clone()));
    fixture.boards.expect_members_of().with(eq(vec![1, 2])).times(1).returning(|_| Ok(vec![(2, 5), (2, 8)]));
    let listed = fixture.build().list_all(None, PageRequest::first()).await.unwrap();
    let members: Vec<Vec<UserId>> = listed.items.into_iter().map(|b| b.member_ids).collect();
    assert_eq!(members, [vec![], vec![5, 8]]);
}

#[tokio::test]
async fn one_board_follows_the_access_rules() {
    let mut fixture = Fixture::new();
    let mut hidden = board(1, BoardAccess::Public);
    hidden.is_visible = false;
    fixture.with_board(hidden);
    fixture.with_board(board(2, BoardAccess::Restricted));
    let mut closed = board(3, BoardAccess::Public);
    closed.is_available = false;
    fixture.with_board(closed);
    fixture.directory.expect_is_member().with(eq(2), eq(7)).returning(|_, _| Ok(false));
    let service = fixture.build();
    assert!(matches!(service.board(&user(7), 1).await, Err(BoardError::BoardNotFound)));
    assert!(matches!(service.board(&user(7), 2).await, Err(BoardError::Forbidden)));
    assert!(!service.board(&user(7), 3).await.unwrap().can_write);
    assert!(service.board(&admin(1), 1).await.unwrap().can_write);
}

#[tokio::test]
async fn replacing_memberships_names_unknown_and_public_boards() {
    let mut fixture = Fixture::new();
    fixture.with_users(&[7]);
    fixture.boards.expect_find_many().with(eq(vec![1, 2, 3, 4])).returning(|_| {
        Ok(vec![board(1, BoardAccess::Public), board(2, BoardAccess::Restricted), board(4, BoardAccess::Public)])
    });
    let err = fixture.build().replace_memberships(Some(&admin(1)), 7, &[4, 3, 2, 1]).await.unwrap_err();
    let BoardError::Validation(errors) = err else { panic!("{err:?}") };
    let messages = &errors.fields()["board_ids"];
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0], "unknown boards: 3");
    assert!(messages[1].ends_with(": 1, 4"), "{messages:?}");
}

#[tokio::test]
async fn replacing_memberships_of_an_unknown_user_is_not_found() {
    let mut fixture = Fixture::new();
    fixture.with_users(&[]);
    let err = fixture.build().replace_memberships(Some(&admin(1)), 99, &[]).await.unwrap_err();
    assert!(matches!(err, BoardError::UserNotFound));
}

#[tokio::test]
async fn replacing_memberships_records_what_was_added_and_removed() {
    let mut fixture = Fixture::new();
    fixture.with_users(&[7]);
    fixture
        .boards
        .expect_find_many()
        .returning(|ids| Ok(ids.into_iter().map(|id| board(id, BoardAccess::Restricted)).collect()));
    fixture.boards.expect_restricted_boards_of().with(eq(7)).returning(|_| Ok(vec![2, 5]));
    fixture
        .boards
        .expect_replace_restricted_memberships()
        .with(eq(7), eq(vec![2, 3]), eq(t0()))
        .times(1)
        .returning(|_, _, _| Ok(()));
    fixture.expect_audit(|entry| {
        assert_eq!(entry.action, "user.boards.replace");
        assert_eq!((entry.target_type.as_str(), entry.target_id), ("user", Some(7)));
        assert_eq!(entry.detail, serde_json::json!({"board_ids": [2, 3], "added": [3], "removed": [5]}));
    });
    let now = fixture.build().replace_memberships(Some(&admin(1)), 7, &[3, 2, 3]).await.unwrap();
    assert_eq!(now, [2, 3]);
}

#[tokio::test]
async fn replacing_memberships_with_the_same_set_records_nothing() {
    let mut fixture = Fixture::new();
    fixture.with_users(&[7]);
    fixture
        .boards
        .expect_find_many()
        .returning(|ids| Ok(ids.into_iter().map(|id| board(id, BoardAccess::Restricted)).collect()));
    fixture.boards.expect_restricted_boards_of().returning(|_| Ok(vec![2]));
    fixture.boards.expect_replace_restricted_memberships().times(1).returning(|_, _, _| Ok(()));
    fixture.build().replace_memberships(Some(&admin(1)), 7, &[2]).await.unwrap();
}

#[tokio::test]
async fn granting_needs_a_restricted_board_and_an_existing_user() {
    let mut fixture = Fixture::new();
    fixture.with_board(board(1, BoardAccess::Public));
    fixture.with_board(board(2, BoardAccess::Restricted));
    fixture.directory.expect_find().returning(|_| Ok(None));
    fixture.with_users(&[7]);
    let mut first = true;
    fixture.boards.expect_add_member().with(eq(2), eq(7), eq(t0())).times(2).returning(move |_, _, _| {
        let added = first;
        first = false;
        Ok(added)
    });
    fixture.expect_audit(|entry| {
        assert_eq!((entry.action.as_str(), entry.target_id), ("board.member.grant", Some(2)));
        assert_eq!(entry.detail, serde_json::json!({"user_id": 7}));
    });
    let service = fixture.build();
    assert_eq!(validation_fields(service.grant(None, 1, 7).await.unwrap_err()), ["board"]);
    assert!(matches!(service.grant(None, 9, 7).await, Err(BoardError::BoardNotFound)));
    assert!(matches!(service.grant(None, 2, 8).await, Err(BoardError::UserNotFound)));
    assert!(service.grant(None, 2, 7).await.unwrap(), "added");
    assert!(!service.grant(None, 2, 7).await.unwrap(), "already a member: no second entry");
}

#[tokio::test]
async fn revoking_removes_a_membership_and_records_it() {
    let mut fixture = Fixture::new();
    fixture.with_board(board(2, BoardAccess::Restricted));
    fixture.with_users(&[7]);
    fixture.boards.expect_remove_member().with(eq(2), eq(7)).times(1).returning(|_, _| Ok(true));
    fixture.expect_audit(|entry| assert_eq!(entry.action, "board.member.revoke"));
    assert!(fixture.build().revoke(None, 2, 7).await.unwrap());
}

#[tokio::test]
async fn tools_find_boards_by_id_or_else_by_name() {
    let mut fixture = Fixture::new();
    fixture.with_board(board(3, BoardAccess::Public));
    fixture.directory.expect_find().returning(|_| Ok(None));
    let mut named_2024 = board(8, BoardAccess::Public);
    named_2024.name = "2024".into();
    fixture.boards.expect_find_by_name().with(eq("2024")).returning(move |_| Ok(Some(named_2024.clone())));
    fixture.boards.expect_find_by_name().returning(|_| Ok(None));
    let service = fixture.build();
    assert_eq!(service.find_board("3").await.unwrap().id, 3);
    assert_eq!(service.find_board(" 2024 ").await.unwrap().id, 8, "a number that is no id is a name");
    assert!(matches!(service.find_board("nope").await, Err(BoardError::BoardNotFound)));
}
