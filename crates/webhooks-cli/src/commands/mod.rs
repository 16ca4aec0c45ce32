//! One module per command; [`run`] dispatches.

mod inbox;
mod keys;
mod listen;
mod sandbox;
mod template;
mod trigger;
mod webhooks;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::failure::Outcome;
use crate::target;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Outcome {
    let Cli { global, command } = cli;
    match command {
        Command::Webhooks(command) => {
            if global.verbose > 0 {
                eprintln!("{}", target::describe(&global));
            }
            let client = target::connect(&global)?;
            webhooks::run(&client, command).await
        }
        Command::Keys(command) => {
            if global.verbose > 0 {
                eprintln!("{}", target::describe(&global));
            }
            let client = target::connect(&global)?;
            keys::run(&client, command).await
        }
        Command::Template(command) => template::run(command, global.account.as_deref()),
        Command::Listen(args) => listen::run(&global, args).await,
        Command::Inbox(command) => inbox::run(command).await,
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Trigger(args) => {
            if global.verbose > 0 {
                eprintln!("{}", target::describe(&global));
            }
            trigger::run(&global, args).await
        }
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "mm-webhooks", &mut std::io::stdout());
            Ok(())
        }
    }
}
