//! Receiving: a request is verified, parsed, keyed and stored before it is answered.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use time::OffsetDateTime;

use super::Inbox;
use super::dedup;
use super::entry::EntryId;
use super::error::InboxError;
use super::store::{Ingested, NewEntry};
use crate::{Callback, ReceiveError, VerifyError};

/// What receiving one request came to, and so what to answer the platform.
#[derive(Debug)]
#[non_exhaustive]
pub enum Receipt {
    /// Verified and stored, durably: answer 200.
    Stored(EntryId),
    /// Verified, and its dedup key was stored already (the platform retried): answer 200, it
    /// will not be handled again.
    Duplicate(EntryId),
    /// Not accepted: not signed, signed badly, stale, by an unknown key ([`ReceiveError`]'s
    /// status: 401, or 503/500 when the key could not be looked up). Nothing was stored.
    Refused(ReceiveError),
    /// The backlog is at its limit: answer 503 with `Retry-After`, and the platform retries
    /// later. Nothing was checked or stored.
    Full {
        /// How many seconds to ask the platform to wait.
        retry_after: u64,
    },
    /// The store could not take it (a full disk, an I/O error): answer 503; nothing was
    /// acknowledged, so the platform retries.
    Unavailable(InboxError),
}

impl Receipt {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Receipt::Stored(_) | Receipt::Duplicate(_) => StatusCode::OK,
            Receipt::Refused(err) => err.status(),
            Receipt::Full { .. } | Receipt::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Whether the platform was told the callback arrived (2xx).
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, Receipt::Stored(_) | Receipt::Duplicate(_))
    }
}

impl std::fmt::Display for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Receipt::Stored(id) => write!(f, "stored as #{id}"),
            Receipt::Duplicate(id) => write!(f, "a duplicate of #{id}, absorbed"),
            Receipt::Refused(err) => write!(f, "refused: {err}"),
            Receipt::Full { retry_after } => {
                write!(
                    f,
                    "refused: the inbox is full (retry after {retry_after} s)"
                )
            }
            Receipt::Unavailable(err) => write!(f, "not stored: {err}"),
        }
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for Receipt {
    fn into_response(self) -> axum::response::Response {
        let status = self.status();
        match self {
            Receipt::Stored(id) => (status, format!("stored {id}\n")).into_response(),
            Receipt::Duplicate(id) => (status, format!("duplicate of {id}\n")).into_response(),
            Receipt::Refused(err) => (status, format!("{err}\n")).into_response(),
            Receipt::Full { retry_after } => (
                status,
                [(http::header::RETRY_AFTER, retry_after.to_string())],
                "the inbox is full; retry later\n",
            )
                .into_response(),
            Receipt::Unavailable(err) => (status, format!("{err}\n")).into_response(),
        }
    }
}

impl Inbox {
    /// Receives one request: refuses it when the backlog is full, verifies it (fetching a new
    /// key id from the verifier's key source), parses it, computes its dedup key, and stores it
    /// durably: only then is it [`Receipt::Stored`], to be answered 200. Workers are woken.
    ///
    /// `uri` is the request target as received (a proxy prefix is put back as the verifier
    /// was told), `body` the raw bytes.
    pub async fn receive(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Receipt {
        let shared = &self.shared;
        if shared.store.open() >= shared.max_backlog {
            return Receipt::Full {
                retry_after: shared.full_retry_after.as_secs().max(1),
            };
        }
        let signature = match shared
            .verifier
            .verify_async(method, uri, headers, &body)
            .await
        {
            Ok(signature) => signature,
            Err(err) => return refused(err),
        };
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        let callback = Callback::parse(&content_type, &body).ok();
        let kind = dedup::kind(callback.as_ref());
        let dedup_key = callback
            .as_ref()
            .and_then(|callback| {
                shared
                    .dedup_key
                    .as_ref()
                    .and_then(|custom| custom(callback))
            })
            .or_else(|| callback.as_ref().and_then(dedup::natural))
            .map_or_else(|| dedup::fallback(kind, &body), dedup::bounded);
        let order_key = shared
            .order_key
            .as_ref()
            .zip(callback.as_ref())
            .and_then(|(order, callback)| order(callback))
            .map(dedup::bounded);
        let entry = NewEntry {
            dedup_key,
            order_key,
            kind,
            received_at: OffsetDateTime::now_utc(),
            method: method.as_str().to_owned(),
            target: shared.verifier.public_target(uri, headers),
            headers: headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body,
            key_id: Some(signature.key_id.to_string()),
            digest: Some(signature.digest),
        };
        match shared.store.ingest(entry).await {
            Ok(Ingested::New(id)) => {
                shared.wake.notify_waiters();
                let _ = shared.events.send(id);
                Receipt::Stored(id)
            }
            Ok(Ingested::Duplicate(id)) => Receipt::Duplicate(id),
            Err(err) => {
                tracing::error!(target: "webhooks_callbacks::inbox", error = %err, "a verified callback could not be stored; answered 503");
                Receipt::Unavailable(err)
            }
        }
    }
}

fn refused(err: VerifyError) -> Receipt {
    Receipt::Refused(ReceiveError::Verify(err))
}
