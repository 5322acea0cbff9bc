//! Row shapes of the board's joined reads, and their conversion to domain values.

use board::attachment::model::Attachment;
use board::{Author, Comment, Post};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Value, Values};
use sea_orm::{DbBackend, FromQueryResult, Statement};

use crate::entity::attachment;

/// A post with its author's name, as one joined row.
#[derive(Debug, FromQueryResult)]
pub(crate) struct PostRow {
    pub id: i64,
    pub board_id: i64,
    pub user_id: i64,
    pub title: String,
    pub content: String,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    pub number_of_view: i64,
    pub number_of_comment: i64,
    pub number_of_like: i64,
    pub is_file_attached: bool,
    pub author_name: String,
}

impl From<PostRow> for Post {
    fn from(row: PostRow) -> Self {
        Post {
            id: row.id,
            board_id: row.board_id,
            author: Author { id: row.user_id, name: row.author_name },
            title: row.title,
            content: row.content,
            create_date: row.create_date,
            update_date: row.update_date,
            number_of_view: row.number_of_view,
            number_of_comment: row.number_of_comment,
            number_of_like: row.number_of_like,
            is_file_attached: row.is_file_attached,
        }
    }
}

/// A comment with its author's name and its post's board, as one joined row.
#[derive(Debug, FromQueryResult)]
pub(crate) struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    pub user_id: i64,
    pub content: String,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    pub is_file_attached: bool,
    pub author_name: String,
    pub board_id: i64,
}

impl CommentRow {
    pub fn into_comment(self, attachments: Vec<Attachment>) -> Comment {
        Comment {
            id: self.id,
            post_id: self.post_id,
            author: Author { id: self.user_id, name: self.author_name },
            content: self.content,
            create_date: self.create_date,
            update_date: self.update_date,
            is_file_attached: self.is_file_attached,
            attachments,
        }
    }
}

pub(crate) fn attachment_to_domain(model: attachment::Model) -> Attachment {
    Attachment {
        id: model.id,
        post_id: model.post_id,
        comment_id: model.comment_id,
        user_id: model.user_id,
        original_name: model.original_name,
        content_type: model.content_type,
        size: model.size,
        create_date: model.create_date,
    }
}

/// The statement with its final `LIMIT ?` written as a literal, on SQLite. SQLite re-prepares
/// a statement whose LIMIT is a bound parameter on every execution (the plan depends on the
/// value); with a literal, each page size keeps one prepared statement in the cache. Any
/// statement not ending in a bound LIMIT of exactly `limit` is returned unchanged.
pub(crate) fn literal_limit(stmt: Statement, limit: u64) -> Statement {
    if stmt.db_backend != DbBackend::Sqlite {
        return stmt;
    }
    let Some(head) = stmt.sql.strip_suffix(" LIMIT ?") else {
        return stmt;
    };
    let Some(values) = &stmt.values else {
        return stmt;
    };
    let bound_limit = match values.0.last() {
        Some(Value::BigUnsigned(Some(n))) => Some(*n),
        Some(Value::BigInt(Some(n))) => u64::try_from(*n).ok(),
        _ => None,
    };
    if bound_limit != Some(limit) {
        return stmt;
    }
    let mut rest = values.0.clone();
    rest.pop();
    Statement { sql: format!("{head} LIMIT {limit}"), values: Some(Values(rest)), db_backend: stmt.db_backend }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

    use super::*;
    use crate::entity::post;

    #[test]
    fn a_bound_limit_becomes_a_literal_on_sqlite_only() {
        let query = post::Entity::find().filter(post::Column::BoardId.eq(3)).limit(21);
        let stmt = literal_limit(query.clone().build(DbBackend::Sqlite), 21);
        assert!(stmt.sql.ends_with(" LIMIT 21"), "{}", stmt.sql);
        assert_eq!(stmt.values.unwrap().0.len(), 1, "only the board id stays bound");

        let other = literal_limit(query.clone().build(DbBackend::Postgres), 21);
        assert!(other.sql.ends_with("LIMIT $2"), "{}", other.sql);
        let mismatch = literal_limit(query.build(DbBackend::Sqlite), 5);
        assert!(mismatch.sql.ends_with("LIMIT ?"), "a different limit leaves it alone");
    }
}
