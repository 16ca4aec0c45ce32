//! `cargo xtask diff OLD NEW`: what changed between two versions of the spec, and which changes
//! break code written against the old one (so the version bump and the CHANGELOG say so).
//!
//! Breaking: an operation, parameter, schema or property removed; an operationId renamed; a
//! parameter or property newly required; an enum value removed or added (the generated enums
//! are closed, so a new value fails to decode); a type or format changed; a constraint
//! tightened (a lower `maximum`/`maxLength`/`maxItems`, a higher `minimum`/`minLength`/
//! `minItems`, a new or changed `pattern`: requests valid yesterday are rejected today).
//! Not breaking: operations, optional parameters, schemas and optional properties added; a
//! constraint relaxed or removed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::Error;
use crate::spec::{Pointer, Spec};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One difference between the two specs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Whether code written against the old spec may stop compiling or decoding.
    pub breaking: bool,
    /// Where, in the newer spec (or the older one for removals).
    pub location: Pointer,
    /// What changed.
    pub what: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = if self.breaking {
            "BREAKING"
        } else {
            "additive"
        };
        write!(f, "{tag:<9} {}: {}", self.location, self.what)
    }
}

/// Compare the specs at `old` and `new`, print every change, fail when any is breaking.
pub fn run(old: &Path, new: &Path) -> Result<(), Error> {
    let (old, new) = (Spec::load(old)?, Spec::load(new)?);
    let changes = changes(old.tree(), new.tree());
    if changes.is_empty() {
        println!(
            "no API changes between {} and {}",
            old.display_path(),
            new.display_path()
        );
        return Ok(());
    }
    for change in &changes {
        println!("{change}");
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    println!("{} change(s), {breaking} breaking", changes.len());
    if breaking > 0 {
        Err(Error::Breaking(breaking))
    } else {
        Ok(())
    }
}

/// Every change from `old` to `new`, sorted (breaking ones last within a location).
pub fn changes(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    operations(old, new, &mut out);
    schemas(old, new, &mut out);
    out.sort();
    out
}

fn push(out: &mut Vec<Change>, breaking: bool, location: Pointer, what: impl Into<String>) {
    out.push(Change {
        breaking,
        location,
        what: what.into(),
    });
}

fn operations(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (old_ops, new_ops) = (operation_map(old), operation_map(new));
    for (key, old_op) in &old_ops {
        let at = Pointer::root().join("paths").join(&key.1).join(&key.0);
        let name = format!("{} {}", key.0.to_uppercase(), key.1);
        let Some(new_op) = new_ops.get(key) else {
            push(out, true, at, format!("operation {name} removed"));
            continue;
        };
        let (old_id, new_id) = (old_op.op.get("operationId"), new_op.op.get("operationId"));
        if old_id != new_id {
            push(
                out,
                true,
                at.join("operationId"),
                format!(
                    "operationId of {name} changed from {} to {}",
                    show(old_id),
                    show(new_id)
                ),
            );
        }
        for (param, old_param) in &old_op.params {
            match new_op.params.get(param) {
                None => push(
                    out,
                    true,
                    at.join("parameters"),
                    format!("parameter `{}` ({}) of {name} removed", param.1, param.0),
                ),
                Some(new_param) => {
                    if !is_required(old_param) && is_required(new_param) {
                        push(
                            out,
                            true,
                            at.join("parameters"),
                            format!("parameter `{}` of {name} is now required", param.1),
                        );
                    }
                    type_change(
                        old_param.get("schema"),
                        new_param.get("schema"),
                        &at.join("parameters"),
                        &format!("parameter `{}`", param.1),
                        out,
                    );
                }
            }
        }
        for (param, new_param) in &new_op.params {
            if !old_op.params.contains_key(param) {
                let required = is_required(new_param);
                push(
                    out,
                    required,
                    at.join("parameters"),
                    format!(
                        "{} parameter `{}` ({}) added to {name}",
                        if required { "required" } else { "optional" },
                        param.1,
                        param.0
                    ),
                );
            }
        }
    }
    for key in new_ops.keys().filter(|key| !old_ops.contains_key(*key)) {
        let at = Pointer::root().join("paths").join(&key.1).join(&key.0);
        push(
            out,
            false,
            at,
            format!("operation {} {} added", key.0.to_uppercase(), key.1),
        );
    }
}

struct Operation<'a> {
    op: &'a Value,
    /// (in, name) -> the parameter, path-level ones included, `$ref`s resolved.
    params: BTreeMap<(String, String), &'a Value>,
}

fn operation_map(doc: &Value) -> BTreeMap<(String, String), Operation<'_>> {
    let mut map = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return map;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut params = BTreeMap::new();
            let lists = [item.get("parameters"), op.get("parameters")];
            for param in lists
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
            {
                let param = resolve(doc, param);
                let location = param
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned();
                let name = param
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned();
                params.insert((location, name), param);
            }
            map.insert((method.to_owned(), path.clone()), Operation { op, params });
        }
    }
    map
}

fn schemas(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let empty = serde_json::Map::new();
    let old_schemas = old
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new_schemas = new
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let base = Pointer::root().join("components").join("schemas");
    for (name, old_schema) in old_schemas {
        let at = base.join(name);
        let Some(new_schema) = new_schemas.get(name) else {
            push(out, true, at, format!("schema `{name}` removed"));
            continue;
        };
        type_change(
            Some(old_schema),
            Some(new_schema),
            &at,
            &format!("schema `{name}`"),
            out,
        );
        let (old_props, new_props) = (properties(old_schema), properties(new_schema));
        let (old_required, new_required) = (required(old_schema), required(new_schema));
        for (prop, old_prop) in &old_props {
            let prop_at = at.join("properties").join(prop);
            match new_props.get(prop) {
                None => push(
                    out,
                    true,
                    prop_at,
                    format!("property `{name}.{prop}` removed"),
                ),
                Some(new_prop) => type_change(
                    Some(old_prop),
                    Some(new_prop),
                    &prop_at,
                    &format!("property `{name}.{prop}`"),
                    out,
                ),
            }
        }
        for prop in new_props
            .keys()
            .filter(|prop| !old_props.contains_key(*prop))
        {
            let required = new_required.contains(prop);
            push(
                out,
                required,
                at.join("properties").join(prop),
                format!(
                    "{} property `{name}.{prop}` added",
                    if required { "required" } else { "optional" }
                ),
            );
        }
        for prop in new_required
            .difference(&old_required)
            .filter(|prop| old_props.contains_key(*prop))
        {
            push(
                out,
                true,
                at.join("required"),
                format!("property `{name}.{prop}` is now required"),
            );
        }
        for prop in old_required
            .difference(&new_required)
            .filter(|prop| new_props.contains_key(*prop))
        {
            push(
                out,
                true,
                at.join("required"),
                format!(
                    "property `{name}.{prop}` is no longer required (its generated field becomes an Option)"
                ),
            );
        }
    }
    for name in new_schemas
        .keys()
        .filter(|name| !old_schemas.contains_key(*name))
    {
        push(
            out,
            false,
            base.join(name),
            format!("schema `{name}` added"),
        );
    }
}

/// Reports a change of `type`, `format`, `$ref` or enum values between two schemas.
fn type_change(
    old: Option<&Value>,
    new: Option<&Value>,
    at: &Pointer,
    what: &str,
    out: &mut Vec<Change>,
) {
    let (Some(old), Some(new)) = (old, new) else {
        return;
    };
    for field in ["type", "format", "$ref"] {
        if old.get(field) != new.get(field) {
            push(
                out,
                true,
                at.join(field),
                format!(
                    "{field} of {what} changed from {} to {}",
                    show(old.get(field)),
                    show(new.get(field))
                ),
            );
        }
    }
    let (old_values, new_values) = (enum_values(old), enum_values(new));
    for value in old_values.difference(&new_values) {
        push(
            out,
            true,
            at.join("enum"),
            format!("value {value} removed from {what}"),
        );
    }
    if !old_values.is_empty() {
        for value in new_values.difference(&old_values) {
            push(
                out,
                true,
                at.join("enum"),
                format!("value {value} added to {what} (closed generated enums fail to decode it)"),
            );
        }
    }
    constraint_change(old, new, at, what, out);
    if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
        type_change(
            Some(old_items),
            Some(new_items),
            &at.join("items"),
            &format!("the items of {what}"),
            out,
        );
    }
}

/// Which way a numeric constraint tightens: an upper bound tightens downwards, a lower bound
/// upwards.
#[derive(Clone, Copy)]
enum Bound {
    Upper,
    Lower,
}

const BOUNDS: [(&str, Bound); 6] = [
    ("maximum", Bound::Upper),
    ("maxLength", Bound::Upper),
    ("maxItems", Bound::Upper),
    ("minimum", Bound::Lower),
    ("minLength", Bound::Lower),
    ("minItems", Bound::Lower),
];

/// Reports changed bounds and patterns; tightening is breaking, relaxing is not.
fn constraint_change(old: &Value, new: &Value, at: &Pointer, what: &str, out: &mut Vec<Change>) {
    for (field, bound) in BOUNDS {
        let (before, after) = (old.get(field), new.get(field));
        if before == after {
            continue;
        }
        let number = |value: Option<&Value>| value.and_then(Value::as_f64);
        let tightened = match (number(before), number(after), bound) {
            (None, Some(_), _) => true,
            (Some(_), None, _) => false,
            (Some(b), Some(a), Bound::Upper) => a < b,
            (Some(b), Some(a), Bound::Lower) => a > b,
            (None, None, _) => true,
        };
        let verb = if tightened { "tightened" } else { "relaxed" };
        push(
            out,
            tightened,
            at.join(field),
            format!(
                "{field} of {what} {verb} from {} to {}",
                show(before),
                show(after)
            ),
        );
    }
    let (before, after) = (old.get("pattern"), new.get("pattern"));
    if before != after {
        let breaking = after.is_some();
        push(
            out,
            breaking,
            at.join("pattern"),
            format!(
                "pattern of {what} changed from {} to {}",
                show(before),
                show(after)
            ),
        );
    }
}

fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .and_then(|pointer| doc.pointer(pointer))
        .unwrap_or(node)
}

fn properties(schema: &Value) -> BTreeMap<String, &Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn enum_values(schema: &Value) -> BTreeSet<String> {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| values.iter().map(Value::to_string).collect())
        .unwrap_or_default()
}

fn is_required(param: &Value) -> bool {
    param
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(none)".to_owned(), Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "openapi": "3.0.3",
            "paths": {"/things": {"get": {
                "operationId": "ListThings",
                "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}]
            }}},
            "components": {"schemas": {
                "Thing": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string"},
                    "kind": {"type": "string", "enum": ["A", "B"]}
                }}
            }}
        })
    }

    #[test]
    fn identical_specs_have_no_changes() {
        assert_eq!(changes(&base(), &base()), vec![]);
    }

    #[test]
    fn additions_are_not_breaking() {
        let mut new = base();
        new["components"]["schemas"]["Thing"]["properties"]["note"] = json!({"type": "string"});
        new["paths"]["/other"] = json!({"post": {"operationId": "MakeOther"}});
        let found = changes(&base(), &new);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|c| !c.breaking), "{found:?}");
    }

    #[test]
    fn tightened_constraints_break_and_relaxed_ones_do_not() {
        let mut old = base();
        old["components"]["schemas"]["Thing"]["properties"]["id"]["maxLength"] = json!(1000);
        old["components"]["schemas"]["Thing"]["properties"]["kind"]["minLength"] = json!(1);
        let mut tighter = old.clone();
        tighter["components"]["schemas"]["Thing"]["properties"]["id"]["maxLength"] = json!(999);
        tighter["components"]["schemas"]["Thing"]["properties"]["kind"]["pattern"] =
            json!("^[A-Z]$");
        let found = changes(&old, &tighter);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|c| c.breaking), "{found:?}");
        assert!(
            found[0]
                .what
                .contains("maxLength of property `Thing.id` tightened from 1000 to 999"),
            "{found:?}"
        );

        let mut looser = old.clone();
        looser["components"]["schemas"]["Thing"]["properties"]["id"]["maxLength"] = json!(2000);
        looser["components"]["schemas"]["Thing"]["properties"]["kind"]
            .as_object_mut()
            .unwrap()
            .remove("minLength");
        let found = changes(&old, &looser);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|c| !c.breaking), "{found:?}");
    }

    #[test]
    fn removals_renames_and_enum_changes_are_breaking() {
        let mut new = base();
        new["paths"]["/things"]["get"]["operationId"] = json!("RetrieveThings");
        new["components"]["schemas"]["Thing"]["properties"]["kind"]["enum"] = json!(["A", "C"]);
        new["components"]["schemas"]["Thing"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("id");
        new["paths"]["/things"]["get"]["parameters"][0]["required"] = json!(true);
        let found = changes(&base(), &new);
        let what: Vec<&str> = found.iter().map(|c| c.what.as_str()).collect();
        assert!(found.iter().all(|c| c.breaking), "{found:?}");
        assert!(
            what.iter()
                .any(|w| w.contains("operationId of GET /things changed")),
            "{what:?}"
        );
        assert!(
            what.iter().any(|w| w.contains("value \"B\" removed")),
            "{what:?}"
        );
        assert!(
            what.iter().any(|w| w.contains("value \"C\" added")),
            "{what:?}"
        );
        assert!(
            what.iter().any(|w| w.contains("`Thing.id` removed")),
            "{what:?}"
        );
        assert!(
            what.iter()
                .any(|w| w.contains("`page` of GET /things is now required")),
            "{what:?}"
        );
    }
}
