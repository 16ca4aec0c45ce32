//! Fault injection through the typed client (another process's view) and the library handle:
//! statuses with Retry-After that the ergonomic client retries through, delays, dropped
//! connections, per-account scope, and refused faults.

use crate::loopback;

use std::time::{Duration, Instant};

use loopback::{KEY, SECRET, start};
use webhooks_ergonomic::{Client, Error, Event, RetryPolicy};
use webhooks_sandbox::client::{CallError, SandboxClient};
use webhooks_sandbox::{Fault, Operation, SandboxHandle};

fn ergonomic(sandbox: &SandboxHandle, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(sandbox.base_url())
        .credentials(KEY, SECRET)
        .retry(retry)
        .build()
        .unwrap()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .backoff(Duration::ZERO, Duration::ZERO)
        .max_retry_after(Duration::from_millis(10))
}

#[tokio::test]
async fn the_ergonomic_client_retries_through_injected_503s() {
    let sandbox = start().await;
    let faults = SandboxClient::new(sandbox.base_url(), KEY, SECRET);
    let armed = faults
        .inject_fault(&Fault::new(Operation::List, 2).status(503, Some(1)))
        .await
        .unwrap();
    assert_eq!(armed.account.as_deref(), Some(KEY), "scoped to the caller");
    let page = ergonomic(&sandbox, quick_retries())
        .webhooks()
        .list()
        .send()
        .await;
    assert!(page.is_ok(), "two 503s, then the real answer: {page:?}");

    faults
        .inject_fault(&Fault::new(Operation::List, 3).status(503, Some(1)))
        .await
        .unwrap();
    let err = ergonomic(&sandbox, quick_retries())
        .webhooks()
        .list()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(503),
        "three 503s spend all three attempts"
    );
}

#[tokio::test]
async fn an_injected_status_carries_retry_after_and_an_error_body() {
    let sandbox = start().await;
    let faults = SandboxClient::new(sandbox.base_url(), KEY, SECRET);
    faults
        .inject_fault(&Fault::new(Operation::Create, 1).status(429, Some(7)))
        .await
        .unwrap();
    let answer = loopback::Api::new(&sandbox)
        .post_json(
            "/v1/webhooks/messages",
            &loopback::create_body("https://example.com/x"),
        )
        .await;
    answer.error(reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers["retry-after"], "7");
    let next = ergonomic(&sandbox, RetryPolicy::none())
        .webhooks()
        .create()
        .url("https://example.com/x")
        .events([Event::ReceivedSms])
        .send()
        .await;
    assert!(next.is_ok(), "the fault was used up: {next:?}");
}

#[tokio::test]
async fn a_fault_of_one_account_leaves_the_others_alone_and_can_be_cleared() {
    let sandbox = start().await;
    let faults = SandboxClient::new(sandbox.base_url(), KEY, SECRET).for_account("sub");
    faults
        .inject_fault(&Fault::new(Operation::Any, 5).status(500, None))
        .await
        .unwrap();
    let own = SandboxClient::new(sandbox.base_url(), KEY, SECRET);
    own.deliveries(&Default::default(), 0, 10).await.unwrap();
    let hit = faults
        .deliveries(&Default::default(), 0, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(hit, CallError::Status { status: 500, .. }),
        "{hit:?}"
    );
    faults.clear_faults().await.unwrap();
    faults.deliveries(&Default::default(), 0, 10).await.unwrap();
}

#[tokio::test]
async fn a_dropped_connection_and_a_delay_reach_the_client_as_such() {
    let sandbox = start().await;
    sandbox
        .inject_fault(Fault::new(Operation::List, 1).drop_connection())
        .unwrap();
    let err = ergonomic(&sandbox, RetryPolicy::none())
        .webhooks()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");

    sandbox
        .inject_fault(Fault::new(Operation::List, 1).delay(Duration::from_millis(300)))
        .unwrap();
    let started = Instant::now();
    ergonomic(&sandbox, RetryPolicy::none())
        .webhooks()
        .list()
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let late = ergonomic(&sandbox, RetryPolicy::none())
        .webhooks()
        .list()
        .send()
        .await;
    assert!(late.is_ok(), "the sandbox still serves after both faults");
}

#[tokio::test]
async fn a_fault_that_cannot_apply_is_refused_with_details() {
    let sandbox = start().await;
    let faults = SandboxClient::new(sandbox.base_url(), KEY, SECRET);
    let refused = faults
        .inject_fault(&Fault::new(Operation::Create, 0).status(200, None))
        .await
        .unwrap_err();
    match refused {
        CallError::Status {
            status: 400,
            details,
            ..
        } => assert_eq!(details.len(), 2, "{details:?}"),
        other => panic!("{other:?}"),
    }
    assert!(sandbox.inject_fault(Fault::new(Operation::Any, 1)).is_err());
}

#[test]
fn the_clients_debug_never_shows_the_secret() {
    let client = SandboxClient::new("http://127.0.0.1:1", "key-id", "very-secret-value");
    let shown = format!("{client:?}");
    assert!(
        shown.contains("key-id") && !shown.contains("very-secret-value"),
        "{shown}"
    );
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "key-id:very-secret-value",
    );
    assert!(!shown.contains(&basic));
}
