//! Tests that need a real RabbitMQ broker (`AGORA_TEST_AMQP_URL`); `make test` skips them
//! and `make test-integration` runs them. They fail, never skip, without a broker.

mod chat;

/// Fails the test with a clear message when no broker is configured.
pub fn require_broker() {
    let url = std::env::var(e2e::TEST_AMQP_URL_VAR).unwrap_or_default();
    assert!(
        !url.trim().is_empty(),
        "this test needs RabbitMQ: set {} (e.g. amqp://guest:guest@127.0.0.1:5672/%2f)",
        e2e::TEST_AMQP_URL_VAR
    );
}
