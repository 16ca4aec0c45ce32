//! `openapi/upstream-deviations.yaml`: every deliberate difference between our contract and the
//! vendor's spec, each with the reason. Written by hand; `cargo xtask upstream` prints a
//! ready entry (with an empty `why`) for every difference it does not find here.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::compare::Difference;

/// The ledger file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    /// The deviations, in any order.
    pub deviations: Vec<Entry>,
}

/// One deliberate deviation. `what`, `aspect`, `contract` and `upstream` identify it; the two
/// places say where to look and are refreshed from the tool's output, not matched.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The item, as the tool names it (`POST /v1/webhooks/messages request body.url`).
    pub what: String,
    /// The aspect that differs (`maxLength`, `property`, `operation`, ...).
    pub aspect: String,
    /// The value in our contract, `(absent)` when it lacks the item.
    pub contract: Value,
    /// The value in the vendor's spec, `(absent)` when it lacks the item.
    pub upstream: Value,
    /// Where in our contract.
    #[serde(default)]
    pub contract_at: String,
    /// Where in the vendor's files.
    #[serde(default)]
    pub upstream_at: String,
    /// Why we differ: a fact about the API, a decision (and where it is recorded), or a plan.
    pub why: String,
}

impl Entry {
    /// Whether this entry records `difference`.
    pub fn matches(&self, difference: &Difference) -> bool {
        (self.what == difference.what || difference.also.contains(&self.what))
            && self.aspect == difference.aspect
            && self.contract == difference.contract
            && self.upstream == difference.upstream
    }

    /// The entry a maintainer would add for `difference`, reason still to be written.
    pub fn for_difference(difference: &Difference) -> Entry {
        Entry {
            what: difference.what.clone(),
            aspect: difference.aspect.clone(),
            contract: difference.contract.clone(),
            upstream: difference.upstream.clone(),
            contract_at: difference.contract_at.clone(),
            upstream_at: difference.upstream_at.clone(),
            why: String::new(),
        }
    }
}

impl Ledger {
    /// Parse the ledger; every entry must give a reason.
    pub fn parse(text: &str) -> Result<Ledger, String> {
        let ledger: Ledger =
            serde_yaml_ng::from_str(text).map_err(|err| format!("not a ledger: {err}"))?;
        if let Some((index, entry)) = ledger
            .deviations
            .iter()
            .enumerate()
            .find(|(_, e)| e.why.trim().is_empty())
        {
            return Err(format!(
                "entry {} ({}: {}) has no `why`: every deviation needs its reason",
                index + 1,
                entry.what,
                entry.aspect
            ));
        }
        Ok(ledger)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn difference() -> Difference {
        Difference {
            what: "POST /a request body.x".into(),
            aspect: "maxLength".into(),
            contract: json!(10),
            upstream: json!("(absent)"),
            contract_at: "c#/x".into(),
            upstream_at: "u#/x".into(),
            also: vec!["PATCH /a request body.x".into()],
        }
    }

    #[test]
    fn an_entry_without_a_reason_is_refused() {
        let text = "deviations:\n  - what: a\n    aspect: b\n    contract: 1\n    upstream: 2\n    why: ' '\n";
        let err = Ledger::parse(text).unwrap_err();
        assert!(err.contains("entry 1 (a: b) has no `why`"), "{err}");
    }

    #[test]
    fn an_entry_matches_any_operation_sharing_the_difference_but_not_other_values() {
        let mut entry = Entry::for_difference(&difference());
        entry.what = "PATCH /a request body.x".into();
        entry.contract_at = "moved#/elsewhere".into();
        assert!(entry.matches(&difference()));
        entry.contract = json!(11);
        assert!(
            !entry.matches(&difference()),
            "a changed value makes the entry stale"
        );
    }

    #[test]
    fn a_printed_entry_parses_back_once_its_reason_is_written() {
        let mut entry = Entry::for_difference(&difference());
        entry.why = "Because.".into();
        let text = format!(
            "deviations:\n{}",
            serde_yaml_ng::to_string(&vec![entry.clone()]).unwrap()
        );
        let ledger = Ledger::parse(&text).unwrap();
        assert_eq!(ledger.deviations, vec![entry]);
    }
}
