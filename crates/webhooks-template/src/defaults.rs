//! The default templates: the payload shapes of reference section 4, written with the
//! builder, for webhooks that set no template of their own.

use std::sync::OnceLock;

use super::Template;
use super::builder::{TemplateBuilder, Var};
use super::variable::Variable;
use webhooks_vocabulary::{Encoding, Event};

/// The default template of `event` in `encoding`: the payload shape the vendor's sample
/// templates produce (reference section 4). Each is written and parsed once.
///
/// - delivery reports: `delivery_report_id`, `source_number`, `date_received`, `status`,
///   `delay` (always `"0"`), `submitted_date`, `message_id`, `original_text`,
///   `vendor_account_id` {`vendor_id`, `account_id`}, `error_code`, `metadata`;
/// - `RECEIVED_SMS`: `account_id`, `reply_id`, `destination_number`, `source_number`,
///   `date_received`, `message_id`, `content`, `metadata`;
/// - `RECEIVED_MMS`: the same and `attachments` [{`content_type`, `content`, `original_name`}];
/// - `OPT_OUT_SMS`: `notification_id`, `account_id`, `destination_number`, `source_number`,
///   `date_received`, `message_id` (left out when there is none), `content`, `metadata`.
///
/// Every value is a string. In FORM_ENCODED, nested values are named
/// `vendor_account_id[vendor_id]`, `metadata[key]`, `attachments[0][content_type]`; XML has
/// the root element `callback`.
///
/// ```
/// use webhooks_template::{Encoding, Event};
/// use webhooks_template::{EventData, default_template};
///
/// let data = EventData::sample(Event::DeliveredDr, "acct");
/// let body = default_template(Event::DeliveredDr, Encoding::Json).render(&data)?;
/// let json: serde_json::Value = serde_json::from_str(&body)?;
/// assert_eq!(json["status"], "delivered");
/// assert_eq!(json["vendor_account_id"]["account_id"], "acct");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn default_template(event: Event, encoding: Encoding) -> &'static Template {
    static TEMPLATES: [OnceLock<Template>; 12] = [const { OnceLock::new() }; 12];
    let family = match event {
        Event::ReceivedSms => 0,
        Event::ReceivedMms => 1,
        Event::OptOutSms => 2,
        _ => 3,
    };
    let column = match encoding {
        Encoding::FormEncoded => 1,
        Encoding::Xml => 2,
        _ => 0,
    };
    let slot = &TEMPLATES[family * 3 + column];
    slot.get_or_init(|| {
        let builder = shape(event, TemplateBuilder::new(encoding));
        // The shapes are fixed and their names valid in every encoding (a test builds each),
        // so building cannot fail; were it ever to, an empty body beats a panic.
        builder.build().unwrap_or_else(|_| empty())
    })
}

fn empty() -> Template {
    Template {
        source: String::new(),
        parsed: super::parse::Parsed {
            nodes: Vec::new(),
            slots: 0,
            loops: 0,
            unsupported: Vec::new(),
            strings: Vec::new(),
        },
        capacity: 0,
    }
}

/// The fields of `event`'s default payload.
pub(crate) fn shape(event: Event, builder: TemplateBuilder) -> TemplateBuilder {
    match event {
        Event::ReceivedSms | Event::ReceivedMms => {
            let builder = builder
                .field("account_id", Variable::AccountId)
                .field("reply_id", Variable::ReplyId)
                .field("destination_number", Variable::DestinationAddress)
                .field("source_number", Variable::SourceAddress)
                .field("date_received", Variable::ReceivedTimestamp)
                .field("message_id", Variable::MessageId)
                .field("content", Variable::ReplyContent)
                .field("metadata", Variable::Metadata);
            if event == Event::ReceivedMms {
                builder.field("attachments", Variable::Attachments)
            } else {
                builder
            }
        }
        Event::OptOutSms => builder
            .field("notification_id", Variable::NotificationId)
            .field("account_id", Variable::AccountId)
            .field("destination_number", Variable::DestinationAddress)
            .field("source_number", Variable::SourceAddress)
            .field("date_received", Variable::ReceivedTimestamp)
            .optional_field("message_id", Variable::MessageId)
            .field("content", Variable::ReplyContent)
            .field("metadata", Variable::Metadata),
        _ => builder
            .field("delivery_report_id", Variable::ReportId)
            .field("source_number", Variable::SourceAddress)
            .field("date_received", Variable::ReceivedTimestamp)
            .field("status", Variable::Status)
            .field("delay", Var::Text("0"))
            .field("submitted_date", Variable::SubmittedTimestamp)
            .field("message_id", Variable::MessageId)
            .field("original_text", Variable::MessageContent)
            .object("vendor_account_id", |vendor| {
                vendor
                    .field("vendor_id", Variable::VendorId)
                    .field("account_id", Variable::AccountId)
            })
            .field("error_code", Variable::StatusCode)
            .field("metadata", Variable::Metadata),
    }
}
