//! [`InProcessJobQueue`]: the job queue of the embedded default. Messages go through a
//! Tokio channel to a bounded number of job slots in the app itself, which run the same
//! [`JobRunner`] as `ai-worker`.
//!
//! The database, not the channel, is what is durable here: jobs queued or running when
//! the app stops stay so in the database, and the app queues them again at its next start
//! (`AiService::resume_pending`).

use std::sync::Arc;
use std::time::Duration;

use ai::ports::JobQueue;
use ai::{JobMessage, JobRunner, RunOutcome};
use async_trait::async_trait;
use kernel::InfraError;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};

use super::shutdown::{Shutdown, ShutdownTrigger};

/// How the in-process queue runs jobs.
#[derive(Debug, Clone)]
pub struct LocalQueueSettings {
    /// Jobs running at once.
    pub concurrency: usize,
    /// Pause before a job whose attempt failed for a passing reason runs again.
    pub retry_delay: Duration,
    /// On shutdown, how long running jobs may take to finish.
    pub shutdown_grace: Duration,
}

/// The sending side, handed to the service as its [`JobQueue`].
#[derive(Clone)]
pub struct InProcessJobQueue {
    sender: mpsc::UnboundedSender<JobMessage>,
}

/// The running job slots; stop them on shutdown.
pub struct LocalWorkers {
    trigger: ShutdownTrigger,
    dispatcher: JoinHandle<()>,
}

impl InProcessJobQueue {
    /// Starts the job slots on the current Tokio runtime.
    pub fn start(runner: Arc<JobRunner>, settings: LocalQueueSettings) -> (InProcessJobQueue, LocalWorkers) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let (trigger, shutdown) = ShutdownTrigger::new();
        let dispatcher = tokio::spawn(dispatch(runner, receiver, sender.clone(), settings, shutdown));
        (InProcessJobQueue { sender }, LocalWorkers { trigger, dispatcher })
    }
}

#[async_trait]
impl JobQueue for InProcessJobQueue {
    async fn publish(&self, message: JobMessage) -> Result<(), InfraError> {
        // The job's row is already committed; that is what survives a restart.
        self.sender.send(message).map_err(|_| InfraError::unavailable("the in-process job queue has stopped"))
    }
}

impl LocalWorkers {
    /// Stops taking jobs, lets running ones finish within the grace period, and returns
    /// once the slots are idle. Unfinished jobs are resumed at the next start.
    pub async fn stop(self) {
        self.trigger.trigger();
        if let Err(err) = self.dispatcher.await {
            tracing::error!(error = %err, "the in-process job queue ended abnormally");
        }
    }
}

async fn dispatch(
    runner: Arc<JobRunner>,
    mut receiver: mpsc::UnboundedReceiver<JobMessage>,
    sender: mpsc::UnboundedSender<JobMessage>,
    settings: LocalQueueSettings,
    mut shutdown: Shutdown,
) {
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut running = JoinSet::new();
    loop {
        let message = tokio::select! {
            message = receiver.recv() => message,
            Some(_) = running.join_next(), if !running.is_empty() => continue,
            () = shutdown.wait() => break,
        };
        let Some(message) = message else { break };
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit,
            () = shutdown.wait() => break,
        };
        let Ok(permit) = permit else { break };
        let runner = runner.clone();
        let sender = sender.clone();
        let retry_delay = settings.retry_delay;
        let mut shutdown = shutdown.clone();
        running.spawn(async move {
            let outcome = runner.run(&message).await;
            drop(permit);
            if let RunOutcome::Retry(_) = outcome {
                tokio::select! {
                    () = tokio::time::sleep(retry_delay) => {
                        let _ = sender.send(message);
                    }
                    // Left queued in the database; resumed at the next start.
                    () = shutdown.wait() => {}
                }
            }
        });
    }
    receiver.close();
    if !running.is_empty() {
        tracing::info!(jobs = running.len(), "waiting for running AI jobs to finish");
        let drained =
            tokio::time::timeout(settings.shutdown_grace, async { while running.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(jobs = running.len(), "AI jobs still running are left for the next start");
            running.abort_all();
            while running.join_next().await.is_some() {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use ai::learning::{MockLearningRuntime, MockLoadedModel, MockTrainer, ModelArtifact};
    use ai::ports::{
        MockDatasetRepository, MockInferenceJobRepository, MockJobEvents, MockModelRepository, MockModelStore,
        StoredArtifact,
    };
    use ai::{ArtifactVersion, InferenceJob, JobStatus, RunnerConfig, RunnerPorts};
    use chrono::Utc;
    use kernel::SystemClock;

    use super::*;

    fn settings(concurrency: usize) -> LocalQueueSettings {
        LocalQueueSettings {
            concurrency,
            retry_delay: Duration::from_millis(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }

    fn runner(jobs: MockInferenceJobRepository, runtime: MockLearningRuntime, events: MockJobEvents) -> Arc<JobRunner> {
        let mut models = MockModelRepository::new();
        models.expect_find().returning(|id| {
            Ok(Some(ai::Model {
                id,
                name: "m".into(),
                description: String::new(),
                algorithm: ai::learning::Algorithm::LinearRegression,
                dataset_id: 1,
                target: "y".into(),
                features: vec!["a".into()],
                status: ai::ModelStatus::Ready,
                error: None,
                metrics: None,
                is_visible: true,
                is_available: true,
                task_id: None,
                user_id: None,
                attempts: 1,
                create_date: Utc::now(),
                update_date: Utc::now(),
                finish_date: Some(chrono::DateTime::UNIX_EPOCH),
            }))
        });
        let mut store = MockModelStore::new();
        store.expect_load().returning(|_| {
            Ok(Some(StoredArtifact {
                version: ArtifactVersion(chrono::DateTime::UNIX_EPOCH),
                artifact: ModelArtifact { format: "f".into(), bytes: vec![] },
            }))
        });
        Arc::new(JobRunner::new(
            RunnerPorts {
                datasets: Arc::new(MockDatasetRepository::new()),
                models: Arc::new(models),
                jobs: Arc::new(jobs),
                store: Arc::new(store),
                trainer: Arc::new(MockTrainer::new()),
                runtime: Arc::new(runtime),
                events: Arc::new(events),
                clock: Arc::new(SystemClock),
            },
            RunnerConfig::default(),
        ))
    }

    fn queued(id: i64) -> InferenceJob {
        InferenceJob {
            id,
            user_id: 1,
            model_id: 1,
            description: String::new(),
            status: JobStatus::Queued,
            result: None,
            error: None,
            attempts: 0,
            create_date: Utc::now(),
            update_date: Utc::now(),
            finish_date: None,
        }
    }

    /// Jobs that are always found queued and whose every transition succeeds.
    fn jobs() -> MockInferenceJobRepository {
        let mut jobs = MockInferenceJobRepository::new();
        jobs.expect_find().returning(|id| Ok(Some(queued(id))));
        jobs.expect_inputs().returning(|_| Ok(Some(vec![vec![1.0]])));
        jobs.expect_transition().returning(|_, _, _| Ok(true));
        jobs
    }

    fn loading_runtime() -> MockLearningRuntime {
        let mut runtime = MockLearningRuntime::new();
        runtime.expect_load_model().returning(|_| Ok(Arc::new(MockLoadedModel::new())));
        runtime
    }

    async fn wait_for(what: &str, condition: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !condition() {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn runs_every_job_with_at_most_the_configured_slots_busy() {
        let busy = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut runtime = loading_runtime();
        let (b, m) = (busy.clone(), most.clone());
        runtime.expect_predict().returning(move |_, _| {
            let now = b.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(30));
            b.fetch_sub(1, Ordering::SeqCst);
            Ok(vec![1.0])
        });
        let finished = Arc::new(Mutex::new(Vec::new()));
        let mut events = MockJobEvents::new();
        let f = finished.clone();
        events.expect_inference_finished().returning(move |id| f.lock().unwrap().push(id));
        let (queue, workers) = InProcessJobQueue::start(runner(jobs(), runtime, events), settings(2));
        for id in 1..=6 {
            queue.publish(JobMessage::Inference { job_id: id }).await.unwrap();
        }
        wait_for("six finished jobs", || finished.lock().unwrap().len() == 6).await;
        assert!(most.load(Ordering::SeqCst) <= 2, "{} jobs ran at once", most.load(Ordering::SeqCst));
        let mut ids = finished.lock().unwrap().clone();
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
        workers.stop().await;
    }

    #[tokio::test]
    async fn a_job_asking_for_a_retry_runs_again_after_the_delay() {
        let mut jobs = MockInferenceJobRepository::new();
        let reads = Arc::new(AtomicUsize::new(0));
        let r = reads.clone();
        jobs.expect_find().returning(move |id| {
            if r.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(InfraError::unavailable("database restarting"))
            } else {
                Ok(Some(InferenceJob { status: JobStatus::Succeeded, ..queued(id) }))
            }
        });
        let (queue, workers) =
            InProcessJobQueue::start(runner(jobs, MockLearningRuntime::new(), MockJobEvents::new()), settings(1));
        queue.publish(JobMessage::Inference { job_id: 4 }).await.unwrap();
        wait_for("the second attempt", || reads.load(Ordering::SeqCst) == 2).await;
        workers.stop().await;
    }

    #[tokio::test]
    async fn a_stopped_queue_refuses_jobs_as_unavailable() {
        let (queue, workers) =
            InProcessJobQueue::start(runner(jobs(), loading_runtime(), MockJobEvents::new()), settings(1));
        workers.stop().await;
        let err = queue.publish(JobMessage::Inference { job_id: 1 }).await.unwrap_err();
        assert!(matches!(err, InfraError::Unavailable(_)), "{err:?}");
    }
}
