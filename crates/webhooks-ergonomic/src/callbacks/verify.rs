//! Signed-callback verification: [`Verifier`] checks the RSA signature MessageMedia puts on
//! every callback when the account has secure callbacks and an enabled signature key.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use http::{HeaderMap, Method, Uri};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha224, Sha256, Sha512};

use super::ids::KeyId;
use super::payload::{Callback, ParseError, excerpt};

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

/// Base64 as keys and signatures arrive: standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The digest a signature was made over (`X-MessageMedia-Digest-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestType {
    /// `SHA224` (also spelled `SHA-224`).
    Sha224,
    /// `SHA256` (also spelled `SHA-256`).
    Sha256,
    /// `SHA512` (also spelled `SHA-512`).
    Sha512,
}

impl DigestType {
    /// Every digest the platform signs with.
    pub const ALL: [DigestType; 3] = [DigestType::Sha224, DigestType::Sha256, DigestType::Sha512];

    /// Reads a digest name: `SHA224`, `SHA256` or `SHA512`, with or without the hyphen
    /// (`SHA-512`), ignoring ASCII case and surrounding whitespace.
    pub fn parse(name: &str) -> Option<DigestType> {
        let name = name.trim();
        let compact = name
            .get(..3)
            .filter(|sha| sha.eq_ignore_ascii_case("sha"))
            .and_then(|_| name.get(3..))
            .map(|bits| bits.strip_prefix('-').unwrap_or(bits))?;
        match compact {
            "224" => Some(DigestType::Sha224),
            "256" => Some(DigestType::Sha256),
            "512" => Some(DigestType::Sha512),
            _ => None,
        }
    }

    /// The name the Signature Key API uses, e.g. `"SHA256"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DigestType::Sha224 => "SHA224",
            DigestType::Sha256 => "SHA256",
            DigestType::Sha512 => "SHA512",
        }
    }

    /// The digest of `parts` concatenated.
    fn digest(self, parts: [&[u8]; 3]) -> (Vec<u8>, Pkcs1v15Sign) {
        fn run<D: Digest + rsa::pkcs8::AssociatedOid>(
            parts: [&[u8]; 3],
        ) -> (Vec<u8>, Pkcs1v15Sign) {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            (hasher.finalize().to_vec(), Pkcs1v15Sign::new::<D>())
        }
        match self {
            DigestType::Sha224 => run::<Sha224>(parts),
            DigestType::Sha256 => run::<Sha256>(parts),
            DigestType::Sha512 => run::<Sha512>(parts),
        }
    }
}

impl fmt::Display for DigestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A digest name that is none of `SHA224`, `SHA256`, `SHA512` (in either spelling).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a signature digest; expected SHA224, SHA256 or SHA512")]
pub struct UnknownDigest(String);

impl std::str::FromStr for DigestType {
    type Err = UnknownDigest;

    /// As [`DigestType::parse`], with a typed error.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        DigestType::parse(name).ok_or_else(|| UnknownDigest(excerpt(name)))
    }
}

impl serde::Serialize for DigestType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for DigestType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The request line as the platform signs it: `METHOD /path?query HTTP/1.1`.
///
/// The path and query are taken as they are in `uri` (an absolute URI contributes only its
/// path and query); the version is always `HTTP/1.1`, whatever the connection spoke.
pub fn request_line(method: &Method, uri: &Uri) -> String {
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    format!("{} {target} HTTP/1.1", method.as_str())
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
    pub digest: DigestType,
}

/// A callback whose signature verified, typed.
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
    /// The key id names no key this verifier holds.
    #[error("unknown signature key id `{key_id}`")]
    UnknownKeyId {
        /// The key id received (at most 64 characters of it).
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
    /// A public key given to the verifier could not be read.
    #[error("signature key `{key_id}` is not a usable RSA public key: {reason}")]
    InvalidKey {
        /// The key's id.
        key_id: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a callback was not accepted by [`Verifier::verify_and_parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The signature was not accepted (answer 401).
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The signature was good but the body could not be read (answer 400).
    #[error(transparent)]
    Parse(#[from] ParseError),
}

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Verifies signed callbacks against the public keys of your signature keys.
///
/// Holds any number of keys by key id, so a new key can be added before it is enabled and the
/// old one removed after: the callback's `X-MessageMedia-Key-Id` picks the key. Key ids match
/// ignoring ASCII case and surrounding whitespace. Cloning is cheap (keys are shared), and
/// `Debug` shows the key ids (public keys are public; there is no secret here).
///
/// ```
/// use std::time::Duration;
/// use webhooks_ergonomic::callbacks::Verifier;
///
/// // `public_key` exactly as the Signature Key API returned it (base64 DER, no PEM armour).
/// let public_key = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDQzpaND+3rrmJiH8MRjo7odCywjYn5Lb+OQI9MBucLiGbyLBCMi3NL0C+L/iD/6oKOp7OOszgvgBxoYrmk3R0TpkeXGrwLQmS3f2XqGOLfewu/v9FeE0XsB+SQirMe5TTQgOJo1yuqhR2tfvBDjV/1rPi7x+F5n0uIezBc3yjxVQIDAQAB";
/// let verifier = Verifier::new()
///     .with_key("7ca628a8-08b0-4e42-aeb8-960b37049c31", public_key)?
///     .max_age(Duration::from_secs(300));
/// assert_eq!(verifier.key_ids().collect::<Vec<_>>(), ["7ca628a8-08b0-4e42-aeb8-960b37049c31"]);
/// # Ok::<(), webhooks_ergonomic::callbacks::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: Arc<BTreeMap<String, RsaPublicKey>>,
    max_age: Option<Duration>,
    clock: Clock,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with no keys (it rejects everything until keys are added) and no freshness
    /// window, reading the system clock.
    pub fn new() -> Self {
        Verifier {
            keys: Arc::new(BTreeMap::new()),
            max_age: None,
            clock: Arc::new(SystemTime::now),
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
        let key = read_public_key(public_key).map_err(|reason| VerifyError::InvalidKey {
            key_id: excerpt(key_id),
            reason,
        })?;
        Arc::make_mut(&mut self.keys).insert(normalize_key_id(key_id), key);
        Ok(())
    }

    /// Removes the key of `key_id`; whether there was one.
    pub fn remove_key(&mut self, key_id: &str) -> bool {
        Arc::make_mut(&mut self.keys)
            .remove(&normalize_key_id(key_id))
            .is_some()
    }

    /// The ids of the keys held (trimmed, lowercase), in order.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Rejects callbacks whose `Date` is more than `max_age` away from now (in either
    /// direction, to allow for clock skew), before looking at the signature. Five minutes is a
    /// reasonable window; without one, `Date` is only checked as part of the signed bytes,
    /// which lets a captured callback be replayed.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Replaces the clock the freshness window reads (the system clock by default), for tests.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// Verifies a callback's signature.
    ///
    /// `uri` is the request target as received (path and query; behind a router that strips
    /// a prefix, the original URI), `raw_body` the body bytes exactly as received. Checks, in
    /// order: the five headers (`X-MessageMedia-Key-Id`, `X-MessageMedia-Cipher-Type`,
    /// `X-MessageMedia-Digest-Type`, `X-MessageMedia-Signature`, `Date`; names in any case)
    /// are present once each; the key id is known; the cipher is `RSA`; the digest is
    /// supported; `Date` is fresh (when [`max_age`](Self::max_age) is set); the signature is
    /// base64 of the key's length; and finally that it is a valid RSA PKCS#1 v1.5 signature
    /// over [`signed_bytes`].
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<VerifiedSignature, VerifyError> {
        let key_id = header(headers, KEY_ID_HEADER)?;
        let cipher = header(headers, CIPHER_TYPE_HEADER)?;
        let digest = header(headers, DIGEST_TYPE_HEADER)?;
        let signature = header(headers, SIGNATURE_HEADER)?;
        let date = header(headers, DATE_HEADER)?;

        let normalized = normalize_key_id(key_id);
        let key = self
            .keys
            .get(&normalized)
            .ok_or_else(|| VerifyError::UnknownKeyId {
                key_id: excerpt(key_id),
            })?;
        if !cipher.trim().eq_ignore_ascii_case("RSA") {
            return Err(VerifyError::UnsupportedCipher {
                cipher: excerpt(cipher),
            });
        }
        let digest_type =
            DigestType::parse(digest).ok_or_else(|| VerifyError::UnsupportedDigest {
                digest: excerpt(digest),
            })?;
        if let Some(max_age) = self.max_age {
            self.check_freshness(date, max_age)?;
        }

        let signature =
            BASE64
                .decode(signature.trim())
                .map_err(|err| VerifyError::MalformedSignature {
                    reason: format!("not base64: {err}"),
                })?;
        if signature.len() != key.size() {
            return Err(VerifyError::MalformedSignature {
                reason: format!(
                    "{} bytes long; the key's signatures are {} bytes",
                    signature.len(),
                    key.size()
                ),
            });
        }
        let line = request_line(method, uri);
        let (hashed, scheme) = digest_type.digest([line.as_bytes(), date.as_bytes(), raw_body]);
        key.verify(scheme, &hashed, &signature)
            .map_err(|_| VerifyError::BadSignature)?;
        Ok(VerifiedSignature {
            key_id: KeyId::new(normalized),
            digest: digest_type,
        })
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
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        let callback = Callback::parse(&content_type, raw_body)?;
        Ok(VerifiedCallback {
            callback,
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

/// The one value of header `name`, as text.
fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(VerifyError::MissingHeader { name })?;
    if values.next().is_some() {
        return Err(VerifyError::DuplicateHeader { name });
    }
    value
        .to_str()
        .map_err(|_| VerifyError::InvalidHeader { name })
}

fn normalize_key_id(key_id: &str) -> String {
    key_id.trim().to_ascii_lowercase()
}

fn read_public_key(text: &str) -> Result<RsaPublicKey, String> {
    let text = text.trim();
    if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        return RsaPublicKey::from_pkcs1_pem(text).map_err(|err| err.to_string());
    }
    if text.starts_with("-----BEGIN") {
        return RsaPublicKey::from_public_key_pem(text).map_err(|err| err.to_string());
    }
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let der = BASE64
        .decode(compact)
        .map_err(|err| format!("neither PEM nor base64 DER ({err})"))?;
    RsaPublicKey::from_public_key_der(&der)
        .or_else(|spki| RsaPublicKey::from_pkcs1_der(&der).map_err(|_| spki))
        .map_err(|err| format!("not an RSA SubjectPublicKeyInfo: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_names_in_every_documented_spelling() {
        for (name, digest) in [
            ("SHA224", DigestType::Sha224),
            ("SHA-224", DigestType::Sha224),
            ("sha256", DigestType::Sha256),
            ("Sha-256", DigestType::Sha256),
            ("SHA512", DigestType::Sha512),
            (" SHA-512 ", DigestType::Sha512),
        ] {
            assert_eq!(DigestType::parse(name), Some(digest), "{name}");
        }
        for name in [
            "SHA1", "SHA-1", "MD5", "SHA384", "SHA--256", "", "sh", "SHA", "ßHA256",
        ] {
            assert_eq!(DigestType::parse(name), None, "{name}");
        }
    }

    #[test]
    fn digest_names_round_trip_through_from_str_and_serde() {
        for digest in DigestType::ALL {
            assert_eq!(digest.as_str().parse::<DigestType>(), Ok(digest));
            let json = serde_json::to_string(&digest).unwrap();
            assert_eq!(json, format!("\"{}\"", digest.as_str()));
            assert_eq!(serde_json::from_str::<DigestType>(&json).unwrap(), digest);
        }
        assert_eq!("sha-512".parse::<DigestType>(), Ok(DigestType::Sha512));
        let err = "MD5".parse::<DigestType>().unwrap_err();
        assert!(err.to_string().contains("`MD5`"), "{err}");
        assert!(serde_json::from_str::<DigestType>("\"SHA1\"").is_err());
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
