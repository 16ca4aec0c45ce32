//! Signs callbacks the way the platform does, with a key made once per test binary.

use std::sync::OnceLock;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderValue, Uri};
use rsa09::pkcs8::EncodePublicKey;
use rsa09::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest as _, Sha256};
use webhooks_callbacks::Verifier;

/// The id the test key is published under.
pub const KEY_ID: &str = "5f0e2c9a-7b31-4c8d-9e2f-0a1b2c3d4e5f";

pub struct Signer {
    key: RsaPrivateKey,
}

impl Signer {
    /// One 1024-bit key per test binary (the size of the Signature Key API's own example).
    pub fn shared() -> &'static Signer {
        static SIGNER: OnceLock<Signer> = OnceLock::new();
        SIGNER.get_or_init(|| Signer {
            key: RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("a key"),
        })
    }

    /// A verifier holding the key, with the default freshness window.
    pub fn verifier(&self) -> Verifier {
        let der = self.key.to_public_key().to_public_key_der().unwrap();
        Verifier::new()
            .with_key(KEY_ID, &BASE64.encode(der.as_bytes()))
            .unwrap()
    }

    /// The request target and headers of `method target` with `body`, signed now with
    /// SHA-256.
    pub fn sign(&self, method: &str, target: &str, body: &[u8]) -> (Uri, HeaderMap) {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let mut signed = format!("{method} {target} HTTP/1.1{date}").into_bytes();
        signed.extend_from_slice(body);
        let signature = self
            .key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&signed))
            .unwrap();
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("x-messagemedia-signature", BASE64.encode(signature)),
            ("x-messagemedia-digest-type", "SHA256".to_owned()),
            ("x-messagemedia-cipher-type", "RSA".to_owned()),
            ("x-messagemedia-key-id", KEY_ID.to_owned()),
            ("date", date),
            ("content-type", "application/json".to_owned()),
        ] {
            headers.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        (target.parse().unwrap(), headers)
    }
}
