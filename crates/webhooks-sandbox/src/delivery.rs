//! Simulated events and callback delivery: every subscribed webhook is called with its method,
//! headers and encoding, honouring its read timeout and retries; every attempt is logged.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use webhooks_ergonomic::{CallbackMethod, Event};
use webhooks_template::{EventData, EventDataError, Template, default_template};

use crate::signing::CallbackSigner;
use crate::store::{DeliveryLog, StoredWebhook};

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
    /// `{content_type, content, original_name}`), and the other fields
    /// [`EventData::from_fields`] takes; missing ids and timestamps are generated. A field it
    /// does not know, or a value of the wrong type, rejects the event.
    #[serde(default)]
    pub data: Map<String, Value>,
}

impl SimulatedEvent {
    /// The template variables of this event for `account`.
    pub fn event_data(&self, account: &str) -> Result<EventData, EventDataError> {
        EventData::from_fields(account, self.event, &self.data)
    }
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

/// Delivers callbacks.
#[derive(Debug, Clone)]
pub struct Deliverer {
    pub(crate) http: reqwest::Client,
    pub(crate) log: DeliveryLog,
    /// Multiplies retry delays (1.0 = real time; tests use a small factor).
    pub(crate) time_scale: f64,
    /// The account's enabled signature key, which signs each callback; none: unsigned.
    pub(crate) signer: Option<Arc<CallbackSigner>>,
}

impl Deliverer {
    /// Starts delivering the event of `data` to each of `webhooks` (of `account`) subscribed
    /// to it, signed with `signer` (the account's enabled key when the event happened) or
    /// unsigned, logging each attempt for `account`; returns the tasks, so callers may await
    /// them.
    pub fn deliver(
        &self,
        account: &str,
        data: &EventData,
        webhooks: &[StoredWebhook],
        signer: Option<Arc<CallbackSigner>>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        webhooks
            .iter()
            .filter(|webhook| webhook.events.contains(&data.event))
            .map(|webhook| {
                let this = Deliverer {
                    log: self.log.for_account(account),
                    signer: signer.clone(),
                    ..self.clone()
                };
                let webhook = webhook.clone();
                let data = data.clone();
                tokio::spawn(async move { this.deliver_one(webhook, data).await })
            })
            .collect()
    }

    /// Calls one webhook until it answers 2xx or its retries are spent. The body is rendered
    /// for each attempt, from the webhook's template or the default one of its encoding, so
    /// `$retryCount` counts the retries as the platform's does.
    async fn deliver_one(&self, webhook: StoredWebhook, mut data: EventData) {
        let event = data.event;
        let parsed;
        let template = match webhook.template.as_deref().map(Template::parse) {
            None => default_template(event, webhook.encoding),
            Some(Ok(template)) => {
                parsed = template;
                &parsed
            }
            Some(Err(err)) => {
                let at = now_rfc3339();
                self.log.record(DeliveryAttempt {
                    webhook_id: webhook.id,
                    event,
                    url: webhook.url.clone(),
                    attempt: 1,
                    status: None,
                    error: Some(format!("the webhook's template does not render: {err}")),
                    started_at: at.clone(),
                    finished_at: at,
                });
                return;
            }
        };
        let read_timeout = Duration::from_millis(u64::from(
            webhook.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT_MS),
        ));
        let delay = retry_delay(webhook.retry_delay, self.time_scale);
        for attempt in 1..=webhook.retries + 1 {
            data.retry_count = attempt - 1;
            let started_at = now_rfc3339();
            let rendered = template
                .render(&data)
                .map_err(|err| format!("the webhook's template does not render: {err}"));
            let (status, error) = match rendered.and_then(|body| self.request(&webhook, &body)) {
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
    /// encoding and the body (none for GET), and, with a signing key, the signature headers
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_scale_and_never_panic() {
        assert_eq!(retry_delay(Some(10), 0.001), Duration::from_millis(10));
        assert_eq!(retry_delay(None, 1.0), Duration::from_secs(5));
        assert_eq!(retry_delay(Some(60), 1e300), Duration::from_secs(60));
    }
}
