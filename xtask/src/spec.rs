//! Loading the OpenAPI document: as raw JSON for the lints (so every node has a location) and
//! as `openapiv3` types for the generator.

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A loaded spec: its bytes, their hash, and the document as a JSON tree.
#[derive(Debug, Clone)]
pub struct Spec {
    path: PathBuf,
    sha256: String,
    tree: serde_json::Value,
}

/// Why a spec could not be loaded.
#[derive(Debug)]
pub struct SpecError {
    path: PathBuf,
    reason: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for SpecError {}

impl Spec {
    /// Read and parse the YAML (or JSON) document at `path`.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let bytes = std::fs::read(path).map_err(|err| SpecError {
            path: path.to_owned(),
            reason: err.to_string(),
        })?;
        Spec::parse(path, &bytes)
    }

    /// Parse a document already in memory; `path` is only used in messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Spec, SpecError> {
        let tree: serde_json::Value =
            serde_yaml_ng::from_slice(bytes).map_err(|err| SpecError {
                path: path.to_owned(),
                reason: format!("not a YAML document: {err}"),
            })?;
        if !tree.is_object() {
            return Err(SpecError {
                path: path.to_owned(),
                reason: "the document is not a mapping".to_owned(),
            });
        }
        let sha256 = Sha256::digest(bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(Spec {
            path: path.to_owned(),
            sha256,
            tree,
        })
    }

    /// The path the spec was read from, relative to the workspace root when it lies inside it.
    pub fn display_path(&self) -> String {
        let root = crate::workspace_root();
        self.path
            .strip_prefix(&root)
            .unwrap_or(&self.path)
            .display()
            .to_string()
    }

    /// Lowercase hex SHA-256 of the spec's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The document as a JSON tree.
    pub fn tree(&self) -> &serde_json::Value {
        &self.tree
    }

    /// The document as `openapiv3` types, as the generator reads it.
    pub fn openapi(&self) -> Result<openapiv3::OpenAPI, SpecError> {
        serde_json::from_value(self.tree.clone()).map_err(|err| SpecError {
            path: self.path.clone(),
            reason: format!("not an OpenAPI 3.0 document: {err}"),
        })
    }
}

/// A JSON pointer (RFC 6901) to a node of the spec, used as the location of a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pointer(String);

impl Pointer {
    /// The document root.
    pub fn root() -> Pointer {
        Pointer(String::new())
    }

    /// The pointer to child `segment` of this node.
    pub fn join(&self, segment: &str) -> Pointer {
        let escaped = segment.replace('~', "~0").replace('/', "~1");
        Pointer(format!("{}/{escaped}", self.0))
    }
}

impl Pointer {
    /// The pointer to this node's parent, `None` at the root.
    pub fn parent(&self) -> Option<Pointer> {
        self.0
            .rsplit_once('/')
            .map(|(parent, _)| Pointer(parent.to_owned()))
    }

    /// The pointer for an escaped JSON pointer string such as `/components/schemas/X`.
    pub fn parse(escaped: &str) -> Pointer {
        escaped
            .split('/')
            .filter(|segment| !segment.is_empty())
            .fold(Pointer::root(), |pointer, segment| {
                pointer.join(&segment.replace("~1", "/").replace("~0", "~"))
            })
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
