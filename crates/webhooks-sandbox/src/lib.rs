//! A faithful local emulator of the MessageMedia (Sinch Engage) Webhooks Management API that
//! also delivers callbacks: for offline quickstarts, integration tests, and your own tests.
//!
//! It validates like the API (400 with `details` naming each failing field, 409 on a duplicate
//! url and method, 404 on unknown ids), authenticates like the gateway (Basic, or HMAC verified
//! from the signed header list), scopes data by the `Account` header, keeps state (optionally in
//! a file that survives restarts), and calls subscribed webhooks when you simulate an event.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use webhooks_sandbox::{Sandbox, SimulatedEvent};
//! use webhooks_ergonomic::Event;
//!
//! let sandbox = Sandbox::builder().credentials("key", "secret").start().await?;
//! println!("API at {}", sandbox.base_url());
//! // ... create webhooks through any client, then:
//! let called = sandbox
//!     .trigger_event(SimulatedEvent { account: None, event: Event::ReceivedSms, data: Default::default() })
//!     .await;
//! println!("{called} webhooks called; log: {:?}", sandbox.deliveries());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Endpoints beyond the API: `POST /sandbox/v1/events` (a [`SimulatedEvent`] as JSON,
//! authenticated like the API) and `GET /sandbox/v1/deliveries` (every [`DeliveryAttempt`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
pub mod auth;
pub mod delivery;
pub mod store;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{RwLock, oneshot};

pub use delivery::{DeliveryAttempt, SimulatedEvent};

/// The credentials the sandbox accepts when none are configured.
pub const DEFAULT_CREDENTIALS: (&str, &str) = ("sandbox-key", "sandbox-secret");
/// The largest request body accepted; larger ones get 413.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Configures a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    keys: auth::Keys,
    default_account: Option<String>,
    listen: SocketAddr,
    state_file: Option<PathBuf>,
    time_scale: f64,
}

/// The sandbox; start one with [`Sandbox::builder`].
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Start configuring a sandbox.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            keys: auth::Keys::default(),
            default_account: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_file: None,
            time_scale: 1.0,
        }
    }
}

impl SandboxBuilder {
    /// Accept this API key and secret (call again for more pairs). Without any, the sandbox
    /// accepts [`DEFAULT_CREDENTIALS`].
    pub fn credentials(
        mut self,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        let api_key = api_key.into();
        self.default_account.get_or_insert_with(|| api_key.clone());
        self.keys.insert(api_key, api_secret);
        self
    }

    /// Listen on this address (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Keep state in this file: loaded on start, rewritten atomically after every change.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Multiply callback retry delays by `scale` (1.0 is real time; 0.001 makes a 5 s delay
    /// 5 ms, for tests).
    pub fn delivery_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// Bind, load state, and serve until [`SandboxHandle::shutdown`].
    pub async fn start(mut self) -> std::io::Result<SandboxHandle> {
        if self.default_account.is_none() {
            self = self.credentials(DEFAULT_CREDENTIALS.0, DEFAULT_CREDENTIALS.1);
        }
        let store = match &self.state_file {
            Some(path) => store::Store::load(path)?,
            None => store::Store::default(),
        };
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("webhooks-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(std::io::Error::other)?;
        let app = Arc::new(api::App {
            store: RwLock::new(store),
            keys: self.keys,
            default_account: self.default_account.unwrap_or_default(),
            state_file: self.state_file,
            deliverer: delivery::Deliverer {
                http,
                log: Default::default(),
                time_scale: self.time_scale,
            },
        });
        let listener = tokio::net::TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = api::router(Arc::clone(&app));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(SandboxHandle {
            addr,
            app,
            stop: Some(stop),
            task,
        })
    }
}

/// A running sandbox.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    app: Arc<api::App>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl SandboxHandle {
    /// The base URL to point a client at, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Simulates `event` (for its account, or the first configured API key's) and waits until
    /// every subscribed webhook has been called, retries included. Returns how many were.
    pub async fn trigger_event(&self, event: SimulatedEvent) -> usize {
        let account = event
            .account
            .clone()
            .unwrap_or_else(|| self.app.default_account.clone());
        let tasks = self.app.trigger(&account, &event).await;
        let count = tasks.len();
        for task in tasks {
            let _ = task.await;
        }
        count
    }

    /// Every delivery attempt so far.
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.app.deliverer.log.attempts()
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}
