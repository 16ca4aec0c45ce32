//! `Callback::parse` of any body under each content type: never a panic. A JSON body also reads
//! the same as it does through `serde_json::Value`s first (`Callback::from_fields`): the
//! one-pass reader of JSON bodies is never laxer than serde_json, and what it reads, it reads
//! the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use webhooks_callbacks::{Callback, ParseError};

const CONTENT_TYPES: [&str; 4] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/xml",
    "text/plain; charset=utf-8",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    let read = Callback::parse(content_type, body);
    if content_type == "application/json" {
        assert_eq!(read, through_values(body), "{:?}", String::from_utf8_lossy(body));
    }
});

/// The body into `Value`s, then the fields.
fn through_values(body: &[u8]) -> Result<Callback, ParseError> {
    let body = body.trim_ascii();
    if body.is_empty() {
        return Err(ParseError::EmptyBody);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Callback::from_fields(fields),
        Ok(_) => Err(ParseError::NotAnObject),
        Err(err) => Err(ParseError::InvalidJson {
            reason: err.to_string(),
        }),
    }
}
