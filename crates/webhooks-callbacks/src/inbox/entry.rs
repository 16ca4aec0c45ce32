//! What the inbox keeps of a callback, and how it is looked for: [`Entry`], [`State`],
//! [`Stats`], [`ListFilter`], [`Replay`].

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use time::OffsetDateTime;
use webhooks_vocabulary::{Digest, UnknownValue};

/// The id of a stored callback: increasing in the order callbacks were stored (with
/// JetStream, the stream sequence).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct EntryId(pub u64);

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for EntryId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(EntryId)
    }
}

/// Where a stored callback is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Stored and waiting for a worker (a first attempt, or a retry not yet due).
    Pending,
    /// A worker holds its lease and runs the handler now.
    Leased,
    /// The handler answered `Done`.
    Done,
    /// The handler answered `Fail`, or every attempt failed: kept for replay.
    Dead,
}

impl State {
    /// Every state.
    pub const ALL: [State; 4] = [State::Pending, State::Leased, State::Done, State::Dead];

    /// Its name: `pending`, `leased`, `done`, `dead`.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Leased => "leased",
            State::Done => "done",
            State::Dead => "dead",
        }
    }

    /// Whether the callback still waits for (or is in) handling.
    pub const fn is_open(self) -> bool {
        matches!(self, State::Pending | State::Leased)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownValue::new("state", s, "pending, leased, done, dead"))
    }
}

/// A stored callback: what arrived, as it arrived, and how its handling went.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Entry {
    /// Its id in the inbox.
    pub id: EntryId,
    /// The key it was deduplicated under (see the module's documentation).
    pub dedup_key: String,
    /// What it reads as: `delivery_report`, `inbound_sms`, `inbound_mms`, `opt_out`, or
    /// `unknown` for a body of a custom template [`Callback`](crate::Callback) does not read.
    pub kind: String,
    /// When it was stored.
    pub received_at: OffsetDateTime,
    /// The request's method.
    pub method: String,
    /// The request target the signature covered (path and query as the platform called them,
    /// after any proxy prefix was put back).
    pub target: String,
    /// The request's headers, in order, as text (a header that is not text is left out).
    pub headers: Vec<(String, String)>,
    /// The body, exactly as received.
    pub body: Bytes,
    /// The signature key that signed it.
    pub key_id: Option<String>,
    /// The digest it was signed with.
    pub digest: Option<Digest>,
    /// Where it is in its life.
    pub state: State,
    /// How many times a handler was started on it.
    pub attempts: u32,
    /// When it is next due, while pending.
    pub next_attempt_at: Option<OffsetDateTime>,
    /// Why the last attempt did not succeed.
    pub last_error: Option<String>,
    /// How many times it arrived again after it was stored (the platform's retries).
    pub duplicates: u64,
    /// When it became done or dead.
    pub finished_at: Option<OffsetDateTime>,
}

/// As JSON (for `mm-webhooks inbox --json` and the inspector page): times in RFC 3339, the
/// body as text when it is UTF-8 (`body`), else in base64 (`body_base64`).
impl serde::Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        let rfc3339 = |at: &OffsetDateTime| {
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("dedup_key", &self.dedup_key)?;
        map.serialize_entry("kind", &self.kind)?;
        map.serialize_entry("received_at", &rfc3339(&self.received_at))?;
        map.serialize_entry("method", &self.method)?;
        map.serialize_entry("target", &self.target)?;
        map.serialize_entry("headers", &self.headers)?;
        match std::str::from_utf8(&self.body) {
            Ok(text) => map.serialize_entry("body", text)?,
            Err(_) => {
                use base64::Engine;
                let encoded = base64::engine::general_purpose::STANDARD.encode(&self.body);
                map.serialize_entry("body_base64", &encoded)?;
            }
        }
        map.serialize_entry("key_id", &self.key_id)?;
        map.serialize_entry("digest", &self.digest)?;
        map.serialize_entry("state", &self.state)?;
        map.serialize_entry("attempts", &self.attempts)?;
        map.serialize_entry(
            "next_attempt_at",
            &self.next_attempt_at.as_ref().map(rfc3339),
        )?;
        map.serialize_entry("last_error", &self.last_error)?;
        map.serialize_entry("duplicates", &self.duplicates)?;
        map.serialize_entry("finished_at", &self.finished_at.as_ref().map(rfc3339))?;
        map.end()
    }
}

impl Entry {
    /// The request's `Content-Type`, empty when it had none.
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// How the inbox is doing, from [`Inbox::stats`](super::Inbox::stats).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Callbacks waiting for or in handling (pending and leased): the backlog.
    pub depth: u64,
    /// Of those, the ones a worker holds now.
    pub leased: u64,
    /// How long the oldest open callback has waited, in seconds.
    pub oldest_age_secs: Option<u64>,
    /// Callbacks handled (`Done`).
    pub done: u64,
    /// Callbacks given up on (`Dead`), waiting for a replay.
    pub dead: u64,
    /// Handler starts, over every stored callback.
    pub attempts: u64,
    /// Arrivals absorbed as duplicates.
    pub duplicates: u64,
}

impl Stats {
    /// Emits the figures as one `tracing` event (target `webhooks_callbacks::inbox`, level
    /// INFO), fields named as here.
    pub fn trace(&self) {
        tracing::info!(
            target: "webhooks_callbacks::inbox",
            depth = self.depth,
            leased = self.leased,
            oldest_age_secs = self.oldest_age_secs,
            done = self.done,
            dead = self.dead,
            attempts = self.attempts,
            duplicates = self.duplicates,
            "inbox stats"
        );
    }
}

/// Which callbacks [`Inbox::list`](super::Inbox::list) returns: newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListFilter {
    /// Only in this state.
    pub state: Option<State>,
    /// Only with an id below this one (the next page of a listing: the last id seen).
    pub before: Option<EntryId>,
    /// At most this many (default 100; at most 1000).
    pub limit: Option<usize>,
}

impl ListFilter {
    /// Everything, newest first, 100 at a time.
    pub fn new() -> Self {
        ListFilter::default()
    }

    /// Only callbacks in `state`.
    pub fn state(mut self, state: State) -> Self {
        self.state = Some(state);
        self
    }

    /// Only callbacks stored before `id`.
    pub fn before(mut self, id: EntryId) -> Self {
        self.before = Some(id);
        self
    }

    /// At most `limit` callbacks (1 to 1000).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The limit, within its bounds.
    pub(crate) fn bounded_limit(&self) -> usize {
        self.limit.unwrap_or(100).clamp(1, MAX_LIST)
    }
}

/// The most callbacks one listing returns.
pub const MAX_LIST: usize = 1000;

/// Which callbacks [`Inbox::replay`](super::Inbox::replay) hands to the workers again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replay {
    /// This one, whatever its state (a leased one is left to its worker).
    Id(EntryId),
    /// Every dead one.
    Dead,
    /// Every one stored at or after this instant that is done or dead.
    Since(OffsetDateTime),
}
