//! `mm-webhooks sandbox`: the emulator, exactly as the `webhooks-sandbox` binary runs it.

use webhooks_sandbox::cli::SandboxArgs;

use crate::failure::{Failure, Outcome};

/// Serves until Ctrl-C or SIGTERM. The sandbox prints its own errors; its exit code is kept.
pub async fn run(args: SandboxArgs) -> Outcome {
    let code = webhooks_sandbox::cli::run(args).await;
    if code == std::process::ExitCode::SUCCESS {
        Ok(())
    } else {
        Err(Failure::Exit(code))
    }
}
