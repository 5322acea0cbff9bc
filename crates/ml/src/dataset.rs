//! The shipped dataset `ai_test` and the generator that produced it.
//!
//! `y = 4x0 + 5x1 + 2x2 + 7x3 + 0.1x4 + 15x5 + 0.05x6 + x7`, exactly and without noise:
//! every `x` is drawn uniformly from [-10, 10) on a grid of 0.0001 and `y` is computed in
//! integer arithmetic, so the printed `y` (six decimals) is the exact value of the formula
//! for the printed `x`s. A linear model can therefore recover the coefficients almost
//! exactly, which makes the dataset a check of the whole pipeline.

use std::fmt::Write;

use crate::rng::SplitMix64;

/// The committed output of [`generate_ai_test`]; a test keeps the two identical.
pub const AI_TEST_CSV: &str = include_str!("../data/ai_test.csv");
/// The name the shipped dataset is known by.
pub const AI_TEST_NAME: &str = "ai_test";

/// Rows of `ai_test`.
pub const AI_TEST_ROWS: usize = 10_000;
/// Coefficients of `x0..x7`, in hundredths so that the formula stays in integers.
const COEFFICIENTS_CENTI: [i64; 8] = [400, 500, 200, 700, 10, 1500, 5, 100];
/// x is in [-10, 10), in steps of 1/X_SCALE.
const X_SCALE: i64 = 10_000;
const SEED: u64 = 0xA601_2A00_7E57_DA7A;

/// The coefficients of `x0..x7` in the `ai_test` formula.
pub const AI_TEST_COEFFICIENTS: [f64; 8] = [4.0, 5.0, 2.0, 7.0, 0.1, 15.0, 0.05, 1.0];

/// Generates `ai_test.csv`: header `x0,...,x7,y`, then [`AI_TEST_ROWS`] rows, `\n` line
/// endings, `x` with four decimals and `y` with six. Same bytes on every platform.
pub fn generate_ai_test() -> String {
    let mut rng = SplitMix64::new(SEED);
    let mut csv = String::with_capacity(AI_TEST_ROWS * 80);
    csv.push_str("x0,x1,x2,x3,x4,x5,x6,x7,y\n");
    let span = 20 * X_SCALE as u64;
    for _ in 0..AI_TEST_ROWS {
        // y in millionths: (x * X_SCALE) * (coefficient * 100) = y * 1_000_000.
        let mut y_micro: i64 = 0;
        for coefficient in COEFFICIENTS_CENTI {
            let x_ticks = rng.below(span) as i64 - 10 * X_SCALE;
            y_micro += x_ticks * coefficient;
            push_fixed(&mut csv, x_ticks, X_SCALE, 4);
            csv.push(',');
        }
        push_fixed(&mut csv, y_micro, 1_000_000, 6);
        csv.push('\n');
    }
    csv
}

/// Appends `value / scale` with exactly `decimals` digits, where `scale == 10^decimals`.
fn push_fixed(out: &mut String, value: i64, scale: i64, decimals: usize) {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let scale = scale.unsigned_abs();
    // Writing to a String cannot fail.
    let _ = write!(out, "{sign}{}.{:0decimals$}", magnitude / scale, magnitude % scale);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn committed_ai_test_csv_equals_the_generator_output() {
        assert!(
            AI_TEST_CSV == generate_ai_test(),
            "crates/ml/data/ai_test.csv is stale; regenerate it with \
             `cargo run -p ml --example generate_ai_test > crates/ml/data/ai_test.csv`"
        );
    }

    #[test]
    fn fixed_point_numbers_keep_sign_and_leading_zeros() {
        let mut out = String::new();
        push_fixed(&mut out, -5_000, 10_000, 4);
        out.push(' ');
        push_fixed(&mut out, 123_456_789, 1_000_000, 6);
        out.push(' ');
        push_fixed(&mut out, 7, 10_000, 4);
        assert_eq!(out, "-0.5000 123.456789 0.0007");
    }

    #[test]
    fn every_row_satisfies_the_formula() {
        let csv = generate_ai_test();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("x0,x1,x2,x3,x4,x5,x6,x7,y"));
        let mut rows = 0;
        for line in lines {
            let values: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
            assert_eq!(values.len(), 9);
            let y: f64 = AI_TEST_COEFFICIENTS.iter().zip(&values).map(|(c, x)| c * x).sum();
            assert!((y - values[8]).abs() < 1e-9, "{line}");
            assert!(values[..8].iter().all(|x| (-10.0..10.0).contains(x)));
            rows += 1;
        }
        assert_eq!(rows, AI_TEST_ROWS);
    }
}
