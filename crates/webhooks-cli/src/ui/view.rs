//! What the inspector page shows of a callback: one row of the list, the detail, the body
//! pretty-printed, the bytes a signature covers, and the request as a curl command. Pure
//! functions over what the journal and the inbox hold, so they are tested without a server.

use base64::Engine;
use http::{Method, Uri};
use serde_json::{Value, json};
use time::OffsetDateTime;
use webhooks_callbacks::inbox::{Entry, State};
use webhooks_ergonomic::callbacks::{Callback, DATE_HEADER, request_line, signed_bytes};

use super::journal::{Edited, Handling, Refused};
use crate::event_view;

/// How much of a body a row carries for the page's free-text filter.
pub const SEARCH_TEXT: usize = 4096;

/// How many characters of a reply's text a headline shows.
const HEADLINE_WORDS: usize = 60;

/// RFC 3339 with milliseconds, as the page and the export show times.
pub fn time(at: OffsetDateTime) -> String {
    event_view::timestamp(
        at.replace_nanosecond(at.millisecond() as u32 * 1_000_000)
            .unwrap_or(at),
    )
}

/// The event type and the headline of a body: a delivery report's message id and status, a
/// reply's sender and first words, an opt-out's sender; `unknown` and the body's start when it
/// is no callback this version reads.
pub fn headline(content_type: &str, body: &[u8]) -> (String, String) {
    match Callback::parse(content_type, body) {
        Ok(callback) => {
            let kind = event_view::type_name(&callback).to_owned();
            let text = match &callback {
                Callback::DeliveryReport(report) => format!(
                    "message {} {}",
                    report
                        .message_id
                        .as_ref()
                        .map_or("(no id)", |id| id.as_str()),
                    report
                        .status
                        .as_ref()
                        .map_or("(no status)", |status| status.as_str())
                ),
                Callback::InboundSms(sms) => format!(
                    "{}: {}",
                    sms.source_number
                        .as_ref()
                        .map_or("(unknown sender)", |n| n.as_str()),
                    first_words(sms.content.as_deref().unwrap_or_default())
                ),
                Callback::InboundMms(mms) => format!(
                    "{}: {} ({} attachment(s))",
                    mms.source_number
                        .as_ref()
                        .map_or("(unknown sender)", |n| n.as_str()),
                    first_words(mms.content.as_deref().unwrap_or_default()),
                    mms.attachments.len()
                ),
                Callback::OptOut(opt_out) => format!(
                    "{} opted out: {}",
                    opt_out
                        .source_number
                        .as_ref()
                        .map_or("(unknown sender)", |n| n.as_str()),
                    first_words(opt_out.content.as_deref().unwrap_or_default())
                ),
                _ => first_words(&String::from_utf8_lossy(body)),
            };
            (kind, text)
        }
        Err(_) => (
            "unknown".to_owned(),
            first_words(&String::from_utf8_lossy(body)),
        ),
    }
}

fn first_words(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(HEADLINE_WORDS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn search_text(body: &[u8]) -> String {
    let end = body.len().min(SEARCH_TEXT);
    String::from_utf8_lossy(&body[..end]).into_owned()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn content_type(headers: &[(String, String)]) -> &str {
    header(headers, "content-type").unwrap_or_default()
}

/// The row of a stored callback.
pub fn stored_row(entry: &Entry, handling: Option<&Handling>) -> Value {
    let (kind, headline) = headline(entry.content_type(), &entry.body);
    let (outcome, label) = stored_outcome(entry, handling);
    json!({
        "ref": format!("c{}", entry.id),
        "source": "stored",
        "id": entry.id.0,
        "received_at": time(entry.received_at),
        "method": entry.method,
        "target": entry.target,
        "type": if entry.kind == "unknown" { kind } else { entry.kind.clone() },
        "headline": headline,
        "verification": "verified",
        "verification_label": match &entry.key_id {
            Some(key_id) => format!("verified (key {key_id})"),
            None => "verified".to_owned(),
        },
        "reason": Value::Null,
        "outcome": outcome,
        "outcome_label": label,
        "state": entry.state.as_str(),
        "attempts": entry.attempts,
        "duration_ms": handling.map(|handling| handling.duration_ms),
        "replays": handling.map_or(0, |handling| handling.replays),
        "text": search_text(&entry.body),
    })
}

/// The outcome of a stored callback for the filter (`done`, `pending`, `dead`) and in words.
fn stored_outcome(entry: &Entry, handling: Option<&Handling>) -> (&'static str, String) {
    match entry.state {
        State::Done => (
            "done",
            match handling {
                Some(handling) => handling.describe(),
                None => "done".to_owned(),
            },
        ),
        State::Dead => (
            "dead",
            format!(
                "dead: {}",
                entry.last_error.as_deref().unwrap_or("given up")
            ),
        ),
        State::Leased => ("pending", "being handled".to_owned()),
        _ if entry.attempts == 0 => ("pending", "waiting for a worker".to_owned()),
        _ => (
            "pending",
            format!(
                "will retry: {}",
                entry.last_error.as_deref().unwrap_or("not handled yet")
            ),
        ),
    }
}

/// The row of a request refused before it was stored.
pub fn refused_row(refused: &Refused) -> Value {
    let (kind, headline) = headline(content_type(&refused.headers), &refused.body);
    json!({
        "ref": format!("r{}", refused.id),
        "source": "refused",
        "id": refused.id,
        "received_at": time(refused.at),
        "method": refused.method,
        "target": refused.target,
        "type": kind,
        "headline": headline,
        "verification": "refused",
        "verification_label": format!("refused: {}", refused.reason),
        "reason": refused.reason,
        "outcome": "refused",
        "outcome_label": format!("answered {}, not stored", refused.status),
        "state": Value::Null,
        "attempts": 0,
        "duration_ms": Value::Null,
        "replays": 0,
        "text": search_text(&refused.body),
    })
}

/// The row of an edited replay.
pub fn edited_row(edited: &Edited) -> Value {
    let (kind, headline) = headline(content_type(&edited.headers), &edited.body);
    let (outcome, label) = match &edited.outcome {
        Ok(status) if (200..300).contains(status) => ("done", format!("the app answered {status}")),
        Ok(status) => ("failed", format!("the app answered {status}")),
        Err(error) => ("failed", format!("forwarding failed: {error}")),
    };
    json!({
        "ref": format!("e{}", edited.id),
        "source": "edited",
        "id": edited.id,
        "received_at": time(edited.at),
        "method": edited.method,
        "target": edited.target,
        "type": kind,
        "headline": headline,
        "verification": "edited",
        "verification_label": format!("edited from {}: not signed", edited.from),
        "reason": Value::Null,
        "outcome": outcome,
        "outcome_label": label,
        "state": Value::Null,
        "attempts": 1,
        "duration_ms": edited.duration_ms,
        "replays": 0,
        "edited_from": edited.from,
        "text": search_text(&edited.body),
    })
}

/// The body as text, or in base64 when it is not UTF-8.
fn body_fields(detail: &mut Value, body: &[u8]) {
    match std::str::from_utf8(body) {
        Ok(text) => detail["body"] = json!(text),
        Err(_) => {
            detail["body"] = Value::Null;
            detail["body_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
        }
    }
    detail["body_len"] = json!(body.len());
}

/// The bytes a signature over this request covers, as the verifier computes them: the request
/// line, the `Date` header's value and the body, nothing between them.
pub fn signed(method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Value {
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST);
    let uri = target
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    let date = header(headers, DATE_HEADER);
    let bytes = signed_bytes(&method, &uri, date.unwrap_or_default(), body);
    json!({
        "request_line": request_line(&method, &uri),
        "date": date,
        "body_len": body.len(),
        "len": bytes.len(),
        "text": String::from_utf8_lossy(&bytes),
    })
}

/// The detail of a stored callback: the row, headers, body raw and pretty, the signed bytes,
/// the verdict, the inbox's record and how handling went.
pub fn stored_detail(entry: &Entry, handling: Option<&Handling>, curl_base: &str) -> Value {
    let mut detail = stored_row(entry, handling);
    detail["headers"] = json!(entry.headers);
    body_fields(&mut detail, &entry.body);
    detail["content_type"] = json!(entry.content_type());
    detail["pretty"] = pretty(entry.content_type(), &entry.body);
    detail["signed"] = signed(&entry.method, &entry.target, &entry.headers, &entry.body);
    detail["verdict"] = json!({
        "verified": true,
        "reason": Value::Null,
        "key_id": entry.key_id,
        "digest": entry.digest,
    });
    detail["inbox"] = json!(entry);
    detail["inbox"]
        .as_object_mut()
        .map(|inbox| (inbox.remove("body"), inbox.remove("headers")));
    detail["handling"] = json!(handling);
    detail["curl"] = json!(curl(
        &entry.method,
        curl_base,
        &entry.target,
        &entry.headers,
        &entry.body
    ));
    detail["replayable"] = json!(true);
    detail
}

/// The detail of a refused request.
pub fn refused_detail(refused: &Refused, curl_base: &str) -> Value {
    let mut detail = refused_row(refused);
    detail["headers"] = json!(refused.headers);
    body_fields(&mut detail, &refused.body);
    detail["body_len"] = json!(refused.body_len);
    detail["body_truncated"] = json!(refused.body_len > refused.body.len());
    let content_type = content_type(&refused.headers);
    detail["content_type"] = json!(content_type);
    detail["pretty"] = pretty(content_type, &refused.body);
    detail["signed"] = signed(
        &refused.method,
        &refused.target,
        &refused.headers,
        &refused.body,
    );
    detail["verdict"] = json!({
        "verified": false,
        "reason": refused.reason,
        "key_id": header(&refused.headers, "x-messagemedia-key-id"),
        "status": refused.status,
    });
    detail["curl"] = json!(curl(
        &refused.method,
        curl_base,
        &refused.target,
        &refused.headers,
        &refused.body
    ));
    detail["replayable"] = json!(false);
    detail
}

/// The detail of an edited replay.
pub fn edited_detail(edited: &Edited, curl_base: &str) -> Value {
    let mut detail = edited_row(edited);
    detail["headers"] = json!(edited.headers);
    body_fields(&mut detail, &edited.body);
    let content_type = content_type(&edited.headers);
    detail["content_type"] = json!(content_type);
    detail["pretty"] = pretty(content_type, &edited.body);
    detail["signed"] = Value::Null;
    detail["verdict"] = json!({
        "verified": false,
        "reason": format!("edited from {} before it was replayed: it carries no signature", edited.from),
    });
    detail["curl"] = json!(curl(
        &edited.method,
        curl_base,
        &edited.target,
        &edited.headers,
        &edited.body
    ));
    detail["replayable"] = json!(false);
    detail
}

/// The body laid out for reading: JSON indented, a form one `name = value` per line, XML one
/// element per line; `null` when it is none of them (the raw body says it all).
pub fn pretty(content_type: &str, body: &[u8]) -> Value {
    let Ok(text) = std::str::from_utf8(body) else {
        return Value::Null;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let trimmed = text.trim_start();
    if essence.ends_with("json") || (essence.is_empty() && trimmed.starts_with(['{', '['])) {
        if let Ok(value) = serde_json::from_str::<Value>(text)
            && let Ok(text) = serde_json::to_string_pretty(&value)
        {
            return json!({ "format": "json", "text": text });
        }
    } else if essence == "application/x-www-form-urlencoded" {
        if let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(text) {
            let lines: Vec<String> = pairs
                .iter()
                .map(|(name, value)| format!("{name} = {value}"))
                .collect();
            return json!({ "format": "form", "text": lines.join("\n") });
        }
    } else if (essence.ends_with("xml") || trimmed.starts_with('<'))
        && let Some(text) = indent_xml(text)
    {
        return json!({ "format": "xml", "text": text });
    }
    Value::Null
}

/// XML with one tag per line, indented by depth; text stays beside its element. `None` when
/// the tags do not nest.
fn indent_xml(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut rest = text.trim();
    let mut inline_text = false;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = if after.starts_with("!--") {
                after.find("-->").map(|at| at + 3)?
            } else if after.starts_with("![CDATA[") {
                after.find("]]>").map(|at| at + 3)?
            } else {
                after.find('>')? + 1
            };
            let tag = &rest[..=end];
            rest = rest[end + 1..].trim_start_matches(char::is_whitespace);
            let closing = tag.starts_with("</");
            let self_contained =
                tag.ends_with("/>") || tag.starts_with("<?") || tag.starts_with("<!");
            if closing {
                depth = depth.checked_sub(1)?;
                if !inline_text {
                    out.push('\n');
                    out.push_str(&"  ".repeat(depth));
                }
                out.push_str(tag);
                inline_text = false;
            } else {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&"  ".repeat(depth));
                out.push_str(tag);
                if !self_contained {
                    depth += 1;
                }
                inline_text = false;
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let content = rest[..end].trim();
            out.push_str(content);
            inline_text = !content.is_empty();
            rest = &rest[end..];
        }
    }
    (depth == 0).then_some(out)
}

/// Headers a replay or a copied request leaves out: they describe one hop.
pub const HOP_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
    "upgrade",
];

/// The request as a shell command: the same method, headers and body, sent to `base` (the
/// `--forward-to` app, or the receiver) at the same target. Everything is single-quoted.
pub fn curl(
    method: &str,
    base: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let mut command = format!(
        "curl -X {} {}",
        quote(method),
        quote(&format!("{}{target}", base.trim_end_matches('/')))
    );
    for (name, value) in headers {
        if HOP_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        command.push_str(" \\\n  -H ");
        command.push_str(&quote(&format!("{name}: {value}")));
    }
    if !body.is_empty() {
        command.push_str(" \\\n  --data-binary ");
        command.push_str(&quote(&String::from_utf8_lossy(body)));
    }
    command
}

/// `text` in single quotes for a POSIX shell: nothing inside is expanded.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_name_the_message_and_status_or_the_sender_and_first_words() {
        let (kind, text) = headline(
            "application/json",
            br#"{"delivery_report_id":"d1","message_id":"m-42","status":"delivered"}"#,
        );
        assert_eq!(
            (kind.as_str(), text.as_str()),
            ("delivery_report", "message m-42 delivered")
        );
        let long = "word ".repeat(40);
        let body =
            format!(r#"{{"reply_id":"r1","source_number":"+61491570156","content":"{long}"}}"#);
        let (kind, text) = headline("application/json", body.as_bytes());
        assert_eq!(kind, "inbound_sms");
        assert!(text.starts_with("+61491570156: word word"), "{text}");
        assert!(text.ends_with('…') && text.chars().count() < 80, "{text}");
        let (kind, text) = headline("text/plain", b"<script>alert(1)</script>");
        assert_eq!(
            (kind.as_str(), text.as_str()),
            ("unknown", "<script>alert(1)</script>")
        );
    }

    #[test]
    fn bodies_are_laid_out_as_json_form_and_xml() {
        let json = pretty("application/json; charset=utf-8", br#"{"a":{"b":1}}"#);
        assert_eq!(json["format"], "json");
        assert_eq!(json["text"], "{\n  \"a\": {\n    \"b\": 1\n  }\n}");
        let form = pretty(
            "application/x-www-form-urlencoded",
            b"reply_id=r1&content=yes+please%21",
        );
        assert_eq!(form["text"], "reply_id = r1\ncontent = yes please!");
        let xml = pretty(
            "application/xml",
            b"<?xml version=\"1.0\"?><reply><id>r1</id><to/><content>Hi &amp; bye</content></reply>",
        );
        assert_eq!(
            xml["text"],
            "<?xml version=\"1.0\"?>\n<reply>\n  <id>r1</id>\n  <to/>\n  <content>Hi &amp; bye</content>\n</reply>"
        );
        assert_eq!(pretty("application/xml", b"<a><b></a>"), Value::Null);
        assert_eq!(pretty("application/json", b"{not json"), Value::Null);
        assert_eq!(pretty("text/plain", b"hello"), Value::Null);
    }

    #[test]
    fn the_signed_bytes_are_the_request_line_the_date_and_the_body() {
        let headers = vec![
            (
                "Date".to_owned(),
                "Tue, 03 Jun 2025 10:20:30 GMT".to_owned(),
            ),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        let signed = signed("POST", "/hooks?x=1", &headers, b"{}");
        assert_eq!(signed["request_line"], "POST /hooks?x=1 HTTP/1.1");
        assert_eq!(
            signed["text"],
            "POST /hooks?x=1 HTTP/1.1Tue, 03 Jun 2025 10:20:30 GMT{}"
        );
        assert_eq!(signed["len"], 55);
    }

    #[test]
    fn curl_quotes_everything_and_leaves_hop_headers_out() {
        let headers = vec![
            ("host".to_owned(), "127.0.0.1:8787".to_owned()),
            ("x-note".to_owned(), "it's $HOME".to_owned()),
        ];
        let command = curl("POST", "http://app:3000/", "/hooks", &headers, b"a'b `c`");
        assert_eq!(
            command,
            "curl -X 'POST' 'http://app:3000/hooks' \\\n  -H 'x-note: it'\\''s $HOME' \\\n  --data-binary 'a'\\''b `c`'"
        );
    }
}
