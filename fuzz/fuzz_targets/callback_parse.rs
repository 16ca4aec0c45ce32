//! `Callback::parse` of any body under each content type: never a panic. A JSON body also reads
//! the same as it does through `serde_json::Value`s first (`Callback::from_fields`): the
//! one-pass reader of JSON bodies is never laxer than serde_json, and what it reads, it reads
//! the same.
#![no_main]

#[path = "../../crates/webhooks-callbacks/tests/support/through_values.rs"]
mod through_values;

use libfuzzer_sys::fuzz_target;
use through_values::through_values;
use webhooks_callbacks::Callback;

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

