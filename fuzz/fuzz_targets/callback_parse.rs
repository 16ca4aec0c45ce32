//! `Callback::parse` of any body under each content type: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
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
    let _ = Callback::parse(content_type, body);
});
