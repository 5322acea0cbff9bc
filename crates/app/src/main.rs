//! `agora`: the Agora server.

use std::process::ExitCode;

use app::{Application, Settings};

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("agora: {err}");
            return ExitCode::FAILURE;
        }
    };
    app::telemetry::init(&settings.log);
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(err) => {
            tracing::error!(error = %err, "agora could not start");
            eprintln!("agora: {err}");
            return ExitCode::FAILURE;
        }
    };
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "agora stopped with an error");
            ExitCode::FAILURE
        }
    }
}
