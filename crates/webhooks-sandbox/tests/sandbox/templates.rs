//! Callback bodies come from the shared template engine: a webhook's own template rendered
//! with the event's data (`$retryCount` counting each retry), the default payload of its
//! encoding when it has none, a delivery log entry instead of a call when its template does
//! not parse, and a 400 for event data that makes no template variables.

use crate::loopback;

use loopback::receiver::Receiver;
use loopback::{Api, start};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use webhooks_callbacks::Callback;
use webhooks_ergonomic::Encoding;
use webhooks_ergonomic::Event;
use webhooks_sandbox::{EventDataError, SimulatedEvent};
use webhooks_template::{EventData, default_template};

fn sms(content: &str) -> SimulatedEvent {
    let mut data = Map::new();
    data.insert("content".into(), json!(content));
    data.insert("source_number".into(), json!("+61491570157"));
    data.insert(
        "metadata".into(),
        json!({"order": "1234", "note": "a \"quoted\" note"}),
    );
    SimulatedEvent {
        account: None,
        event: Event::ReceivedSms,
        data,
    }
}

#[tokio::test]
async fn a_webhook_template_is_rendered_for_each_attempt() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[503]).await;
    let template = concat!(
        "{\"from\":\"$sourceAddress\",\"text\":\"$esc.json($moContent)\",",
        "\"order\":\"$metadata.get('order')\",\"retry\":$retryCount,",
        "\"keys\":[#foreach($k in $metadata.keySet())\"$k\"#if($foreach.hasNext),#end#end],",
        "\"unknown\":\"$notAVariable\"}"
    );
    api.create(&json!({
        "url": format!("{}/templated", receiver.base), "method": "POST", "encoding": "JSON",
        "events": ["RECEIVED_SMS"], "template": template, "retries": 1, "retry_delay": 5
    }))
    .await;
    let called = sandbox
        .trigger_event(sms("Line one\nand \"two\""))
        .await
        .unwrap();
    assert_eq!(called, 1);

    let received = receiver.drain();
    assert_eq!(received.len(), 2, "a 503, then the retry");
    for (attempt, callback) in received.iter().enumerate() {
        let body: Value = serde_json::from_slice(&callback.body)
            .unwrap_or_else(|err| panic!("{err}: {:?}", String::from_utf8_lossy(&callback.body)));
        assert_eq!(
            body,
            json!({
                "from": "+61491570157",
                "text": "Line one\nand \"two\"",
                "order": "1234",
                "retry": attempt,
                "keys": ["note", "order"],
                "unknown": "$notAVariable"
            })
        );
        assert_eq!(callback.header("content-type"), Some("application/json"));
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn without_a_template_each_encoding_gets_its_default_payload() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[]).await;
    for (path, encoding) in [("json", "JSON"), ("form", "FORM_ENCODED"), ("xml", "XML")] {
        api.create(&json!({
            "url": format!("{}/{path}", receiver.base), "method": "POST",
            "encoding": encoding, "events": ["RECEIVED_SMS"]
        }))
        .await;
    }
    assert_eq!(sandbox.trigger_event(sms("Yes")).await.unwrap(), 3);
    let mut received = receiver.drain();
    received.sort_by(|a, b| a.target.cmp(&b.target));
    let [form, json, xml] = &received[..] else {
        panic!("three callbacks expected, got {received:?}");
    };

    // JSON and form bodies read back as the same typed event.
    for callback in [json, form] {
        match Callback::parse(
            callback.header("content-type").unwrap_or_default(),
            &callback.body,
        ) {
            Ok(Callback::InboundSms(sms)) => {
                assert_eq!(sms.content.as_deref(), Some("Yes"));
                assert_eq!(sms.metadata.get("order").map(String::as_str), Some("1234"));
                assert_eq!(
                    sms.metadata.get("note").map(String::as_str),
                    Some("a \"quoted\" note")
                );
            }
            other => panic!("{}: {other:?}", callback.target),
        }
    }
    assert_eq!(
        form.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );

    // XML: the default template of the encoding, rendered with the same data.
    assert_eq!(xml.header("content-type"), Some("application/xml"));
    let text = String::from_utf8(xml.body.to_vec()).unwrap();
    assert!(text.contains("<content>Yes</content>"), "{text}");
    assert!(
        text.contains("&quot;quoted&quot;") || text.contains("&#34;quoted&#34;"),
        "{text}"
    );
    let mut data =
        EventData::from_fields(loopback::KEY, Event::ReceivedSms, &sms("Yes").data).unwrap();
    // Ids and timestamps are generated per event; take the delivered ones for comparison.
    let delivered = Callback::parse("application/json", &json.body).unwrap();
    let Callback::InboundSms(delivered) = delivered else {
        unreachable!()
    };
    data.reply_id = Some(delivered.reply_id.to_string());
    data.message_id = delivered.message_id.map(|id| id.to_string());
    data.received_timestamp = delivered.date_received;
    data.destination_address = delivered.destination_number.map(|n| n.to_string());
    assert_eq!(
        text,
        default_template(Event::ReceivedSms, Encoding::Xml)
            .render(&data)
            .unwrap()
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_template_that_does_not_parse_is_logged_not_sent() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[]).await;
    let webhook = api
        .create(&json!({
            "url": format!("{}/broken", receiver.base), "method": "POST", "encoding": "JSON",
            "events": ["RECEIVED_SMS"], "template": "{\n#if($moContent)\"a\"\n}", "retries": 2,
            "retry_delay": 5
        }))
        .await;
    assert_eq!(sandbox.trigger_event(sms("hi")).await.unwrap(), 1);
    assert!(receiver.drain().is_empty(), "nothing may be sent");
    let log = sandbox.deliveries();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].webhook_id, webhook.id);
    assert_eq!(log[0].status, None);
    let error = log[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("template") && error.contains("line"),
        "the log says why, and where: {error}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn event_data_that_makes_no_variables_is_refused() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut bad = Map::new();
    bad.insert("status_code".into(), json!("soon"));
    let event = SimulatedEvent {
        account: None,
        event: Event::FailedDr,
        data: bad.clone(),
    };
    match sandbox.trigger_event(event).await {
        Err(EventDataError::WrongType { field, .. }) => assert_eq!(field, "/status_code"),
        other => panic!("expected a typed error, got {other:?}"),
    }

    let answer = api
        .post_json(
            "/sandbox/v1/events",
            &json!({"event": "FAILED_DR", "data": {"no_such_field": 1}}),
        )
        .await;
    let error = answer.error(StatusCode::BAD_REQUEST);
    assert_eq!(error.details.len(), 1, "{error:?}");
    assert!(error.details[0].contains("/no_such_field"), "{error:?}");
    assert!(sandbox.deliveries().is_empty());
    sandbox.shutdown().await;
}
