//! Every Prometheus metric of the process, in the one registry that `/metrics` exposes.
//! Other parts of the server (the view flusher, the AI job gauges) record through
//! [`metrics()`]; none registers metrics of its own. The names are a contract with the
//! Grafana dashboard (`docker/grafana/dashboards/agora.json`).

use std::sync::LazyLock;

use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The registry and every metric in it.
pub struct Metrics {
    registry: Registry,
    /// Requests served, by method, route pattern and status.
    pub http_requests: IntCounterVec,
    /// Request latency, by method and route pattern.
    pub http_duration: HistogramVec,
    /// Open WebSocket connections.
    pub websockets_open: IntGauge,
    /// Flushes that wrote at least one post's views (one transaction each).
    pub view_flush_batches: IntCounter,
    /// Views written by those batches.
    pub views_flushed: IntCounter,
    /// Flushes that failed (their views stay buffered for the next one).
    pub view_flush_failures: IntCounter,
    /// AI jobs waiting and in progress, by kind (`training`, `inference`) and status
    /// (`queued`, `running`), across every instance (read from the database).
    pub ai_jobs: IntGaugeVec,
    /// Log lines dropped, by reason: `write_error` (the sink refused them, e.g. a closed
    /// pipe) or `queue_full` (the sink took them too slowly).
    pub log_write_failures: IntCounterVec,
}

/// A metric's definition is a constant of this file: failing to build one is a bug here,
/// caught by the first test that renders the registry.
fn built<T>(metric: Result<T, prometheus::Error>) -> T {
    metric.unwrap_or_else(|err| unreachable!("invalid metric definition: {err}"))
}

impl Metrics {
    fn new() -> Self {
        let metrics = Metrics {
            registry: Registry::new(),
            http_requests: built(IntCounterVec::new(
                Opts::new("agora_http_requests_total", "HTTP requests served"),
                &["method", "route", "status"],
            )),
            http_duration: built(HistogramVec::new(
                HistogramOpts::new("agora_http_request_duration_seconds", "HTTP request latency").buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ]),
                &["method", "route"],
            )),
            websockets_open: built(IntGauge::new("agora_websocket_connections", "Open WebSocket connections")),
            view_flush_batches: built(IntCounter::new(
                "agora_view_flush_batches_total",
                "Batches of buffered post views written",
            )),
            views_flushed: built(IntCounter::new("agora_views_flushed_total", "Post views written to the database")),
            view_flush_failures: built(IntCounter::new(
                "agora_view_flush_failures_total",
                "Failed flushes of buffered post views",
            )),
            ai_jobs: built(IntGaugeVec::new(
                Opts::new("agora_ai_jobs", "AI jobs queued and running, by kind"),
                &["kind", "status"],
            )),
            log_write_failures: built(IntCounterVec::new(
                Opts::new("agora_log_write_failures_total", "Log lines dropped because they could not be written"),
                &["reason"],
            )),
        };
        // Exported at zero from the start, so that dashboards and alerts see the series at once.
        for kind in ["training", "inference"] {
            for status in ["queued", "running"] {
                metrics.ai_jobs.with_label_values(&[kind, status]);
            }
        }
        for reason in ["write_error", "queue_full"] {
            metrics.log_write_failures.with_label_values(&[reason]);
        }
        let collectors: [Box<dyn Collector>; 8] = [
            Box::new(metrics.http_requests.clone()),
            Box::new(metrics.http_duration.clone()),
            Box::new(metrics.websockets_open.clone()),
            Box::new(metrics.view_flush_batches.clone()),
            Box::new(metrics.views_flushed.clone()),
            Box::new(metrics.view_flush_failures.clone()),
            Box::new(metrics.ai_jobs.clone()),
            Box::new(metrics.log_write_failures.clone()),
        ];
        for collector in collectors {
            built(metrics.registry.register(collector));
        }
        metrics
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics, registered (at zero) on first use.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_exported_under_its_dashboard_name_before_first_use() {
        let text = Metrics::new().render().unwrap();
        for name in [
            "agora_websocket_connections",
            "agora_view_flush_batches_total",
            "agora_views_flushed_total",
            "agora_view_flush_failures_total",
            "agora_ai_jobs{kind=\"training\",status=\"queued\"} 0",
            "agora_ai_jobs{kind=\"inference\",status=\"running\"} 0",
            "agora_log_write_failures_total{reason=\"write_error\"} 0",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }
}
