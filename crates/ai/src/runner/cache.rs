//! Loaded models kept in memory between jobs, keyed by model and artifact version, so
//! that repeated inferences with a model load its artifact once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::learning::LoadedModel;
use crate::model::{ArtifactVersion, ModelId};

struct Entry {
    version: ArtifactVersion,
    model: Arc<dyn LoadedModel>,
    last_used: u64,
}

struct Entries {
    by_model: HashMap<ModelId, Entry>,
    tick: u64,
}

/// A least-recently-used cache of loaded models. One entry per model: a newer version
/// replaces the older one.
pub struct ModelCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl ModelCache {
    /// A cache of at most `capacity` models; 0 keeps none.
    pub fn new(capacity: usize) -> Self {
        ModelCache { capacity, entries: Mutex::new(Entries { by_model: HashMap::new(), tick: 0 }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave an entry half-written.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The model loaded from exactly this version of its artifact.
    pub fn get(&self, id: ModelId, version: ArtifactVersion) -> Option<Arc<dyn LoadedModel>> {
        let mut entries = self.lock();
        entries.tick += 1;
        let tick = entries.tick;
        let entry = entries.by_model.get_mut(&id).filter(|entry| entry.version == version)?;
        entry.last_used = tick;
        Some(entry.model.clone())
    }

    /// Keeps `model`, evicting the least recently used model when full. An entry of a
    /// newer version is never replaced by an older one.
    pub fn insert(&self, id: ModelId, version: ArtifactVersion, model: Arc<dyn LoadedModel>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        entries.tick += 1;
        let last_used = entries.tick;
        if entries.by_model.get(&id).is_some_and(|entry| entry.version > version) {
            return;
        }
        entries.by_model.insert(id, Entry { version, model, last_used });
        while entries.by_model.len() > self.capacity {
            let Some(oldest) = entries.by_model.iter().min_by_key(|(_, entry)| entry.last_used).map(|(id, _)| *id)
            else {
                break;
            };
            entries.by_model.remove(&oldest);
        }
    }

    pub fn len(&self) -> usize {
        self.lock().by_model.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::learning::MockLoadedModel;

    fn version(seconds: i64) -> ArtifactVersion {
        ArtifactVersion(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds))
    }

    fn model() -> Arc<dyn LoadedModel> {
        Arc::new(MockLoadedModel::new())
    }

    #[test]
    fn hits_only_the_same_version() {
        let cache = ModelCache::new(4);
        let loaded = model();
        cache.insert(1, version(1), loaded.clone());
        assert!(Arc::ptr_eq(&cache.get(1, version(1)).unwrap(), &loaded));
        assert!(cache.get(1, version(2)).is_none());
        assert!(cache.get(2, version(1)).is_none());
    }

    #[test]
    fn a_newer_version_replaces_the_older_and_never_the_reverse() {
        let cache = ModelCache::new(4);
        cache.insert(1, version(1), model());
        cache.insert(1, version(2), model());
        assert_eq!(cache.len(), 1);
        assert!(cache.get(1, version(1)).is_none());
        cache.insert(1, version(1), model());
        assert!(cache.get(1, version(2)).is_some());
    }

    #[test]
    fn evicts_the_least_recently_used_model() {
        let cache = ModelCache::new(2);
        cache.insert(1, version(1), model());
        cache.insert(2, version(1), model());
        cache.get(1, version(1));
        cache.insert(3, version(1), model());
        assert_eq!(cache.len(), 2);
        assert!(cache.get(2, version(1)).is_none(), "2 was used least recently");
        assert!(cache.get(1, version(1)).is_some());
        assert!(cache.get(3, version(1)).is_some());
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let cache = ModelCache::new(0);
        cache.insert(1, version(1), model());
        assert!(cache.is_empty());
    }
}
