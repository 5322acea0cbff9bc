//! Row shapes of the board's joined reads, and their conversion to domain values.

use board::attachment::model::Attachment;
use board::{Author, Comment, Post};
use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;

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
