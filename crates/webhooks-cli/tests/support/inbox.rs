//! `listen` with an inbox, and the `inbox` commands, run as processes: the parts the inbox
//! tests share (the SQLite ones and the NATS ones).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};
use tokio::io::{AsyncBufReadExt, BufReader};
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SandboxHandle, SimulatedEvent};

/// A bound on every wait, not a speed assertion.
pub const LIMIT: Duration = Duration::from_secs(30);

/// What the app behind `--forward-to` saw, and what it answers: the statuses given, then 200.
#[derive(Clone, Default)]
pub struct App {
    pub seen: Arc<Mutex<Vec<(HeaderMap, bytes::Bytes)>>>,
    pub statuses: Arc<Mutex<Vec<u16>>>,
}

impl App {
    pub async fn start(statuses: &[u16]) -> (App, String) {
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

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// The first request the app got, headers and body as forwarded, sent again to
    /// `url/hooks` as the platform's retry would be: it must be answered 200 as a duplicate.
    pub async fn resend_first_as_a_retry(&self, url: &str) {
        let (headers, body) = self.seen.lock().unwrap()[0].clone();
        let again = reqwest::Client::new()
            .post(format!("{url}/hooks"))
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
        let text = again.text().await.unwrap();
        assert!(text.starts_with("duplicate"), "{text}");
    }
}

pub async fn signing_sandbox() -> SandboxHandle {
    Sandbox::builder()
        .credentials(super::KEY, super::SECRET)
        .sign_callbacks(true)
        .start()
        .await
        .unwrap()
}

/// Where the inbox is: `--inbox FILE` or `--nats URL`.
pub enum Store {
    File(PathBuf),
    Nats(String),
}

impl Store {
    pub fn args(&self) -> Vec<OsString> {
        match self {
            Store::File(path) => vec!["--inbox".into(), path.into()],
            Store::Nats(url) => vec!["--nats".into(), url.into()],
        }
    }
}

/// `mm-webhooks listen --port 0 STORE ARGS` with the sandbox's key, the base URL it listens at.
pub async fn listen(
    sandbox: &SandboxHandle,
    store: &Store,
    args: &[&str],
) -> (tokio::process::Child, String) {
    let key = sandbox.signature_key().unwrap();
    let mut command = super::bare();
    command
        .args(["listen", "--port", "0"])
        .args(store.args())
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

pub async fn eventually(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < LIMIT, "never: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// `mm-webhooks inbox ARGS STORE --json`, which must succeed.
pub async fn inbox_json(store: &Store, args: &[&str]) -> serde_json::Value {
    let mut command = super::bare();
    command
        .arg("inbox")
        .args(args)
        .args(store.args())
        .arg("--json");
    let run = super::run(command, &[]).await;
    run.assert_code(0);
    run.json()
}

/// A webhook for inbound SMS at `url/hooks`, and one SMS with `content` triggered to it.
pub async fn trigger_sms(sandbox: &SandboxHandle, url: &str, content: &str) {
    super::client(sandbox)
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
            data: serde_json::json!({ "content": content })
                .as_object()
                .unwrap()
                .clone(),
        })
        .await
        .unwrap();
}

/// The whole loop on one store: a signed SMS from the sandbox answered 200 by the inbox at
/// once, forwarded to an app that fails twice until it accepts, the platform's retry absorbed,
/// then `inbox stats`, `list`, `show`, `replay` and `purge` from the command line.
pub async fn answered_at_once_forwarded_until_accepted_and_operated(inbox: Store) {
    let sandbox = signing_sandbox().await;
    let (app, app_url) = App::start(&[503, 500]).await;
    let (mut child, url) = listen(&sandbox, &inbox, &["--forward-to", &app_url]).await;
    trigger_sms(&sandbox, &url, "yes, Tuesday").await;

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
    app.resend_first_as_a_retry(&url).await;
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
