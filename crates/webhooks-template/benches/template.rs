//! Rendering a delivery-report template written like the vendor's sample (issue 6 target:
//! at most 2 µs), beside parsing it and rendering the default template.
//!
//! `cargo bench -p webhooks-ergonomic --bench template`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use webhooks_template::{Encoding, Event};
use webhooks_template::{EventData, Template, default_template};

/// One line, as the platform stores templates: every construct of the vendor's delivery-report
/// sample (`$esc.json($!mtContent)`, a `keySet()` loop with `$metadata.get($key)` and
/// `$velocityHasNext`).
const REPORT: &str = r##"{"delivery_report_id": "$drId", "source_number": "$sourceAddress", "date_received": "$receivedTimestamp", "status": "$status", "delay": "0", "submitted_date": "$submittedTimestamp", "message_id": "$messageId", "original_text": "$esc.json($!mtContent)", "vendor_account_id": {"vendor_id": "$vendorId", "account_id": "$accountId"}, "error_code": "$statusCode", "metadata": {#foreach($key in $metadata.keySet())"$key": "$esc.json($metadata.get($key))"#if($velocityHasNext), #end#end}}"##;

fn template(c: &mut Criterion) {
    let template = Template::parse(REPORT).unwrap();
    let mut data = EventData::sample(Event::DeliveredDr, "DeveloperPortal7000");
    data.message_content =
        Some("Your order 1234 has shipped: track it at https://example.com/t/1234".into());
    let body = template.render(&data).expect("the sample renders");
    serde_json::from_str::<serde_json::Value>(&body).expect("the rendered report is JSON");

    let mut group = c.benchmark_group("template");
    group.bench_function("render delivery report", |b| {
        b.iter(|| black_box(&template).render(black_box(&data)))
    });
    group.bench_function("parse delivery report", |b| {
        b.iter(|| Template::parse(black_box(REPORT)))
    });
    let default = default_template(Event::DeliveredDr, Encoding::Json);
    group.bench_function("render default delivery report", |b| {
        b.iter(|| black_box(default).render(black_box(&data)))
    });
    group.finish();
}

criterion_group!(benches, template);
criterion_main!(benches);
