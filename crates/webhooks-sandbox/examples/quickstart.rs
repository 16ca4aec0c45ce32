//! The whole job, end to end: `cargo run --example quickstart`.
//!
//! With no credentials in the environment it runs offline: it starts the sandbox in-process,
//! creates a signature key and enables it through the Signature Key API (so callbacks are
//! signed, as for an account with secure callbacks), starts a receiver that stores every
//! verified callback in a durable inbox before answering (its verifier fetches the public key
//! of each key id it meets through the same client), creates a webhook pointing at the
//! receiver, lists and updates it, simulates an inbound SMS, sends that callback again as the
//! platform does when it gets no answer (the inbox absorbs it: handled once), rotates the key
//! (a second key, enabled) and simulates a delivery report that the receiver still verifies
//! without a restart, prints the verified, typed callbacks as the inbox's worker handles them,
//! cleans up and exits.
//!
//! With `MESSAGEMEDIA_API_KEY` and `MESSAGEMEDIA_API_SECRET` set, it runs the management steps
//! (create, list, update, delete) against the real API instead; the platform cannot call a
//! receiver on your loopback interface, so the callback steps are skipped.

use std::time::Duration;

use tokio::sync::mpsc;
use webhooks_callbacks::inbox::{Delivery, Inbox, Outcome};
use webhooks_callbacks::{Callback, Verifier};
use webhooks_ergonomic::signature_keys::Digest;
use webhooks_ergonomic::{CallbackMethod, Client, Encoding, Event, SignatureKeyId};
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
        .start()
        .await?;
    println!("sandbox:  {}", sandbox.base_url());
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .credentials("quickstart-key", "quickstart-secret")
        .build()?;
    let first_key = enable_new_key(&client, Digest::Sha256).await?;

    // The receiver: your own server, which the platform calls. It stores a callback only once
    // its signature verifies (the verifier fetches the public key of a key id it has not met
    // through the client, once per key, and refuses callbacks dated over 5 minutes away), and
    // answers 200 only once it is on disk. A worker then hands it to the handler: here, a
    // channel the steps below read.
    let dir = tempfile::tempdir()?;
    let inbox = Inbox::builder()
        .sqlite(dir.path().join("inbox.db"))
        .verifier(Verifier::new().key_source(client.clone()))
        .open()
        .await?;
    let (handled, mut inbox_out) = mpsc::channel::<Delivery>(16);
    let workers = inbox.start(move |delivery: Delivery| {
        let handled = handled.clone();
        async move {
            let _ = handled.send(delivery).await;
            Outcome::Done
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let callback_url = format!("http://{}/callbacks", listener.local_addr()?);
    let receiver = inbox.router();
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    println!(
        "receiver: {callback_url} (inbox {})",
        dir.path().join("inbox.db").display()
    );

    let id = manage_until_delete(&client, &callback_url).await?;

    let mut second_key = None;
    for event in [Event::ReceivedSms, Event::DeliveredDr] {
        if event == Event::DeliveredDr {
            // Rotation: a new key, enabled, replaces the old one; the receiver is not told.
            second_key = Some(enable_new_key(&client, Digest::Sha512).await?);
        }
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
        let delivery = tokio::time::timeout(Duration::from_secs(10), inbox_out.recv())
            .await
            .map_err(|_| "no callback was handled within 10 s")?
            .ok_or("the inbox stopped")?;
        let entry = delivery.entry();
        let signed_by = entry.key_id.clone().unwrap_or_default();
        match delivery.callback()? {
            Callback::InboundSms(sms) => println!(
                "handled #{} (verified, key {signed_by}): SMS from {}: {:?}, metadata {:?}",
                entry.id,
                shown(sms.source_number.as_ref()),
                sms.content.unwrap_or_default(),
                sms.metadata
            ),
            Callback::DeliveryReport(report) => println!(
                "handled #{} (verified, key {signed_by}): message {} is {} (status code {})",
                entry.id,
                shown(report.message_id.as_ref()),
                shown(report.status.as_ref()),
                shown(report.status_code.as_ref())
            ),
            other => println!(
                "handled #{} (verified, key {signed_by}): {other:?}",
                entry.id
            ),
        }
        if event == Event::ReceivedSms {
            // The platform sends a callback again when it gets no 2xx in time (a slow network,
            // a receiver restarting): the same request, once more.
            let mut again = reqwest::Client::new().post(&callback_url);
            for (name, value) in &entry.headers {
                again = again.header(name, value);
            }
            let answer = again.body(entry.body.clone()).send().await?;
            println!(
                "resent   #{} as the platform retries it: {} {}",
                entry.id,
                answer.status(),
                answer.text().await?.trim()
            );
        }
    }
    workers.shutdown(Duration::from_secs(5)).await;
    let stats = inbox.stats().await?;
    println!(
        "inbox:    {} handled, {} duplicate(s) absorbed, {} waiting",
        stats.done, stats.duplicates, stats.depth
    );
    if inbox_out.try_recv().is_ok() || stats.duplicates != 1 {
        return Err("the repeated callback was handled twice".into());
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
    client.signature_keys().disable().send().await?;
    for key in [Some(first_key), second_key].into_iter().flatten() {
        client.signature_keys().delete(key).send().await?;
    }
    println!("disabled and deleted the signature keys: callbacks are unsigned again");
    sandbox.shutdown().await;
    Ok(())
}

/// Creates a signature key and enables it: callbacks are signed with it from now on. Keep the
/// public key the create answers (the receiver here fetches it by id instead).
async fn enable_new_key(client: &Client, digest: Digest) -> Result<SignatureKeyId, Failure> {
    let keys = client.signature_keys();
    let key = keys.create().digest(digest).send().await?;
    keys.enable(key.id).send().await?;
    println!(
        "enabled  signature key {} ({digest}); callbacks are signed with it",
        key.id
    );
    Ok(key.id)
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
