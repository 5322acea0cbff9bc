//! Structured logs with `tracing`: readable text for people, JSON for collectors, written
//! through a lossy sink (`log_sink`) so that logging never stops the server.

use std::io::IsTerminal;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

use crate::log_sink::{LogSink, QUEUE_LINES};
use crate::settings::{LogFormat, LogSettings};

/// How long, at exit, the last lines may take to reach a slow reader.
const EXIT_FLUSH: Duration = Duration::from_secs(2);

/// Parses a `tracing` filter strictly: a typo is an error, not a silent `info`.
pub fn parse_filter(filter: &str) -> Result<EnvFilter, String> {
    EnvFilter::builder().parse(filter).map_err(|e| format!("not a valid log filter ({e}); e.g. \"info,sqlx=warn\""))
}

/// Colour only for a person at a terminal who did not ask for none (`NO_COLOR`).
pub fn use_colour(stdout_is_terminal: bool, no_color: Option<&str>) -> bool {
    stdout_is_terminal && no_color.is_none_or(str::is_empty)
}

/// Keeps the log sink; dropping it gives queued lines a moment to be written.
pub struct LogGuard(Option<LogSink>);

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(sink) = &self.0 {
            sink.flush(EXIT_FLUSH);
        }
    }
}

/// Installs the global subscriber once, writing to standard output; `RUST_LOG` overrides
/// the configured level. Fails, saying why, on a filter that does not parse.
pub fn init(settings: &LogSettings) -> Result<LogGuard, String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(raw) if !raw.trim().is_empty() => parse_filter(&raw).map_err(|e| format!("RUST_LOG {raw:?}: {e}"))?,
        _ => parse_filter(&settings.level).map_err(|e| format!("log.level {:?}: {e}", settings.level))?,
    };
    let stdout = std::io::stdout();
    let colour = use_colour(stdout.is_terminal(), std::env::var("NO_COLOR").ok().as_deref());
    // The sink writes to its own handle on the descriptor, unbuffered and unlocked, so that
    // it never holds `stdout`'s lock while blocked.
    let out = std::os::fd::AsFd::as_fd(&stdout)
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .map_err(|e| format!("cannot open standard output for the log: {e}"))?;
    let sink = LogSink::spawn(out, QUEUE_LINES).map_err(|e| format!("cannot start the log writer: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(colour)
        .with_writer(sink.clone())
        .log_internal_errors(false);
    let result = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // A second initialisation (tests, tools) keeps the first subscriber and its sink.
    Ok(LogGuard(result.is_ok().then_some(sink)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("")));
        assert!(!use_colour(true, Some("1")));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn broken_filters_are_refused_with_the_reason() {
        assert!(parse_filter("info,sqlx=warn,sea_orm=warn").is_ok());
        assert!(parse_filter("agora=debug").is_ok());
        for broken in ["info,sqlx=warnn", "sqlx=loud", "[{"] {
            let err = parse_filter(broken).err();
            assert!(err.as_deref().is_some_and(|e| e.contains("not a valid log filter")), "{broken}: {err:?}");
        }
    }
}
