//! The use cases of the chat domain, written against its ports.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use kernel::{Actor, Clock, FieldErrors, Page, PageRequest, UserId};

use crate::access::{check_deleter, check_editor, check_manager, check_participant};
use crate::error::ChatError;
use crate::event::{ChatEvent, DisabledReason};
use crate::model::{
    AssigneeFilter, ChatMessage, ChatSession, MessageContent, MessageId, MessageOrder, NewMessage, NewSession,
    SessionChanges, SessionFilter, SessionId, SessionInformation, SessionName,
};
use crate::ports::{
    AddMessageError, ChatBus, ChatDirectory, ChatRepository, ChatSubscription, TicketSecrets, TicketStore,
};

/// Settings of the chat domain.
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// How long a WebSocket ticket stays valid.
    pub ticket_ttl: Duration,
    /// Most users a session lists besides its creator.
    pub max_members: usize,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig { ticket_ttl: Duration::seconds(60), max_members: 100 }
    }
}

/// The ports the service is built from.
pub struct ChatPorts {
    pub repository: Arc<dyn ChatRepository>,
    pub directory: Arc<dyn ChatDirectory>,
    pub tickets: Arc<dyn TicketStore>,
    pub secrets: Arc<dyn TicketSecrets>,
    pub bus: Arc<dyn ChatBus>,
    pub clock: Arc<dyn Clock>,
}

/// A session to create, as received.
#[derive(Debug, Clone, Default)]
pub struct NewSessionInput {
    pub name: String,
    pub information: Option<String>,
    pub member_ids: Vec<UserId>,
}

/// Changes of a session, as received; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SessionUpdateInput {
    pub name: Option<String>,
    pub information: Option<String>,
    pub is_closed: Option<bool>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<UserId>>,
    pub member_ids: Option<Vec<UserId>>,
}

/// A freshly issued WebSocket ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub ticket: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// What a socket needs once it may open: the session, and a subscription taken before the
/// socket answers anything, so that it misses no event stored afterwards.
pub struct SocketGrant {
    pub session: ChatSession,
    pub subscription: Box<dyn ChatSubscription>,
}

/// Chat sessions, messages and their live delivery.
pub struct ChatService {
    repository: Arc<dyn ChatRepository>,
    directory: Arc<dyn ChatDirectory>,
    tickets: Arc<dyn TicketStore>,
    secrets: Arc<dyn TicketSecrets>,
    bus: Arc<dyn ChatBus>,
    clock: Arc<dyn Clock>,
    config: ChatConfig,
}

/// The longest ticket worth hashing; anything longer is not one of ours.
const MAX_TICKET_CHARS: usize = 256;

impl ChatService {
    pub fn new(ports: ChatPorts, config: ChatConfig) -> Self {
        ChatService {
            repository: ports.repository,
            directory: ports.directory,
            tickets: ports.tickets,
            secrets: ports.secrets,
            bus: ports.bus,
            clock: ports.clock,
            config,
        }
    }

    pub fn config(&self) -> &ChatConfig {
        &self.config
    }

    /// Creates a session whose members are the caller and the listed users, assigned to the
    /// admin with the fewest open sessions (unassigned when there is no admin).
    pub async fn create_session(&self, actor: &Actor, input: NewSessionInput) -> Result<ChatSession, ChatError> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", SessionName::parse(&input.name));
        let information =
            errors.check("information", SessionInformation::parse(input.information.as_deref().unwrap_or("")));
        let listed = errors.check("member_ids", self.listed_members(actor.id, &input.member_ids).await?);
        let (Some(name), Some(information), Some(listed)) = (name, information, listed) else {
            return Err(ChatError::Validation(errors));
        };
        let assignee_id = self.directory.least_busy_admin().await?;
        let mut member_ids = vec![actor.id];
        member_ids.extend(listed);
        let session =
            NewSession { name, information, creator_id: actor.id, member_ids, assignee_id, at: self.clock.now() };
        Ok(self.repository.create_session(session).await?)
    }

    /// The listed users besides `creator`, distinct and in order; an error message naming
    /// the ids of unknown or disabled accounts.
    async fn listed_members(&self, creator: UserId, ids: &[UserId]) -> Result<Result<Vec<UserId>, String>, ChatError> {
        let mut seen = BTreeSet::from([creator]);
        let listed: Vec<UserId> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        if listed.len() > self.config.max_members {
            return Ok(Err(format!("may list at most {} users", self.config.max_members)));
        }
        if listed.is_empty() {
            return Ok(Ok(listed));
        }
        let usable: BTreeSet<UserId> = self.directory.usable_users(&listed).await?.into_iter().collect();
        let unknown: Vec<String> = listed.iter().filter(|id| !usable.contains(id)).map(|id| id.to_string()).collect();
        if unknown.is_empty() {
            Ok(Ok(listed))
        } else {
            Ok(Err(format!("unknown or disabled users: {}", unknown.join(", "))))
        }
    }

    async fn load(&self, id: SessionId) -> Result<ChatSession, ChatError> {
        self.repository.find_session(id).await?.ok_or(ChatError::SessionNotFound)
    }

    /// The session, for its members and admins.
    pub async fn session(&self, actor: &Actor, id: SessionId) -> Result<ChatSession, ChatError> {
        let session = self.load(id).await?;
        check_participant(actor, &session)?;
        Ok(session)
    }

    /// Sessions the caller belongs to, newest first; admins see every session. Both may
    /// filter by assignee and by state.
    pub async fn list_sessions(
        &self,
        actor: &Actor,
        assignee: Option<AssigneeFilter>,
        closed: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<ChatSession>, ChatError> {
        let member = (!actor.is_admin()).then_some(actor.id);
        let filter = SessionFilter { member, assignee, closed };
        Ok(self.repository.list_sessions(filter, page).await?)
    }

    /// Renames, closes, reopens or re-lists a session (its creator or an admin), or
    /// reassigns it (admins only). Closing it ends its sockets; removing members ends theirs.
    pub async fn update_session(
        &self,
        actor: &Actor,
        id: SessionId,
        input: SessionUpdateInput,
    ) -> Result<ChatSession, ChatError> {
        let session = self.load(id).await?;
        check_manager(actor, &session)?;
        if input.assignee_id.is_some() && !actor.is_admin() {
            return Err(ChatError::AdminRequired);
        }
        let mut errors = FieldErrors::new();
        let mut changes = SessionChanges {
            name: input.name.as_deref().and_then(|raw| errors.check("name", SessionName::parse(raw))),
            information: input
                .information
                .as_deref()
                .and_then(|raw| errors.check("information", SessionInformation::parse(raw))),
            is_closed: input.is_closed,
            assignee_id: None,
            member_ids: None,
        };
        if let Some(ids) = &input.member_ids
            && let Some(listed) = errors.check("member_ids", self.listed_members(session.creator_id, ids).await?)
        {
            let mut member_ids = vec![session.creator_id];
            member_ids.extend(listed);
            changes.member_ids = Some(member_ids);
        }
        if let Some(assignee) = input.assignee_id {
            match assignee {
                Some(admin) if !self.directory.is_admin(admin).await? => {
                    errors.add("assignee_id", "must be the id of an active administrator");
                }
                _ => changes.assignee_id = Some(assignee),
            }
        }
        errors.into_result()?;
        if changes.is_empty() {
            return Ok(session);
        }
        let closing = changes.is_closed == Some(true) && !session.is_closed;
        let removed: Vec<UserId> = match &changes.member_ids {
            Some(ids) => session.members.iter().map(|m| m.id).filter(|id| !ids.contains(id)).collect(),
            None => Vec::new(),
        };
        let updated =
            self.repository.update_session(id, changes, self.clock.now()).await?.ok_or(ChatError::SessionNotFound)?;
        for user_id in removed {
            self.announce(ChatEvent::MemberRemoved { session_id: id, user_id }).await;
        }
        if closing {
            self.announce(ChatEvent::SessionClosed { session_id: id }).await;
        }
        Ok(updated)
    }

    /// Deletes a session (its creator or an admin); its sockets end and it is 404 from now on.
    pub async fn delete_session(&self, actor: &Actor, id: SessionId) -> Result<(), ChatError> {
        let session = self.load(id).await?;
        check_manager(actor, &session)?;
        if !self.repository.delete_session(id, self.clock.now()).await? {
            return Err(ChatError::SessionNotFound);
        }
        self.announce(ChatEvent::SessionDeleted { session_id: id }).await;
        Ok(())
    }

    /// A page of the session's messages: newest first, or oldest first after a message id
    /// (what a reconnecting socket missed).
    pub async fn messages(
        &self,
        actor: &Actor,
        session_id: SessionId,
        order: MessageOrder,
        page: PageRequest,
    ) -> Result<Page<ChatMessage>, ChatError> {
        let session = self.load(session_id).await?;
        check_participant(actor, &session)?;
        Ok(self.repository.list_messages(session_id, order, page).await?)
    }

    /// Posts a message: it is stored, then delivered live to every socket of the session.
    pub async fn post_message(
        &self,
        actor: &Actor,
        session_id: SessionId,
        content: &str,
    ) -> Result<ChatMessage, ChatError> {
        let session = self.load(session_id).await?;
        check_participant(actor, &session)?;
        if session.is_closed {
            return Err(ChatError::SessionClosed);
        }
        self.store_and_deliver(actor, session_id, content).await
    }

    /// Posts a message from an open socket. Its right to take part was checked when it
    /// opened, and losing that right ends the socket through the bus; whether the session
    /// is still open is checked atomically with the insert.
    pub async fn post_from_socket(
        &self,
        actor: &Actor,
        session_id: SessionId,
        content: &str,
    ) -> Result<ChatMessage, ChatError> {
        self.store_and_deliver(actor, session_id, content).await
    }

    async fn store_and_deliver(
        &self,
        actor: &Actor,
        session_id: SessionId,
        content: &str,
    ) -> Result<ChatMessage, ChatError> {
        let content = MessageContent::parse(content).map_err(|message| FieldErrors::single("content", message))?;
        let new =
            NewMessage { session_id, user_id: actor.id, user_name: actor.name.clone(), content, at: self.clock.now() };
        let message = self.repository.add_message(new).await.map_err(|err| match err {
            AddMessageError::SessionNotFound => ChatError::SessionNotFound,
            AddMessageError::SessionClosed => ChatError::SessionClosed,
            AddMessageError::Infra(err) => ChatError::Infra(err),
        })?;
        self.announce(ChatEvent::Message { message: message.clone() }).await;
        Ok(message)
    }

    async fn load_message(&self, id: MessageId) -> Result<(ChatSession, ChatMessage), ChatError> {
        let message = self.repository.find_message(id).await?.ok_or(ChatError::MessageNotFound)?;
        let session = self.repository.find_session(message.session_id).await?.ok_or(ChatError::MessageNotFound)?;
        Ok((session, message))
    }

    /// Changes a message's content (its author only, while the session is open); the whole
    /// message goes out live as `edited`.
    pub async fn edit_message(&self, actor: &Actor, id: MessageId, content: &str) -> Result<ChatMessage, ChatError> {
        let (session, message) = self.load_message(id).await?;
        check_editor(actor, &session, &message)?;
        if session.is_closed {
            return Err(ChatError::SessionClosed);
        }
        let content = MessageContent::parse(content).map_err(|message| FieldErrors::single("content", message))?;
        let edited =
            self.repository.update_message(id, content, self.clock.now()).await?.ok_or(ChatError::MessageNotFound)?;
        self.announce(ChatEvent::Edited { message: edited.clone() }).await;
        Ok(edited)
    }

    /// Deletes a message (its author or an admin); it goes out live as `deleted`.
    pub async fn delete_message(&self, actor: &Actor, id: MessageId) -> Result<(), ChatError> {
        let (session, message) = self.load_message(id).await?;
        check_deleter(actor, &session, &message)?;
        if !self.repository.delete_message(id, self.clock.now()).await? {
            return Err(ChatError::MessageNotFound);
        }
        self.announce(ChatEvent::Deleted { session_id: session.id, message_id: id }).await;
        Ok(())
    }

    /// Issues a single-use ticket that opens one WebSocket as the caller, on any instance.
    pub async fn issue_ticket(&self, actor: &Actor) -> Result<Ticket, ChatError> {
        let ticket = self.secrets.new_ticket();
        let now = self.clock.now();
        self.tickets.store(&self.secrets.digest(&ticket), actor.id, now + self.config.ticket_ttl, now).await?;
        Ok(Ticket { ticket, expires_in: self.config.ticket_ttl.num_seconds() })
    }

    /// Spends a ticket and answers whose it was. Unknown, expired and spent tickets are
    /// `TicketInvalid` alike.
    pub async fn redeem_ticket(&self, ticket: &str) -> Result<UserId, ChatError> {
        if ticket.is_empty() || ticket.chars().count() > MAX_TICKET_CHARS {
            return Err(ChatError::TicketInvalid);
        }
        let digest = self.secrets.digest(ticket);
        self.tickets.redeem(&digest, self.clock.now()).await?.ok_or(ChatError::TicketInvalid)
    }

    /// Lets a socket open on the session: it exists and is open, and the caller takes part.
    /// The subscription is taken here, before the socket answers any frame.
    pub async fn open_socket(&self, actor: &Actor, session_id: SessionId) -> Result<SocketGrant, ChatError> {
        let session = self.load(session_id).await?;
        check_participant(actor, &session)?;
        if session.is_closed {
            return Err(ChatError::SessionClosed);
        }
        let subscription = self.bus.subscribe(session_id).await?;
        Ok(SocketGrant { session, subscription })
    }

    /// Tells the session's sockets that the caller connected.
    pub async fn socket_joined(&self, actor: &Actor, session_id: SessionId) {
        self.announce(ChatEvent::Joined { session_id, user_id: actor.id, user_name: actor.name.clone() }).await;
    }

    /// Tells the session's sockets that the caller's socket closed.
    pub async fn socket_left(&self, actor: &Actor, session_id: SessionId) {
        self.announce(ChatEvent::Left { session_id, user_id: actor.id, user_name: actor.name.clone() }).await;
    }

    /// Ends every socket of an account that was banned or deactivated, on every instance.
    pub async fn user_disabled(&self, user_id: UserId, reason: DisabledReason) {
        self.announce(ChatEvent::UserDisabled { user_id, reason }).await;
    }

    /// Ends the sockets of those `connected` users whose account was disabled by a process
    /// whose events this instance cannot hear (such as `admin-cli` on the embedded default,
    /// or a ban during a broker outage); run about every second. Returns how many.
    pub async fn end_sockets_of_disabled(&self, connected: &[UserId]) -> Result<usize, ChatError> {
        let mut ended = 0;
        for chunk in connected.chunks(1000) {
            for (user_id, reason) in self.directory.disabled_among(chunk).await? {
                self.announce(ChatEvent::UserDisabled { user_id, reason }).await;
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Removes expired tickets; run periodically.
    pub async fn purge_expired_tickets(&self) -> Result<u64, ChatError> {
        Ok(self.tickets.purge_expired(self.clock.now()).await?)
    }

    /// Publishes an event. What it announces is already stored, so a bus failure does not
    /// undo the use case: it is logged, and clients catch up from the history.
    async fn announce(&self, event: ChatEvent) {
        if let Err(err) = self.bus.publish(event).await {
            tracing::warn!(error = %err, "a chat event could not be published; live sockets miss it");
        }
    }
}

#[cfg(test)]
mod tests;
