//! `mm-webhooks keys ...` against the sandbox's Signature Key API.

use crate::support;

use support::{against, run, sandbox};

#[tokio::test]
async fn keys_go_through_their_whole_cycle() {
    let sandbox = sandbox().await;
    let none = run(against(&sandbox), &["keys", "enabled"]).await;
    none.assert_code(0);
    assert_eq!(
        none.stdout.trim(),
        "no key is enabled: callbacks are unsigned"
    );

    let created = run(
        against(&sandbox),
        &["keys", "create", "--digest", "sha-512"],
    )
    .await;
    created.assert_code(0);
    let lines: Vec<&str> = created.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["ID", "CIPHER", "DIGEST", "CREATED", "ENABLED"]);
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    let id = row[0].to_owned();
    assert_eq!(&row[1..], ["RSA", "SHA512", row[3], "no"]);
    assert!(
        lines[2].starts_with(&format!("public key of {id}")),
        "{created:?}"
    );
    assert!(lines[3].starts_with("MIIB"), "base64 DER: {created:?}");

    let enabled = run(against(&sandbox), &["keys", "enable", &id]).await;
    enabled.assert_code(0);
    assert!(
        enabled.stdout.contains(&format!("enabled key {id}")),
        "{enabled:?}"
    );
    let shown = run(against(&sandbox), &["keys", "enabled", "--json"]).await;
    shown.assert_code(0);
    let key = shown.json();
    assert_eq!(key["key_id"], id.as_str());
    assert_eq!(key["enabled"], true);
    assert_eq!(key["digest"], "SHA512");
    assert_eq!(key["cipher"], "RSA");
    assert!(key["created"].is_string());
    assert_eq!(
        sandbox.signature_key().map(|key| key.key_id.to_string()),
        Some(id.clone()),
        "the sandbox signs with it"
    );

    let listed = run(against(&sandbox), &["keys", "list", "--json"]).await;
    listed.assert_code(0);
    let keys = listed.json();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["key_id"], id.as_str());
    let got = run(against(&sandbox), &["keys", "get", &id, "--json"]).await;
    got.assert_code(0);
    assert_eq!(got.json()["key_id"], id.as_str());

    run(against(&sandbox), &["keys", "disable"])
        .await
        .assert_code(0);
    let after = run(against(&sandbox), &["keys", "enabled", "--json"]).await;
    after.assert_code(0);
    assert!(after.json().is_null(), "{after:?}");
    assert!(sandbox.signature_key().is_none());

    let refused = run(against(&sandbox), &["keys", "delete", &id]).await;
    refused.assert_code(2);
    assert!(refused.stderr.contains("--yes"), "{refused:?}");
    let deleted = run(
        against(&sandbox),
        &["keys", "delete", &id, "--yes", "--json"],
    )
    .await;
    deleted.assert_code(0);
    assert_eq!(deleted.json()["deleted"], id.as_str());
    let gone = run(against(&sandbox), &["keys", "get", &id]).await;
    gone.assert_code(1);
    assert!(gone.stderr.contains("not found"), "{gone:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn list_all_reads_every_page_as_json_lines() {
    let sandbox = sandbox().await;
    for _ in 0..3 {
        run(against(&sandbox), &["keys", "create"])
            .await
            .assert_code(0);
    }
    let all = run(against(&sandbox), &["keys", "list", "--all", "--jsonl"]).await;
    all.assert_code(0);
    assert_eq!(all.stdout.lines().count(), 3, "{all:?}");
    let page = run(
        against(&sandbox),
        &["keys", "list", "--page", "2", "--page-size", "2", "--json"],
    )
    .await;
    page.assert_code(0);
    assert_eq!(
        page.json().as_array().unwrap().len(),
        1,
        "pages count from 1"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_malformed_key_id_or_page_zero_is_a_usage_error() {
    let sandbox = sandbox().await;
    for args in [
        &["keys", "enable", "not-a-uuid"][..],
        &["keys", "list", "--page", "0"][..],
        &["keys", "create", "--digest", "MD5"][..],
    ] {
        let run = run(against(&sandbox), args).await;
        run.assert_code(2);
    }
    sandbox.shutdown().await;
}
