//! The ergonomic suites' side of the shared scripted server (`scripted-server`): the test data
//! they have in common, and short names for the answers they script.
#![allow(
    dead_code,
    unused_imports,
    reason = "each test binary uses its own part of this module"
)]

pub use scripted_server::{Answer, Seen, Server};

pub const SECRET: &str = "very-secret-value-42";
pub const ID: &str = "76fa7010-8c1f-4a24-917a-4d62a54e744d";

pub fn webhook_json(n: usize) -> String {
    format!(
        r#"{{"id":"{}","url":"https://example.com/{n}","method":"POST","encoding":"JSON","headers":{{}},"events":["RECEIVED_SMS"],"retries":0}}"#,
        uuid::Uuid::from_u128(n as u128 + 1)
    )
}

/// A JSON answer.
pub fn answer(status: u16, body: impl Into<String>) -> Answer {
    Answer::json(status, body)
}

/// An HTML answer, as a proxy in front of the API would send.
pub fn text(status: u16, body: impl Into<String>) -> Answer {
    Answer::with_type(status, "text/html", body)
}
