//! Reading a multi-file OpenAPI document (3.0, 3.1 or 3.2) into one tree in memory: every
//! `$ref`, local or to another file, is replaced by what it points at, and each inlined node
//! remembers where it came from (`x-origin: file#pointer`) so differences can name their place
//! in the vendor's own files. Nothing is written to disk.
//!
//! 3.1/3.2 constructs are rewritten to their 3.0 equivalents before comparison: a type array
//! with `null` becomes `nullable: true`, `const` a one-value `enum`, `examples` an `example`,
//! a numeric `exclusiveMinimum`/`exclusiveMaximum` a bound plus the 3.0 flag, and a
//! `oneOf`/`anyOf` of a schema and `{type: null}` that schema made nullable.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::spec::Pointer;

/// Where an inlined node came from, as `file#pointer` relative to the root document's folder.
pub const ORIGIN: &str = "x-origin";

/// At most this many `$ref`s are inlined: a document whose references fan out further than any
/// real API description (a "billion laughs" of refs) is refused instead of exhausting memory.
pub const MAX_INLINED_REFS: usize = 100_000;

/// At most this many nested `$ref`s on one path: deeper chains are treated as cycles.
pub const MAX_REF_DEPTH: usize = 64;

/// One document, all its files merged.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The merged document, every `$ref` inlined (a cycle is left as `{"x-cycle": ref}`).
    pub tree: Value,
    /// SHA-256 over every file read: each file's path (relative to the root's folder) and the
    /// SHA-256 of its bytes, one line each, sorted. Any byte changed in any file changes it.
    pub fingerprint: String,
    /// The `openapi` version the root document declares.
    pub version: String,
}

/// Why a document could not be bundled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError(pub String);

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BundleError {}

/// Bundle the document whose root file is `root`; file names in origins are relative to the
/// root's folder and prefixed with `prefix` (e.g. `openapi/` for the contract).
pub fn bundle(root: &Path, prefix: &str) -> Result<Bundle, BundleError> {
    let dir = root.parent().unwrap_or(Path::new("")).to_path_buf();
    let name = root
        .file_name()
        .ok_or_else(|| BundleError(format!("{}: not a file", root.display())))?;
    let mut loader = Loader {
        dir,
        prefix: prefix.to_owned(),
        files: BTreeMap::new(),
        inlined: 0,
    };
    let root_name = PathBuf::from(name);
    let document = loader.file(&root_name)?.clone();
    let mut stack = Vec::new();
    let mut tree = loader.inline(&document, &root_name, &mut stack)?;
    normalise(&mut tree, false);
    if let Value::Object(map) = &mut tree {
        map.insert(ORIGIN.into(), Value::String(loader.origin(&root_name, "")));
    }
    let version = tree
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut lines: Vec<String> = loader
        .files
        .iter()
        .map(|(path, (_, hash))| format!("{} {hash}\n", path.display()))
        .collect();
    lines.sort();
    Ok(Bundle {
        tree,
        fingerprint: hex(&Sha256::digest(lines.concat().as_bytes())),
        version,
    })
}

struct Loader {
    dir: PathBuf,
    prefix: String,
    /// File (relative to `dir`, normalised) -> its parsed tree and the SHA-256 of its bytes.
    files: BTreeMap<PathBuf, (Value, String)>,
    inlined: usize,
}

impl Loader {
    fn file(&mut self, relative: &Path) -> Result<&Value, BundleError> {
        if !self.files.contains_key(relative) {
            let path = self.dir.join(relative);
            let bytes = std::fs::read(&path)
                .map_err(|err| BundleError(format!("{}: {err}", path.display())))?;
            let tree: Value = serde_yaml_ng::from_slice(&bytes).map_err(|err| {
                BundleError(format!("{}: not a YAML document: {err}", path.display()))
            })?;
            let hash = hex(&Sha256::digest(&bytes));
            self.files.insert(relative.to_path_buf(), (tree, hash));
        }
        Ok(&self.files[relative].0)
    }

    fn origin(&self, file: &Path, pointer: &str) -> String {
        format!("{}{}#{pointer}", self.prefix, file.display())
    }

    /// `node` (found in `file`) with every `$ref` below it replaced by its target.
    fn inline(
        &mut self,
        node: &Value,
        file: &Path,
        stack: &mut Vec<String>,
    ) -> Result<Value, BundleError> {
        match node {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    return self.follow(reference.trim(), file, stack);
                }
                let mut out = Map::new();
                for (key, value) in map {
                    let value = if key == "example" || key == "examples" {
                        value.clone()
                    } else {
                        self.inline(value, file, stack)?
                    };
                    out.insert(key.clone(), value);
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .map(|item| self.inline(item, file, stack))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    fn follow(
        &mut self,
        reference: &str,
        file: &Path,
        stack: &mut Vec<String>,
    ) -> Result<Value, BundleError> {
        let (target_file, pointer) = match reference.split_once('#') {
            Some(("", pointer)) => (file.to_path_buf(), pointer),
            Some((path, pointer)) => (join(file, path)?, pointer),
            None => (join(file, reference)?, ""),
        };
        let origin = self.origin(&target_file, pointer);
        if stack.contains(&origin) || stack.len() >= MAX_REF_DEPTH {
            return Ok(serde_json::json!({ "x-cycle": origin }));
        }
        self.inlined += 1;
        if self.inlined > MAX_INLINED_REFS {
            return Err(BundleError(format!(
                "more than {MAX_INLINED_REFS} references to inline (at {origin}): refused"
            )));
        }
        let document = self.file(&target_file)?;
        let target = document.pointer(pointer).cloned().ok_or_else(|| {
            BundleError(format!(
                "dangling $ref `{reference}` in {}{}: {origin} does not exist",
                self.prefix,
                file.display()
            ))
        })?;
        stack.push(origin.clone());
        let mut value = self.inline(&target, &target_file, stack)?;
        stack.pop();
        if let Value::Object(map) = &mut value {
            map.insert(ORIGIN.into(), Value::String(origin));
        }
        Ok(value)
    }
}

/// `relative` resolved against the folder of `file`, without leaving the root's folder.
fn join(file: &Path, relative: &str) -> Result<PathBuf, BundleError> {
    if relative.contains("://") {
        return Err(BundleError(format!(
            "$ref `{relative}` in {}: only relative file references are read",
            file.display()
        )));
    }
    let mut out = PathBuf::new();
    for part in file
        .parent()
        .unwrap_or(Path::new(""))
        .join(relative)
        .components()
    {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return Err(BundleError(format!(
                        "$ref `{relative}` in {} leaves the spec's folder",
                        file.display()
                    )));
                }
            }
            Component::Normal(name) => out.push(name),
            Component::RootDir | Component::Prefix(_) => {
                return Err(BundleError(format!(
                    "$ref `{relative}` in {} is absolute; only relative references are read",
                    file.display()
                )));
            }
        }
    }
    Ok(out)
}

/// Rewrites 3.1/3.2 schema constructs as 3.0 ones, everywhere but inside `properties` names.
pub fn normalise(node: &mut Value, is_property_map: bool) {
    match node {
        Value::Object(map) if !is_property_map => {
            normalise_schema(map);
            for (key, value) in map.iter_mut() {
                if key != "example" && key != "examples" && key != "enum" && key != "default" {
                    normalise(value, key == "properties");
                }
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| normalise(v, false)),
        Value::Array(items) => items.iter_mut().for_each(|v| normalise(v, false)),
        _ => {}
    }
}

fn normalise_schema(map: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        let null = Value::String("null".into());
        let others: Vec<Value> = types.iter().filter(|t| **t != null).cloned().collect();
        if others.len() < types.len() {
            map.insert("nullable".into(), Value::Bool(true));
        }
        match others.as_slice() {
            [] => {
                map.remove("type");
            }
            [one] => {
                map.insert("type".into(), one.clone());
            }
            _ => {
                map.insert("type".into(), Value::Array(others));
            }
        }
    }
    if let Some(value) = map.remove("const") {
        map.insert("enum".into(), Value::Array(vec![value]));
    }
    if let Some(Value::Array(examples)) = map.get("examples").cloned()
        && let Some(first) = examples.first()
    {
        map.remove("examples");
        map.entry("example").or_insert_with(|| first.clone());
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(value @ Value::Number(_)) = map.get(exclusive).cloned() {
            map.insert(bound.into(), value);
            map.insert(exclusive.into(), Value::Bool(true));
        }
    }
    // `allOf: [one schema]` beside `nullable` or a description is the 3.0 idiom for a nullable
    // or annotated `$ref`: compare the schema it wraps, the wrapper's own keywords winning.
    if let Some(Value::Array(parts)) = map.get("allOf")
        && let [Value::Object(wrapped)] = parts.as_slice()
    {
        let wrapped = wrapped.clone();
        map.remove("allOf");
        for (key, value) in wrapped {
            map.entry(key).or_insert(value);
        }
    }
    for combinator in ["oneOf", "anyOf"] {
        let Some(Value::Array(options)) = map.get(combinator) else {
            continue;
        };
        let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
        if options.len() == 2 && options.iter().any(is_null) {
            let Some(Value::Object(schema)) = options.iter().find(|v| !is_null(v)).cloned() else {
                continue;
            };
            map.remove(combinator);
            for (key, value) in schema {
                map.entry(key).or_insert(value);
            }
            map.insert("nullable".into(), Value::Bool(true));
        }
    }
}

/// The pointer part of an `x-origin`, if `node` carries one: `(file, pointer)`.
pub fn origin_of(node: &Value) -> Option<(String, Pointer)> {
    let origin = node.get(ORIGIN)?.as_str()?;
    let (file, pointer) = origin.split_once('#')?;
    Some((file.to_owned(), Pointer::parse(pointer)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_single_all_of_wrapper_compares_as_the_schema_it_wraps() {
        let mut node = json!({
            "nullable": true,
            "description": "outer",
            "allOf": [{"type": "string", "enum": ["A"], "description": "inner"}]
        });
        normalise(&mut node, false);
        assert_eq!(
            node,
            json!({"nullable": true, "description": "outer", "type": "string", "enum": ["A"]})
        );
    }

    #[test]
    fn references_across_files_and_folders_are_inlined_with_their_origin() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "root.yaml",
            "openapi: 3.2.0\npaths:\n  /a:\n    $ref: ./paths/a.yaml\n",
        );
        write(
            dir.path(),
            "paths/a.yaml",
            "get:\n  responses:\n    '200':\n      $ref: '../shared/ok.yaml#/Ok'\n",
        );
        write(
            dir.path(),
            "shared/ok.yaml",
            "Ok:\n  description: fine\n  content: {}\n",
        );
        let bundle = bundle(&dir.path().join("root.yaml"), "").unwrap();
        let ok = bundle.tree.pointer("/paths/~1a/get/responses/200").unwrap();
        assert_eq!(ok["description"], "fine");
        assert_eq!(ok[ORIGIN], "shared/ok.yaml#/Ok");
        assert_eq!(
            bundle.tree.pointer("/paths/~1a").unwrap()[ORIGIN],
            "paths/a.yaml#"
        );
        assert_eq!(bundle.version, "3.2.0");
    }

    #[test]
    fn a_dangling_reference_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "root.yaml",
            "openapi: 3.0.3\npaths:\n  /a:\n    $ref: '#/nowhere'\n",
        );
        let err = bundle(&dir.path().join("root.yaml"), "").unwrap_err();
        assert!(err.0.contains("dangling $ref `#/nowhere`"), "{err}");
    }

    #[test]
    fn a_missing_file_and_an_escape_from_the_folder_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "root.yaml",
            "paths:\n  /a:\n    $ref: ./gone.yaml\n",
        );
        assert!(
            bundle(&dir.path().join("root.yaml"), "")
                .unwrap_err()
                .0
                .contains("gone.yaml")
        );
        write(
            dir.path(),
            "root.yaml",
            "paths:\n  /a:\n    $ref: ../../etc/passwd\n",
        );
        let err = bundle(&dir.path().join("root.yaml"), "").unwrap_err();
        assert!(err.0.contains("leaves the spec's folder"), "{err}");
    }

    #[test]
    fn a_recursive_schema_ends_in_a_cycle_marker() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "root.yaml",
            "components:\n  schemas:\n    Node:\n      properties:\n        next:\n          $ref: '#/components/schemas/Node'\n",
        );
        let bundle = bundle(&dir.path().join("root.yaml"), "").unwrap();
        let next = bundle
            .tree
            .pointer("/components/schemas/Node/properties/next/properties/next")
            .unwrap();
        assert!(next.get("x-cycle").is_some(), "{next}");
    }

    #[test]
    fn the_fingerprint_changes_with_any_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "root.yaml",
            "paths:\n  /a:\n    $ref: ./a.yaml\n",
        );
        write(dir.path(), "a.yaml", "get: {}\n");
        let before = bundle(&dir.path().join("root.yaml"), "")
            .unwrap()
            .fingerprint;
        write(dir.path(), "a.yaml", "get:  {}\n");
        let after = bundle(&dir.path().join("root.yaml"), "")
            .unwrap()
            .fingerprint;
        assert_ne!(before, after);
    }

    #[test]
    fn openapi_3_1_constructs_become_their_3_0_forms() {
        let mut doc = json!({"properties": {
            "const": {"type": ["string", "null"], "const": "X", "examples": ["X"]},
            "count": {"type": "integer", "exclusiveMinimum": 0},
            "maybe": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]}
        }});
        normalise(&mut doc, false);
        let props = &doc["properties"];
        assert_eq!(
            props["const"],
            json!({"type": "string", "nullable": true, "enum": ["X"], "example": "X"})
        );
        assert_eq!(
            props["count"],
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})
        );
        assert_eq!(
            props["maybe"],
            json!({"type": "string", "maxLength": 3, "nullable": true})
        );
    }
}
