//! Rules of the job runner, checked against mocked ports: idempotence, bounded retries,
//! the model cache, and what each outcome commits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kernel::{InfraError, ManualClock, Timestamp};
use mockall::predicate::{always, eq};

use super::*;
use crate::job::JobStatus;
use crate::learning::{
    Algorithm, LearningError, Metrics, MockLearningRuntime, MockLoadedModel, MockTrainer, ModelArtifact, Table,
};
use crate::model::ModelStatus;
use crate::ports::{
    MockDatasetRepository, MockInferenceJobRepository, MockJobEvents, MockModelRepository, MockModelStore,
    StoredArtifact,
};

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).single().unwrap()
}

fn trained_at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 2, 1, 8, 0, 0).single().unwrap()
}

fn job(id: JobId, status: JobStatus, attempts: u32) -> InferenceJob {
    InferenceJob {
        id,
        user_id: 7,
        model_id: 1,
        description: String::new(),
        status,
        result: None,
        error: None,
        attempts,
        create_date: t0(),
        update_date: t0(),
        finish_date: None,
    }
}

fn model(status: ModelStatus, attempts: u32) -> Model {
    Model {
        id: 1,
        name: "m".into(),
        description: String::new(),
        algorithm: Algorithm::LinearRegression,
        dataset_id: 5,
        target: "y".into(),
        features: vec!["a".into(), "b".into()],
        status,
        error: None,
        metrics: None,
        is_visible: true,
        is_available: status == ModelStatus::Ready,
        task_id: Some(TaskId::new("task-1")),
        user_id: Some(1),
        attempts,
        create_date: t0(),
        update_date: t0(),
        finish_date: (status == ModelStatus::Ready).then(trained_at),
    }
}

fn artifact() -> StoredArtifact {
    StoredArtifact {
        version: ArtifactVersion(trained_at()),
        artifact: ModelArtifact { format: "test".into(), bytes: vec![1, 2, 3] },
    }
}

fn metrics() -> Metrics {
    Metrics { rmse: 0.1, r2: 0.99, train_rows: 7, test_rows: 3 }
}

struct Fixture {
    datasets: MockDatasetRepository,
    models: MockModelRepository,
    jobs: MockInferenceJobRepository,
    store: MockModelStore,
    trainer: MockTrainer,
    runtime: MockLearningRuntime,
    events: MockJobEvents,
    config: RunnerConfig,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            datasets: MockDatasetRepository::new(),
            models: MockModelRepository::new(),
            jobs: MockInferenceJobRepository::new(),
            store: MockModelStore::new(),
            trainer: MockTrainer::new(),
            runtime: MockLearningRuntime::new(),
            events: MockJobEvents::new(),
            config: RunnerConfig { max_attempts: 3, training_seed: 42, model_cache_capacity: 4 },
        }
    }

    fn build(self) -> JobRunner {
        JobRunner::new(
            RunnerPorts {
                datasets: Arc::new(self.datasets),
                models: Arc::new(self.models),
                jobs: Arc::new(self.jobs),
                store: Arc::new(self.store),
                trainer: Arc::new(self.trainer),
                runtime: Arc::new(self.runtime),
                events: Arc::new(self.events),
                clock: Arc::new(ManualClock::new(t0())),
            },
            self.config,
        )
    }

    fn with_job(&mut self, found: InferenceJob) {
        self.jobs.expect_find().with(eq(found.id)).returning(move |_| Ok(Some(found.clone())));
    }

    fn with_model(&mut self, found: Model) {
        self.models.expect_find().with(eq(found.id)).returning(move |_| Ok(Some(found.clone())));
    }

    fn with_inputs(&mut self) {
        self.jobs.expect_inputs().returning(|_| Ok(Some(vec![vec![1.0, 2.0]])));
    }

    /// The artifact loads into a model predicting `[5.0]`, `loads` times.
    fn with_loadable_artifact(&mut self, loads: usize) {
        self.store.expect_load().with(eq(1)).times(loads).returning(|_| Ok(Some(artifact())));
        self.runtime.expect_load_model().times(loads).returning(|_| {
            let mut loaded = MockLoadedModel::new();
            loaded.expect_feature_count().return_const(2usize);
            Ok(Arc::new(loaded))
        });
    }

    fn expect_start(&mut self, id: JobId) {
        self.jobs
            .expect_transition()
            .with(eq(id), eq(JobChange::Start), eq(t0()))
            .times(1)
            .returning(|_, _, _| Ok(true));
    }
}

fn inference(job_id: JobId) -> JobMessage {
    JobMessage::Inference { job_id }
}

fn training() -> JobMessage {
    JobMessage::Training { model_id: 1, task_id: TaskId::new("task-1") }
}

#[tokio::test]
async fn runs_an_inference_commits_the_result_and_announces_it() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Queued, 0));
    f.with_model(model(ModelStatus::Ready, 1));
    f.with_inputs();
    f.with_loadable_artifact(1);
    f.expect_start(10);
    f.runtime.expect_predict().withf(|_, inputs| inputs == &vec![vec![1.0, 2.0]]).returning(|_, _| Ok(vec![5.0]));
    f.jobs
        .expect_transition()
        .with(eq(10), eq(JobChange::Succeed(JobResult { predictions: vec![5.0] })), eq(t0()))
        .times(1)
        .returning(|_, _, _| Ok(true));
    f.events.expect_inference_finished().with(eq(10)).times(1).return_const(());
    assert_eq!(f.build().run(&inference(10)).await, RunOutcome::Completed);
}

#[tokio::test]
async fn a_redelivered_finished_job_is_skipped_without_writing() {
    for status in [JobStatus::Succeeded, JobStatus::Failed] {
        let mut f = Fixture::new();
        f.with_job(job(10, status, 1));
        f.jobs.expect_transition().never();
        f.events.expect_inference_finished().never();
        let outcome = f.build().run(&inference(10)).await;
        assert!(matches!(outcome, RunOutcome::Skipped(ref reason) if reason.contains("already")), "{outcome:?}");
    }
}

#[tokio::test]
async fn a_deleted_job_is_skipped() {
    let mut f = Fixture::new();
    f.jobs.expect_find().returning(|_| Ok(None));
    assert!(matches!(f.build().run(&inference(10)).await, RunOutcome::Skipped(_)));
}

#[tokio::test]
async fn a_job_whose_result_was_committed_elsewhere_is_skipped_and_not_announced_twice() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Running, 1));
    f.with_model(model(ModelStatus::Ready, 1));
    f.with_inputs();
    f.with_loadable_artifact(1);
    f.expect_start(10);
    f.runtime.expect_predict().returning(|_, _| Ok(vec![5.0]));
    f.jobs
        .expect_transition()
        .withf(|_, change, _| matches!(change, JobChange::Succeed(_)))
        .returning(|_, _, _| Ok(false));
    f.events.expect_inference_finished().never();
    assert!(matches!(f.build().run(&inference(10)).await, RunOutcome::Skipped(_)));
}

#[tokio::test]
async fn repeated_inferences_load_the_model_once() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Queued, 0));
    f.with_job(job(11, JobStatus::Queued, 0));
    f.with_model(model(ModelStatus::Ready, 1));
    f.with_inputs();
    f.with_loadable_artifact(1);
    f.jobs.expect_transition().returning(|_, _, _| Ok(true));
    f.runtime.expect_predict().times(2).returning(|_, _| Ok(vec![5.0]));
    f.events.expect_inference_finished().times(2).return_const(());
    let runner = f.build();
    assert_eq!(runner.run(&inference(10)).await, RunOutcome::Completed);
    assert_eq!(runner.run(&inference(11)).await, RunOutcome::Completed);
}

#[tokio::test]
async fn a_retrained_model_is_loaded_again() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Queued, 0));
    let mut versions = vec![trained_at(), trained_at() + chrono::Duration::hours(1)].into_iter();
    f.models.expect_find().times(2).returning(move |_| {
        let mut retrained = model(ModelStatus::Ready, 1);
        retrained.finish_date = versions.next();
        Ok(Some(retrained))
    });
    f.with_inputs();
    let mut stored = vec![artifact().version.0, trained_at() + chrono::Duration::hours(1)].into_iter();
    f.store.expect_load().times(2).returning(move |_| {
        Ok(Some(StoredArtifact { version: ArtifactVersion(stored.next().unwrap()), ..artifact() }))
    });
    f.runtime.expect_load_model().times(2).returning(|_| Ok(Arc::new(MockLoadedModel::new())));
    f.jobs.expect_transition().returning(|_, _, _| Ok(true));
    f.runtime.expect_predict().times(2).returning(|_, _| Ok(vec![5.0]));
    f.events.expect_inference_finished().return_const(());
    let runner = f.build();
    runner.run(&inference(10)).await;
    runner.run(&inference(10)).await;
}

#[tokio::test]
async fn bad_inputs_fail_the_job_for_good_without_retry() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Queued, 0));
    f.with_model(model(ModelStatus::Ready, 1));
    f.with_inputs();
    f.with_loadable_artifact(1);
    f.expect_start(10);
    f.runtime
        .expect_predict()
        .returning(|_, _| Err(LearningError::Input("row 1 has 3 values; the model expects 2".into())));
    f.jobs
        .expect_transition()
        .withf(|_, change, _| matches!(change, JobChange::Fail(error) if error.contains("row 1 has 3 values")))
        .times(1)
        .returning(|_, _, _| Ok(true));
    f.events.expect_inference_finished().times(1).return_const(());
    assert_eq!(f.build().run(&inference(10)).await, RunOutcome::Completed);
}

#[tokio::test]
async fn a_model_that_is_no_longer_ready_fails_the_job() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Queued, 0));
    f.with_model(model(ModelStatus::Training, 1));
    f.expect_start(10);
    f.jobs
        .expect_transition()
        .withf(|_, change, _| matches!(change, JobChange::Fail(error) if error.contains("the model is training")))
        .times(1)
        .returning(|_, _, _| Ok(true));
    f.events.expect_inference_finished().return_const(());
    assert_eq!(f.build().run(&inference(10)).await, RunOutcome::Completed);
}

#[tokio::test]
async fn a_passing_failure_puts_the_job_back_and_asks_for_a_retry() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Queued, 0));
    f.models.expect_find().returning(|_| Err(InfraError::unavailable("database restarting")));
    f.expect_start(10);
    f.jobs
        .expect_transition()
        .withf(|_, change, _| matches!(change, JobChange::Retry(error) if error.contains("database restarting")))
        .times(1)
        .returning(|_, _, _| Ok(true));
    f.events.expect_inference_finished().never();
    let outcome = f.build().run(&inference(10)).await;
    assert!(matches!(outcome, RunOutcome::Retry(ref e) if e.contains("database restarting")), "{outcome:?}");
}

#[tokio::test]
async fn a_passing_failure_of_the_last_attempt_fails_the_job_and_gives_up() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Queued, 2));
    f.models.expect_find().returning(|_| Err(InfraError::unavailable("database restarting")));
    f.expect_start(10);
    f.jobs
        .expect_transition()
        .withf(|_, change, _| {
            matches!(change, JobChange::Fail(error)
                if error.starts_with("gave up after 3 attempts") && error.contains("database restarting"))
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    f.events.expect_inference_finished().times(1).return_const(());
    assert!(matches!(f.build().run(&inference(10)).await, RunOutcome::GaveUp(_)));
}

#[tokio::test]
async fn a_job_whose_workers_kept_dying_is_failed_and_given_up_on_delivery() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Running, 3));
    f.jobs
        .expect_transition()
        .withf(|_, change, _| matches!(change, JobChange::Fail(error) if error.contains("stopped each time")))
        .times(1)
        .returning(|_, _, _| Ok(true));
    f.events.expect_inference_finished().times(1).return_const(());
    let outcome = f.build().run(&inference(10)).await;
    assert!(matches!(outcome, RunOutcome::GaveUp(ref e) if e.starts_with("gave up after 3 attempts")), "{outcome:?}");
}

#[tokio::test]
async fn a_crashed_attempt_is_started_again_when_attempts_remain() {
    let mut f = Fixture::new();
    f.with_job(job(10, JobStatus::Running, 1));
    f.with_model(model(ModelStatus::Ready, 1));
    f.with_inputs();
    f.with_loadable_artifact(1);
    f.expect_start(10);
    f.runtime.expect_predict().returning(|_, _| Ok(vec![5.0]));
    f.jobs
        .expect_transition()
        .withf(|_, change, _| matches!(change, JobChange::Succeed(_)))
        .returning(|_, _, _| Ok(true));
    f.events.expect_inference_finished().return_const(());
    assert_eq!(f.build().run(&inference(10)).await, RunOutcome::Completed);
}

#[tokio::test]
async fn a_database_failure_before_starting_asks_for_a_retry_without_writing() {
    let mut f = Fixture::new();
    f.jobs.expect_find().returning(|_| Err(InfraError::unavailable("down")));
    f.jobs.expect_transition().never();
    assert!(matches!(f.build().run(&inference(10)).await, RunOutcome::Retry(_)));
}

// ---- training -----------------------------------------------------------------------

fn with_dataset(f: &mut Fixture) {
    f.datasets.expect_content().with(eq(5)).returning(|_| Ok(Some(b"a,b,y\n".to_vec())));
    f.runtime.expect_parse_dataset().returning(|_, _| {
        Ok(Table { columns: vec!["a".into(), "b".into(), "y".into()], rows: vec![vec![1.0, 2.0, 3.0]] })
    });
}

#[tokio::test]
async fn trains_a_queued_model_and_saves_it_under_its_task() {
    let mut f = Fixture::new();
    f.with_model(model(ModelStatus::Queued, 0));
    with_dataset(&mut f);
    f.models
        .expect_transition()
        .with(eq(1), eq(TaskId::new("task-1")), eq(TrainingChange::Start), eq(t0()))
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    f.trainer
        .expect_train()
        .withf(|_, spec| {
            spec.algorithm == Algorithm::LinearRegression
                && spec.features == ["a", "b"]
                && spec.target == "y"
                && spec.seed == 42
        })
        .returning(|_, _| {
            Ok(TrainedModel { artifact: ModelArtifact { format: "f".into(), bytes: vec![] }, metrics: metrics() })
        });
    f.store
        .expect_save()
        .with(eq(1), eq(TaskId::new("task-1")), always(), eq(t0()))
        .times(1)
        .returning(|_, _, _, at| Ok(Some(ArtifactVersion(at))));
    assert_eq!(f.build().run(&training()).await, RunOutcome::Completed);
}

#[tokio::test]
async fn a_training_message_of_an_older_task_is_skipped() {
    let mut f = Fixture::new();
    let mut newer = model(ModelStatus::Queued, 0);
    newer.task_id = Some(TaskId::new("task-2"));
    f.with_model(newer);
    f.models.expect_transition().never();
    f.trainer.expect_train().never();
    let outcome = f.build().run(&training()).await;
    assert!(matches!(outcome, RunOutcome::Skipped(ref r) if r.contains("superseded")), "{outcome:?}");
}

#[tokio::test]
async fn a_redelivered_finished_training_is_skipped() {
    for status in [ModelStatus::Ready, ModelStatus::Failed] {
        let mut f = Fixture::new();
        f.with_model(model(status, 1));
        f.models.expect_transition().never();
        f.trainer.expect_train().never();
        assert!(matches!(f.build().run(&training()).await, RunOutcome::Skipped(_)), "{status}");
    }
}

#[tokio::test]
async fn an_algorithm_that_cannot_fit_fails_the_model_for_good() {
    let mut f = Fixture::new();
    f.with_model(model(ModelStatus::Queued, 0));
    with_dataset(&mut f);
    f.models
        .expect_transition()
        .withf(|_, _, change, _| *change == TrainingChange::Start)
        .returning(|_, _, _, _| Ok(true));
    f.trainer.expect_train().returning(|_, _| Err(LearningError::Training("singular matrix".into())));
    f.models
        .expect_transition()
        .withf(|_, _, change, _| matches!(change, TrainingChange::Fail(error) if error.contains("singular matrix")))
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    f.store.expect_save().never();
    assert_eq!(f.build().run(&training()).await, RunOutcome::Completed);
}

#[tokio::test]
async fn a_failed_save_puts_the_training_back_for_a_retry() {
    let mut f = Fixture::new();
    f.with_model(model(ModelStatus::Queued, 0));
    with_dataset(&mut f);
    f.models
        .expect_transition()
        .withf(|_, _, change, _| *change == TrainingChange::Start)
        .returning(|_, _, _, _| Ok(true));
    f.trainer.expect_train().returning(|_, _| {
        Ok(TrainedModel { artifact: ModelArtifact { format: "f".into(), bytes: vec![] }, metrics: metrics() })
    });
    f.store.expect_save().returning(|_, _, _, _| Err(InfraError::unavailable("lock timeout")));
    f.models
        .expect_transition()
        .withf(|_, _, change, _| matches!(change, TrainingChange::Retry(_)))
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    assert!(matches!(f.build().run(&training()).await, RunOutcome::Retry(_)));
}

#[tokio::test]
async fn a_training_whose_workers_kept_dying_is_failed_and_given_up() {
    let mut f = Fixture::new();
    f.with_model(model(ModelStatus::Training, 3));
    f.models
        .expect_transition()
        .withf(|_, _, change, _| matches!(change, TrainingChange::Fail(error) if error.starts_with("gave up after 3")))
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    f.trainer.expect_train().never();
    assert!(matches!(f.build().run(&training()).await, RunOutcome::GaveUp(_)));
}
