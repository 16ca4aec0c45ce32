//! The Rust client for the MessageMedia (Sinch Engage) Webhooks API.
//!
//! MessageMedia calls your URL when messaging events happen: a reply arrives, a message is
//! delivered, a recipient opts out. This crate manages those subscriptions (create, list,
//! update, delete) and the signature keys callbacks are signed with. Receiving what they send
//! is the `webhooks-callbacks` crate's job (no HTTP client; re-exported here as [`callbacks`]
//! for one more release); with the `verify` feature a [`Client`] fetches signature keys for
//! its `Verifier`.
//!
//! # Quick start
//!
//! ```toml
//! [dependencies]
//! webhooks-ergonomic = "0.2"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! ```no_run
//! use webhooks_ergonomic::{CallbackMethod, Client, Encoding, Event};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), webhooks_ergonomic::Error> {
//!     // MESSAGEMEDIA_API_KEY and MESSAGEMEDIA_API_SECRET; HMAC-SHA1 signing by default.
//!     let client = Client::from_env()?;
//!
//!     let webhook = client
//!         .webhooks()
//!         .create()
//!         .url("https://example.com/hooks/messagemedia")
//!         .method(CallbackMethod::Post)
//!         .encoding(Encoding::Json)
//!         .events([Event::ReceivedSms, Event::DeliveredDr])
//!         .header("X-Receiver-Key", "my-shared-secret")
//!         .retries(3)
//!         .retry_delay(30)
//!         .send()
//!         .await?;
//!     println!("created {} for {:?}", webhook.id, webhook.events);
//!
//!     let page = client.webhooks().list().page(0).page_size(20).send().await?;
//!     println!("{} webhooks on the first page", page.items.len());
//!
//!     client.webhooks().update(webhook.id).events(Event::DELIVERY_REPORTS).send().await?;
//!     client.webhooks().delete(webhook.id).send().await?;
//!     Ok(())
//! }
//! ```
//!
//! # What it does for you
//!
//! - **Authentication**: HMAC request signing ([`auth::HmacSigner`], SHA-1 by default, SHA-256
//!   selectable) or HTTP Basic, chosen with [`ClientBuilder::auth`]. Each attempt is signed
//!   afresh on the final request.
//! - **Validation before I/O**: every rule the server enforces ([`rules`]) is checked when
//!   `send` is called; a broken one is [`Error::Validation`] and nothing is sent.
//! - **One error type**: [`Error`] maps every status and failure, with [`Error::status`] and
//!   [`Error::is_retryable`].
//! - **Retries**: GET, PATCH and DELETE are retried on 429, 502, 503, 504, timeouts and
//!   connection errors, with jittered exponential backoff and `Retry-After`; creates are not
//!   (see [`RetryPolicy`]).
//! - **Pagination**: [`Webhooks::list`] for one page, [`Webhooks::list_all`] for a stream.
//! - **Sub-accounts**: [`ClientBuilder::account`], overridable on every request.
//! - **Regions**: [`Region::Eu`], [`Region::Apac`], or any base URL (a local
//!   `webhooks-sandbox`, for instance).
//! - **Tracing**: one `webhooks.operation` span per operation (operation, method, path,
//!   status, attempt, latency); never a secret or a body.
//!
//! The generated, spec-exact client is one call away: [`Client::raw`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod client;
pub mod error;
mod model;
pub mod retry;
pub mod rules;
pub mod signature_keys;
mod webhooks;

pub use auth::{AuthMode, Credentials, HmacAlgorithm};
pub use client::{Client, ClientBuilder, Region, USER_AGENT};
pub use error::{Error, Result};
pub use model::{Page, Webhook, WebhookId};
pub use retry::RetryPolicy;
pub use signature_keys::{
    CreateSignatureKey, DeleteSignatureKey, DisableSignatureKey, EnableSignatureKey,
    GetEnabledSignatureKey, GetSignatureKey, ListAllSignatureKeys, ListSignatureKeys, SignatureKey,
    SignatureKeyId, SignatureKeys,
};
pub use webhooks::{
    CreateWebhook, DeleteWebhook, ListAllWebhooks, ListWebhooks, UpdateWebhook, Webhooks,
};
pub use webhooks_vocabulary::{CallbackMethod, Encoding, Event, Open};

/// The vocabulary subscriptions and callbacks share ([`webhooks_vocabulary`]): events, the
/// callback method and encoding, and [`Open`] for values this release does not know.
pub mod event {
    pub use webhooks_vocabulary::{
        CallbackMethod, Encoding, Event, InvalidEventName, Open, UnknownValue,
    };
}

/// The receiving side: the `webhooks-callbacks` crate, re-exported so the paths of earlier
/// releases keep working. A service that only receives callbacks should depend on
/// `webhooks-callbacks` directly (no HTTP client); this re-export goes in the next release.
/// Its verification needs the `verify` feature, its extractor `axum`, its templates
/// `template`.
pub use webhooks_callbacks as callbacks;

/// The spec-exact types generated from the OpenAPI contract, for code that needs the wire shapes.
pub use webhooks_client::types as wire;

/// The `http` crate of this crate's public signatures (methods, header maps), so callers need not
/// match its version themselves.
pub use http;
/// The `reqwest` crate of this crate's public signatures ([`ClientBuilder::http_client`]).
pub use reqwest;
/// Why a request could not be signed (what a custom signer returns).
pub use webhooks_client::hooks::SignError;

/// The crate's README, whose Rust examples are compiled and run as doctests: a snippet there
/// that stops compiling fails the test suite.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
