//! The composition root: reads the configuration, builds every adapter, injects them into
//! the domain services and hands those to the HTTP layer. The only crate that knows every
//! concrete type; `agora` (the server), `admin-cli` and `ai-worker` all start from here.

pub mod ai_jobs;
pub mod build_info;
pub mod chat_events;
pub mod log_sink;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod views;
pub mod wiring;

pub use settings::Settings;
pub use startup::{Application, StopHandle};
pub use wiring::{Services, StartupError};
