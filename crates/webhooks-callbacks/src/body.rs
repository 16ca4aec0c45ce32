//! From a callback body to its fields: picks the decoder from the `Content-Type` and turns a
//! JSON object or a form-encoded body into one map of field name to JSON value.

use serde_json::{Map, Value};

use super::payload::ParseError;

/// Fields whose value is an object or an array: in a form-encoded body they arrive as JSON text
/// (`metadata={"k":"v"}`, as the sandbox encodes them) or as bracketed keys (`metadata[k]=v`).
const STRUCTURED: [&str; 3] = ["metadata", "vendor_account_id", "attachments"];

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFormat {
    Json,
    Form,
}

/// The fields of `body`, decoded as `content_type` says.
///
/// The media type is matched without its parameters (`; charset=utf-8`) and ignoring case:
/// `application/json`, `text/json` and any `+json` type are JSON,
/// `application/x-www-form-urlencoded` is a form. An empty content type means "not sent": the
/// body is JSON when it starts with `{`, a form otherwise.
pub(crate) fn fields(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, ParseError> {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Err(ParseError::EmptyBody);
    }
    match format(content_type, trimmed)? {
        BodyFormat::Json => json_fields(trimmed),
        BodyFormat::Form => form_fields(trimmed),
    }
}

fn format(content_type: &str, body: &[u8]) -> Result<BodyFormat, ParseError> {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "" if body.starts_with(b"{") => Ok(BodyFormat::Json),
        "" | "application/x-www-form-urlencoded" => Ok(BodyFormat::Form),
        "application/json" | "text/json" => Ok(BodyFormat::Json),
        other if other.ends_with("+json") => Ok(BodyFormat::Json),
        _ => Err(ParseError::UnsupportedContentType {
            content_type: content_type.to_owned(),
        }),
    }
}

fn json_fields(body: &[u8]) -> Result<Map<String, Value>, ParseError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ParseError::NotAnObject),
        Err(err) => Err(ParseError::InvalidJson {
            reason: err.to_string(),
        }),
    }
}

fn form_fields(body: &[u8]) -> Result<Map<String, Value>, ParseError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|err| ParseError::InvalidForm {
            reason: err.to_string(),
        })?;
    let mut map = Map::new();
    for (key, value) in pairs {
        match bracketed(&key) {
            Some(Bracketed::Entry { outer, name }) => {
                if let Value::Object(object) = container(&mut map, outer, Value::Object(Map::new()))
                {
                    object.insert(name.to_owned(), Value::String(value));
                }
            }
            Some(Bracketed::Item { outer, index, name }) => {
                if index >= MAX_FORM_ITEMS {
                    return Err(ParseError::InvalidField {
                        field: key.clone(),
                        reason: format!("more than {MAX_FORM_ITEMS} items"),
                    });
                }
                if let Value::Array(items) = container(&mut map, outer, Value::Array(Vec::new())) {
                    if items.len() <= index {
                        items.resize_with(index + 1, || Value::Object(Map::new()));
                    }
                    if let Value::Object(item) = &mut items[index] {
                        item.insert(name.to_owned(), Value::String(value));
                    }
                }
            }
            None => {
                let value = if STRUCTURED.contains(&key.as_str()) && !value.trim().is_empty() {
                    serde_json::from_str(&value).map_err(|err| ParseError::InvalidField {
                        field: key.clone(),
                        reason: format!("expected JSON text in a form field: {err}"),
                    })?
                } else {
                    Value::String(value)
                };
                map.insert(key, value);
            }
        }
    }
    Ok(map)
}

/// The most items a bracketed form array may have (`attachments[99][content]`), so a hostile
/// index cannot make the parser allocate without bound.
const MAX_FORM_ITEMS: usize = 100;

/// A bracketed form key of a structured field.
#[derive(Debug, PartialEq, Eq)]
enum Bracketed<'a> {
    /// `metadata[k]`: entry `k` of the object `metadata`.
    Entry { outer: &'a str, name: &'a str },
    /// `attachments[0][content]`: field `content` of item 0 of the array `attachments`.
    Item {
        outer: &'a str,
        index: usize,
        name: &'a str,
    },
}

fn bracketed(key: &str) -> Option<Bracketed<'_>> {
    let (outer, rest) = key.split_once('[')?;
    if !STRUCTURED.contains(&outer) {
        return None;
    }
    let inner = rest.strip_suffix(']')?;
    match inner.split_once("][") {
        None if outer != "attachments" && !inner.contains(['[', ']']) => {
            Some(Bracketed::Entry { outer, name: inner })
        }
        Some((index, name)) if outer == "attachments" && !name.contains(['[', ']']) => {
            Some(Bracketed::Item {
                outer,
                index: index.parse().ok()?,
                name,
            })
        }
        _ => None,
    }
}

/// The value under `key`, set to `empty` unless it is already of `empty`'s kind (an object for
/// `metadata[k]`, an array for `attachments[0][..]`), so bracketed keys never mix kinds.
fn container<'a>(map: &'a mut Map<String, Value>, key: &str, empty: Value) -> &'a mut Value {
    let entry = map.entry(key.to_owned()).or_insert(Value::Null);
    if std::mem::discriminant(entry) != std::mem::discriminant(&empty) {
        *entry = empty;
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_pick_the_decoder_and_tolerate_parameters() {
        let json = br#"{"reply_id":"r"}"#;
        assert!(fields("application/json", json).is_ok());
        assert!(fields("Application/JSON; charset=UTF-8", json).is_ok());
        assert!(fields("application/vnd.callback+json", json).is_ok());
        assert!(fields("", json).is_ok(), "sniffed as JSON");
        let form = b"reply_id=r&content=Hi%20there";
        let map = fields("application/x-www-form-urlencoded; charset=utf-8", form).unwrap();
        assert_eq!(map["content"], "Hi there");
        assert_eq!(fields("", form).unwrap()["reply_id"], "r");
        assert!(matches!(
            fields("application/xml", b"<callback/>"),
            Err(ParseError::UnsupportedContentType { content_type }) if content_type == "application/xml"
        ));
        assert!(matches!(
            fields("application/json", b"  \n"),
            Err(ParseError::EmptyBody)
        ));
        assert!(matches!(
            fields("application/json", b"[1]"),
            Err(ParseError::NotAnObject)
        ));
        assert!(matches!(
            fields("application/json", b"{\"a\":"),
            Err(ParseError::InvalidJson { .. })
        ));
    }

    #[test]
    fn form_fields_decode_structured_values_from_json_text_or_brackets() {
        let body = b"metadata=%7B%22k%22%3A%22v%22%7D&vendor_account_id%5Bvendor_id%5D=SinchEU&content=%7Bnot+json";
        let map = fields("application/x-www-form-urlencoded", body).unwrap();
        assert_eq!(map["metadata"]["k"], "v");
        assert_eq!(map["vendor_account_id"]["vendor_id"], "SinchEU");
        assert_eq!(map["content"], "{not json", "plain fields stay text");
        let broken = fields("application/x-www-form-urlencoded", b"metadata=%7Bbroken");
        assert!(matches!(
            broken,
            Err(ParseError::InvalidField { field, .. }) if field == "metadata"
        ));
        let empty = fields("application/x-www-form-urlencoded", b"metadata=&reply_id=r").unwrap();
        assert_eq!(empty["metadata"], "");
    }

    #[test]
    fn bracketed_attachments_become_an_array_of_objects() {
        let body = b"attachments%5B1%5D%5Bcontent%5D=QQ&attachments%5B0%5D%5Bcontent_type%5D=image%2Fgif&attachments%5B0%5D%5Bcontent%5D=R0lG";
        let map = fields("application/x-www-form-urlencoded", body).unwrap();
        assert_eq!(
            map["attachments"],
            serde_json::json!([{"content_type": "image/gif", "content": "R0lG"}, {"content": "QQ"}])
        );
        let hostile = fields(
            "application/x-www-form-urlencoded",
            b"attachments%5B4000000000%5D%5Bcontent%5D=QQ",
        );
        assert!(matches!(
            hostile,
            Err(ParseError::InvalidField { field, .. }) if field.starts_with("attachments[")
        ));
        // Not an index, or nested too deep: kept as a plain field.
        let odd = fields(
            "application/x-www-form-urlencoded",
            b"attachments%5Bx%5D%5Bc%5D=1&metadata%5Ba%5D%5Bb%5D=2",
        )
        .unwrap();
        assert_eq!(odd["attachments[x][c]"], "1");
        assert_eq!(odd["metadata[a][b]"], "2");
    }
}
