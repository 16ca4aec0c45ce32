//! Disable the enabled signature key: [`DisableSignatureKey`].

use crate::client::account_setter;
use crate::client::{Client, Operation};
use crate::error::Result;

static DISABLE: Operation = Operation {
    name: "DisableTheCurrentEnabledSignatureKey",
    method: http::Method::DELETE,
    path: "/v1/iam/signature_keys/enabled",
    success: 204,
};

/// Builder of a disable; see [`SignatureKeys::disable`](super::SignatureKeys::disable).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct DisableSignatureKey<'a> {
    client: &'a Client,
    account: Option<String>,
}

impl<'a> DisableSignatureKey<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        DisableSignatureKey {
            client,
            account: None,
        }
    }

    account_setter!();

    /// Disable the enabled key; succeeds also when none was enabled.
    pub async fn send(self) -> Result<()> {
        DISABLE
            .call()
            .send(self.client, self.account.as_deref())
            .await
            .map(drop)
    }
}
