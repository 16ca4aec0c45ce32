//! Running the built `mm-webhooks` against an in-process sandbox, bounded in time.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;
use webhooks_sandbox::{Sandbox, SandboxHandle};

pub const KEY: &str = "cli-test-key";
/// Distinctive, so a leak anywhere in the output is found by a plain search.
pub const SECRET: &str = "s3cret-never-printed-7f2a";

/// No run of the binary may take longer.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

pub async fn sandbox() -> SandboxHandle {
    Sandbox::builder()
        .credentials(KEY, SECRET)
        .start()
        .await
        .expect("sandbox starts")
}

/// A client of the sandbox through the library, to set up state quickly.
pub fn client(sandbox: &SandboxHandle) -> webhooks_ergonomic::Client {
    webhooks_ergonomic::Client::builder()
        .credentials(KEY, SECRET)
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

/// The binary with a clean environment: no credentials, no colour settings of the caller.
pub fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mm-webhooks"));
    for name in [
        "MESSAGEMEDIA_API_KEY",
        "MESSAGEMEDIA_API_SECRET",
        "MESSAGEMEDIA_BASE_URL",
        "MESSAGEMEDIA_ACCOUNT",
        "MESSAGEMEDIA_AUTH",
        "NO_COLOR",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// The binary with the sandbox's credentials in the environment and `--base-url` set.
pub fn against(sandbox: &SandboxHandle) -> Command {
    let mut command = bare();
    command
        .env("MESSAGEMEDIA_API_KEY", KEY)
        .env("MESSAGEMEDIA_API_SECRET", SECRET)
        .env("MESSAGEMEDIA_BASE_URL", sandbox.base_url());
    command
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code; {self:#?}");
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| panic!("{err}: {self:#?}"))
    }
}

pub async fn run(mut command: Command, args: &[&str]) -> Run {
    let output = tokio::time::timeout(RUN_LIMIT, command.args(args).output())
        .await
        .expect("mm-webhooks finished in time")
        .expect("mm-webhooks runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}
pub mod inbox;
