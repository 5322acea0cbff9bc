//! Rules of the AI service, checked against mocked ports: who may do what, the defaults
//! of a new model, input checks, and what happens when the queue cannot take a job.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use kernel::audit::MockAuditLog;
use kernel::test_support::{admin, user};
use kernel::{Cursor, InfraError, ManualClock, Page, PageRequest, Timestamp};
use mockall::predicate::{always, eq};

use super::*;
use crate::dataset::DatasetId;
use crate::job::{JobResult, JobStatus};
use crate::learning::{DatasetError, MockLearningRuntime, Table};
use crate::model::{ModelStatus, TaskId};
use crate::ports::{
    MockCompletionWatch, MockDatasetRepository, MockInferenceJobRepository, MockJobQueue, MockModelRepository,
    MockTaskIdGenerator,
};

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).single().unwrap()
}

fn ai_test(id: DatasetId) -> Dataset {
    Dataset {
        id,
        name: "ai_test".into(),
        columns: ["x0", "x1", "x2", "y"].map(String::from).to_vec(),
        rows: 10_000,
        user_id: None,
        create_date: t0(),
    }
}

fn model(id: ModelId, status: ModelStatus, visible: bool, available: bool) -> Model {
    Model {
        id,
        name: format!("model{id}"),
        description: String::new(),
        algorithm: Algorithm::LinearRegression,
        dataset_id: 1,
        target: "y".into(),
        features: ["x0", "x1", "x2"].map(String::from).to_vec(),
        status,
        error: None,
        metrics: None,
        is_visible: visible,
        is_available: available,
        task_id: Some(TaskId::new("task-1")),
        user_id: Some(1),
        attempts: 0,
        create_date: t0(),
        update_date: t0(),
        finish_date: (status == ModelStatus::Ready).then(t0),
    }
}

fn job(id: JobId, owner: i64, status: JobStatus) -> InferenceJob {
    InferenceJob {
        id,
        user_id: owner,
        model_id: 3,
        description: String::new(),
        status,
        result: (status == JobStatus::Succeeded).then(|| JobResult { predictions: vec![1.0] }),
        error: None,
        attempts: 0,
        create_date: t0(),
        update_date: t0(),
        finish_date: None,
    }
}

struct Fixture {
    datasets: MockDatasetRepository,
    models: MockModelRepository,
    jobs: MockInferenceJobRepository,
    queue: MockJobQueue,
    watch: MockCompletionWatch,
    runtime: MockLearningRuntime,
    audit: MockAuditLog,
    config: AiConfig,
}

impl Fixture {
    fn new() -> Self {
        let mut audit = MockAuditLog::new();
        audit.expect_record().returning(|_| Ok(()));
        Fixture {
            datasets: MockDatasetRepository::new(),
            models: MockModelRepository::new(),
            jobs: MockInferenceJobRepository::new(),
            queue: MockJobQueue::new(),
            watch: MockCompletionWatch::new(),
            runtime: MockLearningRuntime::new(),
            audit,
            config: AiConfig {
                dataset_limits: DatasetLimits { max_bytes: 1000, max_rows: 100, max_columns: 10 },
                default_dataset: "ai_test".into(),
            },
        }
    }

    fn build(self) -> AiService {
        let mut task_ids = MockTaskIdGenerator::new();
        task_ids.expect_new_task_id().returning(|| TaskId::new("task-new"));
        AiService::new(
            AiPorts {
                datasets: Arc::new(self.datasets),
                models: Arc::new(self.models),
                jobs: Arc::new(self.jobs),
                queue: Arc::new(self.queue),
                watch: Arc::new(self.watch),
                runtime: Arc::new(self.runtime),
                task_ids: Arc::new(task_ids),
                clock: Arc::new(ManualClock::new(t0())),
                audit: Arc::new(self.audit),
            },
            self.config,
        )
    }

    fn with_default_dataset(&mut self) {
        self.datasets.expect_find_by_name().with(eq("ai_test")).returning(|_| Ok(Some(ai_test(1))));
    }

    fn with_model(&mut self, found: Model) {
        self.models.expect_find().with(eq(found.id)).returning(move |_| Ok(Some(found.clone())));
    }

    fn with_job(&mut self, found: InferenceJob) {
        self.jobs.expect_find().with(eq(found.id)).returning(move |_| Ok(Some(found.clone())));
    }

    /// `create` stores the model as asked, with id 9.
    fn storing_models(&mut self) {
        self.models.expect_find_by_name().returning(|_| Ok(None));
        self.models.expect_create().returning(|new| {
            Ok(Model {
                id: 9,
                name: new.name.as_str().to_owned(),
                description: new.description.as_str().to_owned(),
                algorithm: new.algorithm,
                dataset_id: new.dataset_id,
                target: new.target,
                features: new.features,
                status: ModelStatus::Queued,
                error: None,
                metrics: None,
                is_visible: new.is_visible,
                is_available: false,
                task_id: Some(new.task_id),
                user_id: Some(new.user_id),
                attempts: 0,
                create_date: new.create_date,
                update_date: new.create_date,
                finish_date: None,
            })
        });
    }

    /// `create` stores the job as asked, with id 20.
    fn storing_jobs(&mut self) {
        self.jobs.expect_create().returning(|new| {
            Ok(InferenceJob {
                id: 20,
                user_id: new.user_id,
                model_id: new.model_id,
                description: new.description.as_str().to_owned(),
                status: JobStatus::Queued,
                result: None,
                error: None,
                attempts: 0,
                create_date: new.create_date,
                update_date: new.create_date,
                finish_date: None,
            })
        });
    }
}

fn named(name: &str) -> CreateModelInput {
    CreateModelInput { name: name.into(), ..Default::default() }
}

fn fields(err: AiError) -> Vec<String> {
    match err {
        AiError::Validation(errors) => errors.fields().keys().cloned().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn messages(err: AiError, field: &str) -> Vec<String> {
    match err {
        AiError::Validation(errors) => errors.fields().get(field).cloned().unwrap_or_default(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

// ---- models ---------------------------------------------------------------------------

#[tokio::test]
async fn users_cannot_manage_models_or_datasets() {
    let service = Fixture::new().build();
    let alice = user(2);
    assert!(matches!(service.create_model(&alice, named("m")).await, Err(AiError::AdminRequired)));
    assert!(matches!(service.delete_model(&alice, 1).await, Err(AiError::AdminRequired)));
    assert!(matches!(service.retrain_model(&alice, 1).await, Err(AiError::AdminRequired)));
    assert!(matches!(service.update_model(&alice, 1, UpdateModelInput::default()).await, Err(AiError::AdminRequired)));
    assert!(matches!(service.upload_dataset(&alice, DatasetUpload::default()).await, Err(AiError::AdminRequired)));
    assert!(matches!(service.list_datasets(&alice, PageRequest::first()).await, Err(AiError::AdminRequired)));
}

#[tokio::test]
async fn a_new_model_trains_on_ai_test_predicting_the_last_column_from_the_others() {
    let mut f = Fixture::new();
    f.with_default_dataset();
    f.storing_models();
    f.queue
        .expect_publish()
        .with(eq(JobMessage::Training { model_id: 9, task_id: TaskId::new("task-new") }))
        .times(1)
        .returning(|_| Ok(()));
    let model = f.build().create_model(&admin(1), named("prices")).await.unwrap();
    assert_eq!(model.algorithm, Algorithm::LinearRegression);
    assert_eq!(model.dataset_id, 1);
    assert_eq!(model.target, "y");
    assert_eq!(model.features, ["x0", "x1", "x2"]);
    assert_eq!(model.status, ModelStatus::Queued);
    assert!(!model.is_visible && !model.is_available);
}

#[tokio::test]
async fn a_new_model_may_name_its_dataset_target_and_features() {
    let mut f = Fixture::new();
    f.datasets.expect_find().with(eq(4)).returning(|_| Ok(Some(ai_test(4))));
    f.storing_models();
    f.queue.expect_publish().returning(|_| Ok(()));
    let input = CreateModelInput {
        name: "m".into(),
        algorithm: Some("random_forest".into()),
        dataset_id: Some(4),
        target: Some("x0".into()),
        features: Some(vec!["y".into(), "x2".into()]),
        is_visible: Some(true),
        ..Default::default()
    };
    let model = f.build().create_model(&admin(1), input).await.unwrap();
    assert_eq!(model.algorithm, Algorithm::RandomForest);
    assert_eq!((model.target.as_str(), model.features.clone()), ("x0", vec!["y".to_owned(), "x2".to_owned()]));
    assert!(model.is_visible);
}

#[tokio::test]
async fn unknown_algorithm_dataset_and_target_are_named_at_once() {
    let mut f = Fixture::new();
    f.datasets.expect_find().with(eq(99)).returning(|_| Ok(None));
    let input = CreateModelInput {
        name: " ".into(),
        algorithm: Some("svm".into()),
        dataset_id: Some(99),
        ..Default::default()
    };
    let err = f.build().create_model(&admin(1), input).await.unwrap_err();
    assert_eq!(fields(err), ["algorithm", "dataset_id", "name"]);

    let mut f = Fixture::new();
    f.with_default_dataset();
    let input = CreateModelInput { name: "m".into(), target: Some("z".into()), ..Default::default() };
    let err = f.build().create_model(&admin(1), input).await.unwrap_err();
    assert_eq!(messages(err, "target"), ["unknown column \"z\"; the dataset has: x0, x1, x2, y"]);
}

#[tokio::test]
async fn features_must_be_known_distinct_and_not_the_target() {
    let mut f = Fixture::new();
    f.with_default_dataset();
    let input = CreateModelInput {
        name: "m".into(),
        features: Some(vec!["x0".into(), "x0".into(), "y".into(), "q".into()]),
        ..Default::default()
    };
    let err = f.build().create_model(&admin(1), input).await.unwrap_err();
    let found = messages(err, "features");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].contains("listed twice"));
    assert!(found[1].contains("the target \"y\""));
    assert!(found[2].contains("unknown column \"q\""));

    let mut f = Fixture::new();
    f.with_default_dataset();
    let input = CreateModelInput { name: "m".into(), features: Some(vec![]), ..Default::default() };
    assert_eq!(fields(f.build().create_model(&admin(1), input).await.unwrap_err()), ["features"]);
}

#[tokio::test]
async fn a_taken_model_name_is_a_conflict_also_when_racing() {
    let mut f = Fixture::new();
    f.with_default_dataset();
    f.models.expect_find_by_name().returning(|_| Ok(Some(model(3, ModelStatus::Ready, true, true))));
    assert!(matches!(f.build().create_model(&admin(1), named("model3")).await, Err(AiError::ModelNameTaken)));

    let mut f = Fixture::new();
    f.with_default_dataset();
    f.models.expect_find_by_name().returning(|_| Ok(None));
    f.models.expect_create().returning(|_| Err(ModelWriteError::NameTaken));
    f.queue.expect_publish().never();
    assert!(matches!(f.build().create_model(&admin(1), named("m")).await, Err(AiError::ModelNameTaken)));
}

#[tokio::test]
async fn a_model_whose_training_cannot_be_queued_is_not_kept() {
    let mut f = Fixture::new();
    f.with_default_dataset();
    f.storing_models();
    f.queue.expect_publish().returning(|_| Err(InfraError::unavailable("connection refused")));
    f.models.expect_delete().with(eq(9)).times(1).returning(|_| Ok(true));
    let err = f.build().create_model(&admin(1), named("m")).await.unwrap_err();
    assert!(matches!(err, AiError::QueueUnavailable(ref cause) if cause == "connection refused"), "{err:?}");
}

#[tokio::test]
async fn users_list_only_usable_models_and_admins_all() {
    let mut f = Fixture::new();
    f.models
        .expect_list()
        .with(eq(ModelFilter { usable_only: true }), always())
        .times(1)
        .returning(|_, _| Ok(Page::empty()));
    f.models
        .expect_list()
        .with(eq(ModelFilter { usable_only: false }), always())
        .times(1)
        .returning(|_, _| Ok(Page::empty()));
    let service = f.build();
    service.list_models(&user(2), PageRequest::first()).await.unwrap();
    service.list_models(&admin(1), PageRequest::first()).await.unwrap();
}

#[tokio::test]
async fn hidden_models_do_not_exist_for_users() {
    let mut f = Fixture::new();
    f.with_model(model(3, ModelStatus::Ready, false, true));
    let service = f.build();
    assert!(matches!(service.get_model(&user(2), 3).await, Err(AiError::ModelNotFound)));
    assert!(service.get_model(&admin(1), 3).await.is_ok());
}

#[tokio::test]
async fn retraining_requeues_a_finished_model_under_a_new_task() {
    let mut f = Fixture::new();
    let mut reads =
        vec![model(3, ModelStatus::Ready, true, true), model(3, ModelStatus::Queued, true, true)].into_iter();
    f.models.expect_find().times(2).returning(move |_| Ok(reads.next()));
    f.models.expect_requeue().with(eq(3), eq(TaskId::new("task-new")), eq(t0())).times(1).returning(|_, _, _| Ok(true));
    f.queue
        .expect_publish()
        .with(eq(JobMessage::Training { model_id: 3, task_id: TaskId::new("task-new") }))
        .times(1)
        .returning(|_| Ok(()));
    let model = f.build().retrain_model(&admin(1), 3).await.unwrap();
    assert_eq!(model.status, ModelStatus::Queued);
}

#[tokio::test]
async fn a_model_in_training_cannot_be_retrained() {
    for status in [ModelStatus::Queued, ModelStatus::Training] {
        let mut f = Fixture::new();
        f.with_model(model(3, status, true, false));
        f.models.expect_requeue().never();
        assert!(matches!(f.build().retrain_model(&admin(1), 3).await, Err(AiError::ModelBusy)), "{status}");
    }
}

#[tokio::test]
async fn a_retraining_that_cannot_be_queued_restores_the_model() {
    let mut f = Fixture::new();
    let before = model(3, ModelStatus::Ready, true, true);
    f.with_model(before.clone());
    f.models.expect_requeue().returning(|_, _, _| Ok(true));
    f.queue.expect_publish().returning(|_| Err(InfraError::unavailable("broker down")));
    f.models
        .expect_restore()
        .withf(move |previous, task, _| *previous == before && *task == TaskId::new("task-new"))
        .times(1)
        .returning(|_, _, _| Ok(()));
    assert!(matches!(f.build().retrain_model(&admin(1), 3).await, Err(AiError::QueueUnavailable(_))));
}

#[tokio::test]
async fn updating_a_model_checks_the_description_and_reports_missing_models() {
    let f = Fixture::new();
    let input = UpdateModelInput { description: Some("d".repeat(257)), ..Default::default() };
    assert_eq!(fields(f.build().update_model(&admin(1), 3, input).await.unwrap_err()), ["description"]);

    let mut f = Fixture::new();
    f.models.expect_update().returning(|_, _, _| Ok(None));
    let input = UpdateModelInput { is_visible: Some(true), ..Default::default() };
    assert!(matches!(f.build().update_model(&admin(1), 3, input).await, Err(AiError::ModelNotFound)));
}

// ---- inference jobs -------------------------------------------------------------------

fn rows(n: usize, width: usize) -> Vec<Vec<f64>> {
    vec![vec![1.0; width]; n]
}

#[tokio::test]
async fn a_user_queues_an_inference_with_a_usable_model() {
    let mut f = Fixture::new();
    f.with_model(model(3, ModelStatus::Ready, true, true));
    f.storing_jobs();
    f.queue.expect_publish().with(eq(JobMessage::Inference { job_id: 20 })).times(1).returning(|_| Ok(()));
    let job = f.build().submit_inference(&user(2), 3, rows(2, 3), Some("try".into())).await.unwrap();
    assert_eq!((job.id, job.user_id, job.status, job.description.as_str()), (20, 2, JobStatus::Queued, "try"));
}

#[tokio::test]
async fn users_cannot_see_hidden_models_nor_use_unavailable_ones() {
    let mut f = Fixture::new();
    f.with_model(model(3, ModelStatus::Ready, false, true));
    f.with_model(model(4, ModelStatus::Ready, true, false));
    f.jobs.expect_create().never();
    let service = f.build();
    assert!(matches!(service.submit_inference(&user(2), 3, rows(1, 3), None).await, Err(AiError::ModelNotFound)));
    let err = service.submit_inference(&user(2), 4, rows(1, 3), None).await.unwrap_err();
    assert!(matches!(err, AiError::ModelNotReady(ref m) if m.contains("not available")), "{err:?}");
}

#[tokio::test]
async fn nobody_infers_with_a_model_that_is_not_ready() {
    for status in [ModelStatus::Queued, ModelStatus::Training, ModelStatus::Failed] {
        let mut f = Fixture::new();
        f.with_model(model(3, status, true, true));
        f.jobs.expect_create().never();
        let err = f.build().submit_inference(&admin(1), 3, rows(1, 3), None).await.unwrap_err();
        assert!(matches!(err, AiError::ModelNotReady(ref m) if m.contains(status.as_str())), "{err:?}");
    }
}

#[tokio::test]
async fn admins_infer_with_any_ready_model() {
    let mut f = Fixture::new();
    f.with_model(model(3, ModelStatus::Ready, false, false));
    f.storing_jobs();
    f.queue.expect_publish().returning(|_| Ok(()));
    assert!(f.build().submit_inference(&admin(1), 3, rows(1, 3), None).await.is_ok());
}

#[tokio::test]
async fn inputs_of_the_wrong_width_are_refused_naming_the_feature_count() {
    let mut f = Fixture::new();
    f.with_model(model(3, ModelStatus::Ready, true, true));
    f.jobs.expect_create().never();
    let service = f.build();
    let err = service.submit_inference(&user(2), 3, vec![vec![1.0, 2.0, 3.0], vec![1.0]], None).await.unwrap_err();
    assert_eq!(messages(err, "inputs"), ["row 2 has 1 values; the model expects 3 (one per feature: x0, x1, x2)"]);
    assert_eq!(fields(service.submit_inference(&user(2), 3, vec![], None).await.unwrap_err()), ["inputs"]);
    assert_eq!(fields(service.submit_inference(&user(2), 3, rows(1001, 3), None).await.unwrap_err()), ["inputs"]);
    let long = Some("d".repeat(257));
    assert_eq!(fields(service.submit_inference(&user(2), 3, rows(1, 3), long).await.unwrap_err()), ["description"]);
}

#[tokio::test]
async fn an_inference_that_cannot_be_queued_is_not_kept() {
    let mut f = Fixture::new();
    f.with_model(model(3, ModelStatus::Ready, true, true));
    f.storing_jobs();
    f.queue.expect_publish().returning(|_| Err(InfraError::unavailable("no confirmation in 5 s")));
    f.jobs.expect_delete().with(eq(20)).times(1).returning(|_| Ok(true));
    let err = f.build().submit_inference(&user(2), 3, rows(1, 3), None).await.unwrap_err();
    assert!(matches!(err, AiError::QueueUnavailable(_)), "{err:?}");
}

#[tokio::test]
async fn users_list_their_own_jobs_and_admins_anyones() {
    let mut f = Fixture::new();
    f.jobs.expect_list().with(eq(Some(2)), always()).times(2).returning(|_, _| Ok(Page::empty()));
    f.jobs.expect_list().with(eq(Some(5)), always()).times(1).returning(|_, _| Ok(Page::empty()));
    f.jobs.expect_list().with(eq(None), always()).times(1).returning(|_, _| Ok(Page::empty()));
    let service = f.build();
    let page = PageRequest::new(Some(5), Some(Cursor::by_id(40))).unwrap();
    service.list_inferences(&user(2), None, page).await.unwrap();
    service.list_inferences(&user(2), Some(2), page).await.unwrap();
    assert!(matches!(service.list_inferences(&user(2), Some(5), page).await, Err(AiError::AdminRequired)));
    service.list_inferences(&admin(1), Some(5), page).await.unwrap();
    service.list_inferences(&admin(1), None, page).await.unwrap();
}

#[tokio::test]
async fn another_users_job_does_not_exist_but_admins_see_it() {
    let mut f = Fixture::new();
    f.with_job(job(20, 2, JobStatus::Queued));
    f.jobs.expect_delete().with(eq(20)).times(1).returning(|_| Ok(true));
    let service = f.build();
    assert!(matches!(service.get_inference(&user(3), 20, None).await, Err(AiError::JobNotFound)));
    assert!(matches!(service.update_inference(&user(3), 20, "x").await, Err(AiError::JobNotFound)));
    assert!(matches!(service.delete_inference(&user(3), 20).await, Err(AiError::JobNotFound)));
    assert!(service.get_inference(&admin(1), 20, None).await.is_ok());
    service.delete_inference(&admin(1), 20).await.unwrap();
}

#[tokio::test]
async fn only_the_owner_edits_a_job_description() {
    let mut f = Fixture::new();
    f.with_job(job(20, 2, JobStatus::Succeeded));
    f.jobs.expect_set_description().returning(|id, description, _| {
        Ok(Some(InferenceJob { description: description.as_str().to_owned(), ..job(id, 2, JobStatus::Succeeded) }))
    });
    let service = f.build();
    assert!(matches!(service.update_inference(&admin(1), 20, "x").await, Err(AiError::NotJobOwner)));
    assert_eq!(service.update_inference(&user(2), 20, "mine").await.unwrap().description, "mine");
    assert_eq!(fields(service.update_inference(&user(2), 20, &"d".repeat(257)).await.unwrap_err()), ["description"]);
}

#[tokio::test]
async fn wait_must_lie_between_zero_and_thirty_seconds() {
    let service = Fixture::new().build();
    for wait in [-1, 31, 1000] {
        assert_eq!(fields(service.get_inference(&user(2), 20, Some(wait)).await.unwrap_err()), ["wait"]);
    }
}

#[tokio::test]
async fn waiting_watches_before_reading_and_reads_again_when_the_job_ends() {
    let mut f = Fixture::new();
    let watching = Arc::new(AtomicBool::new(false));
    let watched = watching.clone();
    f.watch.expect_watch().with(eq(20), eq(Duration::from_secs(5))).times(1).returning(move |_, _| {
        watched.store(true, Ordering::SeqCst);
        Box::pin(async {})
    });
    let was_watching = watching.clone();
    let mut reads = vec![job(20, 2, JobStatus::Running), job(20, 2, JobStatus::Succeeded)].into_iter();
    f.jobs.expect_find().times(2).returning(move |_| {
        assert!(was_watching.load(Ordering::SeqCst), "the watch must be registered before the first read");
        Ok(reads.next())
    });
    let finished = f.build().get_inference(&user(2), 20, Some(5)).await.unwrap();
    assert_eq!(finished.status, JobStatus::Succeeded);
}

#[tokio::test]
async fn a_finished_job_is_answered_at_once_even_with_wait() {
    let mut f = Fixture::new();
    f.watch.expect_watch().returning(|_, _| Box::pin(std::future::pending()));
    f.with_job(job(20, 2, JobStatus::Succeeded));
    let done = f.build().get_inference(&user(2), 20, Some(30)).await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
}

#[tokio::test]
async fn without_wait_nothing_is_watched() {
    let mut f = Fixture::new();
    f.watch.expect_watch().never();
    f.with_job(job(20, 2, JobStatus::Queued));
    let service = f.build();
    assert_eq!(service.get_inference(&user(2), 20, None).await.unwrap().status, JobStatus::Queued);
    assert_eq!(service.get_inference(&user(2), 20, Some(0)).await.unwrap().status, JobStatus::Queued);
}

// ---- datasets -------------------------------------------------------------------------

fn table(rows: usize) -> Table {
    Table { columns: vec!["a".into(), "y".into()], rows: vec![vec![1.0, 2.0]; rows] }
}

#[tokio::test]
async fn an_upload_is_named_after_its_file_by_default() {
    let mut f = Fixture::new();
    f.datasets.expect_find_by_name().with(eq("sales")).returning(|_| Ok(None));
    f.runtime
        .expect_parse_dataset()
        .withf(|csv, limits| csv == b"a,y\n1,2\n" && limits.max_rows == 100)
        .returning(|_, _| Ok(table(12)));
    f.datasets
        .expect_create()
        .withf(|new| new.name.as_str() == "sales" && new.rows == 12 && new.user_id == Some(1))
        .times(1)
        .returning(|new| {
            Ok(Dataset {
                id: 7,
                name: new.name.as_str().to_owned(),
                columns: new.columns,
                rows: new.rows,
                user_id: new.user_id,
                create_date: new.create_date,
            })
        });
    let upload = DatasetUpload { name: None, file_name: Some("sales.csv".into()), content: b"a,y\n1,2\n".to_vec() };
    let dataset = f.build().upload_dataset(&admin(1), upload).await.unwrap();
    assert_eq!((dataset.id, dataset.name.as_str(), dataset.rows), (7, "sales", 12));
}

#[tokio::test]
async fn a_malformed_upload_is_refused_with_its_line() {
    let mut f = Fixture::new();
    f.datasets.expect_find_by_name().returning(|_| Ok(None));
    f.runtime
        .expect_parse_dataset()
        .returning(|_, _| Err(DatasetError::new("not a number: \"abc\"").at_line(7).in_column("b")));
    f.datasets.expect_create().never();
    let upload = DatasetUpload { name: Some("d".into()), file_name: None, content: b"x".to_vec() };
    let err = f.build().upload_dataset(&admin(1), upload).await.unwrap_err();
    assert!(matches!(err, AiError::MalformedDataset(ref e) if e.line == Some(7)), "{err:?}");
}

#[tokio::test]
async fn an_oversized_upload_is_refused_before_parsing() {
    let mut f = Fixture::new();
    f.runtime.expect_parse_dataset().never();
    let upload = DatasetUpload { name: Some("d".into()), file_name: None, content: vec![b'1'; 1001] };
    let err = f.build().upload_dataset(&admin(1), upload).await.unwrap_err();
    assert!(matches!(err, AiError::DatasetTooLarge { max_bytes: 1000 }), "{err:?}");
}

#[tokio::test]
async fn a_taken_dataset_name_is_a_conflict_and_a_nameless_upload_is_invalid() {
    let mut f = Fixture::new();
    f.datasets.expect_find_by_name().returning(|_| Ok(Some(ai_test(1))));
    let upload = DatasetUpload { name: Some("ai_test".into()), file_name: None, content: b"a".to_vec() };
    let service = f.build();
    assert!(matches!(service.upload_dataset(&admin(1), upload).await, Err(AiError::DatasetNameTaken)));
    let nameless = DatasetUpload { name: None, file_name: None, content: b"a".to_vec() };
    assert_eq!(fields(service.upload_dataset(&admin(1), nameless).await.unwrap_err()), ["name"]);
}

#[tokio::test]
async fn the_shipped_dataset_is_stored_once_whatever_the_upload_limits() {
    let mut f = Fixture::new();
    f.datasets.expect_find_by_name().with(eq("ai_test")).times(1).returning(|_| Ok(None));
    f.runtime
        .expect_parse_dataset()
        .withf(|csv, limits| limits.max_bytes == csv.len() && limits.max_rows == usize::MAX)
        .returning(|_, _| Ok(table(10_000)));
    f.datasets
        .expect_create()
        .withf(|new| new.user_id.is_none() && new.rows == 10_000)
        .times(1)
        .returning(|_| Err(DatasetWriteError::NameTaken));
    // Another instance stored it first: that is fine.
    assert!(!f.build().ensure_dataset("ai_test", &[b'x'; 5000]).await.unwrap());

    let mut f = Fixture::new();
    f.with_default_dataset();
    f.datasets.expect_create().never();
    assert!(!f.build().ensure_dataset("ai_test", b"x").await.unwrap());
}

#[tokio::test]
async fn pending_jobs_are_queued_again() {
    let mut f = Fixture::new();
    f.models.expect_pending().returning(|| Ok(vec![(3, TaskId::new("t3"))]));
    f.jobs.expect_pending().returning(|| Ok(vec![20, 21]));
    f.queue.expect_publish().times(3).returning(|_| Ok(()));
    assert_eq!(f.build().resume_pending().await.unwrap(), 3);
}
