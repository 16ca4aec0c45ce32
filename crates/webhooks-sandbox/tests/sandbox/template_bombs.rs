//! A template that would render without end (issue 13: one create and one event aborted the
//! sandbox) ends in a delivery-log entry within the render budgets; nothing is sent and the
//! sandbox keeps serving.

use crate::loopback;

use loopback::receiver::Receiver;
use loopback::{Api, start};
use serde_json::{Map, Value, json};
use webhooks_ergonomic::Event;
use webhooks_sandbox::SimulatedEvent;

#[tokio::test]
async fn two_nested_loops_over_15000_metadata_entries_end_in_a_logged_render_error() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[]).await;
    let template = "#foreach($a in $metadata.keySet())#foreach($b in $metadata.keySet())$a#end#end";
    let webhook = api
        .create(&json!({
            "url": format!("{}/bomb", receiver.base), "method": "POST", "encoding": "JSON",
            "events": ["RECEIVED_SMS"], "template": template, "retries": 0
        }))
        .await;
    let metadata: Map<String, Value> = (0..15_000)
        .map(|i| (format!("k{i}"), json!(format!("v{i}"))))
        .collect();
    let mut data = Map::new();
    data.insert("content".into(), json!("hi"));
    data.insert("metadata".into(), Value::Object(metadata));
    let event = SimulatedEvent {
        account: None,
        event: Event::ReceivedSms,
        data,
    };
    assert_eq!(sandbox.trigger_event(event).await.unwrap(), 1);

    assert!(receiver.drain().is_empty(), "nothing may be sent");
    let log = sandbox.deliveries();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].webhook_id, webhook.id);
    assert_eq!(log[0].status, None);
    let error = log[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("does not render") && error.contains("limit"),
        "the log says why: {error}"
    );
    assert_eq!(
        api.list().await.page_data.len(),
        1,
        "the sandbox still serves"
    );
    sandbox.shutdown().await;
}
