//! [`InboxBuilder`]: where the inbox stores, how it verifies, keys and hands out callbacks.
//! Every bound is a named default here, with its reason.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use super::error::InboxError;
use super::sqlite::{SqliteOptions, SqliteStore};
use super::store::Store;
use super::work::WorkConfig;
use super::{Inbox, KeyFn, Shared};
use crate::{Callback, Verifier};

/// How many open callbacks (pending or in handling) the inbox holds before it answers 503:
/// enough for an hour at 25 callbacks a second, small enough to notice a stalled handler.
pub const DEFAULT_MAX_BACKLOG: u64 = 100_000;

/// How long dedup keys (and finished callbacks) are kept: longer than the platform retries (at
/// most 5 retries, 60 s apart) by a wide margin, so an operator can look back a week.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How long a worker holds a callback before another may take it over, unless it renews (it
/// does, every third of it, while the handler runs).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Handler runs per callback before it is dead.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The first retry's wait; it doubles per attempt up to [`DEFAULT_BACKOFF_MAX`].
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);

/// The longest wait between attempts.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(10 * 60);

/// How long one handler run may take before it is dropped and counted a failed attempt.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Handler runs at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The `Retry-After` a full inbox asks for, in seconds.
pub const FULL_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Where an inbox stores.
#[derive(Debug, Clone, Default)]
enum Backend {
    #[default]
    Unset,
    Sqlite(PathBuf),
    #[cfg(feature = "nats")]
    JetStream(super::jetstream::JetStreamOptions),
}

/// Configures an [`Inbox`]; [`open`](InboxBuilder::open) checks and opens it.
///
/// ```no_run
/// # async fn run(verifier: webhooks_callbacks::Verifier) -> Result<(), webhooks_callbacks::inbox::InboxError> {
/// use std::time::Duration;
/// use webhooks_callbacks::inbox::Inbox;
///
/// let inbox = Inbox::builder()
///     .sqlite("inbox.db")
///     .verifier(verifier)
///     .order_by(|callback| callback.message_id().map(ToString::to_string))
///     .max_attempts(5)
///     .retention(Duration::from_secs(14 * 24 * 3600))
///     .open()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
#[must_use = "a builder does nothing until `open` is called"]
pub struct InboxBuilder {
    backend: Backend,
    verifier: Option<Verifier>,
    dedup_key: Option<KeyFn>,
    order_key: Option<KeyFn>,
    max_backlog: Option<u64>,
    retention: Option<Duration>,
    lease: Option<Duration>,
    max_attempts: Option<u32>,
    backoff: Option<(Duration, Duration)>,
    handler_timeout: Option<Duration>,
    concurrency: Option<usize>,
    group_commit: Option<bool>,
    max_file_bytes: Option<u64>,
    owner: Option<String>,
}

impl std::fmt::Debug for InboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxBuilder")
            .field("backend", &self.backend)
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl InboxBuilder {
    /// Stores in the SQLite file at `path` (created when missing).
    pub fn sqlite(mut self, path: impl Into<PathBuf>) -> Self {
        self.backend = Backend::Sqlite(path.into());
        self
    }

    /// Stores in a NATS JetStream (feature `nats`), at `url` (`nats://127.0.0.1:4222`;
    /// several servers separated by commas). Options go in the URL's query, used when the
    /// streams and the bucket are created: `prefix` they are named after (default
    /// `MESSAGEMEDIA_CALLBACKS`), `duplicate_window` (default `2m`), `replicas` (default 1), as
    /// in `nats://nats.internal:4222?prefix=ORDERS_CALLBACKS&replicas=3`.
    #[cfg(feature = "nats")]
    #[cfg_attr(docsrs, doc(cfg(feature = "nats")))]
    pub fn nats(mut self, url: impl Into<String>) -> Self {
        self.backend = Backend::JetStream(super::jetstream::JetStreamOptions::new(url.into()));
        self
    }

    /// How callbacks are verified (required): the keys, the key source, the freshness window,
    /// the public path behind a proxy.
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// The dedup key of a callback, instead of its natural identity; `None` falls back to the
    /// default rule (see the module documentation).
    pub fn dedup_key(
        mut self,
        key: impl Fn(&Callback) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.dedup_key = Some(Arc::new(key));
        self
    }

    /// Handles callbacks with the same key one at a time, in the order they arrived (SQLite
    /// only): a delivery report's message id, say. Callbacks without a key are not ordered.
    pub fn order_by(
        mut self,
        key: impl Fn(&Callback) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.order_key = Some(Arc::new(key));
        self
    }

    /// Open callbacks held before the inbox answers 503 (default [`DEFAULT_MAX_BACKLOG`]).
    pub fn max_backlog(mut self, max: u64) -> Self {
        self.max_backlog = Some(max);
        self
    }

    /// How long dedup keys and finished callbacks are kept (default [`DEFAULT_RETENTION`]).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = Some(retention);
        self
    }

    /// How long a worker's lease lasts unless renewed (default [`DEFAULT_LEASE`]; at least
    /// 300 ms).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Handler runs per callback before it is dead (default [`DEFAULT_MAX_ATTEMPTS`]; 1 to
    /// 1000).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// The first retry's wait and the longest (defaults [`DEFAULT_BACKOFF_BASE`] and
    /// [`DEFAULT_BACKOFF_MAX`]).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff = Some((base, max));
        self
    }

    /// How long one handler run may take (default [`DEFAULT_HANDLER_TIMEOUT`]).
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = Some(timeout);
        self
    }

    /// Handler runs at once (default [`DEFAULT_CONCURRENCY`]; 1 to 1024).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// Whether concurrent requests share one commit (default true). With false each callback
    /// pays its own fsync: only to measure what group commit saves.
    pub fn group_commit(mut self, group: bool) -> Self {
        self.group_commit = Some(group);
        self
    }

    /// The largest the SQLite file may grow, in bytes; past it new callbacks are answered 503
    /// (as on a full disk) until a purge or handling makes room. Unbounded by default.
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = Some(bytes);
        self
    }

    /// The name this process's workers hold leases under (default: host name, process id and
    /// a random suffix).
    pub fn worker_name(mut self, name: impl Into<String>) -> Self {
        self.owner = Some(name.into());
        self
    }

    /// Checks the configuration, opens the store (creating an SQLite file, or the JetStream
    /// stream and bucket, when missing) and returns the inbox.
    pub async fn open(self) -> Result<Inbox, InboxError> {
        let verifier = self.verifier.ok_or_else(|| {
            InboxError::Configuration(
                "set a verifier: the inbox stores only verified callbacks".to_owned(),
            )
        })?;
        let lease = self.lease.unwrap_or(DEFAULT_LEASE);
        if lease < Duration::from_millis(300) {
            return Err(InboxError::Configuration(
                "the lease must be at least 300 ms".to_owned(),
            ));
        }
        let max_attempts = self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
        if !(1..=1000).contains(&max_attempts) {
            return Err(InboxError::Configuration(
                "max_attempts must be 1 to 1000".to_owned(),
            ));
        }
        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=1024).contains(&concurrency) {
            return Err(InboxError::Configuration(
                "concurrency must be 1 to 1024".to_owned(),
            ));
        }
        let (backoff_base, backoff_max) = self
            .backoff
            .unwrap_or((DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX));
        let retention = self.retention.unwrap_or(DEFAULT_RETENTION);
        let store: Arc<dyn Store> = match self.backend {
            Backend::Unset => {
                return Err(InboxError::Configuration(
                    "choose where to store: sqlite(path) or nats(url)".to_owned(),
                ));
            }
            Backend::Sqlite(path) => {
                let options = SqliteOptions {
                    path,
                    group_commit: self.group_commit.unwrap_or(true),
                    max_bytes: self.max_file_bytes,
                };
                Arc::new(
                    tokio::task::spawn_blocking(move || SqliteStore::open(options))
                        .await
                        .map_err(|_| InboxError::Closed)??,
                )
            }
            #[cfg(feature = "nats")]
            Backend::JetStream(options) => {
                Arc::new(super::jetstream::JetStreamStore::open(options, retention, lease).await?)
            }
        };
        let (events, _) = broadcast::channel(1024);
        let owner = self.owner.unwrap_or_else(default_owner);
        Ok(Inbox {
            shared: Arc::new(Shared {
                store,
                verifier,
                dedup_key: self.dedup_key,
                order_key: self.order_key,
                max_backlog: self.max_backlog.unwrap_or(DEFAULT_MAX_BACKLOG),
                full_retry_after: FULL_RETRY_AFTER,
                retention,
                work: WorkConfig {
                    concurrency,
                    lease,
                    max_attempts,
                    backoff_base,
                    backoff_max,
                    handler_timeout: self.handler_timeout.unwrap_or(DEFAULT_HANDLER_TIMEOUT),
                    poll: lease.min(Duration::from_secs(1)),
                },
                wake: Arc::new(Notify::new()),
                events,
                owner,
            }),
        })
    }
}

/// `host:pid:random`: unique per process, readable in a listing of leases.
fn default_owner() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_owned());
    format!(
        "{host}:{}:{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}
