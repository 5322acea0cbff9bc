//! The machine-learning adapter: implements the AI domain's learning ports with the csv
//! crate ([`CsvDatasetParser`]) and smartcore ([`SmartcoreTrainer`],
//! [`SmartcorePredictor`], and [`BlockingLearningRuntime`] which runs them off the async
//! executor), and ships the `ai_test` dataset ([`dataset`]).

mod csv_parser;
pub mod dataset;
mod evaluation;
mod model;
mod predictor;
mod rng;
mod runtime;
#[cfg(test)]
mod test_support;
mod trainer;

pub use csv_parser::{CsvDatasetParser, MAX_COLUMN_NAME_CHARS, MIN_COLUMNS, MIN_DATA_ROWS};
pub use dataset::{AI_TEST_CSV, AI_TEST_NAME, generate_ai_test};
pub use model::FORMAT_PREFIX;
pub use predictor::SmartcorePredictor;
pub use runtime::BlockingLearningRuntime;
pub use trainer::SmartcoreTrainer;
