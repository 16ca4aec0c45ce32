//! Typed events: every payload shape the vendor documents, in JSON and form encoding, the
//! default payloads the template engine renders (and the sandbox sends), tolerance of missing and extra fields, and typed errors.
//!
//! The fixtures are written for this test from the documented facts (field names and value
//! shapes of the vendor's payload examples); the values are this project's own.

use serde_json::{Value, json};
use time::macros::datetime;
use webhooks_callbacks::{
    Callback, DeliveryReport, DeliveryStatus, DeliveryStatusCode, InboundMms, InboundSms, OptOut,
    ParseError,
};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// A form body as the sandbox encodes one: text as it is, anything else as JSON text.
fn form(payload: &Value) -> Vec<u8> {
    let pairs: Vec<(String, String)> = payload
        .as_object()
        .expect("fixtures are objects")
        .iter()
        .map(|(key, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (key.clone(), text)
        })
        .collect();
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

/// Parses `payload` as JSON (with a charset parameter) and as a form; both must agree.
fn parse_both(payload: &Value) -> Callback {
    let json_body = serde_json::to_vec(payload).unwrap();
    let from_json = Callback::parse("application/json; charset=utf-8", &json_body)
        .unwrap_or_else(|err| panic!("JSON {payload}: {err}"));
    let from_form =
        Callback::parse(FORM, &form(payload)).unwrap_or_else(|err| panic!("form {payload}: {err}"));
    assert_eq!(from_json, from_form, "JSON and form readings differ");
    from_json
}

fn delivery_report(callback: Callback) -> DeliveryReport {
    match callback {
        Callback::DeliveryReport(report) => report,
        other => panic!("expected a delivery report, got {other:?}"),
    }
}

fn inbound_sms(callback: Callback) -> InboundSms {
    match callback {
        Callback::InboundSms(sms) => sms,
        other => panic!("expected an inbound SMS, got {other:?}"),
    }
}

fn inbound_mms(callback: Callback) -> InboundMms {
    match callback {
        Callback::InboundMms(mms) => mms,
        other => panic!("expected an inbound MMS, got {other:?}"),
    }
}

fn opt_out(callback: Callback) -> OptOut {
    match callback {
        Callback::OptOut(opt_out) => opt_out,
        other => panic!("expected an opt-out, got {other:?}"),
    }
}

// The vendor's documented examples: one fixture per payload example, same fields and shapes.

#[test]
fn delivery_report_example() {
    let report = delivery_report(parse_both(&json!({
        "delivery_report_id": "5b4d5d1e-7c43-4a9e-9f57-0d8a4f1c2e01",
        "source_number": "+61400000001",
        "date_received": "2021-03-04T05:06:07.890Z",
        "status": "delivered",
        "delay": "0",
        "submitted_date": "2021-03-04T05:06:00.120Z",
        "message_id": "8f0c4c2a-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
        "original_text": "Your order has shipped",
        "vendor_account_id": {"vendor_id": "VendorX", "account_id": "Acct42"},
        "error_code": "220",
        "metadata": {"order": "1234", "channel": "web"}
    })));
    assert_eq!(
        report.delivery_report_id,
        "5b4d5d1e-7c43-4a9e-9f57-0d8a4f1c2e01"
    );
    assert!(report.delivery_report_id.as_uuid().is_some());
    assert_eq!(report.source_number.unwrap(), "+61400000001");
    assert_eq!(
        report.date_received,
        Some(datetime!(2021-03-04 05:06:07.890 UTC))
    );
    assert_eq!(
        report.submitted_date,
        Some(datetime!(2021-03-04 05:06:00.120 UTC))
    );
    assert_eq!(report.status, Some(DeliveryStatus::Delivered));
    assert_eq!(report.status_code, Some(DeliveryStatusCode::Delivered));
    assert_eq!(
        report.message_id.unwrap(),
        "8f0c4c2a-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
    );
    assert_eq!(
        report.original_text.as_deref(),
        Some("Your order has shipped")
    );
    let vendor = report.vendor_account.unwrap();
    assert_eq!(vendor.vendor_id.unwrap(), "VendorX");
    assert_eq!(vendor.account_id.unwrap(), "Acct42");
    assert_eq!(report.metadata["order"], "1234");
    assert_eq!(report.metadata["channel"], "web");
    assert_eq!(
        report.extra,
        json!({"delay": "0"}).as_object().cloned().unwrap()
    );
}

#[test]
fn sms_received_example() {
    let sms = inbound_sms(parse_both(&json!({
        "account_id": "Acct42",
        "reply_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "destination_number": "+61400000002",
        "source_number": "+61400000003",
        "date_received": "2021-03-04T05:07:00.001Z",
        "message_id": "8f0c4c2a-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
        "content": "Thanks, see you & bye",
        "metadata": {"order": "1234"}
    })));
    assert_eq!(sms.reply_id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    assert_eq!(sms.account_id.unwrap(), "Acct42");
    assert_eq!(sms.destination_number.unwrap(), "+61400000002");
    assert_eq!(sms.source_number.unwrap(), "+61400000003");
    assert_eq!(
        sms.date_received,
        Some(datetime!(2021-03-04 05:07:00.001 UTC))
    );
    assert_eq!(sms.content.as_deref(), Some("Thanks, see you & bye"));
    assert_eq!(sms.metadata["order"], "1234");
    assert!(sms.extra.is_empty());
}

#[test]
fn mms_received_example_with_attachments() {
    let mms = inbound_mms(parse_both(&json!({
        "account_id": "Acct42",
        "reply_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "destination_number": "+61400000002",
        "source_number": "+61400000003",
        "date_received": "2021-03-04T05:07:00.001Z",
        "message_id": "8f0c4c2a-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
        "attachments": [
            {"content_type": "image/png", "content": "aGVsbG8=", "original_name": "hello.png"},
            {"content_type": "text/plain", "content": "d29ybGQ", "original_name": "world.txt"}
        ],
        "metadata": {"order": "1234"}
    })));
    assert_eq!(mms.reply_id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    assert_eq!(mms.attachments.len(), 2);
    let first = &mms.attachments[0];
    assert_eq!(first.content_type.as_deref(), Some("image/png"));
    assert_eq!(first.original_name.as_deref(), Some("hello.png"));
    assert_eq!(
        first.content, "aGVsbG8=",
        "content stays base64 until decoded"
    );
    assert_eq!(first.decode().unwrap(), b"hello");
    assert_eq!(
        mms.attachments[1].decode().unwrap(),
        b"world",
        "padding is optional"
    );
    assert_eq!(
        mms.content, None,
        "the sample template sends no content with media"
    );
    assert_eq!(mms.metadata["order"], "1234");
}

#[test]
fn mms_received_example_without_media_reads_as_an_sms() {
    // The sample template sends `content` instead of `attachments` when there is no media:
    // the body is then the shape of an SMS reply, and reads as one (documented rule).
    let sms = inbound_sms(parse_both(&json!({
        "account_id": "Acct42",
        "reply_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "destination_number": "+61400000002",
        "source_number": "+61400000003",
        "date_received": "2021-03-04T05:07:00.001Z",
        "message_id": "8f0c4c2a-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
        "content": "no picture today",
        "metadata": {}
    })));
    assert_eq!(sms.content.as_deref(), Some("no picture today"));
    assert!(sms.metadata.is_empty());
}

#[test]
fn opt_out_example_with_and_without_message_id() {
    let mut payload = json!({
        "notification_id": "c0ffee00-1234-4abc-8def-0123456789ab",
        "account_id": "Acct42",
        "destination_number": "+61400000002",
        "source_number": "+61400000003",
        "date_received": "2021-03-04T05:08:00.500Z",
        "message_id": "8f0c4c2a-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
        "content": "STOP",
        "metadata": {"order": "1234"}
    });
    let solicited = opt_out(parse_both(&payload));
    assert_eq!(
        solicited.notification_id,
        "c0ffee00-1234-4abc-8def-0123456789ab"
    );
    assert_eq!(
        solicited.message_id.unwrap(),
        "8f0c4c2a-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
    );
    assert_eq!(solicited.content.as_deref(), Some("STOP"));
    assert_eq!(solicited.source_number.unwrap(), "+61400000003");
    assert_eq!(solicited.account_id.unwrap(), "Acct42");

    // Unsolicited: no message to correlate with.
    payload.as_object_mut().unwrap().remove("message_id");
    let unsolicited = opt_out(parse_both(&payload));
    assert_eq!(unsolicited.message_id, None);
}

#[test]
fn notification_id_wins_over_an_unrendered_reply_id() {
    // An opt-out rendered with a template that names `$replyId` carries that literal text.
    let opt_out = opt_out(parse_both(&json!({
        "notification_id": "c0ffee00-1234-4abc-8def-0123456789ab",
        "reply_id": "$replyId",
        "content": "STOP"
    })));
    assert_eq!(opt_out.extra["reply_id"], "$replyId");
}

// The default payloads: what `template::default_template` renders (and so what the sandbox
// sends for a webhook without a template), for every event, in JSON and form encoding.

#[test]
fn default_payloads_of_every_event_parse_in_both_encodings() {
    use webhooks_callbacks::Encoding;
    use webhooks_callbacks::Event;
    use webhooks_template::{EventAttachment, EventData, default_template};

    for event in Event::ALL {
        let mut data = EventData::sample(event, "acct");
        data.metadata.insert("order".into(), "12 & 34".into());
        data.metadata
            .insert("note".into(), "a \"quoted\" = value".into());
        if event == Event::ReceivedMms {
            data.attachments = vec![EventAttachment {
                content_type: "image/gif".into(),
                base64: "R0lGODlh".into(),
                original_name: "a.gif".into(),
            }];
        }
        for (content_type, encoding) in [(JSON, Encoding::Json), (FORM, Encoding::FormEncoded)] {
            let body = default_template(event, encoding).render(&data).unwrap();
            let callback = Callback::parse(content_type, body.as_bytes())
                .unwrap_or_else(|err| panic!("{event} {encoding:?}: {err}\n{body}"));
            assert_eq!(
                callback.metadata().get("order").map(String::as_str),
                Some("12 & 34"),
                "{event} {encoding:?}: {body}"
            );
            assert_eq!(
                callback.metadata().get("note").map(String::as_str),
                Some("a \"quoted\" = value"),
                "{event} {encoding:?}: {body}"
            );
            assert_eq!(
                callback.date_received(),
                data.received_timestamp.map(|at| at
                    .replace_nanosecond(at.millisecond() as u32 * 1_000_000)
                    .unwrap()),
                "{event} {encoding:?}: {body}"
            );
            match (&callback, event) {
                (Callback::DeliveryReport(report), dr) if dr.is_delivery_report() => {
                    let status = report.status.as_ref().expect("a status");
                    assert_eq!(Some(status.as_str()), data.status.as_deref(), "{body}");
                    assert!(!matches!(status, DeliveryStatus::Unknown(_)), "{body}");
                    let code = report.status_code.as_ref().expect("a status code");
                    assert_eq!(code.code(), data.status_code, "{body}");
                    assert_eq!(
                        report.message_id.as_ref().map(|id| id.to_string()),
                        data.message_id
                    );
                }
                (Callback::InboundSms(sms), Event::ReceivedSms) => {
                    assert_eq!(sms.content, data.reply_content, "{body}");
                    assert_eq!(Some(sms.reply_id.to_string()), data.reply_id);
                }
                (Callback::InboundMms(mms), Event::ReceivedMms) => {
                    assert_eq!(mms.attachments.len(), 1, "{body}");
                    assert_eq!(mms.attachments[0].decode().unwrap(), b"GIF89a");
                }
                (Callback::OptOut(opt_out), Event::OptOutSms) => {
                    assert_eq!(opt_out.content, data.reply_content, "{body}");
                }
                (other, event) => panic!("{event} {encoding:?} read as {other:?}: {body}"),
            }
        }
    }
}

// Tolerance.

#[test]
fn missing_optional_fields_read_as_none_and_extra_fields_are_kept() {
    let report = delivery_report(
        Callback::parse(
            JSON,
            br#"{"delivery_report_id":"dr-1","retry_count":"2","billing_units":1,"status":null,"message_id":""}"#,
        )
        .unwrap(),
    );
    assert_eq!(report.delivery_report_id, "dr-1");
    assert_eq!(report.delivery_report_id.as_uuid(), None);
    assert_eq!(report.status, None, "null is absent");
    assert_eq!(report.message_id, None, "empty text is absent");
    assert_eq!((report.date_received, report.vendor_account), (None, None));
    assert!(report.metadata.is_empty());
    assert_eq!(report.extra["retry_count"], "2");
    assert_eq!(report.extra["billing_units"], 1);

    let sms = inbound_sms(Callback::parse(JSON, br#"{"reply_id":"r-1"}"#).unwrap());
    assert_eq!((sms.content, sms.source_number), (None, None));
}

#[test]
fn timestamps_with_and_without_fractions_and_offsets() {
    for (text, expected) in [
        ("2016-12-07T08:44:00Z", datetime!(2016-12-07 08:44:00 UTC)),
        (
            "2016-12-07T08:44:00.850Z",
            datetime!(2016-12-07 08:44:00.850 UTC),
        ),
        (
            "2016-12-07T18:44:00.5+10:00",
            datetime!(2016-12-07 08:44:00.5 UTC),
        ),
    ] {
        let body = json!({"reply_id": "r", "date_received": text}).to_string();
        let sms = inbound_sms(Callback::parse(JSON, body.as_bytes()).unwrap());
        assert_eq!(sms.date_received, Some(expected), "{text}");
    }
}

#[test]
fn unknown_status_and_code_keep_their_raw_values() {
    let report = delivery_report(
        Callback::parse(
            JSON,
            br#"{"delivery_report_id":"d","status":"held","error_code":999}"#,
        )
        .unwrap(),
    );
    assert_eq!(report.status, Some(DeliveryStatus::Unknown("held".into())));
    assert_eq!(
        report.status_code,
        Some(DeliveryStatusCode::Unknown("999".into())),
        "a numeric code reads as its text"
    );
}

#[test]
fn form_bodies_accept_bracketed_metadata_and_an_absent_content_type() {
    let body = b"reply_id=r-2&content=Hi%2C+there&metadata%5Border%5D=77&metadata%5Bchannel%5D=sms";
    for content_type in [FORM, "application/x-www-form-urlencoded;charset=UTF-8", ""] {
        let sms = inbound_sms(Callback::parse(content_type, body).unwrap());
        assert_eq!(sms.content.as_deref(), Some("Hi, there"), "{content_type}");
        assert_eq!(sms.metadata["order"], "77");
        assert_eq!(sms.metadata["channel"], "sms");
    }
}

#[test]
fn the_variant_follows_the_documented_rule() {
    let variant = |body: &str| match Callback::parse(JSON, body.as_bytes()) {
        Ok(Callback::DeliveryReport(_)) => "dr",
        Ok(Callback::OptOut(_)) => "opt-out",
        Ok(Callback::InboundMms(_)) => "mms",
        Ok(Callback::InboundSms(_)) => "sms",
        Ok(_) => "other",
        Err(_) => "error",
    };
    assert_eq!(
        variant(r#"{"delivery_report_id":"a","notification_id":"b","reply_id":"c"}"#),
        "dr"
    );
    assert_eq!(
        variant(r#"{"notification_id":"b","reply_id":"c","attachments":[]}"#),
        "opt-out"
    );
    assert_eq!(variant(r#"{"reply_id":"c","attachments":[]}"#), "mms");
    assert_eq!(variant(r#"{"reply_id":"c"}"#), "sms");
    assert_eq!(
        variant(r#"{"delivery_report_id":"","reply_id":"c"}"#),
        "sms",
        "empty ids are absent"
    );
    assert_eq!(variant(r#"{"attachments":[]}"#), "error");
}

// Typed errors.

#[test]
fn unreadable_bodies_are_typed_errors() {
    assert!(matches!(
        Callback::parse(JSON, br#"{"id":"x","status":"delivered"}"#),
        Err(ParseError::UnknownShape { fields }) if fields == ["id", "status"]
    ));
    assert!(matches!(
        Callback::parse(
            "application/xml",
            b"<callback><reply_id>r</reply_id></callback>"
        ),
        Err(ParseError::UnsupportedContentType { .. })
    ));
    assert!(matches!(
        Callback::parse(JSON, b""),
        Err(ParseError::EmptyBody)
    ));
    assert!(matches!(
        Callback::parse(JSON, b"{\"reply_id\":"),
        Err(ParseError::InvalidJson { .. })
    ));
    assert!(matches!(
        Callback::parse(JSON, b"\"text\""),
        Err(ParseError::NotAnObject)
    ));

    let field_error = |body: &str| match Callback::parse(JSON, body.as_bytes()) {
        Err(ParseError::InvalidField { field, .. }) => field,
        other => panic!("{body}: expected an invalid field, got {other:?}"),
    };
    assert_eq!(
        field_error(r#"{"reply_id":"r","date_received":"yesterday"}"#),
        "date_received"
    );
    assert_eq!(
        field_error(r#"{"reply_id":"r","content":{"a":1}}"#),
        "content"
    );
    assert_eq!(
        field_error(r#"{"reply_id":"r","metadata":[1]}"#),
        "metadata"
    );
    assert_eq!(
        field_error(r#"{"reply_id":"r","attachments":"nope"}"#),
        "attachments"
    );
    assert_eq!(
        field_error(r#"{"reply_id":"r","attachments":[1]}"#),
        "attachments[0]"
    );
    assert_eq!(
        field_error(r#"{"reply_id":"r","attachments":[{"content":["x"]}]}"#),
        "attachments[0].content"
    );
    assert_eq!(
        field_error(r#"{"delivery_report_id":"d","vendor_account_id":{"vendor_id":{}}}"#),
        "vendor_account_id.vendor_id"
    );
    assert_eq!(field_error(r#"{"reply_id":{"a":1}}"#), "reply_id");

    let message = Callback::parse(JSON, br#"{"reply_id":"r","date_received":"yesterday"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("date_received") && message.contains("yesterday"),
        "{message}"
    );
}

#[test]
fn bad_base64_in_an_attachment_is_a_typed_error_on_decode() {
    let mms = inbound_mms(
        Callback::parse(
            JSON,
            br#"{"reply_id":"r","attachments":[
                {"content":"aGVs\nbG8=","original_name":"wrapped.txt"},
                {"content":"not base64!","original_name":"broken.png"},
                {"content":"aGVsbG8="}]}"#,
        )
        .expect("attachments are decoded on request, not when parsing"),
    );
    assert_eq!(
        mms.attachments[0].decode().unwrap(),
        b"hello",
        "line breaks ignored"
    );
    let err = mms.attachments[1].decode().unwrap_err();
    assert_eq!(err.original_name(), Some("broken.png"));
    assert!(err.to_string().contains("broken.png"), "{err}");
    assert_eq!(mms.attachments[2].original_name, None);
    assert_eq!(mms.attachments[2].content_type, None);
}

#[test]
fn garbage_never_panics() {
    // A bounded, deterministic sweep of malformed bodies through both decoders.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"{}[]\":,=&%+ reply_id attachments metadata 0123456789abc\\\n\x00\xff";
    for round in 0..2_000 {
        let len = (round % 64) as usize;
        let body: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        for content_type in [JSON, FORM, "", "text/plain"] {
            let _ = Callback::parse(content_type, &body);
        }
    }
}
