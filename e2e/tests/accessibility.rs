//! Accessibility of the widget in headless Chromium against the task
//! simulator: axe-core scans of every status in the light and dark themes,
//! the standalone page in both colour schemes, keyboard access to the
//! "Check again" button, a still bar under `prefers-reduced-motion`, and
//! French without English words. axe-core must also find a low-contrast
//! probe put inside the shadow root, so that a scan blind to shadow roots
//! fails, and switching the `theme` attribute must keep the widget's state
//! and send no request.
//!
//! The `<task-status>` element is checked on `a11y.html`, a minimal page
//! that each test writes next to a copy of the built package (`pkg/`) and
//! serves from its own simulator. The page renders one element, 420 px wide,
//! for each `taskId` query parameter, with the `theme` and `lang` query
//! parameters as attributes.
//!
//! Besides the harness's variables, the tests read `AXE_CORE_JS`, the path
//! of axe-core's `axe.min.js`, which `cargo xtask test` installs into
//! `.tools/` and sets. Each status × theme screenshot of the element is
//! saved to `target/e2e-screenshots/element-<status>-<theme>.png`, and with
//! `UPDATE_DOCS_SCREENSHOTS=1` also to `docs/screenshots/<status>-<theme>.png`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use e2e::{
    encode_component, page_config, wait_for, Browser, Check, Error, Harness, HttpClient, Result,
    Simulator, POLL_INTERVAL, WAIT_TIMEOUT,
};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::Locator;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

/// Variable that names axe-core's `axe.min.js`.
const AXE_CORE_VARIABLE: &str = "AXE_CORE_JS";

/// Variable that, set to `1`, also writes the screenshots to `docs/screenshots/`.
const UPDATE_DOCS_VARIABLE: &str = "UPDATE_DOCS_SCREENSHOTS";

/// axe-core rule tags to run: WCAG 2.0 and 2.1 at levels A and AA, and
/// Deque's best practices.
const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/// An id that the simulator does not know, so the widget gets a 404. It is
/// hex like real ids, so it adds no English word to the widget's text.
const UNKNOWN_TASK_ID: &str = "000000000000000000000404";

/// Maximum wait for the pace and time left of a running task, which the
/// widget shows once its samples span 10 s.
const PACE_TIMEOUT: Duration = Duration::from_secs(45);

/// Time after a theme switch during which no request may arrive: one
/// polling interval of the widget's default 2 s.
const THEME_SWITCH_QUIET_PERIOD: Duration = Duration::from_secs(2);

/// Maximum Tab presses to reach the "Check again" button. The element page
/// has no other focusable element, so one press is enough when it works.
const MAX_TAB_PRESSES: usize = 5;

/// The element page, written as `a11y.html` next to the package. It lists
/// its elements in a `<main>` under an `<h1>`, so that axe's landmark and
/// heading rules judge the widget and not a bare test page.
const ELEMENT_PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Task status widget accessibility check</title>
    <style>
      body { margin: 0; background: #ffffff; color: #1f2328; font-family: system-ui, sans-serif; }
      body[data-theme="dark"] { background: #0d1117; color: #e6edf3; }
      h1 { margin: 12px 12px 0; font-size: 1rem; }
      .frame { box-sizing: content-box; width: 420px; padding: 12px; }
    </style>
  </head>
  <body>
    <main>
      <h1>Task status</h1>
      <div id="widgets"></div>
    </main>
    <script type="module">
      import { ready } from "./pkg/index.js";

      const params = new URLSearchParams(location.search);
      const theme = params.get("theme") ?? "light";
      document.body.dataset.theme = theme;
      // The simulator returns its key here only when it is the demo key.
      const { apiKey } = await (await fetch("/sim/tasks")).json();
      await ready;
      for (const taskId of params.getAll("taskId")) {
        const widget = document.createElement("task-status");
        widget.apiKey = apiKey;
        widget.setAttribute("task-id", taskId);
        widget.setAttribute("theme", theme);
        if (params.has("lang")) {
          widget.setAttribute("lang", params.get("lang"));
        }
        const frame = document.createElement("div");
        frame.className = "frame";
        frame.append(widget);
        document.getElementById("widgets").append(frame);
      }
      document.body.dataset.ready = "true";
    </script>
  </body>
</html>
"#;

/// Reads the state of the widget whose element has `task-id` equal to the
/// argument, or `null` before its shadow root has rendered it.
const WIDGET_STATE_SCRIPT: &str = r#"
const [taskId] = arguments;
const host = [...document.querySelectorAll("task-status")]
  .find((element) => element.getAttribute("task-id") === taskId);
const root = host?.shadowRoot;
const widget = root?.querySelector('[data-testid="task-status"]');
if (!widget) return null;
const text = (testId) => root.querySelector(`[data-testid="${testId}"]`)?.textContent.trim() ?? null;
return {
  status: widget.dataset.status ?? "",
  polling: widget.dataset.polling ?? "",
  theme: widget.dataset.theme ?? "",
  lang: widget.getAttribute("lang") ?? "",
  background: getComputedStyle(widget).backgroundColor,
  badge: text("status-badge"),
  error: text("error"),
  retry: text("retry"),
  pace: text("pace"),
};
"#;

/// Reads the same state from the standalone page, where the widget is in
/// the light DOM.
const PAGE_WIDGET_STATE_SCRIPT: &str = r#"
const widget = document.querySelector('[data-testid="task-status"]');
if (!widget) return null;
const text = (testId) => widget.querySelector(`[data-testid="${testId}"]`)?.textContent.trim() ?? null;
return {
  status: widget.dataset.status ?? "",
  polling: widget.dataset.polling ?? "",
  theme: widget.dataset.theme ?? "",
  lang: widget.getAttribute("lang") ?? "",
  background: getComputedStyle(widget).backgroundColor,
  badge: text("status-badge"),
  error: text("error"),
  retry: text("retry"),
  pace: text("pace"),
};
"#;

/// Sets the page background and every element's `theme` attribute to the
/// argument, `light` or `dark`.
const SET_THEME_SCRIPT: &str = r#"
const [theme] = arguments;
document.body.dataset.theme = theme;
for (const widget of document.querySelectorAll("task-status")) {
  widget.setAttribute("theme", theme);
}
"#;

/// Appends a paragraph of light grey text on white to the first widget's
/// root, inside its shadow root.
const LOW_CONTRAST_PROBE_SCRIPT: &str = r##"
const widget = document.querySelector("task-status").shadowRoot.querySelector('[data-testid="task-status"]');
const probe = document.createElement("p");
probe.className = "low-contrast-probe";
probe.textContent = "Low contrast probe text";
probe.style.color = "#bbbbbb";
probe.style.background = "#ffffff";
widget.append(probe);
"##;

/// Returns whether `window.axe` can run.
const AXE_PRESENT_SCRIPT: &str = r#"return typeof window.axe?.run === "function";"#;

/// Runs axe-core on the whole document, open shadow roots included, with
/// the rule tags given as the argument. Returns the violations and the
/// results that axe could not decide, each node with its selector path
/// (`>>>` enters a shadow root), its HTML and the reasons.
const AXE_RUN_SCRIPT: &str = r#"
const [tags] = arguments;
const describe = (result) => ({
  id: result.id,
  impact: result.impact ?? null,
  help: result.help,
  helpUrl: result.helpUrl,
  nodes: result.nodes.map((node) => ({
    target: node.target
      .map((part) => (Array.isArray(part) ? part.join(" >>> ") : String(part)))
      .join(", "),
    html: node.html,
    summary:
      node.failureSummary ??
      [...node.any, ...node.all, ...node.none].map((check) => check.message).join(" "),
  })),
});
return axe
  .run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations", "incomplete"],
  })
  .then((results) => ({
    violations: results.violations.map(describe),
    incomplete: results.incomplete.map(describe),
  }));
"#;

/// Counts the running animations that end, such as the bar's width
/// transition, in the document and in the shadow root of every element.
/// Endless ones, such as the indeterminate bar, are left out because they
/// never settle.
const FINITE_ANIMATIONS_SCRIPT: &str = r#"
const roots = [document, ...[...document.querySelectorAll("task-status")].map((host) => host.shadowRoot)];
return roots
  .filter((root) => root !== null)
  .flatMap((root) => root.getAnimations())
  .filter((animation) => animation.playState === "running")
  .filter((animation) => animation.effect?.getComputedTiming().endTime !== Infinity)
  .length;
"#;

/// Describes the focused element: the host in the document and, inside its
/// shadow root, the focused element's test id, whether it matches
/// `:focus-visible`, and its computed outline style and width.
const FOCUS_SCRIPT: &str = r#"
const host = document.activeElement;
const inner = host?.shadowRoot?.activeElement ?? null;
const style = inner ? getComputedStyle(inner) : null;
return {
  host: host?.localName ?? null,
  testId: inner?.dataset.testid ?? null,
  focusVisible: inner ? inner.matches(":focus-visible") : false,
  outlineStyle: style?.outlineStyle ?? null,
  outlineWidth: style?.outlineWidth ?? null,
};
"#;

/// Describes the progress bar of the first element's widget and its fill,
/// `[data-testid=progress] > div`.
const BAR_SCRIPT: &str = r#"
const root = document.querySelector("task-status")?.shadowRoot;
const bar = root?.querySelector('[data-testid="progress"]');
const fill = bar?.querySelector(":scope > div");
if (!fill) return null;
const style = getComputedStyle(fill);
return {
  barClass: bar.className,
  reducedMotion: matchMedia("(prefers-reduced-motion: reduce)").matches,
  animationName: style.animationName,
  runningAnimations: fill.getAnimations().filter((animation) => animation.playState === "running").length,
  width: fill.getBoundingClientRect().width,
  backgroundImage: style.backgroundImage,
  backgroundColor: style.backgroundColor,
};
"#;

/// Collects the text that a reader sees or hears in the widget of the
/// element with `task-id` equal to the argument. That is the text of the
/// widget root and the values of every `aria-*`, `title`, `alt` and
/// `placeholder` attribute in it. The stylesheet, a sibling of the root, is
/// left out.
const WIDGET_TEXT_SCRIPT: &str = r#"
const [taskId] = arguments;
const host = [...document.querySelectorAll("task-status")]
  .find((element) => element.getAttribute("task-id") === taskId);
const widget = host?.shadowRoot?.querySelector('[data-testid="task-status"]');
if (!widget) return null;
const parts = [widget.textContent];
for (const element of [widget, ...widget.querySelectorAll("*")]) {
  for (const { name, value } of element.attributes) {
    if (name.startsWith("aria-") || ["title", "alt", "placeholder"].includes(name)) {
      parts.push(value);
    }
  }
}
return parts.join("\n");
"#;

/// Words and phrases of the English strings in `src/core/i18n.rs` that the
/// widget shows (labels, status and type names, counts, problem messages),
/// plus the English units of the browser's date and duration formatting.
/// Left out: "Type", which French spells the same, and "API" and "min",
/// which the French strings contain too. Matched as whole words, ignoring
/// case.
const ENGLISH_WORDS: &[&str] = &[
    "task",
    "progress",
    "loading",
    "no data",
    "status",
    "unknown",
    "created",
    "completed",
    "invalid date",
    "last updated",
    "updated",
    "retry",
    "retrying",
    "now",
    "check again",
    "next try",
    "running",
    "duration",
    "pace",
    "time left",
    "pending",
    "in progress",
    "canceled",
    "failed",
    "items",
    "about",
    "ago",
    "not found",
    "polling",
    "stopped",
    "server error",
    "network error",
    "error",
    "timed out",
    "offline",
    "rejected",
    "request",
    "response",
    "key",
    "trips",
    "crashes",
    "of",
    "the",
    "seconds",
    "minutes",
    "hours",
];

/// A colour theme of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Theme {
    Light,
    Dark,
}

const THEMES: [Theme; 2] = [Theme::Light, Theme::Dark];

impl Theme {
    /// Returns the value of the `theme` attribute and of the page's colour
    /// scheme.
    fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Returns the widget's computed background in this theme, from the
    /// defaults of `--_bg` in `style/widget.css`.
    fn widget_background(self) -> &'static str {
        match self {
            Theme::Light => "rgb(255, 255, 255)",
            Theme::Dark => "rgb(22, 27, 34)",
        }
    }
}

/// What [`WIDGET_STATE_SCRIPT`] reads.
#[derive(Debug, Clone, Default, Deserialize)]
struct WidgetState {
    status: String,
    polling: String,
    theme: String,
    lang: String,
    background: String,
    badge: Option<String>,
    error: Option<String>,
    retry: Option<String>,
    pace: Option<String>,
}

impl WidgetState {
    fn is_stopped_at(&self, status: &str) -> bool {
        self.status == status && self.polling == "stopped"
    }

    fn shows_not_found(&self) -> bool {
        self.error.as_deref() == Some("Task not found. Polling stopped.")
            && self.retry.as_deref() == Some("Check again")
    }
}

/// What [`AXE_RUN_SCRIPT`] returns.
#[derive(Debug, Clone, Deserialize)]
struct AxeResults {
    violations: Vec<AxeResult>,
    incomplete: Vec<AxeResult>,
}

/// One axe-core rule that failed, or that axe could not decide, with the
/// nodes concerned.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AxeResult {
    id: String,
    impact: Option<String>,
    help: String,
    help_url: String,
    nodes: Vec<AxeNode>,
}

#[derive(Debug, Clone, Deserialize)]
struct AxeNode {
    target: String,
    html: String,
    summary: String,
}

/// Formats axe-core results so that a reader can find and fix each node:
/// the rule, its impact and help, then each node's selector path, HTML and
/// the reasons with the measured values.
fn describe_results(results: &[AxeResult]) -> String {
    let mut text = String::new();
    for result in results {
        let impact = result.impact.as_deref().unwrap_or("no impact given");
        text.push_str(&format!(
            "- {} ({impact}): {}\n  {}\n",
            result.id, result.help, result.help_url
        ));
        for node in &result.nodes {
            text.push_str(&format!(
                "  - target: {}\n    html: {}\n    {}\n",
                node.target,
                node.html,
                node.summary.replace('\n', "\n    ")
            ));
        }
    }
    text
}

/// What [`FOCUS_SCRIPT`] returns.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FocusState {
    host: Option<String>,
    test_id: Option<String>,
    focus_visible: bool,
    outline_style: Option<String>,
    outline_width: Option<String>,
}

/// What [`BAR_SCRIPT`] returns.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BarState {
    bar_class: String,
    reduced_motion: bool,
    animation_name: String,
    running_animations: u64,
    width: f64,
    background_image: String,
    background_color: String,
}

/// A temporary folder with a copy of the built package under `pkg/` and the
/// element page as `a11y.html`, removed on drop.
struct ElementSite {
    root: PathBuf,
}

impl ElementSite {
    /// Copies `pkg/` of the built page named by `TASK_STATUS_DIST` to a
    /// fresh temporary folder and writes the element page next to it.
    fn create(dist: &Path) -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "e2e-a11y-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let root = std::env::temp_dir().join(name);
        // A folder left by a killed run of the same process id is stale.
        if root.exists() {
            std::fs::remove_dir_all(&root).map_err(|error| io_error("empty", &root, error))?;
        }
        let site = Self { root };

        let package = dist.join("pkg");
        if !package.join("index.js").is_file() {
            return Err(Error::Setup(format!(
                "{} has no index.js. Build the page and the package with \
                 `cargo xtask build`, or run `cargo xtask test`.",
                package.display()
            )));
        }
        copy_folder(&package, &site.root.join("pkg"))?;
        let page = site.root.join("a11y.html");
        std::fs::write(&page, ELEMENT_PAGE).map_err(|error| io_error("write", &page, error))?;
        Ok(site)
    }
}

impl Drop for ElementSite {
    fn drop(&mut self) {
        match std::fs::remove_dir_all(&self.root) {
            // The folder does not exist when the copy failed before it began.
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                eprintln!("failed to remove {}: {error}", self.root.display());
            }
            _ => {}
        }
    }
}

fn io_error(action: &str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        context: format!("failed to {action} {}", path.display()),
        source,
    }
}

/// Copies the files and folders under `from` into `to`, creating `to`.
fn copy_folder(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|error| io_error("create", to, error))?;
    let entries = std::fs::read_dir(from).map_err(|error| io_error("read", from, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| io_error("read", from, error))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        if source.is_dir() {
            copy_folder(&source, &target)?;
        } else {
            std::fs::copy(&source, &target).map_err(|error| io_error("copy to", &target, error))?;
        }
    }
    Ok(())
}

/// A simulator that serves the element page and a browser. The harness is
/// dropped before the folder that the simulator serves.
struct ElementHarness {
    harness: Harness,
    _site: ElementSite,
}

impl ElementHarness {
    async fn start() -> Result<Self> {
        let config = page_config()?;
        let Some(dist) = config.dist_dir.clone() else {
            return Err(Error::Setup(
                "page_config() returned no dist_dir".to_owned(),
            ));
        };
        let site = ElementSite::create(&dist)?;
        let harness = Harness::start_with(task_status_server::Config {
            dist_dir: Some(site.root.clone()),
            ..config
        })
        .await?;
        Ok(Self {
            harness,
            _site: site,
        })
    }

    fn sim(&self) -> &Simulator {
        &self.harness.sim
    }

    fn browser(&self) -> &Browser {
        &self.harness.browser
    }

    /// Opens the element page with one element per id, in `theme` and, when
    /// given, `lang`, and waits until the page has added the elements.
    async fn open(&self, task_ids: &[&str], theme: Theme, lang: Option<&str>) -> Result<()> {
        let mut query: Vec<String> = task_ids
            .iter()
            .map(|task_id| format!("taskId={}", encode_component(task_id)))
            .collect();
        query.push(format!("theme={}", theme.name()));
        if let Some(lang) = lang {
            query.push(format!("lang={}", encode_component(lang)));
        }
        let url = format!("{}/a11y.html?{}", self.sim().base_url(), query.join("&"));
        self.browser().goto(&url).await?;

        let browser = self.browser();
        wait_for(
            "the element page to add its widgets",
            WAIT_TIMEOUT,
            async || {
                let ready = browser
                    .execute("return document.body.dataset.ready ?? null;", Vec::new())
                    .await?;
                if ready == "true" {
                    Ok(Check::Met(()))
                } else {
                    Ok(Check::NotYet(format!("data-ready={ready}")))
                }
            },
        )
        .await
    }
}

/// Returns the state of the widget that watches `task_id` on the element
/// page, or `None` before it has rendered.
async fn widget_state(browser: &Browser, task_id: &str) -> Result<Option<WidgetState>> {
    let value = browser
        .execute(WIDGET_STATE_SCRIPT, vec![json!(task_id)])
        .await?;
    parse_state(value)
}

/// Returns the state of the standalone page's widget, or `None` before it
/// has rendered.
async fn page_widget_state(browser: &Browser) -> Result<Option<WidgetState>> {
    let value = browser
        .execute(PAGE_WIDGET_STATE_SCRIPT, Vec::new())
        .await?;
    parse_state(value)
}

fn parse_state(value: Value) -> Result<Option<WidgetState>> {
    if value.is_null() {
        return Ok(None);
    }
    serde_json::from_value(value.clone())
        .map(Some)
        .map_err(|error| Error::Setup(format!("the state script returned {value}: {error}")))
}

/// Waits until the widget that watches `task_id` meets `condition` and
/// returns that state.
async fn wait_for_widget(
    browser: &Browser,
    task_id: &str,
    condition: &str,
    timeout: Duration,
    is_met: impl Fn(&WidgetState) -> bool,
) -> Result<WidgetState> {
    let condition = format!("the widget of {task_id} to show {condition}");
    wait_for(&condition, timeout, async || {
        match widget_state(browser, task_id).await? {
            Some(state) if is_met(&state) => Ok(Check::Met(state)),
            other => Ok(Check::NotYet(format!("{other:?}"))),
        }
    })
    .await
}

/// Reads axe-core's `axe.min.js` from the path in `AXE_CORE_JS`.
fn axe_source() -> Result<String> {
    let Some(path) = std::env::var_os(AXE_CORE_VARIABLE).map(PathBuf::from) else {
        return Err(Error::Setup(format!(
            "{AXE_CORE_VARIABLE} is not set. Set it to the path of axe-core's axe.min.js, \
             or run `cargo xtask test`, which installs axe-core into .tools/ and sets it."
        )));
    };
    std::fs::read_to_string(&path).map_err(|error| {
        Error::Setup(format!(
            "{AXE_CORE_VARIABLE}={} is unreadable ({error}). Run `cargo xtask test`, \
             which installs axe-core into .tools/.",
            path.display()
        ))
    })
}

/// Runs axe-core on the current page, adding it to the page first when the
/// page does not have it yet, and returns the violations and undecided
/// results.
async fn run_axe(browser: &Browser, axe_source: &str) -> Result<AxeResults> {
    if browser.execute(AXE_PRESENT_SCRIPT, Vec::new()).await? != true {
        browser.execute(axe_source, Vec::new()).await?;
        if browser.execute(AXE_PRESENT_SCRIPT, Vec::new()).await? != true {
            return Err(Error::Setup(format!(
                "the script in {AXE_CORE_VARIABLE} ran but defined no window.axe.run; \
                 is it axe-core's axe.min.js?"
            )));
        }
    }
    let value = browser
        .execute(AXE_RUN_SCRIPT, vec![json!(AXE_TAGS)])
        .await?;
    serde_json::from_value(value.clone())
        .map_err(|error| Error::Setup(format!("axe.run returned {value}: {error}")))
}

/// Runs axe-core on the page, prints the results that axe could not decide,
/// which need a person to check them, and returns the violations as text,
/// empty when there are none.
async fn scan_page(browser: &Browser, axe_source: &str, page: &str) -> Result<String> {
    let results = run_axe(browser, axe_source).await?;
    if !results.incomplete.is_empty() {
        println!(
            "axe-core could not decide these rules on {page}; check them by hand:\n{}",
            describe_results(&results.incomplete)
        );
    }
    Ok(describe_results(&results.violations))
}

/// Waits for the widget's transitions to end, then saves a PNG of the first
/// `.frame` of the element page to
/// `target/e2e-screenshots/element-NAME.png`, and also to
/// `docs/screenshots/NAME.png` when `UPDATE_DOCS_SCREENSHOTS=1`.
async fn save_element_screenshot(browser: &Browser, name: &str) -> Result<PathBuf> {
    wait_for(
        "the widget's transitions to end",
        WAIT_TIMEOUT,
        async || {
            let running = browser
                .execute(FINITE_ANIMATIONS_SCRIPT, Vec::new())
                .await?;
            match running.as_u64() {
                Some(0) => Ok(Check::Met(())),
                _ => Ok(Check::NotYet(format!("{running} running"))),
            }
        },
    )
    .await?;

    let frame = browser
        .client()
        .find(Locator::Css(".frame"))
        .await
        .map_err(|error| Error::WebDriver {
            context: "finding the element page's .frame".to_owned(),
            source: error,
        })?;
    let png = frame.screenshot().await.map_err(|error| Error::WebDriver {
        context: format!("taking the screenshot {name}"),
        source: error,
    })?;

    let folder = e2e::target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&folder).map_err(|error| io_error("create", &folder, error))?;
    let path = folder.join(format!("element-{name}.png"));
    std::fs::write(&path, &png).map_err(|error| io_error("write", &path, error))?;

    if std::env::var(UPDATE_DOCS_VARIABLE).as_deref() == Ok("1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&docs).map_err(|error| io_error("create", &docs, error))?;
        let docs_path = docs.join(format!("{name}.png"));
        std::fs::write(&docs_path, &png).map_err(|error| io_error("write", &docs_path, error))?;
    }
    Ok(path)
}

/// Opens the element page on `task_id` in the light theme and then in the
/// dark one, waits each time until the widget meets `condition`, scans the
/// page and saves a screenshot as `<slug>-<theme>`. Asserts that each theme
/// took effect and has no violations.
async fn check_both_themes(
    site: &ElementHarness,
    axe_source: &str,
    task_id: &str,
    slug: &str,
    condition: &str,
    timeout: Duration,
    is_met: impl Fn(&WidgetState) -> bool,
) -> Result<()> {
    let browser = site.browser();
    let mut reports = Vec::new();
    for theme in THEMES {
        site.open(&[task_id], theme, None).await?;
        let state = wait_for_widget(browser, task_id, condition, timeout, &is_met).await?;
        let page = format!("the {slug} widget in the {} theme", theme.name());
        let violations = scan_page(browser, axe_source, &page).await?;
        save_element_screenshot(browser, &format!("{slug}-{}", theme.name())).await?;
        reports.push((theme, state, violations));
    }

    for (theme, state, violations) in &reports {
        assert_eq!(
            state.theme,
            theme.name(),
            "data-theme of the widget opened in the {} theme",
            theme.name()
        );
        assert_eq!(
            state.background,
            theme.widget_background(),
            "widget background in the {} theme",
            theme.name()
        );
        assert!(
            violations.is_empty(),
            "axe-core violations on the {slug} widget in the {} theme:\n{violations}",
            theme.name()
        );
    }
    Ok(())
}

/// Replaces the task's responses with `script` through the simulator's
/// `POST /sim/tasks/{taskId}/script`.
async fn set_script(sim: &Simulator, task_id: &str, script: &Value) -> Result<()> {
    let url = format!(
        "{}/sim/tasks/{}/script",
        sim.base_url(),
        encode_component(task_id)
    );
    HttpClient::new()
        .expect(Method::POST, &url, Some(script), StatusCode::OK)
        .await?;
    Ok(())
}

/// Creates a task that stays IN_PROGRESS with no items, so the widget shows
/// an indeterminate bar that keeps moving.
async fn create_indeterminate_task(sim: &Simulator) -> Result<String> {
    let task = sim.create_task(&json!({ "pendingMs": 0 })).await?;
    let script = json!({
        "steps": [{ "task": { "status": "IN_PROGRESS", "nbItems": 0, "nbRemainingItems": 0 } }],
        "then": "repeat-last",
    });
    set_script(sim, &task.task_id, &script).await?;
    Ok(task.task_id)
}

/// Creates a task whose responses have the status `PAUSED`, which the
/// widget does not know.
async fn create_paused_task(sim: &Simulator) -> Result<String> {
    let task = sim.create_task(&json!({ "pendingMs": 0 })).await?;
    let script = json!({
        "steps": [{ "task": {
            "status": "PAUSED",
            "type": "PUSH_FAILED_EVENTS",
            "nbItems": 10,
            "nbRemainingItems": 4,
        } }],
        "then": "repeat-last",
    });
    set_script(sim, &task.task_id, &script).await?;
    Ok(task.task_id)
}

/// Presses and releases `key`.
async fn press_key(browser: &Browser, key: Key) -> Result<()> {
    let actions = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    browser
        .client()
        .perform_actions(actions)
        .await
        .map_err(|error| Error::WebDriver {
            context: format!("pressing {key:?}"),
            source: error,
        })
}

async fn focus_state(browser: &Browser) -> Result<FocusState> {
    let value = browser.execute(FOCUS_SCRIPT, Vec::new()).await?;
    serde_json::from_value(value.clone())
        .map_err(|error| Error::Setup(format!("the focus script returned {value}: {error}")))
}

async fn bar_state(browser: &Browser) -> Result<BarState> {
    let value = browser.execute(BAR_SCRIPT, Vec::new()).await?;
    serde_json::from_value(value.clone())
        .map_err(|error| Error::Setup(format!("the bar script returned {value}: {error}")))
}

/// Lowers `text` and turns every run of characters that are not letters
/// into one space, with a space at each end, so that ` word ` matches
/// whole words only.
fn normalized_words(text: &str) -> String {
    let mut words = String::from(" ");
    for character in text.chars().flat_map(char::to_lowercase) {
        if character.is_alphabetic() {
            words.push(character);
        } else if !words.ends_with(' ') {
            words.push(' ');
        }
    }
    if !words.ends_with(' ') {
        words.push(' ');
    }
    words
}

/// Returns the entries of [`ENGLISH_WORDS`] that occur in `text` as whole
/// words.
fn english_words_in(text: &str) -> Vec<&'static str> {
    let words = normalized_words(text);
    ENGLISH_WORDS
        .iter()
        .copied()
        .filter(|english| words.contains(&format!(" {english} ")))
        .collect()
}

#[test]
fn english_words_match_whole_words() {
    assert_eq!(english_words_in("Check again"), ["check again"]);
    assert_eq!(english_words_in("12 of 20 items, 60%"), ["items", "of"]);
    assert!(english_words_in("Vérifier à nouveau").is_empty());
    assert!(english_words_in("12 sur 20 éléments, 60 %").is_empty());
    assert!(english_words_in("il y a 3 secondes").is_empty());
    assert!(english_words_in("Tâche terminée").is_empty());
}

#[tokio::test]
async fn pending_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    let task = site
        .sim()
        .create_task(&json!({ "nbItems": 40, "pendingMs": 600_000 }))
        .await?;

    check_both_themes(
        &site,
        &axe,
        &task.task_id,
        "pending",
        "PENDING",
        WAIT_TIMEOUT,
        |state| state.status == "PENDING",
    )
    .await
}

#[tokio::test]
async fn in_progress_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    // 240 items at 2 a second take 2 minutes, longer than the two waits
    // for the pace, one per theme.
    let task = site
        .sim()
        .create_task(&json!({ "nbItems": 240, "pendingMs": 0, "itemsPerSecond": 2 }))
        .await?;

    check_both_themes(
        &site,
        &axe,
        &task.task_id,
        "in-progress",
        "IN_PROGRESS with its pace",
        PACE_TIMEOUT,
        |state| state.status == "IN_PROGRESS" && state.pace.is_some(),
    )
    .await
}

#[tokio::test]
async fn completed_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    let task = site
        .sim()
        .create_task(&json!({ "nbItems": 20, "pendingMs": 0, "itemsPerSecond": 10 }))
        .await?;

    check_both_themes(
        &site,
        &axe,
        &task.task_id,
        "completed",
        "COMPLETED with polling stopped",
        WAIT_TIMEOUT,
        |state| state.is_stopped_at("COMPLETED"),
    )
    .await
}

#[tokio::test]
async fn canceled_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    let sim = site.sim();
    let task = sim
        .create_task(&json!({ "nbItems": 100, "pendingMs": 0, "itemsPerSecond": 20 }))
        .await?;
    // About 30 of the 100 items are done after 1.5 s, so the picture shows
    // a partly filled bar.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    sim.pause_push().await?;
    sim.resume_push().await?;

    check_both_themes(
        &site,
        &axe,
        &task.task_id,
        "canceled",
        "CANCELED with polling stopped",
        WAIT_TIMEOUT,
        |state| state.is_stopped_at("CANCELED"),
    )
    .await
}

#[tokio::test]
async fn failed_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    let sim = site.sim();
    let task = sim
        .create_task(&json!({ "nbItems": 100, "pendingMs": 0, "itemsPerSecond": 20 }))
        .await?;
    // About 40 of the 100 items are done after 2 s, so the picture shows a
    // partly filled bar.
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.fail_task(&task.task_id).await?;

    check_both_themes(
        &site,
        &axe,
        &task.task_id,
        "failed",
        "FAILED with polling stopped",
        WAIT_TIMEOUT,
        |state| state.is_stopped_at("FAILED"),
    )
    .await
}

#[tokio::test]
async fn unknown_status_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    let task_id = create_paused_task(site.sim()).await?;

    check_both_themes(
        &site,
        &axe,
        &task_id,
        "unknown-status",
        "PAUSED as Unknown (PAUSED)",
        WAIT_TIMEOUT,
        |state| state.status == "PAUSED" && state.badge.as_deref() == Some("Unknown (PAUSED)"),
    )
    .await
}

#[tokio::test]
async fn not_found_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;

    check_both_themes(
        &site,
        &axe,
        UNKNOWN_TASK_ID,
        "not-found",
        "the not-found error with its Check again button",
        WAIT_TIMEOUT,
        WidgetState::shows_not_found,
    )
    .await
}

#[tokio::test]
async fn standalone_page_passes_axe() -> Result<()> {
    let axe = axe_source()?;
    let harness = Harness::start().await?;
    let browser = &harness.browser;
    let task = harness
        .sim
        .create_task(&json!({ "nbItems": 20, "pendingMs": 0, "itemsPerSecond": 10 }))
        .await?;

    let mut reports = Vec::new();
    for theme in THEMES {
        // The page has no theme option, so it follows the colour scheme
        // that the browser reports.
        browser
            .emulate_media_features(&[("prefers-color-scheme", theme.name())])
            .await?;
        harness.open(&[("taskId", &task.task_id)]).await?;
        let condition = "COMPLETED with polling stopped";
        let state = wait_for(condition, WAIT_TIMEOUT, async || {
            match page_widget_state(browser).await? {
                Some(state) if state.is_stopped_at("COMPLETED") => Ok(Check::Met(state)),
                other => Ok(Check::NotYet(format!("{other:?}"))),
            }
        })
        .await?;
        let page = format!("the standalone page in the {} scheme", theme.name());
        let violations = scan_page(browser, &axe, &page).await?;
        browser
            .screenshot(&format!("standalone-completed-{}", theme.name()))
            .await?;
        reports.push((theme, state, violations));
    }

    for (theme, state, violations) in &reports {
        assert_eq!(
            state.background,
            theme.widget_background(),
            "widget background under prefers-color-scheme: {}",
            theme.name()
        );
        assert!(
            violations.is_empty(),
            "axe-core violations on the standalone page in the {} scheme:\n{violations}",
            theme.name()
        );
    }
    Ok(())
}

#[tokio::test]
async fn axe_sees_into_shadow_root() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    let browser = site.browser();
    site.open(&[UNKNOWN_TASK_ID], Theme::Light, None).await?;
    wait_for_widget(
        browser,
        UNKNOWN_TASK_ID,
        "the not-found error",
        WAIT_TIMEOUT,
        WidgetState::shows_not_found,
    )
    .await?;

    // Light grey on white has a contrast ratio of about 1.9:1, under the
    // 4.5:1 that WCAG 2.1 AA requires for body text.
    browser
        .execute(LOW_CONTRAST_PROBE_SCRIPT, Vec::new())
        .await?;
    let results = run_axe(browser, &axe).await?;

    let contrast = results
        .violations
        .iter()
        .find(|result| result.id == "color-contrast");
    let Some(contrast) = contrast else {
        panic!(
            "axe-core missed the low-contrast probe in the shadow root; violations:\n{}",
            describe_results(&results.violations)
        );
    };
    let probe = contrast
        .nodes
        .iter()
        .find(|node| node.html.contains("low-contrast-probe"));
    let Some(probe) = probe else {
        panic!(
            "the color-contrast violation does not name the probe:\n{}",
            describe_results(&results.violations)
        );
    };
    assert!(
        probe.target.starts_with("task-status >>> "),
        "the probe's target does not go through the shadow root: {}",
        probe.target
    );
    Ok(())
}

#[tokio::test]
async fn theme_switch_keeps_state() -> Result<()> {
    let site = ElementHarness::start().await?;
    let browser = site.browser();
    let sim = site.sim();
    let task = sim
        .create_task(&json!({ "nbItems": 20, "pendingMs": 0, "itemsPerSecond": 100 }))
        .await?;
    site.open(&[&task.task_id], Theme::Light, None).await?;
    wait_for_widget(
        browser,
        &task.task_id,
        "COMPLETED with polling stopped",
        WAIT_TIMEOUT,
        |state| state.is_stopped_at("COMPLETED"),
    )
    .await?;
    let requests_before = sim.request_count(&task.task_id).await?;

    browser
        .execute(SET_THEME_SCRIPT, vec![json!(Theme::Dark.name())])
        .await?;
    // Sample the widget through one polling interval: a widget that
    // restarted shows its loading state and sends a first request at once.
    let mut seen = Vec::new();
    let started = Instant::now();
    while started.elapsed() < THEME_SWITCH_QUIET_PERIOD {
        seen.push(
            widget_state(browser, &task.task_id)
                .await?
                .unwrap_or_default(),
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    let requests_after = sim.request_count(&task.task_id).await?;

    let last = seen.last().cloned().unwrap_or_default();
    assert_eq!(last.theme, "dark", "{last:?}");
    assert_eq!(last.background, Theme::Dark.widget_background(), "{last:?}");
    let left_completed: Vec<&WidgetState> = seen
        .iter()
        .filter(|state| !state.is_stopped_at("COMPLETED"))
        .collect();
    assert!(
        left_completed.is_empty(),
        "the widget left COMPLETED after only its theme changed: {left_completed:?}"
    );
    assert_eq!(
        requests_after, requests_before,
        "requests for a COMPLETED task after only its theme changed"
    );
    Ok(())
}

#[tokio::test]
async fn check_again_reachable_by_tab() -> Result<()> {
    let site = ElementHarness::start().await?;
    let browser = site.browser();
    site.open(&[UNKNOWN_TASK_ID], Theme::Light, None).await?;
    wait_for_widget(
        browser,
        UNKNOWN_TASK_ID,
        "the not-found error with its Check again button",
        WAIT_TIMEOUT,
        WidgetState::shows_not_found,
    )
    .await?;

    let mut presses = 0;
    let mut focus = focus_state(browser).await?;
    while focus.test_id.as_deref() != Some("retry") && presses < MAX_TAB_PRESSES {
        press_key(browser, Key::Tab).await?;
        presses += 1;
        focus = focus_state(browser).await?;
    }

    assert_eq!(
        focus.test_id.as_deref(),
        Some("retry"),
        "focus after {presses} Tab presses: {focus:?}"
    );
    assert_eq!(focus.host.as_deref(), Some("task-status"), "{focus:?}");
    assert!(
        focus.focus_visible,
        "the button does not match :focus-visible: {focus:?}"
    );
    assert_ne!(
        focus.outline_style.as_deref(),
        Some("none"),
        "no outline on the focused button: {focus:?}"
    );
    assert_ne!(
        focus.outline_width.as_deref(),
        Some("0px"),
        "zero-width outline on the focused button: {focus:?}"
    );

    // Enter on the focused button requests the task again.
    let before = site.sim().request_count(UNKNOWN_TASK_ID).await?;
    press_key(browser, Key::Enter).await?;
    let sim = site.sim();
    let after = wait_for(
        "a request after Enter on Check again",
        WAIT_TIMEOUT,
        async || {
            let count = sim.request_count(UNKNOWN_TASK_ID).await?;
            if count > before {
                Ok(Check::Met(count))
            } else {
                Ok(Check::NotYet(format!("{count} requests")))
            }
        },
    )
    .await?;
    assert_eq!(after, before + 1, "requests after one Enter");
    Ok(())
}

#[tokio::test]
async fn reduced_motion_stills_bar() -> Result<()> {
    let site = ElementHarness::start().await?;
    let browser = site.browser();
    let task_id = create_indeterminate_task(site.sim()).await?;
    site.open(&[&task_id], Theme::Light, None).await?;
    wait_for_widget(browser, &task_id, "IN_PROGRESS", WAIT_TIMEOUT, |state| {
        state.status == "IN_PROGRESS"
    })
    .await?;

    let moving = bar_state(browser).await?;
    browser
        .emulate_media_features(&[("prefers-reduced-motion", "reduce")])
        .await?;
    let still = bar_state(browser).await?;
    save_element_screenshot(browser, "indeterminate-reduced-motion-light").await?;
    browser.emulate_media_features(&[]).await?;
    let resumed = bar_state(browser).await?;

    assert!(
        moving.bar_class.contains("tsw-bar--moving"),
        "the bar is not the moving indeterminate one: {moving:?}"
    );
    assert!(!moving.reduced_motion, "{moving:?}");
    assert_ne!(moving.animation_name, "none", "{moving:?}");
    assert!(moving.running_animations > 0, "{moving:?}");

    assert!(
        still.reduced_motion,
        "the emulation did not apply: {still:?}"
    );
    assert_eq!(still.animation_name, "none", "{still:?}");
    assert_eq!(still.running_animations, 0, "{still:?}");
    assert!(still.width > 0.0, "the still fill has no width: {still:?}");
    assert!(
        still.background_image != "none" || still.background_color != "rgba(0, 0, 0, 0)",
        "the still fill has no paint: {still:?}"
    );

    assert!(!resumed.reduced_motion, "{resumed:?}");
    assert_eq!(
        resumed.animation_name, moving.animation_name,
        "the animation after the emulation ended: {resumed:?}"
    );
    Ok(())
}

#[tokio::test]
async fn french_shows_no_english_words() -> Result<()> {
    let axe = axe_source()?;
    let site = ElementHarness::start().await?;
    let sim = site.sim();
    let browser = site.browser();

    let loading = sim.create_task(&json!({ "pendingMs": 0 })).await?.task_id;
    set_script(
        sim,
        &loading,
        &json!({ "steps": [{ "hang": true }], "then": "repeat-last" }),
    )
    .await?;
    let server_error = sim.create_task(&json!({ "pendingMs": 0 })).await?.task_id;
    let error_body = json!({ "error": "internal", "message": "simulated failure" });
    set_script(
        sim,
        &server_error,
        &json!({ "steps": [{ "status": 500, "json": error_body }], "then": "repeat-last" }),
    )
    .await?;
    let running = sim
        .create_task(&json!({ "nbItems": 120, "pendingMs": 0, "itemsPerSecond": 2 }))
        .await?
        .task_id;
    let completed = sim
        .create_task(&json!({ "nbItems": 20, "pendingMs": 0, "itemsPerSecond": 10 }))
        .await?
        .task_id;
    let failed = sim
        .create_task(&json!({ "nbItems": 100, "pendingMs": 0, "itemsPerSecond": 1 }))
        .await?
        .task_id;
    sim.fail_task(&failed).await?;
    let paused = create_paused_task(sim).await?;

    let task_ids = [
        loading.as_str(),
        server_error.as_str(),
        running.as_str(),
        completed.as_str(),
        failed.as_str(),
        paused.as_str(),
        UNKNOWN_TASK_ID,
    ];
    site.open(&task_ids, Theme::Light, Some("fr")).await?;

    // The first reading catches the loading text before the hung request
    // times out after 15 s.
    let loading_state =
        wait_for_widget(browser, &loading, "rendered", WAIT_TIMEOUT, |_| true).await?;
    let mut texts = Vec::new();
    texts.push(("loading".to_owned(), widget_text(browser, &loading).await?));

    wait_for_widget(browser, &server_error, "an error", WAIT_TIMEOUT, |state| {
        state.error.is_some() && state.retry.is_some()
    })
    .await?;
    wait_for_widget(browser, &completed, "COMPLETED", WAIT_TIMEOUT, |state| {
        state.is_stopped_at("COMPLETED")
    })
    .await?;
    wait_for_widget(browser, &failed, "FAILED", WAIT_TIMEOUT, |state| {
        state.is_stopped_at("FAILED")
    })
    .await?;
    wait_for_widget(browser, &paused, "PAUSED", WAIT_TIMEOUT, |state| {
        state.status == "PAUSED"
    })
    .await?;
    wait_for_widget(
        browser,
        UNKNOWN_TASK_ID,
        "an error",
        WAIT_TIMEOUT,
        |state| state.error.is_some() && state.retry.is_some(),
    )
    .await?;
    wait_for_widget(browser, &running, "its pace", PACE_TIMEOUT, |state| {
        state.pace.is_some()
    })
    .await?;

    for (name, task_id) in [
        ("server error", server_error.as_str()),
        ("running", running.as_str()),
        ("completed", completed.as_str()),
        ("failed", failed.as_str()),
        ("unknown status", paused.as_str()),
        ("not found", UNKNOWN_TASK_ID),
    ] {
        texts.push((name.to_owned(), widget_text(browser, task_id).await?));
    }
    let violations = scan_page(browser, &axe, "the French element page").await?;

    assert_eq!(
        loading_state.badge.as_deref(),
        Some("Chargement de la tâche…"),
        "the loading widget's badge at the first reading"
    );
    for task_id in task_ids {
        let state = widget_state(browser, task_id).await?.unwrap_or_default();
        assert_eq!(state.lang, "fr", "lang of the widget of {task_id}");
    }
    for (name, text) in &texts {
        // Raw values from the API are shown as received, in any language.
        let mut translated_text = text.clone();
        for raw in task_ids.iter().chain(&["PUSH_FAILED_EVENTS"]) {
            translated_text = translated_text.replace(raw, " ");
        }
        let english = english_words_in(&translated_text);
        assert!(
            english.is_empty(),
            "the French {name} widget shows the English {english:?} in:\n{text}"
        );
    }
    assert!(
        violations.is_empty(),
        "axe-core violations on the French element page:\n{violations}"
    );
    Ok(())
}

/// Returns the readable text of the widget that watches `task_id`, see
/// [`WIDGET_TEXT_SCRIPT`].
async fn widget_text(browser: &Browser, task_id: &str) -> Result<String> {
    let value = browser
        .execute(WIDGET_TEXT_SCRIPT, vec![json!(task_id)])
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}
