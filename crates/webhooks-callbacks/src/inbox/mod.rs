//! A durable, deduplicating inbox for callbacks: answer fast, lose nothing, handle each once.
//!
//! The platform retries a callback it got no 2xx for within the webhook's `read_timeout`. A
//! receiver that does its work before answering (update the appointment, send the
//! confirmation) times out under load, is retried, and does the work twice; one that crashes
//! after answering loses the callback. The inbox splits receiving from handling:
//!
//! 1. **Receive** ([`Inbox::receive`], or the [`router`](Inbox::router) of the `axum`
//!    feature): verify the signature over the raw bytes, parse, compute the dedup key, store
//!    durably, and only then answer 200. Unsigned and forged callbacks are refused before
//!    anything is stored; a full store (or disk) answers 503 and acknowledges nothing; above
//!    [`max_backlog`](InboxBuilder::max_backlog) the inbox answers 503 with `Retry-After`
//!    instead of growing without bound.
//! 2. **Deduplicate**: each callback is stored under a key that is the same for every retry
//!    of it (see below). A duplicate is answered 200, counted, and never handled again. Keys
//!    are kept for the [`retention`](InboxBuilder::retention) window (7 days by default, longer
//!    than the platform retries).
//! 3. **Handle** ([`Inbox::start`]): workers lease stored callbacks and run your [`Handler`],
//!    which answers [`Outcome::Done`], [`Outcome::Retry`] or [`Outcome::Fail`]; retries back off
//!    exponentially with jitter up to [`max_attempts`](InboxBuilder::max_attempts), after which
//!    the callback is dead, kept for [`replay`](Inbox::replay).
//!
//! # Guarantees
//!
//! Every callback the platform was answered 2xx for is handled **at least once**, across
//! crashes of the receiver or a worker: a handler that crashes midway runs again, so make it
//! idempotent where it can be. When no worker crashes, each dedup key is handled **exactly
//! once**. Ordering is not promised, except with [`order_by`](InboxBuilder::order_by): then
//! callbacks with the same order key are handled one at a time in the order they arrived (a
//! delivery report's message id, say, so `DELIVERED` is never handled before `ENROUTE`).
//!
//! # The dedup key
//!
//! By default a callback's natural identity, from fields the default templates carry: a
//! delivery report's `message_id` and `status` (`dr:<id>:<status>`), a reply's `reply_id`
//! (`reply:<id>`), an opt-out's `notification_id` (`opt-out:<id>`). A body without them (a
//! custom template, or one [`Callback`] does not read) is keyed by the
//! SHA-256 of its kind and its bytes. [`InboxBuilder::dedup_key`] replaces the rule; keys
//! longer than [`MAX_DEDUP_KEY_LEN`] bytes are hashed.
//!
//! # Which backend
//!
//! | | SQLite (default) | NATS JetStream (feature `nats`) |
//! |---|---|---|
//! | for | one receiving process (any number of workers in it, or beside it on one machine) | receivers and workers on many machines |
//! | durability | `synchronous = FULL` in WAL mode: on disk before 200, group commit | replicated per the stream's configuration; acknowledged by the server before 200 |
//! | dedup | a unique index, for the retention window | `Nats-Msg-Id` within the stream's duplicate window, then a KV bucket (create if absent), for the retention window |
//! | order per key | yes | no |
//! | needs | nothing but a file | a `nats-server` with JetStream |
//!
//! The handler and the operations are the same for both.
//!
//! # Example
//!
//! ```no_run
//! use webhooks_callbacks::Verifier;
//! use webhooks_callbacks::inbox::{Delivery, Inbox, Outcome};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new().with_key("7ca628a8-08b0-4e42-aeb8-960b37049c31", "MIIBIjAN...")?;
//! let inbox = Inbox::builder().sqlite("inbox.db").verifier(verifier).open().await?;
//! inbox
//!     .serve("127.0.0.1:8080", |delivery: Delivery| async move {
//!         println!("{:?}", delivery.callback());
//!         Outcome::Done
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod builder;
mod dedup;
mod entry;
mod error;
mod receive;
mod sqlite;
mod store;
mod work;

#[cfg(feature = "nats")]
mod jetstream;
#[cfg(feature = "axum")]
mod serve;

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::{Notify, broadcast};

pub use builder::InboxBuilder;
pub use builder::{
    DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, DEFAULT_CONCURRENCY, DEFAULT_HANDLER_TIMEOUT,
    DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BACKLOG, DEFAULT_RETENTION, FULL_RETRY_AFTER,
};
pub use dedup::MAX_DEDUP_KEY_LEN;
pub use entry::{Entry, EntryId, ListFilter, MAX_LIST, Replay, State, Stats};
pub use error::InboxError;
#[cfg(feature = "nats")]
#[cfg_attr(docsrs, doc(cfg(feature = "nats")))]
pub use jetstream::redacted_nats_url;
pub use receive::Receipt;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use serve::{BODY_LIMIT, SHUTDOWN_GRACE};
pub use sqlite::{BUSY_TIMEOUT, MAX_BATCH, SCHEMA_VERSION};
pub use work::{Delivery, Handler, Outcome, Workers};

use store::Store;
use work::WorkConfig;

use crate::{Callback, Verifier};

/// Computes a key from a callback (dedup or order).
type KeyFn = Arc<dyn Fn(&Callback) -> Option<String> + Send + Sync>;

/// A durable, deduplicating inbox of callbacks; see the [module documentation](self).
/// Cheap to clone: clones share the store and the workers' wake-ups.
#[derive(Clone)]
pub struct Inbox {
    shared: Arc<Shared>,
}

struct Shared {
    store: Arc<dyn Store>,
    verifier: Verifier,
    dedup_key: Option<KeyFn>,
    order_key: Option<KeyFn>,
    max_backlog: u64,
    full_retry_after: Duration,
    retention: Duration,
    work: WorkConfig,
    wake: Arc<Notify>,
    events: broadcast::Sender<EntryId>,
    owner: String,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("verifier", &self.shared.verifier)
            .field("max_backlog", &self.shared.max_backlog)
            .field("retention", &self.shared.retention)
            .field("work", &self.shared.work)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// Start configuring an inbox.
    pub fn builder() -> InboxBuilder {
        InboxBuilder::default()
    }

    /// Starts the workers that hand stored callbacks to `handler`; stop them with
    /// [`Workers::shutdown`].
    pub fn start(&self, handler: impl Handler) -> Workers {
        let shared = &self.shared;
        work::start(
            Arc::clone(&shared.store),
            Arc::clone(&shared.wake),
            Arc::new(handler),
            shared.work.clone(),
            shared.owner.clone(),
            shared.events.clone(),
        )
    }

    /// Stored callbacks, newest first.
    pub async fn list(&self, filter: ListFilter) -> Result<Vec<Entry>, InboxError> {
        self.shared.store.list(filter).await
    }

    /// One stored callback.
    pub async fn get(&self, id: EntryId) -> Result<Option<Entry>, InboxError> {
        self.shared.store.get(id).await
    }

    /// Hands callbacks to the workers again (a dead one, one by id, all done or dead since a
    /// time): they become pending, due now, their attempts counted from zero. How many.
    pub async fn replay(&self, replay: Replay) -> Result<u64, InboxError> {
        let replayed = self.shared.store.replay(replay).await?;
        if replayed > 0 {
            self.shared.wake.notify_waiters();
        }
        Ok(replayed)
    }

    /// Deletes done and dead callbacks received longer ago than the retention window, and
    /// with them their dedup keys: a retry of one of them after this is a new callback. How
    /// many.
    pub async fn purge(&self) -> Result<u64, InboxError> {
        let before = OffsetDateTime::now_utc() - self.shared.retention;
        self.shared.store.purge(before).await
    }

    /// How the inbox is doing (also as one `tracing` event: [`Stats::trace`]).
    pub async fn stats(&self) -> Result<Stats, InboxError> {
        self.shared.store.stats().await
    }

    /// The ids of callbacks as they are stored or change state, for live views (the inspector
    /// page follows it). A receiver that falls behind misses ids (`Lagged`), never blocks the
    /// inbox.
    pub fn subscribe(&self) -> broadcast::Receiver<EntryId> {
        self.shared.events.subscribe()
    }

    /// The verifier it checks callbacks with.
    pub fn verifier(&self) -> &Verifier {
        &self.shared.verifier
    }
}
