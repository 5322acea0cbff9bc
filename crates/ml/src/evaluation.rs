//! The seeded train/test split and the test metrics (RMSE, R²).

use crate::rng::SplitMix64;

/// Row indices of the training and the test rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Shuffles `0..rows` with a generator seeded by `seed` and holds out
/// `round(rows * test_fraction)` of them, at least one, as test rows.
/// `test_fraction` must lie in (0, 1); the trainer checks it.
pub fn train_test_split(rows: usize, test_fraction: f64, seed: u64) -> Split {
    let mut order: Vec<usize> = (0..rows).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let test_rows = test_rows(rows, test_fraction);
    let train = order.split_off(test_rows);
    Split { train, test: order }
}

/// How many of `rows` rows are held out for testing: at least one, at most all.
pub fn test_rows(rows: usize, test_fraction: f64) -> usize {
    ((rows as f64 * test_fraction).round() as usize).max(1).min(rows)
}

/// Root mean squared error of `predicted` against `actual` (same, non-zero length).
pub fn rmse(actual: &[f64], predicted: &[f64]) -> f64 {
    (squared_error(actual, predicted) / actual.len() as f64).sqrt()
}

/// Coefficient of determination: `1 - SS_res / SS_tot`. When the actual values are all
/// equal, 1 for a perfect prediction and 0 otherwise (as scikit-learn does).
pub fn r2(actual: &[f64], predicted: &[f64]) -> f64 {
    let mean = actual.iter().sum::<f64>() / actual.len() as f64;
    let total: f64 = actual.iter().map(|y| (y - mean).powi(2)).sum();
    let residual = squared_error(actual, predicted);
    if total > 0.0 {
        1.0 - residual / total
    } else if residual == 0.0 {
        1.0
    } else {
        0.0
    }
}

fn squared_error(actual: &[f64], predicted: &[f64]) -> f64 {
    actual.iter().zip(predicted).map(|(y, y_hat)| (y - y_hat).powi(2)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let split = train_test_split(1000, 0.3, 42);
        assert_eq!((split.train.len(), split.test.len()), (700, 300));
        assert_eq!(split, train_test_split(1000, 0.3, 42));
        assert_ne!(split, train_test_split(1000, 0.3, 43));
        let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn at_least_one_test_row_is_held_out() {
        assert_eq!(test_rows(10, 0.3), 3);
        assert_eq!(test_rows(10, 0.01), 1);
        assert_eq!(test_rows(10_000, 0.3), 3_000);
        assert_eq!(test_rows(0, 0.3), 0);
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        let actual = [1.0, 2.0, 3.0, 4.0];
        let predicted = [1.0, 2.0, 3.0, 6.0];
        assert_eq!(rmse(&actual, &predicted), 1.0);
        assert_eq!(r2(&actual, &predicted), 1.0 - 4.0 / 5.0);
        assert_eq!(r2(&actual, &actual), 1.0);
        assert_eq!(r2(&[2.0, 2.0], &[2.0, 2.0]), 1.0);
        assert_eq!(r2(&[2.0, 2.0], &[2.0, 3.0]), 0.0);
    }
}
