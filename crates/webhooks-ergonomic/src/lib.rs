//! The ergonomic Rust client for the MessageMedia (Sinch Engage) Webhooks API.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod callbacks;
pub mod event;

pub use event::{CallbackMethod, Encoding, Event};
