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
//!     .await
//!     .map_err(std::io::Error::other)?;
//! println!("{called} webhooks called; log: {:?}", sandbox.deliveries());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # State
//!
//! In memory by default; with [`SandboxBuilder::state_file`] (`--state`), in an SQLite file
//! that each change is committed to (durably, before the answer) and that survives restarts,
//! crashes and `kill -9`. The delivery log is kept there too, bounded to the newest
//! [`SandboxBuilder::delivery_log_limit`] attempts. See [`store`].
//!
//! # Signature keys and signed callbacks
//!
//! The seven operations of the Signature Key API (`/v1/iam/signature_keys`, see
//! `webhooks_ergonomic::signature_keys`) work per account, for real: a create makes a
//! [`signing::KEY_BITS`]-bit RSA key pair whose private half never leaves the sandbox (nor
//! reaches a log; with `--state` it is kept in the state file), enable and disable choose the
//! key the account's callbacks are signed with, and callbacks are unsigned while none is
//! enabled. [`SandboxBuilder::sign_callbacks`] starts the default account with one enabled
//! key. The sandbox-only `GET /sandbox/v1/signature-key` of earlier versions is gone: the
//! platform has no such path; use `GET /v1/iam/signature_keys/{key_id}` (or
//! [`SandboxHandle::signature_key`] in the same process).
//!
//! # The sandbox's own endpoints
//!
//! Each authenticates like the API and acts for the caller's account (or the one its
//! `Account` header names); [`client::SandboxClient`] calls them from another process.
//!
//! | endpoint | what it does |
//! |---|---|
//! | `POST /sandbox/v1/events` | simulates a [`SimulatedEvent`] (JSON); 202 `{account, webhooks}` |
//! | `GET /sandbox/v1/deliveries` | the account's [`DeliveryAttempt`]s, oldest first; filters `webhook_id`, `event`, `outcome` (`delivered` or `failed`), `since` (RFC 3339); `page` from 0, `page_size` 1 to 1000 (default 100) |
//! | `POST /sandbox/v1/faults` | arms a [`Fault`] for the account: the next `times` requests of `operation` answer `status` (with `Retry-After: retry_after`), wait `delay_ms`, or lose their connection (`drop_connection`); 201 |
//! | `DELETE /sandbox/v1/faults` | removes the account's faults; 204 |
//!
//! For example, to make the next two creates answer 503 with `Retry-After: 1`:
//!
//! ```text
//! curl -u sandbox-key:sandbox-secret -X POST http://127.0.0.1:8080/sandbox/v1/faults \
//!      -H 'Content-Type: application/json' \
//!      -d '{"operation": "create", "times": 2, "status": 503, "retry_after": 1}'
//! ```
//!
//! In the same process, [`SandboxHandle::inject_fault`] does the same for any account.
//!
//! Limits: request bodies up to [`BODY_LIMIT`] bytes (413 beyond); list pages of 1 to 100
//! webhooks, 100 by default (400 beyond), numbered from 0 (`page_size` and its alias
//! `pageSize`; the list also answers at `/v1/webhooks/messages/`).
//!
//! Accounts: a request acts for its API key's own account, or for the account its `Account`
//! header names. The sandbox lets every key act for every account: it checks isolation between
//! accounts, not which parent owns which sub-account.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
pub mod auth;
mod authenticated;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
pub mod client;
pub mod delivery;
pub mod faults;
mod signature_keys;
pub mod signing;
pub mod store;
mod ui;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

pub use delivery::{DeliveryAttempt, SimulatedEvent};
pub use faults::{Fault, Operation};
pub use signing::{Digest, SignatureKey};
pub use webhooks_template::EventDataError;

/// The credentials the sandbox accepts when none are configured.
pub const DEFAULT_CREDENTIALS: (&str, &str) = ("sandbox-key", "sandbox-secret");
/// The largest request body accepted; larger ones get 413.
pub const BODY_LIMIT: usize = 256 * 1024;
/// The listen backlog by default: a burst of 1,000 connections overflowed the common default
/// of 128 and saw resets. The kernel caps it at `net.core.somaxconn`.
pub const DEFAULT_LISTEN_BACKLOG: u32 = 1024;

/// Configures a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    keys: auth::Keys,
    default_account: Option<String>,
    listen: SocketAddr,
    state_file: Option<PathBuf>,
    delivery_log_limit: usize,
    backlog: u32,
    time_scale: f64,
    sign_callbacks: bool,
    digest: Digest,
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
            delivery_log_limit: store::DEFAULT_DELIVERY_LOG_LIMIT,
            backlog: DEFAULT_LISTEN_BACKLOG,
            time_scale: 1.0,
            sign_callbacks: false,
            digest: Digest::Sha256,
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

    /// Keep state in this SQLite file (created when missing): every change is committed
    /// durably before it is answered. An old JSON state file at `path` is imported once (the
    /// JSON is kept beside it, see [`SandboxHandle::notes`]); a file that is neither, or is
    /// damaged, makes [`SandboxBuilder::start`] fail with a message naming it, untouched.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Keep the newest `limit` delivery attempts (default
    /// [`store::DEFAULT_DELIVERY_LOG_LIMIT`]; at least 1).
    pub fn delivery_log_limit(mut self, limit: usize) -> Self {
        self.delivery_log_limit = limit.max(1);
        self
    }

    /// The listen backlog (default [`DEFAULT_LISTEN_BACKLOG`]): how many connections may wait
    /// to be accepted before the kernel refuses more.
    pub fn listen_backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog.max(1);
        self
    }

    /// Multiply callback retry delays by `scale` (1.0 is real time; 0.001 makes a 5 s delay
    /// 5 ms, for tests). A negative, infinite or NaN `scale` is ignored.
    pub fn delivery_time_scale(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale >= 0.0 {
            self.time_scale = scale;
        }
        self
    }

    /// Start the default account (the first API key's) with one enabled signature key, so its
    /// callbacks are signed (`X-MessageMedia-Signature`, `-Digest-Type`, `-Cipher-Type`,
    /// `-Key-Id` and `Date`) from the start, as the platform signs them once a key is created
    /// and enabled. Off by default (any account can still create and enable keys through the
    /// API). With a state file whose default account already has an enabled key, that key is
    /// kept. The public key is [`SandboxHandle::signature_key`] and `GET
    /// /v1/iam/signature_keys/{key_id}`.
    pub fn sign_callbacks(mut self, sign: bool) -> Self {
        self.sign_callbacks = sign;
        self
    }

    /// The digest of the key [`SandboxBuilder::sign_callbacks`] creates (default
    /// [`Digest::Sha256`]).
    pub fn signature_digest(mut self, digest: Digest) -> Self {
        self.digest = digest;
        self
    }

    /// Bind, load state, and serve until [`SandboxHandle::shutdown`].
    pub async fn start(mut self) -> std::io::Result<SandboxHandle> {
        if self.default_account.is_none() {
            self = self.credentials(DEFAULT_CREDENTIALS.0, DEFAULT_CREDENTIALS.1);
        }
        let store = match &self.state_file {
            Some(path) => store::Store::open(path, self.delivery_log_limit).await?,
            None => store::Store::in_memory(self.delivery_log_limit),
        };
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("webhooks-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(std::io::Error::other)?;
        let default_account = self.default_account.unwrap_or_default();
        if self.sign_callbacks && store.enabled_signer(&default_account).is_none() {
            enable_new_key(&store, &default_account, self.digest).await?;
        }
        let app = Arc::new(api::App {
            keys: self.keys,
            default_account,
            deliverer: delivery::Deliverer {
                http,
                log: store.deliveries().clone(),
                time_scale: self.time_scale,
                signer: None,
            },
            store,
            faults: faults::Faults::default(),
        });
        let listener = listen(self.listen, self.backlog)?;
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
    ///
    /// Each callback's body is the webhook's template (or the default payload of its
    /// encoding) rendered with the event's data, by the same engine as
    /// `webhooks_template`. Data that does not make template variables
    /// (an unknown field, a wrong type) is refused before anything is delivered.
    pub async fn trigger_event(&self, event: SimulatedEvent) -> Result<usize, EventDataError> {
        let account = event
            .account
            .clone()
            .unwrap_or_else(|| self.app.default_account.clone());
        let tasks = self.app.trigger(&account, &event)?;
        let count = tasks.len();
        for task in tasks {
            let _ = task.await;
        }
        Ok(count)
    }

    /// The enabled signature key of the default account (the first API key's), the one its
    /// callbacks are signed with now, with its public key; `None` while none is enabled.
    pub fn signature_key(&self) -> Option<SignatureKey> {
        self.enabled_signature_key(&self.app.default_account)
    }

    /// The enabled signature key of `account`, with its public key; `None` while none is.
    pub fn enabled_signature_key(&self, account: &str) -> Option<SignatureKey> {
        let signer = self.app.store.enabled_signer(account)?;
        let mut key = signer.key().clone();
        key.enabled = true;
        Some(key)
    }

    /// Every delivery attempt kept (the newest [`SandboxBuilder::delivery_log_limit`]), of
    /// every account, in the order they ended.
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.app.store.deliveries().attempts()
    }

    /// What starting did that the user should hear of, e.g. the import of a JSON state file.
    pub fn notes(&self) -> &[String] {
        self.app.store.notes()
    }

    /// Arms `fault`: the next `fault.times` matching requests are delayed, answered its
    /// status, or lose their connection. A fault without an account applies to every account.
    /// A fault that [`Fault::problems`] finds wrong is refused with them.
    pub fn inject_fault(&self, fault: Fault) -> Result<(), Vec<String>> {
        let problems = fault.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        self.app.faults.add(fault);
        Ok(())
    }

    /// Removes every armed fault.
    pub fn clear_faults(&self) {
        self.app.faults.clear(None);
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Creates a key pair for `account` and enables it (what `--sign-callbacks` starts with).
async fn enable_new_key(
    store: &store::Store,
    account: &str,
    digest: Digest,
) -> std::io::Result<()> {
    let signer = tokio::task::spawn_blocking(move || signing::CallbackSigner::generate(digest))
        .await
        .map_err(std::io::Error::other)?
        .map_err(std::io::Error::other)?;
    let id = signer.key().key_id;
    store
        .create_signature_key(account, Arc::new(signer))
        .await
        .map_err(std::io::Error::other)?;
    store
        .enable_signature_key(account, id)
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}

/// Binds `addr` with a listen backlog of `backlog`.
fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// The sandbox's README, whose Rust examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The workspace's README: its Rust examples use the managing client, the receiving crate with
/// its inbox, and axum, all of which this crate's tests depend on, so they are compiled here.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct WorkspaceReadmeDoctests;
