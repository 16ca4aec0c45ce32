//! Template findings as people and scripts read them: `FILE:LINE:COLUMN: KIND: MESSAGE`.

use serde::Serialize;
use webhooks_ergonomic::callbacks::template::{Finding, FindingKind};

use crate::output::Style;

/// A finding as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct FindingJson<'a> {
    line: usize,
    column: usize,
    kind: String,
    message: &'a str,
    events: Vec<String>,
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(finding: &'a Finding) -> Self {
        FindingJson {
            line: finding.line,
            column: finding.column,
            kind: kind_name(finding.kind),
            message: &finding.message,
            events: finding.events.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The kind in kebab case: `UnescapedValue` is `unescaped-value`.
pub fn kind_name(kind: FindingKind) -> String {
    let debug = format!("{kind:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    for (index, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// One line per finding, in template order.
pub fn describe(file: &str, findings: &[Finding], style: Style) -> Vec<String> {
    findings
        .iter()
        .map(|finding| {
            let events = if finding.events.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = finding.events.iter().map(ToString::to_string).collect();
                format!(" [{}]", names.join(", "))
            };
            format!(
                "{file}:{}:{}: {}: {}{events}",
                finding.line,
                finding.column,
                style.yellow(&kind_name(finding.kind)),
                finding.message
            )
        })
        .collect()
}

/// Prints the findings on stderr (they accompany a command's real output on stdout).
pub fn warn(file: &str, findings: &[Finding]) {
    for line in describe(file, findings, Style::stderr()) {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webhooks_ergonomic::callbacks::template::lint;
    use webhooks_ergonomic::{Encoding, Event};

    #[test]
    fn kinds_read_in_kebab_case() {
        assert_eq!(kind_name(FindingKind::UnescapedValue), "unescaped-value");
        assert_eq!(kind_name(FindingKind::Syntax), "syntax");
    }

    #[test]
    fn a_finding_names_file_line_and_column() {
        let findings = lint(
            "{\n \"id\": \"$drId\"}",
            &[Event::ReceivedSms],
            Encoding::Json,
        );
        let lines = describe("t.vm", &findings, Style::stderr());
        assert!(lines[0].starts_with("t.vm:2:9: "), "{lines:?}");
        assert!(lines[0].contains("[RECEIVED_SMS]"), "{lines:?}");
    }
}
