//! The command line's integration tests, one module per command or subject, in one test
//! binary: `support` and the sandbox, client and receiver code they use are compiled and linked
//! once, not once per file. (NATS and the browser have test binaries of their own, which CI
//! runs against Debian's `nats-server` and `chromium`.)

#[path = "../support/mod.rs"]
mod support;

mod global;
mod inbox;
mod inbox_crash;
mod keys;
mod listen;
mod local_loop;
mod sandbox;
mod signals;
mod template;
mod trigger;
mod webhooks;
