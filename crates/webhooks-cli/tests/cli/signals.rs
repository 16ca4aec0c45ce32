//! Every command that prints an address stops cleanly on a Ctrl-C sent the moment the address
//! line appears: the signal handlers are installed before anything is announced.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

/// Runs of each command; a race that loses one run in a hundred fails here.
const RUNS: usize = 200;
/// The runs are spread over this many threads, which also loads the machine as CI does.
const THREADS: usize = 4;
/// How long one run may take to print its address, then to stop.
const LIMIT: Duration = Duration::from_secs(20);

/// Which of the child's streams carries the address line.
#[derive(Clone, Copy)]
enum Announces {
    OnStdout,
    OnStderr,
}

/// Starts `mm-webhooks ARGS`, sends SIGINT as soon as the first line of `stream` is read, and
/// returns the exit code and everything the child printed.
fn interrupt_on_first_line(args: &[&str], stream: Announces) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mm-webhooks"))
        .args(args)
        .env_remove("MESSAGEMEDIA_API_KEY")
        .env_remove("MESSAGEMEDIA_API_SECRET")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mm-webhooks starts");
    let (mut announcing, other): (Box<dyn Read + Send>, Box<dyn Read + Send>) = match stream {
        Announces::OnStdout => (
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ),
        Announces::OnStderr => (
            Box::new(child.stderr.take().unwrap()),
            Box::new(child.stdout.take().unwrap()),
        ),
    };
    let drain_other = std::thread::spawn(move || read_all(other));
    let mut first = String::new();
    BufReader::new(&mut announcing)
        .read_line(&mut first)
        .expect("the first line");
    if first.is_empty() {
        kill_and_reap(&mut child);
        panic!("exited before announcing: {}", drain_other.join().unwrap());
    }
    kill_process(Pid::from_child(&child), Signal::INT).expect("SIGINT is sent");
    let rest = read_all(announcing);
    let code = wait_bounded(&mut child);
    let printed = format!("{first}{rest}{}", drain_other.join().unwrap());
    (code, printed)
}

fn read_all(mut stream: impl Read) -> String {
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text
}

/// The exit code; a child still running after [`LIMIT`] is killed and the test fails.
fn wait_bounded(child: &mut Child) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > LIMIT {
            kill_and_reap(child);
            panic!("still running {LIMIT:?} after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill_and_reap(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// [`RUNS`] runs of `args` on [`THREADS`] threads; each must exit 0 and print `expected`.
#[track_caller]
fn every_run_stops_cleanly(args: &'static [&'static str], stream: Announces, expected: &str) {
    let runs: Vec<(Option<i32>, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(move || {
                    (0..RUNS / THREADS)
                        .map(|_| interrupt_on_first_line(args, stream))
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
        assert_eq!(*code, Some(0), "run {run} of {args:?}:\n{printed}");
        assert!(
            printed.contains(expected),
            "run {run} of {args:?} did not print `{expected}`:\n{printed}"
        );
    }
}

#[test]
fn listen_stops_cleanly_on_a_ctrl_c_sent_right_after_its_address() {
    every_run_stops_cleanly(
        &["listen", "--port", "0", "--skip-verify"],
        Announces::OnStderr,
        "stopped",
    );
}

#[test]
fn the_sandbox_command_stops_cleanly_on_a_ctrl_c_sent_right_after_its_address() {
    every_run_stops_cleanly(
        &["sandbox", "--listen", "127.0.0.1:0"],
        Announces::OnStdout,
        "shutting down",
    );
}
