//! [`BlockingLearningRuntime`]: the [`LearningRuntime`] port, running the CSV parser and
//! the smartcore predictor on Tokio's blocking pool.

use std::sync::Arc;

use ai::learning::{
    DatasetError, DatasetLimits, DatasetParser, LearningError, LearningRuntime, LoadedModel, ModelArtifact, Predictor,
    Table,
};
use async_trait::async_trait;
use tokio::task::JoinError;

use crate::{CsvDatasetParser, SmartcorePredictor};

/// Parses, loads and predicts off the async executor. Needs a Tokio runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockingLearningRuntime;

/// What a blocking task that panicked or was cancelled left behind.
fn lost(err: JoinError) -> String {
    match err.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned()),
        Err(err) => err.to_string(),
    }
}

#[async_trait]
impl LearningRuntime for BlockingLearningRuntime {
    async fn parse_dataset(&self, csv: Vec<u8>, limits: DatasetLimits) -> Result<Table, DatasetError> {
        tokio::task::spawn_blocking(move || CsvDatasetParser.parse(&csv, &limits))
            .await
            .map_err(|err| DatasetError::new(format!("the file could not be parsed: {}", lost(err))))?
    }

    async fn load_model(&self, artifact: ModelArtifact) -> Result<Arc<dyn LoadedModel>, LearningError> {
        tokio::task::spawn_blocking(move || SmartcorePredictor.load(&artifact))
            .await
            .map_err(|err| LearningError::Artifact(format!("loading failed: {}", lost(err))))?
    }

    async fn predict(&self, model: Arc<dyn LoadedModel>, inputs: Vec<Vec<f64>>) -> Result<Vec<f64>, LearningError> {
        tokio::task::spawn_blocking(move || model.predict(&inputs))
            .await
            .map_err(|err| LearningError::Artifact(format!("prediction failed: {}", lost(err))))?
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use ai::learning::{Algorithm, Trainer};

    use super::*;
    use crate::SmartcoreTrainer;
    use crate::test_support::{LIMITS, ai_test_spec};

    #[tokio::test]
    async fn parses_loads_and_predicts_the_shipped_dataset() {
        let runtime = BlockingLearningRuntime;
        let table = runtime.parse_dataset(crate::AI_TEST_CSV.as_bytes().to_vec(), LIMITS).await.unwrap();
        assert_eq!(table.rows.len(), 10_000);
        let trained = SmartcoreTrainer.train(table, ai_test_spec(Algorithm::LinearRegression)).await.unwrap();
        let model = runtime.load_model(trained.artifact).await.unwrap();
        let predictions = runtime.predict(model, vec![vec![1.0; 8]]).await.unwrap();
        assert!((predictions[0] - 34.15).abs() < 1e-9, "{predictions:?}");
    }

    #[tokio::test]
    async fn reports_parse_errors_with_their_line() {
        let err = BlockingLearningRuntime.parse_dataset(b"a,b\n1,x\n".to_vec(), LIMITS).await.unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    /// A model whose prediction takes long and counts how often it ran.
    #[derive(Debug)]
    struct Slow(AtomicUsize);

    impl LoadedModel for Slow {
        fn feature_count(&self) -> usize {
            1
        }

        fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<f64>, LearningError> {
            std::thread::sleep(Duration::from_millis(50));
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(inputs.iter().map(|row| row[0]).collect())
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn prediction_leaves_the_async_executor_free() {
        let ticks = AtomicUsize::new(0);
        let ticker = async {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        };
        let model = Arc::new(Slow(AtomicUsize::new(0)));
        let predicting = BlockingLearningRuntime.predict(model.clone(), vec![vec![2.0]]);
        let predictions = tokio::select! {
            predictions = predicting => predictions.unwrap(),
            () = ticker => unreachable!(),
        };
        assert_eq!(predictions, [2.0]);
        assert_eq!(model.0.load(Ordering::SeqCst), 1);
        // On a single-threaded runtime the ticker only ran if the prediction was elsewhere.
        assert!(ticks.load(Ordering::Relaxed) > 0);
    }
}
