//! Delete a webhook.
//!
//! `MESSAGEMEDIA_API_KEY=... MESSAGEMEDIA_API_SECRET=... cargo run -p webhooks-ergonomic --example delete -- <webhook id>`

use webhooks_ergonomic::{Client, Error, WebhookId};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let id: WebhookId = std::env::args()
        .nth(1)
        .ok_or("usage: delete <webhook id>")?
        .parse()?;
    let client = Client::from_env()?;
    match client.webhooks().delete(id).send().await {
        Ok(()) => println!("deleted {id}"),
        Err(Error::NotFound { .. }) => println!("{id} did not exist"),
        Err(err) => return Err(err.into()),
    }
    Ok(())
}
