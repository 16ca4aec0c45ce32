//! A faithful local emulator of the MessageMedia Webhooks API that also delivers callbacks.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
