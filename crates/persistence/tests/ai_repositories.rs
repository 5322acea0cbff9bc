//! The AI repositories on the backend of `AGORA_TEST_DATABASE_URL` (SQLite when unset):
//! guarded status changes, results written once, artifacts saved with their model's status,
//! and pages that leave the large columns out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ai::learning::{Algorithm, Metrics, ModelArtifact, TrainedModel};
use ai::ports::{
    DatasetRepository, DatasetWriteError, InferenceJobRepository, JobChange, ModelFilter, ModelRepository, ModelStore,
    ModelWriteError, PendingCounts, TrainingChange,
};
use ai::{
    ArtifactVersion, DatasetName, Description, InferenceInputs, JobResult, JobStatus, ModelChanges, ModelName,
    ModelStatus, NewDataset, NewInferenceJob, NewModel, TaskId,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use identity::ports::UserRepository;
use identity::{Email, NewUser, PasswordHash, UserName};
use kernel::{Cursor, PageRequest};
use persistence::ai::{SqlDatasetRepository, SqlInferenceJobRepository, SqlModelRepository, SqlModelStore};
use persistence::identity::SqlUserRepository;
use testdb::{TestDatabase, fresh_database_from_env};

async fn database() -> TestDatabase {
    fresh_database_from_env().await.unwrap_or_else(|e| panic!("cannot prepare the test database: {e}"))
}

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::seconds(seconds) + Duration::microseconds(250)
}

/// The repositories of one database, with a user and a dataset to hang models on.
struct Ai {
    datasets: SqlDatasetRepository,
    models: SqlModelRepository,
    store: SqlModelStore,
    jobs: SqlInferenceJobRepository,
    user_id: i64,
    dataset_id: i64,
    db: TestDatabase,
}

impl Ai {
    async fn new() -> Ai {
        let db = database().await;
        let users = SqlUserRepository::new(db.conn.clone());
        let user = users
            .create(NewUser {
                name: UserName::parse("root").unwrap(),
                email: Email::parse("root@example.com").unwrap(),
                password_hash: PasswordHash::new("$2b$04$hash".into()),
                is_superuser: true,
                join_date: t(0),
            })
            .await
            .unwrap();
        let datasets = SqlDatasetRepository::new(db.conn.clone());
        let dataset = datasets.create(dataset("ai_test", Some(user.id))).await.unwrap();
        Ai {
            models: SqlModelRepository::new(db.conn.clone()),
            store: SqlModelStore::new(db.conn.clone()),
            jobs: SqlInferenceJobRepository::new(db.conn.clone()),
            datasets,
            user_id: user.id,
            dataset_id: dataset.id,
            db,
        }
    }

    fn new_model(&self, name: &str, task: &str) -> NewModel {
        NewModel {
            name: ModelName::parse(name).unwrap(),
            description: Description::parse("a model").unwrap(),
            algorithm: Algorithm::LinearRegression,
            dataset_id: self.dataset_id,
            target: "y".into(),
            features: vec!["a".into(), "b".into()],
            is_visible: true,
            user_id: self.user_id,
            task_id: TaskId::new(task),
            create_date: t(1),
        }
    }

    fn new_job(&self, model_id: i64, rows: Vec<Vec<f64>>) -> NewInferenceJob {
        let features = ["a".to_owned(), "b".to_owned()];
        NewInferenceJob {
            user_id: self.user_id,
            model_id,
            description: Description::parse("job").unwrap(),
            inputs: InferenceInputs::parse(rows, &features).unwrap(),
            create_date: t(2),
        }
    }

    async fn close(self) {
        self.db.close().await.unwrap();
    }
}

fn dataset(name: &str, user_id: Option<i64>) -> NewDataset {
    NewDataset {
        name: DatasetName::parse(name).unwrap(),
        columns: vec!["a".into(), "b".into(), "y".into()],
        rows: 2,
        content: b"a,b,y\n1,2,3\n4,5,6\n".to_vec(),
        user_id,
        create_date: t(0),
    }
}

fn trained(format: &str, bytes: &[u8]) -> TrainedModel {
    TrainedModel {
        artifact: ModelArtifact { format: format.into(), bytes: bytes.to_vec() },
        metrics: Metrics { rmse: 0.25, r2: 0.999_5, train_rows: 7, test_rows: 3 },
    }
}

#[tokio::test]
async fn datasets_round_trip_without_their_content_and_names_are_unique() {
    let ai = Ai::new().await;
    let found = ai.datasets.find(ai.dataset_id).await.unwrap().unwrap();
    assert_eq!((found.name.as_str(), found.rows, found.columns.len()), ("ai_test", 2, 3));
    assert_eq!(ai.datasets.find_by_name("ai_test").await.unwrap().unwrap(), found);
    assert_eq!(ai.datasets.content(ai.dataset_id).await.unwrap().unwrap(), b"a,b,y\n1,2,3\n4,5,6\n");
    assert!(ai.datasets.find(ai.dataset_id + 100).await.unwrap().is_none());
    assert!(ai.datasets.content(ai.dataset_id + 100).await.unwrap().is_none());
    let taken = ai.datasets.create(dataset("ai_test", None)).await.unwrap_err();
    assert!(matches!(taken, DatasetWriteError::NameTaken), "{taken:?}");

    for i in 0..4 {
        ai.datasets.create(dataset(&format!("extra{i}"), None)).await.unwrap();
    }
    let first = ai.datasets.list(PageRequest::new(Some(3), None).unwrap()).await.unwrap();
    assert_eq!(first.items.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["ai_test", "extra0", "extra1"]);
    let second = ai.datasets.list(PageRequest::new(Some(3), first.next).unwrap()).await.unwrap();
    assert_eq!(second.items.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["extra2", "extra3"]);
    assert_eq!(second.next, None);
    ai.close().await;
}

#[tokio::test]
async fn models_are_created_queued_and_names_are_unique() {
    let ai = Ai::new().await;
    let model = ai.models.create(ai.new_model("m1", "task-1")).await.unwrap();
    assert_eq!(model.status, ModelStatus::Queued);
    assert_eq!((model.attempts, model.is_available, model.is_visible), (0, false, true));
    assert_eq!(model.features, ["a", "b"]);
    assert_eq!(model.task_id, Some(TaskId::new("task-1")));
    assert_eq!(ai.models.find(model.id).await.unwrap().unwrap(), model);
    assert_eq!(ai.models.find_by_name("m1").await.unwrap().unwrap().id, model.id);
    let taken = ai.models.create(ai.new_model("m1", "task-2")).await.unwrap_err();
    assert!(matches!(taken, ModelWriteError::NameTaken), "{taken:?}");
    ai.close().await;
}

#[tokio::test]
async fn a_training_moves_only_along_the_state_machine_and_only_under_its_task() {
    let ai = Ai::new().await;
    let model = ai.models.create(ai.new_model("m", "task-1")).await.unwrap();
    let task = TaskId::new("task-1");
    let stale = TaskId::new("task-0");

    assert!(!ai.models.transition(model.id, &stale, TrainingChange::Start, t(3)).await.unwrap());
    assert!(ai.models.transition(model.id, &task, TrainingChange::Start, t(3)).await.unwrap());
    // A redelivery starts it again, counting the attempt.
    assert!(ai.models.transition(model.id, &task, TrainingChange::Start, t(4)).await.unwrap());
    let training = ai.models.find(model.id).await.unwrap().unwrap();
    assert_eq!((training.status, training.attempts), (ModelStatus::Training, 2));

    assert!(ai.models.transition(model.id, &task, TrainingChange::Retry("db down".into()), t(5)).await.unwrap());
    let queued = ai.models.find(model.id).await.unwrap().unwrap();
    assert_eq!((queued.status, queued.error.as_deref()), (ModelStatus::Queued, Some("db down")));
    assert!(!ai.models.transition(model.id, &task, TrainingChange::Retry("again".into()), t(5)).await.unwrap());

    assert!(ai.models.transition(model.id, &task, TrainingChange::Fail("singular".into()), t(6)).await.unwrap());
    let failed = ai.models.find(model.id).await.unwrap().unwrap();
    assert_eq!((failed.status, failed.finish_date), (ModelStatus::Failed, Some(t(6))));
    assert!(!ai.models.transition(model.id, &task, TrainingChange::Start, t(7)).await.unwrap());
    ai.close().await;
}

#[tokio::test]
async fn saving_an_artifact_marks_the_model_ready_once_and_retraining_replaces_it() {
    let ai = Ai::new().await;
    let model = ai.models.create(ai.new_model("m", "task-1")).await.unwrap();
    let task = TaskId::new("task-1");
    // Not training yet: nothing is stored.
    assert_eq!(ai.store.save(model.id, &task, trained("f", b"x"), t(3)).await.unwrap(), None);
    assert!(ai.store.load(model.id).await.unwrap().is_none());

    ai.models.transition(model.id, &task, TrainingChange::Start, t(3)).await.unwrap();
    // The longest format name of the smartcore adapter (36 characters).
    let format = "smartcore-0.7-json/linear_regression";
    let version = ai.store.save(model.id, &task, trained(format, &[7; 70_000]), t(4)).await.unwrap();
    assert_eq!(version, Some(ArtifactVersion(t(4))));
    let ready = ai.models.find(model.id).await.unwrap().unwrap();
    assert_eq!((ready.status, ready.is_available, ready.attempts), (ModelStatus::Ready, true, 1));
    assert_eq!(ready.artifact_version(), Some(ArtifactVersion(t(4))));
    assert_eq!(ready.metrics.unwrap().r2, 0.999_5);
    let stored = ai.store.load(model.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.artifact.format.as_str()), (ArtifactVersion(t(4)), format));
    assert_eq!(stored.artifact.bytes, vec![7; 70_000]);
    // A second save of the same training finds the model finished.
    assert_eq!(ai.store.save(model.id, &task, trained("f", b"again"), t(5)).await.unwrap(), None);

    let retrain = TaskId::new("task-2");
    assert!(ai.models.requeue(model.id, &retrain, t(6)).await.unwrap());
    assert!(!ai.models.requeue(model.id, &retrain, t(6)).await.unwrap(), "a queued model is not requeued");
    let queued = ai.models.find(model.id).await.unwrap().unwrap();
    assert_eq!((queued.status, queued.attempts, queued.finish_date), (ModelStatus::Queued, 0, None));
    assert_eq!(queued.artifact_version(), None);
    // The older training's message is stale now.
    assert!(!ai.models.transition(model.id, &task, TrainingChange::Start, t(7)).await.unwrap());
    ai.models.transition(model.id, &retrain, TrainingChange::Start, t(7)).await.unwrap();
    ai.store.save(model.id, &retrain, trained("g", b"new"), t(8)).await.unwrap().unwrap();
    let stored = ai.store.load(model.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.artifact.bytes), (ArtifactVersion(t(8)), b"new".to_vec()));
    ai.close().await;
}

#[tokio::test]
async fn a_requeue_that_could_not_be_sent_is_restored() {
    let ai = Ai::new().await;
    let model = ai.models.create(ai.new_model("m", "task-1")).await.unwrap();
    let task = TaskId::new("task-1");
    ai.models.transition(model.id, &task, TrainingChange::Start, t(3)).await.unwrap();
    ai.store.save(model.id, &task, trained("f", b"x"), t(4)).await.unwrap().unwrap();
    let ready = ai.models.find(model.id).await.unwrap().unwrap();

    let retrain = TaskId::new("task-2");
    ai.models.requeue(model.id, &retrain, t(5)).await.unwrap();
    ai.models.restore(&ready, &TaskId::new("someone-else"), t(6)).await.unwrap();
    assert_eq!(ai.models.find(model.id).await.unwrap().unwrap().status, ModelStatus::Queued);
    ai.models.restore(&ready, &retrain, t(6)).await.unwrap();
    let restored = ai.models.find(model.id).await.unwrap().unwrap();
    assert_eq!(restored.status, ModelStatus::Ready);
    assert_eq!(restored.task_id, Some(task));
    assert_eq!(restored.artifact_version(), ready.artifact_version());
    ai.close().await;
}

#[tokio::test]
async fn model_lists_page_by_id_and_users_see_only_usable_models() {
    let ai = Ai::new().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(ai.models.create(ai.new_model(&format!("m{i}"), &format!("t{i}"))).await.unwrap().id);
    }
    // m1 ready and available; m2 ready but made unavailable; m0 and m3 queued.
    for &id in &ids[1..3] {
        let task = ai.models.find(id).await.unwrap().unwrap().task_id.unwrap();
        ai.models.transition(id, &task, TrainingChange::Start, t(3)).await.unwrap();
        ai.store.save(id, &task, trained("f", b"x"), t(4)).await.unwrap().unwrap();
    }
    let hidden = ModelChanges { is_available: Some(false), ..Default::default() };
    let updated = ai.models.update(ids[2], hidden, t(5)).await.unwrap().unwrap();
    assert!(!updated.is_available);
    assert_eq!(updated.update_date, t(5));
    assert!(ai.models.update(ids[3] + 100, ModelChanges::default(), t(5)).await.unwrap().is_none());

    let usable = ai.models.list(ModelFilter { usable_only: true }, PageRequest::first()).await.unwrap();
    assert_eq!(usable.items.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[1]]);
    let all = ai.models.list(ModelFilter::default(), PageRequest::new(Some(3), None).unwrap()).await.unwrap();
    assert_eq!(all.items.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..3]);
    let rest = ai.models.list(ModelFilter::default(), PageRequest::new(Some(3), all.next).unwrap()).await.unwrap();
    assert_eq!(rest.items.iter().map(|m| m.id).collect::<Vec<_>>(), ids[3..]);

    let pending = ai.models.pending().await.unwrap();
    assert_eq!(pending, [(ids[0], TaskId::new("t0")), (ids[3], TaskId::new("t3"))]);
    assert_eq!(ai.models.count_pending().await.unwrap(), PendingCounts { queued: 2, running: 0 });
    ai.close().await;
}

#[tokio::test]
async fn inputs_and_results_round_trip_exactly_and_a_result_is_written_once() {
    let ai = Ai::new().await;
    let model = ai.models.create(ai.new_model("m", "t")).await.unwrap();
    let rows = vec![vec![0.1, -1e-300], vec![1.0 / 3.0, 123_456_789.123_456_78]];
    let job = ai.jobs.create(ai.new_job(model.id, rows.clone())).await.unwrap();
    assert_eq!((job.status, job.attempts, job.user_id), (JobStatus::Queued, 0, ai.user_id));
    assert_eq!(ai.jobs.find(job.id).await.unwrap().unwrap(), job);
    assert_eq!(ai.jobs.inputs(job.id).await.unwrap().unwrap(), rows);

    let result = JobResult { predictions: vec![2.0 / 3.0, -0.0, 1e300] };
    assert!(!ai.jobs.transition(job.id, JobChange::Succeed(result.clone()), t(3)).await.unwrap(), "not running");
    assert!(ai.jobs.transition(job.id, JobChange::Start, t(3)).await.unwrap());
    assert!(ai.jobs.transition(job.id, JobChange::Start, t(4)).await.unwrap(), "a redelivery starts again");
    assert!(ai.jobs.transition(job.id, JobChange::Succeed(result.clone()), t(5)).await.unwrap());
    let other = JobResult { predictions: vec![9.0] };
    assert!(!ai.jobs.transition(job.id, JobChange::Succeed(other), t(6)).await.unwrap());
    assert!(!ai.jobs.transition(job.id, JobChange::Fail("late".into()), t(6)).await.unwrap());
    assert!(!ai.jobs.transition(job.id, JobChange::Start, t(6)).await.unwrap());
    let done = ai.jobs.find(job.id).await.unwrap().unwrap();
    assert_eq!((done.status, done.attempts, done.finish_date), (JobStatus::Succeeded, 2, Some(t(5))));
    assert_eq!(done.result, Some(result));
    ai.close().await;
}

#[tokio::test]
async fn failed_and_retried_jobs_keep_their_error() {
    let ai = Ai::new().await;
    let model = ai.models.create(ai.new_model("m", "t")).await.unwrap();
    let job = ai.jobs.create(ai.new_job(model.id, vec![vec![1.0, 2.0]])).await.unwrap();
    ai.jobs.transition(job.id, JobChange::Start, t(3)).await.unwrap();
    assert!(ai.jobs.transition(job.id, JobChange::Retry("db down".into()), t(4)).await.unwrap());
    let queued = ai.jobs.find(job.id).await.unwrap().unwrap();
    assert_eq!((queued.status, queued.error.as_deref()), (JobStatus::Queued, Some("db down")));
    assert!(ai.jobs.transition(job.id, JobChange::Fail("gave up".into()), t(5)).await.unwrap());
    let failed = ai.jobs.find(job.id).await.unwrap().unwrap();
    assert_eq!((failed.status, failed.error.as_deref()), (JobStatus::Failed, Some("gave up")));
    assert_eq!(failed.result, None);
    ai.close().await;
}

#[tokio::test]
async fn job_lists_are_newest_first_per_user_or_for_everyone() {
    let ai = Ai::new().await;
    let users = SqlUserRepository::new(ai.db.conn.clone());
    let other = users
        .create(NewUser {
            name: UserName::parse("other").unwrap(),
            email: Email::parse("other@example.com").unwrap(),
            password_hash: PasswordHash::new("$2b$04$hash".into()),
            is_superuser: false,
            join_date: t(0),
        })
        .await
        .unwrap();
    let model = ai.models.create(ai.new_model("m", "t")).await.unwrap();
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(ai.jobs.create(ai.new_job(model.id, vec![vec![f64::from(i), 0.0]])).await.unwrap().id);
        let theirs = NewInferenceJob { user_id: other.id, ..ai.new_job(model.id, vec![vec![0.0, 0.0]]) };
        ai.jobs.create(theirs).await.unwrap();
    }
    let first = ai.jobs.list(Some(ai.user_id), PageRequest::new(Some(2), None).unwrap()).await.unwrap();
    assert_eq!(first.items.iter().map(|j| j.id).collect::<Vec<_>>(), [mine[2], mine[1]]);
    assert_eq!(first.next, Some(Cursor::by_id(mine[1])));
    let second = ai.jobs.list(Some(ai.user_id), PageRequest::new(Some(2), first.next).unwrap()).await.unwrap();
    assert_eq!(second.items.iter().map(|j| j.id).collect::<Vec<_>>(), [mine[0]]);
    assert_eq!(ai.jobs.list(None, PageRequest::first()).await.unwrap().items.len(), 6);

    let renamed = ai.jobs.set_description(mine[0], Description::parse("mine").unwrap(), t(9)).await.unwrap();
    assert_eq!(renamed.unwrap().description, "mine");
    assert_eq!(ai.jobs.pending().await.unwrap().len(), 6);
    ai.jobs.transition(mine[0], JobChange::Start, t(9)).await.unwrap();
    assert_eq!(ai.jobs.count_pending().await.unwrap(), PendingCounts { queued: 5, running: 1 });
    assert!(ai.jobs.delete(mine[0]).await.unwrap());
    assert!(!ai.jobs.delete(mine[0]).await.unwrap());
    assert!(ai.jobs.set_description(mine[0], Description::default(), t(9)).await.unwrap().is_none());
    ai.close().await;
}

#[tokio::test]
async fn deleting_a_model_deletes_its_artifact_and_jobs() {
    let ai = Ai::new().await;
    let model = ai.models.create(ai.new_model("m", "t")).await.unwrap();
    let task = TaskId::new("t");
    ai.models.transition(model.id, &task, TrainingChange::Start, t(3)).await.unwrap();
    ai.store.save(model.id, &task, trained("f", b"x"), t(4)).await.unwrap().unwrap();
    let job = ai.jobs.create(ai.new_job(model.id, vec![vec![1.0, 2.0]])).await.unwrap();
    assert!(ai.models.delete(model.id).await.unwrap());
    assert!(!ai.models.delete(model.id).await.unwrap());
    assert!(ai.models.find(model.id).await.unwrap().is_none());
    assert!(ai.store.load(model.id).await.unwrap().is_none());
    assert!(ai.jobs.find(job.id).await.unwrap().is_none());
    ai.close().await;
}
