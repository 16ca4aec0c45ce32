//! The differential test of verification: [`PublicKey::verify`] (aws-lc for SHA-256 and
//! SHA-512, crypto-bigint for SHA-224, or OpenSSL with the feature `openssl`, when the
//! crypto-bigint path is compared as well) against the `rsa` 0.9 verification of earlier
//! releases, on the same keys, digests and bytes, over every case that matters: good
//! signatures; every single-bit flip of the signature, the body, the `Date` and the request
//! line; another key; another digest; signatures a byte short or long, and empty. They must
//! agree on every case, and the good ones must verify.

use std::sync::OnceLock;

use rsa09::pkcs8::EncodePublicKey;
use rsa09::traits::PublicKeyParts;
use rsa09::{BigUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Sha224, Sha256, Sha512};
use webhooks_vocabulary::Digest;

use super::PublicKey;
use crate::payload::BASE64;
use base64::Engine;

/// The request line, `Date` and body of one callback: short enough that every bit of each can
/// be flipped, long enough to be a real delivery report.
const LINE: &[u8] = b"POST /hooks/messagemedia?tenant=acme HTTP/1.1";
const DATE: &[u8] = b"Mon, 30 Nov 2026 10:00:00 GMT";
const BODY: &[u8] = br#"{"message_id":"877c19ef","status":"delivered","metadata":{"o":"1"}}"#;

/// A key of each shape the comparison must cover: 2048 bits (what the sandbox makes), 1024
/// bits (the Signature Key API's own example), and 1024 bits with exponent 3 (the generic
/// exponentiation, not the 65537 chain).
fn keys() -> &'static [(RsaPrivateKey, PublicKey)] {
    static KEYS: OnceLock<Vec<(RsaPrivateKey, PublicKey)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        let three = BigUint::from(3u8);
        [
            RsaPrivateKey::new(&mut rng, 2048).expect("a 2048-bit key"),
            RsaPrivateKey::new(&mut rng, 1024).expect("a 1024-bit key"),
            RsaPrivateKey::new_with_exp(&mut rng, 1024, &three).expect("a key with e = 3"),
        ]
        .into_iter()
        .map(|private| {
            let der = private
                .to_public_key()
                .to_public_key_der()
                .expect("the key encodes");
            let public = PublicKey::parse(&BASE64.encode(der.as_bytes())).expect("it parses");
            (private, public)
        })
        .collect()
    })
}

fn hashed(digest: Digest, parts: [&[u8]; 3]) -> (Vec<u8>, Pkcs1v15Sign) {
    fn run<D: sha2::Digest + rsa09::pkcs8::AssociatedOid>(
        parts: [&[u8]; 3],
    ) -> (Vec<u8>, Pkcs1v15Sign) {
        let mut hasher = D::new();
        for part in parts {
            hasher.update(part);
        }
        (hasher.finalize().to_vec(), Pkcs1v15Sign::new::<D>())
    }
    match digest {
        Digest::Sha224 => run::<Sha224>(parts),
        Digest::Sha256 => run::<Sha256>(parts),
        _ => run::<Sha512>(parts),
    }
}

fn sign(key: &RsaPrivateKey, digest: Digest, parts: [&[u8]; 3]) -> Vec<u8> {
    let (hash, scheme) = hashed(digest, parts);
    key.sign(scheme, &hash).expect("signing works")
}

/// The verdict of the earlier releases' verification.
fn reference(key: &RsaPublicKey, digest: Digest, parts: [&[u8]; 3], signature: &[u8]) -> bool {
    let (hash, scheme) = hashed(digest, parts);
    signature.len() == key.size() && key.verify(scheme, &hash, signature).is_ok()
}

/// Every copy of `bytes` with one bit flipped.
fn flips(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    (0..bytes.len() * 8).map(|bit| {
        let mut flipped = bytes.to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        flipped
    })
}

/// Both verdicts on one case; they must agree. Returns the verdict.
#[track_caller]
fn agree(
    case: &str,
    (private, public): &(RsaPrivateKey, PublicKey),
    digest: Digest,
    parts: [&[u8]; 3],
    signature: &[u8],
) -> bool {
    let ours = public.verify(digest, parts, signature);
    let theirs = reference(&private.to_public_key(), digest, parts, signature);
    if digest == Digest::Sha224 {
        // With the feature `openssl`, `verify` raises by OpenSSL: crypto-bigint must agree too.
        let (hashed, _) = hashed(digest, parts);
        let portable = signature.len() == public.size()
            && public
                .rsavp1(signature)
                .is_some_and(|block| public.is_sha224_block(&block, &hashed));
        assert_eq!(
            portable,
            theirs,
            "{case}: SHA-224 by crypto-bigint, {}-bit key, e = {}",
            private.size() * 8,
            private.e()
        );
    }
    assert_eq!(
        ours,
        theirs,
        "{case}: {digest}, {}-bit key, e = {}",
        private.size() * 8,
        private.e()
    );
    ours
}

#[test]
fn good_signatures_verify_with_every_digest_and_key_shape() {
    for key in keys() {
        for digest in Digest::ALL {
            let parts = [LINE, DATE, BODY];
            let signature = sign(&key.0, digest, parts);
            assert!(agree("good", key, digest, parts, &signature));
        }
    }
}

#[test]
fn every_single_bit_flip_of_signature_body_date_and_line_is_refused_by_both() {
    let mut cases = 0;
    for key in keys() {
        for digest in Digest::ALL {
            let signature = sign(&key.0, digest, [LINE, DATE, BODY]);
            for flipped in flips(&signature) {
                cases += 1;
                assert!(!agree(
                    "signature flip",
                    key,
                    digest,
                    [LINE, DATE, BODY],
                    &flipped
                ));
            }
            for flipped in flips(BODY) {
                cases += 1;
                assert!(!agree(
                    "body flip",
                    key,
                    digest,
                    [LINE, DATE, &flipped],
                    &signature
                ));
            }
            for flipped in flips(DATE) {
                cases += 1;
                assert!(!agree(
                    "date flip",
                    key,
                    digest,
                    [LINE, &flipped, BODY],
                    &signature
                ));
            }
            for flipped in flips(LINE) {
                cases += 1;
                assert!(!agree(
                    "line flip",
                    key,
                    digest,
                    [&flipped, DATE, BODY],
                    &signature
                ));
            }
        }
    }
    assert!(cases > 20_000, "{cases} cases");
}

#[test]
fn another_key_another_digest_and_wrong_lengths_are_refused_by_both() {
    let parts = [LINE, DATE, BODY];
    for (index, key) in keys().iter().enumerate() {
        for digest in Digest::ALL {
            let signature = sign(&key.0, digest, parts);
            for other in Digest::ALL.into_iter().filter(|other| *other != digest) {
                assert!(!agree("other digest", key, other, parts, &signature));
            }
            for (other_index, other_key) in keys().iter().enumerate() {
                if other_index != index {
                    assert!(!agree("other key", other_key, digest, parts, &signature));
                }
            }
            let short = &signature[..signature.len() - 1];
            let long = [signature.as_slice(), &[0]].concat();
            let padded = [&[0], signature.as_slice()].concat();
            for (case, wrong) in [
                ("a byte short", short),
                ("a byte long", long.as_slice()),
                ("a leading zero added", padded.as_slice()),
                ("empty", &[][..]),
            ] {
                assert!(!agree(case, key, digest, parts, wrong));
            }
            // Split differently, the same bytes are the same message: both hash the
            // concatenation.
            let moved = [&LINE[..10], &[&LINE[10..], DATE].concat(), BODY];
            assert!(agree(
                "parts split elsewhere",
                key,
                digest,
                moved,
                &signature
            ));
        }
    }
}
