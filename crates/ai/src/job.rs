//! Inference jobs: one asynchronous prediction with a model, its state machine, and the
//! messages that carry jobs to workers.

use std::fmt;

use kernel::{Id, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use crate::model::{Description, ModelId, TaskId};

/// An inference job's id.
pub type JobId = Id;

/// Where an inference job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Accepted and durably queued; waiting for a worker.
    Queued,
    /// A worker is predicting.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error.
    Failed,
}

/// What can happen to an inference job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEvent {
    /// A worker begins (or, after a crashed worker's job was redelivered, begins again).
    Start,
    /// The result was written.
    Succeed,
    /// The job failed for good; its error is written.
    Fail,
    /// The attempt failed for a passing reason; the job goes back to the queue.
    Retry,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [JobStatus::Queued, JobStatus::Running, JobStatus::Succeeded, JobStatus::Failed];

    /// The job state machine: the status after `event`, or `None` when the event cannot
    /// happen in this status. Finished jobs accept no event, which is what makes a
    /// redelivered job harmless.
    pub fn after(self, event: JobEvent) -> Option<JobStatus> {
        use JobStatus::*;
        match (self, event) {
            (Queued | Running, JobEvent::Start) => Some(Running),
            (Running, JobEvent::Succeed) => Some(Succeeded),
            (Queued | Running, JobEvent::Fail) => Some(Failed),
            (Running, JobEvent::Retry) => Some(Queued),
            _ => None,
        }
    }

    /// Every status from which `event` may happen; repositories guard their updates with it.
    pub fn sources(event: JobEvent) -> Vec<JobStatus> {
        Self::ALL.into_iter().filter(|status| status.after(event).is_some()).collect()
    }

    /// Succeeded or failed: nothing will change it any more.
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a successful inference: one prediction per input row, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub predictions: Vec<f64>,
}

/// An inference job as stored (its inputs are read separately: they can be large).
#[derive(Debug, Clone, PartialEq)]
pub struct InferenceJob {
    pub id: JobId,
    pub user_id: UserId,
    pub model_id: ModelId,
    pub description: String,
    pub status: JobStatus,
    pub result: Option<JobResult>,
    pub error: Option<String>,
    /// Attempts so far; more than one means a worker failed or died during an attempt.
    pub attempts: u32,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    pub finish_date: Option<Timestamp>,
}

/// Rows of numbers to predict from, checked against the model's features.
#[derive(Debug, Clone, PartialEq)]
pub struct InferenceInputs(Vec<Vec<f64>>);

impl InferenceInputs {
    pub const MAX_ROWS: usize = 1000;
    /// How many feature names an error message lists before cutting short.
    const NAMES_SHOWN: usize = 12;

    /// 1..=1000 rows, each with exactly one finite value per feature, in the features'
    /// order. The error names the first bad row and the expected feature count.
    pub fn parse(rows: Vec<Vec<f64>>, features: &[String]) -> Result<Self, String> {
        if rows.is_empty() {
            return Err("at least one row is required".to_owned());
        }
        if rows.len() > Self::MAX_ROWS {
            return Err(format!("at most {} rows are allowed; got {}", Self::MAX_ROWS, rows.len()));
        }
        let expected = features.len();
        for (i, row) in rows.iter().enumerate() {
            if row.len() != expected {
                return Err(format!(
                    "row {} has {} values; the model expects {expected} (one per feature: {})",
                    i + 1,
                    row.len(),
                    Self::feature_list(features)
                ));
            }
            if let Some(column) = row.iter().position(|value| !value.is_finite()) {
                return Err(format!("row {}, value {}: not a finite number", i + 1, column + 1));
            }
        }
        Ok(InferenceInputs(rows))
    }

    fn feature_list(features: &[String]) -> String {
        let mut list = features.iter().take(Self::NAMES_SHOWN).cloned().collect::<Vec<_>>().join(", ");
        if features.len() > Self::NAMES_SHOWN {
            list.push_str(", …");
        }
        list
    }

    pub fn rows(&self) -> &[Vec<f64>] {
        &self.0
    }

    pub fn into_rows(self) -> Vec<Vec<f64>> {
        self.0
    }
}

/// An inference job about to be stored, queued.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInferenceJob {
    pub user_id: UserId,
    pub model_id: ModelId,
    pub description: Description,
    pub inputs: InferenceInputs,
    pub create_date: Timestamp,
}

/// A unit of work on the job queue. Messages carry ids only: the database holds the
/// data, so a message can be delivered twice, late or to any worker without harm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobMessage {
    /// Train `model_id`, if its current training is still `task_id`.
    Training { model_id: ModelId, task_id: TaskId },
    /// Run inference job `job_id`.
    Inference { job_id: JobId },
}

impl JobMessage {
    /// A stable id of the unit of work (for logs and message ids).
    pub fn key(&self) -> String {
        match self {
            JobMessage::Training { model_id, task_id } => format!("training-{model_id}-{task_id}"),
            JobMessage::Inference { job_id } => format!("inference-{job_id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use JobEvent::*;
    use JobStatus::*;

    #[test]
    fn a_job_runs_then_succeeds_or_fails() {
        assert_eq!(Queued.after(Start), Some(Running));
        assert_eq!(Running.after(Succeed), Some(Succeeded));
        assert_eq!(Running.after(Fail), Some(Failed));
    }

    #[test]
    fn a_redelivered_running_job_may_start_again() {
        assert_eq!(Running.after(Start), Some(Running));
    }

    #[test]
    fn a_queued_job_cannot_succeed_without_running_but_may_fail() {
        assert_eq!(Queued.after(Succeed), None);
        assert_eq!(Queued.after(Fail), Some(Failed));
    }

    #[test]
    fn a_retried_job_goes_back_to_the_queue() {
        assert_eq!(Running.after(Retry), Some(Queued));
        assert_eq!(Queued.after(Retry), None);
    }

    #[test]
    fn finished_jobs_accept_no_event() {
        for status in [Succeeded, Failed] {
            assert!(status.is_finished());
            for event in [Start, Succeed, Fail, Retry] {
                assert_eq!(status.after(event), None, "{status} after {event:?}");
            }
        }
        assert!(!Queued.is_finished());
        assert!(!Running.is_finished());
    }

    #[test]
    fn sources_list_every_status_an_event_may_leave() {
        assert_eq!(JobStatus::sources(Start), [Queued, Running]);
        assert_eq!(JobStatus::sources(Succeed), [Running]);
        assert_eq!(JobStatus::sources(Fail), [Queued, Running]);
        assert_eq!(JobStatus::sources(Retry), [Running]);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("Queued"), None);
    }

    fn features(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("x{i}")).collect()
    }

    #[test]
    fn inputs_need_one_to_a_thousand_rows() {
        assert!(InferenceInputs::parse(vec![], &features(2)).unwrap_err().contains("at least one row"));
        assert!(InferenceInputs::parse(vec![vec![1.0, 2.0]; 1000], &features(2)).is_ok());
        let err = InferenceInputs::parse(vec![vec![1.0, 2.0]; 1001], &features(2)).unwrap_err();
        assert_eq!(err, "at most 1000 rows are allowed; got 1001");
    }

    #[test]
    fn wrong_width_names_the_row_and_the_expected_feature_count() {
        let err = InferenceInputs::parse(vec![vec![1.0, 2.0], vec![1.0]], &features(2)).unwrap_err();
        assert_eq!(err, "row 2 has 1 values; the model expects 2 (one per feature: x0, x1)");
        let err = InferenceInputs::parse(vec![vec![0.0; 3]], &features(20)).unwrap_err();
        assert!(err.contains("expects 20"), "{err}");
        assert!(err.ends_with("x11, …)"), "{err}");
    }

    #[test]
    fn non_finite_values_are_refused() {
        let err = InferenceInputs::parse(vec![vec![1.0, f64::NAN]], &features(2)).unwrap_err();
        assert_eq!(err, "row 1, value 2: not a finite number");
    }

    #[test]
    fn messages_have_a_stable_tagged_shape() {
        let training = JobMessage::Training { model_id: 3, task_id: TaskId::new("t-1") };
        let inference = JobMessage::Inference { job_id: 9 };
        assert_eq!(training.key(), "training-3-t-1");
        assert_eq!(inference.key(), "inference-9");
    }
}
