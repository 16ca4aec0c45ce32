//! The browser and the loop under test: chromedriver started on a free loopback port, headless
//! Chromium with a fresh profile, an in-process signing sandbox, the app behind
//! `--forward-to`, and `mm-webhooks listen --ui` itself.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SandboxHandle, SimulatedEvent};

/// A bound on every wait, not a speed assertion.
pub const LIMIT: Duration = Duration::from_secs(20);

pub const KEY: &str = "browser-test-key";
pub const SECRET: &str = "browser-test-secret-3c9e";

/// Chromium, from `CHROMIUM` or Debian's path.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// chromedriver, from `CHROMEDRIVER` or the `PATH`.
fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Where screenshots go: `target/ui-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("ui-screenshots")
}

/// A headless Chromium driven through its own chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// chromedriver's log endpoint (`goog:loggingPrefs` turns it on): the console's messages.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect(
                "chromedriver starts (apt-get install chromium chromium-driver; .ci/browser does)",
            );
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = http
                .get(format!("{url}/status"))
                .send()
                .await
                .ok()
                .filter(|answer| answer.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(
                started.elapsed() < LIMIT,
                "chromedriver never answered on {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities: Capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1440,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        }))
        .unwrap();
        let client = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a Chromium session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// The console's errors since the last call (warnings and messages left out).
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("the browser log");
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Saves a screenshot as `target/ui-screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|err| panic!("{script}: {err}"))
    }

    /// Waits until `script` returns true.
    pub async fn until(&self, what: &str, script: &str) {
        self.until_within(what, script, LIMIT).await;
    }

    /// Waits until `script` returns true, at most `limit`; how long it took.
    pub async fn until_within(&self, what: &str, script: &str, limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            if self.js(script).await == Value::Bool(true) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "not within {limit:?}: {what}; the page says {}",
                self.js("return document.body.innerText.slice(0, 2000)")
                    .await
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("{css}: {err}"))
            .click()
            .await
            .unwrap_or_else(|err| panic!("click {css}: {err}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }

    /// Closes the browser after asserting that the page logged no error since the last look.
    pub async fn close_without_errors(self) {
        assert_eq!(self.console_errors().await, Vec::<String>::new());
        self.close().await;
    }
}

/// One request the app behind `--forward-to` (or a capturing webhook) received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

/// An app that records what it gets and answers the statuses it was given, then 200.
#[derive(Clone, Default)]
pub struct App {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub url: String,
}

impl App {
    pub async fn start() -> App {
        App::answering(&[]).await
    }

    pub async fn answering(statuses: &[u16]) -> App {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let recorded = Arc::clone(&seen);
        let statuses = Arc::new(Mutex::new(
            statuses.iter().rev().copied().collect::<Vec<_>>(),
        ));
        let router = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: bytes::Bytes| {
                let recorded = Arc::clone(&recorded);
                let statuses = Arc::clone(&statuses);
                async move {
                    recorded.lock().unwrap().push(Seen {
                        method,
                        uri,
                        headers,
                        body,
                    });
                    let status = statuses.lock().unwrap().pop().unwrap_or(200);
                    StatusCode::from_u16(status).unwrap()
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        App { seen, url }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until it got `count` requests at paths starting with `prefix`; those.
    pub async fn wait_for(&self, prefix: &str, count: usize) -> Vec<Seen> {
        let started = Instant::now();
        loop {
            let seen: Vec<Seen> = self
                .seen()
                .into_iter()
                .filter(|seen| seen.uri.path().starts_with(prefix))
                .collect();
            if seen.len() >= count {
                return seen;
            }
            assert!(
                started.elapsed() < LIMIT,
                "the app got {} of {count} at {prefix}",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The sandbox, the app, and `listen --ui` in front of it, with a webhook calling the
/// receiver at `/hooks` for replies and delivery reports.
pub struct Loop {
    pub sandbox: SandboxHandle,
    pub app: App,
    pub receiver: String,
    pub inspector: String,
    listen: Child,
    _dir: tempfile::TempDir,
}

impl Loop {
    pub async fn start() -> Loop {
        let sandbox = Sandbox::builder()
            .credentials(KEY, SECRET)
            .sign_callbacks(true)
            .start()
            .await
            .expect("the sandbox starts");
        let app = App::start().await;
        let dir = tempfile::tempdir().unwrap();
        let key = sandbox.signature_key().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_mm-webhooks"));
        for name in [
            "MESSAGEMEDIA_API_KEY",
            "MESSAGEMEDIA_API_SECRET",
            "MESSAGEMEDIA_BASE_URL",
            "MM_WEBHOOKS_UI_TOKEN",
            "RUST_LOG",
        ] {
            command.env_remove(name);
        }
        command
            .args(["listen", "--port", "0", "--ui", "--ui-port", "0", "--inbox"])
            .arg(dir.path().join("inbox.db"))
            .args(["--forward-to", &app.url])
            .args([
                "--public-key",
                &format!("{}={}", key.key_id, key.public_key),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut listen = command.spawn().expect("mm-webhooks runs");
        let mut lines = BufReader::new(listen.stderr.take().unwrap()).lines();
        let receiver = address(&mut lines, "listening on ").await;
        let inspector = address(&mut lines, "inspector on ").await;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = webhooks_ergonomic::Client::builder()
            .credentials(KEY, SECRET)
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        client
            .webhooks()
            .create()
            .url(format!("{receiver}/hooks"))
            .events([Event::ReceivedSms, Event::DeliveredDr])
            .send()
            .await
            .expect("a webhook to the receiver");
        Loop {
            sandbox,
            app,
            receiver,
            inspector,
            listen,
            _dir: dir,
        }
    }

    /// Simulates `event` with `data` and waits until the sandbox delivered it.
    pub async fn trigger(&self, event: Event, data: Value) {
        self.sandbox
            .trigger_event(SimulatedEvent {
                account: None,
                event,
                data: data.as_object().cloned().unwrap_or_default(),
            })
            .await
            .expect("the event is simulated");
    }

    /// A callback as the sandbox signs it, captured by the app instead of the receiver:
    /// `OPT_OUT_SMS` to a webhook at the app's `/capture`.
    pub async fn signed_request(&self) -> Seen {
        let client = webhooks_ergonomic::Client::builder()
            .credentials(KEY, SECRET)
            .base_url(self.sandbox.base_url())
            .build()
            .unwrap();
        client
            .webhooks()
            .create()
            .url(format!("{}/capture", self.app.url))
            .event(Event::OptOutSms)
            .send()
            .await
            .expect("a capturing webhook");
        self.trigger(Event::OptOutSms, json!({"content": "STOP"}))
            .await;
        self.app.wait_for("/capture", 1).await.remove(0)
    }

    pub async fn stop(mut self) {
        let _ = self.listen.kill().await;
        self.sandbox.shutdown().await;
    }
}

/// The address on the next line of `listen`'s stderr, after `prefix`.
async fn address(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    prefix: &str,
) -> String {
    let line = tokio::time::timeout(LIMIT, lines.next_line())
        .await
        .expect("listen prints its addresses in time")
        .unwrap()
        .expect("a line");
    line.strip_prefix(prefix)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("expected {prefix}...: {line}"))
        .trim_end_matches('/')
        .to_owned()
}
