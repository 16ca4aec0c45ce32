//! The inbox on NATS JetStream (feature `nats`): receivers and workers in any number of
//! processes, on any number of machines, sharing one JetStream.
//!
//! # Where things are
//!
//! Everything is named after a prefix, `MESSAGEMEDIA_CALLBACKS` unless the URL says otherwise
//! (`P` below), and created when missing by whichever process opens first. Creating is
//! idempotent: a process that loses the race to create uses what the winner created. A stream,
//! bucket or consumer that exists is used as it is (so an operator may raise its replicas or
//! move it), except the consumer's `ack_wait`, which is set to this process's lease; a stream of
//! the same name with another retention or other subjects is refused, never changed.
//!
//! | what | name | kind | holds |
//! |---|---|---|---|
//! | work | stream `P` | work queue, file storage, no age limit, `duplicate_window` 2 min | callbacks waiting for or in handling: `P.work` (as received), `P.replay.<id>` (replayed) |
//! | dedup keys | KV bucket `P` (stream `KV_P`) | history 1, `max_age` = retention | `key.<base64url of the dedup key>` → the id it was stored under; `lease.<id>` → who holds it, which attempt, why the last one failed, when it is due again |
//! | workers | durable pull consumer `P_WORKERS` on `P` | explicit ack, `ack_wait` = the lease, `max_deliver` unlimited, `max_ack_pending` unlimited | |
//! | done | stream `P_DONE` | limits, `max_age` = retention | a copy of each handled callback with its outcome: `P.done.<id>` |
//! | dead | stream `P_DEAD` | limits, no age limit (until [`purge`](super::Inbox::purge)) | a copy of each dead callback with its last error: `P.dead.<id>` |
//! | duplicates | stream `P_DUPLICATES` | limits, `max_age` = retention | one empty message per duplicate arrival: `P.duplicate.<id>` |
//!
//! A callback's id is its sequence in the work stream. Message payloads are one line of JSON
//! (dedup key, kind, arrival time, method, target, headers, key id, digest; in a done or dead
//! copy also id, attempts, last error, finish time), a line break, and the body as received.
//!
//! # Receiving
//!
//! 1. Publish to `P.work` with `Nats-Msg-Id` = the dedup key (base64url), and wait for the
//!    server's acknowledgement: the callback is stored (replicated, when the stream is). A
//!    receiver that is not connected answers 503 at once; an acknowledgement that does not
//!    come within JetStream's request timeout (5 s) is a 503 too (should the server have
//!    stored it after all, see the first crash window below).
//! 2. Within the stream's duplicate window the server itself answers "duplicate" with the
//!    first copy's sequence; beyond it a second copy is stored. Either way the key is then
//!    recorded in the bucket with create-if-absent (`key.<key>` → sequence):
//!    * created: the callback is new ([`Receipt::Stored`](super::Receipt::Stored));
//!    * present with another id: a duplicate; a second copy is deleted from the work stream
//!      (and if that fails, workers skip it: see below); one message is added to
//!      `P_DUPLICATES`;
//!    * absent although the server called the publish a duplicate: the first copy's receiver
//!      has not recorded it yet (two receivers got the callback at once), stopped between its
//!      publish and its record (and never answered 200), or the key was purged. If the first
//!      copy is still in the work stream the key is recorded for it (the receipt is
//!      `Duplicate` of it: a second arrival); if it was handled and removed since, the
//!      callback is stored afresh (the key was purged: it is new again, as with SQLite).
//! 3. Only then is the platform answered 200.
//!
//! # Handling
//!
//! Workers pull from the durable consumer: what is there at once, or one message waited for up
//! to a second. For each message a worker checks the bucket: the key recorded for this id, it
//! handles it; recorded for another id, the message is a second copy, acknowledged (removed)
//! unhandled; not recorded, the worker records it for this id (create-if-absent) and handles
//! it. Replays skip the check (they are asked for). Then it writes the lease note
//! (`lease.<id>`: a random token, the worker's name, the attempt) and runs the handler, renewing
//! with an in-progress acknowledgement (`+WPI`) every third of the lease. The outcome:
//!
//! * **Done**: a copy with the outcome to `P.done.<id>` (`Nats-Msg-Id` = id and sequence),
//!   then the acknowledgement (confirmed by the server), then the note is deleted.
//! * **Retry**: the note records the error and when it is due, then a delayed negative
//!   acknowledgement (`-NAK {"delay": …}`): the server redelivers it then. The delay is the
//!   workers' exponential backoff with jitter, as with SQLite.
//! * **Dead** (a `Fail`, or the last attempt): a copy with the error to `P.dead.<id>`, then
//!   the final acknowledgement `+TERM` (which removes it from the work queue and emits JetStream's
//!   terminated advisory), then the note is deleted.
//! * **Release** (workers stopping): a negative acknowledgement without delay.
//!
//! A lease ends when its `ack_wait` passes without renewal; the server then redelivers the
//! message to any worker. JetStream does not tie an acknowledgement to one delivery, so a worker
//! checks before renewing and before finishing that the lease is still its own: the message is
//! still in the work queue and the note carries its token. A worker that finds otherwise records
//! nothing, as with SQLite.
//!
//! # Crash windows
//!
//! Every callback answered 200 is handled at least once, because the answer comes after both
//! the publish and the key's record, and the message leaves the work queue only after its
//! outcome's copy is stored:
//!
//! * **Between publish and record** (a receiver or the bucket failed): no 200 was sent, so the
//!   platform retries. Within the duplicate window the retry finds the first copy, records the
//!   key for it and is answered 200; beyond it, the retry is stored as a second copy and
//!   records the key. Meanwhile a worker
//!   may lease the first copy: finding no record, it records the key for it and handles it, and
//!   the retry then finds the key taken and is a duplicate. Whichever records first is handled;
//!   the other copy is skipped. Nothing is lost and nothing is handled twice.
//! * **Between record and 200**: the platform retries and is answered "duplicate" (200).
//! * **Between a handler's success and the acknowledgement** (a worker crashed, or the
//!   acknowledgement was lost): the lease runs out and another worker handles the callback
//!   again: at least once, as with SQLite. The done copy, published before the
//!   acknowledgement, is deduplicated by its `Nats-Msg-Id` within `P_DONE`'s window.
//! * **Between the done or dead copy and the acknowledgement**: the copy exists and the message
//!   is redelivered: handled again, recorded once (or, past the window, twice; listing shows
//!   the newest).
//! * **Between a replay's copy and the deletion of its done or dead record**: both exist;
//!   [`get`](super::Inbox::get) and an unfiltered [`list`](super::Inbox::list) show the open
//!   one (a listing by state `done` or `dead` shows the old record too), and the replay's
//!   outcome deletes the stale record.
//! * **A deleted second copy**: deleting is best effort; a copy left behind is skipped by the
//!   first worker that leases it.
//! * **The server**: durability is JetStream's (see below).
//!
//! # Where it differs from SQLite
//!
//! * **Durability**: with one replica, what the server acknowledged survives a crash of
//!   `nats-server` (it is written before the acknowledgement) but not a crash of the machine
//!   before JetStream's next sync to disk (every two minutes by default, where SQLite's
//!   `synchronous = FULL` syncs before every answer), nor a lost disk. Give the streams and the
//!   bucket three replicas in a cluster (`replicas=3`): an acknowledgement then waits for a
//!   quorum of servers.
//! * **Order per key** ([`order_by`](super::InboxBuilder::order_by)) is not kept.
//! * **Attempts** are JetStream's delivery count: a release (workers stopping) or a delivery
//!   lost to a crash counts as an attempt, so a callback may be dead after fewer handler runs
//!   than `max_attempts`. There is no `max_deliver`: the server would stop delivering the
//!   message at that count and leave it in the work queue, handled by nobody and listed as
//!   open forever; the workers decide when a callback is dead instead, as with SQLite. Nor is
//!   there a consumer `backoff`: it would replace `ack_wait` from one delivery to the next,
//!   so the lease would change under the workers; the backoff between retries is the delay of
//!   the negative acknowledgement.
//! * **`leased`** in [`Stats`] is the consumer's acknowledgements pending: callbacks held by a
//!   worker *and* callbacks waiting out a retry's delay (the server holds both the same way).
//!   `attempts` is every delivery the consumer made since it was created (skipped second
//!   copies included), not a sum over the stored callbacks. `done` counts the copies in
//!   `P_DONE`, which keeps them for the retention window after they finished (not after they
//!   arrived).
//! * **Listing** reads the work stream newest first and exactly; done and dead copies are read
//!   newest *finished* first, so one that finished long after callbacks that arrived later
//!   (a long retry, a replay) may show a page later than its id says. An open callback's
//!   state comes from its note: `pending` when never delivered or waiting out a retry,
//!   `leased` otherwise. [`Delivery::entry`](super::Delivery::entry)'s `duplicates` is 0 (it
//!   costs a lookup per delivery); [`get`](super::Inbox::get) and `list` count them.
//! * **Purge** deletes done and dead copies recorded before the cut-off, the dedup keys that
//!   point at them, and their duplicate counts; the streams' and the bucket's `max_age` does
//!   the same on its own, so purge matters for dead callbacks (kept until purged) and for
//!   retention zero (no age limit then). A dedup key lasts for the retention window from when
//!   it was recorded, even for a callback still open after that long.
//! * **Sizes**: a callback (with its headers and the JSON line) must fit the server's
//!   `max_payload` (1 MiB by default; [`BODY_LIMIT`](super::BODY_LIMIT) is 2 MiB): a larger one
//!   is answered 503 with the reason, so raise `max_payload` to 4 MiB or more where MMS media
//!   arrives.
//!
//! # Options
//!
//! Given in the URL's query: `nats://host:4222?prefix=ORDERS_CALLBACKS&duplicate_window=10m`.
//! Several servers are separated by commas. `prefix` (letters, digits, `_`, `-`),
//! `duplicate_window` (`500ms`, `90s`, `10m`, `1h`; default 2 min) and `replicas` (1 to 5;
//! default 1) apply when the streams and the bucket are created.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{self, PullConsumer};
use async_nats::jetstream::message::{PublishMessage, StreamMessage};
use async_nats::jetstream::publish::PublishAck;
use async_nats::jetstream::stream::{self, LastRawMessageErrorKind};
use async_nats::jetstream::{self, AckKind, kv};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use futures::StreamExt as _;
use futures::future::BoxFuture;
use time::OffsetDateTime;

use super::entry::{Entry, EntryId, ListFilter, Replay, State, Stats};
use super::error::InboxError;
use super::store::{Finish, Ingested, Leased, NewEntry, Store, Ticket};

/// The prefix streams, bucket, consumer and subjects are named after unless the URL sets one.
const DEFAULT_PREFIX: &str = "MESSAGEMEDIA_CALLBACKS";

/// How long the work stream answers a second publish of one key itself: JetStream's default.
/// Later duplicates are caught by the bucket.
const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The longest a worker's pull waits for a message before it looks again (and notices that it
/// is told to stop).
const LONGEST_POLL: Duration = Duration::from_secs(1);

/// How often the backlog figure behind [`Store::open`] is read from the server.
const COUNT_EVERY: Duration = Duration::from_secs(1);

/// How long a message waits when a worker could not check its dedup key (the bucket was
/// unreachable) before it is delivered again.
const CHECK_RETRY: Duration = Duration::from_secs(1);

/// How many times recording a key is tried when it vanishes between "exists" and "read"
/// (a purge, an expiry).
const CLAIM_TRIES: usize = 3;

/// Where the JetStream inbox is and what it is called; from the URL given to
/// [`InboxBuilder::nats`](super::InboxBuilder::nats).
#[derive(Clone)]
pub(crate) struct JetStreamOptions {
    /// The URL as given, shown only through [`redacted_nats_url`].
    url: String,
    servers: Vec<String>,
    prefix: String,
    duplicate_window: Duration,
    replicas: usize,
    /// What was wrong with the URL, reported by `open`.
    invalid: Option<String>,
}

impl JetStreamOptions {
    /// Reads `url`: servers separated by commas, then options in a query (see the module
    /// documentation).
    pub(crate) fn new(url: String) -> JetStreamOptions {
        let (servers, query) = url.split_once('?').unwrap_or((&url, ""));
        let mut options = JetStreamOptions {
            url: url.clone(),
            servers: servers
                .split(',')
                .map(str::trim)
                .filter(|server| !server.is_empty())
                .map(str::to_owned)
                .collect(),
            prefix: DEFAULT_PREFIX.to_owned(),
            duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            replicas: 1,
            invalid: None,
        };
        if options.servers.is_empty() {
            options.invalid = Some("the NATS URL names no server".to_owned());
        }
        // No option's value holds an `@`: one after the `?` is a password's, typed with an
        // unescaped `?`. Said without repeating any of it.
        if query.contains('@') {
            options.invalid.get_or_insert_with(|| {
                "the NATS URL has an '@' after its '?': percent-encode a '?' in a password (%3F)"
                    .to_owned()
            });
        }
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if let Err(err) = options.set(name, value) {
                options.invalid.get_or_insert(err);
            }
        }
        options
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "prefix" => {
                let valid = !value.is_empty()
                    && value.len() <= 64
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !valid {
                    return Err(format!(
                        "prefix {value:?}: use 1 to 64 letters, digits, '_' or '-'"
                    ));
                }
                value.clone_into(&mut self.prefix);
            }
            "duplicate_window" => {
                self.duplicate_window = parse_duration(value)
                    .filter(|window| !window.is_zero())
                    .ok_or_else(|| {
                        format!("duplicate_window {value:?}: use a duration such as 500ms, 90s, 10m or 1h")
                    })?;
            }
            "replicas" => {
                self.replicas = value
                    .parse()
                    .ok()
                    .filter(|replicas| (1..=5).contains(replicas))
                    .ok_or_else(|| format!("replicas {value:?}: use 1 to 5"))?;
            }
            other => {
                return Err(format!(
                    "unknown option {other:?} in the NATS URL (known: prefix, duplicate_window, replicas)"
                ));
            }
        }
        Ok(())
    }

    /// The URL, with any user and password hidden: for error messages.
    fn shown(&self) -> String {
        redacted_nats_url(&self.url)
    }
}

/// A NATS URL as [`InboxBuilder::nats`](super::InboxBuilder::nats) reads it, with each server's
/// user and password replaced by `***`: what a log line or an error may show.
///
/// Everything before a server's last `@` is hidden. When a password was typed with an
/// unescaped `?` or `,`, which split the URL where its writer did not mean to (an `@` after
/// the `?`; an `@` without a scheme before it in a server that follows one without an `@`),
/// everything from the first `://` to the URL's last `@` is hidden instead, the hosts before
/// it with it. (A password holding `,` then `://` cannot be told from two servers.)
///
/// ```
/// use webhooks_callbacks::inbox::redacted_nats_url;
///
/// assert_eq!(
///     redacted_nats_url("nats://ops:hunter2@10.0.0.1:4222,nats://10.0.0.2?prefix=A"),
///     "nats://***@10.0.0.1:4222,nats://10.0.0.2?prefix=A"
/// );
/// assert_eq!(redacted_nats_url("nats://ops:a?b@10.0.0.1"), "nats://***@10.0.0.1");
/// ```
pub fn redacted_nats_url(url: &str) -> String {
    let Some(last_at) = url.rfind('@') else {
        return url.to_owned();
    };
    let servers = &url[..url.find('?').unwrap_or(url.len())];
    // A `,` split a password when the piece after it has an `@` with no scheme before it and
    // the piece before it has none: `nats://u:p,ss@h`, not `nats://h1,nats://u:p@h2`.
    let pieces: Vec<&str> = servers.split(',').collect();
    let split_by_a_password = last_at >= servers.len()
        || pieces.windows(2).any(|pair| {
            !pair[0].contains('@')
                && pair[1]
                    .rfind('@')
                    .is_some_and(|at| !pair[1][..at].contains("://"))
        });
    if split_by_a_password {
        let start = url[..last_at].find("://").map_or(0, |at| at + 3);
        return format!("{}***{}", &url[..start], &url[last_at..]);
    }
    let hidden: Vec<String> = pieces.into_iter().map(without_userinfo).collect();
    hidden.join(",") + &url[servers.len()..]
}

/// `nats://user:secret@host:4222` as `nats://***@host:4222`. Everything before the server's
/// last `@` is hidden, even a `/` typed unescaped in a password.
fn without_userinfo(server: &str) -> String {
    let after_scheme = server.find("://").map_or(0, |at| at + 3);
    match server[after_scheme..].rfind('@') {
        Some(at) => format!(
            "{}***{}",
            &server[..after_scheme],
            &server[after_scheme + at..]
        ),
        None => server.to_owned(),
    }
}

/// Without passwords: the builder's `Debug` shows it.
impl fmt::Debug for JetStreamOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JetStreamOptions")
            .field("servers", &self.shown())
            .field("prefix", &self.prefix)
            .field("duplicate_window", &self.duplicate_window)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// `500ms`, `90s`, `10m`, `1h`, or a bare number of seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(number)),
        "" | "s" => Some(Duration::from_secs(number)),
        "m" => Some(Duration::from_secs(number.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(number.checked_mul(3600)?)),
        _ => None,
    }
}

/// The names of everything, after the prefix.
#[derive(Debug, Clone)]
struct Names {
    prefix: String,
    work_stream: String,
    done_stream: String,
    dead_stream: String,
    duplicates_stream: String,
    consumer: String,
    work: String,
    replays: String,
    done: String,
    dead: String,
    duplicates: String,
}

impl Names {
    fn new(prefix: &str) -> Names {
        Names {
            prefix: prefix.to_owned(),
            work_stream: prefix.to_owned(),
            done_stream: format!("{prefix}_DONE"),
            dead_stream: format!("{prefix}_DEAD"),
            duplicates_stream: format!("{prefix}_DUPLICATES"),
            consumer: format!("{prefix}_WORKERS"),
            work: format!("{prefix}.work"),
            replays: format!("{prefix}.replay.*"),
            done: format!("{prefix}.done.*"),
            dead: format!("{prefix}.dead.*"),
            duplicates: format!("{prefix}.duplicate.*"),
        }
    }

    fn replay(&self, id: u64) -> String {
        format!("{}.replay.{id}", self.prefix)
    }

    fn finished(&self, state: State, id: u64) -> String {
        match state {
            State::Dead => format!("{}.dead.{id}", self.prefix),
            _ => format!("{}.done.{id}", self.prefix),
        }
    }

    fn duplicate(&self, id: u64) -> String {
        format!("{}.duplicate.{id}", self.prefix)
    }

    /// The id in a subject ending in `.<id>`.
    fn id_in(subject: &str) -> Option<u64> {
        subject.rsplit('.').next()?.parse().ok()
    }

    /// The id of a replayed callback's message, from its subject.
    fn replayed_id(&self, subject: &str) -> Option<u64> {
        subject
            .strip_prefix(&self.prefix)?
            .strip_prefix(".replay.")?
            .parse()
            .ok()
    }
}

/// The bucket key of a dedup key, which is also the `Nats-Msg-Id` of its publish: base64url,
/// so any key (custom ones too) is a valid key and header value.
fn token(dedup_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(dedup_key.as_bytes())
}

fn key_of(token: &str) -> String {
    format!("key.{token}")
}

fn note_of(id: u64) -> String {
    format!("lease.{id}")
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// What a message carries besides the body: the first line of its payload, as JSON.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Meta {
    key: String,
    kind: String,
    received_at: i64,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    // In done and dead copies only:
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    finished_at: Option<i64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Meta {
    fn of(entry: &NewEntry) -> Meta {
        Meta {
            key: entry.dedup_key.clone(),
            kind: entry.kind.to_owned(),
            received_at: millis(entry.received_at),
            method: entry.method.clone(),
            target: entry.target.clone(),
            headers: entry.headers.clone(),
            key_id: entry.key_id.clone(),
            digest: entry.digest.map(|digest| digest.as_str().to_owned()),
            id: None,
            attempts: 0,
            error: None,
            finished_at: None,
        }
    }

    /// The meta of a callback handed to the workers again: no outcome.
    fn reopened(&self) -> Meta {
        Meta {
            id: None,
            attempts: 0,
            error: None,
            finished_at: None,
            ..self.clone()
        }
    }

    fn entry(self, id: u64, body: Bytes, state: State) -> Entry {
        Entry {
            id: EntryId(id),
            dedup_key: self.key,
            kind: self.kind,
            received_at: from_millis(self.received_at),
            method: self.method,
            target: self.target,
            headers: self.headers,
            body,
            key_id: self.key_id,
            digest: self.digest.and_then(|digest| digest.parse().ok()),
            state,
            attempts: self.attempts,
            next_attempt_at: None,
            last_error: self.error,
            duplicates: 0,
            finished_at: self.finished_at.map(from_millis),
        }
    }
}

/// The JSON line, a line break, the body. (Compact JSON has no line break in it.)
fn encode(meta: &Meta, body: &[u8]) -> Bytes {
    let mut payload = serde_json::to_vec(meta).unwrap_or_default();
    payload.reserve(body.len() + 1);
    payload.push(b'\n');
    payload.extend_from_slice(body);
    Bytes::from(payload)
}

fn decode(payload: &Bytes) -> Option<(Meta, Bytes)> {
    let split = payload.iter().position(|&byte| byte == b'\n')?;
    let meta = serde_json::from_slice(&payload[..split]).ok()?;
    Some((meta, payload.slice(split + 1..)))
}

/// A worker's note on a callback it holds (`lease.<id>` in the bucket).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Note {
    token: u64,
    owner: String,
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Set when the attempt asked for a retry: when it is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_at: Option<i64>,
}

/// A message a worker holds: what [`Ticket::JetStream`] carries.
pub(crate) struct Held {
    message: jetstream::Message,
    id: u64,
    /// Its sequence in the work stream (the id, unless it is a replay).
    seq: u64,
    replayed: bool,
    token: u64,
    owner: String,
    attempts: u32,
    meta: Meta,
    body: Bytes,
}

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Held")
            .field("id", &self.id)
            .field("seq", &self.seq)
            .field("replayed", &self.replayed)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// A done or dead copy, read back.
#[derive(Debug, Clone)]
struct Record {
    id: u64,
    state: State,
    /// Its sequence in its stream.
    seq: u64,
    meta: Meta,
    body: Bytes,
}

impl Record {
    fn of(message: &StreamMessage, state: State) -> Option<Record> {
        let (meta, body) = decode(&message.payload)?;
        let id = meta.id.or_else(|| Names::id_in(&message.subject))?;
        Some(Record {
            id,
            state,
            seq: message.sequence,
            meta,
            body,
        })
    }

    fn finished_at(&self) -> i64 {
        self.meta.finished_at.unwrap_or(0)
    }

    fn entry(self) -> Entry {
        self.meta.entry(self.id, self.body, self.state)
    }
}

/// What recording a dedup key for an id came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// Recorded now, for this id.
    Created,
    /// Recorded before, for this id.
    Held,
    /// Recorded for another id.
    Other(u64),
}

/// The inbox's streams, bucket and consumer on one JetStream.
pub(crate) struct JetStreamStore {
    js: jetstream::Context,
    names: Names,
    work: stream::Stream,
    done: stream::Stream,
    dead: stream::Stream,
    duplicates: stream::Stream,
    kv: kv::Store,
    consumer: PullConsumer,
    /// How long one pull waits for a message.
    poll: Duration,
    max_payload: usize,
    open: AtomicU64,
    counted_at: Mutex<Option<Instant>>,
    /// Whether the last pull reached the server (workers poll slowly while it does not).
    healthy: AtomicBool,
}

impl fmt::Debug for JetStreamStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JetStreamStore")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

fn unavailable(what: &str, err: impl fmt::Display) -> InboxError {
    InboxError::Unavailable(format!("{what}: {err}"))
}

/// Whether a raw message lookup found nothing (rather than failed).
fn not_found(err: &stream::RawMessageError) -> bool {
    matches!(err.kind(), LastRawMessageErrorKind::NoMessageFound)
}

/// The stream `config` names: the one there is, or created. A stream of that name with
/// another retention or other subjects is refused.
async fn ensure_stream(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<stream::Stream, InboxError> {
    let found = match js.get_stream(&config.name).await {
        Ok(stream) => stream,
        Err(lookup) => match js.create_stream(config.clone()).await {
            Ok(stream) => return Ok(stream),
            // Another process may have created it a moment ago.
            Err(create) => js.get_stream(&config.name).await.map_err(|_| {
                InboxError::Unavailable(format!(
                    "cannot find or create the JetStream stream {}: {lookup}; {create}",
                    config.name
                ))
            })?,
        },
    };
    let existing = &found.cached_info().config;
    let mut want = config.subjects.clone();
    let mut have = existing.subjects.clone();
    want.sort();
    have.sort();
    if existing.retention != config.retention || want != have {
        return Err(InboxError::Configuration(format!(
            "the JetStream stream {} exists but is not this inbox's (retention {:?}, subjects {:?}; expected {:?}, {:?}): choose another prefix",
            config.name, existing.retention, have, config.retention, want
        )));
    }
    Ok(found)
}

impl JetStreamStore {
    /// Connects, creates what is missing, and (re)configures the workers' consumer for
    /// `lease`.
    pub(crate) async fn open(
        options: JetStreamOptions,
        retention: Duration,
        lease: Duration,
    ) -> Result<JetStreamStore, InboxError> {
        if let Some(invalid) = &options.invalid {
            return Err(InboxError::Configuration(invalid.clone()));
        }
        let client = async_nats::ConnectOptions::new()
            .name("webhooks-callbacks inbox")
            .connect(options.servers.clone())
            .await
            .map_err(|err| {
                InboxError::Unavailable(format!(
                    "cannot connect to NATS at {}: {err}",
                    options.shown()
                ))
            })?;
        let max_payload = client.server_info().max_payload;
        let js = jetstream::new(client);
        let names = Names::new(&options.prefix);
        let replicas = options.replicas;
        let limits = |name: &str, subject: &str, max_age: Duration, what: &str| stream::Config {
            name: name.to_owned(),
            description: Some(format!("{what} (webhooks-callbacks inbox)")),
            subjects: vec![subject.to_owned()],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            num_replicas: replicas,
            max_age,
            ..Default::default()
        };
        let work = ensure_stream(
            &js,
            stream::Config {
                name: names.work_stream.clone(),
                description: Some(
                    "MessageMedia callbacks waiting for or in handling (webhooks-callbacks inbox)"
                        .to_owned(),
                ),
                subjects: vec![names.work.clone(), names.replays.clone()],
                retention: stream::RetentionPolicy::WorkQueue,
                storage: stream::StorageType::File,
                num_replicas: replicas,
                duplicate_window: options.duplicate_window,
                ..Default::default()
            },
        )
        .await?;
        let done = ensure_stream(
            &js,
            limits(
                &names.done_stream,
                &names.done,
                retention,
                "handled MessageMedia callbacks",
            ),
        )
        .await?;
        let dead = ensure_stream(
            &js,
            limits(
                &names.dead_stream,
                &names.dead,
                Duration::ZERO,
                "dead MessageMedia callbacks, kept for replay",
            ),
        )
        .await?;
        let duplicates = ensure_stream(
            &js,
            limits(
                &names.duplicates_stream,
                &names.duplicates,
                retention,
                "duplicate arrivals of MessageMedia callbacks",
            ),
        )
        .await?;
        // The bucket's stream, as async-nats would create it: its create_key_value reads the
        // account's limits in a shape nats-server 2.9 does not answer in.
        ensure_stream(
            &js,
            stream::Config {
                name: format!("KV_{}", names.prefix),
                description: Some(
                    "dedup keys and lease notes of MessageMedia callbacks (webhooks-callbacks inbox)"
                        .to_owned(),
                ),
                subjects: vec![format!("$KV.{}.>", names.prefix)],
                max_messages_per_subject: 1,
                max_age: retention,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                discard: stream::DiscardPolicy::New,
                storage: stream::StorageType::File,
                num_replicas: replicas,
                ..Default::default()
            },
        )
        .await?;
        let kv = js
            .get_key_value(names.prefix.as_str())
            .await
            .map_err(|err| unavailable("cannot open the dedup bucket", err))?;
        let consumer = work
            .create_consumer(consumer::pull::Config {
                durable_name: Some(names.consumer.clone()),
                description: Some("webhooks-callbacks inbox workers".to_owned()),
                deliver_policy: consumer::DeliverPolicy::All,
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: lease,
                max_deliver: -1,
                max_ack_pending: -1,
                ..Default::default()
            })
            .await
            .map_err(|err| unavailable("cannot create the workers' consumer", err))?;
        let open = work.cached_info().state.messages;
        Ok(JetStreamStore {
            js,
            names,
            work,
            done,
            dead,
            duplicates,
            kv,
            consumer,
            poll: lease.min(LONGEST_POLL),
            max_payload,
            open: AtomicU64::new(open),
            counted_at: Mutex::new(Some(Instant::now())),
            healthy: AtomicBool::new(true),
        })
    }

    async fn publish(
        &self,
        subject: String,
        payload: Bytes,
        message_id: Option<&str>,
    ) -> Result<PublishAck, InboxError> {
        let mut publish = PublishMessage::build().payload(payload);
        if let Some(id) = message_id {
            publish = publish.message_id(id);
        }
        self.js
            .send_publish(subject, publish)
            .await
            .map_err(|err| unavailable("cannot publish to JetStream", err))?
            .await
            .map_err(|err| unavailable("JetStream did not acknowledge a publish", err))
    }

    /// The id a dedup key is recorded for, and whether there is one.
    async fn holder(&self, key: &str) -> Result<Option<u64>, InboxError> {
        match self
            .kv
            .entry(key)
            .await
            .map_err(|err| unavailable("cannot read the dedup bucket", err))?
        {
            Some(entry) if entry.operation == kv::Operation::Put => {
                std::str::from_utf8(&entry.value)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .map(Some)
                    .ok_or_else(|| {
                        InboxError::Unavailable(format!(
                            "dedup key {key} holds no id: not this inbox's"
                        ))
                    })
            }
            _ => Ok(None),
        }
    }

    /// Records `key` for `id` unless it is recorded already.
    async fn claim(&self, key: &str, id: u64) -> Result<Claim, InboxError> {
        for _ in 0..CLAIM_TRIES {
            match self.kv.create(key, Bytes::from(id.to_string())).await {
                Ok(_) => return Ok(Claim::Created),
                Err(err) if err.kind() == kv::CreateErrorKind::AlreadyExists => {
                    match self.holder(key).await? {
                        Some(holder) if holder == id => return Ok(Claim::Held),
                        Some(holder) => return Ok(Claim::Other(holder)),
                        // Deleted between the two: try again.
                        None => {}
                    }
                }
                Err(err) => return Err(unavailable("cannot record a dedup key", err)),
            }
        }
        Err(InboxError::Unavailable(format!(
            "dedup key {key} kept changing while it was recorded"
        )))
    }

    /// Whether `id` may be handled under `key`: one read when the key is recorded (the usual
    /// case), recorded for `id` when it is not.
    async fn check(&self, key: &str, id: u64) -> Result<Claim, InboxError> {
        match self.holder(key).await? {
            Some(holder) if holder == id => Ok(Claim::Held),
            Some(holder) => Ok(Claim::Other(holder)),
            None => self.claim(key, id).await,
        }
    }

    /// The message at `seq` in the work stream, if it is still there.
    async fn in_work(&self, seq: u64) -> Result<Option<StreamMessage>, InboxError> {
        match self.work.get_raw_message(seq).await {
            Ok(message) => Ok(Some(message)),
            Err(err) if not_found(&err) => Ok(None),
            Err(err) => Err(unavailable("cannot read the work stream", err)),
        }
    }

    /// The open message of callback `id`: the one received, or a replay.
    async fn open_message(&self, id: u64) -> Result<Option<StreamMessage>, InboxError> {
        if let Some(message) = self.in_work(id).await?
            && message.subject.as_str() == self.names.work
        {
            return Ok(Some(message));
        }
        match self
            .work
            .get_last_raw_message_by_subject(&self.names.replay(id))
            .await
        {
            Ok(message) => Ok(Some(message)),
            Err(err) if not_found(&err) => Ok(None),
            Err(err) => Err(unavailable("cannot read the work stream", err)),
        }
    }

    /// The newest done or dead copy of callback `id`.
    async fn finished(&self, id: u64) -> Result<Option<Record>, InboxError> {
        let mut newest: Option<Record> = None;
        for (stream, state) in [(&self.done, State::Done), (&self.dead, State::Dead)] {
            let record = match stream
                .get_last_raw_message_by_subject(&self.names.finished(state, id))
                .await
            {
                Ok(message) => Record::of(&message, state),
                Err(err) if not_found(&err) => None,
                Err(err) => return Err(unavailable("cannot read finished callbacks", err)),
            };
            if let Some(record) = record
                && newest
                    .as_ref()
                    .is_none_or(|known| record.finished_at() > known.finished_at())
            {
                newest = Some(record);
            }
        }
        Ok(newest)
    }

    async fn note(&self, id: u64) -> Option<Note> {
        let value = self.kv.get(note_of(id)).await.ok()??;
        serde_json::from_slice(&value).ok()
    }

    async fn write_note(&self, id: u64, note: &Note) {
        let value = Bytes::from(serde_json::to_vec(note).unwrap_or_default());
        if let Err(err) = self.kv.put(note_of(id), value).await {
            tracing::warn!(target: "webhooks_callbacks::inbox", %id, error = %err, "could not write a lease note");
        }
    }

    /// Counts one duplicate arrival of callback `id` (best effort: the duplicate is answered
    /// 200 either way).
    async fn count_duplicate(&self, id: u64) {
        if let Err(err) = self
            .publish(self.names.duplicate(id), Bytes::new(), None)
            .await
        {
            tracing::warn!(target: "webhooks_callbacks::inbox", %id, error = %err, "could not count a duplicate");
        }
    }

    /// Reads the backlog from the server, at most every [`COUNT_EVERY`].
    async fn count_open(&self) {
        {
            let mut counted_at = self
                .counted_at
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if counted_at.is_some_and(|at| at.elapsed() < COUNT_EVERY) {
                return;
            }
            *counted_at = Some(Instant::now());
        }
        if let Ok(info) = self.work.get_info().await {
            self.open.store(info.state.messages, Ordering::Relaxed);
        }
    }

    async fn ingest_entry(&self, entry: NewEntry) -> Result<Ingested, InboxError> {
        if self.js.client().connection_state() == async_nats::connection::State::Disconnected {
            // Answer 503 now rather than when the publish times out: the platform retries.
            return Err(InboxError::Unavailable(
                "not connected to NATS (reconnecting)".to_owned(),
            ));
        }
        let token = token(&entry.dedup_key);
        let key = key_of(&token);
        let payload = encode(&Meta::of(&entry), &entry.body);
        if payload.len() + 512 > self.max_payload {
            return Err(InboxError::Unavailable(format!(
                "a callback of {} bytes does not fit the NATS server's max_payload of {} bytes: raise max_payload",
                payload.len(),
                self.max_payload
            )));
        }
        let ack = self
            .publish(self.names.work.clone(), payload.clone(), Some(&token))
            .await?;
        let ingested = if ack.duplicate {
            self.after_duplicate(&key, &token, ack.sequence, payload)
                .await?
        } else {
            self.recorded(&key, ack.sequence).await?
        };
        match ingested {
            Ingested::New(_) => {
                self.open.fetch_add(1, Ordering::Relaxed);
            }
            Ingested::Duplicate(id) => self.count_duplicate(id.0).await,
        }
        self.count_open().await;
        Ok(ingested)
    }

    /// Records the key of the copy the server stored at `seq`: new, or a second copy of what
    /// the key is recorded for (then deleted; workers skip it should that fail).
    async fn recorded(&self, key: &str, seq: u64) -> Result<Ingested, InboxError> {
        Ok(match self.claim(key, seq).await? {
            Claim::Created | Claim::Held => Ingested::New(EntryId(seq)),
            Claim::Other(first) => {
                if let Err(err) = self.work.delete_message(seq).await {
                    tracing::debug!(target: "webhooks_callbacks::inbox", seq, error = %err, "could not delete a second copy; workers will skip it");
                }
                Ingested::Duplicate(EntryId(first))
            }
        })
    }

    /// The server called the publish a duplicate of the copy at `seq`.
    async fn after_duplicate(
        &self,
        key: &str,
        token: &str,
        seq: u64,
        payload: Bytes,
    ) -> Result<Ingested, InboxError> {
        if let Some(holder) = self.holder(key).await? {
            return Ok(Ingested::Duplicate(EntryId(holder)));
        }
        // Nobody recorded the key: the first copy's receiver has not yet, or stopped before it
        // did (and never answered 200), or the key was purged.
        if self
            .in_work(seq)
            .await?
            .is_some_and(|message| message.subject.as_str() == self.names.work)
        {
            // Adopted (or recorded by its own receiver a moment ago): either way this arrival
            // is the second.
            return Ok(match self.claim(key, seq).await? {
                Claim::Other(first) => Ingested::Duplicate(EntryId(first)),
                Claim::Created | Claim::Held => Ingested::Duplicate(EntryId(seq)),
            });
        }
        // It was handled and its key purged since: new again. A fresh copy, its message id
        // derived from the first copy's so that a retry of this step is a duplicate too.
        let ack = self
            .publish(
                self.names.work.clone(),
                payload,
                Some(&format!("{token}.{seq}")),
            )
            .await?;
        self.recorded(key, ack.sequence).await
    }

    /// Pulls what is there at once, or waits up to the poll interval for one message.
    async fn pull(&self, max: usize) -> Result<Vec<jetstream::Message>, InboxError> {
        let now = self
            .consumer
            .fetch()
            .max_messages(max)
            .messages()
            .await
            .map_err(|err| unavailable("cannot pull from the workers' consumer", err))?;
        let got = drain(now).await?;
        if !got.is_empty() {
            return Ok(got);
        }
        let waited = self
            .consumer
            .batch()
            .max_messages(1)
            .expires(self.poll)
            .messages()
            .await
            .map_err(|err| unavailable("cannot pull from the workers' consumer", err))?;
        drain(waited).await
    }

    /// Checks a delivered message and leases it, or skips it.
    async fn take(&self, message: jetstream::Message, owner: &str) -> Option<Leased> {
        let (seq, delivered) = match message.info() {
            Ok(info) => (info.stream_sequence, info.delivered),
            Err(err) => {
                tracing::warn!(target: "webhooks_callbacks::inbox", error = %err, "a delivery without JetStream metadata; ignored");
                return None;
            }
        };
        let subject = message.subject.as_str();
        let (id, replayed) = if subject == self.names.work {
            (seq, false)
        } else if let Some(id) = self.names.replayed_id(subject) {
            (id, true)
        } else {
            return self
                .refuse(&message, seq, "a subject of no inbox callback")
                .await;
        };
        let Some((meta, body)) = decode(&message.payload) else {
            return self.refuse(&message, seq, "not an inbox callback").await;
        };
        if !replayed {
            match self.check(&key_of(&token(&meta.key)), id).await {
                Ok(Claim::Created | Claim::Held) => {}
                Ok(Claim::Other(first)) => {
                    tracing::debug!(target: "webhooks_callbacks::inbox", seq, first, "a second copy of a callback; skipped");
                    if let Err(err) = message.double_ack().await {
                        tracing::debug!(target: "webhooks_callbacks::inbox", seq, error = %err, "could not acknowledge a second copy");
                    }
                    return None;
                }
                Err(err) => {
                    tracing::warn!(target: "webhooks_callbacks::inbox", seq, error = %err, "could not check a callback's dedup key; it comes back shortly");
                    let _ = message.ack_with(AckKind::Nak(Some(CHECK_RETRY))).await;
                    return None;
                }
            }
        }
        let attempts = u32::try_from(delivered).unwrap_or(u32::MAX).max(1);
        let last_error = if attempts > 1 {
            self.note(id).await.and_then(|note| note.error)
        } else {
            None
        };
        let token = rand::random::<u64>();
        self.write_note(
            id,
            &Note {
                token,
                owner: owner.to_owned(),
                attempts,
                error: last_error.clone(),
                retry_at: None,
            },
        )
        .await;
        let mut entry = meta.clone().entry(id, body.clone(), State::Leased);
        entry.attempts = attempts;
        entry.last_error = last_error;
        Some(Leased {
            entry,
            ticket: Ticket::JetStream(Box::new(Held {
                message,
                id,
                seq,
                replayed,
                token,
                owner: owner.to_owned(),
                attempts,
                meta,
                body,
            })),
        })
    }

    /// Ends the delivery of a message that is no inbox callback: `+TERM`, logged.
    async fn refuse(&self, message: &jetstream::Message, seq: u64, why: &str) -> Option<Leased> {
        tracing::warn!(target: "webhooks_callbacks::inbox", seq, subject = %message.subject, "{why} in the work stream; terminated");
        let _ = message.double_ack_with(AckKind::Term).await;
        None
    }

    /// Whether `held`'s lease is gone: its message left the work queue, or another worker's
    /// note replaced its own.
    async fn lost(&self, held: &Held) -> bool {
        let (note, present) = futures::join!(self.note(held.id), self.in_work(held.seq));
        note.is_some_and(|note| note.token != held.token) || matches!(present, Ok(None))
    }

    async fn renew_held(&self, held: &Held) -> Result<bool, InboxError> {
        if self.lost(held).await {
            return Ok(false);
        }
        held.message
            .ack_with(AckKind::Progress)
            .await
            .map_err(|err| unavailable("cannot renew a lease", err))?;
        Ok(true)
    }

    async fn finish_held(&self, held: Held, finish: Finish) -> Result<(), InboxError> {
        if self.lost(&held).await {
            tracing::debug!(target: "webhooks_callbacks::inbox", id = held.id, "the lease is gone; nothing recorded");
            return Ok(());
        }
        let acked = |err| unavailable("JetStream did not confirm an acknowledgement", err);
        match finish {
            Finish::Done => {
                self.record(&held, State::Done, None).await?;
                held.message.double_ack().await.map_err(acked)?;
                self.forget(&held, State::Done).await;
            }
            Finish::Dead { error } => {
                self.record(&held, State::Dead, Some(error)).await?;
                held.message
                    .double_ack_with(AckKind::Term)
                    .await
                    .map_err(acked)?;
                self.forget(&held, State::Dead).await;
            }
            Finish::Retry { at, error } => {
                self.write_note(
                    held.id,
                    &Note {
                        token: held.token,
                        owner: held.owner.clone(),
                        attempts: held.attempts,
                        error: Some(error),
                        retry_at: Some(millis(at)),
                    },
                )
                .await;
                let delay =
                    Duration::try_from(at - OffsetDateTime::now_utc()).unwrap_or(Duration::ZERO);
                held.message
                    .double_ack_with(AckKind::Nak(Some(delay)))
                    .await
                    .map_err(acked)?;
            }
            Finish::Release => {
                held.message
                    .double_ack_with(AckKind::Nak(None))
                    .await
                    .map_err(acked)?;
            }
        }
        Ok(())
    }

    /// Stores the done or dead copy of `held`, before its message is acknowledged.
    async fn record(
        &self,
        held: &Held,
        state: State,
        error: Option<String>,
    ) -> Result<(), InboxError> {
        let meta = Meta {
            id: Some(held.id),
            attempts: held.attempts,
            error,
            finished_at: Some(millis(OffsetDateTime::now_utc())),
            ..held.meta.clone()
        };
        self.publish(
            self.names.finished(state, held.id),
            encode(&meta, &held.body),
            Some(&format!("{state}.{}.{}", held.id, held.seq)),
        )
        .await?;
        Ok(())
    }

    /// After a done or dead copy: the note goes; for a replay, so do its earlier copies.
    async fn forget(&self, held: &Held, state: State) {
        if let Err(err) = self.kv.delete(note_of(held.id)).await {
            tracing::debug!(target: "webhooks_callbacks::inbox", id = held.id, error = %err, "could not delete a lease note");
        }
        if held.replayed {
            let (same, other, other_state) = match state {
                State::Dead => (&self.dead, &self.done, State::Done),
                _ => (&self.done, &self.dead, State::Dead),
            };
            let _ = same
                .purge()
                .filter(self.names.finished(state, held.id))
                .keep(1)
                .await;
            let _ = other
                .purge()
                .filter(self.names.finished(other_state, held.id))
                .await;
        }
    }

    /// Messages of `stream` on `subject` with sequences from `from` to `to`, oldest first, one
    /// lookup each.
    async fn read(
        &self,
        stream: &stream::Stream,
        subject: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<StreamMessage>, InboxError> {
        let mut messages = Vec::new();
        let mut seq = from.max(1);
        while seq <= to {
            match stream.get_first_raw_message_by_subject(subject, seq).await {
                Ok(message) if message.sequence <= to => {
                    seq = message.sequence + 1;
                    messages.push(message);
                }
                Ok(_) => break,
                Err(err) if not_found(&err) => break,
                Err(err) => return Err(unavailable("cannot read a stream", err)),
            }
        }
        Ok(messages)
    }

    /// The first sequence of `stream` from which on every message on `subject` was stored at
    /// or after `at` (messages are in the order they were stored): a binary search.
    async fn first_stored_since(
        &self,
        stream: &stream::Stream,
        subject: &str,
        at: OffsetDateTime,
    ) -> Result<(u64, u64), InboxError> {
        let state = stream
            .get_info()
            .await
            .map_err(|err| unavailable("cannot read a stream's state", err))?
            .state;
        let (first, last) = (state.first_sequence, state.last_sequence);
        let (mut low, mut high) = (first, last.saturating_add(1));
        while low < high {
            let middle = low + (high - low) / 2;
            match stream
                .get_first_raw_message_by_subject(subject, middle)
                .await
            {
                Ok(message) if message.sequence < high => {
                    if message.time < at {
                        low = message.sequence + 1;
                    } else {
                        high = middle;
                    }
                }
                Ok(_) => high = middle,
                Err(err) if not_found(&err) => high = middle,
                Err(err) => return Err(unavailable("cannot read a stream", err)),
            }
        }
        Ok((low, last))
    }

    /// The entry of an open message, its state from the consumer and the note.
    async fn open_entry(&self, message: &StreamMessage, delivered_up_to: u64) -> Option<Entry> {
        let id = if message.subject.as_str() == self.names.work {
            message.sequence
        } else {
            self.names.replayed_id(message.subject.as_str())?
        };
        let (meta, body) = decode(&message.payload)?;
        let received_at = from_millis(meta.received_at);
        let delivered = message.sequence <= delivered_up_to;
        let note = if delivered { self.note(id).await } else { None };
        let mut entry = meta.entry(id, body, State::Pending);
        match note {
            Some(note) => {
                entry.attempts = note.attempts;
                entry.last_error = note.error;
                match note.retry_at {
                    Some(at) => entry.next_attempt_at = Some(from_millis(at)),
                    None => entry.state = State::Leased,
                }
            }
            None if delivered => {
                entry.state = State::Leased;
                entry.attempts = 1;
            }
            None => entry.next_attempt_at = Some(received_at),
        }
        Some(entry)
    }

    async fn delivered_up_to(&self) -> Result<u64, InboxError> {
        Ok(self
            .work
            .consumer_info(&self.names.consumer)
            .await
            .map_err(|err| unavailable("cannot read the workers' consumer", err))?
            .delivered
            .stream_sequence)
    }

    async fn duplicates_of(&self, subject: &str) -> HashMap<u64, u64> {
        let mut counts = HashMap::new();
        if let Ok(mut subjects) = self.duplicates.info_with_subjects(subject).await {
            while let Some(Ok((subject, count))) = subjects.next().await {
                if let Some(id) = Names::id_in(&subject) {
                    counts.insert(id, u64::try_from(count).unwrap_or(0));
                }
            }
        }
        counts
    }

    async fn get_entry(&self, id: u64) -> Result<Option<Entry>, InboxError> {
        let mut entry = match self.open_message(id).await? {
            Some(message) => {
                let delivered_up_to = self.delivered_up_to().await?;
                self.open_entry(&message, delivered_up_to).await
            }
            None => self.finished(id).await?.map(Record::entry),
        };
        if let Some(entry) = &mut entry {
            entry.duplicates = self
                .duplicates_of(&self.names.duplicate(id))
                .await
                .get(&id)
                .copied()
                .unwrap_or(0);
        }
        Ok(entry)
    }

    async fn list_entries(&self, filter: ListFilter) -> Result<Vec<Entry>, InboxError> {
        let limit = filter.bounded_limit();
        let before = filter.before.map_or(u64::MAX, |id| id.0);
        let wanted = |state: State| filter.state.is_none_or(|wanted| wanted == state);
        let mut found: HashMap<u64, Entry> = HashMap::new();
        if wanted(State::Pending) || wanted(State::Leased) {
            for entry in self.list_open(before, limit, filter.state).await? {
                found.insert(entry.id.0, entry);
            }
        }
        for (stream, subject, state) in [
            (&self.done, &self.names.done, State::Done),
            (&self.dead, &self.names.dead, State::Dead),
        ] {
            if !wanted(state) {
                continue;
            }
            for record in self
                .list_finished(stream, subject, state, before, limit)
                .await?
            {
                // An open entry (a replay) wins over its earlier outcome; of two outcomes
                // (crash windows), the newer.
                let replace = match found.get(&record.id) {
                    None => true,
                    Some(known) if known.state.is_open() => false,
                    Some(known) => known.finished_at.map_or(0, millis) < record.finished_at(),
                };
                if replace {
                    found.insert(record.id, record.entry());
                }
            }
        }
        let mut entries: Vec<Entry> = found.into_values().collect();
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.id));
        entries.truncate(limit);
        if !entries.is_empty() {
            let counts = self.duplicates_of(&self.names.duplicates).await;
            for entry in &mut entries {
                entry.duplicates = counts.get(&entry.id.0).copied().unwrap_or(0);
            }
        }
        Ok(entries)
    }

    /// Open callbacks with ids below `before`, newest first: every replay, and windows of the
    /// work stream read backwards until `limit` of them are found.
    async fn list_open(
        &self,
        before: u64,
        limit: usize,
        state: Option<State>,
    ) -> Result<Vec<Entry>, InboxError> {
        let info = self
            .work
            .get_info()
            .await
            .map_err(|err| unavailable("cannot read the work stream's state", err))?
            .state;
        let delivered_up_to = self.delivered_up_to().await?;
        let keep = |entry: &Entry| state.is_none_or(|state| state == entry.state);
        let mut entries = Vec::new();
        if info.messages == 0 {
            return Ok(entries);
        }
        for message in self
            .read(
                &self.work,
                &self.names.replays,
                info.first_sequence,
                u64::MAX,
            )
            .await?
        {
            if let Some(entry) = self.open_entry(&message, delivered_up_to).await
                && entry.id.0 < before
                && keep(&entry)
            {
                entries.push(entry);
            }
        }
        let mut received = 0;
        let mut high = info.last_sequence.min(before.saturating_sub(1));
        let mut window = (limit as u64).max(64);
        while high >= info.first_sequence && received < limit {
            let low = high.saturating_sub(window - 1).max(info.first_sequence);
            for message in self.read(&self.work, &self.names.work, low, high).await? {
                if let Some(entry) = self.open_entry(&message, delivered_up_to).await
                    && keep(&entry)
                {
                    received += 1;
                    entries.push(entry);
                }
            }
            if low <= info.first_sequence {
                break;
            }
            high = low - 1;
            window = window.saturating_mul(2);
        }
        Ok(entries)
    }

    /// Done or dead copies of callbacks with ids below `before`, newest finished first, read
    /// in windows backwards until `limit` callbacks are found.
    async fn list_finished(
        &self,
        stream: &stream::Stream,
        subject: &str,
        state: State,
        before: u64,
        limit: usize,
    ) -> Result<Vec<Record>, InboxError> {
        let info = stream
            .get_info()
            .await
            .map_err(|err| unavailable("cannot read a stream's state", err))?
            .state;
        let mut records: HashMap<u64, Record> = HashMap::new();
        if info.messages == 0 {
            return Ok(Vec::new());
        }
        let mut high = info.last_sequence;
        let mut window = (limit as u64).max(64);
        while high >= info.first_sequence && records.len() < limit {
            let low = high.saturating_sub(window - 1).max(info.first_sequence);
            for message in self.read(stream, subject, low, high).await? {
                if let Some(record) = Record::of(&message, state)
                    && record.id < before
                {
                    let newer = records
                        .get(&record.id)
                        .is_none_or(|known| known.seq < record.seq);
                    if newer {
                        records.insert(record.id, record);
                    }
                }
            }
            if low <= info.first_sequence {
                break;
            }
            high = low - 1;
            window = window.saturating_mul(2);
        }
        Ok(records.into_values().collect())
    }

    async fn replay_entries(&self, replay: Replay) -> Result<u64, InboxError> {
        let records = match replay {
            Replay::Id(id) => {
                if self.open_message(id.0).await?.is_some() {
                    // Open: left to the workers.
                    return Ok(0);
                }
                self.finished(id.0).await?.into_iter().collect()
            }
            Replay::Dead => {
                let info = self
                    .dead
                    .get_info()
                    .await
                    .map_err(|err| unavailable("cannot read the dead stream's state", err))?
                    .state;
                self.read(&self.dead, &self.names.dead, info.first_sequence, u64::MAX)
                    .await?
                    .iter()
                    .filter_map(|message| Record::of(message, State::Dead))
                    .collect()
            }
            Replay::Since(since) => {
                let mut records = Vec::new();
                for (stream, subject, state) in [
                    (&self.done, &self.names.done, State::Done),
                    (&self.dead, &self.names.dead, State::Dead),
                ] {
                    // A callback received at or after `since` finished after it, too.
                    let (from, to) = self.first_stored_since(stream, subject, since).await?;
                    records.extend(
                        self.read(stream, subject, from, to)
                            .await?
                            .iter()
                            .filter_map(|message| Record::of(message, state))
                            .filter(|record| record.meta.received_at >= millis(since)),
                    );
                }
                records
            }
        };
        let mut newest: HashMap<u64, Record> = HashMap::new();
        for record in records {
            if newest
                .get(&record.id)
                .is_none_or(|known| known.finished_at() < record.finished_at())
            {
                newest.insert(record.id, record);
            }
        }
        let mut replayed = 0;
        for record in newest.into_values() {
            if !matches!(replay, Replay::Id(_)) && self.open_message(record.id).await?.is_some() {
                continue;
            }
            self.replay_record(&record).await?;
            replayed += 1;
        }
        if replayed > 0 {
            self.open.fetch_add(replayed, Ordering::Relaxed);
        }
        Ok(replayed)
    }

    /// Hands a finished callback to the workers again: a copy on `P.replay.<id>`, then the
    /// done and dead copies it had (found before, deleted by sequence after: a worker may
    /// already have finished the replay and written a new one) and its note are deleted.
    async fn replay_record(&self, record: &Record) -> Result<(), InboxError> {
        let mut earlier = Vec::new();
        for (stream, state) in [(&self.done, State::Done), (&self.dead, State::Dead)] {
            match stream
                .get_last_raw_message_by_subject(&self.names.finished(state, record.id))
                .await
            {
                Ok(message) => earlier.push((stream, message.sequence)),
                Err(err) if not_found(&err) => {}
                Err(err) => return Err(unavailable("cannot read finished callbacks", err)),
            }
        }
        let _ = self.kv.delete(note_of(record.id)).await;
        self.publish(
            self.names.replay(record.id),
            encode(&record.meta.reopened(), &record.body),
            Some(&format!(
                "replay.{}.{}.{}",
                record.id, record.state, record.seq
            )),
        )
        .await?;
        for (stream, seq) in earlier {
            if let Err(err) = stream.delete_message(seq).await {
                tracing::warn!(target: "webhooks_callbacks::inbox", id = record.id, error = %err, "could not delete a replayed callback's earlier record");
            }
        }
        Ok(())
    }

    async fn purge_before(&self, before: OffsetDateTime) -> Result<u64, InboxError> {
        let mut purged = 0;
        for (stream, subject, state) in [
            (&self.done, &self.names.done, State::Done),
            (&self.dead, &self.names.dead, State::Dead),
        ] {
            // Recorded before the cut-off, so received before it too.
            let (cut, _) = self.first_stored_since(stream, subject, before).await?;
            let first = stream
                .get_info()
                .await
                .map_err(|err| unavailable("cannot read a stream's state", err))?
                .state
                .first_sequence;
            if cut <= first {
                continue;
            }
            let records: Vec<Record> = self
                .read(stream, subject, first, cut - 1)
                .await?
                .iter()
                .filter_map(|message| Record::of(message, state))
                .collect();
            for record in &records {
                let key = key_of(&token(&record.meta.key));
                if let Ok(Some(entry)) = self.kv.entry(key.as_str()).await
                    && entry.operation == kv::Operation::Put
                    && entry.value.as_ref() == record.id.to_string().as_bytes()
                {
                    let _ = self
                        .kv
                        .delete_expect_revision(key.as_str(), Some(entry.revision))
                        .await;
                }
                let _ = self
                    .duplicates
                    .purge()
                    .filter(self.names.duplicate(record.id))
                    .await;
            }
            stream
                .purge()
                .sequence(cut)
                .await
                .map_err(|err| unavailable("cannot purge finished callbacks", err))?;
            let ids: std::collections::HashSet<u64> =
                records.iter().map(|record| record.id).collect();
            purged += ids.len() as u64;
        }
        Ok(purged)
    }

    async fn stats_now(&self) -> Result<Stats, InboxError> {
        let state = |stream: &stream::Stream| {
            let stream = stream.clone();
            async move {
                stream
                    .get_info()
                    .await
                    .map(|info| info.state)
                    .map_err(|err| unavailable("cannot read a stream's state", err))
            }
        };
        let (work, done, dead, duplicates, consumer) = futures::join!(
            state(&self.work),
            state(&self.done),
            state(&self.dead),
            state(&self.duplicates),
            self.work.consumer_info(&self.names.consumer),
        );
        let work = work?;
        let consumer =
            consumer.map_err(|err| unavailable("cannot read the workers' consumer", err))?;
        self.open.store(work.messages, Ordering::Relaxed);
        let oldest_age_secs = if work.messages == 0 {
            None
        } else {
            let oldest = self
                .in_work(work.first_sequence)
                .await?
                .and_then(|message| decode(&message.payload))
                .map_or(work.first_timestamp, |(meta, _)| {
                    from_millis(meta.received_at)
                });
            Some(u64::try_from((OffsetDateTime::now_utc() - oldest).whole_seconds()).unwrap_or(0))
        };
        Ok(Stats {
            depth: work.messages,
            leased: (consumer.num_ack_pending as u64).min(work.messages),
            oldest_age_secs,
            done: done?.messages,
            dead: dead?.messages,
            attempts: consumer.delivered.consumer_sequence,
            duplicates: duplicates?.messages,
        })
    }
}

/// Every message of a pull, until it ends; an error after some messages ends it early (the
/// ones got are leased and must be handled).
async fn drain(mut batch: consumer::pull::Batch) -> Result<Vec<jetstream::Message>, InboxError> {
    let mut messages = Vec::new();
    while let Some(message) = batch.next().await {
        match message {
            Ok(message) => messages.push(message),
            Err(err) if messages.is_empty() => {
                return Err(unavailable("cannot pull from the workers' consumer", err));
            }
            Err(_) => break,
        }
    }
    Ok(messages)
}

impl Store for JetStreamStore {
    fn ingest(&self, entry: NewEntry) -> BoxFuture<'_, Result<Ingested, InboxError>> {
        Box::pin(self.ingest_entry(entry))
    }

    fn lease<'a>(
        &'a self,
        owner: &'a str,
        max: usize,
        _lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Leased>, InboxError>> {
        Box::pin(async move {
            let messages = match self.pull(max.max(1)).await {
                Ok(messages) => messages,
                Err(err) => {
                    self.healthy.store(false, Ordering::Relaxed);
                    return Err(err);
                }
            };
            self.healthy.store(true, Ordering::Relaxed);
            let leased = futures::future::join_all(
                messages
                    .into_iter()
                    .map(|message| self.take(message, owner)),
            )
            .await;
            self.count_open().await;
            Ok(leased.into_iter().flatten().collect())
        })
    }

    fn renew<'a>(
        &'a self,
        ticket: &'a Ticket,
        _lease: Duration,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        Box::pin(async move {
            match ticket {
                Ticket::JetStream(held) => self.renew_held(held).await,
                Ticket::Sqlite { .. } => Ok(false),
            }
        })
    }

    fn finish(&self, ticket: Ticket, finish: Finish) -> BoxFuture<'_, Result<(), InboxError>> {
        Box::pin(async move {
            match ticket {
                Ticket::JetStream(held) => self.finish_held(*held, finish).await,
                Ticket::Sqlite { .. } => Ok(()),
            }
        })
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<OffsetDateTime>, InboxError>> {
        // Pulls wait on the server for what is due, so look again at once; while the server
        // is unreachable, at the workers' poll interval.
        let healthy = self.healthy.load(Ordering::Relaxed);
        Box::pin(async move { Ok(healthy.then(OffsetDateTime::now_utc)) })
    }

    fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<Entry>, InboxError>> {
        Box::pin(self.list_entries(filter))
    }

    fn get(&self, id: EntryId) -> BoxFuture<'_, Result<Option<Entry>, InboxError>> {
        Box::pin(self.get_entry(id.0))
    }

    fn replay(&self, replay: Replay) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(self.replay_entries(replay))
    }

    fn purge(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(self.purge_before(before))
    }

    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>> {
        Box::pin(self.stats_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_carries_servers_and_options() {
        let options = JetStreamOptions::new(
            "nats://a:4222, nats://user:secret@b:4222?prefix=ORDERS-1&duplicate_window=90s&replicas=3"
                .to_owned(),
        );
        assert_eq!(options.invalid, None);
        assert_eq!(
            options.servers,
            ["nats://a:4222", "nats://user:secret@b:4222"]
        );
        assert_eq!(options.prefix, "ORDERS-1");
        assert_eq!(options.duplicate_window, Duration::from_secs(90));
        assert_eq!(options.replicas, 3);
        assert_eq!(
            options.shown(),
            "nats://a:4222, nats://***@b:4222?prefix=ORDERS-1&duplicate_window=90s&replicas=3"
        );
        // The user and password are hidden wherever the URL is shown, whatever they hold.
        for (url, shown) in [
            (
                "nats://u:p@h:1,tls://p@h:2?prefix=A",
                "nats://***@h:1,tls://***@h:2?prefix=A",
            ),
            ("nats://u:pa/ss@h:1", "nats://***@h:1"),
            ("u:p@h:1, nats://h:2", "***@h:1, nats://h:2"),
            ("nats://h:1", "nats://h:1"),
            ("nats://h:1?prefix=A", "nats://h:1?prefix=A"),
            // A password with an unescaped `?` or `,`: all of it hidden, hosts before it too.
            ("nats://u:pa?ss@h:1?prefix=A", "nats://***@h:1?prefix=A"),
            ("nats://u:p,ss@h:1", "nats://***@h:1"),
            (
                "nats://a:4222,nats://u:s@h:1",
                "nats://a:4222,nats://***@h:1",
            ),
            ("h:1,u:p@h:2", "***@h:2"),
            ("u:p,ss@h:1", "***@h:1"),
        ] {
            assert_eq!(redacted_nats_url(url), shown, "{url}");
        }
        // Nor does a password typed with a `?` reach the error the URL gets, or `Debug`.
        let split = JetStreamOptions::new("nats://u:hun?ter2@h:1".to_owned());
        let shown = format!("{:?} {:?}", split.invalid, split);
        assert!(!shown.contains("hun") && !shown.contains("ter2"), "{shown}");
        assert!(split.invalid.is_some());
        assert!(!format!("{options:?}").contains("secret"), "{options:?}");

        let plain = JetStreamOptions::new("127.0.0.1:4222".to_owned());
        assert_eq!(plain.invalid, None);
        assert_eq!(plain.prefix, DEFAULT_PREFIX);
        assert_eq!(plain.duplicate_window, DEFAULT_DUPLICATE_WINDOW);

        for bad in [
            "nats://a?prefix=has.dot",
            "nats://a?prefix=",
            "nats://a?duplicate_window=0s",
            "nats://a?duplicate_window=soon",
            "nats://a?replicas=7",
            "nats://a?colour=blue",
            "?prefix=X",
        ] {
            assert!(
                JetStreamOptions::new(bad.to_owned()).invalid.is_some(),
                "{bad}"
            );
        }
    }

    #[test]
    fn durations_read_with_their_unit() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1d"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn a_payload_is_a_json_line_then_the_body_as_received() {
        let meta = Meta {
            key: "custom\nkey with \u{e9}".to_owned(),
            kind: "unknown".to_owned(),
            received_at: 1_700_000_000_123,
            method: "POST".to_owned(),
            target: "/hooks?x=1".to_owned(),
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            key_id: Some("k".to_owned()),
            digest: Some("SHA256".to_owned()),
            id: None,
            attempts: 0,
            error: None,
            finished_at: None,
        };
        let body = b"line one\nline two\n\xff";
        let payload = encode(&meta, body);
        let (read, read_body) = decode(&payload).unwrap();
        assert_eq!(read_body.as_ref(), body);
        assert_eq!(read.key, meta.key);
        assert_eq!(read.received_at, meta.received_at);
        assert!(decode(&Bytes::from_static(b"no json\nbody")).is_none());
        // Any key is a valid bucket key and message id.
        let token = token(&meta.key);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token}"
        );
    }

    #[test]
    fn subjects_name_their_callback() {
        let names = Names::new("P");
        assert_eq!(names.replayed_id("P.replay.42"), Some(42));
        assert_eq!(names.replayed_id("P.work"), None);
        assert_eq!(names.replayed_id("Q.replay.42"), None);
        assert_eq!(Names::id_in(&names.finished(State::Dead, 7)), Some(7));
        assert_eq!(names.finished(State::Done, 7), "P.done.7");
        assert_eq!(names.duplicate(7), "P.duplicate.7");
    }
}
