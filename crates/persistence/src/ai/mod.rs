//! Repositories of the AI domain: datasets, models, their artifacts, inference jobs.

mod artifacts;
mod datasets;
mod jobs;
mod models;

pub use artifacts::SqlModelStore;
pub use datasets::SqlDatasetRepository;
pub use jobs::SqlInferenceJobRepository;
pub use models::SqlModelRepository;

use kernel::InfraError;

/// A stored JSON document that does not read back: the row was written by something else.
fn corrupt(table: &str, id: i64, column: &str, err: impl std::fmt::Display) -> InfraError {
    InfraError::internal(format!("{table} {id}: unreadable {column}: {err}"))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, InfraError> {
    serde_json::to_string(value).map_err(InfraError::internal)
}
