//! Catching Ctrl-C so that xtask can stop the task server before it exits.
//!
//! The standard library has no signal API, so on Unix this module calls the
//! C library's `signal` and `kill`, which every Rust program on Unix links.

#[cfg(unix)]
mod unix {
    use std::ffi::c_int;
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::error::{bail, Result};

    const SIGINT: c_int = 2;
    const SIGTERM: c_int = 15;
    /// `SIG_ERR`, the value that `signal` returns on failure.
    const SIGNAL_ERROR: usize = usize::MAX;

    static INTERRUPTED: AtomicBool = AtomicBool::new(false);

    extern "C" {
        fn signal(signum: c_int, handler: usize) -> usize;
        fn kill(pid: c_int, signum: c_int) -> c_int;
    }

    extern "C" fn record_interrupt(_signum: c_int) {
        // Storing to an atomic is async-signal-safe, unlike printing.
        INTERRUPTED.store(true, Ordering::SeqCst);
    }

    /// Replaces the default action of SIGINT and SIGTERM, which ends the
    /// process, with a flag that [`interrupted`] returns.
    pub fn catch_interrupts() -> Result<()> {
        let handler = record_interrupt as extern "C" fn(c_int) as usize;
        for signum in [SIGINT, SIGTERM] {
            // SAFETY: the handler only stores to an atomic, which is
            // async-signal-safe, and it lives for the whole program.
            let previous = unsafe { signal(signum, handler) };
            if previous == SIGNAL_ERROR {
                bail!(
                    "failed to install a handler for signal {signum}: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
        Ok(())
    }

    /// Returns whether SIGINT or SIGTERM arrived since [`catch_interrupts`].
    pub fn interrupted() -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }

    /// Sends SIGINT to the process `pid`, as Ctrl-C in a terminal does.
    pub fn send_interrupt(pid: u32) -> Result<()> {
        let Ok(pid) = c_int::try_from(pid) else {
            bail!("process id {pid} does not fit in pid_t");
        };
        // SAFETY: kill has no memory-safety preconditions. The pid belongs to
        // a child that has not been waited for, so it cannot be reused yet.
        if unsafe { kill(pid, SIGINT) } != 0 {
            bail!(
                "failed to send SIGINT to process {pid}: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(())
    }
}

#[cfg(unix)]
pub use unix::{catch_interrupts, interrupted, send_interrupt};

/// Without Unix signals, Ctrl-C ends xtask as usual, and the console sends it
/// to the task server too.
#[cfg(not(unix))]
mod fallback {
    use crate::error::Result;

    pub fn catch_interrupts() -> Result<()> {
        Ok(())
    }

    pub fn interrupted() -> bool {
        false
    }

    pub fn send_interrupt(_pid: u32) -> Result<()> {
        Ok(())
    }
}

#[cfg(not(unix))]
pub use fallback::{catch_interrupts, interrupted, send_interrupt};
