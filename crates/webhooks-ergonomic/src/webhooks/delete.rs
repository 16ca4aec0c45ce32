//! Delete a webhook: [`DeleteWebhook`].

use crate::client::{Client, Operation, account_setter};
use crate::error::Result;
use crate::model::WebhookId;

static DELETE: Operation = Operation {
    name: "DeleteWebhook",
    method: http::Method::DELETE,
    path: "/v1/webhooks/messages/{webhookId}",
    success: 204,
};

/// Builder of a delete; see [`Webhooks::delete`](super::Webhooks::delete).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct DeleteWebhook<'a> {
    client: &'a Client,
    id: WebhookId,
    account: Option<String>,
}

impl<'a> DeleteWebhook<'a> {
    pub(super) fn new(client: &'a Client, id: WebhookId) -> Self {
        DeleteWebhook {
            client,
            id,
            account: None,
        }
    }

    account_setter!();

    /// Delete the webhook.
    pub async fn send(self) -> Result<()> {
        DELETE
            .call()
            .path(format!("/v1/webhooks/messages/{}", self.id))
            .send(self.client, self.account.as_deref())
            .await
            .map(drop)
    }
}
