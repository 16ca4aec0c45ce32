//! Callback delivery: retries until a 2xx, timeouts recorded, every attempt in
//! `GET /sandbox/v1/deliveries`; each webhook's method, headers and Content-Type; no body for
//! GET; only subscribed webhooks of the event's account are called.

use crate::loopback;

use std::collections::HashMap;

use loopback::receiver::{Receiver, Silent};
use loopback::{Api, start};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use webhooks_ergonomic::Event;
use webhooks_sandbox::{DeliveryAttempt, SimulatedEvent};

fn event(event: Event) -> SimulatedEvent {
    SimulatedEvent {
        account: None,
        event,
        data: Map::new(),
    }
}

async fn logged(api: &Api) -> Vec<DeliveryAttempt> {
    let answer = api.get("/sandbox/v1/deliveries").await;
    assert_eq!(answer.status, StatusCode::OK);
    serde_json::from_slice(&answer.body).expect("a list of DeliveryAttempt")
}

#[tokio::test]
async fn a_receiver_that_fails_twice_then_answers_gets_three_attempts() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[500, 503]).await;
    let url = format!("{}/hook", receiver.base);
    let webhook = api
        .create(&json!({
            "url": url, "method": "POST", "encoding": "JSON", "events": ["DELIVERED_DR"],
            "retries": 3, "retry_delay": 5
        }))
        .await;
    assert_eq!(
        sandbox
            .trigger_event(event(Event::DeliveredDr))
            .await
            .unwrap(),
        1
    );

    let received = receiver.drain();
    assert_eq!(
        received.len(),
        3,
        "two failures, then the success; no fourth attempt"
    );
    assert!(received.windows(2).all(|pair| pair[0].body == pair[1].body));

    let log = logged(&api).await;
    assert_eq!(log, sandbox.deliveries());
    let summary: Vec<_> = log
        .iter()
        .map(|a| (a.attempt, a.status, a.error.is_some()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, Some(500), true),
            (2, Some(503), true),
            (3, Some(200), false)
        ]
    );
    for attempt in &log {
        assert_eq!(attempt.webhook_id, webhook.id);
        assert_eq!(attempt.event, Event::DeliveredDr);
        assert_eq!(attempt.url, url);
        assert!(attempt.started_at <= attempt.finished_at);
        time::OffsetDateTime::parse(
            &attempt.started_at,
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339 timestamps");
    }
    assert_eq!(
        log[0].error.as_deref(),
        Some("answered 500 Internal Server Error")
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn retries_stop_after_the_configured_number() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[500, 500, 500, 500]).await;
    api.create(&json!({
        "url": format!("{}/hook", receiver.base), "method": "POST", "encoding": "JSON",
        "events": ["RECEIVED_SMS"], "retries": 2, "retry_delay": 5
    }))
    .await;
    sandbox
        .trigger_event(event(Event::ReceivedSms))
        .await
        .unwrap();
    assert_eq!(receiver.drain().len(), 3);
    let attempts: Vec<_> = logged(&api).await.iter().map(|a| a.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_recorded_as_a_timeout() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let silent = Silent::start().await;
    let url = format!("{}/hook", silent.base);
    api.create(&json!({
        "url": url, "method": "POST", "encoding": "JSON", "events": ["RECEIVED_SMS"],
        "read_timeout": 200, "retries": 1, "retry_delay": 5
    }))
    .await;
    assert_eq!(
        sandbox
            .trigger_event(event(Event::ReceivedSms))
            .await
            .unwrap(),
        1
    );
    let log = logged(&api).await;
    assert_eq!(log.len(), 2, "{log:?}");
    for (index, attempt) in log.iter().enumerate() {
        assert_eq!(attempt.attempt, u32::try_from(index).unwrap() + 1);
        assert_eq!(attempt.status, None);
        assert_eq!(
            attempt.error.as_deref(),
            Some("no answer within the read timeout of 200 ms")
        );
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_receiver_that_is_not_there_is_recorded_as_a_failed_request() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    // A port that was free a moment ago: nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    api.create(&json!({
        "url": format!("http://127.0.0.1:{port}/hook"), "method": "POST", "encoding": "JSON",
        "events": ["RECEIVED_SMS"]
    }))
    .await;
    sandbox
        .trigger_event(event(Event::ReceivedSms))
        .await
        .unwrap();
    let log = logged(&api).await;
    assert_eq!(log.len(), 1);
    assert!(
        log[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("request failed")
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn callbacks_carry_the_method_headers_and_content_type_of_their_webhook() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[]).await;
    let cases = [
        ("GET", "JSON", None),
        ("POST", "JSON", Some("application/json")),
        (
            "PUT",
            "FORM_ENCODED",
            Some("application/x-www-form-urlencoded"),
        ),
        ("PATCH", "XML", Some("application/xml")),
        ("DELETE", "JSON", Some("application/json")),
    ];
    for (method, encoding, _) in cases {
        api.create(&json!({
            "url": format!("{}/{method}?encoding={encoding}", receiver.base),
            "method": method, "encoding": encoding, "events": ["RECEIVED_SMS"],
            "headers": {"X-Receiver-Key": format!("key-{method}"), "X-Other": "1"}
        }))
        .await;
    }
    // Through the HTTP endpoint this time; it answers before the callbacks are done.
    let answer = api
        .post_json(
            "/sandbox/v1/events",
            &json!({"event": "RECEIVED_SMS", "data": {"content": "Hello there", "metadata": {"k": "v"}}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(
        answer.json(),
        json!({"account": loopback::KEY, "webhooks": 5})
    );

    let mut by_method = HashMap::new();
    for _ in 0..cases.len() {
        let received = receiver.next().await;
        by_method.insert(received.method.to_string(), received);
    }
    for (method, encoding, content_type) in cases {
        let received = &by_method[method];
        assert_eq!(received.target, format!("/{method}?encoding={encoding}"));
        assert_eq!(received.header("content-type"), content_type, "{method}");
        assert_eq!(
            received.header("x-receiver-key"),
            Some(&*format!("key-{method}"))
        );
        assert_eq!(received.header("x-other"), Some("1"));
        assert!(
            received.header("x-messagemedia-signature").is_none(),
            "not signed"
        );
    }
    assert!(
        by_method["GET"].body.is_empty(),
        "GET callbacks carry no body"
    );
    assert!(
        by_method["GET"]
            .header("content-length")
            .is_none_or(|l| l == "0")
    );
    let json_body: Value = serde_json::from_slice(&by_method["POST"].body).unwrap();
    assert_eq!(json_body["content"], "Hello there");
    assert_eq!(json_body["metadata"], json!({"k": "v"}));
    let form: HashMap<String, String> =
        serde_urlencoded::from_bytes(&by_method["PUT"].body).unwrap();
    assert_eq!(form["content"], "Hello there");
    let xml = std::str::from_utf8(&by_method["PATCH"].body).unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<content>Hello there</content>"));
    assert!(!by_method["DELETE"].body.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn only_subscribed_webhooks_of_the_events_account_are_called() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[]).await;
    let subscribe = |path: &str, events: Value| json!({"url": format!("{}/{path}", receiver.base), "method": "POST", "encoding": "JSON", "events": events});
    api.create(&subscribe("own-dr", json!(["DELIVERED_DR", "FAILED_DR"])))
        .await;
    api.create(&subscribe("own-sms", json!(["RECEIVED_SMS"])))
        .await;
    api.for_account("other")
        .create(&subscribe("other-dr", json!(["DELIVERED_DR"])))
        .await;

    assert_eq!(
        sandbox
            .trigger_event(event(Event::OptOutSms))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        sandbox.trigger_event(event(Event::FailedDr)).await.unwrap(),
        1
    );
    assert_eq!(
        receiver
            .drain()
            .iter()
            .map(|r| r.target.as_str())
            .collect::<Vec<_>>(),
        ["/own-dr"]
    );
    let mut for_other = event(Event::DeliveredDr);
    for_other.account = Some("other".to_owned());
    assert_eq!(sandbox.trigger_event(for_other).await.unwrap(), 1);
    assert_eq!(
        receiver
            .drain()
            .iter()
            .map(|r| r.target.as_str())
            .collect::<Vec<_>>(),
        ["/other-dr"]
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_events_endpoint_validates_and_authenticates() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let answer = api
        .post_json("/sandbox/v1/events", &json!({"event": "RECEIVED_123"}))
        .await;
    answer.error(StatusCode::BAD_REQUEST);
    let answer = api
        .send(Method::POST, "/sandbox/v1/events", Some(b"nope".to_vec()))
        .await;
    answer.error(StatusCode::BAD_REQUEST);
    let anonymous = Api {
        authorization: None,
        ..api.clone()
    };
    let answer = anonymous
        .post_json("/sandbox/v1/events", &json!({"event": "RECEIVED_SMS"}))
        .await;
    answer.error(StatusCode::UNAUTHORIZED);
    sandbox.shutdown().await;
}
