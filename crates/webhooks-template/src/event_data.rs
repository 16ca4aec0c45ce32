//! [`EventData`]: the values of one event, as a template sees them.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use webhooks_vocabulary::Event;

/// One MMS attachment (`$attachments` entries: `.contentType`, `.base64`, `.originalName`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventAttachment {
    /// The MIME type, e.g. `image/png` (`$a.contentType`).
    pub content_type: String,
    /// The content, base64-encoded (`$a.base64`).
    pub base64: String,
    /// The file name the sender gave it (`$a.originalName`).
    pub original_name: String,
}

/// The values of one event, for rendering a template ([`Template::render`](super::Template::render)).
///
/// Which variables a template may use depends on [`EventData::event`]: a field set here but
/// not provided by the platform for that event (say `report_id` on `RECEIVED_SMS`) is ignored
/// and the variable renders literally, as the platform renders it.
///
/// Build one with [`EventData::new`] (no values), [`EventData::sample`] (realistic values) or
/// [`EventData::from_fields`] (the fields of a simulated event), then change the public fields.
///
/// ```
/// use webhooks_template::Event;
/// use webhooks_template::{EventData, render};
///
/// let mut data = EventData::sample(Event::DeliveredDr, "MyAccount001");
/// data.metadata.insert("order".into(), "1234".into());
/// let body = render(r#"{"status":"$status","order":"$metadata.get('order')"}"#, &data)?;
/// assert_eq!(body, r#"{"status":"delivered","order":"1234"}"#);
/// # Ok::<(), webhooks_template::TemplateError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventData {
    /// The event; it decides which variables are available.
    pub event: Event,
    /// `$format` / `$type`: the service type (`SMS`, `MMS`).
    pub format: Option<String>,
    /// `$mtId` / `$messageId`.
    pub message_id: Option<String>,
    /// `$drId` / `$reportId` (delivery reports).
    pub report_id: Option<String>,
    /// `$moId` / `$replyId` (replies and inbound messages).
    pub reply_id: Option<String>,
    /// `$notificationId` (opt-outs).
    pub notification_id: Option<String>,
    /// `$accountId`.
    pub account_id: Option<String>,
    /// `$vendorId`.
    pub vendor_id: Option<String>,
    /// `$submittedTimestamp`, rendered in UTC as `2016-12-07T08:43:00.850Z`.
    pub submitted_timestamp: Option<OffsetDateTime>,
    /// `$receivedTimestamp`, rendered like `submitted_timestamp`.
    pub received_timestamp: Option<OffsetDateTime>,
    /// `$status` (delivery reports): `enroute`, `submitted`, `delivered`, `expired`,
    /// `rejected`, `failed`.
    pub status: Option<String>,
    /// `$statusCode` (delivery reports), e.g. `220`.
    pub status_code: Option<u16>,
    /// `$sourceAddress`.
    pub source_address: Option<String>,
    /// `$destinationAddress`.
    pub destination_address: Option<String>,
    /// `$mtContent` / `$messageContent`: the text of the original message.
    pub message_content: Option<String>,
    /// `$moContent` / `$replyContent`: the text of the reply (or `STOP` for an opt-out).
    pub reply_content: Option<String>,
    /// `$retryCount`.
    pub retry_count: u32,
    /// `$billingUnits` (delivery reports).
    pub billing_units: Option<u32>,
    /// `$metadata`: keys and values are strings; iterated in key order.
    pub metadata: BTreeMap<String, String>,
    /// `$attachments` (`RECEIVED_MMS`).
    pub attachments: Vec<EventAttachment>,
}

/// Why [`EventData::from_fields`] rejected a field. `field` is a path such as
/// `/attachments/0/content`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventDataError {
    /// The field is not one [`EventData::from_fields`] knows.
    #[error("{field}: unknown field; expected one of: {}", FIELDS.join(", "))]
    UnknownField {
        /// The field.
        field: String,
    },
    /// The field has the wrong JSON type.
    #[error("{field}: expected {expected}")]
    WrongType {
        /// The field.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A timestamp that is not RFC 3339.
    #[error("{field}: not an RFC 3339 timestamp (like 2016-12-07T08:43:00.850Z)")]
    InvalidTimestamp {
        /// The field.
        field: String,
    },
    /// Attachment content that is not standard base64.
    #[error("{field}: not valid base64")]
    InvalidBase64 {
        /// The field.
        field: String,
    },
}

/// The fields [`EventData::from_fields`] takes.
const FIELDS: [&str; 19] = [
    "message_id",
    "delivery_report_id",
    "reply_id",
    "notification_id",
    "source_number",
    "destination_number",
    "content",
    "original_text",
    "status",
    "status_code",
    "metadata",
    "attachments",
    "date_received",
    "submitted_date",
    "vendor_id",
    "format",
    "retry_count",
    "billing_units",
    "account_id",
];

impl EventData {
    /// Data for `event` with no values at all but the account and a retry count of 0:
    /// every other variable renders literally until its field is set.
    pub fn new(event: Event, account: impl Into<String>) -> EventData {
        EventData {
            event,
            format: None,
            message_id: None,
            report_id: None,
            reply_id: None,
            notification_id: None,
            account_id: Some(account.into()),
            vendor_id: None,
            submitted_timestamp: None,
            received_timestamp: None,
            status: None,
            status_code: None,
            source_address: None,
            destination_address: None,
            message_content: None,
            reply_content: None,
            retry_count: 0,
            billing_units: None,
            metadata: BTreeMap::new(),
            attachments: Vec::new(),
        }
    }

    /// Realistic values for every variable `event` provides: fresh uuids, timestamps of now,
    /// the status and status code of a delivery report, two metadata entries, and one
    /// attachment for `RECEIVED_MMS`.
    pub fn sample(event: Event, account: impl Into<String>) -> EventData {
        let now = now_millis();
        let id = || Some(uuid::Uuid::new_v4().to_string());
        let text = |s: &str| Some(s.to_owned());
        let mut data = EventData::new(event, account);
        data.message_id = id();
        data.received_timestamp = Some(now);
        data.source_address = text("+61491570156");
        data.metadata = BTreeMap::from([
            ("campaign".to_owned(), "spring".to_owned()),
            ("order".to_owned(), "1234".to_owned()),
        ]);
        if event != Event::OptOutSms {
            data.format = text(if event == Event::ReceivedMms {
                "MMS"
            } else {
                "SMS"
            });
            data.vendor_id = text("MessageMedia");
            data.submitted_timestamp = now.checked_sub(time::Duration::SECOND).or(Some(now));
            data.message_content = text("Hi there");
        }
        match event {
            Event::OptOutSms => {
                data.notification_id = id();
                data.destination_address = text("+61491593156");
                data.reply_content = text("STOP");
            }
            Event::ReceivedSms | Event::ReceivedMms => {
                data.reply_id = id();
                data.destination_address = text("+61491593156");
                data.reply_content = text("Hello");
                if event == Event::ReceivedMms {
                    data.attachments = vec![EventAttachment {
                        content_type: "image/png".to_owned(),
                        base64: base64::engine::general_purpose::STANDARD
                            .encode(b"\x89PNG\r\n\x1a\n"),
                        original_name: "photo.png".to_owned(),
                    }];
                }
            }
            dr => {
                let (status, code) = delivery_status(dr);
                data.report_id = id();
                data.status = text(status);
                data.status_code = Some(code);
                data.billing_units = Some(1);
            }
        }
        data
    }

    /// The data of a simulated event: [`EventData::sample`] values, replaced by the `fields`
    /// given. The fields are named as in the default payloads:
    /// `message_id`, `delivery_report_id`, `reply_id`, `notification_id`, `source_number`,
    /// `destination_number`, `content` (the reply), `original_text` (the original message),
    /// `status`, `status_code` (number or numeric string), `metadata` (object of strings),
    /// `attachments` (array of `{content_type, content (base64), original_name}`),
    /// `date_received` and `submitted_date` (RFC 3339), `vendor_id`, `format`,
    /// `retry_count`, `billing_units`, `account_id`. A `null` clears an optional value.
    ///
    /// An unknown field or a value of the wrong type is an [`EventDataError`].
    ///
    /// ```
    /// use serde_json::json;
    /// use webhooks_template::Event;
    /// use webhooks_template::EventData;
    ///
    /// let fields = json!({"content": "Yes please", "metadata": {"order": "42"}});
    /// let data = EventData::from_fields("acct", Event::ReceivedSms, fields.as_object().unwrap())?;
    /// assert_eq!(data.reply_content.as_deref(), Some("Yes please"));
    /// assert!(data.reply_id.is_some(), "missing ids are generated");
    ///
    /// let bad = json!({"status_code": "soon"});
    /// assert!(EventData::from_fields("acct", Event::FailedDr, bad.as_object().unwrap()).is_err());
    /// # Ok::<(), webhooks_template::EventDataError>(())
    /// ```
    pub fn from_fields(
        account: impl Into<String>,
        event: Event,
        fields: &Map<String, Value>,
    ) -> Result<EventData, EventDataError> {
        let mut data = EventData::sample(event, account);
        for (name, value) in fields {
            let field = format!("/{name}");
            match name.as_str() {
                "message_id" => data.message_id = text(&field, value)?,
                "delivery_report_id" => data.report_id = text(&field, value)?,
                "reply_id" => data.reply_id = text(&field, value)?,
                "notification_id" => data.notification_id = text(&field, value)?,
                "source_number" => data.source_address = text(&field, value)?,
                "destination_number" => data.destination_address = text(&field, value)?,
                "content" => data.reply_content = text(&field, value)?,
                "original_text" => data.message_content = text(&field, value)?,
                "status" => data.status = text(&field, value)?,
                "vendor_id" => data.vendor_id = text(&field, value)?,
                "account_id" => data.account_id = text(&field, value)?,
                "format" => data.format = text(&field, value)?,
                "status_code" => data.status_code = number(&field, value)?,
                "billing_units" => data.billing_units = number(&field, value)?,
                "retry_count" => data.retry_count = number(&field, value)?.unwrap_or(0),
                "date_received" => data.received_timestamp = timestamp(&field, value)?,
                "submitted_date" => data.submitted_timestamp = timestamp(&field, value)?,
                "metadata" => data.metadata = metadata(&field, value)?,
                "attachments" => data.attachments = attachments(&field, value)?,
                _ => return Err(EventDataError::UnknownField { field }),
            }
        }
        Ok(data)
    }
}

/// The status and status code a delivery-report event carries by default.
fn delivery_status(event: Event) -> (&'static str, u16) {
    match event {
        Event::EnrouteDr => ("enroute", 211),
        Event::ExpiredDr => ("expired", 401),
        Event::RejectedDr => ("rejected", 402),
        Event::FailedDr => ("failed", 400),
        Event::SubmittedDr => ("submitted", 200),
        _ => ("delivered", 220),
    }
}

/// Now, in UTC, to the millisecond (the precision the platform renders).
fn now_millis() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(u32::from(now.millisecond()) * 1_000_000)
        .unwrap_or(now)
}

fn wrong(field: &str, expected: &'static str) -> EventDataError {
    EventDataError::WrongType {
        field: field.to_owned(),
        expected,
    }
}

fn text(field: &str, value: &Value) -> Result<Option<String>, EventDataError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(wrong(field, "a string or null")),
    }
}

fn number<T: TryFrom<u64>>(field: &str, value: &Value) -> Result<Option<T>, EventDataError> {
    let expected = "a non-negative integer (number or numeric string) or null";
    let n = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.and_then(|n| T::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| wrong(field, expected))
}

fn timestamp(field: &str, value: &Value) -> Result<Option<OffsetDateTime>, EventDataError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|_| {
            EventDataError::InvalidTimestamp {
                field: field.to_owned(),
            }
        }),
        _ => Err(wrong(field, "an RFC 3339 timestamp string or null")),
    }
}

fn metadata(field: &str, value: &Value) -> Result<BTreeMap<String, String>, EventDataError> {
    let object = match value {
        Value::Null => return Ok(BTreeMap::new()),
        Value::Object(object) => object,
        _ => return Err(wrong(field, "an object of strings")),
    };
    object
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) => Ok((key.clone(), s.clone())),
            _ => Err(wrong(&format!("{field}/{key}"), "a string")),
        })
        .collect()
}

fn attachments(field: &str, value: &Value) -> Result<Vec<EventAttachment>, EventDataError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => {
            return Err(wrong(
                field,
                "an array of {content_type, content, original_name}",
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("{field}/{i}");
            let Value::Object(object) = item else {
                return Err(wrong(
                    &at,
                    "an object {content_type, content, original_name}",
                ));
            };
            if let Some(unknown) = object
                .keys()
                .find(|k| !matches!(k.as_str(), "content_type" | "content" | "original_name"))
            {
                return Err(EventDataError::UnknownField {
                    field: format!("{at}/{unknown}"),
                });
            }
            let part = |name: &str| -> Result<String, EventDataError> {
                let path = format!("{at}/{name}");
                match object.get(name) {
                    None | Some(Value::Null) => Ok(String::new()),
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(_) => Err(wrong(&path, "a string")),
                }
            };
            let base64 = part("content")?;
            if base64::engine::general_purpose::STANDARD
                .decode(base64.as_bytes())
                .is_err()
            {
                return Err(EventDataError::InvalidBase64 {
                    field: format!("{at}/content"),
                });
            }
            Ok(EventAttachment {
                content_type: part("content_type")?,
                base64,
                original_name: part("original_name")?,
            })
        })
        .collect()
}

impl fmt::Display for EventAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {} base64 chars)",
            self.original_name,
            self.content_type,
            self.base64.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn samples_fill_what_each_event_provides() {
        let dr = EventData::sample(Event::RejectedDr, "acct");
        assert_eq!(
            (dr.status.as_deref(), dr.status_code),
            (Some("rejected"), Some(402))
        );
        assert!(dr.report_id.is_some() && dr.reply_id.is_none());
        let mms = EventData::sample(Event::ReceivedMms, "acct");
        assert_eq!(mms.attachments.len(), 1);
        assert_eq!(mms.format.as_deref(), Some("MMS"));
        let opt_out = EventData::sample(Event::OptOutSms, "acct");
        assert!(opt_out.notification_id.is_some() && opt_out.reply_id.is_none());
        assert_eq!(opt_out.reply_content.as_deref(), Some("STOP"));
        let a = EventData::sample(Event::ReceivedSms, "acct");
        let b = EventData::sample(Event::ReceivedSms, "acct");
        assert_ne!(a.reply_id, b.reply_id, "ids are fresh");
    }

    #[test]
    fn fields_replace_sample_values() {
        let data = EventData::from_fields(
            "acct",
            Event::ReceivedMms,
            &fields(json!({
                "message_id": "m-1",
                "reply_id": "r-1",
                "content": "Hi \"you\"",
                "date_received": "2016-12-07T08:44:00.850+10:00",
                "metadata": {"b": "2", "a": "1"},
                "attachments": [{"content_type": "text/plain", "content": "dGVzdA==", "original_name": "a.txt"}],
                "status_code": "330",
                "retry_count": 2,
            })),
        )
        .unwrap();
        assert_eq!(data.message_id.as_deref(), Some("m-1"));
        assert_eq!(data.reply_content.as_deref(), Some("Hi \"you\""));
        assert_eq!(
            data.metadata.keys().collect::<Vec<_>>(),
            ["a", "b"],
            "stable key order"
        );
        assert_eq!(data.attachments[0].base64, "dGVzdA==");
        assert_eq!(data.status_code, Some(330));
        assert_eq!(data.retry_count, 2);
        assert_eq!(
            data.received_timestamp.map(|t| t.offset().whole_hours()),
            Some(10)
        );
        let cleared = EventData::from_fields(
            "acct",
            Event::OptOutSms,
            &fields(json!({"message_id": null})),
        )
        .unwrap();
        assert_eq!(cleared.message_id, None);
    }

    #[test]
    fn wrong_input_is_a_typed_error_naming_the_field() {
        let cases = [
            (json!({"content": 5}), "/content"),
            (json!({"status_code": "soon"}), "/status_code"),
            (json!({"status_code": 70000}), "/status_code"),
            (json!({"retry_count": -1}), "/retry_count"),
            (json!({"metadata": ["a"]}), "/metadata"),
            (json!({"metadata": {"k": 1}}), "/metadata/k"),
            (json!({"attachments": {}}), "/attachments"),
            (json!({"attachments": [3]}), "/attachments/0"),
            (
                json!({"attachments": [{"content": "***"}]}),
                "/attachments/0/content",
            ),
            (
                json!({"attachments": [{"name": "x"}]}),
                "/attachments/0/name",
            ),
            (json!({"date_received": "yesterday"}), "/date_received"),
            (json!({"mesage_id": "typo"}), "/mesage_id"),
        ];
        for (input, field) in cases {
            let err = EventData::from_fields("acct", Event::ReceivedMms, &fields(input.clone()))
                .unwrap_err();
            assert!(
                err.to_string().starts_with(field),
                "{input}: {err} does not name {field}"
            );
        }
    }
}
