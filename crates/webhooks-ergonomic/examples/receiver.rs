//! A callback receiver: an axum server that accepts only callbacks whose signature verifies,
//! finding the public key of each key id through the Signature Key API (once per key, so a
//! key rotation needs no restart), and prints each typed callback.
//!
//! Against the sandbox, in two terminals:
//!
//! ```text
//! cargo run -p webhooks-sandbox -- --listen 127.0.0.1:8080 --sign-callbacks
//! MESSAGEMEDIA_API_KEY=sandbox-key MESSAGEMEDIA_API_SECRET=sandbox-secret \
//!   MESSAGEMEDIA_BASE_URL=http://127.0.0.1:8080 \
//!   cargo run -p webhooks-ergonomic --features axum --example receiver
//! ```
//!
//! then subscribe `http://127.0.0.1:3000/callbacks` to `RECEIVED_SMS` and simulate one
//! (`POST /sandbox/v1/events`, or `mm-webhooks`). `RECEIVER_LISTEN` changes the address. With
//! real credentials the same program verifies the platform's callbacks (behind a public URL).

use webhooks_ergonomic::Client;
use webhooks_ergonomic::callbacks::{Callback, VerifiedCallback, Verifier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    // 5-minute freshness window by default; keys are fetched through `client` when first met.
    let verifier = Verifier::new().key_source(client);
    let app = axum::Router::new()
        .route("/callbacks", axum::routing::post(receive))
        .with_state(verifier);
    let listen = std::env::var("RECEIVER_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!(
        "receiving callbacks at http://{}/callbacks",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}

/// Runs only for a callback that verified (the extractor answers 401, 400, 413 or 503
/// otherwise); a 2xx tells the platform not to retry it.
async fn receive(verified: VerifiedCallback) -> &'static str {
    let key = &verified.signature.key_id;
    match verified.callback {
        Callback::InboundSms(sms) => println!("key {key}: SMS {:?}", sms.content),
        Callback::DeliveryReport(report) => println!("key {key}: report {:?}", report.status),
        other => println!("key {key}: {other:?}"),
    }
    "ok"
}
