//! The five smartcore regressors behind one type: their hyper-parameters, fitting,
//! predicting, and the artifact format they are stored in.
//!
//! An artifact is `format = "smartcore-0.7-json/<algorithm>"` and `bytes` = the JSON of
//! `{"algorithm": "<algorithm>", "feature_count": n, "model": <the smartcore model>}`.
//! serde_json's `float_roundtrip` makes a reloaded model predict bit for bit what the
//! trained one did. The format names the smartcore minor version because its serialised
//! layout may change with it.

use ai::learning::{Algorithm, LearningError, ModelArtifact};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use smartcore::ensemble::random_forest_regressor::{RandomForestRegressor, RandomForestRegressorParameters};
use smartcore::error::Failed;
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::lasso::{Lasso, LassoParameters};
use smartcore::linear::linear_regression::{LinearRegression, LinearRegressionParameters, LinearRegressionSolverName};
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};
use smartcore::tree::decision_tree_regressor::{DecisionTreeRegressor, DecisionTreeRegressorParameters};

pub(crate) type Matrix = DenseMatrix<f64>;
type Vector = Vec<f64>;

/// Every artifact format this crate writes starts with this.
pub const FORMAT_PREFIX: &str = "smartcore-0.7-json/";

// Hyper-parameters. Linear regression solves by SVD, which copes with collinear or
// constant features (QR fails or goes unstable on them). Ridge and lasso standardise the
// features first, so their penalties do not depend on the features' scale.
/// L2 penalty on the standardised coefficients.
const RIDGE_ALPHA: f64 = 1.0;
/// L1 penalty, as a fraction of the target's standard deviation: the lasso penalty is in
/// the target's unit, so a fixed value would erase every coefficient of a small-valued
/// target. Zeroes only features whose effect is below ~0.05 % of the target's spread.
const LASSO_RELATIVE_ALPHA: f64 = 0.001;
const TREE_MAX_DEPTH: u16 = 12;
const TREE_MIN_SAMPLES_LEAF: usize = 5;
const FOREST_TREES: usize = 20;
const FOREST_MAX_DEPTH: u16 = 10;
const FOREST_MIN_SAMPLES_LEAF: usize = 5;

/// A fitted smartcore regressor.
pub(crate) enum Regressor {
    LinearRegression(LinearRegression<f64, f64, Matrix, Vector>),
    Ridge(RidgeRegression<f64, f64, Matrix, Vector>),
    Lasso(Lasso<f64, f64, Matrix, Vector>),
    DecisionTree(DecisionTreeRegressor<f64, f64, Matrix, Vector>),
    RandomForest(RandomForestRegressor<f64, f64, Matrix, Vector>),
}

/// What an artifact's bytes hold. `algorithm` repeats the format's suffix so that a
/// mislabelled artifact is caught: smartcore models deserialise from almost any JSON
/// object, their fields being optional.
#[derive(Serialize)]
struct EnvelopeRef<'a, M> {
    algorithm: Algorithm,
    feature_count: usize,
    model: &'a M,
}

#[derive(Deserialize)]
struct Envelope<M> {
    algorithm: Algorithm,
    feature_count: usize,
    model: M,
}

impl Regressor {
    /// Fits `algorithm` to `x` (one row per sample) and `y`. `seed` drives the only
    /// randomness, the random forest's bootstrap samples and feature choices.
    pub(crate) fn fit(algorithm: Algorithm, x: &Matrix, y: &Vector, seed: u64) -> Result<Self, Failed> {
        Ok(match algorithm {
            Algorithm::LinearRegression => Regressor::LinearRegression(LinearRegression::fit(
                x,
                y,
                LinearRegressionParameters::default().with_solver(LinearRegressionSolverName::SVD),
            )?),
            Algorithm::Ridge => Regressor::Ridge(RidgeRegression::fit(
                x,
                y,
                RidgeRegressionParameters::default().with_alpha(RIDGE_ALPHA).with_normalize(true),
            )?),
            Algorithm::Lasso => {
                let alpha = LASSO_RELATIVE_ALPHA * standard_deviation(y).max(f64::MIN_POSITIVE);
                let parameters = LassoParameters::default().with_alpha(alpha).with_normalize(true);
                Regressor::Lasso(Lasso::fit(x, y, parameters)?)
            }
            Algorithm::DecisionTree => {
                let mut parameters = DecisionTreeRegressorParameters::default()
                    .with_max_depth(TREE_MAX_DEPTH)
                    .with_min_samples_leaf(TREE_MIN_SAMPLES_LEAF);
                parameters.seed = Some(seed);
                Regressor::DecisionTree(DecisionTreeRegressor::fit(x, y, parameters)?)
            }
            Algorithm::RandomForest => {
                let features = x.shape().1;
                Regressor::RandomForest(RandomForestRegressor::fit(
                    x,
                    y,
                    RandomForestRegressorParameters::default()
                        .with_n_trees(FOREST_TREES)
                        .with_max_depth(FOREST_MAX_DEPTH)
                        .with_min_samples_leaf(FOREST_MIN_SAMPLES_LEAF)
                        .with_m(forest_split_candidates(features))
                        .with_seed(seed),
                )?)
            }
        })
    }

    pub(crate) fn predict(&self, x: &Matrix) -> Result<Vector, Failed> {
        match self {
            Regressor::LinearRegression(model) => model.predict(x),
            Regressor::Ridge(model) => model.predict(x),
            Regressor::Lasso(model) => model.predict(x),
            Regressor::DecisionTree(model) => model.predict(x),
            Regressor::RandomForest(model) => model.predict(x),
        }
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Regressor::LinearRegression(_) => Algorithm::LinearRegression,
            Regressor::Ridge(_) => Algorithm::Ridge,
            Regressor::Lasso(_) => Algorithm::Lasso,
            Regressor::DecisionTree(_) => Algorithm::DecisionTree,
            Regressor::RandomForest(_) => Algorithm::RandomForest,
        }
    }

    pub(crate) fn to_artifact(&self, feature_count: usize) -> Result<ModelArtifact, LearningError> {
        let algorithm = self.algorithm();
        fn write<M: Serialize>(algorithm: Algorithm, feature_count: usize, model: &M) -> serde_json::Result<Vec<u8>> {
            serde_json::to_vec(&EnvelopeRef { algorithm, feature_count, model })
        }
        let bytes = match self {
            Regressor::LinearRegression(model) => write(algorithm, feature_count, model),
            Regressor::Ridge(model) => write(algorithm, feature_count, model),
            Regressor::Lasso(model) => write(algorithm, feature_count, model),
            Regressor::DecisionTree(model) => write(algorithm, feature_count, model),
            Regressor::RandomForest(model) => write(algorithm, feature_count, model),
        }
        .map_err(|err| LearningError::Training(format!("cannot serialise the model: {err}")))?;
        Ok(ModelArtifact { format: format!("{FORMAT_PREFIX}{algorithm}"), bytes })
    }

    /// Reads an artifact written by [`Self::to_artifact`] and checks that it holds a
    /// fitted model; returns the model and its feature count.
    pub(crate) fn from_artifact(artifact: &ModelArtifact) -> Result<(Self, usize), LearningError> {
        let algorithm = artifact
            .format
            .strip_prefix(FORMAT_PREFIX)
            .and_then(|name| name.parse::<Algorithm>().ok())
            .ok_or_else(|| LearningError::Artifact(format!("unknown format {:?}", artifact.format)))?;
        let bytes = artifact.bytes.as_slice();
        let (regressor, feature_count) = match algorithm {
            Algorithm::LinearRegression => read(bytes, algorithm, Regressor::LinearRegression)?,
            Algorithm::Ridge => read(bytes, algorithm, Regressor::Ridge)?,
            Algorithm::Lasso => read(bytes, algorithm, Regressor::Lasso)?,
            Algorithm::DecisionTree => read(bytes, algorithm, Regressor::DecisionTree)?,
            Algorithm::RandomForest => read(bytes, algorithm, Regressor::RandomForest)?,
        };
        if feature_count == 0 {
            return Err(LearningError::Artifact("the model declares no features".to_owned()));
        }
        // An unfitted smartcore model deserialises fine and fails only when it predicts.
        let zeros = vec![0.0; feature_count];
        let columns: Vec<usize> = (0..feature_count).collect();
        matrix(&[&zeros], &columns)
            .and_then(|x| regressor.predict(&x))
            .map_err(|err| LearningError::Artifact(format!("the model cannot predict: {err}")))?;
        Ok((regressor, feature_count))
    }
}

fn read<M: DeserializeOwned>(
    bytes: &[u8],
    algorithm: Algorithm,
    wrap: fn(M) -> Regressor,
) -> Result<(Regressor, usize), LearningError> {
    let envelope: Envelope<M> =
        serde_json::from_slice(bytes).map_err(|err| LearningError::Artifact(format!("unreadable model: {err}")))?;
    if envelope.algorithm != algorithm {
        return Err(LearningError::Artifact(format!(
            "the format says {algorithm} but the model is {}",
            envelope.algorithm
        )));
    }
    Ok((wrap(envelope.model), envelope.feature_count))
}

fn standard_deviation(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// Features tried at each split of a forest's tree: a third of them, as is usual for
/// regression forests, and at least one. Fewer candidates decorrelate the trees; too few
/// miss the dominant feature.
fn forest_split_candidates(features: usize) -> usize {
    features.div_ceil(3).max(1)
}

/// A matrix of one row per entry of `rows`, holding each row's values at `columns`.
/// Callers have checked that every row is wide enough.
pub(crate) fn matrix(rows: &[&[f64]], columns: &[usize]) -> Result<Matrix, Failed> {
    let mut values = Vec::with_capacity(rows.len() * columns.len());
    for &column in columns {
        values.extend(rows.iter().map(|row| row[column]));
    }
    // Column-major, the layout smartcore builds itself.
    DenseMatrix::new(rows.len(), columns.len(), values, true)
}
