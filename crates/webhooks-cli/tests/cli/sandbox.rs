//! `mm-webhooks sandbox`: the emulator from the same binary, found through the line it prints.

use crate::support;

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

/// How long the sandbox may take to say where it listens, and to stop.
const START_LIMIT: Duration = Duration::from_secs(20);

/// Starts `mm-webhooks sandbox --listen 127.0.0.1:0 ARGS` and reads its base URL from the
/// first line it prints.
async fn start(mut command: tokio::process::Command, args: &[&str]) -> (Child, String) {
    command
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .args(args);
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(START_LIMIT, lines.next_line())
        .await
        .expect("the sandbox says where it listens in time")
        .unwrap()
        .expect("a first line");
    let url = first
        .strip_prefix("webhooks-sandbox listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    // Keep draining stdout so the sandbox never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

async fn stop(mut child: Child) -> i32 {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(START_LIMIT, child.wait())
        .await
        .expect("the sandbox stops in time")
        .unwrap();
    exit.code().expect("exited, not killed")
}

fn client_of(url: &str, key: &str, secret: &str) -> tokio::process::Command {
    let mut command = support::bare();
    command
        .env("MESSAGEMEDIA_API_KEY", key)
        .env("MESSAGEMEDIA_API_SECRET", secret)
        .env("MESSAGEMEDIA_BASE_URL", url);
    command
}

#[tokio::test]
async fn the_sandbox_prints_its_url_answers_the_api_and_stops_on_sigterm() {
    let (child, url) = start(support::bare(), &[]).await;
    let created = support::run(
        client_of(&url, "sandbox-key", "sandbox-secret"),
        &[
            "webhooks",
            "create",
            "--url",
            "https://example.com/s",
            "--event",
            "RECEIVED_SMS",
            "--json",
        ],
    )
    .await;
    created.assert_code(0);
    assert_eq!(created.json()["url"], "https://example.com/s");
    let listed = support::run(
        client_of(&url, "sandbox-key", "sandbox-secret"),
        &["webhooks", "list", "--json"],
    )
    .await;
    listed.assert_code(0);
    assert_eq!(listed.json().as_array().unwrap().len(), 1);
    assert_eq!(stop(child).await, 0);
}

#[tokio::test]
async fn the_sandbox_accepts_the_credentials_of_the_environment_and_of_its_flags() {
    let mut command = support::bare();
    command
        .env("MESSAGEMEDIA_API_KEY", support::KEY)
        .env("MESSAGEMEDIA_API_SECRET", support::SECRET);
    let (child, url) = start(command, &[]).await;
    support::run(
        client_of(&url, support::KEY, support::SECRET),
        &["webhooks", "list"],
    )
    .await
    .assert_code(0);
    let default = support::run(
        client_of(&url, "sandbox-key", "sandbox-secret"),
        &["webhooks", "list"],
    )
    .await;
    default.assert_code(1);
    assert!(default.stderr.contains("unauthorized"), "{default:?}");
    stop(child).await;

    let (child, url) = start(
        support::bare(),
        &[
            "--api-key",
            "k1",
            "--api-secret",
            "s1",
            "--api-key",
            "k2",
            "--api-secret",
            "s2",
        ],
    )
    .await;
    for (key, secret) in [("k1", "s1"), ("k2", "s2")] {
        support::run(client_of(&url, key, secret), &["webhooks", "list"])
            .await
            .assert_code(0);
    }
    stop(child).await;
}

#[tokio::test]
async fn a_key_without_its_secret_is_a_usage_error() {
    let run = support::run(
        support::bare(),
        &["sandbox", "--listen", "127.0.0.1:0", "--api-key", "k1"],
    )
    .await;
    run.assert_code(2);
    assert!(run.stderr.contains("--api-secret"), "{run:?}");
}
