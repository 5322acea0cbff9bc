//! Rules of the chat service, checked against mocked ports.

use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use kernel::test_support::{admin, user};
use kernel::{InfraError, ManualClock, Timestamp};
use mockall::Sequence;
use mockall::predicate::eq;

use super::*;
use crate::model::Member;
use crate::ports::{
    MockChatBus, MockChatDirectory, MockChatRepository, MockChatSubscription, MockTicketSecrets, MockTicketStore,
};

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap()
}

/// Session 5, created by user 10 with user 11 listed, assigned to admin 1.
fn session() -> ChatSession {
    ChatSession {
        id: 5,
        name: "help".into(),
        information: String::new(),
        creator_id: 10,
        assignee_id: Some(1),
        is_closed: false,
        members: vec![Member { id: 10, name: "user10".into() }, Member { id: 11, name: "user11".into() }],
        create_date: t0(),
        update_date: t0(),
    }
}

fn message(id: i64, author: i64) -> ChatMessage {
    ChatMessage {
        id,
        session_id: 5,
        user_id: author,
        user_name: format!("user{author}"),
        content: "hello".into(),
        create_date: t0(),
        update_date: t0(),
    }
}

/// The ports of one test, each a mock to be given expectations before `build`; the events
/// published on the bus are recorded.
struct Fixture {
    repository: MockChatRepository,
    directory: MockChatDirectory,
    tickets: MockTicketStore,
    secrets: MockTicketSecrets,
    bus: MockChatBus,
    published: Arc<Mutex<Vec<ChatEvent>>>,
}

impl Fixture {
    fn new() -> Self {
        let mut secrets = MockTicketSecrets::new();
        secrets.expect_new_ticket().returning(|| "fresh-ticket-0123456789-0123456789-abcdef".to_owned());
        secrets.expect_digest().returning(|ticket| format!("digest({ticket})"));
        Fixture {
            repository: MockChatRepository::new(),
            directory: MockChatDirectory::new(),
            tickets: MockTicketStore::new(),
            secrets,
            bus: MockChatBus::new(),
            published: Arc::default(),
        }
    }

    /// Every publish succeeds and is recorded.
    fn record_events(&mut self) {
        let published = self.published.clone();
        self.bus.expect_publish().returning(move |event| {
            published.lock().unwrap().push(event);
            Ok(())
        });
    }

    fn with_session(&mut self, session: ChatSession) {
        let id = session.id;
        self.repository.expect_find_session().with(eq(id)).returning(move |_| Ok(Some(session.clone())));
    }

    fn build(self) -> (ChatService, Arc<Mutex<Vec<ChatEvent>>>) {
        let service = ChatService::new(
            ChatPorts {
                repository: Arc::new(self.repository),
                directory: Arc::new(self.directory),
                tickets: Arc::new(self.tickets),
                secrets: Arc::new(self.secrets),
                bus: Arc::new(self.bus),
                clock: Arc::new(ManualClock::new(t0())),
            },
            ChatConfig::default(),
        );
        (service, self.published)
    }
}

fn stored(new: NewSession) -> ChatSession {
    ChatSession {
        id: 5,
        name: new.name.as_str().to_owned(),
        information: new.information.as_str().to_owned(),
        creator_id: new.creator_id,
        assignee_id: new.assignee_id,
        is_closed: false,
        members: new.member_ids.iter().map(|id| Member { id: *id, name: format!("user{id}") }).collect(),
        create_date: new.at,
        update_date: new.at,
    }
}

#[tokio::test]
async fn a_new_session_lists_the_creator_first_and_each_listed_user_once() {
    let mut fx = Fixture::new();
    fx.directory.expect_usable_users().with(eq(vec![11, 12])).returning(|ids| Ok(ids.to_vec()));
    fx.directory.expect_least_busy_admin().returning(|| Ok(Some(1)));
    fx.repository
        .expect_create_session()
        .withf(|new| new.member_ids == vec![10, 11, 12] && new.creator_id == 10 && new.at == t0())
        .returning(|new| Ok(stored(new)));
    let (service, _) = fx.build();
    let input = NewSessionInput { name: " Billing ".into(), information: None, member_ids: vec![11, 10, 12, 11] };
    let session = service.create_session(&user(10), input).await.unwrap();
    assert_eq!(session.name, "Billing");
    assert_eq!(session.information, "");
}

#[tokio::test]
async fn a_new_session_goes_to_the_admin_the_directory_finds_least_busy() {
    let mut fx = Fixture::new();
    fx.directory.expect_least_busy_admin().times(1).returning(|| Ok(Some(3)));
    fx.repository.expect_create_session().withf(|new| new.assignee_id == Some(3)).returning(|new| Ok(stored(new)));
    let (service, _) = fx.build();
    let input = NewSessionInput { name: "Billing".into(), ..Default::default() };
    assert_eq!(service.create_session(&user(10), input).await.unwrap().assignee_id, Some(3));
}

#[tokio::test]
async fn without_any_admin_a_new_session_stays_unassigned() {
    let mut fx = Fixture::new();
    fx.directory.expect_least_busy_admin().returning(|| Ok(None));
    fx.repository.expect_create_session().withf(|new| new.assignee_id.is_none()).returning(|new| Ok(stored(new)));
    let (service, _) = fx.build();
    let input = NewSessionInput { name: "Billing".into(), ..Default::default() };
    assert_eq!(service.create_session(&user(10), input).await.unwrap().assignee_id, None);
}

#[tokio::test]
async fn a_new_session_refuses_unknown_users_naming_them_with_every_other_invalid_field() {
    let mut fx = Fixture::new();
    fx.directory.expect_usable_users().returning(|_| Ok(vec![11]));
    fx.repository.expect_create_session().never();
    let (service, _) = fx.build();
    let input =
        NewSessionInput { name: "  ".into(), information: Some("i".repeat(257)), member_ids: vec![11, 404, 405] };
    let err = service.create_session(&user(10), input).await.unwrap_err();
    let ChatError::Validation(errors) = err else { panic!("expected validation, got {err:?}") };
    let fields: Vec<&String> = errors.fields().keys().collect();
    assert_eq!(fields, ["information", "member_ids", "name"]);
    assert_eq!(errors.fields()["member_ids"], ["unknown or disabled users: 404, 405"]);
}

#[tokio::test]
async fn a_new_session_lists_at_most_the_configured_number_of_users() {
    let mut fx = Fixture::new();
    fx.directory.expect_usable_users().never();
    let (service, _) = fx.build();
    let input = NewSessionInput { name: "Crowd".into(), information: None, member_ids: (100..=200).collect() };
    let err = service.create_session(&user(10), input).await.unwrap_err();
    assert!(matches!(err, ChatError::Validation(ref e) if e.fields().contains_key("member_ids")), "{err:?}");
}

#[tokio::test]
async fn members_and_admins_read_a_session_others_are_forbidden() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    let (service, _) = fx.build();
    assert!(service.session(&user(11), 5).await.is_ok());
    assert!(service.session(&admin(99), 5).await.is_ok(), "every admin reads every session");
    assert!(matches!(service.session(&user(12), 5).await, Err(ChatError::Forbidden(_))));
}

#[tokio::test]
async fn a_deleted_or_unknown_session_is_not_found() {
    let mut fx = Fixture::new();
    fx.repository.expect_find_session().returning(|_| Ok(None));
    let (service, _) = fx.build();
    assert!(matches!(service.session(&admin(1), 5).await, Err(ChatError::SessionNotFound)));
    assert!(matches!(service.post_message(&admin(1), 5, "hi").await, Err(ChatError::SessionNotFound)));
}

#[tokio::test]
async fn users_list_only_their_sessions_while_admins_list_all() {
    let mut fx = Fixture::new();
    fx.repository
        .expect_list_sessions()
        .withf(|filter, _| filter.member == Some(10) && filter.closed == Some(false))
        .times(1)
        .returning(|_, _| Ok(Page::empty()));
    fx.repository
        .expect_list_sessions()
        .withf(|filter, _| filter.member.is_none() && filter.assignee == Some(AssigneeFilter::User(1)))
        .times(1)
        .returning(|_, _| Ok(Page::empty()));
    let (service, _) = fx.build();
    service.list_sessions(&user(10), None, Some(false), PageRequest::first()).await.unwrap();
    service.list_sessions(&admin(1), Some(AssigneeFilter::User(1)), None, PageRequest::first()).await.unwrap();
}

#[tokio::test]
async fn only_the_creator_or_an_admin_changes_a_session() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.repository.expect_update_session().never();
    let (service, _) = fx.build();
    let input = SessionUpdateInput { name: Some("mine now".into()), ..Default::default() };
    assert!(matches!(service.update_session(&user(11), 5, input.clone()).await, Err(ChatError::Forbidden(_))));
    assert!(matches!(service.update_session(&user(12), 5, input).await, Err(ChatError::Forbidden(_))));
}

#[tokio::test]
async fn closing_a_session_ends_its_sockets_and_reopening_does_not() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.record_events();
    fx.repository.expect_update_session().withf(|_, changes, _| changes.is_closed.is_some()).returning(
        |_, changes, _| {
            let mut s = session();
            s.is_closed = changes.is_closed.unwrap_or(false);
            Ok(Some(s))
        },
    );
    let (service, published) = fx.build();
    let close = SessionUpdateInput { is_closed: Some(true), ..Default::default() };
    assert!(service.update_session(&user(10), 5, close).await.unwrap().is_closed);
    assert_eq!(*published.lock().unwrap(), [ChatEvent::SessionClosed { session_id: 5 }]);
}

#[tokio::test]
async fn only_an_admin_reassigns_and_only_to_an_admin() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.directory.expect_is_admin().with(eq(10)).returning(|_| Ok(false));
    fx.directory.expect_is_admin().with(eq(2)).returning(|_| Ok(true));
    fx.repository
        .expect_update_session()
        .withf(|_, changes, _| changes.assignee_id == Some(Some(2)))
        .times(1)
        .returning(|_, _, _| Ok(Some(session())));
    fx.repository
        .expect_update_session()
        .withf(|_, changes, _| changes.assignee_id == Some(None))
        .times(1)
        .returning(|_, _, _| Ok(Some(session())));
    let (service, _) = fx.build();
    let to = |id: Option<i64>| SessionUpdateInput { assignee_id: Some(id), ..Default::default() };
    assert!(matches!(service.update_session(&user(10), 5, to(Some(2))).await, Err(ChatError::AdminRequired)));
    let err = service.update_session(&admin(1), 5, to(Some(10))).await.unwrap_err();
    assert!(matches!(err, ChatError::Validation(ref e) if e.fields().contains_key("assignee_id")), "{err:?}");
    service.update_session(&admin(1), 5, to(Some(2))).await.unwrap();
    service.update_session(&admin(1), 5, to(None)).await.unwrap();
}

#[tokio::test]
async fn replacing_members_keeps_the_creator_and_ends_the_sockets_of_those_removed() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.record_events();
    fx.directory.expect_usable_users().with(eq(vec![12])).returning(|ids| Ok(ids.to_vec()));
    fx.repository
        .expect_update_session()
        .withf(|_, changes, _| changes.member_ids == Some(vec![10, 12]))
        .returning(|_, _, _| Ok(Some(session())));
    let (service, published) = fx.build();
    let input = SessionUpdateInput { member_ids: Some(vec![12]), ..Default::default() };
    service.update_session(&admin(1), 5, input).await.unwrap();
    assert_eq!(*published.lock().unwrap(), [ChatEvent::MemberRemoved { session_id: 5, user_id: 11 }]);
}

#[tokio::test]
async fn deleting_a_session_ends_its_sockets() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.record_events();
    fx.repository.expect_delete_session().with(eq(5), eq(t0())).returning(|_, _| Ok(true));
    let (service, published) = fx.build();
    assert!(matches!(service.delete_session(&user(11), 5).await, Err(ChatError::Forbidden(_))));
    service.delete_session(&user(10), 5).await.unwrap();
    assert_eq!(*published.lock().unwrap(), [ChatEvent::SessionDeleted { session_id: 5 }]);
}

#[tokio::test]
async fn a_message_is_stored_before_it_is_delivered() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    let mut order = Sequence::new();
    fx.repository
        .expect_add_message()
        .withf(|new| new.user_id == 11 && new.user_name == "user11" && new.content.as_str() == "hello")
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(message(7, 11)));
    fx.bus
        .expect_publish()
        .with(eq(ChatEvent::Message { message: message(7, 11) }))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    let (service, _) = fx.build();
    assert_eq!(service.post_message(&user(11), 5, "hello").await.unwrap().id, 7);
}

#[tokio::test]
async fn an_admin_posts_in_any_session_a_stranger_in_none() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.record_events();
    fx.repository.expect_add_message().times(1).returning(|_| Ok(message(8, 99)));
    let (service, _) = fx.build();
    assert!(service.post_message(&admin(99), 5, "hi").await.is_ok());
    assert!(matches!(service.post_message(&user(12), 5, "hi").await, Err(ChatError::Forbidden(_))));
}

#[tokio::test]
async fn nothing_is_posted_in_a_closed_session() {
    let mut fx = Fixture::new();
    let mut closed = session();
    closed.is_closed = true;
    fx.with_session(closed);
    fx.repository.expect_add_message().never();
    fx.bus.expect_publish().never();
    let (service, _) = fx.build();
    assert!(matches!(service.post_message(&user(11), 5, "hello").await, Err(ChatError::SessionClosed)));
}

#[tokio::test]
async fn a_close_racing_with_a_socket_post_is_reported_as_closed() {
    let mut fx = Fixture::new();
    fx.repository.expect_add_message().returning(|_| Err(AddMessageError::SessionClosed));
    fx.bus.expect_publish().never();
    let (service, _) = fx.build();
    assert!(matches!(service.post_from_socket(&user(11), 5, "hello").await, Err(ChatError::SessionClosed)));
}

#[tokio::test]
async fn blank_or_long_messages_are_refused_before_storage() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.repository.expect_add_message().never();
    let (service, _) = fx.build();
    for bad in ["", "   ", &"x".repeat(257)] {
        let err = service.post_message(&user(11), 5, bad).await.unwrap_err();
        assert!(matches!(err, ChatError::Validation(ref e) if e.fields().contains_key("content")), "{err:?}");
    }
}

#[tokio::test]
async fn a_stored_message_survives_a_bus_failure() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.repository.expect_add_message().returning(|_| Ok(message(7, 11)));
    fx.bus.expect_publish().returning(|_| Err(InfraError::unavailable("broker down")));
    let (service, _) = fx.build();
    assert_eq!(service.post_message(&user(11), 5, "hello").await.unwrap().id, 7);
}

#[tokio::test]
async fn only_the_author_edits_a_message_and_the_edit_goes_out_whole() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.record_events();
    fx.repository.expect_find_message().with(eq(7)).returning(|_| Ok(Some(message(7, 11))));
    fx.repository.expect_update_message().times(1).returning(|id, content, at| {
        let mut m = message(id, 11);
        m.content = content.as_str().to_owned();
        m.update_date = at;
        Ok(Some(m))
    });
    let (service, published) = fx.build();
    assert!(matches!(service.edit_message(&admin(1), 7, "mod").await, Err(ChatError::Forbidden(_))));
    assert!(matches!(service.edit_message(&user(10), 7, "creator").await, Err(ChatError::Forbidden(_))));
    let edited = service.edit_message(&user(11), 7, "better").await.unwrap();
    assert_eq!(edited.content, "better");
    assert_eq!(*published.lock().unwrap(), [ChatEvent::Edited { message: edited }]);
}

#[tokio::test]
async fn messages_of_a_closed_session_cannot_be_edited() {
    let mut fx = Fixture::new();
    let mut closed = session();
    closed.is_closed = true;
    fx.with_session(closed);
    fx.repository.expect_find_message().returning(|_| Ok(Some(message(7, 11))));
    fx.repository.expect_update_message().never();
    let (service, _) = fx.build();
    assert!(matches!(service.edit_message(&user(11), 7, "late").await, Err(ChatError::SessionClosed)));
}

#[tokio::test]
async fn the_author_or_any_admin_deletes_a_message_live() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.record_events();
    fx.repository.expect_find_message().returning(|id| Ok(Some(message(id, 11))));
    fx.repository.expect_delete_message().times(2).returning(|_, _| Ok(true));
    let (service, published) = fx.build();
    assert!(matches!(service.delete_message(&user(10), 7).await, Err(ChatError::Forbidden(_))));
    service.delete_message(&admin(99), 7).await.unwrap();
    service.delete_message(&user(11), 8).await.unwrap();
    assert_eq!(
        *published.lock().unwrap(),
        [ChatEvent::Deleted { session_id: 5, message_id: 7 }, ChatEvent::Deleted { session_id: 5, message_id: 8 }]
    );
}

#[tokio::test]
async fn a_missing_message_is_not_found() {
    let mut fx = Fixture::new();
    fx.repository.expect_find_message().returning(|_| Ok(None));
    let (service, _) = fx.build();
    assert!(matches!(service.edit_message(&user(11), 7, "x").await, Err(ChatError::MessageNotFound)));
    assert!(matches!(service.delete_message(&admin(1), 7).await, Err(ChatError::MessageNotFound)));
}

#[tokio::test]
async fn tickets_are_stored_by_digest_and_expire_after_the_configured_time() {
    let mut fx = Fixture::new();
    fx.tickets
        .expect_store()
        .withf(|digest, user_id, expire, at| {
            digest == "digest(fresh-ticket-0123456789-0123456789-abcdef)"
                && *user_id == 11
                && *expire == t0() + Duration::seconds(60)
                && *at == t0()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let (service, _) = fx.build();
    let ticket = service.issue_ticket(&user(11)).await.unwrap();
    assert_eq!(ticket.expires_in, 60);
    assert_eq!(ticket.ticket, "fresh-ticket-0123456789-0123456789-abcdef");
}

#[tokio::test]
async fn a_ticket_opens_for_its_user_once_and_forged_ones_never() {
    let mut fx = Fixture::new();
    let spent = Arc::new(Mutex::new(false));
    fx.tickets.expect_redeem().returning(move |digest, now| {
        assert_eq!(now, t0());
        let mut spent = spent.lock().unwrap();
        if digest == "digest(good)" && !*spent {
            *spent = true;
            Ok(Some(11))
        } else {
            Ok(None)
        }
    });
    let (service, _) = fx.build();
    assert_eq!(service.redeem_ticket("good").await.unwrap(), 11);
    assert!(matches!(service.redeem_ticket("good").await, Err(ChatError::TicketInvalid)), "reused");
    assert!(matches!(service.redeem_ticket("forged").await, Err(ChatError::TicketInvalid)));
    assert!(matches!(service.redeem_ticket("").await, Err(ChatError::TicketInvalid)));
    assert!(matches!(service.redeem_ticket(&"x".repeat(300)).await, Err(ChatError::TicketInvalid)));
}

#[tokio::test]
async fn a_socket_subscribes_only_after_the_session_let_it_in() {
    let mut fx = Fixture::new();
    fx.with_session(session());
    fx.bus.expect_subscribe().with(eq(5)).times(2).returning(|_| Ok(Box::new(MockChatSubscription::new())));
    let (service, _) = fx.build();
    assert!(matches!(service.open_socket(&user(12), 5).await, Err(ChatError::Forbidden(_))));
    assert_eq!(service.open_socket(&user(11), 5).await.unwrap().session.id, 5);
    assert_eq!(service.open_socket(&admin(99), 5).await.unwrap().session.id, 5);
}

#[tokio::test]
async fn no_socket_opens_on_a_closed_session() {
    let mut fx = Fixture::new();
    let mut closed = session();
    closed.is_closed = true;
    fx.with_session(closed);
    fx.bus.expect_subscribe().never();
    let (service, _) = fx.build();
    assert!(matches!(service.open_socket(&user(11), 5).await, Err(ChatError::SessionClosed)));
}

#[tokio::test]
async fn a_disabled_account_is_announced_to_every_session() {
    let mut fx = Fixture::new();
    fx.record_events();
    let (service, published) = fx.build();
    service.user_disabled(11, DisabledReason::Banned).await;
    assert_eq!(*published.lock().unwrap(), [ChatEvent::UserDisabled { user_id: 11, reason: DisabledReason::Banned }]);
}

#[tokio::test]
async fn accounts_disabled_elsewhere_are_found_among_the_connected_and_their_sockets_ended() {
    let mut fx = Fixture::new();
    fx.record_events();
    fx.directory
        .expect_disabled_among()
        .with(eq(vec![10, 11, 12]))
        .times(1)
        .returning(|_| Ok(vec![(11, DisabledReason::Deactivated)]));
    let (service, published) = fx.build();
    assert_eq!(service.end_sockets_of_disabled(&[]).await.unwrap(), 0, "no query without sockets");
    assert_eq!(service.end_sockets_of_disabled(&[10, 11, 12]).await.unwrap(), 1);
    assert_eq!(
        *published.lock().unwrap(),
        [ChatEvent::UserDisabled { user_id: 11, reason: DisabledReason::Deactivated }]
    );
}
