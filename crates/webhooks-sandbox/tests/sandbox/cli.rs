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

/// Starts the binary with `args`, sends SIGINT as soon as its first line is read, and returns
/// the exit code and what it printed.
#[cfg(unix)]
fn interrupt_on_first_line(args: &[&str]) -> (Option<i32>, String) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_webhooks-sandbox"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    stdout.read_line(&mut printed).unwrap();
    if printed.is_empty() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("exited before announcing its address");
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let _ = stdout.read_to_string(&mut printed);
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 20 s after SIGINT:\n{printed}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    (code, printed)
}

#[cfg(unix)]
#[test]
fn a_ctrl_c_sent_right_after_the_address_line_stops_the_sandbox_cleanly() {
    const RUNS: usize = 200;
    const THREADS: usize = 4;
    let runs: Vec<(Option<i32>, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    (0..RUNS / THREADS)
                        .map(|_| interrupt_on_first_line(&["--listen", "127.0.0.1:0"]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect()
    });
    assert_eq!(runs.len(), RUNS);
    for (run, (code, printed)) in runs.iter().enumerate() {
        assert_eq!(*code, Some(0), "run {run}:\n{printed}");
        assert!(printed.contains("shutting down"), "run {run}:\n{printed}");
    }
}
