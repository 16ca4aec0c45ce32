//! A log that cannot be written (a full disk) never costs a request: the sandbox binary, with
//! every level of logging on and both its stdout and stderr on `/dev/full`, still answers the
//! API, refuses an oversized body with 413, and delivers and records callbacks.
#![cfg(target_os = "linux")]

use crate::loopback;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loopback::receiver::Receiver;
use loopback::{Api, KEY, SECRET, create_body};
use reqwest::{Method, StatusCode};
use serde_json::json;
use webhooks_ergonomic::Event;
use webhooks_sandbox::SimulatedEvent;
use webhooks_sandbox::client::SandboxClient;
use webhooks_sandbox::store::DeliveryFilter;

/// How long the sandbox may take to accept connections.
const START_LIMIT: Duration = Duration::from_secs(20);

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn full_disk() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens"),
    )
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

async fn accepting(port: u16, child: &mut Child) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the sandbox exited with {status} before accepting connections");
        }
        assert!(
            started.elapsed() < START_LIMIT,
            "the sandbox never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn with_its_log_on_a_full_disk_the_sandbox_still_answers_and_delivers() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_webhooks-sandbox"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--api-key", KEY, "--api-secret", SECRET])
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null())
        .stdout(full_disk())
        .stderr(full_disk())
        .spawn()
        .unwrap();
    accepting(port, &mut child).await;
    let mut sandbox = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    let api = Api::at(base.clone());

    assert_eq!(api.list().await.page_data.len(), 0);
    let oversized = api
        .send(
            Method::POST,
            "/v1/webhooks/messages",
            Some(vec![b' '; webhooks_sandbox::BODY_LIMIT + 1]),
        )
        .await;
    assert_eq!(oversized.status, StatusCode::PAYLOAD_TOO_LARGE);

    let mut receiver = Receiver::start(&[]).await;
    api.create(&create_body(&format!("{}/hooks", receiver.base)))
        .await;
    let sandbox_client = SandboxClient::new(&base, KEY, SECRET);
    let data = json!({"content": "logged nowhere"});
    let triggered = sandbox_client
        .trigger(&SimulatedEvent {
            account: None,
            event: Event::ReceivedSms,
            data: data.as_object().unwrap().clone(),
        })
        .await
        .expect("the event is accepted");
    assert_eq!(triggered.webhooks, 1);
    let callback = receiver.next().await;
    assert!(
        String::from_utf8_lossy(&callback.body).contains("logged nowhere"),
        "{callback:?}"
    );

    let started = Instant::now();
    loop {
        let attempts = sandbox_client
            .deliveries(&DeliveryFilter::default(), 0, 10)
            .await
            .expect("the delivery log answers");
        if attempts.iter().any(|attempt| attempt.status == Some(200)) {
            break;
        }
        assert!(
            started.elapsed() < START_LIMIT,
            "never logged: {attempts:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        sandbox.0.try_wait().unwrap().is_none(),
        "the sandbox is still running"
    );
}
