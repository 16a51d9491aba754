//! A headless Chromium session through chromedriver, with helpers that read
//! the page through its `data-testid` attributes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::driver::{Driver, ProfileDir};
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::wait::{wait_for, Check, POLL_INTERVAL, WAIT_TIMEOUT};

/// Variable that names the chromedriver binary.
pub const CHROMEDRIVER_VARIABLE: &str = "CHROMEDRIVER";

/// Variable that names the Chromium binary.
pub const CHROMIUM_VARIABLE: &str = "CHROMIUM";

const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// Flags of every Chromium session. Besides running headless as root in a
/// container, they turn off every background connection (updates, sync,
/// component downloads), so the browser talks to the loopback only.
const CHROMIUM_FLAGS: &[&str] = &[
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

/// Reads the text or one attribute of the first element with a test id.
/// Arguments: the test id, then the attribute name or `null` for the text.
const READ_SCRIPT: &str = r#"
const [testId, attribute] = arguments;
const element = document.querySelector(`[data-testid="${CSS.escape(testId)}"]`);
if (!element) return null;
return attribute === null ? element.textContent.trim() : element.getAttribute(attribute);
"#;

/// Collects the readable text of the element with the test id given as the
/// argument, or of the whole document when the argument is `null`.
const READABLE_TEXT_SCRIPT: &str = r#"
const [testId] = arguments;
const root = testId === null
  ? document.body
  : document.querySelector(`[data-testid="${CSS.escape(testId)}"]`);
if (!root) return "";
const parts = testId === null ? [document.title, root.innerText] : [root.innerText];
for (const element of [root, ...root.querySelectorAll("*")]) {
  for (const { name, value } of element.attributes) {
    if (name.startsWith("aria-") || ["title", "alt", "placeholder"].includes(name)) {
      parts.push(value);
    }
  }
}
return parts.join("\n");
"#;

/// Counts the page's running CSS animations and transitions, including those
/// inside open shadow roots, which `document.getAnimations()` leaves out
/// (seen in Chromium 156).
const RUNNING_ANIMATIONS_SCRIPT: &str = r#"
const roots = [document];
for (let index = 0; index < roots.length; index += 1) {
  for (const element of roots[index].querySelectorAll("*")) {
    if (element.shadowRoot) roots.push(element.shadowRoot);
  }
}
return roots
  .flatMap((root) => root.getAnimations())
  .filter((animation) => animation.playState === "running").length;
"#;

/// Maximum wait for CSS animations to end before a screenshot.
const ANIMATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads every part of the widget that the tests check, in one round trip.
/// Argument: `null` to read the document, or the CSS selector of a custom
/// element to read inside its open shadow root.
const WIDGET_SCRIPT: &str = r#"
const [host] = arguments;
const root = host === null ? document : document.querySelector(host)?.shadowRoot;
if (!root) return { present: false };
const find = (testId) => root.querySelector(`[data-testid="${testId}"]`);
const attribute = (testId, name) => find(testId)?.getAttribute(name) ?? null;
const text = (testId) => find(testId)?.textContent.trim() ?? null;
const datetime = (testId) => find(testId)?.querySelector("time")?.getAttribute("datetime") ?? null;
return {
  present: find("task-status") !== null,
  status: attribute("task-status", "data-status"),
  polling: attribute("task-status", "data-polling"),
  badgeStatus: attribute("status-badge", "data-status"),
  badgeText: text("status-badge"),
  valueNow: attribute("progress", "aria-valuenow"),
  valueText: attribute("progress", "aria-valuetext"),
  progressText: text("progress-text"),
  progressPercent: text("progress-percent"),
  taskType: text("task-type"),
  createdAt: datetime("created-at"),
  completedAt: datetime("completed-at"),
  taskId: text("task-id"),
  error: text("error"),
};
"#;

/// Everything the tests read from the widget at one instant. `None` means
/// that the element or attribute is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSnapshot {
    /// Whether `[data-testid=task-status]` exists.
    pub present: bool,
    /// `data-status` of the widget root, empty before the first response.
    pub status: Option<String>,
    /// `data-polling` of the widget root: `active` or `stopped`.
    pub polling: Option<String>,
    /// `data-status` of the badge.
    pub badge_status: Option<String>,
    /// The badge's text.
    pub badge_text: Option<String>,
    /// `aria-valuenow` of the progress bar, absent while indeterminate.
    pub value_now: Option<String>,
    /// `aria-valuetext` of the progress bar.
    pub value_text: Option<String>,
    /// Text of `progress-text`, such as "12 of 20 items".
    pub progress_text: Option<String>,
    /// Text of `progress-percent`, such as "60%".
    pub progress_percent: Option<String>,
    /// Text of `task-type`.
    pub task_type: Option<String>,
    /// `datetime` of the `<time>` in `created-at`.
    pub created_at: Option<String>,
    /// `datetime` of the `<time>` in `completed-at`.
    pub completed_at: Option<String>,
    /// Text of `task-id`.
    pub task_id: Option<String>,
    /// Text of `error`.
    pub error: Option<String>,
}

impl WidgetSnapshot {
    /// Returns whether the widget shows `status` and has stopped polling.
    pub fn is_stopped_at(&self, status: &str) -> bool {
        self.status.as_deref() == Some(status) && self.polling.as_deref() == Some("stopped")
    }

    /// Returns `aria-valuenow` as a number, or `None` when it is absent or
    /// not a number.
    pub fn value_now_number(&self) -> Option<f64> {
        self.value_now.as_deref()?.parse().ok()
    }
}

impl fmt::Display for WidgetSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.present {
            return f.write_str("no widget on the page");
        }
        write!(
            f,
            "status={:?} polling={:?} badge={:?} valuenow={:?} text={:?} percent={:?} error={:?}",
            self.status,
            self.polling,
            self.badge_text,
            self.value_now,
            self.progress_text,
            self.progress_percent,
            self.error
        )
    }
}

/// One Chromium session with its own chromedriver and a fresh profile.
///
/// Dropping it, also while a failed test unwinds, deletes the session (so
/// Chromium quits), kills chromedriver and removes the profile folder.
pub struct Browser {
    client: Client,
    session_id: Option<String>,
    // Dropped in this order, after `Drop::drop` deleted the session.
    driver: Driver,
    _profile: ProfileDir,
}

impl Browser {
    /// Starts chromedriver from `CHROMEDRIVER` (default
    /// `/usr/bin/chromedriver`) and opens a session of the Chromium from
    /// `CHROMIUM` (default `/usr/bin/chromium`).
    pub async fn start() -> Result<Self> {
        let chromedriver = binary_from_env(CHROMEDRIVER_VARIABLE, DEFAULT_CHROMEDRIVER)?;
        let chromium = binary_from_env(CHROMIUM_VARIABLE, DEFAULT_CHROMIUM)?;
        let profile = ProfileDir::create()?;
        let driver = Driver::start(&chromedriver, &HttpClient::new()).await?;

        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
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

    /// Returns the fantoccini client, for commands the helpers lack.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Navigates to `url` and waits for the document to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .map_err(|error| Error::webdriver(format!("opening {url}"), error))
    }

    /// Returns the address shown in the address bar.
    pub async fn current_url(&self) -> Result<String> {
        let url = self
            .client
            .current_url()
            .await
            .map_err(|error| Error::webdriver("reading the current URL", error))?;
        Ok(url.to_string())
    }

    /// Runs `script` in the page with `args` and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client
            .execute(script, args)
            .await
            .map_err(|error| Error::webdriver("running a script in the page", error))
    }

    /// Returns an attribute of the first element with `data-testid=test_id`,
    /// or `None` when the element or the attribute is absent.
    pub async fn attribute(&self, test_id: &str, name: &str) -> Result<Option<String>> {
        let value = self
            .execute(READ_SCRIPT, vec![json!(test_id), json!(name)])
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Returns the trimmed text of the first element with
    /// `data-testid=test_id`, or `None` when there is none.
    pub async fn text(&self, test_id: &str) -> Result<Option<String>> {
        let value = self
            .execute(READ_SCRIPT, vec![json!(test_id), Value::Null])
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Returns the current `value` property of the input with
    /// `data-testid=test_id`, or `None` when there is no such element.
    pub async fn input_value(&self, test_id: &str) -> Result<Option<String>> {
        let script = r#"
            const element = document.querySelector(`[data-testid="${CSS.escape(arguments[0])}"]`);
            return element ? element.value : null;
        "#;
        let value = self.execute(script, vec![json!(test_id)]).await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Reads the widget's parts in one script.
    pub async fn widget(&self) -> Result<WidgetSnapshot> {
        self.read_widget(Value::Null).await
    }

    /// Reads the parts of the widget inside the open shadow root of the
    /// first element that matches the CSS selector `host`. The snapshot is
    /// not `present` when there is no such element or shadow root.
    pub async fn shadow_widget(&self, host: &str) -> Result<WidgetSnapshot> {
        self.read_widget(json!(host)).await
    }

    /// Waits until the widget in the shadow root of `host` meets
    /// `condition` and returns that snapshot.
    pub async fn wait_for_shadow_widget(
        &self,
        host: &str,
        condition: &str,
        is_met: impl Fn(&WidgetSnapshot) -> bool,
    ) -> Result<WidgetSnapshot> {
        let condition = format!("{host} to show {condition}");
        wait_for(&condition, WAIT_TIMEOUT, async || {
            let snapshot = self.shadow_widget(host).await?;
            if is_met(&snapshot) {
                Ok(Check::Met(snapshot))
            } else {
                Ok(Check::NotYet(snapshot.to_string()))
            }
        })
        .await
    }

    async fn read_widget(&self, host: Value) -> Result<WidgetSnapshot> {
        let value = self.execute(WIDGET_SCRIPT, vec![host]).await?;
        serde_json::from_value(value.clone()).map_err(|error| {
            Error::Setup(format!(
                "the widget script returned {value}, which is not a snapshot: {error}"
            ))
        })
    }

    /// Waits until an attribute of the element with `data-testid=test_id`
    /// equals `expected`.
    pub async fn wait_for_attribute(
        &self,
        test_id: &str,
        name: &str,
        expected: &str,
    ) -> Result<()> {
        let condition = format!("[data-testid={test_id}] to have {name}={expected:?}");
        wait_for(&condition, WAIT_TIMEOUT, async || {
            match self.attribute(test_id, name).await? {
                Some(value) if value == expected => Ok(Check::Met(())),
                other => Ok(Check::NotYet(format!("{other:?}"))),
            }
        })
        .await
    }

    /// Waits until the trimmed text of the element with
    /// `data-testid=test_id` equals `expected`.
    pub async fn wait_for_text(&self, test_id: &str, expected: &str) -> Result<()> {
        let condition = format!("[data-testid={test_id}] to read {expected:?}");
        wait_for(&condition, WAIT_TIMEOUT, async || {
            match self.text(test_id).await? {
                Some(text) if text == expected => Ok(Check::Met(())),
                other => Ok(Check::NotYet(format!("{other:?}"))),
            }
        })
        .await
    }

    /// Waits until the widget meets `condition` and returns that snapshot.
    pub async fn wait_for_widget(
        &self,
        condition: &str,
        is_met: impl Fn(&WidgetSnapshot) -> bool,
    ) -> Result<WidgetSnapshot> {
        let seen = self
            .watch_widget_until(condition, WAIT_TIMEOUT, is_met)
            .await?;
        Ok(seen.into_iter().last().unwrap_or_default())
    }

    /// Reads the widget every [`POLL_INTERVAL`] until it meets `condition`,
    /// and returns every snapshot read, the one that met it last.
    pub async fn watch_widget_until(
        &self,
        condition: &str,
        timeout: Duration,
        is_met: impl Fn(&WidgetSnapshot) -> bool,
    ) -> Result<Vec<WidgetSnapshot>> {
        let mut seen = Vec::new();
        wait_for(condition, timeout, async || {
            let snapshot = self.widget().await?;
            let met = is_met(&snapshot);
            let description = snapshot.to_string();
            seen.push(snapshot);
            Ok(if met {
                Check::Met(())
            } else {
                Check::NotYet(description)
            })
        })
        .await?;
        Ok(seen)
    }

    /// Replaces the value of the input with `data-testid=test_id` by `text`,
    /// typed as key presses.
    pub async fn fill(&self, test_id: &str, text: &str) -> Result<()> {
        let context = format!("typing into [data-testid={test_id}]");
        let input = self.find(test_id).await?;
        input
            .clear()
            .await
            .map_err(|error| Error::webdriver(context.clone(), error))?;
        input
            .send_keys(text)
            .await
            .map_err(|error| Error::webdriver(context, error))
    }

    /// Clicks the element with `data-testid=test_id`.
    pub async fn click(&self, test_id: &str) -> Result<()> {
        self.find(test_id)
            .await?
            .click()
            .await
            .map_err(|error| Error::webdriver(format!("clicking [data-testid={test_id}]"), error))
    }

    /// Returns the serialized document, attributes included.
    pub async fn document_html(&self) -> Result<String> {
        let value = self
            .execute("return document.documentElement.outerHTML;", Vec::new())
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Returns the document's title, the text the page shows (`innerText`
    /// of the body), and every `aria-*`, `title`, `alt` and `placeholder`
    /// attribute value, which assistive technology reads out.
    pub async fn readable_text(&self) -> Result<String> {
        let value = self
            .execute(READABLE_TEXT_SCRIPT, vec![Value::Null])
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Returns the same as [`Self::readable_text`] for the element with
    /// `data-testid=test_id` and its descendants, without the title.
    pub async fn readable_text_of(&self, test_id: &str) -> Result<String> {
        let value = self
            .execute(READABLE_TEXT_SCRIPT, vec![json!(test_id)])
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Saves a PNG of the viewport to `target/e2e-screenshots/NAME.png` and
    /// returns its path.
    ///
    /// It first waits up to [`ANIMATION_TIMEOUT`] for running CSS
    /// transitions to end, such as the progress bar growing to its width, so
    /// the picture shows the state the DOM already has. An endless animation
    /// only delays the picture.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let settled = wait_for("CSS animations to end", ANIMATION_TIMEOUT, async || {
            let running = self.execute(RUNNING_ANIMATIONS_SCRIPT, Vec::new()).await?;
            match running.as_u64() {
                Some(0) => Ok(Check::Met(())),
                _ => Ok(Check::NotYet(format!("{running} running"))),
            }
        })
        .await;
        match settled {
            Ok(()) | Err(Error::Timeout { .. }) => {}
            Err(error) => return Err(error),
        }

        let png = self
            .client
            .screenshot()
            .await
            .map_err(|error| Error::webdriver("taking a screenshot", error))?;
        let folder = crate::target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&folder)
            .map_err(|error| Error::io(format!("failed to create {}", folder.display()), error))?;
        let path = folder.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .map_err(|error| Error::io(format!("failed to write {}", path.display()), error))?;
        Ok(path)
    }

    async fn find(&self, test_id: &str) -> Result<fantoccini::elements::Element> {
        let selector = format!("[data-testid=\"{test_id}\"]");
        self.client
            .wait()
            .at_most(WAIT_TIMEOUT)
            .every(POLL_INTERVAL)
            .for_element(Locator::Css(&selector))
            .await
            .map_err(|error| Error::webdriver(format!("finding {selector}"), error))
    }
}

impl Drop for Browser {
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
    if !Path::new(&path).is_file() {
        return Err(Error::Setup(format!(
            "{variable}={} is not a file. Install Chromium and chromedriver \
             (`cargo xtask test` does), or set {variable} to the binary.",
            path.display()
        )));
    }
    Ok(path)
}
