//! Trains every algorithm on `ai_test` and prints the time, the artifact size and the test
//! metrics of each: `cargo run -p ml --release --example train_ai_test`.

use std::time::Instant;

use ai::learning::{Algorithm, DatasetLimits, DatasetParser, Predictor, Trainer, TrainingSpec};
use ml::{AI_TEST_CSV, CsvDatasetParser, SmartcorePredictor, SmartcoreTrainer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limits = DatasetLimits { max_bytes: 1 << 20, max_rows: 10_000, max_columns: 100 };
    let started = Instant::now();
    let table = CsvDatasetParser.parse(AI_TEST_CSV.as_bytes(), &limits)?;
    println!("parse ai_test: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);

    let (target, features) = table.columns.split_last().ok_or("no columns")?;
    for &algorithm in Algorithm::ALL {
        let spec = TrainingSpec::new(algorithm, features.to_vec(), target.clone(), 42);
        let started = Instant::now();
        let trained = SmartcoreTrainer.train(table.clone(), spec).await?;
        let train_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        let model = SmartcorePredictor.load(&trained.artifact)?;
        let load_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        model.predict(&table.rows.iter().map(|row| row[..8].to_vec()).collect::<Vec<_>>())?;
        let predict_ms = started.elapsed().as_secs_f64() * 1e3;
        let m = trained.metrics;
        println!(
            "{algorithm:<18} train {train_ms:>8.1} ms  artifact {:>9} B  load {load_ms:>7.1} ms  \
             predict 10k {predict_ms:>7.1} ms  r2 {:.6}  rmse {:.4}",
            trained.artifact.bytes.len(),
            m.r2,
            m.rmse,
        );
    }
    Ok(())
}
