//! The whole local loop with nothing but `mm-webhooks`: a key created and enabled with `keys`,
//! `listen` fetching it through the API, a webhook pointing at `listen`, `trigger`.

use crate::support;

use std::time::Duration;

use support::{against, run, sandbox};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::ChildStdout;

/// How long a line may take to appear.
const LINE_LIMIT: Duration = Duration::from_secs(20);

async fn next(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(LINE_LIMIT, lines.next_line())
        .await
        .expect("a line in time")
        .unwrap()
        .expect("the stream is open")
}

async fn enabled_new_key(sandbox: &webhooks_sandbox::SandboxHandle) -> String {
    let created = run(against(sandbox), &["keys", "create", "--json"]).await;
    created.assert_code(0);
    let id = created.json()["key_id"].as_str().unwrap().to_owned();
    run(against(sandbox), &["keys", "enable", &id])
        .await
        .assert_code(0);
    id
}

#[tokio::test]
async fn listen_verifies_a_triggered_callback_with_a_key_fetched_through_the_api_and_follows_a_rotation()
 {
    let sandbox = sandbox().await;
    let first_key = enabled_new_key(&sandbox).await;

    let mut listen = against(&sandbox);
    listen.args(["listen", "--port", "0"]);
    let mut child = listen.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = tokio::time::timeout(LINE_LIMIT, stderr.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = first
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();

    run(
        against(&sandbox),
        &[
            "webhooks",
            "create",
            "--url",
            &format!("{url}/hooks"),
            "--event",
            "RECEIVED_SMS",
        ],
    )
    .await
    .assert_code(0);
    let triggered = run(
        against(&sandbox),
        &[
            "trigger",
            "RECEIVED_SMS",
            "--field",
            "content=Hello from the sandbox",
        ],
    )
    .await;
    triggered.assert_code(0);
    assert!(
        triggered.stdout.contains("delivered (200)"),
        "{triggered:?}"
    );
    let line = next(&mut stdout).await;
    assert!(
        line.contains(r#"content="Hello from the sandbox""#),
        "{line}"
    );
    assert!(line.ends_with(&format!("(key {first_key})")), "{line}");

    let second_key = enabled_new_key(&sandbox).await;
    run(against(&sandbox), &["trigger", "RECEIVED_SMS"])
        .await
        .assert_code(0);
    let line = next(&mut stdout).await;
    assert!(
        line.ends_with(&format!("(key {second_key})")),
        "the rotated key verifies without a restart: {line}"
    );

    run(against(&sandbox), &["keys", "disable"])
        .await
        .assert_code(0);
    let unsigned = run(against(&sandbox), &["trigger", "RECEIVED_SMS"]).await;
    unsigned.assert_code(1);
    assert!(unsigned.stdout.contains("failed (401)"), "{unsigned:?}");
    child.kill().await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn listen_without_keys_or_credentials_is_a_usage_error() {
    let run = run(support::bare(), &["listen", "--port", "0"]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("--public-key"), "{run:?}");
    assert!(run.stderr.contains("MESSAGEMEDIA_API_KEY"), "{run:?}");
}
