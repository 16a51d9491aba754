//! The deployed setups in headless Chromium: the launcher on the page that
//! the simulator serves, and the page and the example portal served by the
//! proxy mode of `task-status-server` in front of a simulator that stands
//! for the DriveQuant API.
//!
//! Each test starts its own servers and browser on loopback ports. The
//! proxy runs in-process with a key given in code, and a middleware around
//! it records every request and response status, so the tests can tell
//! what the browser sent from what reached the simulator.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::deploy::{ProxyRequest, ProxyServer, UpstreamSimulator};
use e2e::{
    page_config, wait_for, Browser, Check, Error, Harness, HttpClient, Result, Simulator,
    WidgetSnapshot, WAIT_TIMEOUT,
};
use serde::Deserialize;
use serde_json::json;
use task_status_server::{Config, DEMO_COMPLETED_TASK_ID, DEMO_PENDING_TASK_ID};

/// Key of the simulator behind the proxy. Only the proxy is given it.
const UPSTREAM_KEY: &str = "upstream-key";

/// A wrong key that the browser sends to the proxy.
const BROWSER_KEY: &str = "browser-key";

/// Failed trips that the first retry takes in `launcher_retry_runs_to_completion`.
const FAILED_TRIPS: u64 = 15;

/// Rate of the retry task there: 15 items take 5 s, which leaves at least
/// two polling intervals of 2 s to see IN_PROGRESS.
const ITEMS_PER_SECOND: f64 = 3.0;

/// Pending time of the retry task there.
const RETRY_PENDING: Duration = Duration::from_secs(3);

/// Failed crashes that a crashes retry takes in the rejection cases.
const FAILED_CRASHES: u64 = 9;

/// Pending time of tasks that must stay PENDING for the whole test.
const LONG_PENDING: Duration = Duration::from_secs(600);

/// Deadline of a retry task's whole lifecycle: 3 s pending and 5 s in
/// progress, with room for a slow machine.
const LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Time that the upstream stays down after the widget first shows the
/// error, so that the widget retries several times.
const OUTAGE_HOLD: Duration = Duration::from_secs(8);

/// Maximum number of task requests that may reach the proxy from the
/// first 502 to the restart, about `OUTAGE_HOLD` plus the time to see the
/// error.
///
/// The widget waits a random share of 1, 2, 4, 8 s … (at least 250 ms)
/// before retries 1, 2, 3, 4 …, so it sends about 5 requests in 9 s. A
/// simulation of that policy over 2 million outages of 9 s, and as many
/// of 12 s, never gave more than 10, so this bound is an estimate. A
/// widget that retried at the 250 ms floor would send 36 in 9 s.
const MAX_OUTAGE_REQUESTS: usize = 12;

/// Shortest delay before a retry that the widget allows, less 20 ms for
/// the difference between the browser's timers and the proxy's clock.
const MIN_RETRY_GAP: Duration = Duration::from_millis(230);

/// Deadline of the recovery after the restart: the largest retry delay
/// of the widget, 60 s, with room for the request itself.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(75);

const TASK_PATH_PREFIX: &str = "/v1/enterprise/task/";
const UPSTREAM_ERROR_MESSAGE: &str = "Server error (502), retrying.";

/// `--_completed-fg` of `task-status.css` in the light theme, `#146c2e`,
/// as computed styles report it.
const COMPLETED_GREEN: &str = "rgb(20, 108, 46)";

/// Colour `#6b21a8`, which `portal.css` gives the restyled widget's badge.
const PORTAL_PURPLE: &str = "rgb(107, 33, 168)";

/// Reads a computed style property of the first element that matches a
/// selector, inside the open shadow root of a host element when one is
/// given. Arguments: the host selector or `null`, the inner selector, the
/// property name.
const STYLE_SCRIPT: &str = r#"
const [host, selector, property] = arguments;
const root = host === null ? document : document.querySelector(host)?.shadowRoot;
const element = root?.querySelector(selector);
return element ? getComputedStyle(element).getPropertyValue(property) : null;
"#;

/// Fetches the current page again from its server and returns its
/// `Content-Security-Policy` header, or `null`.
const PAGE_POLICY_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
fetch(location.href, { cache: "no-store" })
  .then((response) => done(response.headers.get("content-security-policy")))
  .catch((error) => done(`fetch failed: ${error}`));
"#;

/// Clicks the button with the test id given as the argument twice in one
/// task, as a double click does, before any response can arrive.
const DOUBLE_CLICK_SCRIPT: &str = r#"
const button = document.querySelector(`[data-testid="${arguments[0]}"]`);
button.click();
button.click();
"#;

/// One task of the simulator's `GET /sim/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedTask {
    task_id: String,
    #[serde(rename = "type")]
    task_type: String,
    status: String,
}

#[derive(Debug, Deserialize)]
struct TaskList {
    tasks: Vec<ListedTask>,
}

/// Returns the tasks of the simulator at `base_url` with type `task_type`.
async fn tasks_of_type(base_url: &str, task_type: &str) -> Result<Vec<ListedTask>> {
    let url = format!("{base_url}/sim/tasks");
    let response = HttpClient::new().get(&url).await?;
    let list: TaskList = serde_json::from_value(response.body.clone()).map_err(|error| {
        Error::Setup(format!(
            "GET {url} returned {}, which is not a task list: {error}",
            response.body
        ))
    })?;
    Ok(list
        .tasks
        .into_iter()
        .filter(|task| task.task_type == task_type)
        .collect())
}

/// Returns the non-empty `data-status` values in the order seen, each run
/// of equal values kept once.
fn distinct_statuses(seen: &[WidgetSnapshot]) -> Vec<String> {
    let mut statuses: Vec<String> = seen
        .iter()
        .filter_map(|snapshot| snapshot.status.clone())
        .filter(|status| !status.is_empty())
        .collect();
    statuses.dedup();
    statuses
}

/// Returns the folder of the built page, from `TASK_STATUS_DIST`.
fn dist_dir() -> Result<PathBuf> {
    page_config()?
        .dist_dir
        .ok_or_else(|| Error::Setup("page_config() returned no dist_dir".to_owned()))
}

/// Returns simulator settings with `key`, the demo tasks and no page: the
/// proxy serves the page.
fn upstream_config() -> Config {
    Config {
        api_key: UPSTREAM_KEY.to_owned(),
        ..Config::default()
    }
}

/// Returns the requests for the task route of `task_id` that the proxy handled.
fn task_requests(proxy: &ProxyServer, task_id: &str) -> Vec<ProxyRequest> {
    let path = format!("{TASK_PATH_PREFIX}{task_id}");
    proxy
        .requests()
        .into_iter()
        .filter(|request| request.path == path)
        .collect()
}

/// Reads a computed style property; see [`STYLE_SCRIPT`].
async fn computed_style(
    browser: &Browser,
    host: Option<&str>,
    selector: &str,
    property: &str,
) -> Result<String> {
    let value = browser
        .execute(
            STYLE_SCRIPT,
            vec![json!(host), json!(selector), json!(property)],
        )
        .await?;
    Ok(value.as_str().unwrap_or("<no such element>").to_owned())
}

/// Returns the `Content-Security-Policy` header of the current page.
async fn page_policy(browser: &Browser) -> Result<Option<String>> {
    let value = browser
        .client()
        .execute_async(PAGE_POLICY_SCRIPT, Vec::new())
        .await
        .map_err(|error| Error::Setup(format!("failed to fetch the page again: {error}")))?;
    Ok(value.as_str().map(str::to_owned))
}

/// Asserts that the current page reported no Content-Security-Policy
/// violation, neither as a report nor in the console.
async fn assert_no_csp_violation(browser: &Browser, page: &str) -> Result<()> {
    let violations = browser.csp_violations().await?;
    assert!(
        violations.is_empty(),
        "{page} reported CSP violations: {violations:#?}"
    );
    let console: Vec<_> = browser
        .take_console_log()
        .await?
        .into_iter()
        .filter(|entry| entry.message.contains("Content Security Policy"))
        .collect();
    assert!(
        console.is_empty(),
        "{page} logged CSP violations to the console: {console:#?}"
    );
    Ok(())
}

/// Waits until the launcher's message reads `expected`.
async fn wait_for_launch_message(browser: &Browser, expected: &str) -> Result<()> {
    browser.wait_for_text("launch-message", expected).await
}

/// Waits until neither launcher button is disabled, which means that the
/// response to the last retry request arrived.
async fn wait_for_launcher_idle(browser: &Browser) -> Result<()> {
    wait_for(
        "the launcher buttons to be enabled",
        WAIT_TIMEOUT,
        async || {
            let trips = browser.attribute("launch-trips", "disabled").await?;
            let crashes = browser.attribute("launch-crashes", "disabled").await?;
            if trips.is_none() && crashes.is_none() {
                Ok(Check::Met(()))
            } else {
                Ok(Check::NotYet(format!(
                    "disabled: trips {trips:?}, crashes {crashes:?}"
                )))
            }
        },
    )
    .await
}

#[tokio::test]
async fn launcher_retry_runs_to_completion() -> Result<()> {
    // Without the demo tasks the lists below contain only the retries, and
    // the page still finds the simulator through `GET /sim/tasks`.
    let config = Config {
        demo_tasks: false,
        failed_trips: FAILED_TRIPS,
        items_per_second: ITEMS_PER_SECOND,
        pending: RETRY_PENDING,
        ..page_config()?
    };
    let harness = Harness::start_with(config).await?;
    let browser = &harness.browser;
    let sim_url = harness.sim.base_url();
    harness.open(&[]).await?;

    browser
        .wait_for_text("launch-trips", "Retry failed trips")
        .await?;
    browser
        .wait_for_text("launch-crashes", "Retry failed crashes")
        .await?;
    assert_eq!(
        browser.text("launch-message").await?.as_deref(),
        Some(""),
        "launch message before any click"
    );
    assert!(
        !browser.widget().await?.present,
        "the widget shows before any task is chosen"
    );
    assert!(tasks_of_type(sim_url, "PUSH_FAILED_TRIPS")
        .await?
        .is_empty());

    browser
        .execute(DOUBLE_CLICK_SCRIPT, vec![json!("launch-trips")])
        .await?;
    wait_for_launch_message(
        browser,
        &format!("Retry started: {FAILED_TRIPS} failed trips will be sent again."),
    )
    .await?;
    let seen = browser
        .watch_widget_until(
            "the retry task COMPLETED with polling stopped",
            LIFECYCLE_TIMEOUT,
            |snapshot| snapshot.is_stopped_at("COMPLETED"),
        )
        .await?;

    assert_eq!(
        distinct_statuses(&seen),
        ["PENDING", "IN_PROGRESS", "COMPLETED"],
        "data-status values in the order seen"
    );
    let last = seen.last().expect("the watch returns the last snapshot");
    assert_eq!(last.value_now.as_deref(), Some("100"), "aria-valuenow");
    assert_eq!(
        last.progress_text,
        Some(format!("{FAILED_TRIPS} of {FAILED_TRIPS} items"))
    );
    assert_eq!(last.task_type.as_deref(), Some("Retry of failed trips"));

    let retries = tasks_of_type(sim_url, "PUSH_FAILED_TRIPS").await?;
    assert_eq!(
        retries.len(),
        1,
        "a double click created other than one retry task: {retries:?}"
    );
    assert_eq!(last.task_id.as_deref(), Some(retries[0].task_id.as_str()));
    assert_eq!(retries[0].status, "COMPLETED");
    // A second request would have been rejected with 409 while the first
    // task was pending, which changes the message.
    assert_eq!(
        browser.text("launch-message").await?,
        Some(format!(
            "Retry started: {FAILED_TRIPS} failed trips will be sent again."
        )),
        "launch message after the task completed"
    );

    // A second simulator whose retries stay PENDING: a second click, once
    // the first response arrived, is rejected while the first task runs.
    let rejecting = Simulator::start(Config {
        demo_tasks: false,
        failed_crashes: FAILED_CRASHES,
        pending: LONG_PENDING,
        ..page_config()?
    })
    .await?;
    browser.goto(&rejecting.page_url(&[])).await?;
    browser.click("launch-crashes").await?;
    wait_for_launch_message(
        browser,
        &format!("Retry started: {FAILED_CRASHES} failed crashes will be sent again."),
    )
    .await?;
    let first = browser
        .wait_for_widget("the crashes retry PENDING", |snapshot| {
            snapshot.status.as_deref() == Some("PENDING")
        })
        .await?;
    let running = tasks_of_type(rejecting.base_url(), "PUSH_FAILED_CRASHES").await?;
    assert_eq!(running.len(), 1, "crashes retries: {running:?}");
    assert_eq!(first.task_id.as_deref(), Some(running[0].task_id.as_str()));

    wait_for_launcher_idle(browser).await?;
    browser.click("launch-crashes").await?;
    wait_for_launch_message(
        browser,
        "A retry of failed crashes is already running. Wait for it to end.",
    )
    .await?;

    let after_rejection = tasks_of_type(rejecting.base_url(), "PUSH_FAILED_CRASHES").await?;
    assert_eq!(
        after_rejection.len(),
        1,
        "the rejected click created a task: {after_rejection:?}"
    );
    let class = browser.attribute("launch-message", "class").await?;
    assert!(
        class
            .as_deref()
            .is_some_and(|class| class.contains("tsw-error")),
        "the rejection is not styled as an error: class {class:?}"
    );
    let still = browser.widget().await?;
    assert_eq!(
        still.task_id.as_deref(),
        Some(running[0].task_id.as_str()),
        "the widget left the running task after the rejection"
    );
    assert_eq!(still.status.as_deref(), Some("PENDING"));
    Ok(())
}

#[tokio::test]
async fn launcher_rejection_offers_running_retry() -> Result<()> {
    let config = Config {
        demo_tasks: false,
        failed_crashes: FAILED_CRASHES,
        pending: LONG_PENDING,
        ..page_config()?
    };
    let harness = Harness::start_with(config).await?;
    let browser = &harness.browser;
    harness.open(&[]).await?;
    browser.click("launch-crashes").await?;
    wait_for_launch_message(
        browser,
        &format!("Retry started: {FAILED_CRASHES} failed crashes will be sent again."),
    )
    .await?;
    let running = tasks_of_type(harness.sim.base_url(), "PUSH_FAILED_CRASHES").await?;
    assert_eq!(running.len(), 1, "crashes retries: {running:?}");
    let running_id = running[0].task_id.as_str();

    // After a reload the page watches nothing, as for a second user, so
    // the rejection is the only way to find the running retry.
    harness.open(&[]).await?;
    browser.click("launch-crashes").await?;
    wait_for_launch_message(
        browser,
        "A retry of failed crashes is already running. Wait for it to end.",
    )
    .await?;
    assert!(
        !browser.widget().await?.present,
        "the widget shows a task after a rejected retry"
    );

    browser.wait_for_text("watch-running", "Watch it").await?;
    browser.click("watch-running").await?;
    let watched = browser
        .wait_for_widget("the running retry PENDING", |snapshot| {
            snapshot.status.as_deref() == Some("PENDING")
        })
        .await?;
    assert_eq!(watched.task_id.as_deref(), Some(running_id));
    Ok(())
}

#[tokio::test]
async fn proxy_serves_page_under_csp() -> Result<()> {
    let upstream = UpstreamSimulator::start(upstream_config()).await?;
    let proxy = ProxyServer::start(&upstream.base_url(), UPSTREAM_KEY, &dist_dir()?).await?;
    let browser = Browser::start().await?;

    browser
        .goto(&proxy.url("/", &[("taskId", DEMO_COMPLETED_TASK_ID)]))
        .await?;
    let last = browser
        .wait_for_widget("COMPLETED with polling stopped", |snapshot| {
            snapshot.is_stopped_at("COMPLETED")
        })
        .await?;

    assert_eq!(last.value_now.as_deref(), Some("100"));
    assert_eq!(last.error, None);
    // Without this header the checks below would prove nothing.
    assert_eq!(
        page_policy(&browser).await?.as_deref(),
        Some(proxy.content_security_policy()),
        "Content-Security-Policy of the page"
    );
    assert_no_csp_violation(&browser, "the standalone page").await?;
    let badge_colour =
        computed_style(&browser, None, "[data-testid=status-badge]", "color").await?;
    assert_eq!(badge_colour, COMPLETED_GREEN, "standalone badge colour");
    let requests = task_requests(&proxy, DEMO_COMPLETED_TASK_ID);
    assert!(!requests.is_empty(), "no task request reached the proxy");
    assert!(
        requests.iter().all(|request| request.api_key.is_none()),
        "the page sent a key through the proxy: {requests:?}"
    );

    // The portal's `GET /sim/tasks` gets a 404 from the proxy, so it uses
    // the ids from its address and sends no key.
    browser
        .goto(&proxy.url(
            "/portal/",
            &[
                ("shared", DEMO_COMPLETED_TASK_ID),
                ("other", DEMO_PENDING_TASK_ID),
            ],
        ))
        .await?;
    for host in ["#element-one", "#element-two"] {
        browser
            .wait_for_shadow_widget(host, "COMPLETED", |snapshot| {
                snapshot.is_stopped_at("COMPLETED")
            })
            .await?;
    }
    let mounted = "#mounted > task-status";
    browser
        .wait_for_shadow_widget(mounted, "PENDING", |snapshot| {
            snapshot.status.as_deref() == Some("PENDING")
        })
        .await?;

    assert_eq!(
        page_policy(&browser).await?.as_deref(),
        Some(proxy.content_security_policy()),
        "Content-Security-Policy of the portal"
    );
    assert_no_csp_violation(&browser, "the portal").await?;
    // The badge takes its colours from the shadow root's <style>, which
    // the policy allows by hash. Blocked, the badge would inherit the
    // portal's text colour on no background.
    let badge = "[data-testid=status-badge]";
    let element_colour = computed_style(&browser, Some("#element-one"), badge, "color").await?;
    assert_eq!(element_colour, COMPLETED_GREEN, "element-one badge colour");
    let element_background =
        computed_style(&browser, Some("#element-one"), badge, "background-color").await?;
    assert_ne!(
        element_background, "rgba(0, 0, 0, 0)",
        "element-one badge background"
    );
    let mounted_colour = computed_style(&browser, Some(mounted), badge, "color").await?;
    assert_eq!(mounted_colour, PORTAL_PURPLE, "restyled badge colour");

    // An inline style that the policy does not allow must be reported, or
    // the empty reports above prove nothing.
    browser
        .execute(
            "const style = document.createElement('style'); \
             style.textContent = 'body { outline: 1px solid red; }'; \
             document.head.append(style);",
            Vec::new(),
        )
        .await?;
    let reported = wait_for(
        "the injected style's CSP report",
        WAIT_TIMEOUT,
        async || {
            let violations = browser.csp_violations().await?;
            if violations.is_empty() {
                Ok(Check::NotYet("no report".to_owned()))
            } else {
                Ok(Check::Met(violations))
            }
        },
    )
    .await?;
    assert_eq!(reported[0].directive, "style-src-elem");

    let keys = upstream.received_api_keys();
    assert!(!keys.is_empty(), "no request reached the simulator");
    assert!(
        keys.iter().all(|values| values == &[UPSTREAM_KEY]),
        "key headers received upstream: {keys:?}"
    );
    Ok(())
}

#[tokio::test]
async fn proxy_upstream_down_widget_recovers() -> Result<()> {
    let upstream = UpstreamSimulator::start(upstream_config()).await?;
    let port = upstream.address().port();
    let task_id = "outage-task";
    let task_body = json!({
        "taskId": task_id,
        "pendingMs": LONG_PENDING.as_millis() as u64,
    });
    upstream.create_task(&task_body).await?;
    let proxy = ProxyServer::start(&upstream.base_url(), UPSTREAM_KEY, &dist_dir()?).await?;
    let browser = Browser::start().await?;
    browser
        .goto(&proxy.url("/", &[("taskId", task_id)]))
        .await?;
    browser
        .wait_for_widget("PENDING with no error", |snapshot| {
            snapshot.status.as_deref() == Some("PENDING") && snapshot.error.is_none()
        })
        .await?;

    upstream.stop().await?;
    let stopped_at = Instant::now();
    let down = browser
        .wait_for_widget("the upstream error", |snapshot| snapshot.error.is_some())
        .await?;
    assert_eq!(down.error.as_deref(), Some(UPSTREAM_ERROR_MESSAGE));
    assert_eq!(
        down.status.as_deref(),
        Some("PENDING"),
        "status kept on screen"
    );
    assert_eq!(down.task_id.as_deref(), Some(task_id));

    // Watch the widget through the outage: it keeps the task and one error.
    let hold_until = Instant::now() + OUTAGE_HOLD;
    let mut outage_snapshots = Vec::new();
    let mut stale_texts = Vec::new();
    while Instant::now() < hold_until {
        outage_snapshots.push(browser.widget().await?);
        stale_texts.push(browser.text("stale").await?);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for snapshot in &outage_snapshots {
        assert_eq!(
            snapshot.status.as_deref(),
            Some("PENDING"),
            "during the outage: {snapshot}"
        );
        assert_eq!(
            snapshot.error.as_deref(),
            Some(UPSTREAM_ERROR_MESSAGE),
            "during the outage: {snapshot}"
        );
    }
    for stale in &stale_texts {
        assert!(
            stale
                .as_deref()
                .is_some_and(|text| text.starts_with("Last updated")),
            "stale line during the outage: {stale:?}"
        );
    }

    let restarted = UpstreamSimulator::start_on(port, upstream_config()).await?;
    let restarted_at = Instant::now();
    restarted.create_task(&task_body).await?;

    let outage: Vec<ProxyRequest> = task_requests(&proxy, task_id)
        .into_iter()
        .filter(|request| request.arrived >= stopped_at && request.arrived < restarted_at)
        .collect();
    let statuses: Vec<u16> = outage.iter().map(|request| request.status).collect();
    assert!(
        outage.iter().any(|request| request.status == 502),
        "no 502 during the outage: {statuses:?}"
    );
    let failed: Vec<&ProxyRequest> = outage
        .iter()
        .skip_while(|request| request.status != 502)
        .collect();
    assert!(
        failed.iter().all(|request| request.status == 502),
        "statuses during the outage: {statuses:?}"
    );
    assert!(
        failed.len() <= MAX_OUTAGE_REQUESTS,
        "{} requests in {:?} of outage: {statuses:?}",
        failed.len(),
        restarted_at - failed[0].arrived
    );
    let gaps: Vec<Duration> = failed
        .windows(2)
        .map(|pair| pair[1].arrived - pair[0].arrived)
        .collect();
    assert!(
        gaps.iter().all(|gap| *gap >= MIN_RETRY_GAP),
        "a retry came sooner than {MIN_RETRY_GAP:?} after the previous request: {gaps:?}"
    );

    let recovered = wait_for(
        "the widget to recover after the restart",
        RECOVERY_TIMEOUT,
        async || {
            let snapshot = browser.widget().await?;
            if snapshot.error.is_none() && snapshot.status.as_deref() == Some("PENDING") {
                Ok(Check::Met(snapshot))
            } else {
                Ok(Check::NotYet(snapshot.to_string()))
            }
        },
    )
    .await?;
    assert_eq!(recovered.polling.as_deref(), Some("active"));
    assert_eq!(recovered.task_id.as_deref(), Some(task_id));
    assert_eq!(
        browser.text("stale").await?,
        None,
        "stale line after the recovery"
    );
    let keys = restarted.received_api_keys();
    assert!(
        keys.iter().all(|values| values == &[UPSTREAM_KEY]),
        "key headers received by the restarted simulator: {keys:?}"
    );
    assert!(
        !keys.is_empty(),
        "the widget recovered without any request to the restarted simulator"
    );
    Ok(())
}

#[tokio::test]
async fn proxy_browser_key_never_upstream() -> Result<()> {
    let upstream = UpstreamSimulator::start(upstream_config()).await?;
    let proxy = ProxyServer::start(&upstream.base_url(), UPSTREAM_KEY, &dist_dir()?).await?;
    let browser = Browser::start().await?;
    browser.goto(&proxy.url("/", &[])).await?;

    browser
        .fill("task-id-input", DEMO_COMPLETED_TASK_ID)
        .await?;
    browser.fill("api-key-input", BROWSER_KEY).await?;
    browser.click("watch-button").await?;
    let last = browser
        .wait_for_widget("COMPLETED with polling stopped", |snapshot| {
            snapshot.is_stopped_at("COMPLETED")
        })
        .await?;

    assert_eq!(last.error, None);
    assert_eq!(last.task_id.as_deref(), Some(DEMO_COMPLETED_TASK_ID));
    // The browser did send its key to the proxy ...
    let sent: Vec<Option<String>> = task_requests(&proxy, DEMO_COMPLETED_TASK_ID)
        .into_iter()
        .map(|request| request.api_key)
        .collect();
    assert!(!sent.is_empty(), "no task request reached the proxy");
    assert!(
        sent.iter().all(|key| key.as_deref() == Some(BROWSER_KEY)),
        "keys that the browser sent to the proxy: {sent:?}"
    );
    // ... and the simulator received only the proxy's own.
    let received = upstream.received_api_keys();
    assert!(!received.is_empty(), "no request reached the simulator");
    assert!(
        received.iter().all(|values| values == &[UPSTREAM_KEY]),
        "key headers received upstream: {received:?}"
    );
    Ok(())
}
