//! Chat sessions with their members (`chat_session`, `chat_session_member`) and their
//! messages (`chat_message`). Deletion is soft (`is_visible = false`) for both.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chat::ports::{AddMessageError, ChatRepository};
use chat::{
    AssigneeFilter, ChatMessage, ChatSession, Member, MessageContent, MessageId, MessageOrder, NewMessage, NewSession,
    SessionChanges, SessionFilter, SessionId,
};
use kernel::{Cursor, InfraError, Page, PageRequest, Timestamp, UserId};
use sea_orm::sea_query::{Expr, JoinType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select, Set, TransactionTrait,
};

use crate::entity::{chat_message, chat_session, chat_session_member as member, users};
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlChatRepository {
    db: DatabaseConnection,
    /// On SQLite, posts queue here instead of in SQLite's busy handler, which sleeps
    /// (1, 2, 5 … 100 ms) between retries and so turns contention into latency spikes.
    post_gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl SqlChatRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        let post_gate = (db.get_database_backend() == DbBackend::Sqlite).then(Arc::default);
        SqlChatRepository { db, post_gate }
    }
}

/// A member row with the user's name.
#[derive(Debug, FromQueryResult)]
struct MemberRow {
    chat_session_id: i64,
    user_id: i64,
    name: String,
}

/// A message row with its author's name.
#[derive(Debug, FromQueryResult)]
struct MessageRow {
    id: i64,
    chat_session_id: i64,
    user_id: i64,
    user_name: String,
    content: String,
    create_date: Timestamp,
    update_date: Timestamp,
}

impl From<MessageRow> for ChatMessage {
    fn from(row: MessageRow) -> Self {
        ChatMessage {
            id: row.id,
            session_id: row.chat_session_id,
            user_id: row.user_id,
            user_name: row.user_name,
            content: row.content,
            create_date: row.create_date,
            update_date: row.update_date,
        }
    }
}

fn to_domain(model: chat_session::Model, members: Vec<Member>) -> ChatSession {
    ChatSession {
        id: model.id,
        name: model.name,
        information: model.information,
        creator_id: model.creator_id,
        assignee_id: model.assignee_id,
        is_closed: model.is_closed,
        members,
        create_date: model.create_date,
        update_date: model.update_date,
    }
}

/// The members of the given sessions, by session, in user id order: one query.
async fn members_of<C: ConnectionTrait>(
    db: &C,
    session_ids: &[SessionId],
) -> Result<HashMap<SessionId, Vec<Member>>, InfraError> {
    let mut by_session: HashMap<SessionId, Vec<Member>> = HashMap::new();
    if session_ids.is_empty() {
        return Ok(by_session);
    }
    let rows = member::Entity::find()
        .select_only()
        .column(member::Column::ChatSessionId)
        .column(member::Column::UserId)
        .column_as(users::Column::Name, "name")
        .join(JoinType::InnerJoin, member::Relation::User.def())
        .filter(member::Column::ChatSessionId.is_in(session_ids.iter().copied()))
        .order_by_asc(member::Column::ChatSessionId)
        .order_by_asc(member::Column::UserId)
        .into_model::<MemberRow>()
        .all(db)
        .await
        .map_err(db_err)?;
    for row in rows {
        by_session.entry(row.chat_session_id).or_default().push(Member { id: row.user_id, name: row.name });
    }
    Ok(by_session)
}

/// Messages that are visible, in visible sessions, with their authors' names.
fn visible_messages() -> Select<chat_message::Entity> {
    chat_message::Entity::find()
        .select_only()
        .column(chat_message::Column::Id)
        .column(chat_message::Column::ChatSessionId)
        .column(chat_message::Column::UserId)
        .column_as(users::Column::Name, "user_name")
        .column(chat_message::Column::Content)
        .column(chat_message::Column::CreateDate)
        .column(chat_message::Column::UpdateDate)
        .join(JoinType::InnerJoin, chat_message::Relation::User.def())
        .join(JoinType::InnerJoin, chat_message::Relation::ChatSession.def())
        .filter(chat_message::Column::IsVisible.eq(true))
        .filter(chat_session::Column::IsVisible.eq(true))
}

async fn insert_members<C: ConnectionTrait>(
    db: &C,
    session_id: SessionId,
    user_ids: impl IntoIterator<Item = UserId>,
    at: Timestamp,
) -> Result<(), InfraError> {
    let rows: Vec<member::ActiveModel> = user_ids
        .into_iter()
        .map(|user_id| member::ActiveModel {
            chat_session_id: Set(session_id),
            user_id: Set(user_id),
            create_date: Set(at),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    member::Entity::insert_many(rows).exec_without_returning(db).await.map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl ChatRepository for SqlChatRepository {
    async fn create_session(&self, session: NewSession) -> Result<ChatSession, InfraError> {
        let txn = self.db.begin().await.map_err(db_err)?;
        let model = chat_session::ActiveModel {
            name: Set(session.name.as_str().to_owned()),
            information: Set(session.information.as_str().to_owned()),
            creator_id: Set(session.creator_id),
            assignee_id: Set(session.assignee_id),
            is_closed: Set(false),
            is_visible: Set(true),
            create_date: Set(session.at),
            update_date: Set(session.at),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let distinct: BTreeSet<UserId> = session.member_ids.iter().copied().collect();
        insert_members(&txn, model.id, distinct, session.at).await?;
        let members = members_of(&txn, &[model.id]).await?.remove(&model.id).unwrap_or_default();
        txn.commit().await.map_err(db_err)?;
        Ok(to_domain(model, members))
    }

    async fn find_session(&self, id: SessionId) -> Result<Option<ChatSession>, InfraError> {
        let Some(model) = chat_session::Entity::find_by_id(id)
            .filter(chat_session::Column::IsVisible.eq(true))
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let members = members_of(&self.db, &[id]).await?.remove(&id).unwrap_or_default();
        Ok(Some(to_domain(model, members)))
    }

    async fn list_sessions(&self, filter: SessionFilter, page: PageRequest) -> Result<Page<ChatSession>, InfraError> {
        let mut query = chat_session::Entity::find()
            .filter(chat_session::Column::IsVisible.eq(true))
            .order_by_desc(chat_session::Column::Id)
            .limit(page.fetch_limit());
        if let Some(user_id) = filter.member {
            query = query
                .join(JoinType::InnerJoin, chat_session::Relation::ChatSessionMember.def())
                .filter(member::Column::UserId.eq(user_id));
        }
        match filter.assignee {
            Some(AssigneeFilter::User(id)) => query = query.filter(chat_session::Column::AssigneeId.eq(id)),
            Some(AssigneeFilter::Unassigned) => query = query.filter(chat_session::Column::AssigneeId.is_null()),
            None => {}
        }
        if let Some(closed) = filter.closed {
            query = query.filter(chat_session::Column::IsClosed.eq(closed));
        }
        if let Some(after) = page.after {
            query = query.filter(chat_session::Column::Id.lt(after.id));
        }
        let models = query.all(&self.db).await.map_err(db_err)?;
        let page = Page::from_rows(models, &page, |m| Cursor::by_id(m.id));
        let ids: Vec<SessionId> = page.items.iter().map(|m| m.id).collect();
        let mut members = members_of(&self.db, &ids).await?;
        Ok(page.map(|model| {
            let list = members.remove(&model.id).unwrap_or_default();
            to_domain(model, list)
        }))
    }

    async fn update_session(
        &self,
        id: SessionId,
        changes: SessionChanges,
        at: Timestamp,
    ) -> Result<Option<ChatSession>, InfraError> {
        let mut model = chat_session::ActiveModel { update_date: Set(at), ..Default::default() };
        if let Some(name) = &changes.name {
            model.name = Set(name.as_str().to_owned());
        }
        if let Some(information) = &changes.information {
            model.information = Set(information.as_str().to_owned());
        }
        if let Some(is_closed) = changes.is_closed {
            model.is_closed = Set(is_closed);
        }
        if let Some(assignee_id) = changes.assignee_id {
            model.assignee_id = Set(assignee_id);
        }
        let txn = self.db.begin().await.map_err(db_err)?;
        // The write comes first so that SQLite takes its lock at once.
        let updated = chat_session::Entity::update_many()
            .set(model)
            .filter(chat_session::Column::Id.eq(id))
            .filter(chat_session::Column::IsVisible.eq(true))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        if let Some(wanted) = changes.member_ids {
            let wanted: BTreeSet<UserId> = wanted.into_iter().collect();
            let current: BTreeSet<UserId> = member::Entity::find()
                .select_only()
                .column(member::Column::UserId)
                .filter(member::Column::ChatSessionId.eq(id))
                .into_tuple::<i64>()
                .all(&txn)
                .await
                .map_err(db_err)?
                .into_iter()
                .collect();
            let gone: Vec<UserId> = current.difference(&wanted).copied().collect();
            if !gone.is_empty() {
                member::Entity::delete_many()
                    .filter(member::Column::ChatSessionId.eq(id))
                    .filter(member::Column::UserId.is_in(gone))
                    .exec(&txn)
                    .await
                    .map_err(db_err)?;
            }
            insert_members(&txn, id, wanted.difference(&current).copied(), at).await?;
        }
        txn.commit().await.map_err(db_err)?;
        self.find_session(id).await
    }

    async fn delete_session(&self, id: SessionId, at: Timestamp) -> Result<bool, InfraError> {
        let result = chat_session::Entity::update_many()
            .set(chat_session::ActiveModel { is_visible: Set(false), update_date: Set(at), ..Default::default() })
            .filter(chat_session::Column::Id.eq(id))
            .filter(chat_session::Column::IsVisible.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn add_message(&self, message: NewMessage) -> Result<ChatMessage, AddMessageError> {
        let _turn = match &self.post_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        };
        let txn = self.db.begin().await.map_err(db_err)?;
        // Touching the session row both records the activity and locks the row, so that a
        // concurrent close waits for this message or this message sees the close.
        let touched = chat_session::Entity::update_many()
            .col_expr(chat_session::Column::UpdateDate, Expr::value(message.at))
            .filter(chat_session::Column::Id.eq(message.session_id))
            .filter(chat_session::Column::IsVisible.eq(true))
            .filter(chat_session::Column::IsClosed.eq(false))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if touched.rows_affected == 0 {
            let session = chat_session::Entity::find_by_id(message.session_id).one(&txn).await.map_err(db_err)?;
            return Err(match session {
                Some(session) if session.is_visible => AddMessageError::SessionClosed,
                _ => AddMessageError::SessionNotFound,
            });
        }
        let model = chat_message::ActiveModel {
            chat_session_id: Set(message.session_id),
            user_id: Set(message.user_id),
            content: Set(message.content.as_str().to_owned()),
            create_date: Set(message.at),
            update_date: Set(message.at),
            is_visible: Set(true),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(ChatMessage {
            id: model.id,
            session_id: model.chat_session_id,
            user_id: model.user_id,
            user_name: message.user_name,
            content: model.content,
            create_date: model.create_date,
            update_date: model.update_date,
        })
    }

    async fn find_message(&self, id: MessageId) -> Result<Option<ChatMessage>, InfraError> {
        let row = visible_messages()
            .filter(chat_message::Column::Id.eq(id))
            .into_model::<MessageRow>()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(row.map(ChatMessage::from))
    }

    async fn update_message(
        &self,
        id: MessageId,
        content: MessageContent,
        at: Timestamp,
    ) -> Result<Option<ChatMessage>, InfraError> {
        let result = chat_message::Entity::update_many()
            .set(chat_message::ActiveModel {
                content: Set(content.as_str().to_owned()),
                update_date: Set(at),
                ..Default::default()
            })
            .filter(chat_message::Column::Id.eq(id))
            .filter(chat_message::Column::IsVisible.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        self.find_message(id).await
    }

    async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<bool, InfraError> {
        let result = chat_message::Entity::update_many()
            .set(chat_message::ActiveModel { is_visible: Set(false), update_date: Set(at), ..Default::default() })
            .filter(chat_message::Column::Id.eq(id))
            .filter(chat_message::Column::IsVisible.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn list_messages(
        &self,
        session_id: SessionId,
        order: MessageOrder,
        page: PageRequest,
    ) -> Result<Page<ChatMessage>, InfraError> {
        let mut query =
            visible_messages().filter(chat_message::Column::ChatSessionId.eq(session_id)).limit(page.fetch_limit());
        let after = page.after.map(|c| c.id);
        query = match order {
            MessageOrder::NewestFirst => {
                let query = query.order_by_desc(chat_message::Column::Id);
                match after {
                    Some(id) => query.filter(chat_message::Column::Id.lt(id)),
                    None => query,
                }
            }
            MessageOrder::OldestAfter(since) => query
                .order_by_asc(chat_message::Column::Id)
                .filter(chat_message::Column::Id.gt(after.map_or(since, |id| id.max(since)))),
        };
        let rows = query.into_model::<MessageRow>().all(&self.db).await.map_err(db_err)?;
        let messages: Vec<ChatMessage> = rows.into_iter().map(ChatMessage::from).collect();
        Ok(Page::from_rows(messages, &page, |m| Cursor::by_id(m.id)))
    }
}
