//! A short-lived memory of per-request access checks, so that a burst of requests with one
//! token costs one database read instead of one per request.
//!
//! Correctness: every revocation made through this instance's service (logout, password
//! change or reset, ban, deactivation, profile change) drops the affected entries at once;
//! changes made by other instances are seen when an entry expires, within the TTL (DESIGN.md
//! allows at most one second).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Duration;
use kernel::{Timestamp, UserId};

use crate::ports::AccessState;

/// Past this many entries, expired ones are swept before inserting.
const SWEEP_ABOVE: usize = 50_000;

/// Checks by (user, session, token id), with the time they were read.
type Entries = HashMap<(UserId, i64, String), (AccessState, Timestamp)>;

#[derive(Debug)]
pub struct AccessCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

impl AccessCache {
    /// A cache keeping entries for `ttl`; a zero TTL keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        AccessCache { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, user_id: UserId, family_id: i64, jti: &str, now: Timestamp) -> Option<AccessState> {
        if self.ttl <= Duration::zero() {
            return None;
        }
        let entries = self.lock();
        let (state, stored) = entries.get(&(user_id, family_id, jti.to_owned()))?;
        (now - *stored < self.ttl && now >= *stored).then(|| state.clone())
    }

    pub fn put(&self, family_id: i64, jti: &str, state: AccessState, now: Timestamp) {
        if self.ttl <= Duration::zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= SWEEP_ABOVE {
            let ttl = self.ttl;
            entries.retain(|_, (_, stored)| now - *stored < ttl);
        }
        entries.insert((state.user.id, family_id, jti.to_owned()), (state, now));
    }

    /// Forgets everything about one user.
    pub fn forget_user(&self, user_id: UserId) {
        self.lock().retain(|(user, _, _), _| *user != user_id);
    }

    /// Forgets everything about one session.
    pub fn forget_family(&self, family_id: i64) {
        self.lock().retain(|(_, family, _), _| *family != family_id);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::user::{PasswordHash, User};

    fn state(user_id: UserId) -> AccessState {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        AccessState {
            user: User {
                id: user_id,
                name: format!("u{user_id}"),
                email: format!("u{user_id}@example.com"),
                password_hash: PasswordHash::new("h".into()),
                join_date: t,
                update_date: t,
                is_superuser: false,
                is_banned: false,
                is_active: true,
            },
            session_active: true,
            blacklisted: false,
        }
    }

    fn t(ms: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap() + Duration::milliseconds(ms)
    }

    #[test]
    fn entries_live_for_the_ttl_only() {
        let cache = AccessCache::new(Duration::milliseconds(500));
        cache.put(5, "j", state(1), t(0));
        assert!(cache.get(1, 5, "j", t(499)).is_some());
        assert!(cache.get(1, 5, "j", t(500)).is_none());
        assert!(cache.get(1, 5, "other", t(1)).is_none());
    }

    #[test]
    fn forgetting_drops_a_user_or_a_session() {
        let cache = AccessCache::new(Duration::seconds(1));
        cache.put(5, "a", state(1), t(0));
        cache.put(6, "b", state(1), t(0));
        cache.put(7, "c", state(2), t(0));
        cache.forget_family(5);
        assert!(cache.get(1, 5, "a", t(1)).is_none());
        assert!(cache.get(1, 6, "b", t(1)).is_some());
        cache.forget_user(1);
        assert!(cache.get(1, 6, "b", t(1)).is_none());
        assert!(cache.get(2, 7, "c", t(1)).is_some());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = AccessCache::new(Duration::zero());
        cache.put(5, "a", state(1), t(0));
        assert!(cache.get(1, 5, "a", t(0)).is_none());
    }
}
