//! Every call into the library's webhook operations, each in one small function, so a change
//! of the library's API is met here alone.

use futures::StreamExt;
use futures::stream::BoxStream;
use webhooks_ergonomic::callbacks::template::Finding;
use webhooks_ergonomic::{Client, CreateWebhook, Result, UpdateWebhook, Webhook, WebhookId};

use crate::cli::{CreateArgs, UpdateArgs};

/// One page of webhooks.
pub async fn list_page(client: &Client, page: u32, page_size: u32) -> Result<Vec<Webhook>> {
    let page = client
        .webhooks()
        .list()
        .page(page)
        .page_size(page_size)
        .send()
        .await?;
    Ok(page.items)
}

/// Every webhook of the client's account, page after page.
pub fn all_webhooks(client: &Client) -> BoxStream<'static, Result<Webhook>> {
    // Boxed: the library's stream owns a clone of the client, but its opaque type still names
    // the borrow of the handler it came from.
    client.webhooks().list_all().boxed()
}

/// A create request for the flags (nothing is checked or sent yet).
pub fn create_request<'a>(
    client: &'a Client,
    args: &CreateArgs,
    template: Option<String>,
) -> CreateWebhook<'a> {
    let mut request = client
        .webhooks()
        .create()
        .url(&args.url)
        .method(args.method)
        .encoding(args.encoding)
        .events(args.events.iter().cloned())
        .headers(args.headers.iter().cloned())
        .strict_template(args.template.strict);
    if let Some(template) = template {
        request = request.template(template);
    }
    if let Some(millis) = args.read_timeout {
        request = request.read_timeout(millis);
    }
    if let Some(retries) = args.retries {
        request = request.retries(retries);
    }
    if let Some(seconds) = args.retry_delay {
        request = request.retry_delay(seconds);
    }
    request
}

/// What the library's lint finds in a create's template.
pub fn create_findings(request: &CreateWebhook<'_>) -> Vec<Finding> {
    request.template_findings()
}

/// Validates and sends a create.
pub async fn create(request: CreateWebhook<'_>) -> Result<Webhook> {
    request.send().await
}

/// An update request for the flags (nothing is checked or sent yet).
pub fn update_request<'a>(
    client: &'a Client,
    args: &UpdateArgs,
    template: Option<String>,
) -> UpdateWebhook<'a> {
    let mut request = client
        .webhooks()
        .update(args.id)
        .strict_template(args.template.strict);
    if let Some(url) = &args.url {
        request = request.url(url);
    }
    if let Some(method) = args.method {
        request = request.method(method);
    }
    if let Some(encoding) = args.encoding {
        request = request.encoding(encoding);
    }
    if !args.events.is_empty() {
        request = request.events(args.events.iter().cloned());
    }
    if args.clear_headers || !args.headers.is_empty() {
        request = request.headers(args.headers.iter().cloned());
    }
    if let Some(template) = template {
        request = request.template(template);
    }
    request
}

/// What the library's lint finds in an update's template.
pub fn update_findings(request: &UpdateWebhook<'_>) -> Vec<Finding> {
    request.template_findings()
}

/// Validates and sends an update.
pub async fn update(request: UpdateWebhook<'_>) -> Result<Webhook> {
    request.send().await
}

/// Deletes a webhook.
pub async fn delete(client: &Client, id: WebhookId) -> Result<()> {
    client.webhooks().delete(id).send().await
}
