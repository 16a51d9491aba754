//! The error type of the harness.

use std::fmt;
use std::time::Duration;

/// Result of a harness step.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Failure of a harness step: setup, a WebDriver command, a control request
/// or a wait that timed out.
///
/// Tests return it with `?`, and the test runner prints a returned error
/// with `Debug`, so `Debug` prints the same sentence as `Display`.
#[derive(thiserror::Error)]
pub enum Error {
    /// A required variable, file or program is missing or unusable.
    #[error("{0}")]
    Setup(String),

    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// chromedriver did not open a browser session.
    #[error("failed to open a Chromium session through chromedriver: {0}")]
    NewSession(#[from] fantoccini::error::NewSessionError),

    /// A WebDriver command failed.
    #[error("WebDriver command failed while {context}: {source}")]
    WebDriver {
        /// What the harness was doing.
        context: String,
        /// The error from fantoccini.
        source: fantoccini::error::CmdError,
    },

    /// An HTTP request to the simulator or chromedriver failed or returned
    /// an unexpected status or body.
    #[error("{method} {url} failed: {reason}")]
    Http {
        /// The request method.
        method: String,
        /// The full request URL.
        url: String,
        /// What went wrong, with the status and body when there was a response.
        reason: String,
    },

    /// A condition was still unmet when its deadline passed.
    #[error("timed out after {waited:?} waiting for {condition}; last seen: {last_seen}")]
    Timeout {
        /// The awaited condition in words.
        condition: String,
        /// How long the harness waited.
        waited: Duration,
        /// The state read at the last check.
        last_seen: String,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn webdriver(
        context: impl Into<String>,
        source: fantoccini::error::CmdError,
    ) -> Self {
        Self::WebDriver {
            context: context.into(),
            source,
        }
    }
}
