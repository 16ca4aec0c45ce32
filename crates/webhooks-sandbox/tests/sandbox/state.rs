//! `--state`: a restart keeps every webhook of every account, through the library and
//! through the binary (which prints its bound base URL and stops cleanly on SIGTERM).

use crate::loopback;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use loopback::{Api, KEY, SECRET, create_body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use webhooks_sandbox::Sandbox;

async fn everything(api: &Api, accounts: &[Option<&str>]) -> Vec<Value> {
    let mut all = Vec::new();
    for account in accounts {
        let api = match account {
            Some(account) => api.for_account(account),
            None => api.clone(),
        };
        all.push(api.get("/v1/webhooks/messages").await.json());
    }
    all
}

#[tokio::test]
async fn a_restarted_library_sandbox_keeps_every_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let start = || {
        Sandbox::builder()
            .credentials(KEY, SECRET)
            .state_file(&state)
            .start()
    };
    let accounts = [None, Some("sub-a"), Some("sub-b")];

    let sandbox = start().await.unwrap();
    let api = Api::new(&sandbox);
    let kept = api.create(&create_body("https://example.com/kept")).await;
    let full = json!({
        "url": "https://example.com/full", "method": "PATCH", "encoding": "FORM_ENCODED",
        "events": ["OPT_OUT_SMS"], "headers": {"X-K": "v"}, "template": "$moContent",
        "read_timeout": 100, "retries": 5, "retry_delay": 60
    });
    api.for_account("sub-a").create(&full).await;
    let gone = api
        .for_account("sub-b")
        .create(&create_body("https://example.com/gone"))
        .await;
    api.for_account("sub-b")
        .create(&create_body("https://example.com/stays"))
        .await;
    let path = format!("/v1/webhooks/messages/{}", kept.id);
    assert_eq!(
        api.patch_json(&path, &json!({"events": ["FAILED_DR"]}))
            .await
            .status,
        StatusCode::OK
    );
    let gone_path = format!("/v1/webhooks/messages/{}", gone.id);
    let deleted = api
        .for_account("sub-b")
        .send(Method::DELETE, &gone_path, None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let before = everything(&api, &accounts).await;
    sandbox.shutdown().await;

    let sandbox = start().await.unwrap();
    let api = Api::new(&sandbox);
    let after = everything(&api, &accounts).await;
    assert_eq!(after, before);
    assert_eq!(after[0]["pageData"][0]["events"], json!(["FAILED_DR"]));
    assert_eq!(after[1]["pageData"][0]["retry_delay"], 60);
    assert_eq!(after[2]["pageData"].as_array().unwrap().len(), 1);
    // The reloaded store still enforces uniqueness.
    let answer = api
        .post_json(
            "/v1/webhooks/messages",
            &create_body("https://example.com/kept"),
        )
        .await;
    answer.error(StatusCode::CONFLICT);
    sandbox.shutdown().await;

    // A state file that is not a state is refused at start, not silently replaced.
    std::fs::write(&state, b"not json").unwrap();
    assert!(start().await.is_err());
}

/// The binary, started on a free port: the process, the base URL it printed, and the rest
/// of what it prints.
fn spawn_binary(state: &std::path::Path) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_webhooks-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--api-secret",
            SECRET,
        ])
        .arg("--state")
        .arg(state)
        .arg("--sign-callbacks")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep reading, so the binary's stdout stays open; the thread ends when the binary does.
    let (lines, printed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let base = first
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no base URL in {first:?}"))
        .to_owned();
    (child, base, printed)
}

/// Sends SIGTERM and waits (at most 10 s) for the binary to exit.
fn terminate(mut child: Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        if let Some(exit) = child.try_wait().unwrap() {
            return exit;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the binary did not stop on SIGTERM");
}

/// Stops the binary and checks it exited cleanly, saying so on stdout.
fn stop((child, _, printed): (Child, String, mpsc::Receiver<String>)) {
    let exit = terminate(child);
    assert!(exit.success(), "{exit:?}");
    let printed: Vec<String> = printed.try_iter().collect();
    assert!(
        printed.iter().any(|line| line == "shutting down"),
        "{printed:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_restarted_binary_keeps_every_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    let binary = tokio::task::spawn_blocking({
        let state = state.clone();
        move || spawn_binary(&state)
    })
    .await
    .unwrap();
    let api = Api::at(binary.1.clone());
    let created = api.create(&create_body("https://example.com/binary")).await;
    api.for_account("sub")
        .create(&create_body("https://example.com/sub"))
        .await;
    // --sign-callbacks starts with one enabled key, kept in the state file.
    let key = api.get("/v1/iam/signature_keys/enabled").await;
    assert_eq!(key.status, StatusCode::OK);
    assert_eq!(key.json()["digest"], "SHA256");
    let key_id = key.json()["key_id"].clone();
    tokio::task::spawn_blocking(move || stop(binary))
        .await
        .unwrap();

    let binary = tokio::task::spawn_blocking({
        let state = state.clone();
        move || spawn_binary(&state)
    })
    .await
    .unwrap();
    let api = Api::at(binary.1.clone());
    let key = api.get("/v1/iam/signature_keys/enabled").await;
    assert_eq!(key.json()["key_id"], key_id, "the same key, not a new one");
    let own = api.list().await.page_data;
    assert_eq!(own.iter().map(|w| w.id).collect::<Vec<_>>(), [created.id]);
    assert_eq!(own[0].url, "https://example.com/binary");
    assert_eq!(api.for_account("sub").list().await.page_data.len(), 1);
    tokio::task::spawn_blocking(move || stop(binary))
        .await
        .unwrap();
}

#[test]
fn the_binary_refuses_unpaired_credentials() {
    let output = Command::new(env!("CARGO_BIN_EXE_webhooks-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--api-key", KEY])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--api-secret"));
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_keeps_serving_and_stops_cleanly_when_its_stdout_is_closed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_webhooks-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--api-secret",
            SECRET,
        ])
        .arg("--sign-callbacks")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = tokio::task::spawn_blocking({
        let stdout = child.stdout.take().unwrap();
        move || {
            let mut first = String::new();
            BufReader::new(stdout).read_line(&mut first).unwrap();
            first // the reader, and with it the pipe, is dropped here
        }
    })
    .await
    .unwrap();
    let base = first.trim().rsplit(' ').next().unwrap().to_owned();
    let api = Api::at(base);
    api.create(&create_body("https://example.com/after-close"))
        .await;
    let exit = tokio::task::spawn_blocking(move || terminate(child))
        .await
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test]
async fn a_change_that_cannot_be_saved_is_undone_and_answered_503() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let sandbox = Sandbox::builder()
        .credentials(KEY, SECRET)
        .state_file(&state)
        .start()
        .await
        .unwrap();
    let api = Api::new(&sandbox);
    let kept = api.create(&create_body("https://example.com/kept")).await;
    // Another process holds the store's write lock, so no change can be committed.
    let blocker = rusqlite::Connection::open(&state).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let item = format!("/v1/webhooks/messages/{}", kept.id);
    api.post_json(
        "/v1/webhooks/messages",
        &create_body("https://example.com/new"),
    )
    .await
    .error(StatusCode::SERVICE_UNAVAILABLE);
    api.patch_json(&item, &json!({"url": "https://example.com/changed"}))
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE);
    api.send(Method::DELETE, &item, None)
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE);
    let stored = api.list().await.page_data;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].url, "https://example.com/kept",
        "every failed change was undone"
    );

    blocker.execute_batch("ROLLBACK").unwrap();
    drop(blocker);
    api.create(&create_body("https://example.com/new")).await;
    assert_eq!(api.list().await.page_data.len(), 2);
    sandbox.shutdown().await;
}
