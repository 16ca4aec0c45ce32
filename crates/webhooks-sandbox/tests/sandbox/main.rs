//! The sandbox's integration tests, one module per subject, in one test binary: the shared
//! helpers (`loopback`) and the client, server and receiver code they use are compiled and
//! linked once, not once per file.

mod loopback;

mod auth;
mod cli;
mod client_cycle;
mod crash;
mod deliveries;
mod delivery;
mod faults;
mod listing;
mod operations;
mod signature_keys;
mod signing;
mod state;
mod template_bombs;
mod templates;
mod unwritable_log;
mod validation;
mod vendor_sdk;
mod verified_callbacks;
