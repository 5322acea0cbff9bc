//! `agora`: the Agora server.

use std::io::Write;
use std::process::ExitCode;

use app::build_info::{COMMIT, VERSION, VERSION_LINE};
use app::{Application, Settings};
use clap::Parser;

const ENVIRONMENT_HELP: &str = "\
Configuration (each layer overrides the one before):
  config/default.toml (built in)      the defaults of every setting, documented
  $APP_CONFIG_DIR/default.toml        optional; APP_CONFIG_DIR defaults to ./config
  $APP_CONFIG_DIR/$APP_ENV.toml       optional; APP_ENV = development (default) | test | production
  APP__SECTION__KEY=value             one setting, e.g. APP__SERVER__PORT=9000
Unknown settings, in files or variables, refuse to start.

Environment:
  APP_ENV, APP_CONFIG_DIR, APP__*     as above
  RUST_LOG                            overrides log.level (a tracing filter)
  NO_COLOR                            no colours in text logs (none unless on a terminal)

Stops gracefully on SIGTERM or SIGINT.";

/// Serves the Agora API (HTTP and WebSocket) with the configuration of its environment.
#[derive(Debug, Parser)]
#[command(name = "agora", version = VERSION_LINE, after_help = ENVIRONMENT_HELP)]
struct Cli {}

/// One line on standard error, even when nobody reads it any more (`eprintln!` would panic).
fn report(message: &str) {
    let _ = writeln!(std::io::stderr(), "agora: {message}");
}

#[tokio::main]
async fn main() -> ExitCode {
    let Cli {} = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            report(&err.to_string());
            return ExitCode::FAILURE;
        }
    };
    let _log = match app::telemetry::init(&settings.log) {
        Ok(guard) => guard,
        Err(err) => {
            report(&format!("invalid configuration: {err}"));
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        version = VERSION,
        commit = COMMIT,
        env = settings.env.as_str(),
        config = %settings.sources.join(", "),
        "agora {VERSION} (commit {COMMIT}) starting"
    );
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(err) => {
            tracing::error!(error = %err, "agora could not start");
            report(&err.to_string());
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
