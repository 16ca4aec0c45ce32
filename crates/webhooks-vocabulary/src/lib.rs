//! The words every MessageMedia (Sinch Engage) webhooks crate shares, with nothing else: no
//! HTTP client, no server, no cryptography.
//!
//! - [`Event`], [`Encoding`], [`CallbackMethod`]: what a webhook subscribes to and how the
//!   platform calls it.
//! - [`Digest`], [`Cipher`]: how a signature key signs callbacks.
//! - [`request_line`]: the line both the API gateway's HMAC scheme and signed callbacks cover.
//! - [`Open`]: a value of a closed enum, or one the API sent that this release does not know
//!   yet, kept as sent, so the vendor's additions never break a call.
//! - [`excerpt`]: how every crate repeats untrusted text (a server's body, a callback's
//!   header) in an error: bounded, trimmed, cut at a character boundary.
//!
//! The managing client (`webhooks-ergonomic`), the receiving side (`webhooks-callbacks`), the
//! template engine (`webhooks-template`), the generated client and the sandbox all use these
//! types, so a value passes between them without conversion. Most users reach them through
//! those crates' re-exports.
//!
//! ```
//! use webhooks_vocabulary::{Encoding, Event, Open};
//!
//! let events: Vec<Open<Event>> = serde_json::from_str(r#"["DELIVERED_DR", "RECEIVED_RCS"]"#)?;
//! assert_eq!(events[0], Open::Known(Event::DeliveredDr));
//! assert_eq!(events[1], Open::Unknown("RECEIVED_RCS".to_owned()));
//! assert_eq!(Encoding::Json.content_type(), "application/json");
//! # Ok::<(), serde_json::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod event;
mod excerpt;
mod open;
mod signature;

pub use event::{
    CallbackMethod, Encoding, Event, InvalidEventName, UnknownValue, check_event_name,
};
pub use excerpt::excerpt;
pub use open::Open;
pub use signature::{Cipher, Digest, request_line};

/// The crate's README, whose Rust examples are compiled and run as doctests: a snippet there
/// that stops compiling fails the test suite.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
