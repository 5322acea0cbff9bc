//! A short-lived memory of `GET /posts/{id}`: the post with its author, counters and files,
//! the board it is on, and for each reader seen whether that reader likes it. A burst of
//! reads of one post costs one load, plus one like lookup per new reader; every read still
//! checks the board's rules (membership asked anew) and adds the views not yet flushed.
//!
//! Correctness: the cache is filled and emptied only by the repository decorators of
//! [`crate::post::cached`], so every change written through this instance's ports (edit,
//! delete, like, comment, attachment, board change, view flush) drops the affected entries
//! at once, whichever service made it, and a load that raced with such a change is not kept
//! (see [`ReadTicket`]). Changes made by other instances or processes are seen when an entry
//! expires, within the TTL (at most one second, like the access check of the identity
//! domain). No service knows the cache exists.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Duration;
use kernel::{Timestamp, UserId};

use crate::attachment::model::Attachment;
use crate::board::model::Board;
use crate::post::model::{Post, PostId};

/// Past this many entries, expired ones are swept before inserting.
const SWEEP_ABOVE: usize = 10_000;
/// Readers' likes remembered per post; past this, further readers are asked every time.
const LIKES_PER_POST: usize = 1_000;

/// The part of a post read that is the same for every reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPost {
    /// As stored: `number_of_view` without the views not yet flushed.
    pub post: Post,
    pub attachments: Vec<Attachment>,
    pub board: Board,
}

/// Taken before a load from storage; a load whose ticket is outdated (something was
/// invalidated meanwhile) is answered but not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadTicket {
    generation: u64,
}

#[derive(Debug)]
struct Entry {
    shared: SharedPost,
    /// Whether each reader seen so far likes the post.
    liked: HashMap<UserId, bool>,
    stored: Timestamp,
}

#[derive(Debug, Default)]
struct State {
    /// Raised by every invalidation.
    generation: u64,
    entries: HashMap<PostId, Entry>,
}

#[derive(Debug)]
pub struct PostReadCache {
    ttl: Duration,
    state: Mutex<State>,
}

impl PostReadCache {
    /// A cache keeping entries for `ttl`; a zero TTL keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        PostReadCache { ttl, state: Mutex::new(State::default()) }
    }

    /// A cache that keeps nothing.
    pub fn disabled() -> Self {
        Self::new(Duration::zero())
    }

    fn enabled(&self) -> bool {
        self.ttl > Duration::zero()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update is a single insert, removal or increment: the state stays consistent.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The shared part of post `id`, if loaded within the TTL, with whether `viewer` likes it
    /// when known.
    pub fn get(&self, id: PostId, viewer: UserId, now: Timestamp) -> Option<(SharedPost, Option<bool>)> {
        if !self.enabled() {
            return None;
        }
        let state = self.lock();
        let entry = state.entries.get(&id)?;
        let fresh = now >= entry.stored && now - entry.stored < self.ttl;
        fresh.then(|| (entry.shared.clone(), entry.liked.get(&viewer).copied()))
    }

    /// To be taken before loading a post from storage, then given to [`put`](Self::put).
    pub fn ticket(&self) -> ReadTicket {
        ReadTicket { generation: self.lock().generation }
    }

    /// Keeps a post loaded under `ticket` with its reader's like, unless something was
    /// invalidated since.
    pub fn put(&self, ticket: ReadTicket, shared: SharedPost, viewer: UserId, liked: bool, now: Timestamp) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        if state.generation != ticket.generation {
            return;
        }
        if state.entries.len() >= SWEEP_ABOVE {
            let ttl = self.ttl;
            state.entries.retain(|_, entry| now - entry.stored < ttl);
        }
        let entry = Entry { shared, liked: HashMap::from([(viewer, liked)]), stored: now };
        state.entries.insert(entry.shared.post.id, entry);
    }

    /// Remembers whether `viewer` likes post `id`, looked up under `ticket`, unless something
    /// was invalidated since (a like may have landed in between).
    pub fn put_like(&self, ticket: ReadTicket, id: PostId, viewer: UserId, liked: bool) {
        let mut state = self.lock();
        if state.generation != ticket.generation {
            return;
        }
        if let Some(entry) = state.entries.get_mut(&id)
            && entry.liked.len() < LIKES_PER_POST
        {
            entry.liked.insert(viewer, liked);
        }
    }

    /// Forgets one post (it was changed).
    pub fn forget(&self, id: PostId) {
        let mut state = self.lock();
        state.generation += 1;
        state.entries.remove(&id);
    }

    /// Forgets every post (a board, or something many posts show, was changed).
    pub fn clear(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.entries.clear();
    }
}

impl Default for PostReadCache {
    fn default() -> Self {
        Self::disabled()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::board::model::BoardAccess;
    use crate::post::model::Author;

    fn t(ms: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap() + Duration::milliseconds(ms)
    }

    fn shared(id: PostId, title: &str) -> SharedPost {
        SharedPost {
            post: Post {
                id,
                board_id: 1,
                author: Author { id: 7, name: "alice".into() },
                title: title.into(),
                content: "c".into(),
                create_date: t(0),
                update_date: t(0),
                number_of_view: 0,
                number_of_comment: 0,
                number_of_like: 0,
                is_file_attached: false,
            },
            attachments: Vec::new(),
            board: Board {
                id: 1,
                name: "general".into(),
                information: String::new(),
                is_visible: true,
                is_available: true,
                access: BoardAccess::Public,
                create_date: t(0),
                update_date: t(0),
                delete_date: None,
            },
        }
    }

    #[test]
    fn entries_live_for_the_ttl_only() {
        let cache = PostReadCache::new(Duration::milliseconds(1000));
        let ticket = cache.ticket();
        cache.put(ticket, shared(1, "a"), 7, false, t(0));
        assert_eq!(cache.get(1, 7, t(999)).map(|(s, _)| s.post.title), Some("a".to_owned()));
        assert!(cache.get(1, 7, t(1000)).is_none());
        assert!(cache.get(2, 7, t(1)).is_none());
    }

    #[test]
    fn forgetting_drops_one_post_and_clearing_all() {
        let cache = PostReadCache::new(Duration::seconds(1));
        cache.put(cache.ticket(), shared(1, "a"), 7, false, t(0));
        cache.put(cache.ticket(), shared(2, "b"), 7, false, t(0));
        cache.forget(1);
        assert!(cache.get(1, 7, t(1)).is_none());
        assert!(cache.get(2, 7, t(1)).is_some());
        cache.clear();
        assert!(cache.get(2, 7, t(1)).is_none());
    }

    #[test]
    fn a_load_that_raced_with_a_change_is_not_kept() {
        let cache = PostReadCache::new(Duration::seconds(1));
        let ticket = cache.ticket();
        // An edit lands between the load and its put: the loaded copy may predate it.
        cache.forget(1);
        cache.put(ticket, shared(1, "before the edit"), 7, false, t(0));
        assert!(cache.get(1, 7, t(1)).is_none());
    }

    #[test]
    fn likes_are_kept_per_reader_and_a_racing_like_lookup_is_not_kept() {
        let cache = PostReadCache::new(Duration::seconds(1));
        cache.put(cache.ticket(), shared(1, "a"), 7, true, t(0));
        assert_eq!(cache.get(1, 7, t(1)).map(|(_, liked)| liked), Some(Some(true)));
        assert_eq!(cache.get(1, 8, t(1)).map(|(_, liked)| liked), Some(None), "another reader is unknown");
        cache.put_like(cache.ticket(), 1, 8, false);
        assert_eq!(cache.get(1, 8, t(1)).map(|(_, liked)| liked), Some(Some(false)));
        // Reader 9's lookup started before a like of post 2 dropped it and post 1 was reloaded.
        let ticket = cache.ticket();
        cache.forget(2);
        cache.put_like(ticket, 1, 9, false);
        assert_eq!(cache.get(1, 9, t(1)).map(|(_, liked)| liked), Some(None));
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = PostReadCache::disabled();
        cache.put(cache.ticket(), shared(1, "a"), 7, false, t(0));
        assert!(cache.get(1, 7, t(0)).is_none());
    }
}
