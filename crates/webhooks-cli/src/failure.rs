//! Why a command failed, and the exit code that says so.

use std::fmt;
use std::process::ExitCode;

/// A failed command. Messages never hold a secret: the library's errors carry none, and
/// nothing here formats the credentials.
#[derive(Debug)]
pub enum Failure {
    /// The API or the library rejected the request (exit 1), or the client cannot be
    /// configured as the flags say (`Error::Configuration`, exit 2).
    Api(webhooks_ergonomic::Error),
    /// Something the user asked for failed or was not found (exit 1).
    Failed(String),
    /// The command cannot run as invoked (exit 2).
    Usage(String),
    /// A command that has already said why it failed, with its own exit code.
    Exit(ExitCode),
}

impl Failure {
    /// 1 for API, validation and lookup failures; 2 for usage, which includes a configuration
    /// the library refuses (a base URL that does not parse): the flags are wrong, not the call.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Api(webhooks_ergonomic::Error::Configuration { .. }) | Failure::Usage(_) => {
                ExitCode::from(2)
            }
            Failure::Api(_) | Failure::Failed(_) => ExitCode::from(1),
            Failure::Exit(code) => *code,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Api(err) => err.fmt(f),
            Failure::Failed(message) | Failure::Usage(message) => f.write_str(message),
            Failure::Exit(_) => Ok(()),
        }
    }
}

impl From<webhooks_ergonomic::Error> for Failure {
    fn from(err: webhooks_ergonomic::Error) -> Self {
        Failure::Api(err)
    }
}

/// The result of a command.
pub type Outcome = Result<(), Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_exits_2_and_everything_else_1() {
        assert_eq!(Failure::Usage("x".into()).exit_code(), ExitCode::from(2));
        assert_eq!(Failure::Failed("x".into()).exit_code(), ExitCode::from(1));
        let configuration = webhooks_ergonomic::Client::builder()
            .credentials("k", "s")
            .base_url("not a url")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                configuration,
                webhooks_ergonomic::Error::Configuration { .. }
            ),
            "{configuration:?}"
        );
        assert_eq!(Failure::Api(configuration).exit_code(), ExitCode::from(2));
    }
}
