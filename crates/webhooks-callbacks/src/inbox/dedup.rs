//! The key a callback is deduplicated under: the same for every retry of one callback, and
//! different for every other.
//!
//! The platform retries a callback it got no 2xx for, with the same body, a fresh `Date` and
//! a fresh signature, and it sends no id of its own in a header: so the signature is no
//! identity, the body is. The default key is the event's natural identity, from fields the
//! default templates (and the vendor's samples) carry:
//!
//! | callback | key |
//! |---|---|
//! | delivery report | `dr:<message_id>:<status>` (one message goes `ENROUTE`, then `DELIVERED`: two callbacks) |
//! | inbound SMS or MMS | `reply:<reply_id>` |
//! | opt-out | `opt-out:<notification_id>` |
//!
//! A callback without those fields (a custom template left them out, or a body
//! [`Callback`] does not read) falls back to `sha256:<hex>` of its kind, a line break and the
//! raw body. A receiver with its own idea supplies it with
//! [`InboxBuilder::dedup_key`](super::InboxBuilder::dedup_key).

use std::fmt::Write as _;

use aws_lc_rs::digest;

use crate::Callback;

/// How much of a dedup key is kept: a custom key longer than this is hashed instead, so an
/// index entry stays small whatever a template renders.
pub const MAX_DEDUP_KEY_LEN: usize = 200;

/// What kind of callback `callback` is, as the inbox names it.
pub(crate) fn kind(callback: Option<&Callback>) -> &'static str {
    match callback {
        Some(Callback::DeliveryReport(_)) => "delivery_report",
        Some(Callback::InboundSms(_)) => "inbound_sms",
        Some(Callback::InboundMms(_)) => "inbound_mms",
        Some(Callback::OptOut(_)) => "opt_out",
        None => "unknown",
    }
}

/// The natural identity of a callback, when its fields give one.
pub(crate) fn natural(callback: &Callback) -> Option<String> {
    match callback {
        Callback::DeliveryReport(report) => {
            let message = report.message_id.as_ref()?;
            let status = report.status.as_ref()?;
            Some(format!(
                "dr:{message}:{}",
                status.as_str().to_ascii_lowercase()
            ))
        }
        Callback::InboundSms(sms) => Some(format!("reply:{}", sms.reply_id)),
        Callback::InboundMms(mms) => Some(format!("reply:{}", mms.reply_id)),
        Callback::OptOut(opt_out) => Some(format!("opt-out:{}", opt_out.notification_id)),
    }
}

/// `sha256:` and the hex SHA-256 of `kind`, a line break and `body`.
pub(crate) fn fallback(kind: &str, body: &[u8]) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(kind.as_bytes());
    context.update(b"\n");
    context.update(body);
    hex("sha256:", context.finish().as_ref())
}

/// A key as stored: a key longer than [`MAX_DEDUP_KEY_LEN`] bytes becomes the SHA-256 of it.
pub(crate) fn bounded(key: String) -> String {
    if key.len() <= MAX_DEDUP_KEY_LEN {
        key
    } else {
        hex(
            "sha256:",
            digest::digest(&digest::SHA256, key.as_bytes()).as_ref(),
        )
    }
}

fn hex(prefix: &str, bytes: &[u8]) -> String {
    let mut text = String::with_capacity(prefix.len() + bytes.len() * 2);
    text.push_str(prefix);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Callback {
        Callback::parse("application/json", body.as_bytes()).unwrap()
    }

    #[test]
    fn each_event_has_its_natural_identity() {
        let enroute = parse(r#"{"delivery_report_id":"d1","message_id":"m1","status":"enroute"}"#);
        let delivered =
            parse(r#"{"delivery_report_id":"d2","message_id":"m1","status":"DELIVERED"}"#);
        assert_eq!(natural(&enroute).unwrap(), "dr:m1:enroute");
        assert_eq!(natural(&delivered).unwrap(), "dr:m1:delivered");
        let reply = parse(r#"{"reply_id":"r1","content":"yes"}"#);
        assert_eq!(natural(&reply).unwrap(), "reply:r1");
        let opt_out = parse(r#"{"notification_id":"n1","content":"STOP"}"#);
        assert_eq!(natural(&opt_out).unwrap(), "opt-out:n1");
        let bare = parse(r#"{"delivery_report_id":"d3"}"#);
        assert_eq!(
            natural(&bare),
            None,
            "no message id or status: no natural key"
        );
    }

    #[test]
    fn the_fallback_depends_on_kind_and_every_byte_of_the_body() {
        let key = fallback("unknown", b"{\"a\":1}");
        assert!(key.starts_with("sha256:") && key.len() == 7 + 64, "{key}");
        assert_eq!(key, fallback("unknown", b"{\"a\":1}"));
        assert_ne!(key, fallback("unknown", b"{\"a\":2}"));
        assert_ne!(key, fallback("inbound_sms", b"{\"a\":1}"));
    }

    #[test]
    fn long_keys_are_hashed_to_a_bounded_length() {
        assert_eq!(bounded("short".into()), "short");
        let long = bounded("k".repeat(10_000));
        assert!(long.len() <= MAX_DEDUP_KEY_LEN, "{long}");
        assert_ne!(long, bounded("j".repeat(10_000)));
    }
}
