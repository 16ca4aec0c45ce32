//! What an inbox backend does, so the receiving path, the workers and the operations are
//! written once for SQLite and JetStream alike.

use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use webhooks_vocabulary::Digest;

use super::entry::{Entry, EntryId, ListFilter, Replay, Stats};
use super::error::InboxError;

/// A verified callback, ready to be stored.
#[derive(Debug, Clone)]
pub(crate) struct NewEntry {
    pub(crate) dedup_key: String,
    pub(crate) order_key: Option<String>,
    pub(crate) kind: &'static str,
    pub(crate) received_at: OffsetDateTime,
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) key_id: Option<String>,
    pub(crate) digest: Option<Digest>,
}

/// What storing a callback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ingested {
    /// Stored, durably, under this id.
    New(EntryId),
    /// Its dedup key was stored already, under this id; the duplicate was counted.
    Duplicate(EntryId),
}

/// A callback a worker holds: the entry, and what the backend needs to finish it.
#[derive(Debug)]
pub(crate) struct Leased {
    pub(crate) entry: Entry,
    pub(crate) ticket: Ticket,
}

/// Proof of a lease, handed back to renew or finish it.
#[derive(Debug)]
pub(crate) enum Ticket {
    /// A row of the SQLite store, leased by this owner.
    Sqlite { id: EntryId, owner: String },
    /// A message of a JetStream pull consumer.
    #[cfg(feature = "nats")]
    JetStream(Box<super::jetstream::Held>),
}

/// How a lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Handled.
    Done,
    /// Try again at this instant.
    Retry { at: OffsetDateTime, error: String },
    /// Give up; keep it for replay.
    Dead { error: String },
    /// Not attempted after all (the worker is stopping): due again now.
    Release,
}

/// A place callbacks are stored, leased, finished and looked at.
pub(crate) trait Store: Send + Sync + 'static {
    /// Stores `entry` durably (or counts it as a duplicate) before answering.
    fn ingest(&self, entry: NewEntry) -> BoxFuture<'_, Result<Ingested, InboxError>>;

    /// Leases at most `max` callbacks that are due (or whose lease ran out), for `lease`.
    fn lease<'a>(
        &'a self,
        owner: &'a str,
        max: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Leased>, InboxError>>;

    /// Extends a lease; `false` when it is no longer this ticket's (another worker took over).
    fn renew<'a>(
        &'a self,
        ticket: &'a Ticket,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, InboxError>>;

    /// Ends a lease.
    fn finish(&self, ticket: Ticket, finish: Finish) -> BoxFuture<'_, Result<(), InboxError>>;

    /// When the next pending callback is due or the next lease runs out, if any.
    fn next_due(&self) -> BoxFuture<'_, Result<Option<OffsetDateTime>, InboxError>>;

    /// How many callbacks are open (pending or leased), as far as this process knows.
    fn open(&self) -> u64;

    /// Stored callbacks, newest first.
    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<Entry>, InboxError>>;

    /// One stored callback.
    fn get(&self, id: EntryId) -> BoxFuture<'_, Result<Option<Entry>, InboxError>>;

    /// Makes callbacks pending again; how many.
    fn replay(&self, replay: Replay) -> BoxFuture<'_, Result<u64, InboxError>>;

    /// Deletes finished callbacks stored before `before`, and with them their dedup keys; how
    /// many.
    fn purge(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<u64, InboxError>>;

    /// The figures of [`Stats`].
    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>>;
}
