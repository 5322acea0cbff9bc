//! The adapter as the application wires it: behind the AI domain's port traits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ai::learning::{Algorithm, DatasetLimits, DatasetParser, Metrics, Predictor, Trainer, TrainingSpec};
use ml::{AI_TEST_CSV, AI_TEST_NAME, CsvDatasetParser, SmartcorePredictor, SmartcoreTrainer};

#[tokio::test]
async fn ai_test_parses_trains_reloads_and_predicts_through_the_ports() {
    let parser: Arc<dyn DatasetParser> = Arc::new(CsvDatasetParser);
    let trainer: Arc<dyn Trainer> = Arc::new(SmartcoreTrainer);
    let predictor: Arc<dyn Predictor> = Arc::new(SmartcorePredictor);
    let limits = DatasetLimits { max_bytes: 1 << 20, max_rows: 10_000, max_columns: 64 };

    assert_eq!(AI_TEST_NAME, "ai_test");
    let table = parser.parse(AI_TEST_CSV.as_bytes(), &limits).unwrap();
    let (target, features) = table.columns.split_last().unwrap();
    let spec = TrainingSpec::new(Algorithm::default(), features.to_vec(), target.clone(), 7);
    let trained = trainer.train(table, spec).await.unwrap();
    assert!(trained.metrics.r2 > 0.999, "{:?}", trained.metrics);
    assert_eq!(trained.metrics.train_rows + trained.metrics.test_rows, 10_000);

    let model = predictor.load(&trained.artifact).unwrap();
    assert_eq!(model.feature_count(), 8);
    // 4 + 5 + 2 + 7 + 0.1 + 15 + 0.05 + 1
    let predictions = model.predict(&[vec![1.0; 8], vec![0.0; 8]]).unwrap();
    assert!((predictions[0] - 34.15).abs() < 1e-9, "{predictions:?}");
    assert!(predictions[1].abs() < 1e-9, "{predictions:?}");
}

#[test]
fn algorithms_and_metrics_serialise_with_the_api_names() {
    assert_eq!(
        serde_json::to_string(&Algorithm::ALL).unwrap(),
        r#"["linear_regression","ridge","lasso","decision_tree","random_forest"]"#
    );
    let metrics = Metrics { rmse: 0.5, r2: 0.75, train_rows: 7, test_rows: 3 };
    assert_eq!(serde_json::to_string(&metrics).unwrap(), r#"{"rmse":0.5,"r2":0.75,"train_rows":7,"test_rows":3}"#);
}
