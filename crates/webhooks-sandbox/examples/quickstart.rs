//! The whole job, end to end: `cargo run --example quickstart`.
//!
//! With no credentials in the environment it runs offline: it starts the sandbox in-process
//! (signing callbacks, as an account with secure callbacks does) and a small receiver that
//! verifies each callback's signature with the sandbox's published key before parsing it,
//! creates a webhook pointing at the receiver, lists and updates it, simulates an inbound SMS
//! and a delivery report, prints the verified, typed callbacks, deletes the webhook and exits.
//!
//! With `MESSAGEMEDIA_API_KEY` and `MESSAGEMEDIA_API_SECRET` set, it runs the management steps
//! (create, list, update, delete) against the real API instead; the platform cannot call a
//! receiver on your loopback interface, so the callback steps are skipped.

use std::time::Duration;

use tokio::sync::mpsc;
use webhooks_ergonomic::callbacks::{Callback, VerifiedCallback, Verifier};
use webhooks_ergonomic::{CallbackMethod, Client, Encoding, Event};
use webhooks_sandbox::{Sandbox, SimulatedEvent};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    if std::env::var_os("MESSAGEMEDIA_API_KEY").is_some()
        && std::env::var_os("MESSAGEMEDIA_API_SECRET").is_some()
    {
        println!("Credentials found: managing a webhook on the real API.");
        let client = Client::from_env()?;
        return manage(&client, "https://example.com/messagemedia-quickstart")
            .await
            .map(|_| ());
    }

    println!(
        "No MESSAGEMEDIA_API_KEY/MESSAGEMEDIA_API_SECRET: running against the embedded sandbox."
    );
    let sandbox = Sandbox::builder()
        .credentials("quickstart-key", "quickstart-secret")
        .sign_callbacks(true)
        .start()
        .await?;
    println!("sandbox:  {}", sandbox.base_url());

    // The receiver: your own server, which the platform calls. It trusts a callback only once
    // its signature verifies against the account's signature key (here, the sandbox's).
    let key = sandbox
        .signature_key()
        .ok_or("the sandbox signs callbacks, so it has a key")?;
    let verifier = Verifier::new()
        .with_key(&key.key_id.to_string(), &key.public_key)?
        .max_age(Duration::from_secs(300));
    println!("verifying callbacks signed by key {}", key.key_id);
    let (received, mut inbox) = mpsc::channel::<(String, Callback)>(16);
    let receiver = axum::Router::new()
        .route(
            "/callbacks",
            axum::routing::post(move |verified: VerifiedCallback| {
                let received = received.clone();
                async move {
                    let signed_by = verified.signature.key_id.to_string();
                    let _ = received.send((signed_by, verified.callback)).await;
                    "ok"
                }
            }),
        )
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let callback_url = format!("http://{}/callbacks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    println!("receiver: {callback_url}");

    let client = Client::builder()
        .base_url(sandbox.base_url())
        .credentials("quickstart-key", "quickstart-secret")
        .build()?;
    let id = manage_until_delete(&client, &callback_url).await?;

    for event in [Event::ReceivedSms, Event::DeliveredDr] {
        let mut data = serde_json::Map::new();
        data.insert("content".into(), "Hello from the sandbox".into());
        data.insert("metadata".into(), serde_json::json!({"order": "1234"}));
        let called = sandbox
            .trigger_event(SimulatedEvent {
                account: None,
                event,
                data,
            })
            .await?;
        println!("simulated {event}: {called} webhook(s) called");
    }
    for _ in 0..2 {
        let (signed_by, callback) = tokio::time::timeout(Duration::from_secs(10), inbox.recv())
            .await
            .map_err(|_| "no callback arrived within 10 s")?
            .ok_or("the receiver stopped")?;
        match callback {
            Callback::InboundSms(sms) => println!(
                "verified (key {signed_by}): SMS from {}: {:?}, metadata {:?}",
                shown(sms.source_number.as_ref()),
                sms.content.unwrap_or_default(),
                sms.metadata
            ),
            Callback::DeliveryReport(report) => println!(
                "verified (key {signed_by}): message {} is {} (status code {})",
                shown(report.message_id.as_ref()),
                shown(report.status.as_ref()),
                shown(report.status_code.as_ref())
            ),
            other => println!("verified (key {signed_by}): {other:?}"),
        }
    }
    for attempt in sandbox.deliveries() {
        println!(
            "delivery: {} attempt {} -> {:?}",
            attempt.event, attempt.attempt, attempt.status
        );
    }

    client.webhooks().delete(id).send().await?;
    let left = client.webhooks().list().send().await?.items.len();
    println!("deleted {id}; {left} webhook(s) left");
    sandbox.shutdown().await;
    Ok(())
}

/// An optional callback field for printing.
fn shown(value: Option<&impl std::fmt::Display>) -> String {
    value.map_or_else(|| "(absent)".to_owned(), ToString::to_string)
}

/// Create, list and update; returns the webhook's id.
async fn manage_until_delete(
    client: &Client,
    url: &str,
) -> Result<webhooks_ergonomic::WebhookId, Failure> {
    let webhook = client
        .webhooks()
        .create()
        .url(url)
        .method(CallbackMethod::Post)
        .encoding(Encoding::Json)
        .events([Event::ReceivedSms, Event::DeliveredDr])
        .header("X-Quickstart", "1")
        .retries(1)
        .retry_delay(5)
        .send()
        .await?;
    println!(
        "created  {} -> {} for {:?}",
        webhook.id, webhook.url, webhook.events
    );
    let page = client
        .webhooks()
        .list()
        .page(0)
        .page_size(20)
        .send()
        .await?;
    println!(
        "listed   {} webhook(s) on page {}",
        page.items.len(),
        page.page
    );
    let updated = client
        .webhooks()
        .update(webhook.id)
        .headers([("X-Quickstart", "2")])
        .send()
        .await?;
    println!("updated  headers to {:?}", updated.headers);
    Ok(webhook.id)
}

/// The management steps alone, for the real API.
async fn manage(client: &Client, url: &str) -> Result<webhooks_ergonomic::WebhookId, Failure> {
    let id = manage_until_delete(client, url).await?;
    client.webhooks().delete(id).send().await?;
    println!("deleted  {id}");
    Ok(id)
}
