//! Signed callbacks: the RSA key pairs the sandbox holds (one [`CallbackSigner`] per signature
//! key of an account) and the `X-MessageMedia-*` headers it puts on a callback when the
//! account has an enabled key.
//!
//! The signed bytes are the callback's request line (`POST /path?query HTTP/1.1`), then the
//! `Date` value, then the raw body, concatenated with nothing between them; the signature is
//! RSA PKCS#1 v1.5 over their digest, base64 encoded. The public half is published as base64
//! DER SubjectPublicKeyInfo, the way the vendor's Signature Key API returns it.
//!
//! Keys are generated and SHA-256 and SHA-512 signatures made by aws-lc (through aws-lc-rs,
//! which rustls brings anyway): its bignum code is assembly, fast in a debug build too, so a
//! signing sandbox starts at once in a user's tests. SHA-224, which aws-lc-rs does not sign
//! with, goes through `rsa`.

use std::fmt;
use std::time::SystemTime;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RSA_PKCS1_SHA512, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{Method, Uri};
use rsa::pkcs8::DecodePrivateKey;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
pub use webhooks_callbacks::{
    CIPHER_TYPE_HEADER, DATE_HEADER, DIGEST_TYPE_HEADER, Digest, KEY_ID_HEADER, SIGNATURE_HEADER,
    signed_bytes,
};

/// The size of the key the sandbox generates, in bits.
pub const KEY_BITS: usize = 2048;

/// [`KEY_BITS`] as aws-lc names it.
const KEY_SIZE: KeySize = KeySize::Rsa2048;

/// The only cipher the platform uses.
pub const CIPHER: &str = "RSA";

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
    key_pair: RsaKeyPair,
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
        let key_pair = RsaKeyPair::generate(KEY_SIZE)
            .map_err(|_| SignError("could not generate the RSA key".to_owned()))?;
        let created = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        CallbackSigner::assemble(Uuid::new_v4(), digest, created, key_pair)
    }

    /// A key read back from the state file: its PKCS#8 DER private half and what was stored
    /// beside it.
    pub(crate) fn from_pkcs8_der(
        key_id: Uuid,
        digest: Digest,
        created: String,
        der: &[u8],
    ) -> Result<CallbackSigner, SignError> {
        let key_pair = RsaKeyPair::from_pkcs8(der)
            .map_err(|err| SignError(format!("the stored private key does not decode: {err}")))?;
        CallbackSigner::assemble(key_id, digest, created, key_pair)
    }

    fn assemble(
        key_id: Uuid,
        digest: Digest,
        created: String,
        key_pair: RsaKeyPair,
    ) -> Result<CallbackSigner, SignError> {
        let der = key_pair
            .public_key()
            .as_der()
            .map_err(|_| SignError("could not encode the public key".to_owned()))?;
        Ok(CallbackSigner {
            key_pair,
            public: SignatureKey {
                key_id,
                public_key: BASE64.encode(der.as_ref()),
                cipher: CIPHER.to_owned(),
                digest,
                created,
                enabled: false,
            },
        })
    }

    /// The private half as PKCS#8 DER, for the state file only.
    pub(crate) fn private_pkcs8_der(&self) -> Result<Pkcs8V1Der<'static>, SignError> {
        AsDer::<Pkcs8V1Der>::as_der(&self.key_pair)
            .map_err(|_| SignError("could not encode the private key".to_owned()))
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
        let signature = match self.public.digest {
            Digest::Sha224 => self.sign_sha224(&message)?,
            digest => {
                let encoding = match digest {
                    Digest::Sha512 => &RSA_PKCS1_SHA512,
                    _ => &RSA_PKCS1_SHA256,
                };
                let mut signature = vec![0; self.key_pair.public_modulus_len()];
                self.key_pair
                    .sign(encoding, &SystemRandom::new(), &message, &mut signature)
                    .map_err(|_| SignError("could not sign".to_owned()))?;
                signature
            }
        };
        Ok(CallbackSignature {
            signature: BASE64.encode(signature),
            digest_type: self.public.digest,
            key_id: self.public.key_id,
            date,
        })
    }

    /// SHA-224, which aws-lc-rs does not sign with: `rsa`, from the same private key.
    fn sign_sha224(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        use rsa::sha2::{Digest as _, Sha224};

        let der = self.private_pkcs8_der()?;
        let private = rsa::PrivateKey::from_pkcs8_der(der.as_ref())
            .map_err(|err| SignError(format!("the private key does not decode: {err}")))?;
        private
            .sign(rsa::Pkcs1v15Sign::new::<Sha224>(), &Sha224::digest(message))
            .map_err(|err| SignError(format!("could not sign: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(signer: &CallbackSigner) -> webhooks_callbacks::Verifier {
        webhooks_callbacks::Verifier::new()
            .without_replay_protection()
            .with_key(&signer.key().key_id.to_string(), &signer.key().public_key)
            .unwrap()
    }

    #[test]
    fn signatures_of_every_digest_verify_with_the_published_key_and_not_after_tampering() {
        for digest in Digest::ALL {
            let signer = CallbackSigner::generate(digest).unwrap();
            let verifier = verifier(&signer);
            let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_405_063_011);
            let uri = Uri::from_static("/hook?a=1");
            let signed = signer.sign(&Method::POST, &uri, b"{}", at).unwrap();
            assert_eq!(signed.date, "Fri, 11 Jul 2014 07:16:51 GMT");
            let mut headers = http::HeaderMap::new();
            for (name, value) in signed.headers() {
                headers.insert(name, value.parse().unwrap());
            }
            let check = |body: &[u8]| verifier.verify(&Method::POST, &uri, &headers, body);
            assert_eq!(check(b"{}").unwrap().digest, digest);
            assert!(check(b"{ }").is_err(), "{digest}");
        }
    }

    #[test]
    fn a_key_read_back_from_pkcs8_signs_like_the_original() {
        let signer = CallbackSigner::generate(Digest::Sha224).unwrap();
        let der = signer.private_pkcs8_der().unwrap();
        let back = CallbackSigner::from_pkcs8_der(
            signer.key().key_id,
            Digest::Sha224,
            signer.key().created.clone(),
            der.as_ref(),
        )
        .unwrap();
        assert_eq!(back.key(), signer.key());
        let (uri, at) = (Uri::from_static("/h"), SystemTime::now());
        assert_eq!(
            back.sign(&Method::POST, &uri, b"x", at).unwrap(),
            signer.sign(&Method::POST, &uri, b"x", at).unwrap(),
            "PKCS#1 v1.5 signatures are deterministic"
        );
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
        let der = BASE64.encode(signer.private_pkcs8_der().unwrap().as_ref());
        assert!(!debug.contains(&der[40..80]), "no part of the private key");
    }
}
