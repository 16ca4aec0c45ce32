//! Simulated events and callback delivery: every subscribed webhook is called with its method,
//! headers and encoding, honouring its read timeout and retries; every attempt is logged.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;
use webhooks_ergonomic::{CallbackMethod, Encoding, Event};

use crate::signing::CallbackSigner;
use crate::store::StoredWebhook;

/// The platform's documented default read timeout.
pub const DEFAULT_READ_TIMEOUT_MS: u32 = 20_000;
/// The delay between retries when a webhook sets `retries` but no `retry_delay`.
pub const DEFAULT_RETRY_DELAY_SECS: u32 = 5;

/// An event to simulate, as `POST /sandbox/v1/events` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatedEvent {
    /// The account whose webhooks are called (default: the caller's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The event.
    pub event: Event,
    /// Its data: `message_id`, `source_number`, `destination_number`, `content`,
    /// `original_text`, `status`, `status_code`, `metadata` (object), `attachments` (array of
    /// `{content_type, content, original_name}`); missing ids and timestamps are generated.
    #[serde(default)]
    pub data: Map<String, Value>,
}

/// One delivery attempt, as `GET /sandbox/v1/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// The webhook called.
    pub webhook_id: Uuid,
    /// The event delivered.
    pub event: Event,
    /// The URL called.
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The answer's status, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no (successful) answer, when so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the attempt started (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339).
    pub finished_at: String,
}

/// The log of every attempt, shared with the delivery tasks.
#[derive(Debug, Clone, Default)]
pub struct DeliveryLog(Arc<Mutex<Vec<DeliveryAttempt>>>);

impl DeliveryLog {
    /// Every attempt so far, in the order they ended.
    pub fn attempts(&self) -> Vec<DeliveryAttempt> {
        self.0.lock().map(|log| log.clone()).unwrap_or_default()
    }

    fn record(&self, attempt: DeliveryAttempt) {
        if let Ok(mut log) = self.0.lock() {
            log.push(attempt);
        }
    }
}

/// Delivers callbacks.
#[derive(Debug, Clone)]
pub struct Deliverer {
    pub(crate) http: reqwest::Client,
    pub(crate) log: DeliveryLog,
    /// Multiplies retry delays (1.0 = real time; tests use a small factor).
    pub(crate) time_scale: f64,
    /// Signs each callback, when signing is on.
    pub(crate) signer: Option<Arc<CallbackSigner>>,
}

impl Deliverer {
    /// Starts delivering `event` (for `account`) to each of `webhooks` subscribed to it; returns
    /// the tasks, so callers may await them.
    pub fn deliver(
        &self,
        account: &str,
        event: &SimulatedEvent,
        webhooks: &[StoredWebhook],
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let payload = default_payload(account, event);
        webhooks
            .iter()
            .filter(|webhook| webhook.events.contains(&event.event))
            .map(|webhook| {
                let this = self.clone();
                let webhook = webhook.clone();
                let body = encode(&payload, webhook.encoding);
                let event = event.event;
                tokio::spawn(async move { this.deliver_one(webhook, event, body).await })
            })
            .collect()
    }

    async fn deliver_one(&self, webhook: StoredWebhook, event: Event, body: String) {
        let read_timeout = Duration::from_millis(u64::from(
            webhook.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT_MS),
        ));
        let delay = retry_delay(webhook.retry_delay, self.time_scale);
        for attempt in 1..=webhook.retries + 1 {
            let started_at = now_rfc3339();
            let (status, error) = match self.request(&webhook, &body) {
                Err(reason) => (None, Some(reason)),
                Ok(request) => {
                    match tokio::time::timeout(read_timeout, self.http.execute(request)).await {
                        Ok(Ok(response)) => {
                            let status = response.status();
                            let error =
                                (!status.is_success()).then(|| format!("answered {status}"));
                            (Some(status.as_u16()), error)
                        }
                        Ok(Err(err)) => (None, Some(format!("request failed: {err}"))),
                        Err(_) => (
                            None,
                            Some(format!(
                                "no answer within the read timeout of {} ms",
                                read_timeout.as_millis()
                            )),
                        ),
                    }
                }
            };
            let done = error.is_none();
            self.log.record(DeliveryAttempt {
                webhook_id: webhook.id,
                event,
                url: webhook.url.clone(),
                attempt,
                status,
                error,
                started_at,
                finished_at: now_rfc3339(),
            });
            if done {
                return;
            }
            if attempt <= webhook.retries {
                tokio::time::sleep(delay).await;
            }
        }
    }

    /// One attempt's request: the webhook's method and headers, `Content-Type` from its
    /// encoding and the body (none for GET), and, when signing is on, the signature headers
    /// (computed afresh for each attempt, replacing any custom header of the same name).
    fn request(&self, webhook: &StoredWebhook, body: &str) -> Result<reqwest::Request, String> {
        let method = match webhook.method {
            CallbackMethod::Get => reqwest::Method::GET,
            CallbackMethod::Put => reqwest::Method::PUT,
            CallbackMethod::Patch => reqwest::Method::PATCH,
            CallbackMethod::Delete => reqwest::Method::DELETE,
            _ => reqwest::Method::POST,
        };
        let mut builder = self.http.request(method, &webhook.url);
        for (name, value) in &webhook.headers {
            builder = builder.header(name, value);
        }
        let sent_body = if webhook.method.has_body() {
            builder = builder
                .header(http::header::CONTENT_TYPE, webhook.encoding.content_type())
                .body(body.to_owned());
            body.as_bytes()
        } else {
            &[]
        };
        let mut request = builder
            .build()
            .map_err(|err| format!("could not build the request: {err}"))?;
        if let Some(signer) = &self.signer {
            let url = request.url();
            let target = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            };
            let target = target
                .parse::<http::Uri>()
                .map_err(|err| format!("could not sign the request target: {err}"))?;
            let signature = signer
                .sign(request.method(), &target, sent_body, SystemTime::now())
                .map_err(|err| err.to_string())?;
            let headers = request.headers_mut();
            for (name, value) in signature.headers() {
                let value = http::HeaderValue::from_str(&value)
                    .map_err(|_| format!("could not set the {name} header"))?;
                headers.insert(name, value);
            }
        }
        Ok(request)
    }
}

/// The delay between attempts: the webhook's `retry_delay` (or the default) times `scale`.
fn retry_delay(retry_delay: Option<u32>, scale: f64) -> Duration {
    let secs = f64::from(retry_delay.unwrap_or(DEFAULT_RETRY_DELAY_SECS));
    Duration::try_from_secs_f64(secs * scale).unwrap_or(Duration::from_secs_f64(secs))
}

fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

fn rfc3339(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The event's default payload (the shape the vendor's sample templates produce).
pub fn default_payload(account: &str, event: &SimulatedEvent) -> Value {
    let data = &event.data;
    let text = |key: &str, fallback: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .unwrap_or(fallback)
            .to_owned()
    };
    let id = |key: &str| text(key, &Uuid::new_v4().to_string());
    let now = now_rfc3339();
    let metadata = data
        .get("metadata")
        .filter(|m| m.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    match event.event {
        Event::ReceivedSms | Event::ReceivedMms => {
            let mut payload = json!({
                "account_id": account,
                "reply_id": id("reply_id"),
                "destination_number": text("destination_number", "+61491570156"),
                "source_number": text("source_number", "+61491570157"),
                "date_received": text("date_received", &now),
                "message_id": id("message_id"),
                "content": text("content", "Hello"),
                "metadata": metadata,
            });
            if event.event == Event::ReceivedMms {
                payload["attachments"] = data
                    .get("attachments")
                    .filter(|a| a.is_array())
                    .cloned()
                    .unwrap_or_else(|| json!([]));
            }
            payload
        }
        Event::OptOutSms => json!({
            "notification_id": id("notification_id"),
            "account_id": account,
            "destination_number": text("destination_number", "+61491570156"),
            "source_number": text("source_number", "+61491570157"),
            "date_received": text("date_received", &now),
            "message_id": id("message_id"),
            "content": text("content", "STOP"),
            "metadata": metadata,
        }),
        dr => {
            let (status, code) = match dr {
                Event::EnrouteDr => ("enroute", "211"),
                Event::ExpiredDr => ("expired", "401"),
                Event::RejectedDr => ("rejected", "402"),
                Event::FailedDr => ("failed", "400"),
                Event::SubmittedDr => ("submitted", "200"),
                _ => ("delivered", "220"),
            };
            json!({
                "delivery_report_id": id("delivery_report_id"),
                "source_number": text("source_number", "+61491570156"),
                "date_received": text("date_received", &now),
                "status": text("status", status),
                "delay": "0",
                "submitted_date": text("submitted_date", &now),
                "message_id": id("message_id"),
                "original_text": text("original_text", "Hi there"),
                "vendor_account_id": {"vendor_id": "MessageMedia", "account_id": account},
                "error_code": text("status_code", code),
                "metadata": metadata,
            })
        }
    }
}

/// The payload in the webhook's encoding.
pub fn encode(payload: &Value, encoding: Encoding) -> String {
    let scalar = |value: &Value| {
        value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned)
    };
    let fields = payload.as_object().cloned().unwrap_or_default();
    match encoding {
        Encoding::FormEncoded => {
            let pairs: Vec<(String, String)> =
                fields.iter().map(|(k, v)| (k.clone(), scalar(v))).collect();
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        }
        Encoding::Xml => {
            let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><callback>");
            for (key, value) in &fields {
                xml.push_str(&format!("<{key}>{}</{key}>", escape_xml(&scalar(value))));
            }
            xml.push_str("</callback>");
            xml
        }
        _ => payload.to_string(),
    }
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: Event) -> SimulatedEvent {
        SimulatedEvent {
            account: None,
            event: kind,
            data: Map::new(),
        }
    }

    #[test]
    fn default_payloads_have_the_documented_shapes() {
        let keys = |kind| {
            let mut keys: Vec<String> = default_payload("acct", &event(kind))
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            keys.sort();
            keys.join(",")
        };
        assert_eq!(
            keys(Event::ReceivedSms),
            "account_id,content,date_received,destination_number,message_id,metadata,reply_id,source_number"
        );
        assert!(keys(Event::ReceivedMms).contains("attachments"));
        assert!(keys(Event::OptOutSms).starts_with("account_id,content,date_received,destination_number,message_id,metadata,notification_id"));
        let dr = default_payload("acct", &event(Event::FailedDr));
        assert_eq!(
            (dr["status"].as_str(), dr["error_code"].as_str()),
            (Some("failed"), Some("400"))
        );
        assert_eq!(dr["vendor_account_id"]["account_id"], "acct");
    }

    #[test]
    fn encodings() {
        let payload = json!({"a": "x&y", "n": 1});
        assert_eq!(encode(&payload, Encoding::Json), r#"{"a":"x&y","n":1}"#);
        assert_eq!(encode(&payload, Encoding::FormEncoded), "a=x%26y&n=1");
        assert!(encode(&payload, Encoding::Xml).contains("<a>x&amp;y</a><n>1</n>"));
    }

    #[test]
    fn retry_delays_scale_and_never_panic() {
        assert_eq!(retry_delay(Some(10), 0.001), Duration::from_millis(10));
        assert_eq!(retry_delay(None, 1.0), Duration::from_secs(5));
        assert_eq!(retry_delay(Some(60), 1e300), Duration::from_secs(60));
    }
}
