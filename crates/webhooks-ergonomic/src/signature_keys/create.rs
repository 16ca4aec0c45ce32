//! Create a signature key: [`CreateSignatureKey`].

use crate::client::account_setter;
use webhooks_vocabulary::{Cipher, Digest};

use super::key::SignatureKey;
use crate::client::{Client, Operation};
use crate::error::{Error, Result};
use crate::model::to_wire;
use webhooks_client::types as wire;

static CREATE: Operation = Operation {
    name: "CreateSignatureKey",
    method: http::Method::POST,
    path: "/v1/iam/signature_keys",
    success: 201,
};

/// Builder of a create; see [`SignatureKeys::create`](super::SignatureKeys::create).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct CreateSignatureKey<'a> {
    client: &'a Client,
    digest: Option<Digest>,
    cipher: Cipher,
    account: Option<String>,
}

impl<'a> CreateSignatureKey<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        CreateSignatureKey {
            client,
            digest: None,
            cipher: Cipher::Rsa,
            account: None,
        }
    }

    /// The hash the key signs with: SHA224, SHA256 or SHA512. Required.
    pub fn digest(mut self, digest: Digest) -> Self {
        self.digest = Some(digest);
        self
    }

    /// The cipher (default and only value: RSA).
    pub fn cipher(mut self, cipher: Cipher) -> Self {
        self.cipher = cipher;
        self
    }

    account_setter!();

    /// Validate, then create the key. The answer carries the public key: keep it.
    pub async fn send(self) -> Result<SignatureKey> {
        let digest = self
            .digest
            .ok_or_else(|| Error::validation("digest", "is required (SHA224, SHA256 or SHA512)"))?;
        let body = wire::CreateSignatureKeyRequest {
            digest: to_wire("digest", digest)?,
            cipher: to_wire("cipher", self.cipher)?,
        };
        let key: wire::SignatureKey = CREATE
            .call()
            .json(&body)?
            .fetch(self.client, self.account.as_deref())
            .await?;
        Ok(SignatureKey::from(key))
    }
}
