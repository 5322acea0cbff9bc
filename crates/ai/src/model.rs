//! Models: a regression algorithm trained on a dataset, and the life cycle of its training.

use std::fmt;

use kernel::{Id, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use crate::dataset::DatasetId;
use crate::learning::{Algorithm, Metrics};

/// A model's id.
pub type ModelId = Id;

/// Where a model's training stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker is fitting it.
    Training,
    /// Trained; its artifact is stored and it can predict.
    Ready,
    /// The training failed; `error` says why. An admin may train it again.
    Failed,
}

/// What can happen to a model's training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingEvent {
    /// A worker begins (or, after a crash, begins again).
    Start,
    /// The artifact was stored.
    Succeed,
    /// The training failed for good.
    Fail,
    /// The attempt failed for a passing reason; the training goes back to the queue.
    Retry,
    /// An admin asked for a new training of a finished model.
    Requeue,
}

impl ModelStatus {
    pub const ALL: [ModelStatus; 4] =
        [ModelStatus::Queued, ModelStatus::Training, ModelStatus::Ready, ModelStatus::Failed];

    /// The state machine of a training: the status after `event`, or `None` when the event
    /// cannot happen in this status.
    pub fn after(self, event: TrainingEvent) -> Option<ModelStatus> {
        use ModelStatus::*;
        match (self, event) {
            (Queued | Training, TrainingEvent::Start) => Some(Training),
            (Training, TrainingEvent::Succeed) => Some(Ready),
            (Queued | Training, TrainingEvent::Fail) => Some(Failed),
            (Training, TrainingEvent::Retry) => Some(Queued),
            (Ready | Failed, TrainingEvent::Requeue) => Some(Queued),
            _ => None,
        }
    }

    /// Every status from which `event` may happen; repositories guard their updates with it.
    pub fn sources(event: TrainingEvent) -> Vec<ModelStatus> {
        Self::ALL.into_iter().filter(|status| status.after(event).is_some()).collect()
    }

    /// Queued or training: a training message is (or should be) on its way.
    pub fn is_pending(self) -> bool {
        matches!(self, ModelStatus::Queued | ModelStatus::Training)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            ModelStatus::Queued => "queued",
            ModelStatus::Training => "training",
            ModelStatus::Ready => "ready",
            ModelStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

impl fmt::Display for ModelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifies one queued training of a model. A new training gets a new id, so that a
/// message of an older training that arrives late is recognised and skipped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(String);

impl TaskId {
    /// At most 64 characters (the column's width); longer ids are cut.
    pub fn new(id: impl Into<String>) -> Self {
        let id: String = id.into();
        TaskId(id.chars().take(64).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names the stored artifact of a trained model: the instant its training finished. The
/// artifact is written in the same transaction that sets this instant, so a model whose
/// version did not change still predicts with the artifact a worker loaded before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArtifactVersion(pub Timestamp);

/// A model as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub id: ModelId,
    pub name: String,
    pub description: String,
    pub algorithm: Algorithm,
    pub dataset_id: DatasetId,
    /// The column it predicts.
    pub target: String,
    /// Its input columns, in the order inference rows carry them.
    pub features: Vec<String>,
    pub status: ModelStatus,
    /// Why the last training failed.
    pub error: Option<String>,
    /// Of the last successful training.
    pub metrics: Option<Metrics>,
    pub is_visible: bool,
    pub is_available: bool,
    /// The current training; see [`TaskId`].
    pub task_id: Option<TaskId>,
    /// The admin who created it.
    pub user_id: Option<UserId>,
    /// Attempts of the current training so far.
    pub attempts: u32,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    pub finish_date: Option<Timestamp>,
}

impl Model {
    /// The version of the artifact a ready model predicts with.
    pub fn artifact_version(&self) -> Option<ArtifactVersion> {
        match (self.status, self.finish_date) {
            (ModelStatus::Ready, Some(finished)) => Some(ArtifactVersion(finished)),
            _ => None,
        }
    }

    /// Whether a regular user may run inferences with it.
    pub fn is_usable_by_users(&self) -> bool {
        self.is_visible && self.is_available && self.status == ModelStatus::Ready
    }
}

/// 1..64 characters after trimming, no control characters; unique among models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelName(String);

impl ModelName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::name(raw, Self::MAX_CHARS).map(ModelName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text of at most 256 characters (models and inference jobs); may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::optional(raw, Self::MAX_CHARS).map(Description)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A model about to be stored, queued for its first training.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub name: ModelName,
    pub description: Description,
    pub algorithm: Algorithm,
    pub dataset_id: DatasetId,
    pub target: String,
    pub features: Vec<String>,
    pub is_visible: bool,
    pub user_id: UserId,
    pub task_id: TaskId,
    pub create_date: Timestamp,
}

/// A validated change of the fields an admin may edit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelChanges {
    pub description: Option<Description>,
    pub is_visible: Option<bool>,
    pub is_available: Option<bool>,
}

impl ModelChanges {
    pub fn is_empty(&self) -> bool {
        self.description.is_none() && self.is_visible.is_none() && self.is_available.is_none()
    }
}

/// Most characters of an error message kept with a model or a job (the columns hold 1024).
pub const MAX_ERROR_CHARS: usize = 1000;

/// `message` cut to [`MAX_ERROR_CHARS`], marked with `…` when cut.
pub fn bounded_error(message: &str) -> String {
    if message.chars().count() <= MAX_ERROR_CHARS {
        return message.to_owned();
    }
    let mut cut: String = message.chars().take(MAX_ERROR_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use ModelStatus::*;
    use TrainingEvent::*;

    #[test]
    fn training_goes_queued_training_ready() {
        assert_eq!(Queued.after(Start), Some(Training));
        assert_eq!(Training.after(Succeed), Some(Ready));
    }

    #[test]
    fn a_redelivered_training_may_start_again() {
        assert_eq!(Training.after(Start), Some(Training));
    }

    #[test]
    fn finished_trainings_only_requeue() {
        for status in [Ready, Failed] {
            for event in [Start, Succeed, Fail, Retry] {
                assert_eq!(status.after(event), None, "{status} after {event:?}");
            }
            assert_eq!(status.after(Requeue), Some(Queued));
        }
    }

    #[test]
    fn pending_trainings_cannot_be_requeued_and_only_training_succeeds() {
        assert_eq!(Queued.after(Requeue), None);
        assert_eq!(Training.after(Requeue), None);
        assert_eq!(Queued.after(Succeed), None);
        assert_eq!(Queued.after(Retry), None);
        assert_eq!(Training.after(Retry), Some(Queued));
        assert_eq!(Queued.after(Fail), Some(Failed));
        assert_eq!(Training.after(Fail), Some(Failed));
    }

    #[test]
    fn sources_list_every_status_an_event_may_leave() {
        assert_eq!(ModelStatus::sources(Start), [Queued, Training]);
        assert_eq!(ModelStatus::sources(Succeed), [Training]);
        assert_eq!(ModelStatus::sources(Requeue), [Ready, Failed]);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in ModelStatus::ALL {
            assert_eq!(ModelStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ModelStatus::parse("done"), None);
    }

    #[test]
    fn names_and_descriptions_are_bounded() {
        assert_eq!(ModelName::parse(" m1 ").unwrap().as_str(), "m1");
        assert!(ModelName::parse("").is_err());
        assert!(ModelName::parse(&"é".repeat(64)).is_ok());
        assert!(ModelName::parse(&"é".repeat(65)).is_err());
        assert!(Description::parse(&"d".repeat(256)).is_ok());
        assert!(Description::parse(&"d".repeat(257)).is_err());
        assert!(Description::parse("").is_ok());
    }

    #[test]
    fn long_errors_are_cut_and_marked() {
        assert_eq!(bounded_error("short"), "short");
        let cut = bounded_error(&"x".repeat(5000));
        assert_eq!(cut.chars().count(), MAX_ERROR_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn task_ids_fit_their_column() {
        assert_eq!(TaskId::new("t".repeat(100)).as_str().len(), 64);
    }
}
