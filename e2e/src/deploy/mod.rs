//! The production setup in-process: the proxy mode of `task-status-server`
//! in front of a simulator that stands for the DriveQuant API, both on
//! loopback ports, and readers of the page's Content-Security-Policy
//! violations.

mod csp;
mod proxy;
mod upstream;

pub use csp::{CspViolation, LogEntry};
pub use proxy::{ProxyRequest, ProxyServer};
pub use upstream::UpstreamSimulator;
