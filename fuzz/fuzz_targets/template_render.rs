//! Rendering any template that parses, for every event: never a panic; a runaway render ends
//! in a `RenderError` within the output and step budgets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhooks_template::{Event, EventData, MAX_OUTPUT_BYTES, Template};

const EVENTS: [Event; 3] = [Event::ReceivedMms, Event::DeliveredDr, Event::OptOutSms];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(source) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(template) = Template::parse(source) else {
        return;
    };
    let event = EVENTS[usize::from(selector) % EVENTS.len()];
    let mut sample = EventData::sample(event, "fuzz");
    if selector & 0x80 != 0 {
        sample.attachments.clear();
    }
    if let Ok(out) = template.render(&sample) {
        assert!(out.len() <= MAX_OUTPUT_BYTES + source.len());
    }
});
