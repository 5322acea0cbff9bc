//! Prometheus metrics of the HTTP layer, in the process-wide default registry that
//! `/metrics` exposes (other adapters register theirs there too).

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, TextEncoder, register_histogram_vec,
    register_int_counter_vec, register_int_gauge,
};

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register_int_counter_vec!(Opts::new(name, help), labels)
        .unwrap_or_else(|_| IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|_| unreachable!()))
}

/// Requests served, by method, route pattern and status.
pub static HTTP_REQUESTS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("agora_http_requests_total", "HTTP requests served", &["method", "route", "status"]));

/// Request latency, by method and route pattern.
pub static HTTP_DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    let opts = HistogramOpts::new("agora_http_request_duration_seconds", "HTTP request latency")
        .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]);
    register_histogram_vec!(opts.clone(), &["method", "route"])
        .unwrap_or_else(|_| HistogramVec::new(opts, &["method", "route"]).unwrap_or_else(|_| unreachable!()))
});

/// Open WebSocket connections.
pub static WEBSOCKETS_OPEN: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!("agora_websocket_connections", "Open WebSocket connections").unwrap_or_else(|_| {
        IntGauge::new("agora_websocket_connections", "Open WebSocket connections").unwrap_or_else(|_| unreachable!())
    })
});

/// Touches every metric so that it appears (at zero) before its first use.
pub fn init() {
    LazyLock::force(&HTTP_REQUESTS);
    LazyLock::force(&HTTP_DURATION);
    LazyLock::force(&WEBSOCKETS_OPEN);
}

/// The default registry in the Prometheus text format.
pub fn render() -> Result<String, prometheus::Error> {
    let mut buffer = Vec::new();
    TextEncoder::new().encode(&prometheus::gather(), &mut buffer)?;
    Ok(String::from_utf8_lossy(&buffer).into_owned())
}
