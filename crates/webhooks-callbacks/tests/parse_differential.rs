//! The differential test of `Callback::parse` on JSON bodies: it reads them in one pass of its
//! own, keeping the fields a callback type reads as raw text decoded only when read, so it must
//! agree, on every body, with reading the whole body into `serde_json::Value`s first and the
//! fields from there (`Callback::from_fields`, the way of earlier releases). The bodies: every
//! input of the fuzz corpus of `callback_parse` (mostly broken JSON, forms and noise; each read
//! whole and without the byte the fuzz target spends on choosing a content type), and the
//! bodies that matter most, written out.

#[path = "support/through_values.rs"]
mod through_values;

use through_values::through_values;
use webhooks_callbacks::Callback;

/// Both readings of `body`, which must be equal; whether it is a callback.
#[track_caller]
fn agree(body: &[u8]) -> bool {
    let ours = Callback::parse("application/json", body);
    let theirs = through_values(body);
    assert_eq!(
        ours,
        theirs,
        "on {:?}",
        String::from_utf8_lossy(&body[..body.len().min(200)])
    );
    ours.is_ok()
}

/// `metadata` and `vendor_account_id` objects are read member by member in the body's one pass;
/// a repeated name still keeps its last value, whatever the earlier one was.
#[test]
fn nested_objects_read_in_the_one_pass_read_the_same_both_ways() {
    let bodies: [&[u8]; 12] = [
        br#"{"delivery_report_id":"d","metadata":{"a":"1"},"metadata":"{\"b\":\"2\"}"}"#,
        br#"{"delivery_report_id":"d","metadata":"{\"b\":\"2\"}","metadata":{"a":"1"}}"#,
        br#"{"delivery_report_id":"d","metadata":{"a":"1"},"metadata":null}"#,
        br#"{"delivery_report_id":"d","metadata":{"a":"1"},"metadata":{"b":"2"}}"#,
        br#"{"delivery_report_id":"d","metadata":{"a":"1","a":null,"b":"x","b":2.50,"c":[{}],"\u0064":"e"}}"#,
        br#"{"delivery_report_id":"d","m\u0065tadata":{"k":"v"},"vendor_\u0061ccount_id":{"vendor_id":"V"}}"#,
        br#"{"delivery_report_id":"d","vendor_account_id":{"vendor_id":"V","account_id":"A"},"vendor_account_id":null}"#,
        br#"{"delivery_report_id":"d","vendor_account_id":"{\"vendor_id\":\"S\"}","vendor_account_id":{"account_id":"A"}}"#,
        br#"{"delivery_report_id":"d","vendor_account_id":{"vendor_id":"V1","vendor_id":"V2","account_id":7,"other":{"x":1},"metadata":{"no":"t"}}}"#,
        br#"{"delivery_report_id":"d","vendor_account_id":{"vendor_id":{"not":"text"}}}"#,
        br#"{"delivery_report_id":"d","vendor_account_id":{},"metadata":{}}"#,
        br#"{"reply_id":"r","vendor_account_id":{"vendor_id":"V"},"metadata":{"k":"v"}}"#,
    ];
    for body in bodies {
        agree(body);
    }
}

#[test]
fn the_bodies_that_matter_read_the_same_both_ways() {
    let bodies: [&[u8]; 14] = [
        br#"{"delivery_report_id":null,"notification_id":"","reply_id":"r0"}"#,
        br#"{"delivery_report_id":"01e1fa0a","message_id":"877c19ef","status":"delivered","error_code":"220","date_received":"2017-05-10T01:32:10.418Z","submitted_date":"2017-05-10T01:32:10Z","original_text":"Hi \"there\" \u00e9","vendor_account_id":{"vendor_id":"SinchEU","account_id":"acct"},"metadata":{"order":"42","n":7,"flag":true,"nested":{"a":[1]},"gone":null},"delay":"0"}"#,
        br#"{"reply_id":"r1","message_id":null,"account_id":12,"source_number":"+61491570156","destination_number":"","date_received":"2017-05-10T01:32:10.418+10:00","content":"yes please"}"#,
        br#"{"reply_id":"r2","attachments":[{"content_type":"image/png","original_name":"a.png","content":"iVBORw0KGgo="}],"metadata":"{\"k\":\"v\"}"}"#,
        br#"{"reply_id":"r3","attachments":"[]","content":"no media"}"#,
        br#"{"reply_id":"r4","attachments":null}"#,
        br#"{"notification_id":"n1","source_number":"+61491570156","content":"STOP","status":"x"}"#,
        br#"{"reply_id":"first","reply_id":"last","re\u0070ly_id":"escaped","m\u0065ssage_id":"m"}"#,
        br#"{"delivery_report_id":"d","date_received":"yesterday"}"#,
        br#"{"delivery_report_id":"d","status":{"not":"text"}}"#,
        br#"{"delivery_report_id":"","reply_id":null,"notification_id":"n"}"#,
        br#"{"custom":"template","retry":3,"content":null,"zeta":[1,2]}"#,
        br#"[{"reply_id":"r"}]"#,
        br#"{"reply_id":"r","content":"unterminated}"#,
    ];
    let read = bodies.iter().filter(|body| agree(body)).count();
    assert_eq!(read, 9, "nine of them are callbacks");
}

#[test]
fn every_input_of_the_fuzz_corpus_reads_the_same_both_ways() {
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/corpus/callback_parse"
    );
    let mut inputs = 0;
    for entry in std::fs::read_dir(corpus).expect("the committed corpus") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        agree(&data);
        if let Some((_, body)) = data.split_first() {
            agree(body);
        }
        inputs += 1;
    }
    assert!(inputs > 1_000, "{inputs} inputs");
}
