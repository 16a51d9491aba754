//! A headless Chromium session for the benchmarks, with extra flags.
//!
//! [`crate::Browser`] starts every session with one fixed flag list. The
//! memory benchmark also needs `--enable-precise-memory-info` and
//! `--js-flags=--expose-gc`, so this session takes extra flags on top of the
//! same list.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::driver::{Driver, ProfileDir};
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::wait::{wait_for, Check};
use crate::{CHROMEDRIVER_VARIABLE, CHROMIUM_VARIABLE};

/// The flags of the end-to-end tests' sessions (`CHROMIUM_FLAGS` in
/// `browser.rs`), repeated here because that list is private to its module.
/// Keep the two lists equal.
const HARNESS_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1000,900",
];

/// Flags that the memory figures need: exact `performance.memory` values
/// (Chromium rounds them otherwise) and a `gc()` function in the page.
pub const MEMORY_FLAGS: &[&str] = &["--enable-precise-memory-info", "--js-flags=--expose-gc"];

/// One Chromium session with its own chromedriver and a fresh profile.
/// Dropping it deletes the session, kills chromedriver and removes the
/// profile folder.
pub struct BenchBrowser {
    client: Client,
    session_id: Option<String>,
    // Dropped in this order, after `Drop::drop` deleted the session.
    driver: Driver,
    _profile: ProfileDir,
}

impl BenchBrowser {
    /// Starts a session with the harness's flags followed by `extra_flags`.
    pub async fn start(extra_flags: &[&str]) -> Result<Self> {
        let chromedriver = binary_from_env(CHROMEDRIVER_VARIABLE, "/usr/bin/chromedriver")?;
        let chromium = binary_from_env(CHROMIUM_VARIABLE, "/usr/bin/chromium")?;
        let profile = ProfileDir::create()?;
        let driver = Driver::start(&chromedriver, &HttpClient::new()).await?;

        let mut args: Vec<String> = HARNESS_FLAGS
            .iter()
            .chain(extra_flags)
            .map(|flag| flag.to_string())
            .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let Value::Object(capabilities) = json!({
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }) else {
            unreachable!("json! of an object literal is an object");
        };

        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await?;
        let session_id = client
            .session_id()
            .await
            .map_err(|error| Error::webdriver("reading the session id", error))?;
        Ok(Self {
            client,
            session_id,
            driver,
            _profile: profile,
        })
    }

    /// Navigates to `url` and waits for the document's load event.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .map_err(|error| Error::webdriver(format!("opening {url}"), error))
    }

    /// Runs `script` in the page with `args` and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client
            .execute(script, args)
            .await
            .map_err(|error| Error::webdriver("running a script in the page", error))
    }

    /// Runs `script` until it returns something other than `null` or
    /// `false`, and returns that value. Fails after `timeout`.
    pub async fn wait_for_value(
        &self,
        condition: &str,
        script: &str,
        timeout: Duration,
    ) -> Result<Value> {
        wait_for(condition, timeout, async || {
            let value = self.execute(script, Vec::new()).await?;
            match value {
                Value::Null | Value::Bool(false) => Ok(Check::NotYet(value.to_string())),
                value => Ok(Check::Met(value)),
            }
        })
        .await
    }
}

impl Drop for BenchBrowser {
    fn drop(&mut self) {
        let Some(session_id) = self.session_id.take() else {
            return;
        };
        if let Err(error) = self.driver.delete_session_blocking(&session_id) {
            eprintln!("failed to delete browser session {session_id}: {error}");
        }
    }
}

/// Returns the path in `variable`, or `default` when it is unset, after
/// checking that a file is there.
fn binary_from_env(variable: &str, default: &str) -> Result<PathBuf> {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if !path.is_file() {
        return Err(Error::Setup(format!(
            "{variable}={} is not a file. Install Chromium and chromedriver \
             (`cargo xtask bench` does), or set {variable} to the binary.",
            path.display()
        )));
    }
    Ok(path)
}
