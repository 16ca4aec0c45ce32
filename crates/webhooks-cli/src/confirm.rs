//! Asking before a destructive command, and refusing when nobody can answer.

use std::io::{BufRead, IsTerminal, Read, Write};

use crate::failure::Failure;

/// Enough for `yes` and stray whitespace; a longer answer is not a yes.
const ANSWER_LIMIT: u64 = 64;

/// Asks `question` on stderr and reads the answer from stdin: `y` or `yes` goes on, anything
/// else stops with exit 1. When stdin is not a terminal (a script, a pipe, CI) nobody can
/// answer: a usage error (exit 2) that names `--yes`.
pub fn ask(question: &str) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::Usage(
            "refusing to delete without --yes: stdin is not a terminal, so nobody can confirm"
                .to_owned(),
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .take(ANSWER_LIMIT)
        .read_line(&mut answer)
        .map_err(|err| Failure::Failed(format!("cannot read the answer: {err}")))?;
    if is_yes(&answer) {
        Ok(())
    } else {
        Err(Failure::Failed("not deleted".to_owned()))
    }
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_or_yes_in_any_case_is_a_yes() {
        for yes in ["y", "Y\n", " yes ", "YES"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "n", "no", "yes please", "\n"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }
}
