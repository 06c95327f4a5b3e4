//! Error types of the library. Per-file problems are not errors here: they become
//! [`crate::model::ScanError`] entries in the report. These are the failures that stop a command.

use std::path::PathBuf;

/// A failure that stops a command (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file the user named.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The rule database has errors; each is rendered `file:line:column: error[code]: message`.
    #[error("rule database has {} error(s):\n{}", .0.len(), .0.join("\n"))]
    Rules(Vec<String>),
    /// A configuration value the user gave is wrong.
    #[error("{0}")]
    Config(String),
    /// A report could not be read.
    #[error("{path}: not a sovscan report: {message}")]
    Report {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Library result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
