//! The domain types of signature keys: [`SignatureKey`], [`SignatureKeyId`], [`Created`], and
//! their conversions from the spec-exact wire types (digests and ciphers are the vocabulary's
//! [`Digest`] and [`Cipher`], which verification shares).

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use webhooks_client::types as wire;
use webhooks_vocabulary::{Cipher, Digest, Open};

/// The id of a signature key (a UUID); callbacks carry it as `X-MessageMedia-Key-Id`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct SignatureKeyId(uuid::Uuid);

impl SignatureKeyId {
    /// The id as a UUID.
    pub fn as_uuid(&self) -> &uuid::Uuid {
        &self.0
    }
}

impl From<uuid::Uuid> for SignatureKeyId {
    fn from(id: uuid::Uuid) -> Self {
        SignatureKeyId(id)
    }
}

impl From<SignatureKeyId> for uuid::Uuid {
    fn from(id: SignatureKeyId) -> Self {
        id.0
    }
}

impl FromStr for SignatureKeyId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim()).map(SignatureKeyId)
    }
}

impl fmt::Display for SignatureKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// When a key was created: the API's text, and the instant it names when it is an RFC 3339
/// date-time (the API's documented form). A value in another form is kept, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    raw: String,
    at: Option<OffsetDateTime>,
}

impl Created {
    /// Reads the API's text.
    pub fn parse(raw: impl Into<String>) -> Created {
        let raw = raw.into();
        let at = OffsetDateTime::parse(raw.trim(), &Rfc3339).ok();
        Created { raw, at }
    }

    /// The text exactly as the API sent it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The instant, when the text is an RFC 3339 date-time.
    pub fn at(&self) -> Option<OffsetDateTime> {
        self.at
    }
}

impl fmt::Display for Created {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A signature key as the API returns it. Build one for a fake with [`SignatureKey::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureKey {
    /// Its id (`key_id`).
    pub id: SignatureKeyId,
    /// The public half, base64 DER SubjectPublicKeyInfo: present in the answer to a create
    /// (keep it: lists and the enabled key carry none) and, from the sandbox, to a get.
    pub public_key: Option<String>,
    /// The cipher; a value this crate does not know is kept as sent.
    pub cipher: Open<Cipher>,
    /// The digest; a value this crate does not know (such as `SHA-512`) is kept as sent.
    pub digest: Open<Digest>,
    /// When it was created.
    pub created: Created,
    /// Whether callbacks are signed with it now.
    pub enabled: bool,
}

impl SignatureKey {
    /// A key with this id and digest, RSA, not enabled, no public key, created at `created`.
    pub fn new(id: SignatureKeyId, digest: Digest, created: impl Into<String>) -> SignatureKey {
        SignatureKey {
            id,
            public_key: None,
            cipher: Open::Known(Cipher::Rsa),
            digest: Open::Known(digest),
            created: Created::parse(created),
            enabled: false,
        }
    }
}

fn digest_from_wire(digest: Open<wire::SignatureKeyDigest>) -> Open<Digest> {
    match digest {
        Open::Known(wire::SignatureKeyDigest::Sha224) => Open::Known(Digest::Sha224),
        Open::Known(wire::SignatureKeyDigest::Sha256) => Open::Known(Digest::Sha256),
        Open::Known(wire::SignatureKeyDigest::Sha512) => Open::Known(Digest::Sha512),
        Open::Unknown(raw) => Open::Unknown(raw),
    }
}

fn cipher_from_wire(cipher: Open<wire::SignatureKeyCipher>) -> Open<Cipher> {
    match cipher {
        Open::Known(wire::SignatureKeyCipher::Rsa) => Open::Known(Cipher::Rsa),
        Open::Unknown(raw) => Open::Unknown(raw),
    }
}

impl From<wire::SignatureKey> for SignatureKey {
    /// Every wire field is named, so a field added to the contract fails to compile until
    /// it is mapped.
    fn from(key: wire::SignatureKey) -> Self {
        let wire::SignatureKey {
            key_id,
            public_key,
            cipher,
            digest,
            created,
            enabled,
        } = key;
        SignatureKey {
            id: SignatureKeyId(key_id),
            public_key,
            cipher: cipher_from_wire(cipher),
            digest: digest_from_wire(digest),
            created: Created::parse(created),
            enabled,
        }
    }
}

/// Parses a key id given as text, as [`Error::Validation`](crate::Error::Validation) of
/// `key_id` when it is not a UUID (the API would answer 404), before any I/O.
pub(crate) fn parse_id(id: &str) -> crate::Result<SignatureKeyId> {
    /// Enough of a rejected id to recognise it, without echoing an attacker's kilobytes.
    const SHOWN: usize = 40;
    id.parse().map_err(|_| {
        let shown: String = id.chars().take(SHOWN).collect();
        crate::Error::validation("key_id", format!("{shown:?} is not a UUID"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rfc3339_created_is_parsed_and_another_form_is_kept_raw() {
        let parsed = Created::parse("2018-01-18T10:16:12.364Z");
        assert_eq!(
            parsed.at().map(|at| at.unix_timestamp()),
            Some(1_516_270_572)
        );
        assert_eq!(parsed.as_str(), "2018-01-18T10:16:12.364Z");
        let odd = Created::parse("18/01/2018 10:16");
        assert_eq!(odd.at(), None);
        assert_eq!(odd.to_string(), "18/01/2018 10:16");
    }

    #[test]
    fn a_malformed_key_id_is_a_validation_error_naming_key_id() {
        let err = parse_id("not-a-uuid").unwrap_err();
        assert!(matches!(err, crate::Error::Validation { ref field, .. } if field == "key_id"));
        assert!(parse_id(" 7ca628a8-08b0-4e42-aeb8-960b37049c31 ").is_ok());
    }
}
