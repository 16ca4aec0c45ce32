//! The operation-by-operation comparison of two bundled documents (see `bundle`): paths,
//! methods, operationIds, parameters, request and response bodies, status codes, and every
//! schema property's type, format, enum, bounds, required and nullable. Descriptions and
//! examples are prose, not contract, and are not compared.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::bundle::origin_of;
use crate::spec::Pointer;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What a difference records for a side that lacks the item.
pub const ABSENT: &str = "(absent)";
/// What a difference records for a side that has an item whose existence is the point.
pub const PRESENT: &str = "present";

/// Schema keywords compared one by one (3.1/3.2 forms were normalised to these).
const KEYWORDS: [&str; 16] = [
    "type",
    "format",
    "enum",
    "nullable",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// One difference between our contract and the vendor's spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The item, in the API's words: `POST /v1/webhooks/messages request body.url`.
    pub what: String,
    /// Which aspect of it differs: `maxLength`, `property`, `operation`, `required`, ...
    pub aspect: String,
    /// Its value in our contract (`(absent)` when the contract lacks it).
    pub contract: Value,
    /// Its value in the vendor's spec (`(absent)` when the vendor lacks it).
    pub upstream: Value,
    /// Where in our contract: `openapi/webhooks.yaml#/json/pointer`.
    pub contract_at: String,
    /// Where in the vendor's files: `paths/x.yaml#/json/pointer`.
    pub upstream_at: String,
    /// The other operations where the same two places differ in the same way (a schema
    /// shared by several operations is one difference, not one per operation).
    pub also: Vec<String>,
}

/// A place in one document: the file an inlined node came from and the pointer inside it.
#[derive(Debug, Clone)]
struct Place {
    file: String,
    pointer: Pointer,
}

impl Place {
    fn of(node: &Value, fallback: &Place, segment: &str) -> Place {
        match origin_of(node) {
            Some((file, pointer)) => Place { file, pointer },
            None => fallback.join(segment),
        }
    }

    fn join(&self, segment: &str) -> Place {
        Place {
            file: self.file.clone(),
            pointer: self.pointer.join(segment),
        }
    }

    fn show(&self) -> String {
        format!("{}{}", self.file, self.pointer)
    }
}

/// Every difference between `contract` and `upstream`, in document order.
pub fn differences(contract: &Value, upstream: &Value) -> Vec<Difference> {
    let root = |doc: &Value| {
        Place::of(
            doc,
            &Place {
                file: String::new(),
                pointer: Pointer::root(),
            },
            "",
        )
    };
    let mut walk = Walk { out: Vec::new() };
    walk.paths(
        Side::new(contract, root(contract)),
        Side::new(upstream, root(upstream)),
    );
    merge_shared(walk.out)
}

/// One difference per (aspect, values, places): the first operation names it, the rest are
/// listed in `also`.
fn merge_shared(found: Vec<Difference>) -> Vec<Difference> {
    let mut out: Vec<Difference> = Vec::new();
    for difference in found {
        let same = out.iter_mut().find(|d| {
            d.aspect == difference.aspect
                && d.contract == difference.contract
                && d.upstream == difference.upstream
                && d.contract_at == difference.contract_at
                && d.upstream_at == difference.upstream_at
        });
        match same {
            Some(first) => first.also.push(difference.what),
            None => out.push(difference),
        }
    }
    out
}

/// One document's node and where it is.
#[derive(Clone)]
struct Side<'a> {
    node: Option<&'a Value>,
    place: Place,
}

impl<'a> Side<'a> {
    fn new(node: &'a Value, place: Place) -> Side<'a> {
        Side {
            node: Some(node),
            place,
        }
    }

    fn child(&self, segment: &str) -> Side<'a> {
        let node = self.node.and_then(|n| n.get(segment));
        self.with(node, segment)
    }

    fn index(&self, index: usize) -> Side<'a> {
        let node = self.node.and_then(|n| n.get(index));
        self.with(node, &index.to_string())
    }

    fn with(&self, node: Option<&'a Value>, segment: &str) -> Side<'a> {
        let place = match node {
            Some(n) => Place::of(n, &self.place, segment),
            None => self.place.clone(),
        };
        Side { node, place }
    }

    fn keys(&self) -> Vec<String> {
        self.node
            .and_then(Value::as_object)
            .map(|m| m.keys().filter(|k| !k.starts_with("x-")).cloned().collect())
            .unwrap_or_default()
    }
}

struct Walk {
    out: Vec<Difference>,
}

impl Walk {
    fn note(&mut self, what: &str, aspect: &str, c: (Value, &Place), u: (Value, &Place)) {
        if c.0 != u.0 {
            self.out.push(Difference {
                what: what.to_owned(),
                aspect: aspect.to_owned(),
                contract: c.0,
                upstream: u.0,
                contract_at: c.1.show(),
                upstream_at: u.1.show(),
                also: Vec::new(),
            });
        }
    }

    /// Notes presence on one side only; returns whether both sides have it.
    fn both(&mut self, what: &str, aspect: &str, c: &Side, u: &Side) -> bool {
        let mark = |s: &Side| json!(if s.node.is_some() { PRESENT } else { ABSENT });
        match (c.node, u.node) {
            (Some(_), Some(_)) => true,
            (None, None) => false,
            _ => {
                self.note(what, aspect, (mark(c), &c.place), (mark(u), &u.place));
                false
            }
        }
    }

    fn paths(&mut self, c: Side, u: Side) {
        let (c, u) = (c.child("paths"), u.child("paths"));
        for path in union(c.keys(), u.keys()) {
            let (cp, up) = (c.child(&path), u.child(&path));
            for method in METHODS {
                let (co, uo) = (cp.child(method), up.child(method));
                let what = format!("{} {path}", method.to_uppercase());
                let id = |s: &Side| {
                    s.node.map_or(json!(ABSENT), |op| {
                        op.get("operationId").cloned().unwrap_or(json!(PRESENT))
                    })
                };
                match (co.node, uo.node) {
                    (None, None) => continue,
                    (Some(_), Some(_)) => {}
                    _ => {
                        self.note(
                            &what,
                            "operation",
                            (id(&co), &co.place),
                            (id(&uo), &uo.place),
                        );
                        continue;
                    }
                }
                let (ci, ui) = (co.child("operationId"), uo.child("operationId"));
                self.note(
                    &what,
                    "operationId",
                    (id(&co), &ci.place),
                    (id(&uo), &ui.place),
                );
                self.parameters(&what, [&cp, &co], [&up, &uo]);
                self.request_body(&what, co.child("requestBody"), uo.child("requestBody"));
                self.responses(&what, co.child("responses"), uo.child("responses"));
            }
        }
    }

    fn parameters<'a>(&mut self, op: &str, c: [&Side<'a>; 2], u: [&Side<'a>; 2]) {
        let (cs, us) = (parameter_list(c), parameter_list(u));
        let keys = union(
            cs.iter().map(|p| p.0.clone()).collect(),
            us.iter().map(|p| p.0.clone()).collect(),
        );
        for key in keys {
            let find = |list: &[(String, Side<'a>)]| -> Option<Side<'a>> {
                list.iter().find(|p| p.0 == key).map(|p| p.1.clone())
            };
            let missing = |side: &Side<'a>| Side {
                node: None,
                place: side.child("parameters").place,
            };
            let cp = find(&cs).unwrap_or_else(|| missing(c[1]));
            let up = find(&us).unwrap_or_else(|| missing(u[1]));
            let what = format!("{op} parameter {key}");
            if !self.both(&what, "parameter", &cp, &up) {
                continue;
            }
            self.flag(&what, "required", &cp, &up);
            self.schema(&what, cp.child("schema"), up.child("schema"));
        }
    }

    fn request_body(&mut self, op: &str, c: Side, u: Side) {
        let what = format!("{op} request body");
        if self.both(&what, "request body", &c, &u) {
            self.flag(&what, "required", &c, &u);
            self.content(&what, c.child("content"), u.child("content"));
        }
    }

    fn responses(&mut self, op: &str, c: Side, u: Side) {
        for code in union(c.keys(), u.keys()) {
            let (cr, ur) = (c.child(&code), u.child(&code));
            let what = format!("{op} response {code}");
            if self.both(&what, "status code", &cr, &ur) {
                self.content(&what, cr.child("content"), ur.child("content"));
            }
        }
    }

    fn content(&mut self, what: &str, c: Side, u: Side) {
        let media = |s: &Side| json!(s.keys());
        self.note(
            what,
            "media types",
            (media(&c), &c.place),
            (media(&u), &u.place),
        );
        let (cj, uj) = (c.child("application/json"), u.child("application/json"));
        if cj.node.is_some() && uj.node.is_some() {
            self.schema(what, cj.child("schema"), uj.child("schema"));
        }
    }

    fn flag(&mut self, what: &str, aspect: &str, c: &Side, u: &Side) {
        let value = |s: &Side| {
            json!(
                s.node
                    .and_then(|n| n.get(aspect))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            )
        };
        let (cf, uf) = (c.child(aspect), u.child(aspect));
        self.note(what, aspect, (value(c), &cf.place), (value(u), &uf.place));
    }

    fn schema(&mut self, what: &str, c: Side, u: Side) {
        if !self.both(what, "schema", &c, &u) {
            return;
        }
        let cycle = |s: &Side| s.node.is_some_and(|n| n.get("x-cycle").is_some());
        if cycle(&c) || cycle(&u) {
            return;
        }
        for keyword in KEYWORDS {
            let value = |s: &Side| keyword_value(s.node, keyword);
            let (ck, uk) = (c.child(keyword), u.child(keyword));
            self.note(
                what,
                keyword,
                (value(&c), &ck.place),
                (value(&u), &uk.place),
            );
        }
        self.additional(
            what,
            c.child("additionalProperties"),
            u.child("additionalProperties"),
        );
        let (cprops, uprops) = (c.child("properties"), u.child("properties"));
        for name in union(cprops.keys(), uprops.keys()) {
            let (cn, un) = (cprops.child(&name), uprops.child(&name));
            let prop = format!("{what}.{name}");
            if !self.both(&prop, "property", &cn, &un) {
                continue;
            }
            let (cr, ur) = (required_at(&c, &cn, &name), required_at(&u, &un, &name));
            self.note(
                &prop,
                "required",
                (json!(cr.0), &cr.1),
                (json!(ur.0), &ur.1),
            );
            self.schema(&prop, cn, un);
        }
        let (ci, ui) = (c.child("items"), u.child("items"));
        if ci.node.is_some() || ui.node.is_some() {
            self.schema(&format!("{what}[]"), ci, ui);
        }
        for combinator in ["allOf", "oneOf", "anyOf"] {
            let (cc, uc) = (c.child(combinator), u.child(combinator));
            let len = |s: &Side| s.node.and_then(Value::as_array).map_or(0, Vec::len);
            for index in 0..len(&cc).max(len(&uc)) {
                self.schema(
                    &format!("{what} {combinator}[{index}]"),
                    cc.index(index),
                    uc.index(index),
                );
            }
        }
    }

    fn additional(&mut self, what: &str, c: Side, u: Side) {
        let kind = |s: &Side| match s.node {
            Some(Value::Bool(false)) => "closed",
            None | Some(Value::Bool(true)) => "open",
            Some(_) => "schema",
        };
        if kind(&c) == "schema" && kind(&u) == "schema" {
            self.schema(&format!("{what}{{*}}"), c, u);
        } else {
            self.note(
                what,
                "additionalProperties",
                (json!(kind(&c)), &c.place),
                (json!(kind(&u)), &u.place),
            );
        }
    }
}

/// Whether `schema` requires property `name`, and where that is said (the `required` entry, or
/// the property itself when it is optional).
fn required_at(schema: &Side, property: &Side, name: &str) -> (bool, Place) {
    let list = schema.child("required");
    let position = list
        .node
        .and_then(Value::as_array)
        .and_then(|r| r.iter().position(|v| v == name));
    match position {
        Some(index) => (true, list.index(index).place),
        None => (false, property.place.clone()),
    }
}

fn keyword_value(node: Option<&Value>, keyword: &str) -> Value {
    let value = node.and_then(|n| n.get(keyword));
    match (keyword, value) {
        ("nullable" | "uniqueItems" | "exclusiveMinimum" | "exclusiveMaximum", None) => {
            json!(false)
        }
        ("enum", Some(Value::Array(values))) => {
            let mut values = values.clone();
            values.sort_by_key(Value::to_string);
            Value::Array(values)
        }
        (_, Some(value)) => value.clone(),
        (_, None) => json!(ABSENT),
    }
}

/// `name (in)` -> the parameter, path-level first, then the operation's (which override).
fn parameter_list<'a>(sides: [&Side<'a>; 2]) -> Vec<(String, Side<'a>)> {
    let mut out: Vec<(String, Side<'a>)> = Vec::new();
    for side in sides {
        let list = side.child("parameters");
        let count = list.node.and_then(Value::as_array).map_or(0, Vec::len);
        for index in 0..count {
            let param = list.index(index);
            let text = |field: &str| {
                param
                    .node
                    .and_then(|p| p.get(field))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned()
            };
            let key = format!("{} ({})", text("name"), text("in"));
            out.retain(|p| p.0 != key);
            out.push((key, param));
        }
    }
    out
}

fn union(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    a.into_iter()
        .chain(b)
        .filter(|k| seen.insert(k.clone()))
        .collect()
}
