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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    webhooks_sandbox::cli::run(Command::parse().sandbox).await
}
