//! Waiting for a condition by polling, with a deadline.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Time between two checks of a condition.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Default deadline of a wait. It is generous because a shared CI machine
/// can be slow, and a wait that succeeds returns as soon as it can.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Outcome of one check of a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check<T> {
    /// The condition holds, with the value to return.
    Met(T),
    /// The condition does not hold yet, with the state seen, for the error
    /// message if the deadline passes.
    NotYet(String),
}

/// Runs `check` every [`POLL_INTERVAL`] until it returns [`Check::Met`],
/// fails, or `timeout` passes.
///
/// The error of a timeout names `condition` and the state of the last check.
pub async fn wait_for<T>(
    condition: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Result<Check<T>>,
) -> Result<T> {
    let started = Instant::now();
    loop {
        let last_seen = match check().await? {
            Check::Met(value) => return Ok(value),
            Check::NotYet(last_seen) => last_seen,
        };
        if started.elapsed() >= timeout {
            return Err(Error::Timeout {
                condition: condition.to_owned(),
                waited: started.elapsed(),
                last_seen,
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
