//! The workspace's maintainer tooling as a library, so its behaviour is tested like any other code.

pub mod diff;
pub mod generate;
pub mod lint;
pub mod spec;

use std::fmt;
use std::path::PathBuf;

/// The contract, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/webhooks.yaml";
/// The generated module, relative to the workspace root.
pub const GENERATED_PATH: &str = "crates/webhooks-client/src/generated.rs";

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Everything an xtask command can fail with; `Display` is the whole message for the user.
#[derive(Debug)]
pub enum Error {
    /// The spec could not be read or parsed.
    Spec(spec::SpecError),
    /// The spec breaks one or more lint rules.
    Lint(lint::Findings),
    /// The generator refused the spec or panicked.
    Generator(String),
    /// The generated code does not parse as Rust (a generator bug).
    Unparsable(String),
    /// `--check`: the checked-in file differs from what the spec produces.
    Drift {
        /// The file that drifted.
        path: PathBuf,
        /// A unified diff from the checked-in file to the expected one.
        diff: String,
    },
    /// `diff`: the new spec breaks users of the old one.
    Breaking(usize),
    /// Reading or writing a file failed.
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spec(err) => write!(f, "{err}"),
            Error::Lint(findings) => write!(f, "{findings}"),
            Error::Generator(msg) => write!(f, "progenitor could not generate the client: {msg}"),
            Error::Unparsable(msg) => write!(f, "the generated code does not parse as Rust: {msg}"),
            Error::Drift { path, diff } => write!(
                f,
                "{diff}\n{} is out of date with {SPEC_PATH}.\nRun `cargo xtask generate`, review the diff, and commit both files.",
                path.display()
            ),
            Error::Breaking(count) => write!(f, "{count} breaking change(s) between the two specs"),
            Error::Io(path, err) => write!(f, "{}: {err}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

impl From<spec::SpecError> for Error {
    fn from(err: spec::SpecError) -> Self {
        Error::Spec(err)
    }
}
