//! The AI domain: datasets, models and their training, inference jobs and their state
//! machine, the ports they need (storage, the job queue, the learning work), the API's use
//! cases ([`AiService`]) and the worker logic ([`JobRunner`]). Framework-free: adapters
//! implement the ports.

pub mod dataset;
pub mod error;
pub mod job;
pub mod learning;
pub mod model;
pub mod ports;
pub mod runner;
pub mod service;

pub use dataset::{Dataset, DatasetId, DatasetName, NewDataset};
pub use error::AiError;
pub use job::{InferenceInputs, InferenceJob, JobEvent, JobId, JobMessage, JobResult, JobStatus, NewInferenceJob};
pub use model::{
    ArtifactVersion, Description, Model, ModelChanges, ModelId, ModelName, ModelStatus, NewModel, TaskId, TrainingEvent,
};
pub use runner::{JobRunner, ModelCache, RunOutcome, RunnerConfig, RunnerPorts};
pub use service::{AiActivity, AiConfig, AiPorts, AiService, CreateModelInput, DatasetUpload, UpdateModelInput};
