//! Request-body validation, field by field, with the API's `"/<path>: <reason>"` details.
//!
//! Bodies are read as JSON values, not typed structs, so that a wrong type is a 400 naming the
//! field rather than a generic decoding failure. The rules themselves are the ones the client
//! checks ([`webhooks_ergonomic::rules`]): one set of rules on both sides.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::str::FromStr;

use serde_json::{Map, Value};
use webhooks_ergonomic::{CallbackMethod, Encoding, Event, rules};

/// The fields of a valid create request.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub method: CallbackMethod,
    pub encoding: Encoding,
    pub events: Vec<Event>,
    pub headers: BTreeMap<String, String>,
    pub template: Option<String>,
    pub read_timeout: Option<u32>,
    pub retries: u32,
    pub retry_delay: Option<u32>,
}

/// The fields of a valid update request (absent = unchanged).
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub url: Option<String>,
    pub method: Option<CallbackMethod>,
    pub encoding: Option<Encoding>,
    pub events: Option<Vec<Event>>,
    pub headers: Option<BTreeMap<String, String>>,
    pub template: Option<String>,
}

/// Collects every problem of one body.
struct Checker<'a> {
    body: &'a Map<String, Value>,
    details: Vec<String>,
}

impl<'a> Checker<'a> {
    fn field(&self, name: &str) -> Option<&'a Value> {
        self.body.get(name).filter(|value| !value.is_null())
    }

    fn fail(&mut self, path: &str, reason: impl AsRef<str>) {
        self.details.push(format!("/{path}: {}", reason.as_ref()));
    }

    fn string(&mut self, name: &str) -> Option<&'a str> {
        let value = self.field(name)?;
        let text = value.as_str();
        if text.is_none() {
            self.fail(name, "must be a string");
        }
        text
    }

    fn url(&mut self) -> Option<String> {
        let url = self.string("url")?;
        match rules::check_url(url) {
            Ok(()) => Some(url.to_owned()),
            Err(reason) => {
                self.fail("url", format!("Not a valid http url ({reason})"));
                None
            }
        }
    }

    fn choice<T: FromStr>(&mut self, name: &str) -> Option<T> {
        let text = self.string(name)?;
        let parsed = text.parse().ok();
        if parsed.is_none() {
            self.fail(name, format!("[{text}] is invalid"));
        }
        parsed
    }

    fn events(&mut self) -> Option<Vec<Event>> {
        let value = self.field("events")?;
        let Some(items) = value.as_array() else {
            self.fail("events", "must be an array");
            return None;
        };
        if items.is_empty() {
            self.fail("events", "at least one event is required");
            return None;
        }
        let before = self.details.len();
        let mut events = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match item.as_str().map(str::parse::<Event>) {
                Some(Ok(event)) if !events.contains(&event) => events.push(event),
                Some(Ok(_)) => {}
                _ => self.fail(
                    &format!("events/{index}"),
                    format!("[{}] is invalid", plain(item)),
                ),
            }
        }
        (self.details.len() == before).then_some(events)
    }

    fn headers(&mut self) -> Option<BTreeMap<String, String>> {
        let value = self.field("headers")?;
        let Some(object) = value.as_object() else {
            self.fail("headers", "must be an object of strings");
            return None;
        };
        let mut headers = BTreeMap::new();
        let before = self.details.len();
        for (name, value) in object {
            let path = format!("headers/{}", name.replace('~', "~0").replace('/', "~1"));
            let Some(value) = value.as_str() else {
                self.fail(&path, "must be a string");
                continue;
            };
            let single = BTreeMap::from([(name.clone(), value.to_owned())]);
            match rules::check_headers(&single) {
                Ok(()) => {
                    headers.insert(name.clone(), value.to_owned());
                }
                Err((_, reason)) => self.fail(&path, reason),
            }
        }
        (self.details.len() == before).then_some(headers)
    }

    fn number(&mut self, name: &str, range: RangeInclusive<u32>) -> Option<u32> {
        let value = self.field(name)?;
        let number = value.as_u64().and_then(|n| u32::try_from(n).ok());
        match number.map(|n| rules::check_range(n, &range).map(|()| n)) {
            Some(Ok(n)) => Some(n),
            _ => {
                self.fail(
                    name,
                    format!(
                        "must be an integer between {} and {}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    fn required(&mut self, name: &str) {
        if !self.body.contains_key(name) {
            self.fail(name, "is required");
        }
    }

    /// A required field must carry a value; `null` is not one. (An optional field sent as
    /// `null` is absent: the vendor's SDKs send every unset field that way.)
    fn no_nulls(&mut self, names: &[&str]) {
        for name in names {
            if self.body.get(*name).is_some_and(Value::is_null) {
                self.fail(name, "must not be null");
            }
        }
    }
}

/// The fields a create body must carry, none of them null.
const REQUIRED_FIELDS: [&str; 4] = ["url", "method", "encoding", "events"];

fn plain(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

fn object(body: &Value) -> Result<&Map<String, Value>, Vec<String>> {
    body.as_object()
        .ok_or_else(|| vec!["/: the body must be a JSON object".to_owned()])
}

/// Validates a create body.
pub fn create(body: &Value) -> Result<NewWebhook, Vec<String>> {
    let mut check = Checker {
        body: object(body)?,
        details: Vec::new(),
    };
    for name in REQUIRED_FIELDS {
        check.required(name);
    }
    check.no_nulls(&REQUIRED_FIELDS);
    let url = check.url();
    let method = check.choice::<CallbackMethod>("method");
    let encoding = check.choice::<Encoding>("encoding");
    let events = check.events();
    let headers = check.headers();
    let template = check.string("template").map(str::to_owned);
    let read_timeout = check.number("read_timeout", rules::READ_TIMEOUT_MS);
    let retries = check.number("retries", rules::RETRIES);
    let retry_delay = check.number("retry_delay", rules::RETRY_DELAY_SECS);
    match (url, method, encoding, events) {
        (Some(url), Some(method), Some(encoding), Some(events)) if check.details.is_empty() => {
            Ok(NewWebhook {
                url,
                method,
                encoding,
                events,
                headers: headers.unwrap_or_default(),
                template,
                read_timeout,
                retries: retries.unwrap_or(0),
                retry_delay,
            })
        }
        _ => Err(check.details),
    }
}

/// Validates an update body.
pub fn update(body: &Value) -> Result<Patch, Vec<String>> {
    let map = object(body)?;
    let mut check = Checker {
        body: map,
        details: Vec::new(),
    };
    for name in ["read_timeout", "retries", "retry_delay"] {
        if check.field(name).is_some() {
            check.fail(name, "can only be set when the webhook is created");
        }
    }
    let patch = Patch {
        url: check.url(),
        method: check.choice("method"),
        encoding: check.choice("encoding"),
        events: check.events(),
        headers: check.headers(),
        template: check.string("template").map(str::to_owned),
    };
    let nothing = ["url", "method", "encoding", "events", "headers", "template"]
        .iter()
        .all(|name| check.field(name).is_none());
    if nothing && check.details.is_empty() {
        check.fail(
            "",
            "at least one of url, method, encoding, events, headers, template is required",
        );
    }
    if check.details.is_empty() {
        Ok(patch)
    } else {
        Err(check.details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn details(body: Value) -> Vec<String> {
        create(&body).unwrap_err()
    }

    #[test]
    fn a_valid_create_passes_with_defaults() {
        let webhook = create(&json!({"url": "https://e.com/h", "method": "POST", "encoding": "JSON", "events": ["RECEIVED_SMS"]})).unwrap();
        assert_eq!(webhook.retries, 0);
        assert!(webhook.headers.is_empty() && webhook.read_timeout.is_none());
    }

    #[test]
    fn each_rule_names_its_field() {
        let base = json!({"url": "https://e.com/h", "method": "POST", "encoding": "JSON", "events": ["RECEIVED_SMS"]});
        let with = |key: &str, value: Value| {
            let mut body = base.clone();
            body[key] = value;
            body
        };
        let cases = [
            (
                with("url", json!("ftp://e.com")),
                "/url: Not a valid http url",
            ),
            (
                with("url", json!("https://-e.com")),
                "/url: Not a valid http url",
            ),
            (with("url", json!(7)), "/url: must be a string"),
            (with("method", json!("HEAD")), "/method: [HEAD] is invalid"),
            (
                with("encoding", json!("YAML")),
                "/encoding: [YAML] is invalid",
            ),
            (
                with("events", json!([])),
                "/events: at least one event is required",
            ),
            (
                with("events", json!(["RECEIVED_SMS", "RECEIVED_123"])),
                "/events/1: [RECEIVED_123] is invalid",
            ),
            (
                with("headers", json!({"content-type": "x"})),
                "/headers/content-type: must not be set",
            ),
            (
                with("headers", json!({"k": "v".repeat(1001)})),
                "/headers/k: value must be at most 1000",
            ),
            (
                with("read_timeout", json!(0)),
                "/read_timeout: must be an integer between 1 and 60000",
            ),
            (
                with("retries", json!(6)),
                "/retries: must be an integer between 0 and 5",
            ),
            (
                with("retry_delay", json!("10")),
                "/retry_delay: must be an integer between 5 and 60",
            ),
        ];
        for (body, expected) in cases {
            let got = details(body);
            assert!(
                got.iter().any(|d| d.starts_with(expected)),
                "expected {expected}, got {got:?}"
            );
        }
        let got = details(json!({}));
        assert_eq!(
            got,
            [
                "/url: is required",
                "/method: is required",
                "/encoding: is required",
                "/events: is required"
            ]
        );
    }

    #[test]
    fn optional_create_fields_sent_as_null_are_absent() {
        let webhook = create(&json!({"url": "https://e.com/h", "method": "POST", "encoding": "JSON", "events": ["RECEIVED_SMS"], "headers": null, "template": null, "read_timeout": null, "retries": null, "retry_delay": null})).unwrap();
        assert!(webhook.headers.is_empty() && webhook.template.is_none());
        assert_eq!(
            (webhook.read_timeout, webhook.retries, webhook.retry_delay),
            (None, 0, None)
        );
        assert_eq!(
            create(&json!({"url": null, "method": "POST", "encoding": null, "events": ["RECEIVED_SMS"]})).unwrap_err(),
            ["/url: must not be null", "/encoding: must not be null"]
        );
    }

    #[test]
    fn update_rules() {
        assert!(
            update(&json!({"url": "https://e.com/2"}))
                .unwrap()
                .url
                .is_some()
        );
        assert!(update(&json!({})).unwrap_err()[0].contains("at least one"));
        let patch =
            update(&json!({"url": null, "template": null, "events": ["RECEIVED_SMS"]})).unwrap();
        assert!(patch.url.is_none() && patch.template.is_none() && patch.events.is_some());
        assert!(
            update(&json!({"url": null, "method": null, "encoding": null, "events": null, "headers": null, "template": null}))
                .unwrap_err()[0]
                .contains("at least one"),
            "an update of nothing but nulls changes nothing and is rejected"
        );
        assert!(update(&json!({"retries": null, "url": "https://e.com"})).is_ok());
        assert_eq!(
            create(&json!({"url": "https://e.com", "method": "POST", "encoding": "JSON", "events": null})).unwrap_err(),
            ["/events: must not be null"]
        );
        assert_eq!(
            update(&json!({"events": []})).unwrap_err(),
            ["/events: at least one event is required"]
        );
        assert!(
            update(&json!({"retries": 1, "url": "https://e.com"})).unwrap_err()[0]
                .starts_with("/retries:")
        );
        assert!(update(&json!([1])).is_err());
    }
}
