//! List every webhook of the account, page after page.
//!
//! `MESSAGEMEDIA_API_KEY=... MESSAGEMEDIA_API_SECRET=... cargo run -p webhooks-ergonomic --example list`

use futures::TryStreamExt;
use webhooks_ergonomic::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let mut webhooks = std::pin::pin!(client.webhooks().list_all());
    while let Some(webhook) = webhooks.try_next().await? {
        println!(
            "{}  {} {}  {:?}",
            webhook.id, webhook.method, webhook.url, webhook.events
        );
    }
    Ok(())
}
