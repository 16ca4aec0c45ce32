//! `cargo xtask upstream` against the vendor's real files (../shared/reference/upstream-spec,
//! beside the repository as in CI) and against edited copies of them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use xtask::workspace_root;

fn vendor_dir() -> PathBuf {
    let dir = workspace_root()
        .parent()
        .expect("the workspace has a parent folder")
        .join("shared/reference/upstream-spec");
    assert!(
        dir.join("openapi.yaml").is_file(),
        "the vendor spec is expected at {} (CI keeps shared/ beside the clone)",
        dir.display()
    );
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A temporary copy of the vendor files with `edit` applied to the YAML file `file`.
fn edited_copy(file: &str, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&vendor_dir(), dir.path());
    let path = dir.path().join(file);
    let mut doc: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut doc);
    std::fs::write(&path, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
    dir
}

fn upstream(root_document: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("upstream")
        .arg(root_document)
        .current_dir(workspace_root())
        .output()
        .expect("the xtask binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_new(output: &Output, line: &str) {
    let text = stdout(output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains(line), "expected `{line}` in:\n{text}");
}

#[test]
fn the_contract_differs_from_the_vendor_spec_only_where_the_ledger_says() {
    let output = upstream(&vendor_dir().join("openapi.yaml"));
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(", 0 new; 0 stale"), "{text}");
    assert!(
        text.contains("unchanged since the contract was last compared"),
        "{text}"
    );
}

#[test]
fn a_new_vendor_property_is_reported_with_its_place_in_both_documents() {
    let dir = edited_copy(
        "components/schemas/webhooks/CreateWebhookrequest.yaml",
        |doc| {
            doc["properties"]["priority"] = json!({"type": "integer"});
        },
    );
    let output = upstream(&dir.path().join("openapi.yaml"));
    assert_new(
        &output,
        "NEW    POST /v1/webhooks/messages request body.priority: property",
    );
    assert!(
        stdout(&output).contains(
            "at components/schemas/webhooks/CreateWebhookrequest.yaml#/properties/priority"
        ),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("the vendor spec changed")
            || stdout(&output).contains("CHANGED since"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_new_vendor_enum_value_is_reported() {
    let dir = edited_copy(
        "components/schemas/webhooks/CreateWebhookrequest.yaml",
        |doc| {
            doc["properties"]["encoding"]["enum"]
                .as_array_mut()
                .unwrap()
                .push(json!("CSV"));
        },
    );
    let output = upstream(&dir.path().join("openapi.yaml"));
    assert_new(
        &output,
        "NEW    POST /v1/webhooks/messages request body.encoding: enum",
    );
    assert!(stdout(&output).contains("\"CSV\""), "{}", stdout(&output));
}

#[test]
fn a_new_vendor_status_code_is_reported() {
    let dir = edited_copy("paths/webhooks/v1_webhooks_messages.yaml", |doc| {
        doc["post"]["responses"]["429"] = json!({"description": "Too many requests."});
    });
    let output = upstream(&dir.path().join("openapi.yaml"));
    assert_new(
        &output,
        "NEW    POST /v1/webhooks/messages response 429: status code",
    );
}

#[test]
fn a_new_vendor_operation_is_reported() {
    let dir = edited_copy("paths/webhooks/v1_webhooks_messages.yaml", |doc| {
        doc["delete"] = json!({"operationId": "DeleteAllWebhooks", "responses": {"204": {"description": "gone"}}});
    });
    let output = upstream(&dir.path().join("openapi.yaml"));
    assert_new(&output, "NEW    DELETE /v1/webhooks/messages: operation");
    assert!(
        stdout(&output).contains("\"DeleteAllWebhooks\""),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_dangling_vendor_reference_is_a_tool_failure() {
    let dir = edited_copy("paths/webhooks/v1_webhooks_messages.yaml", |doc| {
        doc["post"]["responses"]["201"] =
            json!({"$ref": "../../components/responses/Missing.yaml"});
    });
    let output = upstream(&dir.path().join("openapi.yaml"));
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Missing.yaml"), "{stderr}");
}

#[test]
fn a_ledger_entry_matching_nothing_is_reported_stale() {
    let root = workspace_root();
    let mut ledger = std::fs::read_to_string(root.join(xtask::upstream::LEDGER_PATH)).unwrap();
    ledger.push_str("  - what: GET /v1/gone\n    aspect: operation\n    contract: GetGone\n    upstream: (absent)\n    why: Removed long ago.\n");
    let report = xtask::upstream::compare(
        &root.join(xtask::SPEC_PATH),
        xtask::SPEC_PATH,
        &vendor_dir().join("openapi.yaml"),
        &ledger,
    )
    .expect("both documents bundle");
    assert!(report.new.is_empty(), "{:?}", report.new);
    assert_eq!(report.stale.len(), 1);
    assert_eq!(report.stale[0].what, "GET /v1/gone");
    let text = xtask::upstream::to_text(&report, Path::new("vendor.yaml"));
    assert!(text.contains("STALE  GET /v1/gone: operation"), "{text}");
}
