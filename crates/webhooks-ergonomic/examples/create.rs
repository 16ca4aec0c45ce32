//! Create a webhook for replies and delivery reports.
//!
//! `MESSAGEMEDIA_API_KEY=... MESSAGEMEDIA_API_SECRET=... cargo run -p webhooks-ergonomic --example create -- https://example.com/hook`

use webhooks_ergonomic::{Client, Encoding, Event};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: create <callback url>")?;
    let client = Client::from_env()?;
    let webhook = client
        .webhooks()
        .create()
        .url(url)
        .encoding(Encoding::Json)
        .events([Event::ReceivedSms])
        .events(Event::DELIVERY_REPORTS)
        .retries(3)
        .retry_delay(30)
        .send()
        .await?;
    println!(
        "created {} -> {} for {:?}",
        webhook.id, webhook.url, webhook.events
    );
    Ok(())
}
