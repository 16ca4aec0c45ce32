//! [`InboxError`]: why the inbox could not open, store or answer.

use std::path::PathBuf;

/// Why the inbox could not do what it was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The inbox file exists but is not an inbox (not SQLite, damaged, another program's
    /// database, or a newer schema): it was left untouched.
    #[error(
        "{path} is not an inbox this version can use ({reason}); it was left untouched: move it away or point to another file"
    )]
    NotAnInbox {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The store could not be read or written (a full disk, an I/O error, a lost
    /// connection): nothing was acknowledged.
    #[error("the inbox store is unavailable: {0}")]
    Unavailable(String),
    /// The inbox was shut down.
    #[error("the inbox is shut down")]
    Closed,
    /// An option of the builder is unusable.
    #[error("inbox configuration: {0}")]
    Configuration(String),
}

impl InboxError {
    pub(crate) fn unavailable(err: impl std::fmt::Display) -> InboxError {
        InboxError::Unavailable(err.to_string())
    }
}
