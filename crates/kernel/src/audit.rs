//! The audit trail of administrative actions: who did what to which target, and when.

use async_trait::async_trait;

use crate::{Id, InfraError, Timestamp, UserId};

/// One administrative action, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// The admin who acted; `None` for server-side tools (`admin-cli`).
    pub actor_id: Option<UserId>,
    /// What was done, e.g. `user.ban`, `board.create`, `board.members.replace`.
    pub action: String,
    /// The kind of target, e.g. `user` or `board`.
    pub target_type: String,
    pub target_id: Option<Id>,
    /// Details as a JSON document (e.g. the changed fields).
    pub detail: serde_json::Value,
    pub create_date: Timestamp,
}

/// A recorded entry with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: Id,
    pub entry: AuditEntry,
}

/// Storage of the audit trail.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry. Entries are never changed or deleted.
    async fn record(&self, entry: AuditEntry) -> Result<(), InfraError>;
    /// Entries newest first, after the cursor (`Cursor::by_id`).
    async fn list(&self, page: crate::PageRequest) -> Result<crate::Page<AuditRecord>, InfraError>;
}
