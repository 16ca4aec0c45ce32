//! From a callback body to its fields: picks the decoder from the `Content-Type` and turns a
//! JSON object or a form-encoded body into [`Fields`].
//!
//! A JSON body is read in one pass ([`scan`]): the fields a callback type reads are kept as raw
//! JSON text borrowed from the body and decoded only when read, into the type they are read as
//! (a `String`, a timestamp); only the others become `serde_json::Value`s, for `extra`. So a
//! delivery report is not built as a tree of `Value`s first, and its text is not scanned twice.

use serde_json::{Map, Value};

use super::payload::{Metadata, ParseError, metadata_member};
use super::scan::{self, Member, Refused, Text};

/// The fields the callback types read (`vendor_id` inside `vendor_account_id`), each with a
/// slot of its own in [`Fields`].
const KNOWN: [&str; 17] = [
    "delivery_report_id",
    "notification_id",
    "reply_id",
    "attachments",
    "message_id",
    "account_id",
    "source_number",
    "destination_number",
    "date_received",
    "submitted_date",
    "status",
    "error_code",
    "original_text",
    "content",
    "vendor_account_id",
    "metadata",
    "vendor_id",
];

/// The slot of a known field: its place in [`KNOWN`] (a `match`, which the compiler turns
/// into a switch on the length and a comparison or two, not seventeen).
fn slot(name: &str) -> Option<usize> {
    let index = match name {
        "delivery_report_id" => 0,
        "notification_id" => 1,
        "reply_id" => 2,
        "attachments" => 3,
        "message_id" => 4,
        "account_id" => 5,
        "source_number" => 6,
        "destination_number" => 7,
        "date_received" => 8,
        "submitted_date" => 9,
        "status" => 10,
        "error_code" => 11,
        "original_text" => 12,
        "content" => 13,
        "vendor_account_id" => 14,
        "metadata" => 15,
        "vendor_id" => 16,
        _ => return None,
    };
    debug_assert_eq!(KNOWN[index], name);
    Some(index)
}

/// A field's value, not yet read.
#[derive(Debug)]
pub(crate) enum Raw<'a> {
    /// Text without escapes: the content of a JSON string, as the body has it.
    Text(&'a str),
    /// JSON text, as the body has it (valid JSON: the body was checked when it was read).
    Json(&'a str),
    /// A value already decoded: a form field, or a field given to `Callback::from_fields`
    /// (boxed: the rare case, so that the usual two stay small to hold and to move).
    Value(Box<Value>),
}

impl Raw<'_> {
    /// The value as a `serde_json::Value`.
    pub(crate) fn into_value(self) -> Result<Value, ParseError> {
        match self {
            Raw::Value(value) => Ok(*value),
            Raw::Text(text) => Ok(Value::String(text.to_owned())),
            Raw::Json(json) => serde_json::from_str(json).map_err(|err| ParseError::InvalidJson {
                reason: err.to_string(),
            }),
        }
    }
}

/// The fields of a body (or of an object inside one) not yet read: each reader takes its
/// fields out, and what is left is the callback's `extra`. A name given twice keeps its last
/// value, as `serde_json::Map` does.
#[derive(Debug, Default)]
pub(crate) struct Fields<'a> {
    known: [Option<Raw<'a>>; KNOWN.len()],
    rest: Map<String, Value>,
    /// The members of `vendor_account_id` and `metadata` when their values are objects the
    /// body's one pass read ([`object_fields`]), so that they are not scanned again.
    nested: Nested<'a>,
}

/// What the body's one pass read inside the objects of `vendor_account_id` and `metadata`.
#[derive(Debug, Default)]
struct Nested<'a> {
    /// `vendor_id` and `account_id`, as [`VENDOR_MEMBERS`] orders them.
    vendor: Option<[Option<Raw<'a>>; 2]>,
    /// The metadata, or why one of its values could not be read.
    metadata: Option<Result<Metadata, String>>,
}

/// The members of `vendor_account_id` that are read.
pub(crate) const VENDOR_MEMBERS: [&str; 2] = ["vendor_id", "account_id"];

/// The number of `vendor_account_id` in [`scan::Member`], whose object the body's one pass
/// reads member by member.
const VENDOR: usize = 0;
/// The number of `metadata` in [`scan::Member`], likewise.
const METADATA: usize = 1;

/// The number of the field `name` if the body's one pass reads its object member by member.
fn nested(name: &str) -> Option<usize> {
    match name {
        "vendor_account_id" => Some(VENDOR),
        "metadata" => Some(METADATA),
        _ => None,
    }
}

impl<'a> Fields<'a> {
    /// The field `name`, if present (even null).
    pub(crate) fn get(&self, name: &str) -> Option<FieldRef<'_, 'a>> {
        match slot(name) {
            Some(index) => self.known[index].as_ref().map(FieldRef::Raw),
            None => self.rest.get(name).map(FieldRef::Value),
        }
    }

    /// Takes the field `name` out, if present.
    pub(crate) fn take(&mut self, name: &str) -> Option<Raw<'a>> {
        match slot(name) {
            Some(index) => self.known[index].take(),
            None => self
                .rest
                .remove(name)
                .map(|value| Raw::Value(Box::new(value))),
        }
    }

    /// The names of the fields left, in order.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = KNOWN
            .iter()
            .zip(&self.known)
            .filter(|(_, value)| value.is_some())
            .map(|(name, _)| (*name).to_owned())
            .chain(self.rest.keys().cloned())
            .collect();
        names.sort_unstable();
        names
    }

    /// Takes out the members of `vendor_account_id` (`vendor_id` and `account_id`) when the
    /// body's one pass read them; `None` when it did not (the field is absent, not an object,
    /// or the fields came from elsewhere), and then they are in the field's value.
    pub(crate) fn take_vendor_members(&mut self) -> Option<[Option<Raw<'a>>; 2]> {
        self.nested.vendor.take()
    }

    /// Takes out the metadata when the body's one pass read it, as
    /// [`take_vendor_members`](Self::take_vendor_members) does.
    pub(crate) fn take_metadata(&mut self) -> Option<Result<Metadata, String>> {
        self.nested.metadata.take()
    }

    /// Takes the fields left out, decoded.
    pub(crate) fn take_rest(&mut self) -> Result<Map<String, Value>, ParseError> {
        for (name, value) in KNOWN.iter().zip(&mut self.known) {
            if let Some(value) = value.take() {
                self.rest.insert((*name).to_owned(), value.into_value()?);
            }
        }
        Ok(std::mem::take(&mut self.rest))
    }
}

/// A field's value, borrowed.
pub(crate) enum FieldRef<'f, 'a> {
    Raw(&'f Raw<'a>),
    Value(&'f Value),
}

impl From<Map<String, Value>> for Fields<'_> {
    fn from(map: Map<String, Value>) -> Self {
        let mut fields = Fields::default();
        for (name, value) in map {
            match slot(&name) {
                Some(index) => fields.known[index] = Some(Raw::Value(Box::new(value))),
                None => {
                    fields.rest.insert(name, value);
                }
            }
        }
        fields
    }
}

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
pub(crate) fn fields<'a>(content_type: &str, body: &'a [u8]) -> Result<Fields<'a>, ParseError> {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Err(ParseError::EmptyBody);
    }
    match format(content_type, trimmed)? {
        BodyFormat::Json => json_fields(trimmed),
        BodyFormat::Form => form_fields(trimmed).map(Fields::from),
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

fn json_fields(body: &[u8]) -> Result<Fields<'_>, ParseError> {
    match std::str::from_utf8(body)
        .map_err(|_| Refused)
        .and_then(object_fields)
    {
        Ok(fields) => Ok(fields),
        // Not an object, not JSON, or JSON the one-pass reader is cautious about: read as
        // `Value`s, which says what is wrong (the error path only, or nearly).
        Err(Refused) => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Fields::from(map)),
            Ok(_) => Err(ParseError::NotAnObject),
            Err(err) => Err(ParseError::InvalidJson {
                reason: err.to_string(),
            }),
        },
    }
}

/// The members of the JSON object `json` as [`Fields`], in one pass: the known ones as their
/// JSON text, the others decoded, and the members of `vendor_account_id` and `metadata` when
/// they are objects.
pub(crate) fn object_fields(json: &str) -> Result<Fields<'_>, Refused> {
    let mut fields = Fields::default();
    // The nested object being read: its members go here until its own member comes.
    let mut vendor = None;
    let mut metadata = None;
    scan::members_nested(json, nested, |member| {
        match member {
            Member::Enter(VENDOR) => vendor = Some([None, None]),
            Member::Enter(_) => metadata = Some(Ok(Metadata::new())),
            Member::Inner(VENDOR, name, value) => {
                if let (Some(read), Some(index)) = (
                    &mut vendor,
                    VENDOR_MEMBERS.iter().position(|member| *member == name),
                ) {
                    read[index] = Some(Raw::from(value));
                }
            }
            Member::Inner(_, name, value) => {
                if let Some(Ok(read)) = &mut metadata
                    && let Err(reason) = metadata_member(read, name, value)
                {
                    metadata = Some(Err(reason));
                }
            }
            Member::Outer(name, value) => match slot(&name) {
                Some(index) => {
                    fields.known[index] = Some(Raw::from(value));
                    // A repeated name keeps its last value: what an earlier object read goes.
                    match nested(&name) {
                        Some(VENDOR) => fields.nested.vendor = vendor.take(),
                        Some(_) => fields.nested.metadata = metadata.take(),
                        None => {}
                    }
                }
                None => {
                    let value = Raw::from(value).into_value().map_err(|_| Refused)?;
                    fields.rest.insert(name.into_owned(), value);
                }
            },
        }
        Ok(())
    })?;
    Ok(fields)
}

impl<'a> From<Text<'a>> for Raw<'a> {
    fn from(text: Text<'a>) -> Self {
        match text {
            Text::Plain(text) => Raw::Text(text),
            Text::Json(json) => Raw::Json(json),
        }
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

    /// The fields decoded, for comparing (it shadows the glob-imported `fields`).
    fn fields(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, ParseError> {
        super::fields(content_type, body)?.take_rest()
    }

    #[test]
    fn every_known_field_has_its_own_slot() {
        for (index, name) in KNOWN.iter().enumerate() {
            assert_eq!(slot(name), Some(index), "{name}");
        }
        assert_eq!(slot("delay"), None);
    }

    #[test]
    fn known_json_fields_stay_raw_text_and_a_repeated_name_keeps_its_last_value() {
        let body = br#"{"reply_id":"r1","content":"a \"quoted\" word","n":1.50,"reply_id":"r2","st\u0061tus":null}"#;
        let mut read = super::fields("application/json", body).unwrap();
        assert!(
            matches!(read.get("content"), Some(FieldRef::Raw(Raw::Json(raw))) if *raw == r#""a \"quoted\" word""#)
        );
        assert!(matches!(
            read.get("reply_id"),
            Some(FieldRef::Raw(Raw::Text("r2")))
        ));
        assert!(
            matches!(read.get("status"), Some(FieldRef::Raw(Raw::Json("null")))),
            "an escaped name is decoded"
        );
        assert!(
            matches!(read.get("n"), Some(FieldRef::Value(value)) if value.as_f64() == Some(1.5))
        );
        assert_eq!(read.names(), ["content", "n", "reply_id", "status"]);
        assert!(read.take("reply_id").is_some());
        let decoded = read.take_rest().unwrap();
        assert_eq!(decoded["content"], r#"a "quoted" word"#);
        assert!(!decoded.contains_key("reply_id"), "taken");
    }

    #[test]
    fn a_member_nested_deeper_than_the_reader_goes_reads_as_values_and_too_deep_is_invalid_json() {
        for depth in (scan::MAX_DEPTH - 3..scan::MAX_DEPTH + 3).chain(120..135) {
            let body = format!(
                r#"{{"reply_id":"r","metadata":{}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            let reference = serde_json::from_str::<Value>(&body).is_ok();
            let read = super::fields("application/json", body.as_bytes());
            assert_eq!(read.is_ok(), reference, "nested {depth} deep: {read:?}");
            assert_eq!(
                read.is_ok(),
                depth < 127,
                "127 levels at most, the body counted, as documented on Callback::parse"
            );
            match read {
                Ok(read) => assert_eq!(
                    matches!(read.get("metadata"), Some(FieldRef::Raw(Raw::Json(_)))),
                    depth < scan::MAX_DEPTH,
                    "nested {depth} deep: read in one pass, or as Values"
                ),
                Err(err) => assert!(matches!(err, ParseError::InvalidJson { .. })),
            }
        }
    }

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
