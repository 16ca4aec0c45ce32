//! kill -9 while webhooks are being created: every create the sandbox acknowledged (201) is
//! there after a restart on the same state file.
#![cfg(unix)]

use crate::loopback;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loopback::{KEY, SECRET, basic, create_body};
use reqwest::StatusCode;
use uuid::Uuid;

const WRITERS: usize = 4;
/// Creates each writer tries at most, so the test ends even if the kill came late.
const CREATES_PER_WRITER: usize = 400;
/// Acknowledged creates to wait for before the kill.
const ACKNOWLEDGED_BEFORE_KILL: usize = 60;

/// The binary on a free port with `--state`, and its base URL.
fn spawn(state: &std::path::Path) -> (Child, String) {
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
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no base URL in {first:?}"))
        .to_owned();
    (child, base)
}

/// Creates webhooks until the sandbox stops answering; records each acknowledged id.
async fn write(base: String, writer: usize, acknowledged: Arc<Mutex<Vec<Uuid>>>) {
    let http = reqwest::Client::new();
    for n in 0..CREATES_PER_WRITER {
        let body = create_body(&format!("https://example.com/{writer}/{n}"));
        let Ok(answer) = http
            .post(format!("{base}/v1/webhooks/messages"))
            .header("Authorization", basic(KEY, SECRET))
            .json(&body)
            .send()
            .await
        else {
            return;
        };
        if answer.status() != StatusCode::CREATED {
            return;
        }
        let Ok(created) = answer.json::<serde_json::Value>().await else {
            return;
        };
        let id = created["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok());
        acknowledged.lock().unwrap().extend(id);
    }
}

async fn stored(base: &str) -> Vec<Uuid> {
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for page in 0.. {
        let answer: serde_json::Value = http
            .get(format!("{base}/v1/webhooks/messages?page={page}"))
            .header("Authorization", basic(KEY, SECRET))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = answer["pageData"].as_array().unwrap();
        ids.extend(
            data.iter()
                .filter_map(|w| Uuid::parse_str(w["id"].as_str()?).ok()),
        );
        if data.len() < 100 {
            break;
        }
    }
    ids
}

#[tokio::test]
async fn a_sigkill_during_writes_loses_no_acknowledged_create() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let (mut child, base) = spawn(&state);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| tokio::spawn(write(base.clone(), writer, Arc::clone(&acknowledged))))
        .collect();
    for _ in 0..500 {
        if acknowledged.lock().unwrap().len() >= ACKNOWLEDGED_BEFORE_KILL {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= ACKNOWLEDGED_BEFORE_KILL,
        "only {} creates before the kill",
        acknowledged.len()
    );

    let (mut child, base) = spawn(&state);
    let stored = stored(&base).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "lost {} of {}: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    assert!(
        stored.len() <= acknowledged.len() + WRITERS,
        "at most one unanswered create per writer"
    );
}
