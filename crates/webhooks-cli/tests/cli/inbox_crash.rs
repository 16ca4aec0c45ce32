//! A receiver killed with SIGKILL in the middle of a burst of 2,000 signed callbacks loses
//! none: `mm-webhooks listen --inbox` answers 200 only once a callback is on disk, the sandbox
//! retries what got no answer, and after a restart on the same inbox every callback the
//! sandbox saw acknowledged is handed to the app at least once. A callback is handed over twice
//! only when its handler was running at the moment of the crash: at most as many as run at
//! once.
#![cfg(unix)]

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SandboxHandle, SimulatedEvent};

/// Callbacks in the burst.
const BURST: usize = 2_000;
/// Events triggered at a time: the sandbox opens a connection per callback in flight.
const WAVE: usize = 50;
/// Kill the receiver once the app has seen this many.
const KILL_AFTER: usize = 400;
/// Handlers `listen --inbox` runs at once (the inbox's default concurrency).
const CONCURRENCY: usize = 8;
/// A bound on the whole test: the crashed worker's leases run out after 30 s.
const LIMIT: Duration = Duration::from_secs(150);

/// The app behind `--forward-to`: how often it saw each callback, by its content.
#[derive(Clone, Default)]
struct App(Arc<Mutex<HashMap<String, u32>>>);

impl App {
    async fn start(&self) -> String {
        let seen = Arc::clone(&self.0);
        let router = axum::Router::new().fallback(move |body: bytes::Bytes| {
            let seen = Arc::clone(&seen);
            async move {
                let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let content = value["content"].as_str().unwrap_or("?").to_owned();
                *seen.lock().unwrap().entry(content).or_default() += 1;
                StatusCode::OK
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        url
    }

    fn distinct(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    fn snapshot(&self) -> HashMap<String, u32> {
        self.0.lock().unwrap().clone()
    }
}

/// `mm-webhooks listen --port PORT --inbox FILE --forward-to APP`, once it listens.
async fn listen(sandbox: &SandboxHandle, port: u16, inbox: &std::path::Path, app: &str) -> Child {
    let key = sandbox.signature_key().unwrap();
    let started = Instant::now();
    loop {
        let mut command = support::bare();
        command
            .args(["listen", "--port", &port.to_string(), "--inbox"])
            .arg(inbox)
            .args([
                "--public-key",
                &format!("{}={}", key.key_id, key.public_key),
            ])
            .args(["--forward-to", app])
            .stdout(std::process::Stdio::null());
        let mut child = command.spawn().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = tokio::time::timeout(LIMIT, stderr.next_line())
            .await
            .expect("listen says something")
            .unwrap()
            .unwrap_or_default();
        if first.starts_with("listening on ") {
            tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
            return child;
        }
        // The port of the killed one may take a moment to free.
        assert!(started.elapsed() < Duration::from_secs(20), "{first}");
        let _ = child.wait().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_mid_burst_loses_no_acknowledged_callback() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox.db");
    // Retries 5 times, 60 s apart at the platform's pace, 600 ms here: 3 s to come back.
    let sandbox = Sandbox::builder()
        .credentials(support::KEY, support::SECRET)
        .sign_callbacks(true)
        .delivery_time_scale(0.01)
        .delivery_log_limit(100_000)
        .start()
        .await
        .unwrap();
    let app = App::default();
    let app_url = app.start().await;
    let port = free_port();
    let mut receiver = listen(&sandbox, port, &inbox, &app_url).await;
    support::client(&sandbox)
        .webhooks()
        .create()
        .url(format!("http://127.0.0.1:{port}/hooks"))
        .event(Event::ReceivedSms)
        .retries(5)
        .retry_delay(60)
        .send()
        .await
        .unwrap();

    let started = Instant::now();
    let mut killed = false;
    for wave in 0..BURST / WAVE {
        for index in wave * WAVE..(wave + 1) * WAVE {
            let data = serde_json::json!({"content": format!("burst-{index}")});
            sandbox
                .trigger_event(SimulatedEvent {
                    account: None,
                    event: Event::ReceivedSms,
                    data: data.as_object().unwrap().clone(),
                })
                .await
                .unwrap();
        }
        if !killed && app.distinct() >= KILL_AFTER {
            receiver.start_kill().unwrap();
            receiver.wait().await.unwrap();
            killed = true;
            receiver = listen(&sandbox, port, &inbox, &app_url).await;
        }
        // Keep the callbacks in flight bounded: wait for most of this wave to be answered.
        while sandbox
            .deliveries()
            .iter()
            .filter(|d| d.status.is_some())
            .count()
            + 2 * WAVE
            < (wave + 1) * WAVE
        {
            assert!(started.elapsed() < LIMIT, "the burst stalled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(killed, "the receiver was killed mid-burst");

    while app.distinct() < BURST {
        assert!(
            started.elapsed() < LIMIT,
            "{} of {BURST} callbacks reached the app",
            app.distinct()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let acknowledged = sandbox
        .deliveries()
        .iter()
        .filter(|attempt| attempt.status == Some(200))
        .count();
    assert_eq!(acknowledged, BURST, "every callback was acknowledged once");
    let seen = app.snapshot();
    for index in 0..BURST {
        assert!(
            seen.contains_key(&format!("burst-{index}")),
            "burst-{index} was lost"
        );
    }
    let twice: Vec<_> = seen.iter().filter(|(_, count)| **count > 1).collect();
    assert!(
        twice.len() <= CONCURRENCY,
        "handed over more than once, beyond the handlers running at the crash: {twice:?}"
    );

    let _ = receiver.start_kill();
    sandbox.shutdown().await;
}
