//! Maintainer tooling for the webhooks workspace. Run it as `cargo xtask <command>`.
//!
//! - `cargo xtask generate`: lint the spec, then regenerate `crates/webhooks-client/src/generated.rs`.
//! - `cargo xtask generate --check`: fail with a unified diff when that file is not what the spec produces.
//! - `cargo xtask lint`: the rules the generator needs and our own documentation rules.
//! - `cargo xtask diff OLD NEW | --base REF`: what changed between two versions of the contract, breaking or not.
//! - `cargo xtask upstream VENDOR_ROOT`: how the contract differs from the vendor's spec, beyond the recorded deviations.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use xtask::{diff, generate, lint, spec::Spec, upstream};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintainer tooling for the webhooks workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate the low-level client from the OpenAPI contract.
    Generate {
        /// Do not write: fail with a diff when the checked-in code differs from the spec's.
        #[arg(long)]
        check: bool,
        /// The spec to read (default: openapi/webhooks.yaml).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// The file to write or check (default: crates/webhooks-client/src/generated.rs).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the spec against the generator's needs and our documentation rules.
    Lint {
        /// The spec to read (default: openapi/webhooks.yaml).
        spec: Option<PathBuf>,
    },
    /// Report what changed between two versions of the contract, operation by operation, and
    /// which changes break clients. Exit 0: nothing breaking; 1: breaking; 2: the tool failed.
    Diff {
        /// The older spec (omit with --base).
        old: Option<PathBuf>,
        /// The newer spec (default: openapi/webhooks.yaml).
        new: Option<PathBuf>,
        /// Compare with the contract as of this git revision (`git show REV:openapi/webhooks.yaml`).
        #[arg(long, value_name = "GIT_REF")]
        base: Option<String>,
        /// How to print the report.
        #[arg(long, value_enum, default_value_t = diff::Format::Text)]
        format: diff::Format,
    },
    /// Compare the contract with the vendor's spec (OpenAPI 3.0-3.2, many files), operation by
    /// operation. Exit 0: every difference recorded in openapi/upstream-deviations.yaml;
    /// 1: new differences or stale entries; 2: the tool failed.
    Upstream {
        /// The vendor spec's root document.
        vendor: PathBuf,
        /// How to print the report.
        #[arg(long, value_enum, default_value_t = diff::Format::Text)]
        format: diff::Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = xtask::workspace_root();
    let result = match cli.command {
        Command::Generate { check, spec, out } => {
            let spec = spec.unwrap_or_else(|| root.join(xtask::SPEC_PATH));
            let out = out.unwrap_or_else(|| root.join(xtask::GENERATED_PATH));
            let mode = if check {
                generate::Mode::Check
            } else {
                generate::Mode::Write
            };
            generate::run(&spec, &out, mode)
        }
        Command::Lint { spec } => {
            let spec = spec.unwrap_or_else(|| root.join(xtask::SPEC_PATH));
            Spec::load(&spec).map_err(Into::into).and_then(|s| {
                lint::check(&s).map(|()| println!("{}: lint clean", s.display_path()))
            })
        }
        Command::Diff {
            old,
            new,
            base,
            format,
        } => run_diff(&root, old, new, base, format),
        Command::Upstream { vendor, format } => upstream::run(&root, &vendor, format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// `diff OLD NEW`, `diff --base REF [NEW]`: with a base, the only path given is the newer spec.
fn run_diff(
    root: &Path,
    old: Option<PathBuf>,
    new: Option<PathBuf>,
    base: Option<String>,
    format: diff::Format,
) -> Result<(), xtask::Error> {
    let contract = root.join(xtask::SPEC_PATH);
    let (old, new) = match (base, old, new) {
        (Some(rev), new, None) => (
            diff::spec_at_revision(root, &rev)?,
            Spec::load(&new.unwrap_or(contract))?,
        ),
        (None, Some(old), new) => (Spec::load(&old)?, Spec::load(&new.unwrap_or(contract))?),
        _ => {
            return Err(xtask::Error::Usage(
                "give OLD [NEW], or --base GIT_REF [NEW]".to_owned(),
            ));
        }
    };
    diff::run(&old, &new, format)
}
