//! `cargo xtask lint`: what the generator needs from the spec, and what we need of its docs.
//!
//! Two families of rules, each finding printed with its location (a JSON pointer into the spec):
//! - **generator**: OpenAPI 3.0.x; a unique `operationId` on every operation; one success type and
//!   one error type per operation; JSON request and response bodies only; and no construct whose
//!   generated code would not compile or would need a dependency `webhooks-client` lacks:
//!   `format: date-time`/`date` (chrono), `pattern` (regress), external, dangling or path-level
//!   `$ref`s, cookie and `deepObject` parameters, 3.1 type arrays. Lint runs before generation,
//!   so these are refused with their place instead of surfacing as a panic inside typify or a
//!   compile error in the generated crate.
//! - **docs**: every operation has a summary and a description; every schema, property and
//!   parameter is described and carries an example (the generated crate's docs are read on
//!   docs.rs, and the examples feed contract tests).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::spec::{Pointer, Spec};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const JSON: &str = "application/json";

/// Which family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Without it, progenitor refuses the spec or generates something unusable.
    Generator,
    /// Our documentation rules.
    Docs,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Generator => "generator",
            Family::Docs => "docs",
        })
    }
}

/// One broken rule at one place in the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Where in the spec.
    pub location: Pointer,
    /// Which family of rules.
    pub family: Family,
    /// What is wrong and what to do, for a person.
    pub message: String,
}

/// Every finding of one lint run, in document order of their locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// The spec's path, for messages.
    pub spec: String,
    /// The findings, sorted by location.
    pub items: Vec<Finding>,
}

impl fmt::Display for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.items {
            writeln!(
                f,
                "error[{}] {}{}: {}",
                finding.family, self.spec, finding.location, finding.message
            )?;
        }
        write!(
            f,
            "{}: {} lint finding(s); fix them and run `cargo xtask lint` again",
            self.spec,
            self.items.len()
        )
    }
}

/// Check `spec`; `Err` holds every finding.
pub fn check(spec: &Spec) -> Result<(), crate::Error> {
    let items = findings(spec.tree());
    if items.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::Lint(Findings {
            spec: spec.display_path(),
            items,
        }))
    }
}

/// Every finding for the document `doc`, sorted by location.
pub fn findings(doc: &Value) -> Vec<Finding> {
    let mut lint = Lint {
        doc,
        found: Vec::new(),
    };
    lint.version();
    lint.operations();
    lint.schemas();
    lint.component_parameters();
    lint.operation_ids();
    lint.constructs(doc, &Pointer::root(), "");
    lint.found.sort();
    lint.found.dedup();
    lint.found
}

struct Lint<'a> {
    doc: &'a Value,
    found: Vec<Finding>,
}

impl<'a> Lint<'a> {
    fn report(&mut self, family: Family, location: Pointer, message: impl Into<String>) {
        self.found.push(Finding {
            location,
            family,
            message: message.into(),
        });
    }

    /// Follows a local `$ref` (`#/components/...`) once; other nodes are returned as they are.
    fn resolve(&self, node: &'a Value) -> (&'a Value, Option<Pointer>) {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference.strip_prefix('#') {
                Some(pointer) => match self.doc.pointer(pointer) {
                    Some(target) => (target, Some(Pointer::parse(pointer))),
                    None => (node, None),
                },
                None => (node, None),
            },
            None => (node, None),
        }
    }

    fn version(&mut self) {
        let location = Pointer::root().join("openapi");
        match self.doc.get("openapi").and_then(Value::as_str) {
            Some(version) if version.starts_with("3.0.") => {}
            Some(version) => self.report(
                Family::Generator,
                location,
                format!(
                    "OpenAPI {version} is not supported: progenitor reads only 3.0.x documents"
                ),
            ),
            None => self.report(
                Family::Generator,
                location,
                "the `openapi: 3.0.x` version field is missing",
            ),
        }
    }

    fn operations(&mut self) {
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            self.report(
                Family::Generator,
                Pointer::root().join("paths"),
                "the spec has no `paths`",
            );
            return;
        };
        for (path, item) in paths {
            let item_at = Pointer::root().join("paths").join(path);
            if let Some(params) = item.get("parameters").and_then(Value::as_array) {
                self.parameters(params, &item_at.join("parameters"));
            }
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    self.operation(
                        operation,
                        &item_at.join(method),
                        &format!("{} {path}", method.to_uppercase()),
                    );
                }
            }
        }
    }

    fn operation(&mut self, operation: &'a Value, at: &Pointer, name: &str) {
        if operation
            .get("operationId")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            self.report(
                Family::Generator,
                at.join("operationId"),
                format!(
                    "{name} has no operationId; the generator names the client method after it"
                ),
            );
        }
        for field in ["summary", "description"] {
            if !has_text(operation, field) {
                self.report(
                    Family::Docs,
                    at.join(field),
                    format!("{name} has no {field}"),
                );
            }
        }
        if let Some(params) = operation.get("parameters").and_then(Value::as_array) {
            self.parameters(params, &at.join("parameters"));
        }
        if let Some(body) = operation.get("requestBody") {
            let (body, target) = self.resolve(body);
            let body_at = target.unwrap_or_else(|| at.join("requestBody"));
            self.json_only(body, &body_at, &format!("the request body of {name}"));
        }
        let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
            self.report(
                Family::Generator,
                at.join("responses"),
                format!("{name} has no responses"),
            );
            return;
        };
        let mut success = BTreeSet::new();
        let mut error = BTreeSet::new();
        for (code, response) in responses {
            let (response, target) = self.resolve(response);
            let response_at = target.unwrap_or_else(|| at.join("responses").join(code));
            self.json_only(
                response,
                &response_at,
                &format!("response {code} of {name}"),
            );
            let body = body_type(response);
            match code.chars().next() {
                Some('2') => {
                    success.insert((body, code.clone()));
                }
                Some('4' | '5') | Some('d') => {
                    error.insert((body, code.clone()));
                }
                _ => {}
            }
        }
        for (kind, set) in [("success", &success), ("error", &error)] {
            let types: BTreeSet<&String> = set.iter().map(|(body, _)| body).collect();
            if types.len() > 1 {
                let listing = set
                    .iter()
                    .map(|(body, code)| format!("{code} -> {body}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.report(
                    Family::Generator,
                    at.join("responses"),
                    format!(
                        "{name} has {} different {kind} types ({listing}); the generator needs one {kind} type per operation: share one schema (for errors, `ErrorBody` under 4XX/5XX)",
                        types.len()
                    ),
                );
            }
        }
    }

    fn json_only(&mut self, node: &Value, at: &Pointer, what: &str) {
        if let Some(content) = node.get("content").and_then(Value::as_object) {
            for media_type in content
                .keys()
                .filter(|media_type| media_type.as_str() != JSON)
            {
                self.report(
                    Family::Generator,
                    at.join("content").join(media_type),
                    format!("{what} is `{media_type}`; only `{JSON}` bodies are supported"),
                );
            }
        }
    }

    fn parameters(&mut self, params: &'a [Value], at: &Pointer) {
        for (index, param) in params.iter().enumerate() {
            if param.get("$ref").is_some() {
                continue; // checked once, where it is defined
            }
            self.parameter(param, &at.join(&index.to_string()));
        }
    }

    fn component_parameters(&mut self) {
        let Some(params) = self
            .doc
            .pointer("/components/parameters")
            .and_then(Value::as_object)
        else {
            return;
        };
        let at = Pointer::root().join("components").join("parameters");
        for (name, param) in params {
            self.parameter(param, &at.join(name));
        }
    }

    fn parameter(&mut self, param: &Value, at: &Pointer) {
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        if !has_text(param, "description") {
            self.report(
                Family::Docs,
                at.join("description"),
                format!("parameter `{name}` has no description"),
            );
        }
        let schema_example = param
            .get("schema")
            .is_some_and(|schema| schema.get("example").is_some());
        if param.get("example").is_none() && param.get("examples").is_none() && !schema_example {
            self.report(
                Family::Docs,
                at.join("example"),
                format!("parameter `{name}` has no example"),
            );
        }
    }

    fn schemas(&mut self) {
        let Some(schemas) = self
            .doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        else {
            return;
        };
        let at = Pointer::root().join("components").join("schemas");
        for (name, schema) in schemas {
            let schema_at = at.join(name);
            if !has_text(schema, "description") {
                self.report(
                    Family::Docs,
                    schema_at.join("description"),
                    format!("schema `{name}` has no description"),
                );
            }
            if schema.get("example").is_none() {
                self.report(
                    Family::Docs,
                    schema_at.join("example"),
                    format!("schema `{name}` has no example"),
                );
            }
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                continue;
            };
            for (property, definition) in properties {
                if definition.get("$ref").is_some() {
                    continue; // the referenced schema carries its own docs
                }
                let property_at = schema_at.join("properties").join(property);
                if !has_text(definition, "description") {
                    self.report(
                        Family::Docs,
                        property_at.join("description"),
                        format!("property `{name}.{property}` has no description"),
                    );
                }
                if definition.get("example").is_none() {
                    self.report(
                        Family::Docs,
                        property_at.join("example"),
                        format!("property `{name}.{property}` has no example"),
                    );
                }
            }
        }
    }
}

/// A name for the type a response or request body decodes to: its `$ref`, an inline schema,
/// or "no body".
fn body_type(response: &Value) -> String {
    match response.pointer("/content/application~1json/schema") {
        Some(schema) => match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference.to_owned(),
            None => format!("inline schema {}", compact(schema)),
        },
        None => "no body".to_owned(),
    }
}

fn compact(schema: &Value) -> String {
    let text = schema.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

fn has_text(node: &Value, field: &str) -> bool {
    node.get(field)
        .and_then(Value::as_str)
        .is_some_and(|text| !text.trim().is_empty())
}

/// Formats typify maps to types from crates `webhooks-client` does not depend on.
const FORMATS_NEEDING_CHRONO: [&str; 2] = ["date-time", "date"];

/// Keys whose values are data (examples, defaults, enum values), not schema: never linted.
const DATA_KEYS: [&str; 6] = [
    "example",
    "examples",
    "default",
    "enum",
    "const",
    "description",
];

impl<'a> Lint<'a> {
    fn operation_ids(&mut self) {
        let mut seen: std::collections::BTreeMap<&str, Pointer> = std::collections::BTreeMap::new();
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            return;
        };
        for (path, item) in paths {
            for method in METHODS {
                let Some(id) = item
                    .get(method)
                    .and_then(|op| op.get("operationId"))
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let at = Pointer::root()
                    .join("paths")
                    .join(path)
                    .join(method)
                    .join("operationId");
                match seen.get(id) {
                    Some(first) => {
                        let message = format!(
                            "operationId `{id}` is also used at {first}; the generator needs one method name per operation"
                        );
                        self.report(Family::Generator, at, message);
                    }
                    None => {
                        seen.insert(id, at);
                    }
                }
            }
        }
    }

    /// Walks the whole document for constructs the generator cannot turn into compiling code.
    fn constructs(&mut self, node: &'a Value, at: &Pointer, parent_key: &str) {
        match node {
            Value::Object(map) => {
                if parent_key == "parameters" {
                    self.parameter_style(node, at);
                }
                // An `x-open-enum` schema is replaced by a handwritten type (see generate.rs): no
                // code is generated from its own keywords, which only inform other tools.
                let replaced = map.contains_key("x-open-enum");
                for (key, value) in map {
                    if DATA_KEYS.contains(&key.as_str()) || key.starts_with("x-") {
                        continue;
                    }
                    let child = at.join(key);
                    match (key.as_str(), value) {
                        ("$ref", Value::String(reference)) => self.reference(reference, &child, at),
                        ("format", Value::String(format)) if !replaced && FORMATS_NEEDING_CHRONO.contains(&format.as_str()) => {
                            self.report(Family::Generator, child, format!("`format: {format}` generates chrono types, and webhooks-client does not depend on chrono: use a plain `type: string` and say the format in the description (the ergonomic layer parses it)"));
                        }
                        ("pattern", Value::String(_)) if !replaced => self.report(Family::Generator, child, "`pattern` generates a regress-checked newtype, and webhooks-client does not depend on regress: describe the rule and enforce it in the ergonomic layer's validation"),
                        ("type", Value::Array(_)) => self.report(Family::Generator, child, "a `type` array is OpenAPI 3.1; in a 3.0 document use one type and `nullable: true`"),
                        _ => {
                            // `components.parameters` is a map whose values are parameters.
                            let is_map_of_parameters = parent_key == "parameters" && !map.contains_key("in");
                            let key = if is_map_of_parameters { parent_key } else { key };
                            self.constructs(value, &child, key)
                        }
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.constructs(item, &at.join(&index.to_string()), parent_key);
                }
            }
            _ => {}
        }
    }

    fn reference(&mut self, reference: &str, at: &Pointer, owner: &Pointer) {
        let is_path_item = owner
            .parent()
            .is_some_and(|p| p == Pointer::root().join("paths"));
        if is_path_item {
            self.report(Family::Generator, at.clone(), "a `$ref` as a whole path item is not supported by the generator: write the operations under the path");
            return;
        }
        match reference.strip_prefix('#') {
            None => self.report(Family::Generator, at.clone(), format!("external `$ref` `{reference}`: the contract is one self-contained file; copy the definition under `components`")),
            Some(pointer) if self.doc.pointer(pointer).is_none() => self.report(Family::Generator, at.clone(), format!("dangling `$ref` `{reference}`: nothing in the document is at that pointer")),
            Some(_) => {}
        }
    }

    fn parameter_style(&mut self, param: &Value, at: &Pointer) {
        if param.get("in").and_then(Value::as_str) == Some("cookie") {
            self.report(
                Family::Generator,
                at.join("in"),
                "cookie parameters are not supported by the generator (and the API takes none)",
            );
        }
        if param.get("style").and_then(Value::as_str) == Some("deepObject") {
            self.report(Family::Generator, at.join("style"), "`style: deepObject` is not supported by the generator: flatten the object into separate query parameters");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/things": {"get": {
                "operationId": "ListThings",
                "summary": "List", "description": "Lists things.",
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "4XX": {"description": "err", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
                }
            }}},
            "components": {"schemas": {
                "Thing": {"type": "object", "description": "A thing.", "example": {}},
                "ErrorBody": {"type": "object", "description": "An error.", "example": {}}
            }}
        })
    }

    #[test]
    fn a_clean_spec_has_no_findings() {
        assert_eq!(findings(&minimal()), vec![]);
    }

    #[test]
    fn two_error_types_are_reported_readably() {
        let mut doc = minimal();
        doc["paths"]["/things"]["get"]["responses"]["500"] = json!({"description": "x", "content": {"application/json": {"schema": {"type": "string"}}}});
        let found = findings(&doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].family, Family::Generator);
        assert_eq!(
            found[0].location.to_string(),
            "#/paths/~1things/get/responses"
        );
        assert!(
            found[0].message.contains("2 different error types"),
            "{}",
            found[0].message
        );
        assert!(
            found[0]
                .message
                .contains("4XX -> #/components/schemas/ErrorBody"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn pattern_is_refused_except_on_a_schema_replaced_by_an_open_enum() {
        let mut doc = minimal();
        doc["components"]["schemas"]["Name"] = json!({
            "type": "string", "pattern": "^[A-Z]+$", "description": "A name.", "example": "A"
        });
        let found = findings(&doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].location.to_string(),
            "#/components/schemas/Name/pattern"
        );
        doc["components"]["schemas"]["Name"]["x-open-enum"] = json!("Known");
        assert_eq!(findings(&doc), vec![]);
    }

    #[test]
    fn missing_operation_id_and_docs_are_located() {
        let mut doc = minimal();
        let op = doc["paths"]["/things"]["get"].as_object_mut().unwrap();
        op.remove("operationId");
        op.remove("summary");
        let found = findings(&doc);
        let locations: Vec<String> = found.iter().map(|f| f.location.to_string()).collect();
        assert_eq!(
            locations,
            [
                "#/paths/~1things/get/operationId",
                "#/paths/~1things/get/summary"
            ]
        );
    }

    #[test]
    fn non_json_bodies_and_3_1_are_rejected() {
        let mut doc = minimal();
        doc["openapi"] = json!("3.1.0");
        doc["paths"]["/things"]["get"]["responses"]["200"]["content"] =
            json!({"text/plain": {"schema": {"type": "string"}}});
        let messages: Vec<String> = findings(&doc).into_iter().map(|f| f.message).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("3.1.0 is not supported")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("`text/plain`")),
            "{messages:?}"
        );
    }

    #[test]
    fn undocumented_schemas_properties_and_parameters_are_reported() {
        let mut doc = minimal();
        doc["components"]["schemas"]["Thing"]["properties"] =
            json!({"name": {"type": "string"}, "kind": {"$ref": "#/components/schemas/ErrorBody"}});
        doc["paths"]["/things"]["get"]["parameters"] =
            json!([{"name": "page", "in": "query", "schema": {"type": "integer"}}]);
        let locations: Vec<String> = findings(&doc)
            .iter()
            .map(|f| f.location.to_string())
            .collect();
        assert_eq!(
            locations,
            [
                "#/components/schemas/Thing/properties/name/description",
                "#/components/schemas/Thing/properties/name/example",
                "#/paths/~1things/get/parameters/0/description",
                "#/paths/~1things/get/parameters/0/example",
            ]
        );
    }
}
