//! A signature key's public half, parsed once, verifying every digest the platform signs with
//! at the speed of the hardware.
//!
//! - **SHA-256 and SHA-512** go to aws-lc (through `aws-lc-rs`, the library rustls already
//!   brings), whose RSA is assembly-optimised: as fast as `openssl speed`.
//! - **SHA-224**, which the vendor's own example receiver uses, is an RSA algorithm neither
//!   aws-lc-rs nor ring offers. Its public operation runs on crypto-bigint's Montgomery
//!   arithmetic: with the exponent every RSA key of the platform has (65537) it is sixteen
//!   squarings and one multiplication, half the work of a generic exponentiation. The result
//!   is compared with the one block a valid signature can give (RFC 8017 §8.2.2: encode the
//!   expected EMSA-PKCS1-v1_5 block, then compare, never parse the padding). `rsa` parses the
//!   key and checks its size and exponent. That is about 2x `openssl speed`: crypto-bigint's
//!   portable multiplication against OpenSSL's assembly. With the feature `openssl`, SHA-224
//!   goes to the system's OpenSSL instead (1.2x), at the price of a system library the default
//!   build does not need.
//!
//! Keys of 1024 to 8192 bits are accepted: the Signature Key API's own example key is a
//! 1024-bit one.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
    RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
};
use base64::Engine;
use crypto_bigint::BoxedUint;
use crypto_bigint::modular::BoxedMontyForm;
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use webhooks_vocabulary::Digest;

use crate::payload::BASE64;

/// The DER `DigestInfo` header that precedes a SHA-224 hash in a PKCS#1 v1.5 signature (RFC
/// 8017 §9.2, note 1): SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.2.4, NULL }, OCTET STRING
/// of 28 bytes }.
const SHA224_DIGEST_INFO: [u8; 19] = [
    0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05,
    0x00, 0x04, 0x1c,
];

/// The public exponent whose exponentiation is sixteen squarings and a multiplication.
const F4: u32 = 65_537;

/// An RSA public key, ready to verify callbacks signed with any digest the platform uses.
pub(crate) struct PublicKey {
    /// aws-lc's parsed key for each digest it verifies.
    sha256: ParsedPublicKey,
    sha512: ParsedPublicKey,
    /// The modulus, exponent and Montgomery parameters, for SHA-224.
    key: rsa::PublicKey,
    /// Whether the exponent is 65537.
    f4: bool,
    /// OpenSSL's key, for SHA-224's public operation.
    #[cfg(feature = "openssl")]
    openssl: openssl::rsa::Rsa<openssl::pkey::Public>,
}

impl PublicKey {
    /// Reads a public key: base64 DER SubjectPublicKeyInfo as the Signature Key API returns it
    /// (line breaks allowed), PKCS#1 DER in base64, or either in PEM (`-----BEGIN PUBLIC
    /// KEY-----`, `-----BEGIN RSA PUBLIC KEY-----`). Why not, when it is not a usable key.
    pub(crate) fn parse(text: &str) -> Result<PublicKey, String> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
            rsa::PublicKey::from_pkcs1_pem(text).map_err(|err| err.to_string())?
        } else if text.starts_with("-----BEGIN") {
            rsa::PublicKey::from_public_key_pem(text).map_err(|err| err.to_string())?
        } else {
            let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            let der = BASE64
                .decode(compact)
                .map_err(|err| format!("neither PEM nor base64 DER ({err})"))?;
            rsa::PublicKey::from_public_key_der(&der)
                .or_else(|spki| rsa::PublicKey::from_pkcs1_der(&der).map_err(|_| spki))
                .map_err(|err| format!("not an RSA SubjectPublicKeyInfo: {err}"))?
        };
        let pkcs1 = key
            .to_pkcs1_der()
            .map_err(|err| format!("cannot be encoded again: {err}"))?;
        let parsed = |algorithm| {
            ParsedPublicKey::new(algorithm, pkcs1.as_bytes())
                .map_err(|err| format!("refused by aws-lc: {err}"))
        };
        Ok(PublicKey {
            #[cfg(feature = "openssl")]
            openssl: openssl::rsa::Rsa::public_key_from_der_pkcs1(pkcs1.as_bytes())
                .map_err(|err| format!("refused by OpenSSL: {err}"))?,
            sha256: parsed(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY)?,
            sha512: parsed(&RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY)?,
            f4: key.e() == &BoxedUint::from(F4),
            key,
        })
    }

    /// The length of the modulus in bytes: the length of every signature of this key.
    pub(crate) fn size(&self) -> usize {
        self.key.size()
    }

    /// Whether `signature` is this key's RSA PKCS#1 v1.5 signature of the `digest` of `parts`
    /// concatenated. The parts are hashed one after the other: nothing is copied.
    pub(crate) fn verify(&self, digest: Digest, parts: [&[u8]; 3], signature: &[u8]) -> bool {
        match digest {
            Digest::Sha256 => self
                .sha256
                .verify_digest_sig(&hash(&digest::SHA256, parts), signature)
                .is_ok(),
            Digest::Sha512 => self
                .sha512
                .verify_digest_sig(&hash(&digest::SHA512, parts), signature)
                .is_ok(),
            Digest::Sha224 => self.verify_sha224(hash(&digest::SHA224, parts).as_ref(), signature),
            // A digest the vocabulary learns later is one this key cannot check yet.
            _ => false,
        }
    }

    /// RSAVP1 and the comparison of RFC 8017 §8.2.2 for a SHA-224 `hashed` message, the
    /// public operation by OpenSSL with the feature `openssl`, else by crypto-bigint.
    fn verify_sha224(&self, hashed: &[u8], signature: &[u8]) -> bool {
        if signature.len() != self.size() {
            return false;
        }
        #[cfg(feature = "openssl")]
        let block = self.rsavp1_openssl(signature);
        #[cfg(not(feature = "openssl"))]
        let block = self.rsavp1(signature);
        block.is_some_and(|block| self.is_sha224_block(&block, hashed))
    }

    /// The signature's representative raised to the public exponent, by OpenSSL (raw RSA, no
    /// padding; OpenSSL refuses a signature not below the modulus).
    #[cfg(feature = "openssl")]
    fn rsavp1_openssl(&self, signature: &[u8]) -> Option<Vec<u8>> {
        let mut block = vec![0; self.openssl.size() as usize];
        let written = self
            .openssl
            .public_decrypt(signature, &mut block, openssl::rsa::Padding::NONE)
            .ok()?;
        block.truncate(written);
        Some(block)
    }

    /// The signature's representative raised to the public exponent, by crypto-bigint: for
    /// 65537, sixteen squarings and a multiplication. `None` when it is not below the modulus.
    /// With the feature `openssl` the differential test still holds it to the reference.
    #[cfg_attr(all(feature = "openssl", not(test)), allow(dead_code))]
    fn rsavp1(&self, signature: &[u8]) -> Option<Vec<u8>> {
        let s = BoxedUint::from_be_slice(signature, self.key.n_bits_precision()).ok()?;
        if s >= *self.key.n().as_ref() {
            return None;
        }
        let x = BoxedMontyForm::new(s, self.key.n_params());
        let m = if self.f4 {
            let mut y = x.square();
            for _ in 1..16 {
                y = y.square();
            }
            y.mul(&x)
        } else {
            x.pow(self.key.e())
        };
        Some(m.retrieve().to_be_bytes().into_vec())
    }

    /// Whether `block` (big-endian, possibly with leading zero bytes beyond the key's size) is
    /// the one EMSA-PKCS1-v1_5 encoding of the SHA-224 `hashed` message: encode the expected
    /// block, then compare; the padding is never parsed.
    fn is_sha224_block(&self, block: &[u8], hashed: &[u8]) -> bool {
        let size = self.size();
        let padding = size.checked_sub(3 + SHA224_DIGEST_INFO.len() + hashed.len());
        let (Some(padding), Some(extra)) = (padding, block.len().checked_sub(size)) else {
            return false;
        };
        // crypto-bigint's storage is whole limbs: the block is its last `size` bytes, and the
        // bytes before them are zero, since the integer is below the modulus.
        let (high, block) = block.split_at(extra);
        let expected = [0x00, 0x01]
            .into_iter()
            .chain(std::iter::repeat_n(0xff, padding))
            .chain([0x00])
            .chain(SHA224_DIGEST_INFO)
            .chain(hashed.iter().copied());
        high.iter().all(|&byte| byte == 0) && block.iter().copied().eq(expected)
    }
}

/// The digest of `parts` concatenated, fed to the hash one part after the other.
fn hash(algorithm: &'static digest::Algorithm, parts: [&[u8]; 3]) -> digest::Digest {
    let mut context = digest::Context::new(algorithm);
    for part in parts {
        context.update(part);
    }
    context.finish()
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1024-bit key as the Signature Key API returns them (its own example is one).
    const KEY_1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDQzpaND+3rrmJiH8MRjo7odCywjYn5Lb+OQI9MBucLiGbyLBCMi3NL0C+L/iD/6oKOp7OOszgvgBxoYrmk3R0TpkeXGrwLQmS3f2XqGOLfewu/v9FeE0XsB+SQirMe5TTQgOJo1yuqhR2tfvBDjV/1rPi7x+F5n0uIezBc3yjxVQIDAQAB";

    #[test]
    fn a_1024_bit_key_of_the_apis_shape_loads_and_says_its_size() {
        let key = PublicKey::parse(KEY_1024).unwrap();
        assert_eq!(key.size(), 128);
        assert!(key.f4);
    }

    #[test]
    fn garbage_is_a_reason_not_a_panic() {
        for garbage in [
            "",
            "not base64!",
            "AAAA",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----",
        ] {
            assert!(PublicKey::parse(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn a_signature_of_the_wrong_length_or_above_the_modulus_is_refused_for_sha224() {
        let key = PublicKey::parse(KEY_1024).unwrap();
        let hashed = [0u8; 28];
        assert!(!key.verify_sha224(&hashed, &[0u8; 127]));
        assert!(!key.verify_sha224(&hashed, &[0u8; 129]));
        assert!(
            !key.verify_sha224(&hashed, &[0xff; 128]),
            "above the modulus"
        );
        assert!(
            !key.verify_sha224(&hashed, &[0u8; 128]),
            "zero signs nothing"
        );
    }
}
