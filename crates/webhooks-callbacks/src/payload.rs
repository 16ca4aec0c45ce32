//! The typed events: [`Callback`] and its four shapes, read from the fields of a callback body.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::body::{self, FieldRef, Fields, Raw, VENDOR_MEMBERS};
use super::ids::{
    AccountId, DeliveryReportId, MessageId, NotificationId, PhoneNumber, ReplyId, VendorId,
};
use super::scan::Text;
use super::status::{DeliveryStatus, DeliveryStatusCode};

/// The metadata of the original message (field `metadata`, template variable `$metadata`): keys
/// and values are strings. Values that arrive as numbers, booleans or JSON structures are kept
/// as their JSON text.
pub type Metadata = BTreeMap<String, String>;

/// Fields a callback carried that its type does not name, exactly as received (for a custom
/// template's additions such as `$retryCount`, or the deprecated `delay` of delivery reports).
pub type ExtraFields = Map<String, Value>;

/// A callback MessageMedia sent to your URL, typed.
///
/// # Which variant
/// The template decides a callback's shape, so the variant is decided by the id fields the
/// body carries (present = not null and not empty), in this order:
///
/// 1. `delivery_report_id` → [`Callback::DeliveryReport`] (the six `*_DR` events);
/// 2. `notification_id` → [`Callback::OptOut`] (`OPT_OUT_SMS`);
/// 3. `reply_id` and `attachments` (even an empty list) → [`Callback::InboundMms`]
///    (`RECEIVED_MMS`);
/// 4. `reply_id` → [`Callback::InboundSms`] (`RECEIVED_SMS`);
/// 5. none of these → [`ParseError::UnknownShape`].
///
/// An MMS without media, rendered by the vendor's sample template, carries `content` instead
/// of `attachments` and so reads as an [`InboundSms`], which it is indistinguishable from. An
/// opt-out rendered with the reply template carries the literal text `$replyId` (that variable
/// does not exist for opt-outs) and reads as an [`InboundSms`] whose id is that text; give
/// opt-out webhooks a template with `$notificationId`.
///
/// Every other field is optional (absent, `null` or empty reads as `None`) and unknown fields
/// are kept in `extra`.
///
/// ```
/// use webhooks_callbacks::{Callback, DeliveryStatus};
///
/// let body = br#"{"delivery_report_id":"01e1fa0a-6e27-4945-9cdb-18644b4de043",
///                 "status":"delivered","error_code":"220","metadata":{"order":"42"}}"#;
/// match Callback::parse("application/json", body)? {
///     Callback::DeliveryReport(report) => {
///         assert_eq!(report.status, Some(DeliveryStatus::Delivered));
///         assert_eq!(report.metadata["order"], "42");
///     }
///     other => panic!("not a delivery report: {other:?}"),
/// }
/// # Ok::<(), webhooks_callbacks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Callback {
    /// A delivery report (`ENROUTE_DR`, `SUBMITTED_DR`, `DELIVERED_DR`, `EXPIRED_DR`,
    /// `REJECTED_DR`, `FAILED_DR`).
    DeliveryReport(DeliveryReport),
    /// An inbound SMS or SMS reply (`RECEIVED_SMS`).
    InboundSms(InboundSms),
    /// An inbound MMS with its attachments (`RECEIVED_MMS`).
    InboundMms(InboundMms),
    /// An opt-out notification (`OPT_OUT_SMS`).
    OptOut(OptOut),
}

impl Callback {
    /// Reads a callback body.
    ///
    /// `content_type` is the request's `Content-Type` (`""` when it had none):
    /// `application/json` (also `text/json` and `+json` types) or
    /// `application/x-www-form-urlencoded`, parameters such as `; charset=utf-8` ignored; with
    /// no content type the body is read as JSON when it starts with `{`, as a form otherwise.
    /// In a form body, `metadata`, `vendor_account_id` and `attachments` are JSON text (or, for
    /// the first two, bracketed keys such as `metadata[order]=42`). XML bodies are not read:
    /// [`ParseError::UnsupportedContentType`].
    ///
    /// The variant follows the rule in the [type documentation](Callback#which-variant).
    ///
    /// Untrusted input is welcome: time and memory grow in proportion to the body, JSON nested
    /// deeper than serde_json reads (127 levels, the body's own object counted) is
    /// [`ParseError::InvalidJson`], and a bracketed form array holds at most 100 items. The
    /// size of the body is the caller's limit (the axum extractor keeps the route's).
    pub fn parse(content_type: &str, body: &[u8]) -> Result<Callback, ParseError> {
        Callback::read(body::fields(content_type, body)?)
    }

    /// Reads a callback from fields already decoded (a JSON object's members).
    pub fn from_fields(fields: Map<String, Value>) -> Result<Callback, ParseError> {
        Callback::read(Fields::from(fields))
    }

    fn read(mut fields: Fields<'_>) -> Result<Callback, ParseError> {
        let fields = &mut fields;
        if fields.has("delivery_report_id") {
            DeliveryReport::read(fields).map(Callback::DeliveryReport)
        } else if fields.has("notification_id") {
            OptOut::read(fields).map(Callback::OptOut)
        } else if fields.has("reply_id") && fields.get("attachments").is_some() {
            InboundMms::read(fields).map(Callback::InboundMms)
        } else if fields.has("reply_id") {
            InboundSms::read(fields).map(Callback::InboundSms)
        } else {
            Err(ParseError::UnknownShape {
                fields: fields.names(),
            })
        }
    }

    /// The id of the message the callback is about (`message_id`), when it carried one.
    pub fn message_id(&self) -> Option<&MessageId> {
        match self {
            Callback::DeliveryReport(c) => c.message_id.as_ref(),
            Callback::InboundSms(c) => c.message_id.as_ref(),
            Callback::InboundMms(c) => c.message_id.as_ref(),
            Callback::OptOut(c) => c.message_id.as_ref(),
        }
    }

    /// The metadata of the original message (`metadata`; empty when absent).
    pub fn metadata(&self) -> &Metadata {
        match self {
            Callback::DeliveryReport(c) => &c.metadata,
            Callback::InboundSms(c) => &c.metadata,
            Callback::InboundMms(c) => &c.metadata,
            Callback::OptOut(c) => &c.metadata,
        }
    }

    /// When the platform received what the callback reports (`date_received`), when it said.
    pub fn date_received(&self) -> Option<OffsetDateTime> {
        match self {
            Callback::DeliveryReport(c) => c.date_received,
            Callback::InboundSms(c) => c.date_received,
            Callback::InboundMms(c) => c.date_received,
            Callback::OptOut(c) => c.date_received,
        }
    }

    /// The fields the callback carried beyond those its type names.
    pub fn extra(&self) -> &ExtraFields {
        match self {
            Callback::DeliveryReport(c) => &c.extra,
            Callback::InboundSms(c) => &c.extra,
            Callback::InboundMms(c) => &c.extra,
            Callback::OptOut(c) => &c.extra,
        }
    }
}

/// A delivery report: the status of a message you sent (events `*_DR`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// `delivery_report_id` (`$drId`): the report's id.
    pub delivery_report_id: DeliveryReportId,
    /// `message_id` (`$messageId`): the message the report is about.
    pub message_id: Option<MessageId>,
    /// `source_number` (`$sourceAddress`): where the report came from.
    pub source_number: Option<PhoneNumber>,
    /// `date_received` (`$receivedTimestamp`): when the report was generated.
    pub date_received: Option<OffsetDateTime>,
    /// `submitted_date` (`$submittedTimestamp`): when the message's status changed (for a
    /// delivered message, possibly when the handset received it).
    pub submitted_date: Option<OffsetDateTime>,
    /// `status` (`$status`).
    pub status: Option<DeliveryStatus>,
    /// `error_code` (`$statusCode`), despite its name the status code of every report.
    pub status_code: Option<DeliveryStatusCode>,
    /// `original_text` (`$mtContent`): the text of the message you sent.
    pub original_text: Option<String>,
    /// `vendor_account_id` (`{vendor_id, account_id}`): who handled the message.
    pub vendor_account: Option<VendorAccount>,
    /// `metadata` (`$metadata`) of the message you sent.
    pub metadata: Metadata,
    /// Any other field, such as the deprecated `delay` (always `"0"`).
    pub extra: ExtraFields,
}

/// The vendor and account of a delivery report (field `vendor_account_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VendorAccount {
    /// `vendor_id` (`$vendorId`).
    pub vendor_id: Option<VendorId>,
    /// `account_id` (`$accountId`): the account that sent the original message.
    pub account_id: Option<AccountId>,
}

/// An inbound SMS: a reply to a message you sent, or a message to your number (`RECEIVED_SMS`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InboundSms {
    /// `reply_id` (`$replyId`): the inbound message's id.
    pub reply_id: ReplyId,
    /// `message_id` (`$messageId`): the message replied to.
    pub message_id: Option<MessageId>,
    /// `account_id` (`$accountId`): the account that received it.
    pub account_id: Option<AccountId>,
    /// `source_number` (`$sourceAddress`): who sent it.
    pub source_number: Option<PhoneNumber>,
    /// `destination_number` (`$destinationAddress`): the number it was sent to.
    pub destination_number: Option<PhoneNumber>,
    /// `date_received` (`$receivedTimestamp`).
    pub date_received: Option<OffsetDateTime>,
    /// `content` (`$moContent`): the text.
    pub content: Option<String>,
    /// `metadata` (`$metadata`) of the message replied to.
    pub metadata: Metadata,
    /// Any other field.
    pub extra: ExtraFields,
}

/// An inbound MMS with its media (`RECEIVED_MMS`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InboundMms {
    /// `reply_id` (`$replyId`): the inbound message's id.
    pub reply_id: ReplyId,
    /// `message_id` (`$messageId`): the message replied to.
    pub message_id: Option<MessageId>,
    /// `account_id` (`$accountId`): the account that received it.
    pub account_id: Option<AccountId>,
    /// `source_number` (`$sourceAddress`): who sent it.
    pub source_number: Option<PhoneNumber>,
    /// `destination_number` (`$destinationAddress`): the number it was sent to.
    pub destination_number: Option<PhoneNumber>,
    /// `date_received` (`$receivedTimestamp`).
    pub date_received: Option<OffsetDateTime>,
    /// `attachments` (`$attachments`): the media.
    pub attachments: Vec<Attachment>,
    /// `content` (`$moContent`): the text, when the template sends it (the vendor's sample
    /// template sends it only for messages without media).
    pub content: Option<String>,
    /// `metadata` (`$metadata`) of the message replied to.
    pub metadata: Metadata,
    /// Any other field.
    pub extra: ExtraFields,
}

/// One media attachment of an inbound MMS (an entry of `attachments`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attachment {
    /// `content_type` (`$entry.contentType`), e.g. `image/png`.
    pub content_type: Option<String>,
    /// `original_name` (`$entry.originalName`), e.g. `file.png`.
    pub original_name: Option<String>,
    /// `content` (`$entry.base64`): the media as base64 text, undecoded (see
    /// [`Attachment::decode`]).
    pub content: String,
}

impl Attachment {
    /// The media's bytes, decoded from base64 (standard alphabet; padding optional; line
    /// breaks and other ASCII whitespace ignored).
    pub fn decode(&self) -> Result<Vec<u8>, DecodeAttachmentError> {
        let compact: Vec<u8> = self
            .content
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        BASE64.decode(compact).map_err(|err| DecodeAttachmentError {
            original_name: self.original_name.clone(),
            reason: err.to_string(),
        })
    }
}

/// An opt-out: a recipient asked to receive no more messages (`OPT_OUT_SMS`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OptOut {
    /// `notification_id` (`$notificationId`): the notification's id.
    pub notification_id: NotificationId,
    /// `message_id` (`$messageId`): the message replied to; absent when the opt-out was
    /// unsolicited.
    pub message_id: Option<MessageId>,
    /// `account_id` (`$accountId`): the account that received it.
    pub account_id: Option<AccountId>,
    /// `source_number` (`$sourceAddress`): who opted out.
    pub source_number: Option<PhoneNumber>,
    /// `destination_number` (`$destinationAddress`): the number they wrote to.
    pub destination_number: Option<PhoneNumber>,
    /// `date_received` (`$receivedTimestamp`).
    pub date_received: Option<OffsetDateTime>,
    /// `content` (`$moContent`): the opt-out text, e.g. `STOP`.
    pub content: Option<String>,
    /// `metadata` (`$metadata`) of the message replied to.
    pub metadata: Metadata,
    /// Any other field.
    pub extra: ExtraFields,
}

/// Why a callback body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The `Content-Type` is neither JSON nor form-encoded.
    #[error("unsupported callback content type `{content_type}`; expected JSON or form-encoded")]
    UnsupportedContentType {
        /// The content type received.
        content_type: String,
    },
    /// The body is empty.
    #[error("the callback body is empty")]
    EmptyBody,
    /// The body is not valid JSON.
    #[error("the callback body is not valid JSON: {reason}")]
    InvalidJson {
        /// The JSON parser's message.
        reason: String,
    },
    /// The body is JSON but not an object.
    #[error("the callback body is not a JSON object")]
    NotAnObject,
    /// The body is not a valid form.
    #[error("the callback body is not a valid form: {reason}")]
    InvalidForm {
        /// The form parser's message.
        reason: String,
    },
    /// The body has none of the fields that tell which callback it is (see
    /// [`Callback`](Callback#which-variant)).
    #[error(
        "the callback has none of delivery_report_id, notification_id or reply_id ({} other fields)",
        fields.len()
    )]
    UnknownShape {
        /// The names of the fields it has.
        fields: Vec<String>,
    },
    /// A field has a value of the wrong shape (an unparsable timestamp, an object where text
    /// belongs, ...).
    #[error("callback field `{field}` is invalid: {reason}")]
    InvalidField {
        /// The field's name.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// An attachment's `content` is not valid base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attachment {} is not valid base64: {reason}", original_name.as_deref().unwrap_or("(unnamed)"))]
pub struct DecodeAttachmentError {
    original_name: Option<String>,
    reason: String,
}

impl DecodeAttachmentError {
    /// The attachment's `original_name`, when it had one.
    pub fn original_name(&self) -> Option<&str> {
        self.original_name.as_deref()
    }
}

impl DeliveryReport {
    fn read(f: &mut Fields<'_>) -> Result<Self, ParseError> {
        Ok(DeliveryReport {
            delivery_report_id: f.required("delivery_report_id")?,
            message_id: f.str("message_id")?.map(MessageId::from),
            source_number: f.str("source_number")?.map(PhoneNumber::from),
            date_received: f.timestamp("date_received")?,
            submitted_date: f.timestamp("submitted_date")?,
            status: f.str("status")?.map(|s| DeliveryStatus::parse(&s)),
            status_code: f.str("error_code")?.map(|s| DeliveryStatusCode::parse(&s)),
            original_text: f.text("original_text")?,
            vendor_account: f.vendor_account()?,
            metadata: f.metadata()?,
            extra: f.take_rest()?,
        })
    }
}

impl InboundSms {
    fn read(f: &mut Fields<'_>) -> Result<Self, ParseError> {
        Ok(InboundSms {
            reply_id: f.required("reply_id")?,
            message_id: f.str("message_id")?.map(MessageId::from),
            account_id: f.str("account_id")?.map(AccountId::from),
            source_number: f.str("source_number")?.map(PhoneNumber::from),
            destination_number: f.str("destination_number")?.map(PhoneNumber::from),
            date_received: f.timestamp("date_received")?,
            content: f.text("content")?,
            metadata: f.metadata()?,
            extra: f.take_rest()?,
        })
    }
}

impl InboundMms {
    fn read(f: &mut Fields<'_>) -> Result<Self, ParseError> {
        Ok(InboundMms {
            reply_id: f.required("reply_id")?,
            message_id: f.str("message_id")?.map(MessageId::from),
            account_id: f.str("account_id")?.map(AccountId::from),
            source_number: f.str("source_number")?.map(PhoneNumber::from),
            destination_number: f.str("destination_number")?.map(PhoneNumber::from),
            date_received: f.timestamp("date_received")?,
            attachments: f.attachments()?,
            content: f.text("content")?,
            metadata: f.metadata()?,
            extra: f.take_rest()?,
        })
    }
}

impl OptOut {
    fn read(f: &mut Fields<'_>) -> Result<Self, ParseError> {
        Ok(OptOut {
            notification_id: f.required("notification_id")?,
            message_id: f.str("message_id")?.map(MessageId::from),
            account_id: f.str("account_id")?.map(AccountId::from),
            source_number: f.str("source_number")?.map(PhoneNumber::from),
            destination_number: f.str("destination_number")?.map(PhoneNumber::from),
            date_received: f.timestamp("date_received")?,
            content: f.text("content")?,
            metadata: f.metadata()?,
            extra: f.take_rest()?,
        })
    }
}

/// Reading the fields of a body, each taken out by the reader of its callback type.
impl<'a> Fields<'a> {
    /// Whether `name` is present: not null and not empty text.
    fn has(&self, name: &str) -> bool {
        let value = match self.get(name) {
            None => return false,
            Some(FieldRef::Raw(Raw::Text(text))) => return !text.is_empty(),
            // Text with escapes is never empty.
            Some(FieldRef::Raw(Raw::Json(json))) => return *json != "null",
            Some(FieldRef::Raw(Raw::Value(value))) => &**value,
            Some(FieldRef::Value(value)) => value,
        };
        match value {
            Value::Null => false,
            Value::String(text) => !text.is_empty(),
            _ => true,
        }
    }

    /// The value of `name`, decoded, if present.
    fn value(&mut self, name: &str) -> Result<Option<Value>, ParseError> {
        self.take(name).map(Raw::into_value).transpose()
    }

    /// The text of `name`: strings as they are, numbers and booleans as their JSON text; null
    /// and empty text read as absent.
    fn text(&mut self, name: &str) -> Result<Option<String>, ParseError> {
        self.str(name).map(|text| text.map(Cow::into_owned))
    }

    /// [`text`](Self::text), borrowed from the body where it has no escapes: for what is read
    /// and not kept (a timestamp, a status).
    fn str(&mut self, name: &str) -> Result<Option<Cow<'a, str>>, ParseError> {
        raw_text(name, self.take(name))
    }

    fn required<T: From<Cow<'a, str>>>(&mut self, name: &str) -> Result<T, ParseError> {
        self.str(name)?
            .map(T::from)
            .ok_or_else(|| invalid(name, "missing".to_owned()))
    }

    /// An RFC 3339 timestamp, with or without fractional seconds.
    fn timestamp(&mut self, name: &str) -> Result<Option<OffsetDateTime>, ParseError> {
        self.str(name)?
            .map(|text| {
                OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|err| {
                    invalid(
                        name,
                        format!("`{}` is not an RFC 3339 timestamp: {err}", excerpt(&text)),
                    )
                })
            })
            .transpose()
    }

    fn object(&mut self, name: &str) -> Result<Option<Map<String, Value>>, ParseError> {
        match self.value(name)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(object)) => Ok(Some(object)),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => match serde_json::from_str(&text) {
                Ok(Value::Object(object)) => Ok(Some(object)),
                _ => Err(invalid(name, "expected an object".to_owned())),
            },
            Some(other) => Err(invalid(
                name,
                format!("expected an object, found {}", kind(&other)),
            )),
        }
    }

    fn metadata(&mut self) -> Result<Metadata, ParseError> {
        // An object in a JSON body, the usual case: read in the body's one pass.
        if let Some(read) = self.take_metadata() {
            self.take("metadata");
            return read.map_err(|reason| invalid("metadata", reason));
        }
        Ok(self
            .object("metadata")?
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| {
                let text = match value {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                (key, text)
            })
            .collect())
    }

    fn vendor_account(&mut self) -> Result<Option<VendorAccount>, ParseError> {
        let [vendor_id, account_id] = match self.take_vendor_members() {
            // An object in a JSON body, the usual case: read in the body's one pass.
            Some(members) => {
                self.take("vendor_account_id");
                members
            }
            None => match self.object("vendor_account_id")? {
                Some(object) => {
                    let mut inner = Fields::from(object);
                    VENDOR_MEMBERS.map(|name| inner.take(name))
                }
                None => return Ok(None),
            },
        };
        let text = |name: &str, raw| {
            raw_text(name, raw).map_err(|err| match err {
                ParseError::InvalidField { field, reason } => ParseError::InvalidField {
                    field: format!("vendor_account_id.{field}"),
                    reason,
                },
                other => other,
            })
        };
        let [vendor_name, account_name] = VENDOR_MEMBERS;
        Ok(Some(VendorAccount {
            vendor_id: text(vendor_name, vendor_id)?.map(VendorId::from),
            account_id: text(account_name, account_id)?.map(AccountId::from),
        }))
    }

    fn attachments(&mut self) -> Result<Vec<Attachment>, ParseError> {
        let entries = match self.value("attachments")? {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(entries)) => entries,
            Some(Value::String(text)) if text.trim().is_empty() => return Ok(Vec::new()),
            Some(Value::String(text)) => match serde_json::from_str(&text) {
                Ok(Value::Array(entries)) => entries,
                _ => return Err(invalid("attachments", "expected a list".to_owned())),
            },
            Some(other) => {
                return Err(invalid(
                    "attachments",
                    format!("expected a list, found {}", kind(&other)),
                ));
            }
        };
        entries
            .into_iter()
            .enumerate()
            .map(|(index, entry)| {
                let field = format!("attachments[{index}]");
                let Value::Object(object) = entry else {
                    return Err(invalid(
                        &field,
                        format!("expected an object, found {}", kind(&entry)),
                    ));
                };
                let mut inner = Fields::from(object);
                let mut text = |name: &str| {
                    inner.text(name).map_err(|_| {
                        invalid(&format!("{field}.{name}"), "expected text".to_owned())
                    })
                };
                Ok(Attachment {
                    content_type: text("content_type")?,
                    original_name: text("original_name")?,
                    content: text("content")?.unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// The text of the field `name` whose value is `raw`: strings as they are (borrowed from the
/// body where they have no escapes), numbers and booleans as their JSON text; null and empty
/// text read as absent.
fn raw_text<'a>(name: &str, raw: Option<Raw<'a>>) -> Result<Option<Cow<'a, str>>, ParseError> {
    let value = match raw {
        // Text, the usual case.
        Some(Raw::Text(text)) => return Ok(Some(Cow::Borrowed(text)).filter(|t| !t.is_empty())),
        Some(Raw::Json(json)) if json.starts_with('"') => {
            let text: String =
                serde_json::from_str(json).map_err(|err| invalid(name, err.to_string()))?;
            return Ok(Some(Cow::Owned(text)));
        }
        Some(raw) => raw.into_value()?,
        None => return Ok(None),
    };
    match value {
        Value::Null => Ok(None),
        value => scalar_text(value)
            .map(|text| Some(Cow::<str>::Owned(text)).filter(|t| !t.is_empty()))
            .map_err(|kind| invalid(name, format!("expected text, found {kind}"))),
    }
}

/// Adds a member of a `metadata` object, as the body has it, to `metadata`: text as it is,
/// other values as their JSON text; `null` removes the key. Says why a value cannot be read.
pub(crate) fn metadata_member(
    metadata: &mut Metadata,
    name: Cow<'_, str>,
    value: Text<'_>,
) -> Result<(), String> {
    let text = match value {
        Text::Plain(text) => text.to_owned(),
        Text::Json("null") => {
            metadata.remove(&*name);
            return Ok(());
        }
        Text::Json(json) => match serde_json::from_str(json) {
            Ok(Value::String(text)) => text,
            Ok(other) => other.to_string(),
            Err(err) => return Err(err.to_string()),
        },
    };
    metadata.insert(name.into_owned(), text);
    Ok(())
}

fn scalar_text(value: Value) -> Result<String, &'static str> {
    match value {
        Value::String(text) => Ok(text),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        other => Err(kind(&other)),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn invalid(field: &str, reason: String) -> ParseError {
    ParseError::InvalidField {
        field: field.to_owned(),
        reason,
    }
}

/// Base64 as the platform sends it (attachments, keys, signatures): standard alphabet, padding
/// optional.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How much of an untrusted value an error message repeats, in bytes.
const EXCERPT_BYTES: usize = 64;

/// At most [`EXCERPT_BYTES`] of untrusted text, for error messages: the workspace's one excerpt
/// rule ([`webhooks_vocabulary::excerpt`]).
pub(crate) fn excerpt(text: &str) -> String {
    webhooks_vocabulary::excerpt(text.as_bytes(), EXCERPT_BYTES)
}
