//! The workspace's maintainer tooling as a library, so its behaviour is tested like any other code.

pub mod bundle;
pub mod diff;
pub mod generate;
pub mod lint;
pub mod spec;
pub mod upstream;

use std::fmt;
use std::path::PathBuf;

/// The contract, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/webhooks.yaml";
/// The generated module, relative to the workspace root.
pub const GENERATED_PATH: &str = "crates/webhooks-client/src/generated.rs";

/// The workspace root of the checkout the command runs in: the nearest directory, from the
/// current one upward, whose `Cargo.toml` declares `[workspace]`; failing that, what
/// `cargo locate-project --workspace` says. Found at run time, never from a compile-time path:
/// one xtask binary (a shared target directory, a CI cache, git worktrees) serves every clone.
pub fn workspace_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    workspace_root_from(&cwd)
        .or_else(located_by_cargo)
        .unwrap_or(cwd)
}

/// The nearest ancestor of `start` (itself included) whose `Cargo.toml` has a `[workspace]` table.
pub fn workspace_root_from(start: &std::path::Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        manifest
            .lines()
            .any(|line| line.trim() == "[workspace]")
            .then(|| dir.to_path_buf())
    })
}

fn located_by_cargo() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .ok()?;
    let manifest = String::from_utf8(output.stdout).ok()?;
    output
        .status
        .success()
        .then(|| PathBuf::from(manifest.trim()).parent().map(PathBuf::from))
        .flatten()
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
    /// `git` could not produce the requested revision of the contract.
    Git(String),
    /// `upstream`: a document could not be bundled or the ledger could not be read.
    Upstream(String),
    /// `upstream`: differences the ledger does not record, or entries that match nothing.
    UpstreamDrift {
        /// Differences not in the ledger.
        new: usize,
        /// Ledger entries matching no difference.
        stale: usize,
    },
    /// The command line does not make sense.
    Usage(String),
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
            Error::Git(msg) => write!(f, "{msg}"),
            Error::Usage(msg) => write!(f, "usage: {msg}"),
            Error::Upstream(msg) => write!(f, "upstream: {msg}"),
            Error::UpstreamDrift { new, stale } => write!(
                f,
                "{new} new difference(s) from the vendor spec and {stale} stale ledger entr(ies): update the contract or record each in {}",
                upstream::LEDGER_PATH
            ),
            Error::Io(path, err) => write!(f, "{}: {err}", path.display()),
        }
    }
}

impl Error {
    /// The process exit status: 1 when the tool did its job and found a problem (lint findings,
    /// drift, breaking changes, new upstream differences), 2 when it could not do its job.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Lint(_)
            | Error::Drift { .. }
            | Error::Breaking(_)
            | Error::UpstreamDrift { .. } => 1,
            Error::Spec(_)
            | Error::Generator(_)
            | Error::Unparsable(_)
            | Error::Git(_)
            | Error::Usage(_)
            | Error::Upstream(_)
            | Error::Io(..) => 2,
        }
    }
}

impl std::error::Error for Error {}

impl From<spec::SpecError> for Error {
    fn from(err: spec::SpecError) -> Self {
        Error::Spec(err)
    }
}
