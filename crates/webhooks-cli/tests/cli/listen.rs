//! `mm-webhooks listen`: signed callbacks from the sandbox, verified, printed and forwarded.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout};
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SandboxHandle, SimulatedEvent};

/// How long a line may take to appear.
const LINE_LIMIT: Duration = Duration::from_secs(20);

struct Listening {
    child: Child,
    url: String,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
}

impl Listening {
    async fn line(&mut self) -> String {
        next(&mut self.stdout).await
    }

    async fn error_line(&mut self) -> String {
        next(&mut self.stderr).await
    }
}

async fn next<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut Lines<R>) -> String {
    tokio::time::timeout(LINE_LIMIT, lines.next_line())
        .await
        .expect("a line in time")
        .unwrap()
        .expect("the stream is open")
}

async fn signing_sandbox() -> SandboxHandle {
    Sandbox::builder()
        .credentials(support::KEY, support::SECRET)
        .sign_callbacks(true)
        .start()
        .await
        .unwrap()
}

async fn listen(args: &[&str]) -> Listening {
    let mut command = support::bare();
    command.args(["listen", "--port", "0"]).args(args);
    let mut child = command.spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = next(&mut stderr).await;
    let url = first
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    Listening {
        child,
        url,
        stdout,
        stderr,
    }
}

fn key_flag(sandbox: &SandboxHandle) -> String {
    let key = sandbox.signature_key().unwrap();
    format!("{}={}", key.key_id, key.public_key)
}

async fn subscribe(sandbox: &SandboxHandle, url: &str, event: Event) {
    support::client(sandbox)
        .webhooks()
        .create()
        .url(url)
        .event(event)
        .send()
        .await
        .unwrap();
}

async fn trigger(sandbox: &SandboxHandle, event: Event, data: serde_json::Value) {
    let called = sandbox
        .trigger_event(SimulatedEvent {
            account: None,
            event,
            data: data.as_object().unwrap().clone(),
        })
        .await
        .unwrap();
    assert_eq!(called, 1);
}

#[tokio::test]
async fn a_signed_callback_from_the_sandbox_prints_as_a_typed_event() {
    let sandbox = signing_sandbox().await;
    let mut listening = listen(&["--public-key", &key_flag(&sandbox)]).await;
    subscribe(
        &sandbox,
        &format!("{}/hooks/mm", listening.url),
        Event::ReceivedSms,
    )
    .await;
    trigger(
        &sandbox,
        Event::ReceivedSms,
        serde_json::json!({"content": "Hello there"}),
    )
    .await;

    let line = listening.line().await;
    let key_id = sandbox.signature_key().unwrap().key_id.to_string();
    assert!(line.contains(" inbound_sms "), "{line}");
    assert!(line.contains(r#"content="Hello there""#), "{line}");
    assert!(line.ends_with(&format!("(key {key_id})")), "{line}");
    assert_eq!(sandbox.deliveries()[0].status, Some(200));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn json_lines_carry_the_event_and_forwarding_relays_the_apps_status() {
    let sandbox = signing_sandbox().await;
    let received = Arc::new(Mutex::new(Vec::<(String, Vec<u8>)>::new()));
    let app = {
        let received = Arc::clone(&received);
        axum::Router::new().fallback(move |uri: http::Uri, body: bytes::Bytes| {
            let received = Arc::clone(&received);
            async move {
                received
                    .lock()
                    .unwrap()
                    .push((uri.to_string(), body.to_vec()));
                http::StatusCode::ACCEPTED
            }
        })
    };
    let app_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_url = format!("http://{}", app_listener.local_addr().unwrap());
    let app_task = tokio::spawn(async move { axum::serve(app_listener, app).await });

    let mut listening = listen(&[
        "--public-key",
        &key_flag(&sandbox),
        "--forward-to",
        &app_url,
        "--json",
    ])
    .await;
    subscribe(
        &sandbox,
        &format!("{}/cb?x=1", listening.url),
        Event::DeliveredDr,
    )
    .await;
    trigger(
        &sandbox,
        Event::DeliveredDr,
        serde_json::json!({"metadata": {"order": "42"}}),
    )
    .await;

    let line: serde_json::Value = serde_json::from_str(&listening.line().await).unwrap();
    assert_eq!(line["type"], "delivery_report");
    let received_at = line["received_at"].as_str().unwrap();
    let fraction = received_at
        .split('.')
        .nth(1)
        .map_or(0, |f| f.trim_end_matches('Z').len());
    assert!(
        received_at.ends_with('Z') && fraction <= 3,
        "milliseconds: {received_at}"
    );
    assert_eq!(line["verified"], true);
    assert_eq!(line["path"], "/cb?x=1");
    assert_eq!(line["callback"]["status"], "delivered");
    assert_eq!(line["callback"]["metadata"]["order"], "42");
    assert_eq!(line["forwarded"]["status"], 202);
    assert_eq!(
        sandbox.deliveries()[0].status,
        Some(202),
        "the app's status is relayed"
    );
    let forwarded = received.lock().unwrap().clone();
    assert_eq!(forwarded.len(), 1);
    assert_eq!(
        forwarded[0].0, "/cb?x=1",
        "same path and query, so the app can verify"
    );
    let body: serde_json::Value = serde_json::from_slice(&forwarded[0].1).unwrap();
    assert_eq!(
        body["delivery_report_id"],
        line["callback"]["delivery_report_id"]
    );
    app_task.abort();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unsigned_or_tampered_callback_is_rejected_with_401() {
    let sandbox = signing_sandbox().await;
    let mut listening = listen(&["--public-key", &key_flag(&sandbox)]).await;
    let answer = reqwest::Client::new()
        .post(format!("{}/hooks", listening.url))
        .header("content-type", "application/json")
        .body(r#"{"reply_id":"r1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let line = listening.error_line().await;
    assert!(line.starts_with("rejected POST /hooks: "), "{line}");
    assert!(line.contains("x-messagemedia-key-id"), "{line}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_bad_public_key_is_a_usage_error() {
    let run = support::run(
        support::bare(),
        &["listen", "--port", "0", "--public-key", "k1=bm90IGEga2V5"],
    )
    .await;
    run.assert_code(2);
    assert!(run.stderr.contains("--public-key"), "{run:?}");
}

#[tokio::test]
async fn ctrl_c_stops_the_receiver_cleanly() {
    let mut listening = listen(&["--skip-verify"]).await;
    let pid = listening.child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(listening.error_line().await, "stopped");
    let exit = tokio::time::timeout(LINE_LIMIT, listening.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.code(), Some(0));
}

#[tokio::test]
async fn an_unreachable_app_makes_the_forward_answer_502() {
    let sandbox = signing_sandbox().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut listening = listen(&[
        "--public-key",
        &key_flag(&sandbox),
        "--forward-to",
        &app_url,
    ])
    .await;
    subscribe(
        &sandbox,
        &format!("{}/hooks", listening.url),
        Event::OptOutSms,
    )
    .await;
    trigger(&sandbox, Event::OptOutSms, serde_json::json!({})).await;

    let line = listening.line().await;
    assert!(line.contains(" opt_out "), "{line}");
    assert!(line.contains("-> forward failed: "), "{line}");
    assert_eq!(sandbox.deliveries()[0].status, Some(502));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let mut listening = listen(&["--skip-verify"]).await;
    let answer = reqwest::Client::new()
        .post(format!("{}/hooks", listening.url))
        .body(vec![b'a'; 2 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let line = listening.error_line().await;
    assert!(line.starts_with("rejected POST /hooks: "), "{line}");
}
