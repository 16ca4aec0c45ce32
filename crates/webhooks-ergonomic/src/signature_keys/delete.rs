//! Delete a signature key: [`DeleteSignatureKey`].

use super::key::parse_id;
use crate::client::account_setter;
use crate::client::{Client, Operation};
use crate::error::Result;

static DELETE: Operation = Operation {
    name: "DeleteSignatureKey",
    method: http::Method::DELETE,
    path: "/v1/iam/signature_keys/{key_id}",
    success: 200,
};

/// Builder of a delete; see [`SignatureKeys::delete`](super::SignatureKeys::delete).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct DeleteSignatureKey<'a> {
    client: &'a Client,
    id: String,
    account: Option<String>,
}

impl<'a> DeleteSignatureKey<'a> {
    pub(super) fn new(client: &'a Client, id: String) -> Self {
        DeleteSignatureKey {
            client,
            id,
            account: None,
        }
    }

    account_setter!();

    /// Validate the id, then delete the key.
    pub async fn send(self) -> Result<()> {
        let id = parse_id(&self.id)?;
        DELETE
            .call()
            .path(format!("/v1/iam/signature_keys/{id}"))
            .send(self.client, self.account.as_deref())
            .await
            .map(drop)
    }
}
