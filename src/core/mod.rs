//! The sans-IO core: the task model, the progress rule, the polling policy and
//! the widget's words.
//!
//! Nothing here touches the browser, the network or a clock, so all of it is
//! tested natively; the `web` module feeds it responses and the current time.

pub mod date;
pub mod estimate;
pub mod i18n;
pub mod launch;
pub mod policy;
pub mod progress;
pub mod request;
pub mod task;
