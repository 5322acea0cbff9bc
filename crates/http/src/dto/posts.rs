//! Bodies of the post, comment and attachment routes.

use board::comment::model::CommentContent;
use board::post::model::{PostContent, Title};
use board::{Attachment, Author, Comment, Post, PostDetail, PostFilter};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::extract::validation::limit;

use crate::extract::page::{MAX_LIMIT, MIN_LIMIT};

/// Who wrote a post or comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorDto {
    pub id: i64,
    pub name: String,
}

impl From<Author> for AuthorDto {
    fn from(author: Author) -> Self {
        AuthorDto { id: author.id, name: author.name }
    }
}

/// A post in a board's list (without its content).
#[derive(Debug, Serialize, ToSchema)]
pub struct PostSummaryDto {
    pub id: i64,
    pub board_id: i64,
    pub title: String,
    pub author: AuthorDto,
    /// Views, including those not yet written to the database.
    pub number_of_view: i64,
    pub number_of_comment: i64,
    pub number_of_like: i64,
    pub is_file_attached: bool,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
}

impl From<Post> for PostSummaryDto {
    fn from(post: Post) -> Self {
        PostSummaryDto {
            id: post.id,
            board_id: post.board_id,
            title: post.title,
            author: post.author.into(),
            number_of_view: post.number_of_view,
            number_of_comment: post.number_of_comment,
            number_of_like: post.number_of_like,
            is_file_attached: post.is_file_attached,
            create_date: post.create_date,
            update_date: post.update_date,
        }
    }
}

/// A whole post, as one reader sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostDto {
    pub id: i64,
    pub board_id: i64,
    pub title: String,
    pub content: String,
    pub author: AuthorDto,
    /// Views, including this one (on `GET`) and those not yet written to the database.
    pub number_of_view: i64,
    pub number_of_comment: i64,
    pub number_of_like: i64,
    pub is_file_attached: bool,
    /// Whether the caller likes this post.
    pub liked_by_me: bool,
    /// The files of the post itself, oldest first.
    pub attachments: Vec<AttachmentDto>,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
}

impl From<PostDetail> for PostDto {
    fn from(detail: PostDetail) -> Self {
        let post = detail.post;
        PostDto {
            id: post.id,
            board_id: post.board_id,
            title: post.title,
            content: post.content,
            author: post.author.into(),
            number_of_view: post.number_of_view,
            number_of_comment: post.number_of_comment,
            number_of_like: post.number_of_like,
            is_file_attached: post.is_file_attached,
            liked_by_me: detail.liked_by_me,
            attachments: detail.attachments.into_iter().map(AttachmentDto::from).collect(),
            create_date: post.create_date,
            update_date: post.update_date,
        }
    }
}

/// A comment with its files.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentDto {
    pub id: i64,
    pub post_id: i64,
    pub author: AuthorDto,
    pub content: String,
    pub is_file_attached: bool,
    pub attachments: Vec<AttachmentDto>,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
}

impl From<Comment> for CommentDto {
    fn from(comment: Comment) -> Self {
        CommentDto {
            id: comment.id,
            post_id: comment.post_id,
            author: comment.author.into(),
            content: comment.content,
            is_file_attached: comment.is_file_attached,
            attachments: comment.attachments.into_iter().map(AttachmentDto::from).collect(),
            create_date: comment.create_date,
            update_date: comment.update_date,
        }
    }
}

/// A file's metadata; its bytes are at `url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: i64,
    /// The client's file name without any path.
    #[schema(example = "photo.png")]
    pub original_name: String,
    #[schema(example = "image/png")]
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Where to download it (with a bearer token).
    #[schema(example = "/api/v1/attachments/1")]
    pub url: String,
    pub post_id: i64,
    /// Set when the file belongs to a comment.
    pub comment_id: Option<i64>,
    /// The uploader.
    pub user_id: i64,
    pub create_date: DateTime<Utc>,
}

impl From<Attachment> for AttachmentDto {
    fn from(attachment: Attachment) -> Self {
        AttachmentDto {
            url: format!("/api/v1/attachments/{}", attachment.id),
            id: attachment.id,
            original_name: attachment.original_name,
            content_type: attachment.content_type,
            size: attachment.size,
            post_id: attachment.post_id,
            comment_id: attachment.comment_id,
            user_id: attachment.user_id,
            create_date: attachment.create_date,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct NewPostRequest {
    /// 1..64 characters, not blank.
    #[schema(example = "Hello board", min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = limit(Title::MAX_CHARS)))]
    pub title: String,
    /// 1..1024 characters, not blank.
    #[schema(example = "First post!", min_length = 1, max_length = 1024)]
    #[validate(length(min = 1, max = limit(PostContent::MAX_CHARS)))]
    pub content: String,
}

/// Give at least one field.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct PostPatchRequest {
    /// 1..64 characters, not blank.
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = limit(Title::MAX_CHARS)))]
    pub title: Option<String>,
    /// 1..1024 characters, not blank.
    #[schema(min_length = 1, max_length = 1024)]
    #[validate(length(min = 1, max = limit(PostContent::MAX_CHARS)))]
    pub content: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct CommentRequest {
    /// 1..256 characters, not blank.
    #[schema(example = "Nice post", min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = limit(CommentContent::MAX_CHARS)))]
    pub content: String,
}

/// `?limit=&cursor=&sort=&q=` of a board's post list.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PostListQuery {
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = MIN_LIMIT, max = MAX_LIMIT))]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (of the same sort and `q`).
    pub cursor: Option<String>,
    /// `new` (newest first, the default), `top` (most likes) or `views` (most views); ties
    /// newest first.
    #[param(value_type = Option<PostSortParam>, inline, example = "new")]
    pub sort: Option<String>,
    /// Case-insensitive substring of the title or the content (at most 256 characters).
    #[param(max_length = 256)]
    #[validate(length(max = limit(PostFilter::MAX_QUERY_CHARS)))]
    pub q: Option<String>,
}

/// The orders of a board's post list (documentation of `?sort=`; the handler reads a string
/// so that an unknown value is a 422 naming `sort`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PostSortParam {
    New,
    Top,
    Views,
}

/// A multipart upload: one or more parts named `file`, each a file upload (with a
/// `filename` in its `Content-Disposition`). No other part is accepted.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The files; each part's file name and content type are kept as metadata.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}
