//! Signed-callback verification: [`Verifier`] checks the RSA signature MessageMedia puts on
//! every callback when the account has secure callbacks and an enabled signature key.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use http::{HeaderMap, HeaderName, Method, Uri};
use webhooks_vocabulary::Digest;

use crate::ids::KeyId;
use crate::key_cache::{KeyCache, MAX_KEY_ID_LEN};
use crate::key_source::{KeySource, KeySourceErrorKind};
use crate::payload::{BASE64, Callback, ParseError, excerpt};
use crate::public_key::PublicKey;

/// `X-MessageMedia-Signature`: the base64 RSA signature.
pub const SIGNATURE_HEADER: &str = "x-messagemedia-signature";
/// `X-MessageMedia-Digest-Type`: the digest signed (`SHA224`, `SHA256`, `SHA512`).
pub const DIGEST_TYPE_HEADER: &str = "x-messagemedia-digest-type";
/// `X-MessageMedia-Cipher-Type`: the signature algorithm (`RSA`).
pub const CIPHER_TYPE_HEADER: &str = "x-messagemedia-cipher-type";
/// `X-MessageMedia-Key-Id`: the id of the signature key that signed.
pub const KEY_ID_HEADER: &str = "x-messagemedia-key-id";
/// `Date`: part of the signed bytes, and what the freshness window checks.
pub const DATE_HEADER: &str = "date";

/// The signature's headers, in the order they are checked: found in one pass over a request's
/// headers ([`signed_index`]), with neither a name parsed nor a hash computed per request.
static SIGNED_HEADERS: [HeaderName; 5] = [
    HeaderName::from_static(KEY_ID_HEADER),
    HeaderName::from_static(CIPHER_TYPE_HEADER),
    HeaderName::from_static(DIGEST_TYPE_HEADER),
    HeaderName::from_static(SIGNATURE_HEADER),
    http::header::DATE,
];

/// The digest a signature was made over (`X-MessageMedia-Digest-Type`): the old name of
/// [`Digest`], which signature keys and verification now share.
#[deprecated(
    since = "0.2.0",
    note = "use `Digest`, the one digest type of keys and callbacks"
)]
pub type DigestType = Digest;

/// The old name of the error of parsing a digest name.
#[deprecated(
    since = "0.2.0",
    note = "`Digest`'s `FromStr` error is `webhooks_vocabulary::UnknownValue`"
)]
pub type UnknownDigest = webhooks_vocabulary::UnknownValue;

/// The request line as the platform signs it: `METHOD /path?query HTTP/1.1`.
///
/// The path and query are taken as they are in `uri` (an absolute URI contributes only its
/// path and query); the version is always `HTTP/1.1`, whatever the connection spoke. The same
/// line the API gateway's HMAC scheme covers ([`webhooks_vocabulary::request_line`]).
pub fn request_line(method: &Method, uri: &Uri) -> String {
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    webhooks_vocabulary::request_line(method.as_str(), target)
}

/// The bytes a callback's signature covers: [`request_line`], then the `Date` header's value,
/// then the raw body, with nothing between them.
pub fn signed_bytes(method: &Method, uri: &Uri, date: &str, body: &[u8]) -> Vec<u8> {
    let line = request_line(method, uri);
    let mut bytes = Vec::with_capacity(line.len() + date.len() + body.len());
    bytes.extend_from_slice(line.as_bytes());
    bytes.extend_from_slice(date.as_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// The key that signed (as [`Verifier`] stores it: trimmed, lowercase).
    pub key_id: KeyId,
    /// The digest signed.
    pub digest: Digest,
}

/// A callback whose signature verified, typed.
///
/// Returned by [`Verifier::verify_and_parse`] and its async twin. With the `axum` feature it
/// is also an extractor: the handler runs only for callbacks whose signature verified and
/// whose body is a [`Callback`]. The [`Verifier`] comes from the router's state
/// (`Verifier: FromRef<S>`); as it reads the body, it must be the handler's last argument. It
/// verifies against the original URI (what the platform called, before a `Router::nest`
/// stripped a prefix) and the raw body bytes, fetching unknown keys from the verifier's
/// [`KeySource`], and otherwise answers with a short plain-text message:
///
/// | status | when |
/// |---|---|
/// | 401 | the signature was not accepted (missing or bad headers, stale `Date`, unknown key, bad signature) |
/// | 503 | the key source could not be asked ([`VerifyError::is_temporary`]): the platform retries |
/// | 400 | the signature verified but the body is not a callback |
/// | 413 | the body exceeds the route's limit (axum's default is 2 MB; raise it with `DefaultBodyLimit`) |
///
/// See `CallbackRejection` for the rejection type.
///
#[cfg_attr(feature = "axum", doc = "```no_run")]
#[cfg_attr(not(feature = "axum"), doc = "```ignore")]
/// use axum::{Router, http::StatusCode, routing::post};
/// use webhooks_callbacks::{Callback, VerifiedCallback, Verifier};
///
/// async fn messagemedia(VerifiedCallback { callback, signature, .. }: VerifiedCallback) -> StatusCode {
///     match callback {
///         Callback::DeliveryReport(report) => println!("{:?}: {:?}", report.message_id, report.status),
///         other => println!("{other:?} (signed by key {})", signature.key_id),
///     }
///     StatusCode::OK
/// }
///
/// # fn app(verifier: Verifier) -> Router {
/// Router::new().route("/hooks/messagemedia", post(messagemedia)).with_state(verifier)
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VerifiedCallback {
    /// The callback.
    pub callback: Callback,
    /// Which key signed it, with which digest.
    pub signature: VerifiedSignature,
}

/// Why a callback's signature was not accepted (or a key could not be loaded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A signature header or `Date` is missing.
    #[error("the callback has no `{name}` header")]
    MissingHeader {
        /// The header's name (lowercase).
        name: &'static str,
    },
    /// A signature header or `Date` appears more than once, so which value was signed is
    /// ambiguous.
    #[error("the callback has more than one `{name}` header")]
    DuplicateHeader {
        /// The header's name (lowercase).
        name: &'static str,
    },
    /// A signature header or `Date` is not visible ASCII text.
    #[error("the callback's `{name}` header is not valid text")]
    InvalidHeader {
        /// The header's name (lowercase).
        name: &'static str,
    },
    /// The key id names no key this verifier holds, nor one its key source has (or the source
    /// reports the key disabled).
    #[error("unknown signature key id `{key_id}`")]
    UnknownKeyId {
        /// The key id received (trimmed, lowercase, at most 64 characters of it).
        key_id: String,
    },
    /// The key source could not say whether the key exists: the callback may be genuine, so
    /// it is answered with a 5xx and the platform retries it. `kind` says whether the source
    /// failed for now (a transport error, a 5xx: 503) or needs fixing (it refused the
    /// receiver's credentials: 500).
    #[error("signature key `{key_id}` could not be fetched: {reason}")]
    KeySourceUnavailable {
        /// The key id received (trimmed, lowercase).
        key_id: String,
        /// What kind of failure the source reported.
        kind: KeySourceErrorKind,
        /// Why the source could not answer.
        reason: String,
    },
    /// The key id is new and the key source's fetch budget is spent
    /// ([`FETCH_BURST`](super::FETCH_BURST), [`FETCH_REFILL`](super::FETCH_REFILL)): the
    /// callback was not checked, so answer with a 5xx and let the platform retry.
    #[error("signature key `{key_id}` was not fetched: too many unknown key ids lately")]
    KeyLookupThrottled {
        /// The key id received (trimmed, lowercase).
        key_id: String,
    },
    /// The digest is not SHA-224, SHA-256 or SHA-512.
    #[error("unsupported signature digest `{digest}`; expected SHA224, SHA256 or SHA512")]
    UnsupportedDigest {
        /// The digest received (at most 64 characters of it).
        digest: String,
    },
    /// The cipher is not RSA.
    #[error("unsupported signature cipher `{cipher}`; expected RSA")]
    UnsupportedCipher {
        /// The cipher received (at most 64 characters of it).
        cipher: String,
    },
    /// The signature is not base64, or not as long as the key's modulus.
    #[error("malformed signature: {reason}")]
    MalformedSignature {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match the request: the request was altered, or not signed by
    /// that key.
    #[error("the signature does not match the request")]
    BadSignature,
    /// `Date` is further from now than the freshness window allows.
    #[error("the callback's Date `{date}` is outside the accepted window of {max_age:?}")]
    StaleDate {
        /// The `Date` received.
        date: String,
        /// The window.
        max_age: Duration,
    },
    /// `Date` is not an HTTP date (checked only when a freshness window is set).
    #[error("the callback's Date `{date}` is not an HTTP date")]
    InvalidDate {
        /// The `Date` received (at most 64 characters of it).
        date: String,
    },
    /// A public key given to the verifier, or answered by its key source, could not be read.
    #[error("signature key `{key_id}` is not a usable RSA public key: {reason}")]
    InvalidKey {
        /// The key's id.
        key_id: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl VerifyError {
    /// Whether the callback was not judged for a reason that passes (the key source failed
    /// for now, or was throttled), as opposed to judged and refused, or not judged because the
    /// receiver is misconfigured: answer 503, so the platform retries a genuine callback.
    pub fn is_temporary(&self) -> bool {
        match self {
            VerifyError::KeySourceUnavailable { kind, .. } => kind.is_temporary(),
            VerifyError::KeyLookupThrottled { .. } => true,
            _ => false,
        }
    }

    /// The status to answer the platform with: 503 when [`is_temporary`](Self::is_temporary),
    /// 500 when the key source needs fixing (the receiver's fault, not the callback's), 401
    /// when the signature was not accepted. The platform retries any non-2xx answer.
    pub fn status(&self) -> http::StatusCode {
        match self {
            _ if self.is_temporary() => http::StatusCode::SERVICE_UNAVAILABLE,
            VerifyError::KeySourceUnavailable { .. } => http::StatusCode::INTERNAL_SERVER_ERROR,
            _ => http::StatusCode::UNAUTHORIZED,
        }
    }
}

/// Why a callback was not accepted by [`Verifier::verify_and_parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The signature was not accepted, or could not be checked ([`VerifyError::status`]:
    /// 401, 503 or 500).
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The signature was good but the body could not be read (answer 400).
    #[error(transparent)]
    Parse(#[from] ParseError),
}

impl ReceiveError {
    /// The status to answer the platform with: [`VerifyError::status`], or 400 for a body
    /// that is not a callback.
    pub fn status(&self) -> http::StatusCode {
        match self {
            ReceiveError::Verify(err) => err.status(),
            ReceiveError::Parse(_) => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// How far a callback's `Date` may be from now, either way, by default: the window svix,
/// Stripe and MessageMedia's own API gateway use. Wider lets a captured callback be replayed
/// for longer; narrower rejects senders whose clocks drift.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(5 * 60);

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Verifies signed callbacks against the public keys of your signature keys.
///
/// Keys come two ways, usable together. Given with [`with_key`](Self::with_key), by key id, so
/// a new key can be added before it is enabled and the old one removed after. Or fetched: with
/// a [`key_source`](Self::key_source) (the Signature Key API, or a store of your own), a key id
/// the verifier does not hold is looked up, kept, and used from then on, so a rotation needs
/// no restart. Fetching goes through [`verify_async`](Self::verify_async) (and the axum
/// extractor); the synchronous [`verify`](Self::verify) uses the keys already held.
///
/// Secure by default: a callback whose `Date` is more than [`DEFAULT_MAX_AGE`] (5 minutes)
/// from now is rejected before its signature is looked at, so a captured callback cannot be
/// replayed later. Key ids match ignoring ASCII case and surrounding whitespace. Cloning is
/// cheap (keys and the fetch cache are shared), and `Debug` shows the key ids, never a key.
///
/// ```
/// use std::time::Duration;
/// use webhooks_callbacks::Verifier;
///
/// // `public_key` exactly as the Signature Key API returned it (base64 DER, no PEM armour).
/// let public_key = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDQzpaND+3rrmJiH8MRjo7odCywjYn5Lb+OQI9MBucLiGbyLBCMi3NL0C+L/iD/6oKOp7OOszgvgBxoYrmk3R0TpkeXGrwLQmS3f2XqGOLfewu/v9FeE0XsB+SQirMe5TTQgOJo1yuqhR2tfvBDjV/1rPi7x+F5n0uIezBc3yjxVQIDAQAB";
/// let verifier = Verifier::new()
///     .with_key("7ca628a8-08b0-4e42-aeb8-960b37049c31", public_key)?
///     .max_age(Duration::from_secs(120)); // the default is 5 minutes
/// assert_eq!(verifier.key_ids().collect::<Vec<_>>(), ["7ca628a8-08b0-4e42-aeb8-960b37049c31"]);
/// # Ok::<(), webhooks_callbacks::VerifyError>(())
/// ```
///
/// # Fetching keys
///
/// With a key source, a key id seen for the first time is fetched once, however many callbacks
/// carrying it arrive at the same moment. What the source answers is remembered: a key until
/// [`forget_key`](Self::forget_key); an id it does not have, or a key it reports disabled, for
/// [`MISSING_TTL`](super::MISSING_TTL) (at most [`MAX_MISSING`](super::MAX_MISSING) ids). Fetches
/// are budgeted ([`FETCH_BURST`](super::FETCH_BURST) at once, one more every
/// [`FETCH_REFILL`](super::FETCH_REFILL)), and only callbacks that are fresh and carry a
/// well-formed signature from an RSA key id of at most [`MAX_KEY_ID_LEN`](super::MAX_KEY_ID_LEN)
/// bytes get that far: a stream of forged key ids costs the source a handful of calls. A fetch
/// that fails or is not made is [`VerifyError::is_temporary`] (answer 503), not a rejection.
#[derive(Clone)]
pub struct Verifier {
    keys: Arc<BTreeMap<String, Arc<PublicKey>>>,
    fetched: Option<Arc<KeyCache>>,
    max_age: Option<Duration>,
    clock: Clock,
    path: PublicPath,
}

/// Where the platform called, when a proxy in front of the receiver changed the path.
#[derive(Debug, Clone, Default)]
struct PublicPath {
    /// Put back in front of the received path: the proxy stripped it.
    prefix: Option<String>,
    /// Taken off the received path: the proxy added it.
    internal: Option<String>,
    /// Put back the `X-Forwarded-Prefix` of the request, when it has one.
    trust_forwarded: bool,
}

/// `X-Forwarded-Prefix`: the path prefix a proxy stripped, in front of the path it forwarded.
pub const FORWARDED_PREFIX_HEADER: &str = "x-forwarded-prefix";

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .field("key_source", &self.fetched)
            .field("max_age", &self.max_age)
            .field("public_path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The headers of a signed callback, read and checked as far as they can be without its key.
struct Signed<'a> {
    key_id: Cow<'a, str>,
    date: &'a str,
    digest: Digest,
    signature: Vec<u8>,
}

impl Verifier {
    /// A verifier with no keys (it rejects everything until keys are added) and a freshness
    /// window of [`DEFAULT_MAX_AGE`], reading the system clock.
    pub fn new() -> Self {
        Verifier {
            keys: Arc::new(BTreeMap::new()),
            fetched: None,
            max_age: Some(DEFAULT_MAX_AGE),
            clock: Arc::new(SystemTime::now),
            path: PublicPath::default(),
        }
    }

    /// Adds a public key, as [`add_key`](Self::add_key) does.
    pub fn with_key(mut self, key_id: &str, public_key: &str) -> Result<Self, VerifyError> {
        self.add_key(key_id, public_key)?;
        Ok(self)
    }

    /// Adds (or replaces) the public key of `key_id`.
    ///
    /// `public_key` is base64 DER SubjectPublicKeyInfo, as the Signature Key API returns it
    /// (line breaks allowed), or PEM (`-----BEGIN PUBLIC KEY-----`, or PKCS#1
    /// `-----BEGIN RSA PUBLIC KEY-----`).
    pub fn add_key(&mut self, key_id: &str, public_key: &str) -> Result<(), VerifyError> {
        let key = PublicKey::parse(public_key).map_err(|reason| VerifyError::InvalidKey {
            key_id: excerpt(key_id),
            reason,
        })?;
        Arc::make_mut(&mut self.keys).insert(normalize_key_id(key_id).into_owned(), Arc::new(key));
        Ok(())
    }

    /// Removes the key of `key_id`, given or fetched; whether there was one. A given key is
    /// removed from this verifier (clones keep theirs); a fetched one as
    /// [`forget_key`](Self::forget_key) does.
    pub fn remove_key(&mut self, key_id: &str) -> bool {
        let given = Arc::make_mut(&mut self.keys)
            .remove(&*normalize_key_id(key_id))
            .is_some();
        self.forget_key(key_id) || given
    }

    /// Drops what was fetched about `key_id`, for this verifier and all its clones: a disabled
    /// or deleted key stops verifying at once, and the next callback naming it asks the key
    /// source again (which then answers that it is missing or disabled). Whether a fetched key
    /// was dropped.
    pub fn forget_key(&self, key_id: &str) -> bool {
        self.fetched
            .as_ref()
            .is_some_and(|cache| cache.forget(&normalize_key_id(key_id)))
    }

    /// The ids of the keys given with [`with_key`](Self::with_key) (trimmed, lowercase), in
    /// order; fetched keys show in `Debug`.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Looks up keys this verifier does not hold in `source` (see "Fetching keys" above).
    /// Replaces any earlier source, and what was fetched from it.
    pub fn key_source(mut self, source: impl KeySource) -> Self {
        self.fetched = Some(KeyCache::new(Arc::new(source)));
        self
    }

    /// Rejects callbacks whose `Date` is more than `max_age` away from now (in either
    /// direction, to allow for clock skew), before looking at the signature. The default is
    /// [`DEFAULT_MAX_AGE`].
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Accepts a correctly signed callback whatever its `Date`: a callback captured once can
    /// then be replayed to you forever. For replaying stored callbacks in tests, or behind
    /// your own replay protection; [`max_age`](Self::max_age) turns the window back on.
    pub fn without_replay_protection(mut self) -> Self {
        self.max_age = None;
        self
    }

    /// Replaces the clock (the system clock by default) that the freshness window and the
    /// key source's bookkeeping read, for tests.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// The path prefix a proxy in front of this receiver strips before forwarding: the
    /// platform called `/{prefix}/hooks`, the request arrives as `/hooks`. The signature covers
    /// the request line the platform sent, so the prefix is put back before verifying.
    ///
    /// ```
    /// # use webhooks_callbacks::Verifier;
    /// # use http::{HeaderMap, Uri};
    /// let verifier = Verifier::new().public_prefix("/public/messagemedia");
    /// let received: Uri = "/hooks?tenant=a".parse().unwrap();
    /// assert_eq!(
    ///     verifier.public_target(&received, &HeaderMap::new()),
    ///     "/public/messagemedia/hooks?tenant=a"
    /// );
    /// ```
    pub fn public_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path.prefix = Some(prefix.into().trim_end_matches('/').to_owned());
        self
    }

    /// The path prefix a proxy adds before forwarding: the platform called `/hooks`, the
    /// request arrives as `/{prefix}/hooks`. It is taken off before verifying (a path without
    /// it is verified as received).
    pub fn internal_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path.internal = Some(prefix.into().trim_end_matches('/').to_owned());
        self
    }

    /// Puts back the prefix a proxy names in `X-Forwarded-Prefix` (before any
    /// [`public_prefix`](Self::public_prefix)). Off by default, and only for a receiver that
    /// nothing but that proxy can reach: otherwise anyone can choose the path that is verified
    /// (they still cannot forge a signature, but can make a callback for one path verify at
    /// another).
    pub fn trust_forwarded_prefix(mut self, trust: bool) -> Self {
        self.path.trust_forwarded = trust;
        self
    }

    /// The request target the platform called, as the signature covers it: `uri`'s path and
    /// query, with the proxy prefixes this verifier was told of put back or taken off.
    pub fn public_target(&self, uri: &Uri, headers: &HeaderMap) -> String {
        let received = uri.path_and_query().map_or("/", |pq| pq.as_str());
        let received = match &self.path.internal {
            Some(internal) => match received.strip_prefix(internal.as_str()) {
                Some(rest) if rest.is_empty() || rest.starts_with(['/', '?']) => rest,
                _ => received,
            },
            None => received,
        };
        let forwarded = if self.path.trust_forwarded {
            headers
                .get(FORWARDED_PREFIX_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(|value| value.trim().trim_end_matches('/'))
                .filter(|value| value.starts_with('/'))
        } else {
            None
        };
        let mut target = String::with_capacity(received.len() + 32);
        for prefix in [forwarded, self.path.prefix.as_deref()]
            .into_iter()
            .flatten()
        {
            target.push_str(prefix);
        }
        if !received.starts_with('/') {
            target.push('/');
        }
        target.push_str(received);
        target
    }

    /// Verifies a callback's signature with the keys this verifier holds (given, or fetched
    /// earlier): it never asks the key source; use [`verify_async`](Self::verify_async) for
    /// that.
    ///
    /// `uri` is the request target as received (path and query; behind a router that strips
    /// a prefix, the original URI), `raw_body` the body bytes exactly as received. Checks, in
    /// order: the five headers (`X-MessageMedia-Key-Id`, `X-MessageMedia-Cipher-Type`,
    /// `X-MessageMedia-Digest-Type`, `X-MessageMedia-Signature`, `Date`; names in any case)
    /// are present once each; the cipher is `RSA`; the digest is supported; `Date` is fresh
    /// (unless [`without_replay_protection`](Self::without_replay_protection)); the signature
    /// is base64; the key id is known; the signature is as long as the key's modulus; and
    /// finally that it is a valid RSA PKCS#1 v1.5 signature over [`signed_bytes`].
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<VerifiedSignature, VerifyError> {
        let signed = self.read_signed(headers)?;
        let key = self
            .held_key(&signed.key_id)
            .ok_or_else(|| VerifyError::UnknownKeyId {
                key_id: excerpt(&signed.key_id),
            })?;
        check_signature(
            signed,
            &key,
            method,
            &self.public_target(uri, headers),
            raw_body,
        )
    }

    /// As [`verify`](Self::verify), fetching a key this verifier does not hold from its
    /// [`key_source`](Self::key_source) (without one, the same as `verify`).
    pub async fn verify_async(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<VerifiedSignature, VerifyError> {
        let signed = self.read_signed(headers)?;
        let key = match (self.keys.get(&*signed.key_id), &self.fetched) {
            (Some(key), _) => key.clone(),
            (None, Some(cache)) => cache.get(&signed.key_id, (self.clock)()).await?,
            (None, None) => {
                return Err(VerifyError::UnknownKeyId {
                    key_id: excerpt(&signed.key_id),
                });
            }
        };
        check_signature(
            signed,
            &key,
            method,
            &self.public_target(uri, headers),
            raw_body,
        )
    }

    /// [`verify`](Self::verify)s the callback, then reads it with [`Callback::parse`] (the
    /// content type taken from `headers`).
    pub fn verify_and_parse(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<VerifiedCallback, ReceiveError> {
        let signature = self.verify(method, uri, headers, raw_body)?;
        parse_verified(signature, headers, raw_body)
    }

    /// [`verify_async`](Self::verify_async)s the callback, then reads it with
    /// [`Callback::parse`] (the content type taken from `headers`).
    pub async fn verify_and_parse_async(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<VerifiedCallback, ReceiveError> {
        let signature = self.verify_async(method, uri, headers, raw_body).await?;
        parse_verified(signature, headers, raw_body)
    }

    fn held_key(&self, key_id: &str) -> Option<Arc<PublicKey>> {
        self.keys
            .get(key_id)
            .cloned()
            .or_else(|| self.fetched.as_ref()?.cached(key_id))
    }

    /// Every check that needs no key, so a callback that fails one never reaches the key
    /// source.
    fn read_signed<'a>(&self, headers: &'a HeaderMap) -> Result<Signed<'a>, VerifyError> {
        let [key_id, cipher, digest, signature, date] = signed_headers(headers)?;

        if !cipher.trim().eq_ignore_ascii_case("RSA") {
            return Err(VerifyError::UnsupportedCipher {
                cipher: excerpt(cipher),
            });
        }
        let digest = Digest::parse(digest).ok_or_else(|| VerifyError::UnsupportedDigest {
            digest: excerpt(digest),
        })?;
        if let Some(max_age) = self.max_age {
            self.check_freshness(date, max_age)?;
        }
        let signature =
            decode_signature(signature.trim()).map_err(|err| VerifyError::MalformedSignature {
                reason: format!("not base64: {err}"),
            })?;
        let key_id = normalize_key_id(key_id);
        if key_id.len() > MAX_KEY_ID_LEN {
            return Err(VerifyError::UnknownKeyId {
                key_id: excerpt(&key_id),
            });
        }
        Ok(Signed {
            key_id,
            date,
            digest,
            signature,
        })
    }

    fn check_freshness(&self, date: &str, max_age: Duration) -> Result<(), VerifyError> {
        let sent =
            httpdate::parse_http_date(date.trim()).map_err(|_| VerifyError::InvalidDate {
                date: excerpt(date),
            })?;
        let now = (self.clock)();
        let skew = now
            .duration_since(sent)
            .or_else(|_| sent.duration_since(now))
            .unwrap_or(Duration::MAX);
        if skew > max_age {
            return Err(VerifyError::StaleDate {
                date: excerpt(date),
                max_age,
            });
        }
        Ok(())
    }
}

/// The last two checks: the signature's length, then the RSA signature itself, over the
/// request line, the `Date` and the raw body, hashed in turn (the body is never copied).
fn check_signature(
    signed: Signed<'_>,
    key: &PublicKey,
    method: &Method,
    target: &str,
    raw_body: &[u8],
) -> Result<VerifiedSignature, VerifyError> {
    if signed.signature.len() != key.size() {
        return Err(VerifyError::MalformedSignature {
            reason: format!(
                "{} bytes long; the key's signatures are {} bytes",
                signed.signature.len(),
                key.size()
            ),
        });
    }
    let line = webhooks_vocabulary::request_line(method.as_str(), target);
    let parts = [line.as_bytes(), signed.date.as_bytes(), raw_body];
    if !key.verify(signed.digest, parts, &signed.signature) {
        return Err(VerifyError::BadSignature);
    }
    Ok(VerifiedSignature {
        key_id: KeyId::new(signed.key_id.into_owned()),
        digest: signed.digest,
    })
}

fn parse_verified(
    signature: VerifiedSignature,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<VerifiedCallback, ReceiveError> {
    let callback = Callback::parse(&content_type(headers), raw_body)?;
    Ok(VerifiedCallback {
        callback,
        signature,
    })
}

/// The request's `Content-Type`, empty when it has none: what [`Callback::parse`] reads.
pub(crate) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// The one value of each of [`SIGNED_HEADERS`], as text. Its errors come in the order of the
/// headers: a missing key id is told before a duplicate `Date`.
fn signed_headers(headers: &HeaderMap) -> Result<[&str; 5], VerifyError> {
    let mut found: [Option<&http::HeaderValue>; 5] = [None; 5];
    let mut repeated = [false; 5];
    for (name, value) in headers {
        let Some(index) = signed_index(name.as_str()) else {
            continue;
        };
        repeated[index] |= found[index].replace(value).is_some();
    }
    let mut texts = [""; 5];
    for (index, name) in SIGNED_HEADERS.iter().enumerate() {
        let name = name.as_str();
        let value = found[index].ok_or(VerifyError::MissingHeader { name })?;
        if repeated[index] {
            return Err(VerifyError::DuplicateHeader { name });
        }
        texts[index] = value
            .to_str()
            .map_err(|_| VerifyError::InvalidHeader { name })?;
    }
    Ok(texts)
}

/// The place in [`SIGNED_HEADERS`] of the header named `name` (lower case, as `HeaderName`s
/// are).
fn signed_index(name: &str) -> Option<usize> {
    SIGNED_HEADERS
        .iter()
        .position(|signed| signed.as_str() == name)
}

/// A signature's base64, decoded as [`BASE64`] decodes it, fast: base64-simd's vectorised
/// decoder first (the scalar one took a third of the checks before the key lookup); what it
/// refuses goes to [`BASE64`], whose verdict and message stand. (Besides invalid input, that
/// is a few odd paddings [`BASE64`] reads and base64-simd does not, such as `QQ=`.)
fn decode_signature(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let vectorised = if text.len().is_multiple_of(4) {
        &base64_simd::STANDARD
    } else {
        &base64_simd::STANDARD_NO_PAD
    };
    match vectorised.decode_to_vec(text) {
        Ok(bytes) => Ok(bytes),
        Err(_) => BASE64.decode(text),
    }
}

/// A key id as keys are held: trimmed, in lower case (borrowed when it already is).
fn normalize_key_id(key_id: &str) -> Cow<'_, str> {
    let trimmed = key_id.trim();
    if trimmed.bytes().any(|byte| byte.is_ascii_uppercase()) {
        Cow::Owned(trimmed.to_ascii_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signed_header_is_found_at_its_place_and_no_other_name_is() {
        for (index, name) in SIGNED_HEADERS.iter().enumerate() {
            assert_eq!(signed_index(name.as_str()), Some(index), "{name}");
        }
        for other in [
            "content-type",
            "x-messagemedia-key",
            "dates",
            "",
            "x-messagemedia-signaturE",
        ] {
            assert_eq!(signed_index(other), None, "{other}");
        }
    }

    #[test]
    fn request_line_uses_path_and_query_as_received() {
        let uri: Uri = "/hooks/mm?a=1&b=%20".parse().unwrap();
        assert_eq!(
            request_line(&Method::POST, &uri),
            "POST /hooks/mm?a=1&b=%20 HTTP/1.1"
        );
        let absolute: Uri = "http://example.com/x?y".parse().unwrap();
        assert_eq!(request_line(&Method::PUT, &absolute), "PUT /x?y HTTP/1.1");
        assert_eq!(
            signed_bytes(&Method::GET, &"/".parse().unwrap(), "D", b"B"),
            b"GET / HTTP/1.1DB"
        );
    }

    #[test]
    fn signatures_decode_exactly_as_the_scalar_base64_decodes_them() {
        let odd = [
            "",
            "QQ==",
            "QQ",
            "QQ=",
            "QR==",
            "QR",
            "QUI=",
            "QUI",
            "QUJ=",
            "QUJD",
            "Q",
            "Q===",
            "====",
            "QQ=A",
            "QQ==QQ==",
            " QUJD",
            "QUJD\n",
            "-_-_",
            "QUJD\u{e9}",
        ];
        let agree = |text: &str| {
            assert_eq!(
                decode_signature(text).map_err(|err| err.to_string()),
                BASE64.decode(text).map_err(|err| err.to_string()),
                "{text:?}"
            );
        };
        odd.iter().for_each(|text| agree(text));
        // Random text over the alphabet, padding and a few bytes outside it, every length up
        // to three blocks past a 2048-bit signature's.
        let symbols = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 356) as usize;
            let rare = next().is_multiple_of(4);
            let text: String = (0..len)
                .map(|_| {
                    let pick = next() as usize;
                    let limit = if rare && pick.is_multiple_of(8) {
                        symbols.len()
                    } else {
                        64
                    };
                    char::from(symbols[(pick >> 8) % limit])
                })
                .collect();
            agree(&text);
            // The same text with padding or a tail cut, where encodings go wrong.
            agree(text.trim_end_matches('='));
            agree(&format!("{}=", text.trim_end_matches('=')));
        }
    }

    #[test]
    fn the_vendor_example_key_loads_and_garbage_keys_are_typed_errors() {
        // A key of the shape the Signature Key API returns (1024-bit RSA, base64 DER SPKI),
        // generated for this test.
        let key = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDQzpaND+3rrmJiH8MRjo7odCywjYn5Lb+OQI9MBucLiGbyLBCMi3NL0C+L/iD/6oKOp7OOszgvgBxoYrmk3R0TpkeXGrwLQmS3f2XqGOLfewu/v9FeE0XsB+SQirMe5TTQgOJo1yuqhR2tfvBDjV/1rPi7x+F5n0uIezBc3yjxVQIDAQAB";
        let verifier = Verifier::new().with_key(" ABC ", key).unwrap();
        assert_eq!(verifier.key_ids().collect::<Vec<_>>(), ["abc"]);
        for garbage in [
            "",
            "not base64!",
            "AAAA",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        ] {
            let err = Verifier::new().with_key("k", garbage).unwrap_err();
            assert!(
                matches!(err, VerifyError::InvalidKey { ref key_id, .. } if key_id == "k"),
                "{err}"
            );
        }
    }
}
