//! `Template::parse` and `lint` on any input: never a panic, work linear in the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhooks_template::{Encoding, Event, Template, lint};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Template::parse(source);
    let _ = lint(
        source,
        &[Event::ReceivedSms, Event::DeliveredDr],
        Encoding::Json,
    );
});
