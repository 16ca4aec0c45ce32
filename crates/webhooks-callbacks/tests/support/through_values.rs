//! The reference reading of a JSON callback body, shared by the differential test
//! (`tests/parse_differential.rs`) and the `callback_parse` fuzz target: the body into
//! `serde_json::Value`s first, then the fields (`Callback::from_fields`), the way of earlier
//! releases.

use serde_json::Value;
use webhooks_callbacks::{Callback, ParseError};

/// `body` read through `Value`s, with the errors `Callback::parse` gives for a JSON body.
pub fn through_values(body: &[u8]) -> Result<Callback, ParseError> {
    let body = body.trim_ascii();
    if body.is_empty() {
        return Err(ParseError::EmptyBody);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Callback::from_fields(fields),
        Ok(_) => Err(ParseError::NotAnObject),
        Err(err) => Err(ParseError::InvalidJson {
            reason: err.to_string(),
        }),
    }
}
