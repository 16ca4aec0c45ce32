//! Signed callbacks: the RSA key pairs the sandbox holds (one [`CallbackSigner`] per signature
//! key of an account) and the `X-MessageMedia-*` headers it puts on a callback when the
//! account has an enabled key.
//!
//! The signed bytes are the callback's request line (`POST /path?query HTTP/1.1`), then the
//! `Date` value, then the raw body, concatenated with nothing between them; the signature is
//! RSA PKCS#1 v1.5 over their digest, base64 encoded. The public half is published as base64
//! DER SubjectPublicKeyInfo, the way the vendor's Signature Key API returns it.

use std::fmt;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{Method, Uri};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
pub use webhooks_callbacks::{
    CIPHER_TYPE_HEADER, DATE_HEADER, DIGEST_TYPE_HEADER, Digest, KEY_ID_HEADER, SIGNATURE_HEADER,
    signed_bytes,
};

/// The size of the key the sandbox generates, in bits.
pub const KEY_BITS: usize = 2048;

/// The only cipher the platform uses.
pub const CIPHER: &str = "RSA";

/// The digest of `message` and the PKCS#1 v1.5 padding that names it.
fn digest(digest: Digest, message: &[u8]) -> (Vec<u8>, Pkcs1v15Sign) {
    fn run<D: sha2::Digest + rsa::pkcs8::AssociatedOid>(message: &[u8]) -> (Vec<u8>, Pkcs1v15Sign) {
        (D::digest(message).to_vec(), Pkcs1v15Sign::new::<D>())
    }
    match digest {
        Digest::Sha224 => run::<sha2::Sha224>(message),
        Digest::Sha512 => run::<sha2::Sha512>(message),
        _ => run::<sha2::Sha256>(message),
    }
}

/// The public part of a signature key, in the vendor's Signature Key API shape (`GET
/// /v1/iam/signature_keys/{key_id}` answers it; lists and the enabled key leave out
/// `public_key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureKey {
    /// The key's id, sent in `X-MessageMedia-Key-Id`.
    pub key_id: Uuid,
    /// base64 DER SubjectPublicKeyInfo, without PEM armour.
    pub public_key: String,
    /// Always `RSA`.
    pub cipher: String,
    /// The digest callbacks are signed with.
    pub digest: Digest,
    /// When the key was generated (RFC 3339).
    pub created: String,
    /// Whether callbacks of its account are signed with it now.
    pub enabled: bool,
}

/// The headers of one signed callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSignature {
    /// `X-MessageMedia-Signature`.
    pub signature: String,
    /// `X-MessageMedia-Digest-Type`.
    pub digest_type: Digest,
    /// `X-MessageMedia-Key-Id`.
    pub key_id: Uuid,
    /// `Date` (IMF-fixdate), part of the signed bytes.
    pub date: String,
}

impl CallbackSignature {
    /// The headers to put on the callback, `X-MessageMedia-Cipher-Type` included.
    pub fn headers(&self) -> [(&'static str, String); 5] {
        [
            (SIGNATURE_HEADER, self.signature.clone()),
            (DIGEST_TYPE_HEADER, self.digest_type.as_str().to_owned()),
            (CIPHER_TYPE_HEADER, CIPHER.to_owned()),
            (KEY_ID_HEADER, self.key_id.to_string()),
            (DATE_HEADER, self.date.clone()),
        ]
    }
}

/// Why the signing key could not be made or used.
#[derive(Debug, thiserror::Error)]
#[error("callback signing failed: {0}")]
pub struct SignError(String);

/// One RSA key pair the sandbox holds and how it signs. The private half never leaves the
/// sandbox except into its own state file: `Debug` shows only the public key.
pub struct CallbackSigner {
    private_key: RsaPrivateKey,
    public: SignatureKey,
}

impl fmt::Debug for CallbackSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackSigner")
            .field("key", &self.public)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl CallbackSigner {
    /// Generates a fresh [`KEY_BITS`]-bit key that signs with `digest`, not enabled. This takes
    /// a moment: call it off the async runtime's worker threads.
    pub fn generate(digest: Digest) -> Result<CallbackSigner, SignError> {
        let private_key = RsaPrivateKey::new(&mut rand::thread_rng(), KEY_BITS)
            .map_err(|err| SignError(format!("could not generate the RSA key: {err}")))?;
        let created = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        CallbackSigner::assemble(Uuid::new_v4(), digest, created, private_key)
    }

    /// A key read back from the state file: its PKCS#8 DER private half and what was stored
    /// beside it.
    pub(crate) fn from_pkcs8_der(
        key_id: Uuid,
        digest: Digest,
        created: String,
        der: &[u8],
    ) -> Result<CallbackSigner, SignError> {
        let private_key = RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|err| SignError(format!("the stored private key does not decode: {err}")))?;
        CallbackSigner::assemble(key_id, digest, created, private_key)
    }

    fn assemble(
        key_id: Uuid,
        digest: Digest,
        created: String,
        private_key: RsaPrivateKey,
    ) -> Result<CallbackSigner, SignError> {
        let der = RsaPublicKey::from(&private_key)
            .to_public_key_der()
            .map_err(|err| SignError(format!("could not encode the public key: {err}")))?;
        Ok(CallbackSigner {
            private_key,
            public: SignatureKey {
                key_id,
                public_key: BASE64.encode(der.as_bytes()),
                cipher: CIPHER.to_owned(),
                digest,
                created,
                enabled: false,
            },
        })
    }

    /// The private half as PKCS#8 DER, for the state file only (zeroed when dropped).
    pub(crate) fn private_pkcs8_der(&self) -> Result<rsa::pkcs8::SecretDocument, SignError> {
        self.private_key
            .to_pkcs8_der()
            .map_err(|err| SignError(format!("could not encode the private key: {err}")))
    }

    /// The public key (its `enabled` is false: whether it is enabled is the store's to say).
    pub fn key(&self) -> &SignatureKey {
        &self.public
    }

    /// Signs a callback `method uri` (only its path and query count) with `body`, dated
    /// `date`.
    pub fn sign(
        &self,
        method: &Method,
        uri: &Uri,
        body: &[u8],
        date: SystemTime,
    ) -> Result<CallbackSignature, SignError> {
        let date = httpdate::fmt_http_date(date);
        let message = signed_bytes(method, uri, &date, body);
        let (hashed, padding) = digest(self.public.digest, &message);
        let signature = self
            .private_key
            .sign_with_rng(&mut rand::thread_rng(), padding, &hashed)
            .map_err(|err| SignError(format!("could not sign: {err}")))?;
        Ok(CallbackSignature {
            signature: BASE64.encode(signature),
            digest_type: self.public.digest,
            key_id: self.public.key_id,
            date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::DecodePublicKey;

    #[test]
    fn signatures_verify_with_the_published_key_and_not_after_tampering() {
        let signer = CallbackSigner::generate(Digest::Sha512).unwrap();
        let public =
            RsaPublicKey::from_public_key_der(&BASE64.decode(&signer.key().public_key).unwrap())
                .unwrap();
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_405_063_011);
        let uri = Uri::from_static("/hook?a=1");
        let signed = signer.sign(&Method::POST, &uri, b"{}", at).unwrap();
        assert_eq!(signed.date, "Fri, 11 Jul 2014 07:16:51 GMT");
        let signature = BASE64.decode(&signed.signature).unwrap();
        let check = |body: &[u8]| {
            let message = [b"POST /hook?a=1 HTTP/1.1", signed.date.as_bytes(), body].concat();
            let hashed = <sha2::Sha512 as sha2::Digest>::digest(&message);
            public
                .verify(Pkcs1v15Sign::new::<sha2::Sha512>(), &hashed, &signature)
                .is_ok()
        };
        assert!(check(b"{}"));
        assert!(!check(b"{ }"));
    }

    #[test]
    fn a_key_read_back_from_pkcs8_signs_like_the_original() {
        let signer = CallbackSigner::generate(Digest::Sha256).unwrap();
        let der = signer.private_pkcs8_der().unwrap();
        let back = CallbackSigner::from_pkcs8_der(
            signer.key().key_id,
            Digest::Sha256,
            signer.key().created.clone(),
            der.as_bytes(),
        )
        .unwrap();
        assert_eq!(back.key(), signer.key());
        assert!(
            CallbackSigner::from_pkcs8_der(Uuid::nil(), Digest::Sha256, String::new(), b"junk")
                .is_err()
        );
    }

    #[test]
    fn debug_hides_the_private_key() {
        let signer = CallbackSigner::generate(Digest::Sha256).unwrap();
        let debug = format!("{signer:?}");
        assert!(debug.contains("<redacted>") && debug.contains(&signer.key().public_key));
        assert!(!debug.contains("RsaPrivateKey") && !debug.contains("primes"));
    }
}
