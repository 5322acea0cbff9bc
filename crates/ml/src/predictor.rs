//! [`SmartcorePredictor`]: the [`Predictor`] port, loading artifacts written by
//! [`crate::SmartcoreTrainer`].

use std::fmt;
use std::sync::Arc;

use ai::learning::{Algorithm, LearningError, LoadedModel, ModelArtifact, Predictor};

use crate::model::{Regressor, matrix};

/// Loads the artifacts of every algorithm [`crate::SmartcoreTrainer`] trains.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmartcorePredictor;

impl Predictor for SmartcorePredictor {
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn LoadedModel>, LearningError> {
        let (regressor, feature_count) = Regressor::from_artifact(artifact)?;
        Ok(Arc::new(SmartcoreModel { regressor, feature_count }))
    }
}

/// A loaded smartcore regressor.
struct SmartcoreModel {
    regressor: Regressor,
    feature_count: usize,
}

impl SmartcoreModel {
    fn algorithm(&self) -> Algorithm {
        self.regressor.algorithm()
    }
}

/// Names the model only; a forest's nodes would fill pages.
impl fmt::Debug for SmartcoreModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartcoreModel")
            .field("algorithm", &self.algorithm())
            .field("feature_count", &self.feature_count)
            .finish_non_exhaustive()
    }
}

impl LoadedModel for SmartcoreModel {
    fn feature_count(&self) -> usize {
        self.feature_count
    }

    fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<f64>, LearningError> {
        let expected = self.feature_count;
        for (i, row) in inputs.iter().enumerate() {
            if row.len() != expected {
                return Err(LearningError::Input(format!(
                    "row {} has {} values; the model expects {expected}",
                    i + 1,
                    row.len()
                )));
            }
            if let Some(column) = row.iter().position(|value| !value.is_finite()) {
                return Err(LearningError::Input(format!("row {}, value {}: not a finite number", i + 1, column + 1)));
            }
        }
        if inputs.is_empty() {
            return Ok(Vec::new());
        }

        let rows: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
        let columns: Vec<usize> = (0..expected).collect();
        let broken = |err: smartcore::error::Failed| {
            LearningError::Artifact(format!("the {} model cannot predict: {err}", self.algorithm()))
        };
        let x = matrix(&rows, &columns).map_err(broken)?;
        let predictions = self.regressor.predict(&x).map_err(broken)?;
        if let Some(i) = predictions.iter().position(|value| !value.is_finite()) {
            return Err(LearningError::Input(format!(
                "row {}: the prediction is not finite; the inputs are far outside the \
                 training data",
                i + 1
            )));
        }
        Ok(predictions)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::test_support::{small_spec, small_table};
    use crate::trainer::fit;

    fn small_model(algorithm: Algorithm) -> (ModelArtifact, Arc<dyn LoadedModel>) {
        let artifact = fit(&small_table(30), &small_spec(algorithm)).unwrap().model.artifact;
        let model = SmartcorePredictor.load(&artifact).unwrap();
        (artifact, model)
    }

    #[test]
    fn rejects_rows_of_the_wrong_width_naming_expected_and_got() {
        for &algorithm in Algorithm::ALL {
            let (_, model) = small_model(algorithm);
            assert_eq!(model.feature_count(), 2);
            let err = model.predict(&[vec![1.0, 2.0], vec![1.0, 2.0, 3.0]]).unwrap_err();
            assert_eq!(err, LearningError::Input("row 2 has 3 values; the model expects 2".into()), "{algorithm}");
            assert!(model.predict(&[vec![1.0]]).is_err());
            assert!(model.predict(&[vec![]]).is_err());
        }
    }

    #[test]
    fn rejects_non_finite_inputs() {
        let (_, model) = small_model(Algorithm::DecisionTree);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = model.predict(&[vec![1.0, 2.0], vec![3.0, bad]]).unwrap_err();
            assert_eq!(err, LearningError::Input("row 2, value 2: not a finite number".into()));
        }
    }

    #[test]
    fn reports_non_finite_predictions_as_input_errors() {
        let (_, model) = small_model(Algorithm::LinearRegression);
        let err = model.predict(&[vec![f64::MAX, f64::MAX]]).unwrap_err();
        assert!(matches!(err, LearningError::Input(m) if m.contains("not finite")));
    }

    #[test]
    fn predicts_nothing_for_no_inputs() {
        let (_, model) = small_model(Algorithm::RandomForest);
        assert_eq!(model.predict(&[]).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn linear_model_predicts_the_formula() {
        let (_, model) = small_model(Algorithm::LinearRegression);
        let predictions = model.predict(&[vec![1.0, 1.0], vec![-4.0, 0.5]]).unwrap();
        assert!((predictions[0] - 3.0).abs() < 1e-9, "{predictions:?}");
        assert!((predictions[1] + 3.0).abs() < 1e-9, "{predictions:?}");
    }

    #[test]
    fn refuses_unknown_formats_and_unreadable_bytes() {
        let (artifact, _) = small_model(Algorithm::Ridge);
        for format in ["", "smartcore-0.7-json/", "smartcore-0.7-json/svm", "onnx/ridge", "smartcore-0.6-json/ridge"] {
            let err = SmartcorePredictor
                .load(&ModelArtifact { format: format.into(), bytes: artifact.bytes.clone() })
                .unwrap_err();
            assert!(matches!(err, LearningError::Artifact(m) if m.starts_with("unknown format")), "{format}");
        }
        let truncated =
            ModelArtifact { bytes: artifact.bytes[..artifact.bytes.len() / 2].to_vec(), ..artifact.clone() };
        let err = SmartcorePredictor.load(&truncated).unwrap_err();
        assert!(matches!(err, LearningError::Artifact(m) if m.starts_with("unreadable model")));
    }

    #[test]
    fn refuses_a_model_filed_under_another_algorithm() {
        let (artifact, _) = small_model(Algorithm::Ridge);
        let mislabelled = ModelArtifact { format: "smartcore-0.7-json/decision_tree".into(), bytes: artifact.bytes };
        assert_eq!(
            SmartcorePredictor.load(&mislabelled).unwrap_err(),
            LearningError::Artifact("the format says decision_tree but the model is ridge".into())
        );
    }

    #[test]
    fn refuses_an_unfitted_model() {
        // smartcore models are optional fields (plus phantom markers) and ignore unknown
        // keys, so this object deserialises as every one of them, unfitted.
        let unfitted = r#"{"coefficients":null,"intercept":null,
            "_phantom_tx":null,"_phantom_ty":null,"_phantom_y":null}"#;
        for &algorithm in Algorithm::ALL {
            let empty = ModelArtifact {
                format: format!("smartcore-0.7-json/{algorithm}"),
                bytes: format!(r#"{{"algorithm":"{algorithm}","feature_count":2,"model":{unfitted}}}"#).into_bytes(),
            };
            let err = SmartcorePredictor.load(&empty).unwrap_err();
            let refused = matches!(&err, LearningError::Artifact(m)
                if m.starts_with("the model cannot predict"));
            assert!(refused, "{algorithm}: {err:?}");
        }
    }

    #[test]
    fn debug_output_names_the_model_only() {
        let (_, model) = small_model(Algorithm::RandomForest);
        assert_eq!(format!("{model:?}"), "SmartcoreModel { algorithm: RandomForest, feature_count: 2, .. }");
    }
}
