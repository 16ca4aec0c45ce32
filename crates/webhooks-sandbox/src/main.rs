//! `webhooks-sandbox`: run the emulator from the command line.

use clap::Parser;
use webhooks_sandbox::cli::{ENDPOINTS_HELP, SandboxArgs};

/// A local emulator of the MessageMedia Webhooks API that also delivers callbacks.
#[derive(Debug, Parser)]
#[command(version, after_long_help = ENDPOINTS_HELP)]
struct Command {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr, and a log that cannot be written (a full disk, a closed pipe) is
    // dropped: the subscriber would otherwise report it with `eprintln!`, which panics the
    // task serving the request when stderr cannot be written either.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .init();
    webhooks_sandbox::cli::run(Command::parse().sandbox).await
}
