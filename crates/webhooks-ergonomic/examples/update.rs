//! Point a webhook at a new URL and subscribe it to delivery reports only.
//!
//! `MESSAGEMEDIA_API_KEY=... MESSAGEMEDIA_API_SECRET=... cargo run -p webhooks-ergonomic --example update -- <webhook id> https://example.com/v2`

use webhooks_ergonomic::{Client, Event, WebhookId};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let id: WebhookId = args
        .next()
        .ok_or("usage: update <webhook id> <new url>")?
        .parse()?;
    let url = args.next().ok_or("usage: update <webhook id> <new url>")?;
    let client = Client::from_env()?;
    let webhook = client
        .webhooks()
        .update(id)
        .url(url)
        .events(Event::DELIVERY_REPORTS)
        .send()
        .await?;
    println!(
        "updated {} -> {} for {:?}",
        webhook.id, webhook.url, webhook.events
    );
    Ok(())
}
