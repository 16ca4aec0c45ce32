//! `cargo xtask upstream` on a small vendor spec written for these tests (`tests/data/vendor`:
//! a root document, path files and component files in separate folders, in the vendor's
//! layout), compared with a small contract and ledger written for it (`tests/data/contract`)
//! in a temporary checkout, and on edited copies of them. Nothing outside the repository is
//! read: the comparison with the vendor's real files is `.ci/api-compat`'s.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use xtask::upstream::{LEDGER_PATH, Report, compare};
use xtask::{SPEC_PATH, workspace_root_from};

/// The test data, inside this package.
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// The vendor spec's root document, relative to the checkout.
const VENDOR_ROOT: &str = "vendor/openapi.yaml";

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

/// A temporary checkout: a workspace manifest, the test contract and ledger where xtask looks
/// for them, and a copy of the test vendor spec under `vendor/`.
struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    #[track_caller]
    fn new() -> Checkout {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        let contract = Path::new(DATA).join("contract");
        std::fs::copy(contract.join("webhooks.yaml"), root.join(SPEC_PATH)).unwrap();
        std::fs::copy(
            contract.join("upstream-deviations.yaml"),
            root.join(LEDGER_PATH),
        )
        .unwrap();
        copy_tree(&Path::new(DATA).join("vendor"), &root.join("vendor"));
        assert_eq!(
            workspace_root_from(root).as_deref(),
            Some(root),
            "the temporary checkout is a workspace of its own"
        );
        Checkout { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Applies `edit` to the YAML file `file` of the checkout.
    fn edit(&self, file: &str, edit: impl FnOnce(&mut Value)) {
        let path = self.path(file);
        let mut doc: Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut doc);
        std::fs::write(&path, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
    }

    /// Applies `edit` to the vendor file `file` (relative to the vendor spec's folder).
    fn edit_vendor(&self, file: &str, edit: impl FnOnce(&mut Value)) {
        self.edit(&format!("vendor/{file}"), edit);
    }

    fn ledger(&self) -> String {
        std::fs::read_to_string(self.path(LEDGER_PATH)).unwrap()
    }

    /// `cargo xtask upstream vendor/openapi.yaml`, run in the checkout.
    fn upstream(&self) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("upstream")
            .arg(VENDOR_ROOT)
            .current_dir(self.dir.path())
            .output()
            .expect("the xtask binary runs")
    }

    /// The comparison `upstream` prints, as a value.
    #[track_caller]
    fn compare(&self) -> Report {
        compare(
            &self.path(SPEC_PATH),
            SPEC_PATH,
            &self.path(VENDOR_ROOT),
            &self.ledger(),
        )
        .expect("both documents bundle")
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}stderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

#[track_caller]
fn assert_printed(output: &Output, text: &str) {
    let printed = stdout(output);
    assert!(printed.contains(text), "expected `{text}` in:\n{printed}");
}

/// Exit 1, and `line` among the new differences.
#[track_caller]
fn assert_new(output: &Output, line: &str) {
    assert_exit(output, 1);
    assert_printed(output, line);
}

#[test]
fn the_test_contract_differs_from_the_test_vendor_spec_only_where_the_ledger_says() {
    let output = Checkout::new().upstream();
    assert_exit(&output, 0);
    assert_printed(
        &output,
        "2 difference(s): 2 recorded in openapi/upstream-deviations.yaml, 0 new; 0 stale ledger entries",
    );
    assert_printed(
        &output,
        "unchanged since the contract was last compared (info.x-upstream-sha256 ",
    );
}

#[test]
fn a_new_vendor_property_is_reported_with_its_place_in_both_documents() {
    let checkout = Checkout::new();
    checkout.edit_vendor("components/schemas/feeds/NewFeed.yaml", |doc| {
        doc["properties"]["priority"] = json!({"type": "integer"});
    });
    let output = checkout.upstream();
    assert_new(
        &output,
        "NEW    POST /v1/feeds request body.priority: property",
    );
    assert_printed(
        &output,
        "contract: \"(absent)\"  at openapi/webhooks.yaml#/components/schemas/NewFeed/properties\n",
    );
    assert_printed(
        &output,
        "upstream: \"present\"  at components/schemas/feeds/NewFeed.yaml#/properties/priority\n",
    );
    assert_printed(&output, "CHANGED since the contract was last compared");
}

#[test]
fn a_new_vendor_enum_value_is_reported_once_for_every_operation_sharing_the_enum() {
    let checkout = Checkout::new();
    checkout.edit_vendor("components/schemas/Format.yaml", |doc| {
        doc["enum"].as_array_mut().unwrap().push(json!("OPML"));
    });
    let output = checkout.upstream();
    assert_new(&output, "NEW    GET /v1/feeds response 200[].format: enum");
    assert_printed(&output, "\"OPML\"");
    assert_printed(&output, "at components/schemas/Format.yaml#/enum\n");
    assert_printed(&output, "also in: POST /v1/feeds request body.format;");
    assert_printed(&output, ", 1 new; 0 stale");
}

#[test]
fn a_new_vendor_status_code_is_reported() {
    let checkout = Checkout::new();
    checkout.edit_vendor("paths/feeds/v1_feeds.yaml", |doc| {
        doc["get"]["responses"]["503"] = json!({"description": "Down for maintenance."});
    });
    let output = checkout.upstream();
    assert_new(&output, "NEW    GET /v1/feeds response 503: status code");
}

#[test]
fn a_new_vendor_operation_is_reported_with_its_operation_id() {
    let checkout = Checkout::new();
    checkout.edit_vendor("paths/feeds/v1_feeds_{feedId}.yaml", |doc| {
        doc["delete"] = json!({"operationId": "RetireFeed", "responses": {"204": {"description": "Retired."}}});
    });
    let output = checkout.upstream();
    assert_new(&output, "NEW    DELETE /v1/feeds/{feedId}: operation");
    assert_printed(&output, "\"RetireFeed\"");
}

#[test]
fn a_dangling_vendor_reference_is_a_tool_failure_naming_the_missing_file() {
    let checkout = Checkout::new();
    checkout.edit_vendor("paths/feeds/v1_feeds.yaml", |doc| {
        doc["post"]["responses"]["201"] =
            json!({"$ref": "../../components/responses/Missing.yaml"});
    });
    let output = checkout.upstream();
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.contains("components/responses/Missing.yaml"),
        "{message}"
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
}

#[test]
fn a_ledger_entry_matching_nothing_is_reported_stale() {
    let checkout = Checkout::new();
    let mut ledger = checkout.ledger();
    ledger.push_str("  - what: GET /v1/gone\n    aspect: operation\n    contract: GetGone\n    upstream: (absent)\n    why: Removed long ago.\n");
    std::fs::write(checkout.path(LEDGER_PATH), ledger).unwrap();
    let output = checkout.upstream();
    assert_exit(&output, 1);
    assert_printed(
        &output,
        "STALE  GET /v1/gone: operation (contract \"GetGone\", upstream \"(absent)\")",
    );
    assert_printed(&output, ", 0 new; 1 stale ledger entry\n");
}

#[test]
fn a_vendor_any_of_a_ref_and_null_compares_as_the_referenced_enum_made_nullable() {
    let checkout = Checkout::new();
    let about_format = |report: &Report| -> Vec<String> {
        let known = report.known.iter().map(|(d, _)| d);
        known
            .chain(&report.new)
            .filter(|d| d.what.contains(".format"))
            .map(|d| format!("{}: {}", d.what, d.aspect))
            .collect()
    };
    let report = checkout.compare();
    assert_eq!(about_format(&report), Vec::<String>::new(), "{report:#?}");

    // Without `nullable: true` beside the contract's enum, the wrapper's null is the only
    // difference: the enum it wraps was compared and found equal.
    checkout.edit(SPEC_PATH, |doc| {
        let format = &mut doc["components"]["schemas"]["Feed"]["properties"]["format"];
        format.as_object_mut().unwrap().remove("nullable");
    });
    let report = checkout.compare();
    assert_eq!(
        about_format(&report),
        ["GET /v1/feeds response 200[].format: nullable"],
        "{report:#?}"
    );
    let difference = report
        .new
        .iter()
        .find(|d| d.aspect == "nullable")
        .expect("the null is new");
    assert_eq!(
        (&difference.contract, &difference.upstream),
        (&json!(false), &json!(true))
    );
    assert_eq!(
        difference.also,
        [
            "POST /v1/feeds response 201.format",
            "GET /v1/feeds/{feedId} response 200.format"
        ]
    );
}

#[test]
fn references_across_folders_resolve_to_the_file_that_holds_the_schema() {
    let checkout = Checkout::new();
    // paths/feeds/v1_feeds.yaml points at ../../components/responses/Throttled.yaml: the 429
    // the contract lacks (a recorded deviation) is placed in that file.
    let report = checkout.compare();
    let throttled = report
        .known
        .iter()
        .find(|(d, _)| d.aspect == "status code")
        .map(|(d, _)| d)
        .expect("the recorded 429 is found");
    assert_eq!(
        throttled.upstream_at,
        "components/responses/Throttled.yaml#"
    );

    // Problem.yaml is reached from two path files through two response files
    // (../schemas/Problem.yaml): a change in it is one difference, placed in its own file,
    // that names both operations.
    checkout.edit_vendor("components/schemas/Problem.yaml", |doc| {
        doc["properties"]["reason"]["maxLength"] = json!(200);
    });
    let report = checkout.compare();
    assert_eq!(report.new.len(), 1, "{:#?}", report.new);
    let difference = &report.new[0];
    assert_eq!(
        (difference.what.as_str(), difference.aspect.as_str()),
        ("POST /v1/feeds response 400.reason", "maxLength")
    );
    assert_eq!(
        difference.upstream_at,
        "components/schemas/Problem.yaml#/properties/reason/maxLength"
    );
    assert_eq!(
        difference.contract_at,
        "openapi/webhooks.yaml#/components/schemas/Problem/properties/reason"
    );
    assert_eq!(
        difference.also,
        ["GET /v1/feeds/{feedId} response 404.reason"]
    );
}
