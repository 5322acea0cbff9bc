//! Posts and the value types that make invalid post input unrepresentable.

use kernel::{Cursor, FieldErrors, Id, Timestamp, UserId};

use crate::attachment::model::Attachment;
use crate::board::model::BoardId;
use kernel::text::content as bounded_text;

pub type PostId = Id;

/// Who wrote a post or comment, as every read shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub id: UserId,
    pub name: String,
}

/// A visible post with its author and counters. `number_of_view` is the stored count;
/// services add the views not yet flushed before answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub board_id: BoardId,
    pub author: Author,
    pub title: String,
    pub content: String,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    pub number_of_view: i64,
    pub number_of_comment: i64,
    pub number_of_like: i64,
    pub is_file_attached: bool,
}

/// A post as `GET /posts/{id}` shows it to one reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostDetail {
    pub post: Post,
    pub liked_by_me: bool,
    /// The files of the post itself (not those of its comments), oldest first.
    pub attachments: Vec<Attachment>,
}

/// 1..64 characters on one line, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::line(raw, 1, Self::MAX_CHARS).map(Title)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 1..1024 characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostContent(String);

impl PostContent {
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded_text(raw, 1, Self::MAX_CHARS).map(PostContent)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub board_id: BoardId,
    pub author: Author,
    pub title: Title,
    pub content: PostContent,
    pub at: Timestamp,
}

/// A validated edit: at least one field is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostChanges {
    pub title: Option<Title>,
    pub content: Option<PostContent>,
}

impl PostChanges {
    /// Validates every given field at once; an edit that changes nothing is refused.
    pub fn parse(title: Option<&str>, content: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        if title.is_none() && content.is_none() {
            errors.add("body", "give at least one of title, content");
        }
        let title = title.and_then(|t| errors.check("title", Title::parse(t)));
        let content = content.and_then(|c| errors.check("content", PostContent::parse(c)));
        errors.into_result()?;
        Ok(PostChanges { title, content })
    }
}

/// The order of a board's post list. Ties are broken by id, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostSort {
    /// Newest first.
    #[default]
    New,
    /// Most likes first.
    Top,
    /// Most (stored) views first.
    Views,
}

impl PostSort {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "new" => Ok(PostSort::New),
            "top" => Ok(PostSort::Top),
            "views" => Ok(PostSort::Views),
            _ => Err("must be one of new, top, views".to_owned()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PostSort::New => "new",
            PostSort::Top => "top",
            PostSort::Views => "views",
        }
    }

    /// The keyset position of `post` in this order: its sort key and its id.
    pub fn cursor_of(self, post: &Post) -> Cursor {
        let key = match self {
            PostSort::New => post.id,
            PostSort::Top => post.number_of_like,
            PostSort::Views => post.number_of_view,
        };
        Cursor { key, id: post.id }
    }
}

/// Which posts of a board a list shows, and in what order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostFilter {
    pub sort: PostSort,
    /// Case-insensitive substring of the title or the content.
    pub q: Option<String>,
}

impl PostFilter {
    pub const MAX_QUERY_CHARS: usize = 256;

    /// Validates `?sort=` (default `new`) and `?q=` (empty means no filter).
    pub fn parse(sort: Option<&str>, q: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let sort = match sort.filter(|s| !s.is_empty()) {
            None => Some(PostSort::New),
            Some(raw) => errors.check("sort", PostSort::parse(raw)),
        };
        let q = q.filter(|q| !q.is_empty()).map(str::to_owned);
        if q.as_ref().is_some_and(|q| q.chars().count() > Self::MAX_QUERY_CHARS) {
            errors.add("q", format!("must be at most {} characters long", Self::MAX_QUERY_CHARS));
        }
        if q.as_deref().is_some_and(kernel::text::has_forbidden_control) {
            errors.add("q", kernel::text::CONTROL_CHARACTERS);
        }
        errors.into_result()?;
        Ok(PostFilter { sort: sort.unwrap_or_default(), q })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_to_sixty_four_characters() {
        assert!(Title::parse("a").is_ok());
        assert!(Title::parse(&"ü".repeat(64)).is_ok());
        assert!(Title::parse(&"ü".repeat(65)).is_err());
        assert!(Title::parse("").is_err());
        assert!(Title::parse("   ").is_err());
    }

    #[test]
    fn contents_are_one_to_1024_characters() {
        assert!(PostContent::parse(&"字".repeat(1024)).is_ok());
        assert!(PostContent::parse(&"字".repeat(1025)).is_err());
    }

    #[test]
    fn changes_report_every_bad_field_and_refuse_empty_edits() {
        let err = PostChanges::parse(Some(""), Some(" ")).unwrap_err();
        assert!(err.fields().contains_key("title") && err.fields().contains_key("content"));
        assert!(PostChanges::parse(None, None).is_err());
        let changes = PostChanges::parse(None, Some("new text")).unwrap();
        assert_eq!(changes.title, None);
        assert_eq!(changes.content.unwrap().as_str(), "new text");
    }

    #[test]
    fn filters_default_to_newest_and_refuse_unknown_sorts() {
        assert_eq!(PostFilter::parse(None, Some("")).unwrap(), PostFilter { sort: PostSort::New, q: None });
        assert_eq!(PostFilter::parse(Some("views"), None).unwrap().sort, PostSort::Views);
        let err = PostFilter::parse(Some("hot"), None).unwrap_err();
        assert!(err.fields().contains_key("sort"));
        assert!(PostFilter::parse(None, Some(&"q".repeat(257))).is_err());
        assert!(
            PostFilter::parse(None, Some("nul\0")).is_err(),
            "no stored text holds NUL; PostgreSQL cannot even compare it"
        );
    }
}
