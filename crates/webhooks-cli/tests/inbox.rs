//! `mm-webhooks listen --inbox` and `mm-webhooks inbox`: signed callbacks from the sandbox
//! stored before they are answered, forwarded until the app accepts them, a repeat absorbed,
//! and the inbox looked at, replayed and purged from the command line.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};
use tokio::io::{AsyncBufReadExt, BufReader};
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SandboxHandle, SimulatedEvent};

/// A bound on every wait, not a speed assertion.
const LIMIT: Duration = Duration::from_secs(30);

/// What the app behind `--forward-to` saw, and what it answers: the statuses given, then 200.
#[derive(Clone, Default)]
struct App {
    seen: Arc<Mutex<Vec<(HeaderMap, bytes::Bytes)>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
}

impl App {
    async fn start(statuses: &[u16]) -> (App, String) {
        let app = App {
            statuses: Arc::new(Mutex::new(statuses.iter().rev().copied().collect())),
            ..App::default()
        };
        let state = app.clone();
        let router = axum::Router::new().fallback(move |headers: HeaderMap, body: bytes::Bytes| {
            let state = state.clone();
            async move {
                state.seen.lock().unwrap().push((headers, body));
                let status = state.statuses.lock().unwrap().pop().unwrap_or(200);
                StatusCode::from_u16(status).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (app, url)
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn signing_sandbox() -> SandboxHandle {
    Sandbox::builder()
        .credentials(support::KEY, support::SECRET)
        .sign_callbacks(true)
        .start()
        .await
        .unwrap()
}

/// `mm-webhooks listen --inbox FILE ARGS`, the base URL it listens at.
async fn listen(
    sandbox: &SandboxHandle,
    inbox: &std::path::Path,
    args: &[&str],
) -> (tokio::process::Child, String) {
    let key = sandbox.signature_key().unwrap();
    let mut command = support::bare();
    command
        .args(["listen", "--port", "0", "--inbox"])
        .arg(inbox)
        .args([
            "--public-key",
            &format!("{}={}", key.key_id, key.public_key),
        ])
        .args(args);
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = tokio::time::timeout(LIMIT, stderr.next_line())
        .await
        .expect("listen starts in time")
        .unwrap()
        .expect("a first line");
    let url = first
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    (child, url)
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < LIMIT, "never: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn inbox_json(inbox: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut command = support::bare();
    command
        .arg("inbox")
        .args(args)
        .arg("--inbox")
        .arg(inbox)
        .arg("--json");
    let run = support::run(command, &[]).await;
    run.assert_code(0);
    run.json()
}

#[tokio::test]
async fn a_stored_callback_is_answered_200_at_once_and_forwarded_until_the_app_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox.db");
    let sandbox = signing_sandbox().await;
    let (app, app_url) = App::start(&[503, 500]).await;
    let (mut child, url) = listen(&sandbox, &inbox, &["--forward-to", &app_url]).await;
    support::client(&sandbox)
        .webhooks()
        .create()
        .url(format!("{url}/hooks"))
        .event(Event::ReceivedSms)
        .send()
        .await
        .unwrap();
    sandbox
        .trigger_event(SimulatedEvent {
            account: None,
            event: Event::ReceivedSms,
            data: serde_json::json!({"content": "yes, Tuesday"})
                .as_object()
                .unwrap()
                .clone(),
        })
        .await
        .unwrap();

    // The platform gets its 200 from the inbox, whatever the app says.
    eventually("the sandbox logged the delivery", || {
        !sandbox.deliveries().is_empty()
    })
    .await;
    assert_eq!(sandbox.deliveries()[0].status, Some(200));
    // The app is retried with backoff (1 s, then 2 s) until it accepts.
    eventually("the app accepted it", || app.count() == 3).await;
    let entry = inbox_json(&inbox, &["show", "1"]).await;
    let started = Instant::now();
    let mut entry = entry;
    while entry["state"] != "done" {
        assert!(started.elapsed() < LIMIT, "{entry}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        entry = inbox_json(&inbox, &["show", "1"]).await;
    }
    assert_eq!(entry["attempts"], 3);
    assert_eq!(entry["kind"], "inbound_sms");
    assert!(
        entry["body"].as_str().unwrap().contains("yes, Tuesday"),
        "{entry}"
    );

    // The same request again (a retry of the platform): absorbed, never forwarded again.
    let (headers, body) = app.seen.lock().unwrap()[0].clone();
    let again = reqwest::Client::new()
        .post(format!("{url}/hooks"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().starts_with("duplicate"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count(), 3);
    assert_eq!(inbox_json(&inbox, &["show", "1"]).await["duplicates"], 1);

    // From the command line: stats, list, replay (forwarded once more), purge.
    let stats = inbox_json(&inbox, &["stats"]).await;
    assert_eq!(
        (stats["done"].as_u64(), stats["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    let listed = inbox_json(&inbox, &["list", "--state", "done"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(inbox_json(&inbox, &["replay", "1"]).await["replayed"], 1);
    eventually("forwarded again after the replay", || app.count() == 4).await;
    assert_eq!(
        inbox_json(&inbox, &["purge"]).await["purged"],
        0,
        "nothing is a week old"
    );

    let _ = child.start_kill();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_inbox_commands_say_what_is_missing_and_refuse_what_is_not_an_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.db");
    let run = support::run(
        support::bare(),
        &["inbox", "stats", "--inbox", missing.to_str().unwrap()],
    )
    .await;
    run.assert_code(1);
    assert!(run.stderr.contains("no such inbox"), "{run:?}");

    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "shopping: milk, eggs").unwrap();
    let run = support::run(
        support::bare(),
        &["inbox", "list", "--inbox", garbage.to_str().unwrap()],
    )
    .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("notes.txt") && run.stderr.contains("untouched"),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&garbage).unwrap(),
        "shopping: milk, eggs"
    );

    let empty = dir.path().join("empty.db");
    let sandbox = signing_sandbox().await;
    let (mut child, _) = listen(&sandbox, &empty, &[]).await;
    let run = support::run(
        support::bare(),
        &["inbox", "show", "7", "--inbox", empty.to_str().unwrap()],
    )
    .await;
    run.assert_code(1);
    assert!(run.stderr.contains("no callback #7"), "{run:?}");
    let run = support::run(
        support::bare(),
        &["inbox", "replay", "--inbox", empty.to_str().unwrap()],
    )
    .await;
    run.assert_code(2);
    let _ = child.start_kill();
    sandbox.shutdown().await;
}
