//! `mm-webhooks`: the command line for the people who operate MessageMedia (Sinch Engage)
//! webhooks. Built on `webhooks-ergonomic`: the same validation, template lint, rendering and
//! signature verification as the library. `mm-webhooks --help` lists the commands, their
//! examples and the exit codes (0 ok, 1 API or validation error, 2 usage).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod cli;
mod commands;
mod confirm;
mod event_view;
mod failure;
mod fields;
mod findings;
mod input;
mod output;
mod target;
mod ui;

use std::process::ExitCode;

use clap::Parser;

use crate::output::Style;

fn main() -> ExitCode {
    // Usage errors exit 2 here, inside clap; --help and --version exit 0.
    let cli = cli::Cli::parse();
    init_tracing(cli.global.verbose);
    // The sandbox serves many connections and signs callbacks: every core, as its own binary
    // has. A client command makes one call at a time: one thread is enough.
    let mut builder = match cli.command {
        cli::Command::Sandbox(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure @ failure::Failure::Exit(_)) => failure.exit_code(),
        Err(failure) => {
            eprintln!("{} {failure}", Style::stderr().red("error:"));
            failure.exit_code()
        }
    }
}

/// -v: the library's operations (one span each: operation, method, path, status, attempt,
/// latency; never a secret or a body). -vv: the HTTP stack's debug lines too.
fn init_tracing(verbose: u8) {
    let filter = match verbose {
        0 => return,
        1 => "webhooks_ergonomic=debug",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(Style::stderr().is_coloured())
        // A log line that cannot be written is dropped, never reported with a panicking
        // `eprintln!` from the task serving a request.
        .log_internal_errors(false)
        .init();
}
