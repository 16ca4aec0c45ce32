//! List every webhook of the account, page after page.
//!
//! `MESSAGEMEDIA_API_KEY=... MESSAGEMEDIA_API_SECRET=... cargo run -p webhooks-ergonomic --example list`

use futures::TryStreamExt;
use webhooks_ergonomic::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let mut webhooks = client.webhooks().list_all().page_size(50);
    while let Some(webhook) = webhooks.try_next().await? {
        println!(
            "{}  {} {}  {:?}",
            webhook.id, webhook.method, webhook.url, webhook.events
        );
    }
    Ok(())
}
