//! Open enums: a value the API sends that this release does not know yet decodes, it never
//! fails.
//!
//! The contract marks the schemas the API *returns* whose set of values may grow (event names,
//! the callback method, the encoding) with `x-open-enum`, naming the closed enum of the values
//! known today. `cargo xtask generate` maps each of them to [`Open`] of that closed enum
//! (typify's replacement setting), so the generated types decode `"RECEIVED_RCS"` as
//! `Open::Unknown("RECEIVED_RCS")` instead of failing a whole page of webhooks. Encoding writes
//! the raw string back unchanged. The handwritten crates use the same type for the same reason.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// A value of the closed enum `T`, or a value the API sent that `T` does not name (kept as sent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Open<T> {
    /// A value `T` names.
    Known(T),
    /// A value `T` does not name, exactly as the API sent it.
    Unknown(String),
}

impl<T: fmt::Display> Open<T> {
    /// The value as the API writes it.
    pub fn as_wire(&self) -> Cow<'_, str> {
        match self {
            Open::Known(known) => Cow::Owned(known.to_string()),
            Open::Unknown(raw) => Cow::Borrowed(raw),
        }
    }
}

impl<T> From<T> for Open<T> {
    fn from(known: T) -> Self {
        Open::Known(known)
    }
}

impl<T: FromStr> FromStr for Open<T> {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.parse()
            .map_or_else(|_| Open::Unknown(s.to_owned()), Open::Known))
    }
}

impl<T: fmt::Display> fmt::Display for Open<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Open::Known(known) => known.fmt(f),
            Open::Unknown(raw) => f.write_str(raw),
        }
    }
}

impl<T: serde::Serialize> serde::Serialize for Open<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Open::Known(known) => known.serialize(serializer),
            Open::Unknown(raw) => serializer.serialize_str(raw),
        }
    }
}

impl<'de, T: FromStr> serde::Deserialize<'de> for Open<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <Cow<'de, str>>::deserialize(deserializer)?;
        Ok(match raw.parse() {
            Ok(known) => Open::Known(known),
            Err(_) => Open::Unknown(raw.into_owned()),
        })
    }
}

#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Open<T> {
    fn schema_name() -> String {
        format!("Open{}", T::schema_name())
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::Open;
    use crate::{Encoding, Event};

    #[test]
    fn a_known_name_decodes_to_its_variant() {
        let event: Open<Event> = serde_json::from_str("\"DELIVERED_DR\"").unwrap();
        assert_eq!(event, Open::Known(Event::DeliveredDr));
    }

    #[test]
    fn an_unknown_name_decodes_to_its_raw_text_and_encodes_back_unchanged() {
        let event: Open<Event> = serde_json::from_str("\"RECEIVED_RCS\"").unwrap();
        assert_eq!(event, Open::Unknown("RECEIVED_RCS".to_owned()));
        assert_eq!(serde_json::to_string(&event).unwrap(), "\"RECEIVED_RCS\"");
        let lower: Open<Encoding> = serde_json::from_str("\"json\"").unwrap();
        assert_eq!(
            lower,
            Open::Unknown("json".to_owned()),
            "wire names are case-sensitive"
        );
        assert_eq!(lower.as_wire(), "json");
    }

    #[test]
    fn a_non_string_is_still_a_decoding_error() {
        assert!(serde_json::from_str::<Open<Event>>("42").is_err());
    }
}
