//! End-to-end test harness: the built standalone page, served by the task
//! simulator in-process, driven in headless Chromium through chromedriver.
//!
//! The tests need three things from the environment:
//!
//! | Variable | Meaning | Default |
//! | --- | --- | --- |
//! | `TASK_STATUS_DIST` | Folder of the built page, with `index.html` | none: the tests fail |
//! | `CHROMEDRIVER` | The chromedriver binary | `/usr/bin/chromedriver` |
//! | `CHROMIUM` | The Chromium binary | `/usr/bin/chromium` |
//!
//! `cargo xtask test` builds the page and sets all three. Every server and
//! chromedriver binds 127.0.0.1 on a free port, so tests run in parallel.
//!
//! ```no_run
//! # async fn example() -> e2e::Result<()> {
//! let harness = e2e::Harness::start().await?;
//! let task = harness.sim.create_task(&serde_json::json!({ "pendingMs": 0 })).await?;
//! harness.open(&[("taskId", &task.task_id)]).await?;
//! harness.browser.wait_for_attribute("task-status", "data-status", "IN_PROGRESS").await?;
//! # Ok(())
//! # }
//! ```

pub mod bench;
mod browser;
pub mod deploy;
mod devtools;
mod driver;
mod error;
mod http;
mod simulator;
mod wait;

use std::path::PathBuf;

use task_status_server::Config;

pub use browser::{Browser, WidgetSnapshot, CHROMEDRIVER_VARIABLE, CHROMIUM_VARIABLE};
pub use error::{Error, Result};
pub use http::{HttpClient, JsonResponse};
pub use simulator::{
    encode_component, page_config, CreatedTask, RequestSummary, Simulator, TaskRequest,
    TaskRequests, DIST_VARIABLE,
};
pub use wait::{wait_for, Check, POLL_INTERVAL, WAIT_TIMEOUT};

/// A simulator serving the page and a browser to open it.
///
/// Dropping it closes the browser first, then stops the simulator.
pub struct Harness {
    /// The browser session.
    pub browser: Browser,
    /// The simulator that serves the page and the API.
    pub sim: Simulator,
}

impl Harness {
    /// Starts a simulator with the default settings (demo key and demo
    /// tasks) serving the built page, and a browser.
    pub async fn start() -> Result<Self> {
        Self::start_with(page_config()?).await
    }

    /// Starts a simulator with `config` and a browser. Take `config` from
    /// [`page_config`] so that the simulator serves the built page.
    pub async fn start_with(config: Config) -> Result<Self> {
        let sim = Simulator::start(config).await?;
        let browser = Browser::start().await?;
        Ok(Self { browser, sim })
    }

    /// Opens the standalone page with the given query parameters, such as
    /// `[("taskId", "abc"), ("lang", "fr")]`.
    pub async fn open(&self, query: &[(&str, &str)]) -> Result<()> {
        self.browser.goto(&self.sim.page_url(query)).await
    }
}

/// Returns the workspace's target folder: `CARGO_TARGET_DIR` when it is set
/// to an absolute path, otherwise `target/` next to this crate.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(path) if path.is_absolute() => path,
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}
