//! Specs that would generate code that does not compile (or make the generator panic) are
//! refused by `lint` and by `generate` alike, with the place as a JSON pointer and no panic text.

use std::process::Command;

use serde_json::{Value, json};
use xtask::generate;
use xtask::spec::Spec;
use xtask::{Error, SPEC_PATH, workspace_root};

fn contract() -> Value {
    let text = std::fs::read_to_string(workspace_root().join(SPEC_PATH)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

const WEBHOOK: &str = "/components/schemas/Webhook/properties";
const LIST: &str = "/paths/~1v1~1webhooks~1messages/get";

fn documented(mut schema: Value, example: Value) -> Value {
    schema["description"] = json!("A field a hostile edit adds.");
    schema["example"] = example;
    schema
}

/// (name, edit, the pointer of the finding)
type Case = (&'static str, Box<dyn Fn(&mut Value)>, &'static str);

fn cases() -> Vec<Case> {
    vec![
        (
            "date-time",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut(WEBHOOK).unwrap()["created"] = documented(
                    json!({"type": "string", "format": "date-time"}),
                    json!("2026-01-01T00:00:00Z"),
                );
            }),
            "#/components/schemas/Webhook/properties/created/format",
        ),
        (
            "pattern",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut("/components/schemas/CreateWebhookRequest/properties/url")
                    .unwrap()["pattern"] = json!("^https?://");
            }),
            "#/components/schemas/CreateWebhookRequest/properties/url/pattern",
        ),
        (
            "duplicate operationId",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut(LIST).unwrap()["operationId"] = json!("CreateWebhook");
            }),
            "#/paths/~1v1~1webhooks~1messages/post/operationId",
        ),
        (
            "external $ref",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut(WEBHOOK).unwrap()["extra"] = json!({"$ref": "other.yaml#/Extra"});
            }),
            "#/components/schemas/Webhook/properties/extra/$ref",
        ),
        (
            "dangling $ref",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut(WEBHOOK).unwrap()["extra"] =
                    json!({"$ref": "#/components/schemas/Nowhere"});
            }),
            "#/components/schemas/Webhook/properties/extra/$ref",
        ),
        (
            "path-level $ref",
            Box::new(|doc: &mut Value| {
                doc["paths"]["/v1/alias"] = json!({"$ref": "#/paths/~1v1~1webhooks~1messages"});
            }),
            "#/paths/~1v1~1alias/$ref",
        ),
        (
            "cookie parameter",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut(LIST).unwrap()["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(documented(
                        json!({"name": "session", "in": "cookie", "schema": {"type": "string"}}),
                        json!("s"),
                    ));
            }),
            "#/paths/~1v1~1webhooks~1messages/get/parameters/3/in",
        ),
        (
            "deepObject parameter",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut(LIST).unwrap()["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(documented(
                        json!({"name": "filter", "in": "query", "style": "deepObject",
                    "schema": {"type": "object", "properties": {"url": {"type": "string"}}}}),
                        json!({"url": "x"}),
                    ));
            }),
            "#/paths/~1v1~1webhooks~1messages/get/parameters/3/style",
        ),
        (
            "3.1 type array",
            Box::new(|doc: &mut Value| {
                doc.pointer_mut(WEBHOOK).unwrap()["template"]["type"] = json!(["string", "null"]);
            }),
            "#/components/schemas/Webhook/properties/template/type",
        ),
    ]
}

#[test]
fn the_unchanged_contract_has_none_of_these_findings() {
    assert_eq!(xtask::lint::findings(&contract()), vec![]);
}

#[test]
fn each_hostile_spec_is_refused_by_lint_and_generate_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    for (name, edit, pointer) in cases() {
        let mut doc = contract();
        edit(&mut doc);
        let path = dir.path().join("webhooks.yaml");
        std::fs::write(&path, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
        let spec = Spec::load(&path).unwrap();
        let located = |findings: &[xtask::lint::Finding]| {
            findings.iter().any(|f| f.location.to_string() == pointer)
        };
        let findings = xtask::lint::findings(spec.tree());
        assert!(
            located(&findings),
            "{name}: lint did not locate {pointer}: {findings:#?}"
        );
        match generate::render(&spec) {
            Err(Error::Lint(found)) => assert!(located(&found.items), "{name}: {found}"),
            Err(other) => panic!("{name}: generate failed without a located finding: {other}"),
            Ok(_) => panic!("{name}: generate accepted a hostile spec"),
        }
    }
}

#[test]
fn the_binary_prints_findings_without_panic_text() {
    let dir = tempfile::tempdir().unwrap();
    for (name, edit, pointer) in cases() {
        let mut doc = contract();
        edit(&mut doc);
        let path = dir.path().join("webhooks.yaml");
        std::fs::write(&path, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
        for args in [
            vec!["lint", path.to_str().unwrap()],
            vec![
                "generate",
                "--spec",
                path.to_str().unwrap(),
                "--out",
                dir.path().join("out.rs").to_str().unwrap(),
            ],
        ] {
            let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
                .args(&args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{name} {args:?}: {stderr}");
            assert!(stderr.contains(pointer), "{name} {args:?}: {stderr}");
            assert!(
                !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
                "{name}: {stderr}"
            );
        }
        assert!(
            !dir.path().join("out.rs").exists(),
            "{name}: generate wrote output"
        );
    }
}
