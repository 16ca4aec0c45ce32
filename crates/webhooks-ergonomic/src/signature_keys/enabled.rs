//! Get the enabled signature key: [`GetEnabledSignatureKey`].

use super::key::SignatureKey;
use crate::client::account_setter;
use webhooks_client::types as wire;

use crate::client::{Client, Operation};
use crate::error::{Error, Result};

static ENABLED: Operation = Operation {
    name: "GetEnabledSignatureKey",
    method: http::Method::GET,
    path: "/v1/iam/signature_keys/enabled",
    success: 200,
};

/// Builder of a get of the enabled key; see
/// [`SignatureKeys::enabled`](super::SignatureKeys::enabled).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct GetEnabledSignatureKey<'a> {
    client: &'a Client,
    account: Option<String>,
}

impl<'a> GetEnabledSignatureKey<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        GetEnabledSignatureKey {
            client,
            account: None,
        }
    }

    account_setter!();

    /// The enabled key, or `None` when the API answers 404 (no key is enabled).
    pub async fn send(self) -> Result<Option<SignatureKey>> {
        let result = ENABLED
            .call()
            .fetch::<wire::SignatureKey>(self.client, self.account.as_deref())
            .await;
        match result {
            Ok(key) => Ok(Some(SignatureKey::from(key))),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }
}
