//! The one place operations are timed out and retried: each attempt is rebuilt and signed
//! afresh, under the per-attempt timeout, retried per the policy, within the total timeout.

use std::future::Future;

use super::Client;
use super::call::Operation;
use crate::error::{Error, Result};

impl Client {
    /// Runs one operation: each attempt re-runs `attempt` (so the request is rebuilt and signed
    /// afresh, with a new `Date`), under the per-attempt timeout, retried per the policy, all
    /// within the total timeout.
    pub(super) async fn execute<T, F, Fut>(&self, operation: &Operation, attempt: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let span = tracing::info_span!(
            "webhooks.operation",
            operation = operation.name,
            method = %operation.method,
            path = operation.path,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // Without a subscriber the span is disabled: skip recording into it (each record is a
        // dispatch through `tracing`, a measurable part of a loopback call).
        let traced = !span.is_disabled();
        let shared = &self.inner;
        let started = tokio::time::Instant::now();
        // One timer per attempt, at the earlier of its own and the operation's deadline: a
        // second, outer timeout around the whole loop cost 1.5-3 % of a loopback call.
        let total_deadline = started + shared.total_timeout;
        let mut attempt_started = started;
        let mut attempt_number = 1;
        let mut result = loop {
            if traced {
                span.record("attempt", attempt_number);
            }
            let deadline = (attempt_started + shared.attempt_timeout).min(total_deadline);
            let err = match tokio::time::timeout_at(deadline, attempt()).await {
                Ok(Ok(value)) => break Ok(value),
                Ok(Err(err)) => err,
                Err(_) => Error::timeout(),
            };
            if let (true, Some(status)) = (traced, err.status()) {
                span.record("status", status);
            }
            let Some(delay) = shared.retry.delay(&operation.method, attempt_number, &err) else {
                break Err(err);
            };
            tracing::debug!(parent: &span, error = %err, ?delay, "retrying");
            let wake = tokio::time::Instant::now() + delay;
            if wake >= total_deadline {
                tokio::time::sleep_until(total_deadline).await;
                break Err(Error::timeout());
            }
            tokio::time::sleep_until(wake).await;
            attempt_started = tokio::time::Instant::now();
            attempt_number += 1;
        };
        if let Err(Error::Timeout { attempts, elapsed }) = &mut result {
            *attempts = attempt_number;
            *elapsed = started.elapsed();
        }
        if traced {
            if result.is_ok() {
                span.record("status", operation.success);
            }
            span.record(
                "latency_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            match &result {
                Ok(_) => tracing::debug!(parent: &span, "done"),
                Err(err) => tracing::debug!(parent: &span, error = %err, "failed"),
            }
        }
        result
    }
}
