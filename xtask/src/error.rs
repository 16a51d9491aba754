//! The error type of xtask: a message with the context it failed in.

use std::fmt;

/// A failure that xtask reports to the user as `error: <message>`.
///
/// Each layer adds context in front of the cause, so a message reads from the
/// step that failed down to the operating-system error.
#[derive(Debug)]
pub struct Error {
    message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

/// Adds a description of the failed action in front of an error.
pub trait Context<T> {
    fn context(self, action: impl fmt::Display) -> Result<T>;

    fn with_context<D: fmt::Display>(self, action: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, action: impl fmt::Display) -> Result<T> {
        self.map_err(|cause| Error::new(format!("{action}: {cause}")))
    }

    fn with_context<D: fmt::Display>(self, action: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|cause| Error::new(format!("{}: {cause}", action())))
    }
}

/// Returns early with an [`Error`] built from a format string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::new(format!($($arg)*)))
    };
}

pub(crate) use bail;
