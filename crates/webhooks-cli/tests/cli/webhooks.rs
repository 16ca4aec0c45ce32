//! `mm-webhooks webhooks ...` against the sandbox.

use crate::support;

use futures::TryStreamExt;
use support::{against, client, run, sandbox};
use webhooks_ergonomic::{Event, Webhook};

async fn stored(sandbox: &webhooks_sandbox::SandboxHandle) -> Vec<Webhook> {
    client(sandbox)
        .webhooks()
        .list_all()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn create_prints_the_webhook_and_list_shows_it_in_a_table() {
    let sandbox = sandbox().await;
    let created = run(
        against(&sandbox),
        &[
            "webhooks",
            "create",
            "--url",
            "https://example.com/hook",
            "--event",
            "RECEIVED_SMS,delivered_dr",
            "--retries",
            "3",
            "--retry-delay",
            "30",
        ],
    )
    .await;
    created.assert_code(0);
    let id = stored(&sandbox).await[0].id.to_string();
    assert!(created.stdout.contains(&id), "{created:?}");

    let list = run(against(&sandbox), &["webhooks", "list"]).await;
    list.assert_code(0);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["ID", "URL", "METHOD", "ENCODING", "EVENTS", "RETRIES"]
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        row,
        [
            id.as_str(),
            "https://example.com/hook",
            "POST",
            "JSON",
            "RECEIVED_SMS,DELIVERED_DR",
            "3"
        ]
    );
    assert!(!list.stdout.contains('\x1b'), "no colour off a terminal");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn create_json_has_every_field_under_its_api_name() {
    let sandbox = sandbox().await;
    let run = run(
        against(&sandbox),
        &[
            "webhooks",
            "create",
            "--url",
            "https://example.com/j",
            "--event",
            "OPT_OUT_SMS",
            "--method",
            "put",
            "--encoding",
            "form_encoded",
            "--header",
            "X-Key=a=b",
            "--read-timeout",
            "1500",
            "--json",
        ],
    )
    .await;
    run.assert_code(0);
    let json = run.json();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "encoding",
            "events",
            "headers",
            "id",
            "method",
            "read_timeout",
            "retries",
            "retry_delay",
            "template",
            "url"
        ]
    );
    assert_eq!(json["method"], "PUT");
    assert_eq!(json["encoding"], "FORM_ENCODED");
    assert_eq!(json["events"], serde_json::json!(["OPT_OUT_SMS"]));
    assert_eq!(json["headers"]["X-Key"], "a=b");
    assert_eq!(json["read_timeout"], 1500);
    assert_eq!(json["retry_delay"], serde_json::Value::Null);
    assert_eq!(json["id"], stored(&sandbox).await[0].id.to_string());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_value_the_api_rejects_exits_1_and_sends_nothing() {
    let sandbox = sandbox().await;
    let run = run(
        against(&sandbox),
        &[
            "webhooks",
            "create",
            "--url",
            "https://example.com/r",
            "--event",
            "FAILED_DR",
            "--retries",
            "9",
        ],
    )
    .await;
    run.assert_code(1);
    assert!(run.stderr.contains("`retries`"), "{run:?}");
    assert!(stored(&sandbox).await.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_exits_1_with_the_apis_conflict_message() {
    let sandbox = sandbox().await;
    let args = [
        "webhooks",
        "create",
        "--url",
        "https://example.com/d",
        "--event",
        "FAILED_DR",
    ];
    run(against(&sandbox), &args).await.assert_code(0);
    let again = run(against(&sandbox), &args).await;
    again.assert_code(1);
    assert!(again.stderr.contains("already exists"), "{again:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn template_findings_print_with_line_and_column_and_strict_makes_them_errors() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("reply.vm");
    std::fs::write(&template, "{\n  \"id\": \"$drId\"\n}").unwrap();
    let template = template.to_str().unwrap();
    let args = [
        "webhooks",
        "create",
        "--url",
        "https://example.com/t",
        "--event",
        "RECEIVED_SMS",
        "--template",
        template,
    ];

    let mut strict = args.to_vec();
    strict.push("--strict");
    let refused = run(against(&sandbox), &strict).await;
    refused.assert_code(1);
    assert!(
        refused
            .stderr
            .contains(&format!("{template}:2:10: unavailable-variable")),
        "{refused:?}"
    );
    assert!(stored(&sandbox).await.is_empty(), "strict sends nothing");

    let lenient = run(against(&sandbox), &args).await;
    lenient.assert_code(0);
    assert!(
        lenient.stderr.contains(&format!("{template}:2:10:")),
        "{lenient:?}"
    );
    assert_eq!(
        stored(&sandbox).await[0].template.as_deref(),
        Some("{\n  \"id\": \"$drId\"\n}")
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn list_all_streams_every_page_as_json_lines() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    for n in 0..105 {
        client
            .webhooks()
            .create()
            .url(format!("https://example.com/{n}"))
            .event(Event::DeliveredDr)
            .send()
            .await
            .unwrap();
    }
    let first = run(
        against(&sandbox),
        &["webhooks", "list", "--page-size", "100", "--json"],
    )
    .await;
    first.assert_code(0);
    assert_eq!(first.json().as_array().unwrap().len(), 100, "one page only");

    let all = run(against(&sandbox), &["webhooks", "list", "--all", "--jsonl"]).await;
    all.assert_code(0);
    let mut urls: Vec<String> = all
        .stdout
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["url"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 105);
    assert!(all.stderr.is_empty(), "no progress off a terminal: {all:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn get_finds_a_webhook_by_id_and_an_unknown_id_exits_1() {
    let sandbox = sandbox().await;
    let webhook = client(&sandbox)
        .webhooks()
        .create()
        .url("https://example.com/g")
        .event(Event::EnrouteDr)
        .send()
        .await
        .unwrap();
    let id = webhook.id.to_string();
    let found = run(against(&sandbox), &["webhooks", "get", &id, "--json"]).await;
    found.assert_code(0);
    assert_eq!(found.json()["url"], "https://example.com/g");

    let missing = run(
        against(&sandbox),
        &["webhooks", "get", "00000000-0000-4000-8000-000000000000"],
    )
    .await;
    missing.assert_code(1);
    assert!(
        missing
            .stderr
            .contains("no webhook 00000000-0000-4000-8000-000000000000"),
        "{missing:?}"
    );

    let malformed = run(against(&sandbox), &["webhooks", "get", "not-a-uuid"]).await;
    malformed.assert_code(2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn update_changes_only_the_fields_given() {
    let sandbox = sandbox().await;
    let webhook = client(&sandbox)
        .webhooks()
        .create()
        .url("https://example.com/u")
        .event(Event::EnrouteDr)
        .header("X-Old", "1")
        .retries(2)
        .send()
        .await
        .unwrap();
    let id = webhook.id.to_string();
    let run = run(
        against(&sandbox),
        &[
            "webhooks",
            "update",
            &id,
            "--event",
            "FAILED_DR",
            "--event",
            "EXPIRED_DR",
            "--clear-headers",
            "--json",
        ],
    )
    .await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(
        json["events"],
        serde_json::json!(["FAILED_DR", "EXPIRED_DR"])
    );
    assert_eq!(json["headers"], serde_json::json!({}));
    assert_eq!(json["url"], "https://example.com/u");
    assert_eq!(json["retries"], 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn delete_refuses_without_yes_off_a_terminal_and_deletes_with_it() {
    let sandbox = sandbox().await;
    let webhook = client(&sandbox)
        .webhooks()
        .create()
        .url("https://example.com/x")
        .event(Event::SubmittedDr)
        .send()
        .await
        .unwrap();
    let id = webhook.id.to_string();
    let refused = run(against(&sandbox), &["webhooks", "delete", &id]).await;
    refused.assert_code(2);
    assert!(refused.stderr.contains("--yes"), "{refused:?}");
    assert_eq!(stored(&sandbox).await.len(), 1);

    let deleted = run(
        against(&sandbox),
        &["webhooks", "delete", &id, "--yes", "--json"],
    )
    .await;
    deleted.assert_code(0);
    assert_eq!(deleted.json()["deleted"], id);
    assert!(stored(&sandbox).await.is_empty());

    let again = run(against(&sandbox), &["webhooks", "delete", &id, "--yes"]).await;
    again.assert_code(1);
    assert!(again.stderr.contains("not found"), "{again:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_event_name_is_sent_as_written_with_a_warning_and_the_apis_answer() {
    let sandbox = sandbox().await;
    let run = run(
        against(&sandbox),
        &[
            "webhooks",
            "create",
            "--url",
            "https://example.com/rcs",
            "--event",
            "RECEIVED_RCS",
        ],
    )
    .await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("warning: RECEIVED_RCS is not one of the events this version knows"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("bad request"),
        "the API decided: {run:?}"
    );
    assert!(stored(&sandbox).await.is_empty());
    sandbox.shutdown().await;
}
