//! Tracing: one span per operation with its name, method, path, attempt, status and latency,
//! and never a secret or a body. Its own test binary, because the subscriber it installs for
//! the test would otherwise race with other tests over `tracing`'s global callsite cache.

mod scripted;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use scripted::{ID, SECRET, Server, answer, text, webhook_json};
use webhooks_ergonomic::{Client, RetryPolicy, WebhookId};

/// A `tracing` writer that keeps everything written, for assertions.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_operation_is_traced_without_secrets_or_bodies() {
    use tracing_subscriber::fmt::format::FmtSpan;

    let server = Server::start(vec![text(503, "busy"), answer(200, webhook_json(7))]).await;
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let hooks = Client::builder()
        .base_url(&server.url)
        .credentials("key123", SECRET)
        .retry(RetryPolicy::default().backoff(Duration::ZERO, Duration::ZERO))
        .build()
        .unwrap();
    hooks
        .webhooks()
        .update(ID.parse::<WebhookId>().unwrap())
        .template("BODY-MARKER $mtId")
        .send()
        .await
        .unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("operation=\"UpdateWebhook\""), "{log}");
    assert!(
        log.contains("method=PATCH") && log.contains("path=\"/v1/webhooks/messages/{webhookId}\""),
        "{log}"
    );
    assert!(
        log.contains("attempt=2") && log.contains("status=200") && log.contains("latency_ms="),
        "{log}"
    );
    assert!(log.contains("retrying"), "{log}");
    assert!(
        !log.contains(SECRET) && !log.contains("BODY-MARKER") && !log.contains("hmac username"),
        "{log}"
    );
}
