//! Where a [`Verifier`](super::Verifier) finds the public key of a key id it does not hold:
//! the [`KeySource`] trait, what a source answers ([`PublishedKey`], [`KeySourceError`]), and
//! [`key_source_fn`] to make one from an async closure.
//!
//! The Signature Key API (`GET /v1/iam/signature_keys/{key_id}`) is the natural source; any
//! store of your own (a database, a config service) works the same way. The verifier adds the
//! caching, single-flight, negative caching and rate limiting, so a source only fetches.

use std::fmt;
use std::future::Future;

use futures::future::BoxFuture;

/// A signature key's public half, as a [`KeySource`] found it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishedKey {
    /// The public key: base64 DER SubjectPublicKeyInfo as the Signature Key API returns it (or
    /// PEM); the forms [`Verifier::add_key`](super::Verifier::add_key) reads.
    pub public_key: String,
    /// Whether the key is enabled. A disabled key signs nothing, so the verifier treats it as
    /// a key the source does not have.
    pub enabled: bool,
}

impl PublishedKey {
    /// An enabled key with this public key.
    pub fn new(public_key: impl Into<String>) -> Self {
        PublishedKey {
            public_key: public_key.into(),
            enabled: true,
        }
    }

    /// Sets whether the key is enabled (the API's `enabled` flag).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }
}

impl fmt::Debug for PublishedKey {
    /// Public keys are not secret, but a kilobyte of base64 helps no log: the length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishedKey")
            .field("public_key_len", &self.public_key.len())
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// Why a key source could not answer, as far as a receiver must act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeySourceErrorKind {
    /// The source could not be reached or failed for now (a timeout, a refused connection, a
    /// 429 or 5xx): the same request may succeed later. The callback is answered 503 and the
    /// platform retries it.
    Unavailable,
    /// The source refused the receiver's own credentials (401), or the account lacks the
    /// feature (403): nothing changes until someone fixes the configuration. The callback is
    /// answered 500 (the receiver is broken, not the callback).
    Unauthorized,
    /// The source answered, but not with anything a key can be read from (a key without its
    /// public half, an answer that does not decode): fixed only where the source is.
    /// Answered 500.
    InvalidAnswer,
}

impl KeySourceErrorKind {
    /// Whether asking again later may succeed ([`Unavailable`](Self::Unavailable)).
    pub fn is_temporary(self) -> bool {
        matches!(self, KeySourceErrorKind::Unavailable)
    }
}

/// A key source could not answer: whether the key exists is unknown, so the callback is not
/// judged a forgery. [`kind`](Self::kind) says whether to wait (a transport error, a 5xx) or to
/// fix something (the source refused the receiver's credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeySourceError {
    kind: KeySourceErrorKind,
    message: String,
}

impl KeySourceError {
    /// The source could not answer for now ([`KeySourceErrorKind::Unavailable`]). Keep
    /// credentials out of `reason`: the message reaches the verifier's error and, through it,
    /// logs.
    pub fn new(reason: impl fmt::Display) -> Self {
        KeySourceError::with_kind(KeySourceErrorKind::Unavailable, reason)
    }

    /// An error of `kind`, saying why.
    pub fn with_kind(kind: KeySourceErrorKind, reason: impl fmt::Display) -> Self {
        KeySourceError {
            kind,
            message: reason.to_string(),
        }
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> KeySourceErrorKind {
        self.kind
    }

    /// Whether asking again later may succeed.
    pub fn is_temporary(&self) -> bool {
        self.kind.is_temporary()
    }
}

/// Finds the public key of a signature key by its id.
///
/// Answer `Ok(Some(key))` when the key exists, `Ok(None)` when it does not (the API's 404, or
/// an id the API would reject as malformed), and `Err` only when no answer could be had. The
/// verifier calls this at most once at a time per key id, and rarely (see
/// [`Verifier::key_source`](super::Verifier::key_source)); `key_id` is trimmed, lowercase and at
/// most [`MAX_KEY_ID_LEN`](super::MAX_KEY_ID_LEN) bytes.
///
/// The API client of `webhooks-ergonomic` is one (with its feature `verify`):
/// `Verifier::new().key_source(client.clone())`
/// fetches a key it meets with `GET /v1/iam/signature_keys/{key_id}`.
pub trait KeySource: Send + Sync + 'static {
    /// Fetches the key `key_id`.
    fn fetch(&self, key_id: &str) -> BoxFuture<'_, Result<Option<PublishedKey>, KeySourceError>>;
}

/// A [`KeySource`] made from an async closure; see [`key_source_fn`].
#[derive(Clone)]
pub struct FnKeySource<F>(F);

impl<F> fmt::Debug for FnKeySource<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnKeySource")
    }
}

/// A [`KeySource`] that calls `fetch` with the key id.
///
/// ```
/// use webhooks_callbacks::{KeySourceError, PublishedKey, Verifier, key_source_fn};
///
/// let verifier = Verifier::new().key_source(key_source_fn(|key_id: String| async move {
///     // Look `key_id` up in your own store; here, no key exists.
///     let _ = key_id;
///     Ok::<Option<PublishedKey>, KeySourceError>(None)
/// }));
/// # let _ = verifier;
/// ```
pub fn key_source_fn<F, Fut>(fetch: F) -> FnKeySource<F>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<PublishedKey>, KeySourceError>> + Send + 'static,
{
    FnKeySource(fetch)
}

impl<F, Fut> KeySource for FnKeySource<F>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<PublishedKey>, KeySourceError>> + Send + 'static,
{
    fn fetch(&self, key_id: &str) -> BoxFuture<'_, Result<Option<PublishedKey>, KeySourceError>> {
        Box::pin((self.0)(key_id.to_owned()))
    }
}
