//! Get one signature key: [`GetSignatureKey`].

use super::key::{SignatureKey, parse_id};
use crate::client::account_setter;
use webhooks_client::types as wire;

use crate::client::{Client, Operation};
use crate::error::Result;

static GET: Operation = Operation {
    name: "GetSignatureKeyDetail",
    method: http::Method::GET,
    path: "/v1/iam/signature_keys/{key_id}",
    success: 200,
};

/// Builder of a get; see [`SignatureKeys::get`](super::SignatureKeys::get).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct GetSignatureKey<'a> {
    client: &'a Client,
    id: String,
    account: Option<String>,
}

impl<'a> GetSignatureKey<'a> {
    pub(super) fn new(client: &'a Client, id: String) -> Self {
        GetSignatureKey {
            client,
            id,
            account: None,
        }
    }

    account_setter!();

    /// Validate the id, then fetch the key ([`Error::NotFound`](crate::Error::NotFound) when
    /// the API has none with this id).
    pub async fn send(self) -> Result<SignatureKey> {
        let id = parse_id(&self.id)?;
        let key: wire::SignatureKey = GET
            .call()
            .path(format!("/v1/iam/signature_keys/{id}"))
            .fetch(self.client, self.account.as_deref())
            .await?;
        Ok(SignatureKey::from(key))
    }
}
