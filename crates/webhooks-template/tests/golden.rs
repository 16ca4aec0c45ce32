//! Golden files: the exact bytes of every default payload (each event in each encoding),
//! rendered from fixed event data, under `tests/data/default_payloads/`. A change to the
//! engine or to a default template shows up as a diff of those files.
//!
//! After a deliberate change, rewrite them with
//! `UPDATE_GOLDEN=1 cargo test -p webhooks-template --test golden` and review the diff.

use std::path::PathBuf;

use time::macros::datetime;
use webhooks_template::{Encoding, Event};
use webhooks_template::{EventData, default_template};

/// The sample data with its clock and random ids fixed, and a value that needs escaping.
fn fixed(event: Event) -> EventData {
    let mut data = EventData::sample(event, "MyAccount001");
    for (id, value) in [
        (&mut data.message_id, "877c19ef-fa2e-4cec-827a-e1df9b5509f7"),
        (&mut data.report_id, "01e1fa0a-6e27-4945-9cdb-18644b4de043"),
        (&mut data.reply_id, "a175e797-2b54-468b-9850-41a3eab32f74"),
        (
            &mut data.notification_id,
            "4c7a5a4c-9a0b-4a36-a4c1-1f5f6b3d9e1a",
        ),
    ] {
        if id.is_some() {
            *id = Some(value.to_owned());
        }
    }
    if data.received_timestamp.is_some() {
        data.received_timestamp = Some(datetime!(2016-12-07 08:43:00.850 UTC));
    }
    if data.submitted_timestamp.is_some() {
        data.submitted_timestamp = Some(datetime!(2016-12-07 08:42:59.000 UTC));
    }
    for text in [&mut data.message_content, &mut data.reply_content] {
        if text.is_some() {
            *text = Some("She said \"hi\" & <b>é</b> a/b\nline two".to_owned());
        }
    }
    data
}

fn extension(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Xml => "xml",
        Encoding::FormEncoded => "form",
        _ => "json",
    }
}

#[test]
fn every_default_payload_renders_the_bytes_of_its_golden_file() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/default_payloads");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for event in Event::ALL {
        for encoding in Encoding::ALL {
            let body = default_template(event, encoding)
                .render(&fixed(event))
                .unwrap();
            let path = dir.join(format!("{event}.{}", extension(encoding)));
            if update {
                std::fs::write(&path, &body).unwrap();
                continue;
            }
            let golden = std::fs::read_to_string(&path).unwrap_or_else(|err| {
                panic!("{}: {err} (UPDATE_GOLDEN=1 writes it)", path.display())
            });
            if golden != body {
                differ.push(format!("{}:\n{body}", path.display()));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "rendered payloads differ from their golden files (UPDATE_GOLDEN=1 rewrites them):\n{}",
        differ.join("\n\n")
    );
}
