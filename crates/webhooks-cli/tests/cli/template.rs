//! `mm-webhooks template lint|render`: the library's lint and renderer from the command line.

use crate::support;

use support::{bare, run};

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn lint_prints_each_finding_with_line_and_column_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "reply.vm",
        "{\n  \"text\": \"$moContent\",\n  \"dr\": \"$drId\"\n}",
    );
    let run = run(
        bare(),
        &["template", "lint", &path, "--event", "RECEIVED_SMS"],
    )
    .await;
    run.assert_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run:?}");
    assert!(
        lines[0].starts_with(&format!("{path}:2:12: unescaped-value: ")),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with(&format!("{path}:3:10: unavailable-variable: ")),
        "{lines:?}"
    );
    assert!(run.stderr.contains("2 findings"), "{run:?}");
}

#[tokio::test]
async fn a_syntax_error_is_one_finding_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "bad.vm", "{\n  #if($status)\"a\": 1\n}");
    let run = run(
        bare(),
        &[
            "template",
            "lint",
            &path,
            "--event",
            "DELIVERED_DR",
            "--json",
        ],
    )
    .await;
    run.assert_code(1);
    let findings = run.json();
    assert_eq!(findings.as_array().unwrap().len(), 1, "{run:?}");
    assert_eq!(findings[0]["kind"], "syntax");
    assert_eq!(
        (findings[0]["line"].as_u64(), findings[0]["column"].as_u64()),
        (Some(2), Some(3))
    );
}

#[tokio::test]
async fn a_clean_template_lints_silently_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "ok.vm", "{\"text\": \"$esc.json($moContent)\"}");
    let run = run(
        bare(),
        &[
            "template",
            "lint",
            &path,
            "--event",
            "RECEIVED_SMS,RECEIVED_MMS",
        ],
    )
    .await;
    run.assert_code(0);
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run:?}");
}

#[tokio::test]
async fn render_prints_exactly_the_body_a_callback_carries() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "t.vm",
        "{\"text\":\"$esc.json($moContent)\",\"account\":\"$accountId\",\"order\":\"$metadata.get('order')\"}",
    );
    let run = run(
        bare(),
        &[
            "--account",
            "Acct7",
            "template",
            "render",
            &path,
            "--event",
            "RECEIVED_SMS",
            "--field",
            "content=She said \"hi\"",
            "--field",
            "metadata:={\"order\":\"42\"}",
        ],
    )
    .await;
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        r#"{"text":"She said \"hi\"","account":"Acct7","order":"42"}"#
    );
}

#[tokio::test]
async fn render_without_a_file_uses_the_default_template_of_the_encoding() {
    let json = run(
        bare(),
        &[
            "template",
            "render",
            "--event",
            "FAILED_DR",
            "--field",
            "status_code=330",
        ],
    )
    .await;
    json.assert_code(0);
    let body = json.json();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["error_code"], "330");
    assert_eq!(
        body["vendor_account_id"]["account_id"],
        "DeveloperPortal7000"
    );

    let form = run(
        bare(),
        &[
            "template",
            "render",
            "--event",
            "FAILED_DR",
            "--encoding",
            "FORM_ENCODED",
        ],
    )
    .await;
    form.assert_code(0);
    assert!(form.stdout.contains("status=failed"), "{form:?}");
}

#[tokio::test]
async fn render_refuses_a_syntax_error_and_an_unknown_field_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "bad.vm", "#foreach($x in $metadata)");
    let broken = run(
        bare(),
        &["template", "render", &path, "--event", "RECEIVED_SMS"],
    )
    .await;
    broken.assert_code(1);
    assert!(
        broken.stderr.contains(&format!("{path}:1:1: syntax:")),
        "{broken:?}"
    );

    let unknown = run(
        bare(),
        &[
            "template",
            "render",
            "--event",
            "RECEIVED_SMS",
            "--field",
            "colour=red",
        ],
    )
    .await;
    unknown.assert_code(1);
    assert!(
        unknown.stderr.contains("/colour: unknown field"),
        "{unknown:?}"
    );
}
