//! Schema comparison for `diff`, in the direction the data flows: what a client sends
//! (request) breaks when the server accepts less; what a client receives (response) breaks when
//! the server may send more (a null, an absent field, a value outside a bound or an enum).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Changes, show};
use crate::spec::Pointer;

/// Which way data described by a schema flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// The client sends it: narrowing what is accepted breaks.
    Request,
    /// The client receives it: widening what may arrive breaks.
    Response,
    /// Not reached from an operation (or from both sides): either way breaks.
    Both,
}

impl Direction {
    /// Whether a change breaks, given whether it narrows what the server accepts
    /// (`narrows_requests`) or widens what it may send (`widens_responses`).
    fn breaks(self, narrows_requests: bool, widens_responses: bool) -> bool {
        match self {
            Direction::Request => narrows_requests,
            Direction::Response => widens_responses,
            Direction::Both => narrows_requests || widens_responses,
        }
    }
}

/// Upper bounds tighten downwards, lower bounds upwards.
#[derive(Clone, Copy)]
enum Bound {
    Upper,
    Lower,
}

const BOUNDS: [(&str, Bound); 8] = [
    ("maximum", Bound::Upper),
    ("maxLength", Bound::Upper),
    ("maxItems", Bound::Upper),
    ("maxProperties", Bound::Upper),
    ("minimum", Bound::Lower),
    ("minLength", Bound::Lower),
    ("minItems", Bound::Lower),
    ("minProperties", Bound::Lower),
];

/// Walks two versions of a schema together, following local `$ref`s on both sides.
pub struct SchemaDiff<'a> {
    pub old_doc: &'a Value,
    pub new_doc: &'a Value,
    /// `$ref` targets already compared, per direction (recursive schemas end here).
    pub seen: BTreeSet<(String, Direction)>,
}

impl<'a> SchemaDiff<'a> {
    /// Compare `old` and `new` found at `at` (a pointer into the new spec), named `what`.
    pub fn compare(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        at: &Pointer,
        what: &str,
        dir: Direction,
        out: &mut Changes,
    ) {
        let (old_ref, new_ref) = (reference(old), reference(new));
        if let (Some(before), Some(after)) = (old_ref, new_ref) {
            if before != after {
                out.push(
                    true,
                    at.join("$ref"),
                    format!("{what} changed type: $ref {before} -> {after}"),
                    "a different schema: generated types and decoders change",
                );
                return;
            }
            if !self.seen.insert((after.to_owned(), dir)) {
                return;
            }
        }
        let (old, _) = resolve(self.old_doc, old);
        let (new, target) = resolve(self.new_doc, new);
        let at = target.unwrap_or_else(|| at.clone());
        self.scalars(old, new, &at, what, dir, out);
        self.enums(old, new, &at, what, dir, out);
        bounds(old, new, &at, what, dir, out);
        self.properties(old, new, &at, what, dir, out);
        self.additional(old, new, &at, what, dir, out);
        if let (Some(before), Some(after)) = (old.get("items"), new.get("items")) {
            self.compare(
                before,
                after,
                &at.join("items"),
                &format!("{what}[]"),
                dir,
                out,
            );
        }
        for combinator in ["allOf", "oneOf", "anyOf"] {
            let (before, after) = (list(old, combinator), list(new, combinator));
            if before.len() != after.len() {
                out.push(
                    true,
                    at.join(combinator),
                    format!(
                        "{what}: {combinator} has {} schemas, was {}",
                        after.len(),
                        before.len()
                    ),
                    "a different composition: generated types change",
                );
                continue;
            }
            for (index, (b, a)) in before.iter().zip(after).enumerate() {
                let i = index.to_string();
                self.compare(
                    b,
                    a,
                    &at.join(combinator).join(&i),
                    &format!("{what}.{combinator}[{i}]"),
                    dir,
                    out,
                );
            }
        }
    }

    fn scalars(
        &self,
        old: &Value,
        new: &Value,
        at: &Pointer,
        what: &str,
        dir: Direction,
        out: &mut Changes,
    ) {
        for field in ["type", "format"] {
            if old.get(field) != new.get(field) {
                out.push(
                    true,
                    at.join(field),
                    format!(
                        "{field} of {what} changed from {} to {}",
                        show(old.get(field)),
                        show(new.get(field))
                    ),
                    "values of the old type no longer fit",
                );
            }
        }
        let (was, is) = (flag(old, "nullable"), flag(new, "nullable"));
        if was != is {
            let breaking = dir.breaks(was, is);
            let what = if is {
                format!("{what} is now nullable")
            } else {
                format!("{what} is no longer nullable")
            };
            let why = if is {
                "a response may now carry null where consumers expect a value"
            } else {
                "a request carrying null is now rejected"
            };
            out.push(breaking, at.join("nullable"), what, why);
        }
        let (before, after) = (flag(old, "uniqueItems"), flag(new, "uniqueItems"));
        if before != after {
            out.push(
                dir.breaks(after, before),
                at.join("uniqueItems"),
                format!("uniqueItems of {what} changed from {before} to {after}"),
                "requests with duplicates are rejected, or responses may now repeat items",
            );
        }
        let (before, after) = (old.get("default"), new.get("default"));
        if before != after {
            out.push(
                before.is_some(),
                at.join("default"),
                format!(
                    "default of {what} changed from {} to {}",
                    show(before),
                    show(after)
                ),
                "a value left out now means something else",
            );
        }
    }

    fn enums(
        &self,
        old: &Value,
        new: &Value,
        at: &Pointer,
        what: &str,
        dir: Direction,
        out: &mut Changes,
    ) {
        let (before, after) = (enum_values(old), enum_values(new));
        match (&before, &after) {
            (None, None) => {}
            (None, Some(_)) => out.push(
                dir.breaks(true, false),
                at.join("enum"),
                format!("{what} is now restricted to an enum"),
                "requests with other values are rejected",
            ),
            (Some(_), None) => out.push(
                true,
                at.join("enum"),
                format!("{what} is no longer an enum"),
                "the generated enum becomes an open type",
            ),
            (Some(before), Some(after)) => {
                for value in before.difference(after) {
                    out.push(
                        true,
                        at.join("enum"),
                        format!("value {value} removed from {what}"),
                        "requests using it are rejected; its generated variant disappears",
                    );
                }
                for value in after.difference(before) {
                    out.push(
                        dir.breaks(false, true),
                        at.join("enum"),
                        format!("value {value} added to {what}"),
                        "closed generated enums fail to decode a response carrying it",
                    );
                }
            }
        }
    }

    fn properties(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        at: &Pointer,
        what: &str,
        dir: Direction,
        out: &mut Changes,
    ) {
        let (before, after) = (properties(old), properties(new));
        let (was_required, is_required) = (required(old), required(new));
        for (name, old_prop) in &before {
            let prop_at = at.join("properties").join(name);
            let label = format!("{what}.{name}");
            match after.get(name) {
                None => out.push(
                    true,
                    prop_at,
                    format!("property {label} removed"),
                    "senders and readers of the field lose it",
                ),
                Some(new_prop) => self.compare(old_prop, new_prop, &prop_at, &label, dir, out),
            }
        }
        for name in after.keys().filter(|name| !before.contains_key(*name)) {
            let required = is_required.contains(name);
            out.push(
                dir.breaks(required, false),
                at.join("properties").join(name),
                format!(
                    "{} property {what}.{name} added",
                    if required { "required" } else { "optional" }
                ),
                "requests without it are rejected",
            );
        }
        for name in is_required.difference(&was_required) {
            if before.contains_key(name) {
                out.push(
                    dir.breaks(true, false),
                    at.join("required"),
                    format!("property {what}.{name} is now required"),
                    "requests without it are rejected",
                );
            }
        }
        for name in was_required.difference(&is_required) {
            if after.contains_key(name) {
                out.push(
                    dir.breaks(false, true),
                    at.join("required"),
                    format!("property {what}.{name} is no longer required"),
                    "a response may now omit it",
                );
            }
        }
    }

    fn additional(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        at: &Pointer,
        what: &str,
        dir: Direction,
        out: &mut Changes,
    ) {
        let (before, after) = (
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        );
        let at = at.join("additionalProperties");
        match (open_kind(before), open_kind(after)) {
            (Open::Schema, Open::Schema) => {
                if let (Some(b), Some(a)) = (before, after) {
                    self.compare(b, a, &at, &format!("{what}{{*}}"), dir, out);
                }
            }
            (was, is) if was != is => {
                let narrows = is < was;
                out.push(
                    dir.breaks(narrows, !narrows),
                    at,
                    format!(
                        "additionalProperties of {what} changed from {} to {}",
                        show(before),
                        show(after)
                    ),
                    if narrows {
                        "requests with other properties (or other values) are rejected"
                    } else {
                        "responses may now carry properties (or values) consumers reject"
                    },
                );
            }
            _ => {}
        }
    }
}

/// How open an object is to properties it does not name, from closed to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Open {
    Closed,
    Schema,
    Any,
}

fn open_kind(value: Option<&Value>) -> Open {
    match value {
        Some(Value::Bool(false)) => Open::Closed,
        None | Some(Value::Bool(true)) => Open::Any,
        Some(Value::Object(map)) if map.is_empty() => Open::Any,
        Some(_) => Open::Schema,
    }
}

fn bounds(old: &Value, new: &Value, at: &Pointer, what: &str, dir: Direction, out: &mut Changes) {
    for (field, bound) in BOUNDS {
        let (before, after) = (old.get(field), new.get(field));
        if before == after {
            continue;
        }
        let number = |value: Option<&Value>| value.and_then(Value::as_f64);
        let tightened = match (number(before), number(after), bound) {
            (Some(b), Some(a), Bound::Upper) => a < b,
            (Some(b), Some(a), Bound::Lower) => a > b,
            (_, after, _) => after.is_some(),
        };
        let verb = if tightened { "tightened" } else { "relaxed" };
        out.push(
            dir.breaks(tightened, !tightened),
            at.join(field),
            format!(
                "{field} of {what} {verb} from {} to {}",
                show(before),
                show(after)
            ),
            if tightened {
                "requests valid before are rejected"
            } else {
                "responses may now hold values the old bound (checked by generated types) rejects"
            },
        );
    }
    let (before, after) = (old.get("pattern"), new.get("pattern"));
    if before != after {
        out.push(
            dir.breaks(after.is_some(), before.is_some()),
            at.join("pattern"),
            format!(
                "pattern of {what} changed from {} to {}",
                show(before),
                show(after)
            ),
            "values valid under one pattern are not under the other",
        );
    }
}

/// A local `$ref`'s target string, if `node` is a reference.
pub fn reference(node: &Value) -> Option<&str> {
    node.get("$ref").and_then(Value::as_str)
}

/// Follows a local `$ref` (repeatedly, up to a bound); returns the node and its pointer.
pub fn resolve<'v>(doc: &'v Value, node: &'v Value) -> (&'v Value, Option<Pointer>) {
    const MAX_HOPS: usize = 16; // a chain of references longer than this is a cycle
    let (mut current, mut at) = (node, None);
    for _ in 0..MAX_HOPS {
        let Some(target) = reference(current).and_then(|r| r.strip_prefix('#')) else {
            break;
        };
        match doc.pointer(target) {
            Some(found) => {
                current = found;
                at = Some(Pointer::parse(target));
            }
            None => break,
        }
    }
    (current, at)
}

fn flag(schema: &Value, field: &str) -> bool {
    schema.get(field).and_then(Value::as_bool).unwrap_or(false)
}

fn list<'v>(schema: &'v Value, field: &str) -> &'v [Value] {
    schema
        .get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn properties(schema: &Value) -> BTreeMap<String, &Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

fn required(schema: &Value) -> BTreeSet<String> {
    list(schema, "required")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn enum_values(schema: &Value) -> Option<BTreeSet<String>> {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| values.iter().map(Value::to_string).collect())
}
