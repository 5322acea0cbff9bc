//! The AI domain: datasets, models, training and inference jobs, and the ports they need.

pub mod learning;
