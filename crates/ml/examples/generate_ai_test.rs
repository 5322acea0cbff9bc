//! Prints the `ai_test` dataset:
//! `cargo run -p ml --example generate_ai_test > crates/ml/data/ai_test.csv`

use std::io::Write;

fn main() -> std::io::Result<()> {
    std::io::stdout().lock().write_all(ml::generate_ai_test().as_bytes())
}
