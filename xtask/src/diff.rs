//! `cargo xtask diff OLD NEW | --base GIT_REF`: what changed between two versions of the
//! contract, operation by operation, and which changes break clients built on the old one.
//!
//! Changes are judged in the direction data flows (see `schema`): a request breaks when the
//! server accepts less than before (a new required field, a tighter bound, a new `pattern`, an
//! enum value removed, `additionalProperties: false`), a response breaks when the server may
//! send more (a field now nullable or optional, a new enum value, a looser bound). Removed
//! operations, parameters, properties, status codes, bodies, servers and security schemes, swapped
//! `$ref`s and changed types or defaults break both ways. Every finding carries a JSON pointer
//! into the newer document (the older one for what was removed).
//!
//! This is wire compatibility only; `cargo semver-checks` in CI judges the Rust API.

mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Value, json};

pub use schema::Direction;
use schema::{SchemaDiff, resolve};

use crate::Error;
use crate::spec::{Pointer, Spec};

/// What a missing `responses`, `content` or `components.schemas` map reads as.
static EMPTY: std::sync::LazyLock<serde_json::Map<String, Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One difference between the two specs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Where: a JSON pointer into the newer spec (the older one for removals).
    pub location: Pointer,
    /// What changed.
    pub what: String,
    /// Whether clients written against the old spec may fail on the wire.
    pub breaking: bool,
    /// Why it breaks (empty when it does not).
    pub why: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.breaking {
            write!(
                f,
                "BREAKING  {}: {} ({})",
                self.location, self.what, self.why
            )
        } else {
            write!(f, "additive  {}: {}", self.location, self.what)
        }
    }
}

/// How `run` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per change, for people.
    Text,
    /// One JSON document, for machines.
    Json,
}

/// The changes found so far; one per (location, what), breaking if any sighting breaks.
#[derive(Debug, Default)]
pub struct Changes(BTreeMap<(Pointer, String), (bool, String)>);

impl Changes {
    fn push(&mut self, breaking: bool, location: Pointer, what: String, why: &str) {
        let entry = self
            .0
            .entry((location, what))
            .or_insert((breaking, why.to_owned()));
        if breaking && !entry.0 {
            *entry = (true, why.to_owned());
        }
    }

    fn into_vec(self) -> Vec<Change> {
        self.0
            .into_iter()
            .map(|((location, what), (breaking, why))| Change {
                location,
                what,
                breaking,
                why: if breaking { why } else { String::new() },
            })
            .collect()
    }
}

/// Compare `old` and `new`, print the report in `format`; `Err(Breaking)` when any change breaks.
pub fn run(old: &Spec, new: &Spec, format: Format) -> Result<(), Error> {
    let changes = changes(old.tree(), new.tree());
    let breaking = changes.iter().filter(|c| c.breaking).count();
    match format {
        Format::Json => {
            let list: Vec<Value> = changes
                .iter()
                .map(|c| {
                    json!({"location": c.location.to_string(), "what": c.what,
                           "breaking": c.breaking, "why": c.why})
                })
                .collect();
            let report = json!({"old": old.display_path(), "new": new.display_path(),
                                "breaking": breaking, "changes": list});
            println!("{report:#}");
        }
        Format::Text if changes.is_empty() => println!(
            "no API changes between {} and {}",
            old.display_path(),
            new.display_path()
        ),
        Format::Text => {
            for change in &changes {
                println!("{change}");
            }
            println!("{} change(s), {breaking} breaking", changes.len());
        }
    }
    if breaking > 0 {
        Err(Error::Breaking(breaking))
    } else {
        Ok(())
    }
}

/// The contract at git revision `rev`, read with `git show` in the workspace `root`.
pub fn spec_at_revision(root: &std::path::Path, rev: &str) -> Result<Spec, Error> {
    let object = format!("{rev}:{}", crate::SPEC_PATH);
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &object])
        .output()
        .map_err(|err| Error::Git(format!("could not run git: {err}")))?;
    if !output.status.success() {
        return Err(Error::Git(format!(
            "git show {object}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(Spec::parse(std::path::Path::new(&object), &output.stdout)?)
}

/// Every change from `old` to `new`, sorted by location.
pub fn changes(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Changes::default();
    let mut schemas = SchemaDiff {
        old_doc: old,
        new_doc: new,
        seen: BTreeSet::new(),
    };
    servers(old, new, &mut out);
    operations(old, new, &mut schemas, &mut out);
    components(old, new, &mut schemas, &mut out);
    out.into_vec()
}

/// The exit status for a list of changes: 1 when any breaks, 0 otherwise.
pub fn exit_code(changes: &[Change]) -> u8 {
    u8::from(changes.iter().any(|c| c.breaking))
}

fn servers(old: &Value, new: &Value, out: &mut Changes) {
    let urls = |doc: &Value| -> BTreeSet<String> {
        doc.get("servers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("url").and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    let (before, after) = (urls(old), urls(new));
    for url in before.difference(&after) {
        out.push(
            true,
            Pointer::root().join("servers"),
            format!("server {url} removed"),
            "clients configured for it lose their base URL",
        );
    }
    for url in after.difference(&before) {
        out.push(
            false,
            Pointer::root().join("servers"),
            format!("server {url} added"),
            "",
        );
    }
}

struct Operation<'a> {
    op: &'a Value,
    /// (in, name) -> the parameter, path-level ones included, `$ref`s resolved.
    params: BTreeMap<(String, String), &'a Value>,
    /// The security alternatives in force, each as canonical JSON.
    security: BTreeSet<String>,
}

fn operations<'a>(old: &'a Value, new: &'a Value, schemas: &mut SchemaDiff<'a>, out: &mut Changes) {
    let (old_ops, new_ops) = (operation_map(old), operation_map(new));
    for (key, before) in &old_ops {
        let at = Pointer::root().join("paths").join(&key.1).join(&key.0);
        let name = format!("{} {}", key.0.to_uppercase(), key.1);
        let Some(after) = new_ops.get(key) else {
            out.push(
                true,
                at,
                format!("operation {name} removed"),
                "calls to it fail",
            );
            continue;
        };
        let (old_id, new_id) = (before.op.get("operationId"), after.op.get("operationId"));
        if old_id != new_id {
            out.push(
                true,
                at.join("operationId"),
                format!(
                    "operationId of {name} changed from {} to {}",
                    show(old_id),
                    show(new_id)
                ),
                "the generated method is renamed",
            );
        }
        security(before, after, &at, &name, out);
        parameters(before, after, &at, &name, schemas, out);
        request_body(before.op, after.op, &at, &name, schemas, out);
        responses(before.op, after.op, &at, &name, schemas, out);
    }
    for key in new_ops.keys().filter(|key| !old_ops.contains_key(*key)) {
        let at = Pointer::root().join("paths").join(&key.1).join(&key.0);
        let name = format!("{} {}", key.0.to_uppercase(), key.1);
        out.push(false, at, format!("operation {name} added"), "");
    }
}

fn security(before: &Operation, after: &Operation, at: &Pointer, name: &str, out: &mut Changes) {
    for scheme in before.security.difference(&after.security) {
        out.push(
            true,
            at.join("security"),
            format!("security requirement {scheme} of {name} removed"),
            "clients authenticating that way are refused",
        );
    }
    for scheme in after.security.difference(&before.security) {
        out.push(
            before.security.is_empty(),
            at.join("security"),
            format!("security requirement {scheme} of {name} added"),
            "a call without credentials is now refused",
        );
    }
}

fn parameters<'a>(
    before: &Operation<'a>,
    after: &Operation<'a>,
    at: &Pointer,
    name: &str,
    schemas: &mut SchemaDiff<'a>,
    out: &mut Changes,
) {
    let at = at.join("parameters");
    for (key, old_param) in &before.params {
        let label = format!("parameter `{}` ({}) of {name}", key.1, key.0);
        let Some(new_param) = after.params.get(key) else {
            out.push(
                true,
                at.clone(),
                format!("{label} removed"),
                "requests sending it are rejected or misread",
            );
            continue;
        };
        if !flag(old_param, "required") && flag(new_param, "required") {
            out.push(
                true,
                at.clone(),
                format!("{label} is now required"),
                "requests without it are rejected",
            );
        }
        for field in ["style", "explode"] {
            if old_param.get(field) != new_param.get(field) {
                out.push(
                    true,
                    at.clone(),
                    format!(
                        "{field} of {label} changed from {} to {}",
                        show(old_param.get(field)),
                        show(new_param.get(field))
                    ),
                    "the parameter is serialized differently",
                );
            }
        }
        if let (Some(b), Some(a)) = (old_param.get("schema"), new_param.get("schema")) {
            schemas.compare(b, a, &at, &label, Direction::Request, out);
        }
    }
    for (key, new_param) in &after.params {
        if !before.params.contains_key(key) {
            let required = flag(new_param, "required");
            out.push(
                required,
                at.clone(),
                format!(
                    "{} parameter `{}` ({}) added to {name}",
                    if required { "required" } else { "optional" },
                    key.1,
                    key.0
                ),
                "requests without it are rejected",
            );
        }
    }
}

fn request_body<'a>(
    old_op: &'a Value,
    new_op: &'a Value,
    at: &Pointer,
    name: &str,
    schemas: &mut SchemaDiff<'a>,
    out: &mut Changes,
) {
    let at = at.join("requestBody");
    let before = old_op
        .get("requestBody")
        .map(|b| resolve(schemas.old_doc, b).0);
    let after = new_op
        .get("requestBody")
        .map(|b| resolve(schemas.new_doc, b).0);
    match (before, after) {
        (None, None) => {}
        (Some(_), None) => out.push(
            true,
            at,
            format!("request body of {name} removed"),
            "requests carrying one are rejected",
        ),
        (None, Some(body)) => {
            let required = flag(body, "required");
            out.push(
                required,
                at,
                format!(
                    "{} request body added to {name}",
                    if required { "required" } else { "optional" }
                ),
                "requests without it are rejected",
            );
        }
        (Some(before), Some(after)) => {
            let (was, is) = (flag(before, "required"), flag(after, "required"));
            if was != is {
                out.push(
                    is,
                    at.join("required"),
                    format!("request body of {name}: required changed from {was} to {is}"),
                    "requests without a body are rejected",
                );
            }
            let label = format!("request body of {name}");
            content(before, after, &at, &label, Direction::Request, schemas, out);
        }
    }
}

fn responses<'a>(
    old_op: &'a Value,
    new_op: &'a Value,
    at: &Pointer,
    name: &str,
    schemas: &mut SchemaDiff<'a>,
    out: &mut Changes,
) {
    let list = |op: &'a Value| op.get("responses").and_then(Value::as_object);
    let (before, after) = (
        list(old_op).unwrap_or(&EMPTY),
        list(new_op).unwrap_or(&EMPTY),
    );
    let at = at.join("responses");
    for (code, old_response) in before {
        let Some(new_response) = after.get(code) else {
            out.push(
                true,
                at.join(code),
                format!("response {code} of {name} removed"),
                "clients expecting that status get an unexpected one",
            );
            continue;
        };
        let old_response = resolve(schemas.old_doc, old_response).0;
        let new_response = resolve(schemas.new_doc, new_response).0;
        let label = format!("response {code} of {name}");
        content(
            old_response,
            new_response,
            &at.join(code),
            &label,
            Direction::Response,
            schemas,
            out,
        );
    }
    for code in after.keys().filter(|code| !before.contains_key(*code)) {
        out.push(
            false,
            at.join(code),
            format!("response {code} added to {name}"),
            "",
        );
    }
}

/// Compares the media types of a request body or response and their schemas.
fn content<'a>(
    old: &'a Value,
    new: &'a Value,
    at: &Pointer,
    label: &str,
    dir: Direction,
    schemas: &mut SchemaDiff<'a>,
    out: &mut Changes,
) {
    let media = |node: &'a Value| node.get("content").and_then(Value::as_object);
    let (before, after) = (media(old).unwrap_or(&EMPTY), media(new).unwrap_or(&EMPTY));
    let at = at.join("content");
    if !before.is_empty() && after.is_empty() {
        out.push(
            true,
            at,
            format!("{label}: body removed"),
            "clients that read (or send) the body find none",
        );
        return;
    }
    for (media_type, old_media) in before {
        let media_at = at.join(media_type);
        let Some(new_media) = after.get(media_type) else {
            out.push(
                true,
                media_at,
                format!("{label}: media type {media_type} removed"),
                "clients using it fail",
            );
            continue;
        };
        if let (Some(b), Some(a)) = (old_media.get("schema"), new_media.get("schema")) {
            schemas.compare(b, a, &media_at.join("schema"), label, dir, out);
        }
    }
    for media_type in after.keys().filter(|m| !before.contains_key(*m)) {
        out.push(
            false,
            at.join(media_type),
            format!("{label}: media type {media_type} added"),
            "",
        );
    }
}

/// Component schemas: removed or added ones, and changes in those no operation reaches.
fn components<'a>(old: &'a Value, new: &'a Value, schemas: &mut SchemaDiff<'a>, out: &mut Changes) {
    let list = |doc: &'a Value| {
        doc.pointer("/components/schemas")
            .and_then(Value::as_object)
    };
    let (before, after) = (list(old).unwrap_or(&EMPTY), list(new).unwrap_or(&EMPTY));
    let base = Pointer::root().join("components").join("schemas");
    for (name, old_schema) in before {
        let at = base.join(name);
        let Some(new_schema) = after.get(name) else {
            out.push(
                true,
                at,
                format!("schema `{name}` removed"),
                "its generated type disappears",
            );
            continue;
        };
        let reference = format!("#/components/schemas/{name}");
        let reached = [Direction::Request, Direction::Response]
            .iter()
            .any(|dir| schemas.seen.contains(&(reference.clone(), *dir)));
        if !reached {
            let label = format!("schema `{name}`");
            schemas.compare(old_schema, new_schema, &at, &label, Direction::Both, out);
        }
    }
    for name in after.keys().filter(|name| !before.contains_key(*name)) {
        out.push(false, base.join(name), format!("schema `{name}` added"), "");
    }
}

fn operation_map(doc: &Value) -> BTreeMap<(String, String), Operation<'_>> {
    let mut map = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return map;
    };
    let root_security = doc.get("security");
    for (path, item) in paths {
        let item = resolve(doc, item).0;
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
                let param = resolve(doc, param).0;
                let text = |field: &str| {
                    param
                        .get(field)
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_owned()
                };
                params.insert((text("in"), text("name")), param);
            }
            let security = op
                .get("security")
                .or(root_security)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(Value::to_string)
                .collect();
            map.insert(
                (method.to_owned(), path.clone()),
                Operation {
                    op,
                    params,
                    security,
                },
            );
        }
    }
    map
}

fn flag(node: &Value, field: &str) -> bool {
    node.get(field).and_then(Value::as_bool).unwrap_or(false)
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(none)".to_owned(), Value::to_string)
}

#[cfg(test)]
mod tests;
