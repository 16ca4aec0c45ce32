//! `cargo xtask upstream VENDOR_ROOT`: compare our contract with the vendor's spec, operation
//! by operation; every difference must be a recorded deviation.
//!
//! Exit 0 when every difference is in `openapi/upstream-deviations.yaml` and every entry there
//! still matches one; 1 when a difference is new or an entry is stale; 2 when a document cannot
//! be read (unreadable file, dangling or external `$ref`). The contract records the fingerprint
//! of the vendor spec it was last compared with (`info.x-upstream-sha256`) and the report says
//! whether the vendor's files changed since.

pub mod compare;
pub mod ledger;

use std::path::Path;

use serde_json::{Value, json};

use crate::Error;
use crate::bundle::bundle;
use compare::Difference;
use ledger::{Entry, Ledger};

/// The ledger, relative to the workspace root.
pub const LEDGER_PATH: &str = "openapi/upstream-deviations.yaml";

/// What one comparison found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The vendor spec's fingerprint now.
    pub fingerprint: String,
    /// The fingerprint the contract records, if any.
    pub recorded: Option<String>,
    /// The vendor's OpenAPI version.
    pub version: String,
    /// Differences the ledger records.
    pub known: Vec<(Difference, String)>,
    /// Differences the ledger does not record.
    pub new: Vec<Difference>,
    /// Ledger entries that match no difference.
    pub stale: Vec<Entry>,
}

impl Report {
    /// Whether the vendor's files changed since the contract recorded their fingerprint.
    pub fn vendor_changed(&self) -> bool {
        self.recorded.as_deref() != Some(self.fingerprint.as_str())
    }
}

/// Compare the contract at `contract` (origins named `contract_name`) with the vendor spec
/// whose root document is `vendor`, against the ledger text `ledger`.
pub fn compare(
    contract: &Path,
    contract_name: &str,
    vendor: &Path,
    ledger: &str,
) -> Result<Report, Error> {
    let prefix = contract_name
        .rsplit_once('/')
        .map_or(String::new(), |(dir, _)| format!("{dir}/"));
    let ours = bundle(contract, &prefix).map_err(|e| Error::Upstream(e.to_string()))?;
    let theirs = bundle(vendor, "").map_err(|e| Error::Upstream(e.to_string()))?;
    let ledger =
        Ledger::parse(ledger).map_err(|e| Error::Upstream(format!("{LEDGER_PATH}: {e}")))?;
    let mut report = Report {
        fingerprint: theirs.fingerprint.clone(),
        recorded: ours
            .tree
            .pointer("/info/x-upstream-sha256")
            .and_then(Value::as_str)
            .map(str::to_owned),
        version: theirs.version.clone(),
        known: Vec::new(),
        new: Vec::new(),
        stale: Vec::new(),
    };
    let found = compare::differences(&ours.tree, &theirs.tree);
    for difference in &found {
        match ledger.deviations.iter().find(|e| e.matches(difference)) {
            Some(entry) => report.known.push((difference.clone(), entry.why.clone())),
            None => report.new.push(difference.clone()),
        }
    }
    report.stale = ledger
        .deviations
        .into_iter()
        .filter(|entry| !found.iter().any(|d| entry.matches(d)))
        .collect();
    Ok(report)
}

/// How `run` prints its report.
pub use crate::diff::Format;

/// Run the comparison and print it; `Err(UpstreamDrift)` when anything is new or stale.
pub fn run(root: &Path, vendor: &Path, format: Format) -> Result<(), Error> {
    let ledger_path = root.join(LEDGER_PATH);
    let ledger = std::fs::read_to_string(&ledger_path).map_err(|e| Error::Io(ledger_path, e))?;
    let report = compare(
        &root.join(crate::SPEC_PATH),
        crate::SPEC_PATH,
        vendor,
        &ledger,
    )?;
    match format {
        Format::Json => println!("{:#}", to_json(&report, vendor)),
        Format::Text => print!("{}", to_text(&report, vendor)),
    }
    if report.new.is_empty() && report.stale.is_empty() {
        Ok(())
    } else {
        Err(Error::UpstreamDrift {
            new: report.new.len(),
            stale: report.stale.len(),
        })
    }
}

fn fingerprint_line(report: &Report) -> String {
    match &report.recorded {
        Some(recorded) if !report.vendor_changed() => format!(
            "unchanged since the contract was last compared (info.x-upstream-sha256 {recorded})"
        ),
        Some(recorded) => format!(
            "CHANGED since the contract was last compared (info.x-upstream-sha256 is {recorded}): review the new differences, then record {}",
            report.fingerprint
        ),
        None => format!(
            "never recorded: add `x-upstream-sha256: {}` under `info` in {} once the contract reflects it",
            report.fingerprint,
            crate::SPEC_PATH
        ),
    }
}

/// The report for people: one block per new difference with a ready ledger entry.
pub fn to_text(report: &Report, vendor: &Path) -> String {
    let mut out = format!(
        "vendor spec {} (OpenAPI {}), fingerprint {}\n  {}\n",
        vendor.display(),
        report.version,
        report.fingerprint,
        fingerprint_line(report)
    );
    for difference in &report.new {
        out.push_str(&format!(
            "NEW    {}: {}\n         contract: {}  at {}\n         upstream: {}  at {}\n",
            difference.what,
            difference.aspect,
            difference.contract,
            difference.contract_at,
            difference.upstream,
            difference.upstream_at
        ));
        if !difference.also.is_empty() {
            out.push_str(&format!(
                "         also in: {}\n",
                difference.also.join("; ")
            ));
        }
        let entry =
            serde_yaml_ng::to_string(&vec![Entry::for_difference(difference)]).unwrap_or_default();
        out.push_str("         ledger entry (write its why):\n");
        for line in entry.lines() {
            out.push_str(&format!("           {line}\n"));
        }
    }
    for entry in &report.stale {
        out.push_str(&format!(
            "STALE  {}: {} (contract {}, upstream {}) matches no difference any more: remove or update it in {LEDGER_PATH}\n",
            entry.what, entry.aspect, entry.contract, entry.upstream
        ));
    }
    out.push_str(&format!(
        "{} difference(s): {} recorded in {LEDGER_PATH}, {} new; {} stale ledger entr{}\n",
        report.known.len() + report.new.len(),
        report.known.len(),
        report.new.len(),
        report.stale.len(),
        if report.stale.len() == 1 { "y" } else { "ies" }
    ));
    out
}

/// The report for machines.
pub fn to_json(report: &Report, vendor: &Path) -> Value {
    let difference = |d: &Difference, status: &str, why: Option<&str>| {
        json!({"status": status, "what": d.what, "aspect": d.aspect, "contract": d.contract,
               "upstream": d.upstream, "contract_at": d.contract_at,
               "upstream_at": d.upstream_at, "also": d.also, "why": why})
    };
    let mut differences: Vec<Value> = report
        .known
        .iter()
        .map(|(d, why)| difference(d, "recorded", Some(why)))
        .collect();
    differences.extend(report.new.iter().map(|d| difference(d, "new", None)));
    json!({
        "vendor": vendor.display().to_string(),
        "openapi": report.version,
        "fingerprint": report.fingerprint,
        "recorded_fingerprint": report.recorded,
        "vendor_changed": report.vendor_changed(),
        "differences": differences,
        "stale": report.stale.iter().map(|e| serde_json::to_value(e).unwrap_or(Value::Null)).collect::<Vec<_>>(),
    })
}
