//! Enable a signature key: [`EnableSignatureKey`].

use super::key::{SignatureKey, parse_id};
use crate::client::account_setter;
use crate::client::{Client, Operation};
use crate::error::Result;
use webhooks_client::types as wire;

static ENABLE: Operation = Operation {
    name: "EnableSignatureKey",
    method: http::Method::PATCH,
    path: "/v1/iam/signature_keys/enabled",
    success: 200,
};

/// Builder of an enable; see [`SignatureKeys::enable`](super::SignatureKeys::enable).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct EnableSignatureKey<'a> {
    client: &'a Client,
    id: String,
    account: Option<String>,
}

impl<'a> EnableSignatureKey<'a> {
    pub(super) fn new(client: &'a Client, id: String) -> Self {
        EnableSignatureKey {
            client,
            id,
            account: None,
        }
    }

    account_setter!();

    /// Validate the id, then enable the key; the answer is the key, now enabled.
    pub async fn send(self) -> Result<SignatureKey> {
        let body = wire::EnableSignatureKeyRequest {
            key_id: parse_id(&self.id)?.into(),
        };
        let key: wire::SignatureKey = ENABLE
            .call()
            .json(&body)?
            .fetch(self.client, self.account.as_deref())
            .await?;
        Ok(SignatureKey::from(key))
    }
}
