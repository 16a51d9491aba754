//! The example portal (`dist/portal/`) in headless Chromium against the task
//! simulator: two `<task-status>` elements on one task, a widget mounted
//! through the JavaScript API on another task and restyled by the portal,
//! and the page's log of the widgets' events.
//!
//! Each test starts its own simulator and browser. The widgets render inside
//! open shadow roots, so every read goes through `shadowRoot` of the host
//! element. The fixed sleeps are measurement windows and quiet periods.

use std::time::Duration;

use e2e::{encode_component, Browser, CreatedTask, Harness, Result, Simulator, WidgetSnapshot};
use serde::Deserialize;
use serde_json::{json, Value};

/// The first `<task-status>` element, on the `shared` task.
const ELEMENT_ONE: Widget = Widget {
    name: "element-one",
    host: "#element-one",
};

/// The second `<task-status>` element, on the `shared` task, compact.
const ELEMENT_TWO: Widget = Widget {
    name: "element-two",
    host: "#element-two",
};

/// The widget that portal.js mounts through `mount()`, on the `other` task.
const MOUNTED: Widget = Widget {
    name: "mounted",
    host: "#mounted > task-status",
};

const WIDGETS: [Widget; 3] = [ELEMENT_ONE, ELEMENT_TWO, MOUNTED];

/// A task that stays PENDING for the whole test.
const LONG_PENDING_MS: u64 = 600_000;

/// Time over which the test compares the request counts of the two task
/// ids, four polling intervals of 2 s (the widget's default).
const MEASURE_WINDOW: Duration = Duration::from_secs(8);

/// Time after a widget is removed for its last request to end.
const SETTLE_TIME: Duration = Duration::from_secs(1);

/// Time during which no request may arrive for an id that no widget
/// watches, three polling intervals.
const QUIET_PERIOD: Duration = Duration::from_secs(6);

/// Time after the last widget completes during which no second end event
/// may fire.
const AFTER_END_PERIOD: Duration = Duration::from_secs(5);

/// Time during which element-two alone must send at least one request for
/// the shared id, a little over two polling intervals.
const STILL_WATCHED_WINDOW: Duration = Duration::from_millis(4500);

/// Colour `#6b21a8`, which portal.css gives the restyled widget's badge and
/// bar, as computed styles report it.
const PORTAL_PURPLE: &str = "rgb(107, 33, 168)";

/// One of the portal's three widgets, named by its `data-widget` value and
/// found by the CSS selector of its `<task-status>` element.
#[derive(Debug, Clone, Copy)]
struct Widget {
    name: &'static str,
    host: &'static str,
}

/// One `<li>` of the portal's `#event-log`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct LoggedEvent {
    event: String,
    widget: String,
    status: String,
}

/// Reads every entry of `#event-log`, oldest first.
const EVENT_LOG_SCRIPT: &str = r#"
return [...document.getElementById("event-log").children].map((entry) => ({
  event: entry.dataset.event ?? "",
  widget: entry.dataset.widget ?? "",
  status: entry.dataset.status ?? "",
}));
"#;

/// Returns a computed style property of the first element that matches a
/// selector inside the shadow root of a host element, or `null`.
/// Arguments: the host selector, the inner selector, the property name.
const SHADOW_STYLE_SCRIPT: &str = r#"
const [host, selector, property] = arguments;
const element = document.querySelector(host)?.shadowRoot?.querySelector(selector);
return element ? getComputedStyle(element).getPropertyValue(property) : null;
"#;

/// Returns a computed style property of the first element of the document
/// that matches a selector, or `null`. Arguments: the selector, the property.
const LIGHT_STYLE_SCRIPT: &str = r#"
const [selector, property] = arguments;
const element = document.querySelector(selector);
return element ? getComputedStyle(element).getPropertyValue(property) : null;
"#;

/// Creates the `shared` and `other` tasks, opens the portal on them and
/// returns them.
async fn open_portal(
    harness: &Harness,
    shared: Value,
    other: Value,
) -> Result<(CreatedTask, CreatedTask)> {
    let shared = harness.sim.create_task(&shared).await?;
    let other = harness.sim.create_task(&other).await?;
    let url = format!(
        "{}/portal/?shared={}&other={}",
        harness.sim.base_url(),
        encode_component(&shared.task_id),
        encode_component(&other.task_id)
    );
    harness.browser.goto(&url).await?;
    Ok((shared, other))
}

/// Waits until the widget shows `status` and returns that snapshot.
async fn wait_for_status(
    browser: &Browser,
    widget: Widget,
    status: &str,
) -> Result<WidgetSnapshot> {
    browser
        .wait_for_shadow_widget(widget.host, status, |snapshot| {
            snapshot.status.as_deref() == Some(status)
        })
        .await
}

/// Waits until each of the three widgets shows `status`.
async fn wait_for_all(browser: &Browser, status: &str) -> Result<()> {
    for widget in WIDGETS {
        wait_for_status(browser, widget, status).await?;
    }
    Ok(())
}

async fn event_log(browser: &Browser) -> Result<Vec<LoggedEvent>> {
    let value = browser.execute(EVENT_LOG_SCRIPT, Vec::new()).await?;
    Ok(serde_json::from_value(value.clone())
        .unwrap_or_else(|error| panic!("the event log {value} is not a list of entries: {error}")))
}

/// Returns the computed `property` of `selector` inside the widget's shadow
/// root, failing the test when there is no such element.
async fn shadow_style(
    browser: &Browser,
    widget: Widget,
    selector: &str,
    property: &str,
) -> Result<String> {
    let value = browser
        .execute(
            SHADOW_STYLE_SCRIPT,
            vec![json!(widget.host), json!(selector), json!(property)],
        )
        .await?;
    let Some(style) = value.as_str() else {
        panic!("{} has no {selector} in its shadow root", widget.name);
    };
    Ok(style.to_owned())
}

async fn light_style(browser: &Browser, selector: &str, property: &str) -> Result<String> {
    let value = browser
        .execute(LIGHT_STYLE_SCRIPT, vec![json!(selector), json!(property)])
        .await?;
    let Some(style) = value.as_str() else {
        panic!("the portal has no {selector}");
    };
    Ok(style.to_owned())
}

/// Returns whether the widget's root (`[data-testid=task-status]`, inside
/// the shadow root) has the CSS class `class`.
async fn root_has_class(browser: &Browser, widget: Widget, class: &str) -> Result<bool> {
    let script = r#"
        const [host, name] = arguments;
        const root = document.querySelector(host)?.shadowRoot
            ?.querySelector('[data-testid="task-status"]');
        return root ? root.classList.contains(name) : null;
    "#;
    let value = browser
        .execute(script, vec![json!(widget.host), json!(class)])
        .await?;
    let Some(has_class) = value.as_bool() else {
        panic!(
            "{} has no [data-testid=task-status] in its shadow root",
            widget.name
        );
    };
    Ok(has_class)
}

/// Returns the number of child nodes of the widget's host element in the
/// light DOM, text nodes included.
async fn light_child_count(browser: &Browser, widget: Widget) -> Result<u64> {
    let value = browser
        .execute(
            "return document.querySelector(arguments[0])?.childNodes.length ?? null;",
            vec![json!(widget.host)],
        )
        .await?;
    let Some(count) = value.as_u64() else {
        panic!("the portal has no {}", widget.host);
    };
    Ok(count)
}

/// Removes the widget's host element from the page.
async fn remove_element(browser: &Browser, widget: Widget) -> Result<()> {
    let removed = browser
        .execute(
            r#"
            const element = document.querySelector(arguments[0]);
            element?.remove();
            return element !== null;
            "#,
            vec![json!(widget.host)],
        )
        .await?;
    assert_eq!(removed, json!(true), "{} to remove", widget.host);
    Ok(())
}

/// Returns the request count of each id after `SETTLE_TIME` and after
/// `QUIET_PERIOD` more, read at the same instants for every id.
async fn counts_over_quiet_period(sim: &Simulator, task_ids: &[&str]) -> Result<Vec<(u64, u64)>> {
    tokio::time::sleep(SETTLE_TIME).await;
    let mut before = Vec::new();
    for task_id in task_ids {
        before.push(sim.request_count(task_id).await?);
    }
    tokio::time::sleep(QUIET_PERIOD).await;
    let mut counts = Vec::new();
    for (task_id, before) in task_ids.iter().zip(before) {
        counts.push((before, sim.request_count(task_id).await?));
    }
    Ok(counts)
}

#[tokio::test]
async fn portal_shows_three_widgets() -> Result<()> {
    let harness = Harness::start().await?;
    let browser = &harness.browser;
    let (shared, other) = open_portal(
        &harness,
        json!({ "nbItems": 16, "pendingMs": 3000, "itemsPerSecond": 2 }),
        json!({ "nbItems": 10, "pendingMs": 2000, "itemsPerSecond": 2 }),
    )
    .await?;

    for widget in WIDGETS {
        let last = wait_for_status(browser, widget, "COMPLETED").await?;
        assert_eq!(
            last.value_now.as_deref(),
            Some("100"),
            "aria-valuenow of {} at COMPLETED",
            widget.name
        );
    }

    let watched = [
        (ELEMENT_ONE, &shared.task_id),
        (ELEMENT_TWO, &shared.task_id),
        (MOUNTED, &other.task_id),
    ];
    for (widget, task_id) in watched {
        let snapshot = browser.shadow_widget(widget.host).await?;
        assert_eq!(
            snapshot.task_id.as_deref(),
            Some(task_id.as_str()),
            "task id shown by {}",
            widget.name
        );
    }

    assert!(
        root_has_class(browser, ELEMENT_TWO, "tsw--compact").await?,
        "element-two has layout=compact but its root lacks tsw--compact"
    );
    assert!(
        !root_has_class(browser, ELEMENT_ONE, "tsw--compact").await?,
        "element-one has no layout attribute but its root has tsw--compact"
    );

    for widget in WIDGETS {
        assert_eq!(
            light_child_count(browser, widget).await?,
            0,
            "child nodes of {} in the light DOM",
            widget.host
        );
    }
    let light_roots = browser
        .execute(
            r#"return document.querySelectorAll('[data-testid="task-status"]').length;"#,
            Vec::new(),
        )
        .await?;
    assert_eq!(
        light_roots,
        json!(0),
        "[data-testid=task-status] elements outside the shadow roots"
    );
    Ok(())
}

#[tokio::test]
async fn portal_shared_pair_costs_one_request_per_cycle() -> Result<()> {
    let harness = Harness::start().await?;
    let sim = &harness.sim;
    let (shared, other) = open_portal(
        &harness,
        json!({ "pendingMs": LONG_PENDING_MS }),
        json!({ "pendingMs": LONG_PENDING_MS }),
    )
    .await?;
    wait_for_all(&harness.browser, "PENDING").await?;

    let shared_before = sim.request_count(&shared.task_id).await?;
    let other_before = sim.request_count(&other.task_id).await?;
    tokio::time::sleep(MEASURE_WINDOW).await;
    let shared_requests = sim.task_requests(&shared.task_id).await?;
    let other_after = sim.request_count(&other.task_id).await?;

    let shared_delta = shared_requests.count - shared_before;
    let other_delta = other_after - other_before;
    assert!(
        other_delta >= 3,
        "the mounted widget sent {other_delta} requests in {MEASURE_WINDOW:?}, \
         too few for polling every 2 s"
    );
    assert!(
        shared_delta <= other_delta + 1,
        "two widgets on one id sent {shared_delta} requests in {MEASURE_WINDOW:?}, \
         one widget sent {other_delta}; log: {:?}",
        shared_requests.requests
    );
    assert_eq!(
        shared_requests.max_in_flight, 1,
        "maximum requests in flight at once for the shared id"
    );
    Ok(())
}

#[tokio::test]
async fn portal_end_event_fires_once_per_widget() -> Result<()> {
    let harness = Harness::start().await?;
    let browser = &harness.browser;
    // Tasks created while the push service is paused stay PENDING until it
    // resumes, so each widget's first response is PENDING however slowly
    // the page loads.
    harness.sim.pause_push().await?;
    open_portal(
        &harness,
        json!({ "nbItems": 10, "pendingMs": 1000, "itemsPerSecond": 4 }),
        json!({ "nbItems": 6, "pendingMs": 1000, "itemsPerSecond": 3 }),
    )
    .await?;
    wait_for_all(browser, "PENDING").await?;
    harness.sim.resume_push().await?;

    for widget in WIDGETS {
        browser
            .wait_for_shadow_widget(widget.host, "COMPLETED with polling stopped", |snapshot| {
                snapshot.is_stopped_at("COMPLETED")
            })
            .await?;
    }
    tokio::time::sleep(AFTER_END_PERIOD).await;
    let log = event_log(browser).await?;

    for widget in WIDGETS {
        let ends: Vec<&LoggedEvent> = log
            .iter()
            .filter(|entry| entry.event == "task-status-end" && entry.widget == widget.name)
            .collect();
        assert_eq!(
            ends.len(),
            1,
            "task-status-end events of {}; log: {log:?}",
            widget.name
        );
        assert_eq!(
            ends[0].status, "COMPLETED",
            "status of the task-status-end event of {}",
            widget.name
        );

        let first_change = log
            .iter()
            .find(|entry| entry.event == "task-status-change" && entry.widget == widget.name);
        assert_eq!(
            first_change.map(|entry| entry.status.as_str()),
            Some("PENDING"),
            "status of the first task-status-change event of {}; log: {log:?}",
            widget.name
        );
    }
    Ok(())
}

#[tokio::test]
async fn portal_removed_element_stops_requests() -> Result<()> {
    let harness = Harness::start().await?;
    let browser = &harness.browser;
    let sim = &harness.sim;
    let (shared, other) = open_portal(
        &harness,
        json!({ "pendingMs": LONG_PENDING_MS }),
        json!({ "pendingMs": LONG_PENDING_MS }),
    )
    .await?;
    wait_for_all(browser, "PENDING").await?;

    // element-two still watches the shared id.
    remove_element(browser, ELEMENT_ONE).await?;
    let before = sim.request_count(&shared.task_id).await?;
    tokio::time::sleep(STILL_WATCHED_WINDOW).await;
    let after = sim.request_count(&shared.task_id).await?;
    assert!(
        after > before,
        "no request for the shared id in {STILL_WATCHED_WINDOW:?} after element-one \
         was removed, while element-two still watches it (count stayed {before})"
    );
    let element_two = browser.shadow_widget(ELEMENT_TWO.host).await?;
    assert_eq!(
        element_two.polling.as_deref(),
        Some("active"),
        "data-polling of element-two after element-one was removed"
    );

    remove_element(browser, ELEMENT_TWO).await?;
    let unmounted = browser
        .execute(
            r#"
            if (!window.portal) return false;
            window.portal.handle.unmount();
            return true;
            "#,
            Vec::new(),
        )
        .await?;
    assert_eq!(unmounted, json!(true), "window.portal is not set");
    let mounted_hosts = browser
        .execute(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(MOUNTED.host)],
        )
        .await?;
    assert_eq!(mounted_hosts, json!(0), "{} after unmount()", MOUNTED.host);

    let counts = counts_over_quiet_period(sim, &[&shared.task_id, &other.task_id]).await?;
    let (shared_before, shared_after) = counts[0];
    assert_eq!(
        shared_after, shared_before,
        "requests for the shared id after both elements were removed"
    );
    let (other_before, other_after) = counts[1];
    assert_eq!(
        other_after, other_before,
        "requests for the other id after handle.unmount()"
    );
    Ok(())
}

#[tokio::test]
async fn portal_restyled_widget_uses_portal_colours() -> Result<()> {
    let harness = Harness::start().await?;
    let browser = &harness.browser;
    open_portal(
        &harness,
        json!({ "nbItems": 12, "pendingMs": 0, "itemsPerSecond": 24 }),
        json!({ "nbItems": 8, "pendingMs": 0, "itemsPerSecond": 16 }),
    )
    .await?;
    wait_for_all(browser, "COMPLETED").await?;
    let badge = r#"[data-testid="status-badge"]"#;
    let bar_fill = r#"[part~="bar-fill"]"#;

    let mounted_badge_colour = shadow_style(browser, MOUNTED, badge, "color").await?;
    assert_eq!(mounted_badge_colour, PORTAL_PURPLE, "mounted badge colour");
    let mounted_bar_colour = shadow_style(browser, MOUNTED, bar_fill, "background-color").await?;
    assert_eq!(mounted_bar_colour, PORTAL_PURPLE, "mounted bar colour");
    let mounted_transform = shadow_style(browser, MOUNTED, badge, "text-transform").await?;
    assert_eq!(
        mounted_transform, "uppercase",
        "mounted badge text-transform"
    );

    let default_badge_colour = shadow_style(browser, ELEMENT_ONE, badge, "color").await?;
    assert_ne!(
        default_badge_colour, PORTAL_PURPLE,
        "element-one badge colour, outside .portal-restyled"
    );
    let default_transform = shadow_style(browser, ELEMENT_ONE, badge, "text-transform").await?;
    assert_eq!(
        default_transform, "none",
        "element-one badge text-transform, outside .portal-restyled"
    );

    // portal.css sets `div, span { letter-spacing: 0.08em }`. The selector
    // does not reach into a shadow root, but the value inherits through the
    // host unless the widget resets it. `#mounted` is such a div.
    let portal_spacing = light_style(browser, "#mounted", "letter-spacing").await?;
    assert_ne!(
        portal_spacing, "normal",
        "letter-spacing of #mounted, which the portal's div rule sets"
    );
    for widget in [ELEMENT_ONE, MOUNTED] {
        for selector in [r#"[data-testid="task-status"]"#, badge, ".tsw-head"] {
            let spacing = shadow_style(browser, widget, selector, "letter-spacing").await?;
            assert_eq!(
                spacing, "normal",
                "letter-spacing of {selector} in the shadow root of {}",
                widget.name
            );
        }
    }

    let path = browser.screenshot("portal").await?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}
