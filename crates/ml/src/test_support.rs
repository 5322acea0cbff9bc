//! Shared setup of this crate's unit tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ai::learning::{Algorithm, DatasetLimits, DatasetParser, Table, TrainingSpec};

use crate::{AI_TEST_CSV, CsvDatasetParser};

pub(crate) const LIMITS: DatasetLimits = DatasetLimits { max_bytes: 1 << 20, max_rows: 10_000, max_columns: 100 };

pub(crate) fn ai_test_table() -> Table {
    CsvDatasetParser.parse(AI_TEST_CSV.as_bytes(), &LIMITS).unwrap()
}

/// `y` from `x0..x7`, seed 42, the default test fraction.
pub(crate) fn ai_test_spec(algorithm: Algorithm) -> TrainingSpec {
    let features = (0..8).map(|i| format!("x{i}")).collect();
    TrainingSpec::new(algorithm, features, "y".to_owned(), 42)
}

/// A table of `rows` rows with columns `a`, `b` (features) and `y = a + 2b`.
pub(crate) fn small_table(rows: usize) -> Table {
    Table {
        columns: vec!["a".into(), "b".into(), "y".into()],
        rows: (0..rows)
            .map(|i| {
                let (a, b) = (i as f64, (i * i % 7) as f64);
                vec![a, b, a + 2.0 * b]
            })
            .collect(),
    }
}

pub(crate) fn small_spec(algorithm: Algorithm) -> TrainingSpec {
    TrainingSpec::new(algorithm, vec!["a".into(), "b".into()], "y".into(), 1)
}
