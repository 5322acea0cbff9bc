//! The shared vocabulary of every Agora domain: ids, the acting user, pagination, time,
//! validation errors and the infrastructure failure that adapters report.
//!
//! It sits below the four domain crates so that they agree on these few types without
//! depending on each other or on any framework.

pub mod actor;
pub mod audit;
pub mod clock;
pub mod error;
pub mod page;
#[cfg(any(test, feature = "mocks"))]
pub mod test_support;
pub mod text;
pub mod validation;

pub use actor::{Actor, Role};
pub use audit::{AuditEntry, AuditLog, AuditRecord};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::InfraError;
pub use page::{Cursor, Page, PageRequest};
pub use validation::FieldErrors;

/// Primary keys are database-generated 64-bit integers in every table.
pub type Id = i64;
/// A user's id.
pub type UserId = Id;
/// A point in time, always UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
