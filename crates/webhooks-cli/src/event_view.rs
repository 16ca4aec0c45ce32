//! A typed callback as `listen` prints it: a one-line summary, or JSON with the API's field
//! names.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use webhooks_ergonomic::callbacks::{Attachment, Callback, Metadata};

/// RFC 3339, as the platform renders timestamps.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The kind of event: `delivery_report`, `inbound_sms`, `inbound_mms`, `opt_out`.
pub fn type_name(callback: &Callback) -> &'static str {
    match callback {
        Callback::DeliveryReport(_) => "delivery_report",
        Callback::InboundSms(_) => "inbound_sms",
        Callback::InboundMms(_) => "inbound_mms",
        Callback::OptOut(_) => "opt_out",
        _ => "callback",
    }
}

/// The fields that tell callbacks apart, on one line.
pub fn summary(callback: &Callback) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            parts.push(format!("{name}={value:?}"));
        }
    };
    match callback {
        Callback::DeliveryReport(report) => {
            add("id", Some(report.delivery_report_id.as_str()));
            add("message", report.message_id.as_ref().map(|id| id.as_str()));
            add(
                "status",
                report.status.as_ref().map(|status| status.as_str()),
            );
            add(
                "code",
                report.status_code.as_ref().map(|code| code.as_str()),
            );
        }
        Callback::InboundSms(sms) => {
            add("reply", Some(sms.reply_id.as_str()));
            add("from", sms.source_number.as_ref().map(|n| n.as_str()));
            add("to", sms.destination_number.as_ref().map(|n| n.as_str()));
            add("content", sms.content.as_deref());
        }
        Callback::InboundMms(mms) => {
            add("reply", Some(mms.reply_id.as_str()));
            add("from", mms.source_number.as_ref().map(|n| n.as_str()));
            add("to", mms.destination_number.as_ref().map(|n| n.as_str()));
            parts.push(format!("attachments={}", mms.attachments.len()));
        }
        Callback::OptOut(opt_out) => {
            add("notification", Some(opt_out.notification_id.as_str()));
            add("from", opt_out.source_number.as_ref().map(|n| n.as_str()));
            add("content", opt_out.content.as_deref());
        }
        _ => parts.push("(a callback shape this version does not know)".to_owned()),
    }
    parts.join(" ")
}

/// The callback's fields under the names the default payloads use.
pub fn fields(callback: &Callback) -> Value {
    let text = |value: Option<&str>| value.map_or(Value::Null, |v| Value::String(v.to_owned()));
    let time = |value: Option<OffsetDateTime>| value.map_or(Value::Null, |v| json!(timestamp(v)));
    match callback {
        Callback::DeliveryReport(report) => json!({
            "delivery_report_id": report.delivery_report_id.as_str(),
            "message_id": text(report.message_id.as_ref().map(|id| id.as_str())),
            "source_number": text(report.source_number.as_ref().map(|n| n.as_str())),
            "date_received": time(report.date_received),
            "submitted_date": time(report.submitted_date),
            "status": text(report.status.as_ref().map(|s| s.as_str())),
            "error_code": text(report.status_code.as_ref().map(|c| c.as_str())),
            "original_text": text(report.original_text.as_deref()),
            "vendor_id": text(report.vendor_account.as_ref().and_then(|v| v.vendor_id.as_ref()).map(|id| id.as_str())),
            "account_id": text(report.vendor_account.as_ref().and_then(|v| v.account_id.as_ref()).map(|id| id.as_str())),
            "metadata": metadata(&report.metadata),
            "extra": Value::Object(report.extra.clone()),
        }),
        Callback::InboundSms(sms) => json!({
            "reply_id": sms.reply_id.as_str(),
            "message_id": text(sms.message_id.as_ref().map(|id| id.as_str())),
            "account_id": text(sms.account_id.as_ref().map(|id| id.as_str())),
            "source_number": text(sms.source_number.as_ref().map(|n| n.as_str())),
            "destination_number": text(sms.destination_number.as_ref().map(|n| n.as_str())),
            "date_received": time(sms.date_received),
            "content": text(sms.content.as_deref()),
            "metadata": metadata(&sms.metadata),
            "extra": Value::Object(sms.extra.clone()),
        }),
        Callback::InboundMms(mms) => json!({
            "reply_id": mms.reply_id.as_str(),
            "message_id": text(mms.message_id.as_ref().map(|id| id.as_str())),
            "account_id": text(mms.account_id.as_ref().map(|id| id.as_str())),
            "source_number": text(mms.source_number.as_ref().map(|n| n.as_str())),
            "destination_number": text(mms.destination_number.as_ref().map(|n| n.as_str())),
            "date_received": time(mms.date_received),
            "content": text(mms.content.as_deref()),
            "attachments": mms.attachments.iter().map(attachment).collect::<Vec<_>>(),
            "metadata": metadata(&mms.metadata),
            "extra": Value::Object(mms.extra.clone()),
        }),
        Callback::OptOut(opt_out) => json!({
            "notification_id": opt_out.notification_id.as_str(),
            "message_id": text(opt_out.message_id.as_ref().map(|id| id.as_str())),
            "account_id": text(opt_out.account_id.as_ref().map(|id| id.as_str())),
            "source_number": text(opt_out.source_number.as_ref().map(|n| n.as_str())),
            "destination_number": text(opt_out.destination_number.as_ref().map(|n| n.as_str())),
            "date_received": time(opt_out.date_received),
            "content": text(opt_out.content.as_deref()),
            "metadata": metadata(&opt_out.metadata),
            "extra": Value::Object(opt_out.extra.clone()),
        }),
        _ => Value::Object(Map::new()),
    }
}

fn metadata(metadata: &Metadata) -> Value {
    json!(metadata)
}

fn attachment(attachment: &Attachment) -> Value {
    json!({
        "content_type": attachment.content_type,
        "original_name": attachment.original_name,
        "content": attachment.content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_report_keeps_its_api_field_names() {
        let body = br#"{"delivery_report_id":"d1","message_id":"m1","status":"delivered","error_code":"220","metadata":{"order":"42"},"delay":3}"#;
        let callback = Callback::parse("application/json", body).unwrap();
        assert_eq!(type_name(&callback), "delivery_report");
        let value = fields(&callback);
        assert_eq!(value["delivery_report_id"], "d1");
        assert_eq!(value["error_code"], "220");
        assert_eq!(value["metadata"]["order"], "42");
        assert_eq!(value["extra"]["delay"], 3);
        assert_eq!(
            summary(&callback),
            r#"id="d1" message="m1" status="delivered" code="220""#
        );
    }

    #[test]
    fn an_inbound_sms_summary_names_sender_and_content() {
        let body = br#"{"reply_id":"r1","source_number":"+61491570156","content":"Hi"}"#;
        let callback = Callback::parse("application/json", body).unwrap();
        assert_eq!(type_name(&callback), "inbound_sms");
        assert_eq!(
            summary(&callback),
            r#"reply="r1" from="+61491570156" content="Hi""#
        );
    }
}
