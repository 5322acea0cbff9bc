//! Who may do what in a chat session. Every use case of [`crate::ChatService`] asks here.
//!
//! Members (the creator and the listed users) and every admin take part in a session: they
//! read it, join its socket and post. The creator and admins manage it (rename, close,
//! reopen, change members, delete); only admins reassign it. A message is edited by its
//! author only, and deleted by its author or an admin.

use kernel::Actor;

use crate::error::ChatError;
use crate::model::{ChatMessage, ChatSession};

/// The caller reads, joins and posts in the session.
pub fn check_participant(actor: &Actor, session: &ChatSession) -> Result<(), ChatError> {
    if actor.is_admin() || session.has_member(actor.id) {
        Ok(())
    } else {
        Err(ChatError::Forbidden("you are not a member of this chat session"))
    }
}

/// The caller changes or deletes the session: its creator or an admin.
pub fn check_manager(actor: &Actor, session: &ChatSession) -> Result<(), ChatError> {
    check_participant(actor, session)?;
    if actor.is_admin() || session.creator_id == actor.id {
        Ok(())
    } else {
        Err(ChatError::Forbidden("only the creator of the chat session or an administrator may change it"))
    }
}

/// The caller edits the message: its author, who still takes part in the session.
pub fn check_editor(actor: &Actor, session: &ChatSession, message: &ChatMessage) -> Result<(), ChatError> {
    check_participant(actor, session)?;
    if message.user_id == actor.id { Ok(()) } else { Err(ChatError::Forbidden("only the author may edit a message")) }
}

/// The caller deletes the message: its author (still taking part) or an admin.
pub fn check_deleter(actor: &Actor, session: &ChatSession, message: &ChatMessage) -> Result<(), ChatError> {
    check_participant(actor, session)?;
    if actor.is_admin() || message.user_id == actor.id {
        Ok(())
    } else {
        Err(ChatError::Forbidden("only the author or an administrator may delete a message"))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use kernel::Role;

    use super::*;
    use crate::model::Member;

    fn actor(id: i64, role: Role) -> Actor {
        Actor { id, name: format!("n{id}"), role }
    }

    /// Session 1 created by user 10, with user 11 listed.
    fn session() -> ChatSession {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        ChatSession {
            id: 1,
            name: "help".into(),
            information: String::new(),
            creator_id: 10,
            assignee_id: Some(1),
            is_closed: false,
            members: vec![Member { id: 10, name: "n10".into() }, Member { id: 11, name: "n11".into() }],
            create_date: t,
            update_date: t,
        }
    }

    fn message_by(user_id: i64) -> ChatMessage {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        ChatMessage {
            id: 7,
            session_id: 1,
            user_id,
            user_name: format!("n{user_id}"),
            content: "hello".into(),
            create_date: t,
            update_date: t,
        }
    }

    #[test]
    fn members_and_every_admin_take_part_others_are_forbidden() {
        assert!(check_participant(&actor(10, Role::User), &session()).is_ok());
        assert!(check_participant(&actor(11, Role::User), &session()).is_ok());
        assert!(check_participant(&actor(99, Role::Admin), &session()).is_ok(), "admins need no membership");
        assert!(matches!(check_participant(&actor(12, Role::User), &session()), Err(ChatError::Forbidden(_))));
    }

    #[test]
    fn only_the_creator_and_admins_manage_a_session() {
        assert!(check_manager(&actor(10, Role::User), &session()).is_ok());
        assert!(check_manager(&actor(99, Role::Admin), &session()).is_ok());
        assert!(matches!(check_manager(&actor(11, Role::User), &session()), Err(ChatError::Forbidden(_))));
        assert!(matches!(check_manager(&actor(12, Role::User), &session()), Err(ChatError::Forbidden(_))));
    }

    #[test]
    fn only_the_author_edits_not_even_an_admin() {
        assert!(check_editor(&actor(11, Role::User), &session(), &message_by(11)).is_ok());
        assert!(matches!(
            check_editor(&actor(10, Role::User), &session(), &message_by(11)),
            Err(ChatError::Forbidden(_))
        ));
        assert!(matches!(
            check_editor(&actor(99, Role::Admin), &session(), &message_by(11)),
            Err(ChatError::Forbidden(_))
        ));
    }

    #[test]
    fn the_author_or_any_admin_deletes() {
        assert!(check_deleter(&actor(11, Role::User), &session(), &message_by(11)).is_ok());
        assert!(check_deleter(&actor(99, Role::Admin), &session(), &message_by(11)).is_ok());
        assert!(matches!(
            check_deleter(&actor(10, Role::User), &session(), &message_by(11)),
            Err(ChatError::Forbidden(_))
        ));
    }

    #[test]
    fn an_author_removed_from_the_session_can_no_longer_touch_old_messages() {
        assert!(matches!(
            check_editor(&actor(12, Role::User), &session(), &message_by(12)),
            Err(ChatError::Forbidden(_))
        ));
        assert!(matches!(
            check_deleter(&actor(12, Role::User), &session(), &message_by(12)),
            Err(ChatError::Forbidden(_))
        ));
    }
}
