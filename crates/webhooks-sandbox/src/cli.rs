//! The command line of the sandbox, for its own binary and for any other binary that embeds it
//! (flatten [`SandboxArgs`] into your own `clap` command and call [`run`]).
//!
//! ```no_run
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     sandbox: webhooks_sandbox::cli::SandboxArgs,
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     webhooks_sandbox::cli::run(Cli::parse().sandbox).await
//! }
//! ```

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::{DEFAULT_CREDENTIALS, DEFAULT_LISTEN_BACKLOG, Digest, Sandbox, SandboxHandle};

/// The sandbox's flags.
#[derive(Debug, Clone, clap::Args)]
#[non_exhaustive]
pub struct SandboxArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// How many connections may wait to be accepted (the kernel caps it at somaxconn).
    #[arg(long, default_value_t = DEFAULT_LISTEN_BACKLOG)]
    pub listen_backlog: u32,
    /// An API key to accept (repeat with --api-secret for several pairs).
    #[arg(long = "api-key")]
    pub api_keys: Vec<String>,
    /// The secret of the API key in the same position.
    #[arg(long = "api-secret")]
    pub api_secrets: Vec<String>,
    /// Keep webhooks and the delivery log in this SQLite file across restarts (an old JSON
    /// state file there is imported once).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// How many delivery attempts to keep (the newest).
    #[arg(long, default_value_t = crate::store::DEFAULT_DELIVERY_LOG_LIMIT)]
    pub delivery_log_limit: usize,
    /// Start the default account with one enabled signature key, so its callbacks are signed
    /// (public key at GET /v1/iam/signature_keys/{key_id}).
    #[arg(long)]
    pub sign_callbacks: bool,
    /// The digest of the key --sign-callbacks starts with: SHA224, SHA256 or SHA512.
    #[arg(long, default_value = "SHA256", requires = "sign_callbacks")]
    pub signature_digest: Digest,
}

/// The sandbox's own endpoints, for `--help`.
pub const ENDPOINTS_HELP: &str = "\
Besides the API (/v1/webhooks/messages, /v1/iam/signature_keys), every endpoint below authenticates like the API and
acts for the caller's account (or the one its Account header names):
  POST   /sandbox/v1/events       simulate an event: {\"event\": \"RECEIVED_SMS\", \"data\": {...}}
  GET    /sandbox/v1/deliveries   delivery attempts, oldest first; filters webhook_id, event,
                                  outcome (delivered|failed), since (RFC 3339); page, page_size
  POST   /sandbox/v1/faults       make the next N matching requests fail (see the crate docs)
  DELETE /sandbox/v1/faults       clear the caller's faults

Example:
  curl -u sandbox-key:sandbox-secret -X POST localhost:8080/sandbox/v1/faults \\
       -H 'Content-Type: application/json' \\
       -d '{\"operation\": \"create\", \"times\": 2, \"status\": 503, \"retry_after\": 1}'";

/// Prints a line to stdout, ignoring a closed or full stdout (`webhooks-sandbox | head -n 1`,
/// or a log on a full disk, must not bring the server down).
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

/// As `say!`, to stderr: `eprintln!` panics when stderr cannot be written.
macro_rules! complain {
    ($($arg:tt)*) => {{
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, $($arg)*);
    }};
}

/// Starts a sandbox as `args` say, prints where it listens, and serves until SIGINT or
/// SIGTERM. Exit code 2 for unusable flags, 1 when the sandbox cannot start.
pub async fn run(args: SandboxArgs) -> ExitCode {
    if args.api_keys.len() != args.api_secrets.len() {
        complain!("error: give one --api-secret for each --api-key");
        return ExitCode::from(2);
    }
    // Hooked before anything is announced: a supervisor that stops the sandbox right after
    // reading its address must get a clean shutdown, not a killed process.
    let stop = match StopSignal::install() {
        Ok(stop) => stop,
        Err(err) => {
            complain!("error: cannot install the signal handlers: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut builder = Sandbox::builder()
        .listen(args.listen)
        .listen_backlog(args.listen_backlog)
        .delivery_log_limit(args.delivery_log_limit)
        .sign_callbacks(args.sign_callbacks)
        .signature_digest(args.signature_digest);
    for (key, secret) in args.api_keys.iter().zip(&args.api_secrets) {
        builder = builder.credentials(key, secret);
    }
    if let Some(state) = &args.state {
        builder = builder.state_file(state);
    }
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            complain!("error: could not start the sandbox: {err}");
            return ExitCode::FAILURE;
        }
    };
    announce(&sandbox, args.api_keys.is_empty());
    stop.recv().await;
    say!("shutting down");
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

fn announce(sandbox: &SandboxHandle, default_credentials: bool) {
    say!("webhooks-sandbox listening on {}", sandbox.base_url());
    for note in sandbox.notes() {
        say!("{note}");
    }
    if let Some(key) = sandbox.signature_key() {
        say!(
            "signing callbacks with RSA/{} key {} (public key at {}/v1/iam/signature_keys/{})",
            key.digest,
            key.key_id,
            sandbox.base_url(),
            key.key_id
        );
    }
    if default_credentials {
        say!(
            "credentials: api key `{}`, secret `{}`",
            DEFAULT_CREDENTIALS.0,
            DEFAULT_CREDENTIALS.1
        );
    }
}

/// The signals that stop a server (SIGINT, and SIGTERM on Unix), hooked when installed.
///
/// `tokio::signal::ctrl_c()` hooks SIGINT only when its future is first polled: a process that
/// prints its address first and awaits that future afterwards dies of a SIGINT sent in
/// between, with no clean shutdown. Install this before announcing anything, then await
/// [`recv`](StopSignal::recv). The sandbox's binary and `mm-webhooks` (`sandbox`, `listen`) do.
///
/// ```no_run
/// # async fn serve() -> std::io::Result<()> {
/// let stop = webhooks_sandbox::cli::StopSignal::install()?;
/// println!("listening on ...");
/// stop.recv().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct StopSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignal {
    /// Hooks the signals now. Fails outside a Tokio runtime with the signal driver enabled,
    /// or when the operating system refuses.
    pub fn install() -> std::io::Result<StopSignal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignal {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignal {})
        }
    }

    /// Waits for the first of the signals.
    pub async fn recv(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
