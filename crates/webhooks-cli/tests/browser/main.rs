//! The inspector pages in a real browser: headless Chromium through chromedriver (WebDriver,
//! fantoccini), against `mm-webhooks listen --ui` fed by an in-process signing sandbox, and
//! against the sandbox's own `/sandbox/ui`.
//!
//! Every test is ignored by default, so the workspace's `cargo test` never needs a browser:
//! `.ci/browser` installs Chromium and chromedriver when missing and runs them with
//! `cargo test -p webhooks-cli --test browser -- --ignored`. Each saves a screenshot under
//! `target/ui-screenshots/`.

mod harness;
mod inspector;
mod sandbox_page;
