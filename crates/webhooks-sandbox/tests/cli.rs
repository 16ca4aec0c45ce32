//! The binary's command line: `--help` documents the sandbox's own endpoints, and a state
//! file that is no store stops it with a message naming the file, leaving the file alone.

use std::process::Command;

#[test]
fn the_long_help_documents_the_sandbox_endpoints_with_a_curl_example() {
    let output = Command::new(env!("CARGO_BIN_EXE_webhooks-sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "/sandbox/v1/events",
        "/sandbox/v1/deliveries",
        "/sandbox/v1/faults",
        "curl -u",
        "--listen-backlog",
        "--delivery-log-limit",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
}

#[test]
fn a_state_file_that_is_no_store_is_named_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, b"[1, 2").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_webhooks-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains(&state.display().to_string()), "{error}");
    assert!(error.contains("move it away"), "{error}");
    assert_eq!(std::fs::read(&state).unwrap(), b"[1, 2");
}
