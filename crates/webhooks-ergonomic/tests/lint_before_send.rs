//! The client builders lint a template before sending: strict mode turns findings into a
//! validation error and sends nothing; otherwise the findings come back with the webhook.
#![cfg(feature = "template")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use webhooks_ergonomic::callbacks::template::{FindingKind, default_template};
use webhooks_ergonomic::{Client, Encoding, Error, Event};

struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// Answers each request with the next of `bodies` (status `status`); 500 once they run out.
    async fn start(status: u16, bodies: Vec<String>) -> Recorder {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let queue = Arc::new(Mutex::new(VecDeque::from(bodies)));
        let record = Arc::clone(&seen);
        let app = axum::Router::new().fallback(move |body: String| {
            let record = Arc::clone(&record);
            let queue = Arc::clone(&queue);
            async move {
                record.lock().unwrap().push(body);
                match queue.lock().unwrap().pop_front() {
                    Some(body) => (
                        StatusCode::from_u16(status).unwrap(),
                        [("content-type", "application/json")],
                        body,
                    )
                        .into_response(),
                    None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Recorder { url, seen }
    }

    fn client(&self) -> Client {
        Client::builder()
            .base_url(&self.url)
            .credentials("key", "secret")
            .build()
            .unwrap()
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

const BAD: &str = "{\"id\": \"$drId\", \"text\": \"$moContent\"}";

const ID: &str = "76fa7010-8c1f-4a24-917a-4d62a54e744d";

fn webhook(template: &str) -> String {
    json!({
        "id": ID, "url": "https://example.com/hook", "method": "POST", "encoding": "JSON",
        "headers": {}, "events": ["RECEIVED_SMS"], "retries": 0, "template": template
    })
    .to_string()
}

#[tokio::test]
async fn strict_mode_turns_findings_into_a_validation_error_and_sends_nothing() {
    let server = Recorder::start(201, vec![webhook(BAD)]).await;
    let client = server.client();
    let err = client
        .webhooks()
        .create()
        .url("https://example.com/hook")
        .event(Event::ReceivedSms)
        .template(BAD)
        .strict_template(true)
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Validation { field, reason } => {
            assert_eq!(field, "template");
            assert!(reason.contains("line 1, column 9"), "{reason}");
            assert!(reason.contains("$drId"), "{reason}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let err = client
        .webhooks()
        .update(ID.parse().unwrap())
        .template("#if($status)")
        .strict_template(true)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { field, reason } if field == "template" && reason.contains("never closed")),
        "{err:?}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn without_strict_mode_findings_come_back_with_the_webhook() {
    let server = Recorder::start(201, vec![webhook(BAD), webhook(BAD)]).await;
    let client = server.client();
    let (created, findings) = client
        .webhooks()
        .create()
        .url("https://example.com/hook")
        .event(Event::ReceivedSms)
        .template(BAD)
        .send_with_findings()
        .await
        .unwrap();
    assert_eq!(created.template.as_deref(), Some(BAD));
    let kinds: Vec<FindingKind> = findings.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FindingKind::UnavailableVariable,
            FindingKind::UnescapedValue
        ]
    );
    let sent: Value = serde_json::from_str(&server.requests()[0]).unwrap();
    assert_eq!(sent["template"], BAD, "the template is sent as given");

    // `send` keeps returning just the webhook; a clean template has no findings.
    let builder = client
        .webhooks()
        .create()
        .url("https://example.com/hook")
        .event(Event::ReceivedSms)
        .template(default_template(Event::ReceivedSms, Encoding::Json));
    assert_eq!(builder.template_findings(), []);
    let webhook = builder.send().await.unwrap();
    assert_eq!(webhook.id.to_string(), ID);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn an_update_without_events_is_linted_only_for_what_holds_on_every_event() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .credentials("key", "secret")
        .build()
        .unwrap();
    let id = ID.parse().unwrap();
    let kinds = |findings: Vec<webhooks_ergonomic::callbacks::template::Finding>| {
        findings.into_iter().map(|f| f.kind).collect::<Vec<_>>()
    };
    // `$drId` exists (for delivery reports) and `$moContent` is unescaped, but without the
    // events neither can be judged; an unknown variable can.
    let update = client
        .webhooks()
        .update(id)
        .template("{\"a\": \"$drId $moContent $nope\"}");
    assert_eq!(
        kinds(update.template_findings()),
        [FindingKind::UnknownVariable]
    );
    let update = update.events([Event::ReceivedSms]);
    assert_eq!(
        kinds(update.template_findings()),
        [
            FindingKind::UnavailableVariable,
            FindingKind::UnknownVariable
        ]
    );
    let update = update.encoding(Encoding::Json);
    assert_eq!(
        kinds(update.template_findings()),
        [
            FindingKind::UnavailableVariable,
            FindingKind::UnescapedValue,
            FindingKind::UnknownVariable
        ]
    );
}
