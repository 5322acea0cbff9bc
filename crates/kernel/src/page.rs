//! Keyset pagination shared by every list: a validated page request and a page of items.
//!
//! Cursors are positions, never offsets: a list ordered by creation walks every row exactly
//! once even while rows are added. The HTTP layer makes them opaque and tamper-evident.

use serde::{Deserialize, Serialize};

use crate::{FieldErrors, Id};

/// The smallest, default and largest page sizes every list accepts.
pub const MIN_LIMIT: u32 = 1;
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// The position after which the next page starts: the sort key of the last item seen and
/// its id as the tie-breaker. For lists ordered by id alone, `key` equals `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: i64,
    pub id: Id,
}

impl Cursor {
    pub fn by_id(id: Id) -> Self {
        Cursor { key: id, id }
    }
}

/// A request for one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Validates the limit (1..=100, default 20).
    pub fn new(limit: Option<i64>, after: Option<Cursor>) -> Result<Self, FieldErrors> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(n) if (i64::from(MIN_LIMIT)..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
            Some(_) => {
                return Err(FieldErrors::single("limit", format!("must be between {MIN_LIMIT} and {MAX_LIMIT}")));
            }
        };
        Ok(PageRequest { limit, after })
    }

    /// The first page with the default size.
    pub fn first() -> Self {
        PageRequest { limit: DEFAULT_LIMIT, after: None }
    }

    /// A first page of an explicit size, clamped to the accepted range.
    pub fn with_limit(limit: u32) -> Self {
        PageRequest { limit: limit.clamp(MIN_LIMIT, MAX_LIMIT), after: None }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// How many rows a repository fetches: one more than the limit tells whether a next
    /// page exists without a count query.
    pub fn fetch_limit(&self) -> u64 {
        u64::from(self.limit) + 1
    }
}

/// One page of items and the cursor of the next page, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: the extra row only signals that a
    /// next page exists, and the cursor is taken from the last row kept.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let limit = request.limit() as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&cursor_of)
        } else {
            None
        };
        Page { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }

    pub fn empty() -> Self {
        Page { items: Vec::new(), next: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_twenty_and_rejects_out_of_range() {
        assert_eq!(PageRequest::new(None, None).map(|p| p.limit()), Ok(20));
        assert_eq!(PageRequest::new(Some(100), None).map(|p| p.limit()), Ok(100));
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(101), None).is_err());
        assert!(PageRequest::new(Some(-5), None).is_err());
    }

    #[test]
    fn page_from_rows_keeps_limit_and_points_cursor_at_last_kept_row() {
        let request = PageRequest::new(Some(2), None).unwrap();
        let page = Page::from_rows(vec![10, 9, 8], &request, |id| Cursor::by_id(*id));
        assert_eq!(page.items, vec![10, 9]);
        assert_eq!(page.next, Some(Cursor::by_id(9)));

        let last = Page::from_rows(vec![7], &request, |id| Cursor::by_id(*id));
        assert_eq!(last.items, vec![7]);
        assert_eq!(last.next, None);
    }
}
