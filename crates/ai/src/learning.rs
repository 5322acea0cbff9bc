//! The learning ports of the AI domain: parsing a dataset, training a model on it and
//! predicting with a trained model, plus the value types these contracts exchange.
//!
//! The domain never sees a machine-learning library: a trained model travels as an opaque
//! [`ModelArtifact`] that only the adapter which produced it can load again.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A regression algorithm a model can be trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    #[default]
    LinearRegression,
    Ridge,
    Lasso,
    DecisionTree,
    RandomForest,
}

impl Algorithm {
    /// Every algorithm, in the order the API documents them.
    pub const ALL: &'static [Algorithm] = &[
        Algorithm::LinearRegression,
        Algorithm::Ridge,
        Algorithm::Lasso,
        Algorithm::DecisionTree,
        Algorithm::RandomForest,
    ];

    /// The stable snake_case name used by the API, the database and artifact formats.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::LinearRegression => "linear_regression",
            Algorithm::Ridge => "ridge",
            Algorithm::Lasso => "lasso",
            Algorithm::DecisionTree => "decision_tree",
            Algorithm::RandomForest => "random_forest",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .iter()
            .copied()
            .find(|algorithm| algorithm.as_str() == s)
            .ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

/// A name that is not one of [`Algorithm::ALL`]; its message lists the accepted names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownAlgorithm(pub String);

impl fmt::Display for UnknownAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown algorithm {:?}; expected one of: ", self.0)?;
        for (i, algorithm) in Algorithm::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(algorithm.as_str())?;
        }
        Ok(())
    }
}

/// A parsed numeric dataset.
///
/// Invariant kept by every [`DatasetParser`]: column names are unique and non-empty,
/// every row has exactly `columns.len()` values and every value is finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

impl Table {
    /// The position of the column with this exact name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column == name)
    }
}

/// How big an uploaded dataset may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetLimits {
    /// Size of the whole file, checked before parsing.
    pub max_bytes: usize,
    /// Data rows, not counting the header.
    pub max_rows: usize,
    pub max_columns: usize,
}

/// Why a dataset was refused, with the place in the file when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DatasetError {
    /// 1-based line of the file; the header is line 1.
    pub line: Option<u64>,
    /// The column's header name, or its 1-based position when it has no usable name.
    pub column: Option<String>,
    pub message: String,
}

impl DatasetError {
    pub fn new(message: impl Into<String>) -> Self {
        DatasetError { line: None, column: None, message: message.into() }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn in_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
}

/// Reads like `line 17, column x3: not a number: "abc"`.
impl fmt::Display for DatasetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            (None, Some(column)) => write!(f, "column {column}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// Turns an uploaded CSV file into a [`Table`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait DatasetParser: Send + Sync {
    /// Parses `csv`: a header row of column names, then rows of numbers.
    ///
    /// MUST refuse a file larger than `limits.max_bytes` before reading it, and a file with
    /// more than `limits.max_rows` data rows or `limits.max_columns` columns. MUST return a
    /// [`DatasetError`] naming the line (and the column, when one is at fault) of the first
    /// problem; the result, when `Ok`, keeps the [`Table`] invariant. Synchronous: parsing
    /// a file within the limits is fast.
    fn parse(&self, csv: &[u8], limits: &DatasetLimits) -> Result<Table, DatasetError>;
}

/// What to train: which algorithm, which columns, and how to split and seed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSpec {
    pub algorithm: Algorithm,
    /// Input columns, in the order prediction inputs will carry them.
    pub features: Vec<String>,
    /// The column to predict; never one of `features`.
    pub target: String,
    /// Seeds the train/test shuffle and any randomness of the algorithm.
    pub seed: u64,
    /// Share of the rows held out to compute [`Metrics`], in (0, 1).
    pub test_fraction: f64,
}

impl TrainingSpec {
    pub const DEFAULT_TEST_FRACTION: f64 = 0.3;

    /// A spec holding out [`Self::DEFAULT_TEST_FRACTION`] of the rows.
    pub fn new(algorithm: Algorithm, features: Vec<String>, target: String, seed: u64) -> Self {
        TrainingSpec { algorithm, features, target, seed, test_fraction: Self::DEFAULT_TEST_FRACTION }
    }
}

/// How well a model predicts the held-out test rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Root mean squared error, in the target's unit.
    pub rmse: f64,
    /// Coefficient of determination; 1 is perfect, 0 is no better than the mean.
    pub r2: f64,
    pub train_rows: u64,
    pub test_rows: u64,
}

/// A trained model as the adapter that made it serialised it. `format` tells a
/// [`Predictor`] how to read `bytes`; the domain stores both and never looks inside.
#[derive(Clone, PartialEq, Eq)]
pub struct ModelArtifact {
    pub format: String,
    pub bytes: Vec<u8>,
}

/// Leaves the bytes out: an artifact can be megabytes long.
impl fmt::Debug for ModelArtifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelArtifact")
            .field("format", &self.format)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

/// The outcome of a successful training.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedModel {
    pub artifact: ModelArtifact,
    pub metrics: Metrics,
}

/// Why training, loading or predicting failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LearningError {
    /// The spec does not fit the table: an unknown column, the target among the features,
    /// a bad test fraction, too few rows.
    #[error("invalid training spec: {0}")]
    InvalidSpec(String),
    /// The algorithm could not fit this data.
    #[error("training failed: {0}")]
    Training(String),
    /// The artifact cannot be loaded: an unknown format or unreadable bytes.
    #[error("unusable model artifact: {0}")]
    Artifact(String),
    /// Prediction inputs of the wrong width or with non-finite values.
    #[error("invalid input: {0}")]
    Input(String),
}

/// Fits a model to a table.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Trainer: Send + Sync {
    /// Trains `spec.algorithm` to predict `spec.target` from `spec.features` of `table`.
    ///
    /// - MUST NOT block the async executor: the fit runs on a blocking thread.
    /// - MUST split the rows with a shuffle seeded by `spec.seed`, holding out
    ///   `spec.test_fraction` of them (rounded, at least one) as test rows, train on the
    ///   rest and compute [`Metrics`] on the test rows only.
    /// - MUST be deterministic: the same table, spec and seed give identical artifact bytes.
    /// - MUST return `InvalidSpec` for an unknown column, the target among the features,
    ///   duplicate features, no features, a test fraction outside (0, 1) or too few rows,
    ///   `Input` for a table that breaks the [`Table`] invariant, and `Training` when the
    ///   algorithm fails on the data.
    async fn train(&self, table: Table, spec: TrainingSpec) -> Result<TrainedModel, LearningError>;
}

/// Loads trained models back from their artifacts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Predictor: Send + Sync {
    /// Deserialises an artifact produced by the matching [`Trainer`]. MUST return
    /// `Artifact` for a format it does not know or bytes it cannot read. Loading may take
    /// milliseconds for a large model: call it from a blocking context and keep the result
    /// to serve many predictions.
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn LoadedModel>, LearningError>;
}

/// A model ready to predict.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait LoadedModel: Send + Sync + fmt::Debug {
    /// How many values each input row must carry, in the order of the training features.
    fn feature_count(&self) -> usize;

    /// Predicts one target value per input row, in order.
    ///
    /// CPU-bound: callers MUST run it from a blocking context (the job runner does), never
    /// directly on the async executor. MUST return `Input` naming the row, the expected
    /// and the actual width when a row does not have [`Self::feature_count`] values, and
    /// `Input` when a value is not finite. An empty `inputs` gives an empty result.
    fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<f64>, LearningError>;
}

/// The CPU-bound learning work of the service and the job runner, run off the async
/// executor: parsing datasets, loading artifacts and predicting. Keeps the domain free of
/// any runtime while nothing it starts blocks a reactor thread.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LearningRuntime: Send + Sync {
    /// [`DatasetParser::parse`] on a blocking thread, with the same contract.
    async fn parse_dataset(&self, csv: Vec<u8>, limits: DatasetLimits) -> Result<Table, DatasetError>;
    /// [`Predictor::load`] on a blocking thread, with the same contract.
    async fn load_model(&self, artifact: ModelArtifact) -> Result<Arc<dyn LoadedModel>, LearningError>;
    /// [`LoadedModel::predict`] on a blocking thread, with the same contract.
    async fn predict(&self, model: Arc<dyn LoadedModel>, inputs: Vec<Vec<f64>>) -> Result<Vec<f64>, LearningError>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn every_algorithm_parses_from_its_own_name() {
        for algorithm in Algorithm::ALL {
            assert_eq!(algorithm.as_str().parse::<Algorithm>(), Ok(*algorithm));
            assert_eq!(algorithm.to_string(), algorithm.as_str());
        }
    }

    #[test]
    fn unknown_algorithm_error_lists_accepted_names() {
        let err = "svm".parse::<Algorithm>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown algorithm \"svm\"; expected one of: linear_regression, ridge, lasso, \
             decision_tree, random_forest"
        );
    }

    #[test]
    fn algorithm_names_are_exact_and_case_sensitive() {
        assert!("Ridge".parse::<Algorithm>().is_err());
        assert!(" ridge".parse::<Algorithm>().is_err());
        assert!("".parse::<Algorithm>().is_err());
    }

    #[test]
    fn default_algorithm_is_linear_regression() {
        assert_eq!(Algorithm::default(), Algorithm::LinearRegression);
    }

    #[test]
    fn algorithm_deserialises_from_its_snake_case_name() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};
        for algorithm in Algorithm::ALL {
            let name: StrDeserializer<'_, Error> = algorithm.as_str().into_deserializer();
            assert_eq!(Algorithm::deserialize(name).unwrap(), *algorithm);
        }
    }

    #[test]
    fn dataset_error_names_line_and_column() {
        let err = DatasetError::new("not a number: \"abc\"").at_line(17).in_column("x3");
        assert_eq!(err.to_string(), "line 17, column x3: not a number: \"abc\"");
        assert_eq!(DatasetError::new("empty file").at_line(1).to_string(), "line 1: empty file");
        assert_eq!(DatasetError::new("too big").to_string(), "too big");
    }

    #[test]
    fn artifact_debug_hides_bytes() {
        let artifact = ModelArtifact { format: "f".into(), bytes: vec![0; 3] };
        assert_eq!(format!("{artifact:?}"), "ModelArtifact { format: \"f\", bytes: <3 bytes> }");
    }
}
