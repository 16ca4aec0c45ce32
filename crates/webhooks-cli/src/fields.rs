//! `--field NAME=VALUE` and `--field NAME:=JSON`: event data for `template render` and
//! `trigger`, in one syntax.

use serde_json::{Map, Value};

use crate::failure::Failure;

/// `NAME=VALUE` is text; `NAME:=JSON` is a JSON value. A later field replaces an earlier one.
pub fn parse(fields: &[String]) -> Result<Map<String, Value>, Failure> {
    let mut map = Map::new();
    for field in fields {
        let (name, value) = match field.split_once('=') {
            Some((name, json)) if name.ends_with(':') => {
                let value = serde_json::from_str(json).map_err(|err| {
                    Failure::Usage(format!(
                        "--field {field}: the value after := is not JSON: {err}"
                    ))
                })?;
                (&name[..name.len() - 1], value)
            }
            Some((name, text)) => (name, Value::String(text.to_owned())),
            None => {
                return Err(Failure::Usage(format!(
                    "--field {field}: expected NAME=VALUE or NAME:=JSON"
                )));
            }
        };
        if name.is_empty() {
            return Err(Failure::Usage(format!(
                "--field {field}: the name is empty"
            )));
        }
        map.insert(name.to_owned(), value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn fields_are_text_unless_given_with_colon_equals() {
        let map = parse(&strings(&[
            "content=a=b",
            "status_code:=330",
            "metadata:={\"k\":\"v\"}",
        ]))
        .unwrap();
        assert_eq!(map["content"], "a=b");
        assert_eq!(map["status_code"], 330);
        assert_eq!(map["metadata"]["k"], "v");
    }

    #[test]
    fn malformed_fields_are_usage_errors() {
        for bad in ["novalue", "=x", "n:={", ":=1"] {
            let err = parse(&strings(&[bad])).unwrap_err();
            assert!(matches!(err, Failure::Usage(_)), "{bad}: {err}");
        }
    }
}
