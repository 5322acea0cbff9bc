//! [`SmartcoreTrainer`]: the [`Trainer`] port on smartcore, fitting on Tokio's blocking
//! pool.

use ai::learning::{Algorithm, LearningError, Metrics, Table, TrainedModel, Trainer, TrainingSpec};
use async_trait::async_trait;

use crate::evaluation::{r2, rmse, test_rows, train_test_split};
use crate::model::{Regressor, matrix};

/// Trains linear regression, ridge, lasso, a decision tree or a random forest with
/// smartcore. Needs a Tokio runtime: the fit runs in `spawn_blocking`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmartcoreTrainer;

#[async_trait]
impl Trainer for SmartcoreTrainer {
    async fn train(&self, table: Table, spec: TrainingSpec) -> Result<TrainedModel, LearningError> {
        tokio::task::spawn_blocking(move || fit(&table, &spec).map(|fitted| fitted.model)).await.map_err(|err| {
            let reason = match err.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned()),
                Err(err) => err.to_string(),
            };
            LearningError::Training(format!("the training task failed: {reason}"))
        })?
    }
}

/// A trained model with what it predicted for the test rows.
pub(crate) struct Fitted {
    pub(crate) model: TrainedModel,
    /// Only the tests read them, to compare with a reloaded model.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) test_predictions: Vec<f64>,
}

/// The whole training, synchronously: check, split, fit, evaluate, serialise.
pub(crate) fn fit(table: &Table, spec: &TrainingSpec) -> Result<Fitted, LearningError> {
    let (features, target) = resolve_columns(table, spec)?;
    check_table(table, &features, target)?;

    let split = train_test_split(table.rows.len(), spec.test_fraction, spec.seed);
    let select = |indices: &[usize]| -> Vec<&[f64]> { indices.iter().map(|&i| table.rows[i].as_slice()).collect() };
    let (train, test) = (select(&split.train), select(&split.test));
    let training_failed = |err: smartcore::error::Failed| LearningError::Training(err.to_string());

    if matches!(spec.algorithm, Algorithm::Ridge | Algorithm::Lasso) {
        // smartcore standardises the features for these and fails on a constant one;
        // say which, by name.
        if let Some(&column) = features.iter().find(|&&column| is_constant(&train, column)) {
            return Err(LearningError::Training(format!(
                "{} cannot use feature {:?}: it has the same value in every training row",
                spec.algorithm, table.columns[column]
            )));
        }
    }
    let train_x = matrix(&train, &features).map_err(training_failed)?;
    let train_y: Vec<f64> = train.iter().map(|row| row[target]).collect();
    let regressor = Regressor::fit(spec.algorithm, &train_x, &train_y, spec.seed).map_err(training_failed)?;

    let test_x = matrix(&test, &features).map_err(training_failed)?;
    let test_y: Vec<f64> = test.iter().map(|row| row[target]).collect();
    let test_predictions = regressor.predict(&test_x).map_err(training_failed)?;
    if test_predictions.iter().any(|value| !value.is_finite()) {
        return Err(LearningError::Training("the model predicts non-finite values for this data".to_owned()));
    }
    let metrics = Metrics {
        rmse: rmse(&test_y, &test_predictions),
        r2: r2(&test_y, &test_predictions),
        train_rows: train.len() as u64,
        test_rows: test.len() as u64,
    };
    let artifact = regressor.to_artifact(features.len())?;
    Ok(Fitted { model: TrainedModel { artifact, metrics }, test_predictions })
}

/// Column indices of the features and the target, after checking the spec against the
/// table.
fn resolve_columns(table: &Table, spec: &TrainingSpec) -> Result<(Vec<usize>, usize), LearningError> {
    let invalid = |message: String| Err(LearningError::InvalidSpec(message));
    let index = |name: &str| {
        table.column_index(name).ok_or_else(|| LearningError::InvalidSpec(format!("unknown column {name:?}")))
    };
    if spec.features.is_empty() {
        return invalid("at least one feature is required".to_owned());
    }
    let target = index(&spec.target)?;
    let mut features = Vec::with_capacity(spec.features.len());
    for name in &spec.features {
        let column = index(name)?;
        if column == target {
            return invalid(format!("the target {name:?} cannot also be a feature"));
        }
        if features.contains(&column) {
            return invalid(format!("feature {name:?} is listed twice"));
        }
        features.push(column);
    }
    if !(spec.test_fraction > 0.0 && spec.test_fraction < 1.0) {
        return invalid(format!("the test fraction must lie between 0 and 1, exclusive; got {}", spec.test_fraction));
    }
    let rows = table.rows.len();
    let train_rows = rows - test_rows(rows, spec.test_fraction);
    // Least squares needs more rows than unknowns (the coefficients and the intercept).
    let needed = features.len() + 1;
    if train_rows < needed {
        return invalid(format!(
            "too few rows: {rows} rows leave {train_rows} for training; {} features need at \
             least {needed}",
            features.len()
        ));
    }
    Ok((features, target))
}

/// The parser guarantees the [`Table`] invariant; a table built elsewhere may break it.
fn check_table(table: &Table, features: &[usize], target: usize) -> Result<(), LearningError> {
    let width = table.columns.len();
    for (i, row) in table.rows.iter().enumerate() {
        if row.len() != width {
            return Err(LearningError::Input(format!(
                "row {} has {} values; the table has {width} columns",
                i + 1,
                row.len()
            )));
        }
        if let Some(&column) = features.iter().chain([&target]).find(|&&column| !row[column].is_finite()) {
            return Err(LearningError::Input(format!(
                "row {}, column {:?}: the value is not finite",
                i + 1,
                table.columns[column]
            )));
        }
    }
    Ok(())
}

fn is_constant(rows: &[&[f64]], column: usize) -> bool {
    rows.split_first().is_none_or(|(first, rest)| rest.iter().all(|row| row[column] == first[column]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use ai::learning::Predictor;

    use super::*;
    use crate::SmartcorePredictor;
    use crate::dataset::AI_TEST_COEFFICIENTS;
    use crate::test_support::{ai_test_spec, ai_test_table, small_spec, small_table};

    /// Trains on `ai_test`, checks the test R² and that the reloaded artifact predicts the
    /// test rows exactly as the freshly trained model did.
    fn assert_trains_and_reloads_exactly(algorithm: Algorithm, min_r2: f64) -> TrainedModel {
        let table = ai_test_table();
        let spec = ai_test_spec(algorithm);
        let fitted = fit(&table, &spec).unwrap();
        let metrics = fitted.model.metrics;
        assert_eq!((metrics.train_rows, metrics.test_rows), (7_000, 3_000));
        assert!(metrics.r2 > min_r2, "{algorithm}: r2 {} <= {min_r2}", metrics.r2);
        assert!(metrics.rmse.is_finite() && metrics.rmse >= 0.0);
        assert_eq!(fitted.model.artifact.format, format!("smartcore-0.7-json/{algorithm}"));

        let split = train_test_split(table.rows.len(), spec.test_fraction, spec.seed);
        let test_inputs: Vec<Vec<f64>> = split.test.iter().map(|&i| table.rows[i][..8].to_vec()).collect();
        let reloaded = SmartcorePredictor.load(&fitted.model.artifact).unwrap();
        assert_eq!(reloaded.feature_count(), 8);
        assert_eq!(reloaded.predict(&test_inputs).unwrap(), fitted.test_predictions);
        fitted.model
    }

    #[test]
    fn linear_regression_recovers_every_coefficient() {
        assert_trains_and_reloads_exactly(Algorithm::LinearRegression, 0.999_999);
        let table = ai_test_table();
        let fitted = fit(&table, &ai_test_spec(Algorithm::LinearRegression)).unwrap();
        let model = SmartcorePredictor.load(&fitted.model.artifact).unwrap();
        // f(0) is the intercept and f(e_i) - f(0) the coefficient of x_i. ai_test is exact
        // (no noise, y computed in integers), so only floating-point rounding in the solver
        // separates the fit from the formula: 1e-9 leaves three orders of magnitude to spare.
        let mut inputs = vec![vec![0.0; 8]];
        inputs.extend((0..8).map(|i| {
            let mut unit = vec![0.0; 8];
            unit[i] = 1.0;
            unit
        }));
        let predictions = model.predict(&inputs).unwrap();
        let intercept = predictions[0];
        assert!(intercept.abs() < 1e-9, "intercept {intercept}");
        for (i, expected) in AI_TEST_COEFFICIENTS.iter().enumerate() {
            let coefficient = predictions[i + 1] - intercept;
            assert!((coefficient - expected).abs() < 1e-9, "x{i}: {coefficient} instead of {expected}");
        }
        assert!(fitted.model.metrics.r2 > 0.999);
    }

    #[test]
    fn ridge_fits_ai_test_and_reloads_exactly() {
        assert_trains_and_reloads_exactly(Algorithm::Ridge, 0.9999);
    }

    #[test]
    fn lasso_fits_ai_test_and_reloads_exactly() {
        assert_trains_and_reloads_exactly(Algorithm::Lasso, 0.9999);
    }

    #[test]
    fn decision_tree_fits_ai_test_and_reloads_exactly() {
        assert_trains_and_reloads_exactly(Algorithm::DecisionTree, 0.9);
    }

    #[test]
    fn random_forest_fits_ai_test_and_reloads_exactly() {
        assert_trains_and_reloads_exactly(Algorithm::RandomForest, 0.93);
    }

    #[tokio::test]
    async fn same_seed_gives_identical_artifact_bytes() {
        let table = ai_test_table();
        let spec = ai_test_spec(Algorithm::RandomForest);
        let first = SmartcoreTrainer.train(table.clone(), spec.clone()).await.unwrap();
        let second = SmartcoreTrainer.train(table.clone(), spec.clone()).await.unwrap();
        assert_eq!(first, second);

        let other_seed = TrainingSpec { seed: 43, ..spec };
        let third = SmartcoreTrainer.train(table, other_seed).await.unwrap();
        assert_ne!(first.artifact.bytes, third.artifact.bytes);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn training_leaves_the_async_executor_free() {
        let ticks = AtomicUsize::new(0);
        let ticker = async {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        };
        let training = SmartcoreTrainer.train(ai_test_table(), ai_test_spec(Algorithm::RandomForest));
        let trained = tokio::select! {
            trained = training => trained.unwrap(),
            () = ticker => unreachable!(),
        };
        assert!(trained.metrics.r2 > 0.9);
        // On a single-threaded runtime the ticker only ran if the fit was elsewhere.
        assert!(ticks.load(Ordering::Relaxed) > 0);
    }

    fn invalid_spec(table: &Table, spec: &TrainingSpec) -> String {
        match fit(table, spec) {
            Err(LearningError::InvalidSpec(message)) => message,
            Err(other) => panic!("expected InvalidSpec, got {other:?}"),
            Ok(_) => panic!("expected InvalidSpec, got a model"),
        }
    }

    #[test]
    fn refuses_unknown_columns() {
        let table = small_table(50);
        let spec = TrainingSpec { target: "z".into(), ..small_spec(Algorithm::LinearRegression) };
        assert_eq!(invalid_spec(&table, &spec), "unknown column \"z\"");
        let spec = TrainingSpec { features: vec!["a".into(), "c".into()], ..small_spec(Algorithm::LinearRegression) };
        assert_eq!(invalid_spec(&table, &spec), "unknown column \"c\"");
    }

    #[test]
    fn refuses_target_among_features_duplicates_and_no_features() {
        let table = small_table(50);
        let base = small_spec(Algorithm::Ridge);
        let with = |features: &[&str]| TrainingSpec {
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            ..base.clone()
        };
        assert!(invalid_spec(&table, &with(&["a", "y"])).contains("target \"y\""));
        assert!(invalid_spec(&table, &with(&["a", "a"])).contains("listed twice"));
        assert!(invalid_spec(&table, &with(&[])).contains("at least one feature"));
    }

    #[test]
    fn refuses_test_fractions_outside_zero_and_one() {
        let table = small_table(50);
        for fraction in [0.0, 1.0, -0.5, f64::NAN] {
            let spec = TrainingSpec { test_fraction: fraction, ..small_spec(Algorithm::Lasso) };
            assert!(invalid_spec(&table, &spec).contains("test fraction"), "{fraction}");
        }
    }

    #[test]
    fn refuses_too_few_rows_for_the_features() {
        // 3 rows hold out 1 and leave 2 to fit 2 coefficients and an intercept.
        let message = invalid_spec(&small_table(3), &small_spec(Algorithm::DecisionTree));
        assert!(message.starts_with("too few rows"), "{message}");
        assert!(fit(&small_table(5), &small_spec(Algorithm::LinearRegression)).is_ok());
        let message = invalid_spec(&small_table(0), &small_spec(Algorithm::Ridge));
        assert!(message.starts_with("too few rows: 0 rows"), "{message}");
    }

    #[test]
    fn refuses_tables_that_break_the_invariant() {
        let mut table = small_table(50);
        table.rows[7].pop();
        assert_eq!(
            fit(&table, &small_spec(Algorithm::LinearRegression)).err(),
            Some(LearningError::Input("row 8 has 2 values; the table has 3 columns".into()))
        );
        let mut table = small_table(50);
        table.rows[3][1] = f64::INFINITY;
        assert!(matches!(
            fit(&table, &small_spec(Algorithm::LinearRegression)),
            Err(LearningError::Input(message)) if message.contains("column \"b\"")
        ));
    }

    #[test]
    fn ridge_and_lasso_name_a_constant_feature() {
        let mut table = small_table(50);
        for row in &mut table.rows {
            row[1] = 3.0;
        }
        for algorithm in [Algorithm::Ridge, Algorithm::Lasso] {
            assert!(matches!(
                fit(&table, &small_spec(algorithm)),
                Err(LearningError::Training(message)) if message.contains("\"b\"")
            ));
        }
        // The other algorithms cope with a constant feature.
        for algorithm in [Algorithm::LinearRegression, Algorithm::DecisionTree, Algorithm::RandomForest] {
            assert!(fit(&table, &small_spec(algorithm)).is_ok(), "{algorithm}");
        }
    }

    #[test]
    fn linear_regression_copes_with_a_duplicated_feature() {
        let mut table = small_table(50);
        table.columns.push("a_again".into());
        for row in &mut table.rows {
            row.push(row[0]);
        }
        let spec = TrainingSpec {
            features: vec!["a".into(), "b".into(), "a_again".into()],
            ..small_spec(Algorithm::LinearRegression)
        };
        let fitted = fit(&table, &spec).unwrap();
        assert!(fitted.model.metrics.r2 > 0.999_999, "{:?}", fitted.model.metrics);
    }

    #[test]
    fn every_algorithm_trains_on_a_minimal_table() {
        for &algorithm in Algorithm::ALL {
            let fitted = fit(&small_table(10), &small_spec(algorithm)).unwrap();
            assert_eq!((fitted.model.metrics.train_rows, fitted.model.metrics.test_rows), (7, 3));
            SmartcorePredictor.load(&fitted.model.artifact).unwrap();
        }
    }
}
