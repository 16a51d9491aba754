//! Browser tests of the widget, run by wasm-bindgen-test in headless Chromium.
//!
//! The view tests render fixed states. The polling tests talk to a real task
//! server whose address `cargo xtask test` passes at compile time in
//! `TASK_SERVER_URL`.

#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use task_status_widget::core::i18n::Lang;
use task_status_widget::core::policy::{Outcome, PollOptions, Watcher};
use task_status_widget::web::fetch::parse_task;
use task_status_widget::web::poller::live_counts;
use task_status_widget::{TaskStatus, TaskView};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

const ID: &str = "6753030831fe9826412bac5c";

/// A fresh element in the body for one test to mount into.
fn container() -> HtmlElement {
    let document = document();
    let element = document.create_element("div").expect("create a div");
    document
        .body()
        .expect("a body")
        .append_child(&element)
        .expect("append the div");
    element.unchecked_into()
}

fn find(root: &Element, test_id: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid={test_id}]"))
        .ok()
        .flatten()
}

fn text(root: &Element, test_id: &str) -> String {
    find(root, test_id)
        .and_then(|element| element.text_content())
        .unwrap_or_default()
}

fn attribute(root: &Element, test_id: &str, name: &str) -> Option<String> {
    find(root, test_id)?.get_attribute(name)
}

/// A watcher that has received `body` as a 200 response.
fn watcher_with(body: &str) -> Watcher {
    let mut watcher = Watcher::new(ID, PollOptions::default());
    watcher.start(0);
    let task = parse_task(body).expect("the test body is a task");
    watcher.on_outcome(Outcome::Task(task), 1_000, 0.5);
    watcher
}

/// Renders `body` in the view and returns the mounted root; the handle must stay alive.
async fn render(body: &str, lang: Lang) -> (HtmlElement, impl Drop) {
    let root = container();
    let watch = Signal::stored(Some(watcher_with(body)));
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <TaskView
                watch=watch
                rejected_id=Signal::stored(false)
                task_id=Signal::stored(ID.to_owned())
                lang=Signal::stored(lang)
            />
        }
    });
    leptos::task::tick().await;
    (root, handle)
}

fn counts(total: i64, remaining: i64, status: &str) -> String {
    format!(
        r#"{{"taskId":"{ID}","status":"{status}","nbItems":{total},"nbRemainingItems":{remaining}}}"#
    )
}

#[wasm_bindgen_test]
async fn view_counts_agree_everywhere() {
    // (total, remaining, status, expected percent); None means indeterminate.
    let cases = [
        (321, 12, "IN_PROGRESS", Some(96)),
        (0, 0, "IN_PROGRESS", None),
        (0, 0, "COMPLETED", Some(100)),
        (10, 12, "IN_PROGRESS", Some(0)),
        (10, -3, "IN_PROGRESS", Some(100)),
        (3, 1, "IN_PROGRESS", Some(66)),
    ];
    for (total, remaining, status, expected) in cases {
        let (root, _handle) = render(&counts(total, remaining, status), Lang::En).await;
        let case = format!("{total}, {remaining}, {status}");

        let now = attribute(&root, "progress", "aria-valuenow");
        assert_eq!(
            now,
            expected.map(|percent: u8| percent.to_string()),
            "aria-valuenow for {case}"
        );

        let shown = text(&root, "progress-percent");
        let shown_expected = expected
            .map(|percent| format!("{percent}%"))
            .unwrap_or_default();
        assert_eq!(shown, shown_expected, "percent text for {case}");

        let style = find(&root, "progress")
            .and_then(|bar| bar.first_element_child())
            .and_then(|fill| fill.get_attribute("style"))
            .unwrap_or_default();
        if let Some(percent) = expected {
            assert!(
                style.contains(&format!("width: {percent}%")),
                "bar width for {case}: {style}"
            );
        }
        assert!(
            !root.inner_html().contains("NaN"),
            "NaN on screen for {case}"
        );
        assert!(!shown.contains('-'), "negative percent for {case}");
    }
}

#[wasm_bindgen_test]
async fn view_unknown_status_is_neutral() {
    let body =
        r#"{"status":"PAUSED","type":"PUSH_FAILED_EVENTS","nbItems":10,"nbRemainingItems":4}"#;
    let (root, _handle) = render(body, Lang::En).await;
    assert_eq!(text(&root, "status-badge"), "Unknown (PAUSED)");
    assert_eq!(
        attribute(&root, "status-badge", "data-status").as_deref(),
        Some("PAUSED")
    );
    let class = attribute(&root, "status-badge", "class").unwrap_or_default();
    assert!(class.contains("tsw-badge--unknown"), "{class}");
    assert_eq!(
        attribute(&root, "progress", "aria-valuenow").as_deref(),
        Some("60")
    );
    assert_eq!(text(&root, "task-type"), "PUSH_FAILED_EVENTS");
}

#[wasm_bindgen_test]
async fn view_badge_has_text_and_icon() {
    for (status, words) in [
        ("PENDING", "Pending"),
        ("IN_PROGRESS", "In progress"),
        ("COMPLETED", "Completed"),
        ("CANCELED", "Canceled"),
        ("FAILED", "Failed"),
    ] {
        let (root, _handle) = render(&counts(10, 5, status), Lang::En).await;
        assert_eq!(text(&root, "status-badge"), words);
        let icon = find(&root, "status-badge")
            .and_then(|badge| badge.query_selector("svg").ok().flatten());
        assert!(icon.is_some(), "{status} badge has no icon");
        assert_eq!(
            attribute(&root, "task-status", "data-status").as_deref(),
            Some(status)
        );
    }
}

#[wasm_bindgen_test]
async fn view_dates_show_same_instant() {
    let body = format!(
        r#"{{"taskId":"{ID}","status":"COMPLETED","createdAt":"2024-12-09T14:14:17.574+0000",
        "completedAt":"2024-12-09T16:14:17.574+0200","nbItems":1,"nbRemainingItems":0}}"#
    );
    let (root, _handle) = render(&body, Lang::En).await;
    let created =
        find(&root, "created-at").and_then(|cell| cell.query_selector("time").ok().flatten());
    let completed =
        find(&root, "completed-at").and_then(|cell| cell.query_selector("time").ok().flatten());
    let created = created.and_then(|time| time.get_attribute("datetime"));
    let completed = completed.and_then(|time| time.get_attribute("datetime"));
    assert_eq!(created.as_deref(), Some("2024-12-09T14:14:17.574Z"));
    assert_eq!(completed, created);
    assert_eq!(text(&root, "created-at"), text(&root, "completed-at"));
}

#[wasm_bindgen_test]
async fn view_bad_date_shows_placeholder() {
    let body = format!(
        r#"{{"taskId":"{ID}","status":"IN_PROGRESS","createdAt":"not-a-date","nbItems":4,"nbRemainingItems":1}}"#
    );
    let (root, _handle) = render(&body, Lang::En).await;
    assert_eq!(text(&root, "created-at"), "invalid date");
    assert_eq!(text(&root, "progress-text"), "3 of 4 items");
    assert_eq!(text(&root, "status-badge"), "In progress");
}

#[wasm_bindgen_test]
async fn view_speaks_french() {
    let (root, _handle) = render(&counts(321, 81, "COMPLETED"), Lang::Fr).await;
    assert_eq!(text(&root, "status-badge"), "Terminée");
    assert_eq!(text(&root, "progress-text"), "240 sur 321 éléments");
    // Intl writes French percents with a no-break space (CLDR).
    assert_eq!(text(&root, "progress-percent"), "74\u{a0}%");
    assert_eq!(
        attribute(&root, "progress", "aria-label").as_deref(),
        Some("Progression de la tâche")
    );
}

#[wasm_bindgen_test]
async fn view_renders_id_as_text() {
    let root = container();
    let hostile = "<img src=x onerror=alert(1)>";
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <TaskView
                watch=Signal::stored(None)
                rejected_id=Signal::stored(false)
                task_id=Signal::stored(hostile.to_owned())
                lang=Signal::stored(Lang::En)
            />
        }
    });
    leptos::task::tick().await;
    assert_eq!(text(&root, "task-id"), hostile);
    assert!(root.query_selector("img").ok().flatten().is_none());
    drop(handle);
}

#[wasm_bindgen_test]
fn parse_task_rejects_non_tasks() {
    for body in [
        "<html><body>502 Bad Gateway</body></html>",
        "[]",
        "null",
        "\"task\"",
        "42",
        "{}",
        "",
    ] {
        assert!(parse_task(body).is_none(), "{body:?} was read as a task");
    }
}

// Polling against the real task server.

// A missing address fails only the tests that need the server, with a message
// saying how to run them, instead of stopping the whole file from compiling.
#[allow(clippy::option_env_unwrap)]
fn server_url() -> &'static str {
    option_env!("TASK_SERVER_URL").expect("TASK_SERVER_URL is set by `cargo xtask test`")
}

async fn http(method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
    let url = format!("{}{path}", server_url());
    let request = match method {
        "POST" => gloo_net::http::Request::post(&url)
            .header("content-type", "application/json")
            .body(body.unwrap_or("{}"))
            .expect("a request body"),
        _ => gloo_net::http::Request::get(&url)
            .build()
            .expect("a GET request"),
    };
    let response = request.send().await.expect("the task server answers");
    let text = response.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

async fn create_task(body: &str) -> String {
    let task = http("POST", "/sim/tasks", Some(body)).await;
    task["taskId"]
        .as_str()
        .expect("the simulator returns a taskId")
        .to_owned()
}

async fn request_count(task_id: &str) -> u64 {
    let log = http("GET", &format!("/sim/requests/{task_id}"), None).await;
    log["count"].as_u64().unwrap_or(0)
}

/// Waits up to `seconds` for `condition`, checking every 100 ms.
async fn wait_for(seconds: u32, mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..seconds * 10 {
        if condition() {
            return true;
        }
        TimeoutFuture::new(100).await;
    }
    condition()
}

fn mount_widget(task_id: RwSignal<String>) -> (HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <TaskStatus
                task_id=task_id
                base_url=server_url().to_owned()
                api_key="demo-key".to_owned()
                poll_interval_ms=300_u64
            />
        }
    });
    (root, handle)
}

#[wasm_bindgen_test]
async fn widget_follows_task_to_completion() {
    let id = create_task(r#"{"nbItems":6,"pendingMs":500,"itemsPerSecond":10}"#).await;
    let (root, _handle) = mount_widget(RwSignal::new(id.clone()));

    let done = wait_for(30, || {
        attribute(&root, "task-status", "data-status").as_deref() == Some("COMPLETED")
    })
    .await;
    assert!(done, "the task did not complete on screen");
    assert_eq!(
        attribute(&root, "progress", "aria-valuenow").as_deref(),
        Some("100")
    );
    assert_eq!(text(&root, "progress-text"), "6 of 6 items");
    let stopped = wait_for(5, || {
        attribute(&root, "task-status", "data-polling").as_deref() == Some("stopped")
    })
    .await;
    assert!(stopped, "polling still active after COMPLETED");

    let count = request_count(&id).await;
    TimeoutFuture::new(1_500).await;
    assert_eq!(
        request_count(&id).await,
        count,
        "a request followed the terminal state"
    );
}

#[wasm_bindgen_test]
async fn widget_unmount_stops_requests() {
    // A long pending task keeps the widget polling until it is unmounted.
    let id = create_task(r#"{"nbItems":6,"pendingMs":600000}"#).await;
    let (root, handle) = mount_widget(RwSignal::new(id.clone()));
    let seen = wait_for(10, || {
        attribute(&root, "task-status", "data-status").as_deref() == Some("PENDING")
    })
    .await;
    assert!(seen, "the pending task never showed");

    drop(handle);
    // Let a response in flight settle, then check that nothing else is sent.
    TimeoutFuture::new(600).await;
    let count = request_count(&id).await;
    TimeoutFuture::new(1_500).await;
    assert_eq!(
        request_count(&id).await,
        count,
        "a request followed the unmount"
    );
}

#[wasm_bindgen_test]
async fn widget_id_change_drops_old_task() {
    let slow = create_task(r#"{"nbItems":6,"pendingMs":600000}"#).await;
    let quick = create_task(r#"{"nbItems":3,"pendingMs":0,"itemsPerSecond":100}"#).await;
    let task_id = RwSignal::new(slow.clone());
    let (root, _handle) = mount_widget(task_id);
    let seen = wait_for(10, || {
        attribute(&root, "task-status", "data-status").as_deref() == Some("PENDING")
    })
    .await;
    assert!(seen, "the pending task never showed");

    task_id.set(quick.clone());
    let done = wait_for(10, || {
        attribute(&root, "task-status", "data-status").as_deref() == Some("COMPLETED")
    })
    .await;
    assert!(done, "the second task did not complete on screen");
    assert_eq!(text(&root, "task-id"), quick);

    TimeoutFuture::new(600).await;
    let count = request_count(&slow).await;
    TimeoutFuture::new(1_500).await;
    assert_eq!(
        request_count(&slow).await,
        count,
        "the old id is still polled"
    );
    assert_eq!(
        attribute(&root, "task-status", "data-status").as_deref(),
        Some("COMPLETED")
    );
}

#[wasm_bindgen_test]
async fn widget_stops_on_missing_task() {
    let id = "no-such-task-for-this-test";
    let before = request_count(id).await;
    let (root, _handle) = mount_widget(RwSignal::new(id.to_owned()));
    let shown = wait_for(10, || text(&root, "error").contains("Task not found")).await;
    assert!(shown, "no not-found message");
    TimeoutFuture::new(1_200).await;
    assert_eq!(request_count(id).await, before + 1);
}

fn dispatch_window_event(name: &str) {
    let event = web_sys::Event::new(name).expect("create an event");
    web_sys::window()
        .expect("a window")
        .dispatch_event(&event)
        .expect("dispatch the event");
}

#[wasm_bindgen_test]
async fn widget_many_mounts_leave_nothing() {
    let id = create_task(r#"{"nbItems":6,"pendingMs":600000}"#).await;
    let listeners_before = live_counts();
    let (_root, handle) = mount_widget(RwSignal::new(id.clone()));
    leptos::task::tick().await;
    TimeoutFuture::new(50).await;
    assert_eq!(
        live_counts(),
        (listeners_before.0 + 1, listeners_before.1 + 3),
        "a mounted widget owns one state and three page listeners"
    );
    drop(handle);
    assert_eq!(
        live_counts(),
        listeners_before,
        "the state or its listeners outlived the widget"
    );

    for _ in 0..100 {
        let (_root, handle) = mount_widget(RwSignal::new(id.clone()));
        leptos::task::tick().await;
        drop(handle);
    }
    TimeoutFuture::new(800).await;
    let count = request_count(&id).await;
    TimeoutFuture::new(1_500).await;
    assert_eq!(
        request_count(&id).await,
        count,
        "an unmounted widget still polls"
    );
    assert_eq!(
        live_counts(),
        listeners_before,
        "states or listeners leaked over 100 mounts"
    );
}

#[wasm_bindgen_test]
async fn widget_offline_waits_for_online() {
    let id = create_task(r#"{"nbItems":6,"pendingMs":600000}"#).await;
    let (root, _handle) = mount_widget(RwSignal::new(id.clone()));
    let seen = wait_for(10, || {
        attribute(&root, "task-status", "data-status").as_deref() == Some("PENDING")
    })
    .await;
    assert!(seen, "the pending task never showed");

    dispatch_window_event("offline");
    leptos::task::tick().await;
    assert!(
        text(&root, "error").starts_with("Offline."),
        "{}",
        text(&root, "error")
    );
    assert_eq!(
        attribute(&root, "task-status", "data-polling").as_deref(),
        Some("waiting")
    );
    // Let a request in flight settle, then nothing may be sent for a while.
    TimeoutFuture::new(600).await;
    let offline_count = request_count(&id).await;
    TimeoutFuture::new(1_500).await;
    assert_eq!(
        request_count(&id).await,
        offline_count,
        "a request went out while offline"
    );
    // The last good data stays on screen.
    assert_eq!(
        attribute(&root, "task-status", "data-status").as_deref(),
        Some("PENDING")
    );

    dispatch_window_event("online");
    TimeoutFuture::new(150).await;
    assert_eq!(
        request_count(&id).await,
        offline_count + 1,
        "no single request when back online"
    );
    let cleared = wait_for(5, || find(&root, "error").is_none()).await;
    assert!(cleared, "the offline message stayed");
}

// Scripted misbehaviour: the simulator responds to each request with the next
// step of a script (`POST /sim/tasks/{id}/script`).

async fn script(task_id: &str, steps: &str, then: &str) {
    let body = format!(r#"{{"steps":{steps},"then":"{then}"}}"#);
    let answer = http("POST", &format!("/sim/tasks/{task_id}/script"), Some(&body)).await;
    assert!(
        answer["steps"].is_u64(),
        "the script was rejected: {answer}"
    );
}

async fn request_log(task_id: &str) -> serde_json::Value {
    http("GET", &format!("/sim/requests/{task_id}"), None).await
}

/// Arrival times of the requests for `task_id`, in milliseconds.
async fn arrivals(task_id: &str) -> Vec<u64> {
    let log = request_log(task_id).await;
    let requests = log["requests"].as_array().cloned().unwrap_or_default();
    requests
        .iter()
        .filter_map(|request| request["atMs"].as_u64())
        .collect()
}

fn mount_with(
    task_id: RwSignal<String>,
    interval_ms: u64,
    timeout_ms: u64,
) -> (HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <TaskStatus
                task_id=task_id
                base_url=server_url().to_owned()
                api_key="demo-key".to_owned()
                poll_interval_ms=interval_ms
                request_timeout_ms=timeout_ms
            />
        }
    });
    (root, handle)
}

fn status_is(root: &Element, status: &str) -> bool {
    attribute(root, "task-status", "data-status").as_deref() == Some(status)
}

fn polling_is(root: &Element, phase: &str) -> bool {
    attribute(root, "task-status", "data-polling").as_deref() == Some(phase)
}

#[wasm_bindgen_test]
async fn scripted_lifecycle_stops_at_each_end() {
    for end in ["COMPLETED", "CANCELED", "FAILED"] {
        let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
        let steps = format!(
            r#"[{{"task":{{"status":"PENDING"}}}},{{"task":{{"status":"IN_PROGRESS","nbRemainingItems":5}}}},
            {{"task":{{"status":"{end}","nbRemainingItems":0}}}},{{"task":{{"status":"IN_PROGRESS"}}}}]"#
        );
        script(&id, &steps, "repeat-last").await;
        let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);

        let ended = wait_for(10, || status_is(&root, end)).await;
        assert!(ended, "{end} never showed");
        TimeoutFuture::new(1_000).await;
        assert_eq!(
            request_count(&id).await,
            3,
            "requests for a task ending {end}"
        );
        assert!(polling_is(&root, "stopped"), "polling after {end}");
    }
}

#[wasm_bindgen_test]
async fn scripted_unauthorized_stops_at_once() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    script(
        &id,
        r#"[{"status":401,"json":{"error":"unauthorized"}}]"#,
        "simulate",
    )
    .await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);
    let shown = wait_for(10, || {
        text(&root, "error").contains("The API key was rejected")
    })
    .await;
    assert!(shown, "no rejected key message: {}", text(&root, "error"));
    TimeoutFuture::new(1_000).await;
    assert_eq!(request_count(&id).await, 1);
}

#[wasm_bindgen_test]
async fn scripted_slow_answers_never_overlap() {
    // Each answer takes 1.4 s and the interval is 0.4 s: a request starts
    // 0.4 s after the previous one settled, so 6 s hold about 4 requests.
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    script(&id, r#"[{"delayMs":1400}]"#, "repeat-last").await;
    let (_root, handle) = mount_with(RwSignal::new(id.clone()), 400, 5_000);
    TimeoutFuture::new(6_000).await;
    drop(handle);

    let log = request_log(&id).await;
    assert_eq!(
        log["maxInFlight"].as_u64(),
        Some(1),
        "two requests were in flight: {log}"
    );
    let count = log["count"].as_u64().unwrap_or(0);
    assert!((3..=5).contains(&count), "{count} requests in 6 s");
}

#[wasm_bindgen_test]
async fn scripted_hang_is_aborted_and_retried() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    script(&id, r#"[{},{"hang":true}]"#, "simulate").await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 1_000);

    let timed_out = wait_for(10, || text(&root, "error").contains("timed out")).await;
    assert!(timed_out, "no timeout message: {}", text(&root, "error"));
    // The last good data stays on screen, marked with the time it arrived.
    assert!(status_is(&root, "PENDING"));
    assert!(
        text(&root, "stale").starts_with("Last updated"),
        "{}",
        text(&root, "stale")
    );

    let retried = wait_for(10, || find(&root, "error").is_none()).await;
    assert!(retried, "polling never recovered after the hang");
    assert!(request_count(&id).await >= 3);
    assert_eq!(request_log(&id).await["maxInFlight"].as_u64(), Some(1));
}

#[wasm_bindgen_test]
async fn scripted_switch_ignores_late_answer() {
    for late in [
        r#"{"delayMs":1500}"#,
        r#"{"delayMs":1500,"status":500,"json":{"error":"boom"}}"#,
    ] {
        let slow = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
        let quick = create_task(r#"{"nbItems":3,"pendingMs":0,"itemsPerSecond":100}"#).await;
        script(&slow, &format!("[{late}]"), "repeat-last").await;
        let task_id = RwSignal::new(slow.clone());
        let (root, _handle) = mount_with(task_id, 200, 5_000);

        // Switch while the first answer for the slow task is still on its way.
        TimeoutFuture::new(300).await;
        task_id.set(quick.clone());
        let done = wait_for(10, || status_is(&root, "COMPLETED")).await;
        assert!(done, "the quick task never completed on screen");
        TimeoutFuture::new(2_000).await;
        assert!(
            status_is(&root, "COMPLETED"),
            "the late answer {late} reached the screen"
        );
        assert!(
            find(&root, "error").is_none(),
            "the late answer {late} showed an error"
        );
        assert_eq!(
            attribute(&root, "progress", "aria-valuenow").as_deref(),
            Some("100")
        );
        assert!(polling_is(&root, "stopped"));
        assert_eq!(
            request_count(&slow).await,
            1,
            "the slow task was polled again"
        );
    }
}

#[wasm_bindgen_test]
async fn scripted_unknown_status_keeps_polling() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    let paused = r#"{"task":{"status":"PAUSED","type":"PUSH_FAILED_EVENTS","nbItems":10,"nbRemainingItems":4}}"#;
    script(&id, &format!("[{paused}]"), "repeat-last").await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);

    let shown = wait_for(10, || text(&root, "status-badge") == "Unknown (PAUSED)").await;
    assert!(shown, "badge: {}", text(&root, "status-badge"));
    assert_eq!(
        attribute(&root, "progress", "aria-valuenow").as_deref(),
        Some("60")
    );
    let before = request_count(&id).await;
    TimeoutFuture::new(1_000).await;
    assert!(
        request_count(&id).await > before,
        "polling stopped on an unknown status"
    );
}

#[wasm_bindgen_test]
async fn scripted_html_error_backs_off() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    let page = r#"{"status":502,"headers":{"Content-Type":"text/html"},"body":"<html><body><h1>502 Bad Gateway</h1><script>window.__injected = 1</script></body></html>"}"#;
    script(&id, &format!("[{page}]"), "repeat-last").await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);

    let shown = wait_for(10, || {
        text(&root, "error").starts_with("Server error (502), retrying.")
    })
    .await;
    assert!(shown, "error: {}", text(&root, "error"));
    assert!(
        !root.inner_html().contains("Bad Gateway"),
        "the HTML page was rendered"
    );
    assert!(
        text(&root, "next-try").starts_with("Next try"),
        "{}",
        text(&root, "next-try")
    );

    // Backoff: the gaps between requests grow instead of staying at 0.2 s.
    TimeoutFuture::new(4_000).await;
    let times = arrivals(&id).await;
    assert!(times.len() >= 3, "only {} requests", times.len());
    assert!(
        times.len() <= 8,
        "{} requests in about 4 s is not a backoff",
        times.len()
    );
}

#[wasm_bindgen_test]
async fn scripted_garbage_body_is_an_error() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    script(
        &id,
        r#"[{},{"headers":{"Content-Type":"application/json"},"body":"not json"}]"#,
        "repeat-last",
    )
    .await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);
    let shown = wait_for(10, || {
        text(&root, "error").contains("not a task (HTTP 200 OK)")
    })
    .await;
    assert!(shown, "error: {}", text(&root, "error"));
    assert!(
        status_is(&root, "PENDING"),
        "the last good task left the screen"
    );
}

#[wasm_bindgen_test]
async fn scripted_rate_limit_waits_retry_after() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    script(
        &id,
        r#"[{"status":429,"headers":{"Retry-After":"5"}}]"#,
        "simulate",
    )
    .await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);
    let shown = wait_for(5, || text(&root, "error").contains("Too many requests")).await;
    assert!(shown, "error: {}", text(&root, "error"));
    let recovered = wait_for(10, || status_is(&root, "PENDING")).await;
    assert!(recovered, "polling never resumed after the 429");

    let times = arrivals(&id).await;
    assert!(times.len() >= 2);
    let gap = times[1] - times[0];
    assert!(gap >= 5_000, "the retry came {gap} ms after the 429");
}

#[wasm_bindgen_test]
async fn scripted_unmount_in_flight_is_quiet() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    script(&id, r#"[{"delayMs":1000}]"#, "repeat-last").await;
    let errors_before = console_error_count();
    let (_root, handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);
    TimeoutFuture::new(300).await;
    assert_eq!(request_count(&id).await, 1);
    drop(handle);

    TimeoutFuture::new(2_000).await;
    assert_eq!(
        request_count(&id).await,
        1,
        "a request followed the unmount"
    );
    assert_eq!(
        console_error_count(),
        errors_before,
        "the unmount logged an error"
    );
}

#[wasm_bindgen_test]
async fn scripted_hidden_page_sends_nothing() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 1_000, 5_000);
    let seen = wait_for(10, || status_is(&root, "PENDING")).await;
    assert!(seen, "the pending task never showed");

    set_document_hidden(true);
    TimeoutFuture::new(400).await;
    let hidden_count = request_count(&id).await;
    assert!(polling_is(&root, "waiting"));
    // Several intervals pass while hidden.
    TimeoutFuture::new(3_500).await;
    assert_eq!(
        request_count(&id).await,
        hidden_count,
        "a request went out while hidden"
    );

    set_document_hidden(false);
    TimeoutFuture::new(150).await;
    assert_eq!(
        request_count(&id).await,
        hidden_count + 1,
        "not exactly one request on return"
    );
    // The next one follows at the normal pace, a second later.
    TimeoutFuture::new(600).await;
    assert_eq!(
        request_count(&id).await,
        hidden_count + 1,
        "a burst followed the return"
    );
}

/// Makes `document.hidden` report `hidden` and fires `visibilitychange`, as the
/// browser does when the tab changes. Headless Chromium has no tab to switch.
fn set_document_hidden(hidden: bool) {
    let script = format!(
        r#"Object.defineProperty(document, "hidden", {{ configurable: true, get: () => {hidden} }});
        document.dispatchEvent(new Event("visibilitychange"));"#
    );
    js_sys::eval(&script).expect("the visibility override runs");
}

/// Counts calls to `console.error` from now on, by wrapping it once.
fn console_error_count() -> f64 {
    let script = r#"
        (() => {
            if (window.__consoleErrors === undefined) {
                window.__consoleErrors = 0;
                const original = console.error.bind(console);
                console.error = (...args) => { window.__consoleErrors += 1; original(...args); };
            }
            return window.__consoleErrors;
        })()
    "#;
    js_sys::eval(script)
        .ok()
        .and_then(|count| count.as_f64())
        .expect("the counter runs")
}

#[wasm_bindgen_test]
async fn shared_id_costs_one_request_per_cycle() {
    let id = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    let other = create_task(r#"{"nbItems":10,"pendingMs":600000}"#).await;
    let (first, first_handle) = mount_with(RwSignal::new(id.clone()), 500, 5_000);
    let (second, _second_handle) = mount_with(RwSignal::new(id.clone()), 500, 5_000);
    let (_third, _third_handle) = mount_with(RwSignal::new(other.clone()), 500, 5_000);
    let both = wait_for(10, || {
        status_is(&first, "PENDING") && status_is(&second, "PENDING")
    })
    .await;
    assert!(both, "the two widgets on one id did not both show the task");

    TimeoutFuture::new(2_600).await;
    let shared = request_count(&id).await;
    let single = request_count(&other).await;
    assert!(
        shared <= single + 1,
        "two widgets on one id cost {shared} requests, one widget {single}"
    );

    // The second widget keeps polling once the first one is gone.
    drop(first_handle);
    TimeoutFuture::new(1_200).await;
    assert!(
        request_count(&id).await > shared,
        "the shared poller stopped with its first widget"
    );
}

// The custom element and the JavaScript API.

fn shadow_find(element: &Element, test_id: &str) -> Option<Element> {
    let shadow = element.shadow_root()?;
    shadow
        .query_selector(&format!("[data-testid={test_id}]"))
        .ok()
        .flatten()
}

fn shadow_attribute(element: &Element, test_id: &str, name: &str) -> Option<String> {
    shadow_find(element, test_id)?.get_attribute(name)
}

/// Records the widget events that reach `document`, as "name:status" strings.
fn record_events() -> std::rc::Rc<std::cell::RefCell<Vec<String>>> {
    use wasm_bindgen::closure::Closure;

    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    for name in ["task-status-change", "task-status-end", "task-status-error"] {
        let sink = std::rc::Rc::clone(&seen);
        let callback =
            Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
                let detail = event.detail();
                let status = js_sys::Reflect::get(&detail, &"status".into())
                    .ok()
                    .and_then(|status| status.as_string())
                    .unwrap_or_default();
                sink.borrow_mut()
                    .push(format!("{}:{status}", event.type_()));
            });
        document()
            .add_event_listener_with_callback(name, callback.as_ref().unchecked_ref())
            .expect("listen on the document");
        callback.forget();
    }
    seen
}

fn custom_element(task_id: &str) -> HtmlElement {
    task_status_widget::web::element::define_element(None);
    let element: HtmlElement = document()
        .create_element("task-status")
        .expect("create the element")
        .unchecked_into();
    element
        .set_attribute("task-id", task_id)
        .expect("set task-id");
    element
        .set_attribute("base-url", server_url())
        .expect("set base-url");
    element
        .set_attribute("poll-interval", "200")
        .expect("set poll-interval");
    js_sys::Reflect::set(&element, &"apiKey".into(), &"demo-key".into()).expect("set the key");
    element
}

#[wasm_bindgen_test]
async fn element_follows_task_and_fires_events() {
    let events = record_events();
    let id = create_task(r#"{"nbItems":4,"pendingMs":1500,"itemsPerSecond":20}"#).await;
    let element = custom_element(&id);
    document()
        .body()
        .expect("a body")
        .append_child(&element)
        .expect("append");

    let done = wait_for(15, || {
        shadow_attribute(&element, "task-status", "data-status").as_deref() == Some("COMPLETED")
    })
    .await;
    assert!(done, "the element never showed COMPLETED");
    assert_eq!(
        shadow_attribute(&element, "progress", "aria-valuenow").as_deref(),
        Some("100")
    );
    assert!(
        element.inner_html().is_empty(),
        "the widget leaked into the light DOM"
    );
    assert_eq!(element.get_attribute("api-key"), None);
    let key = js_sys::Reflect::get(&element, &"apiKey".into()).expect("read apiKey");
    assert!(key.is_undefined(), "the key can be read back");

    TimeoutFuture::new(500).await;
    let seen = events.borrow().clone();
    let ends: Vec<_> = seen
        .iter()
        .filter(|event| event.starts_with("task-status-end:"))
        .collect();
    assert_eq!(ends, ["task-status-end:COMPLETED"], "end events: {seen:?}");
    assert_eq!(
        seen.first().map(String::as_str),
        Some("task-status-change:PENDING"),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"task-status-change:COMPLETED".to_owned()),
        "{seen:?}"
    );
    element.remove();
}

#[wasm_bindgen_test]
async fn element_attribute_change_and_removal() {
    let first = create_task(r#"{"nbItems":4,"pendingMs":600000}"#).await;
    let second = create_task(r#"{"nbItems":4,"pendingMs":600000}"#).await;
    let element = custom_element(&first);
    document()
        .body()
        .expect("a body")
        .append_child(&element)
        .expect("append");
    let shown = wait_for(10, || {
        shadow_attribute(&element, "task-status", "data-status").as_deref() == Some("PENDING")
    })
    .await;
    assert!(shown, "the first task never showed");

    element
        .set_attribute("task-id", &second)
        .expect("change task-id");
    let switched = wait_for(10, || {
        shadow_find(&element, "task-id")
            .and_then(|cell| cell.text_content())
            .as_deref()
            == Some(second.as_str())
    })
    .await;
    assert!(switched, "the element did not follow its new task-id");
    TimeoutFuture::new(500).await;
    let first_count = request_count(&first).await;
    TimeoutFuture::new(800).await;
    assert_eq!(
        request_count(&first).await,
        first_count,
        "the old id is still polled"
    );

    element.remove();
    TimeoutFuture::new(500).await;
    let second_count = request_count(&second).await;
    TimeoutFuture::new(800).await;
    assert_eq!(
        request_count(&second).await,
        second_count,
        "a removed element still polls"
    );
    assert_eq!(
        live_counts(),
        (0, 0),
        "a removed element left a poller or listener"
    );

    // Added again, it starts a new watch.
    document()
        .body()
        .expect("a body")
        .append_child(&element)
        .expect("append again");
    TimeoutFuture::new(800).await;
    assert!(
        request_count(&second).await > second_count,
        "the element did not restart"
    );
    element.remove();
}

#[wasm_bindgen_test]
async fn mount_api_updates_and_unmounts() {
    let id = create_task(r#"{"nbItems":4,"pendingMs":600000}"#).await;
    let parent = container();
    let options = js_sys::Object::new();
    for (name, value) in [
        ("taskId", id.as_str()),
        ("baseUrl", server_url()),
        ("apiKey", "demo-key"),
    ] {
        js_sys::Reflect::set(&options, &name.into(), &value.into()).expect("set an option");
    }
    js_sys::Reflect::set(&options, &"pollInterval".into(), &200.into()).expect("set pollInterval");
    let handle =
        task_status_widget::web::element::mount(parent.clone(), options.into()).expect("mount");
    let element: Element = handle.element().into();
    let shown = wait_for(10, || {
        shadow_attribute(&element, "task-status", "data-status").as_deref() == Some("PENDING")
    })
    .await;
    assert!(shown, "the mounted widget never showed the task");

    let update = js_sys::Object::new();
    js_sys::Reflect::set(&update, &"layout".into(), &"compact".into()).expect("set layout");
    handle.update(update.into());
    leptos::task::tick().await;
    let class = shadow_attribute(&element, "task-status", "class").unwrap_or_default();
    assert!(class.contains("tsw--compact"), "{class}");

    handle.unmount();
    assert!(
        parent.first_element_child().is_none(),
        "the element is still in the page"
    );
    TimeoutFuture::new(500).await;
    let count = request_count(&id).await;
    TimeoutFuture::new(800).await;
    assert_eq!(
        request_count(&id).await,
        count,
        "an unmounted widget still polls"
    );
}

#[wasm_bindgen_test]
async fn view_numbers_use_intl() {
    let (root, _handle) = render(&counts(12_345, 2_345, "IN_PROGRESS"), Lang::En).await;
    assert_eq!(text(&root, "progress-text"), "10,000 of 12,345 items");
    let value_text = attribute(&root, "progress", "aria-valuetext");
    assert_eq!(value_text.as_deref(), Some("10,000 of 12,345 items, 81%"));

    let (root, _handle) = render(&counts(12_345, 2_345, "IN_PROGRESS"), Lang::Fr).await;
    assert_eq!(
        text(&root, "progress-text"),
        "10\u{202f}000 sur 12\u{202f}345 éléments"
    );
}

#[wasm_bindgen_test]
async fn view_completed_shows_duration() {
    let body = format!(
        r#"{{"taskId":"{ID}","status":"COMPLETED","createdAt":"2024-12-09T14:14:17.574+0000",
        "completedAt":"2024-12-09T14:19:20.574+0000","nbItems":1,"nbRemainingItems":0}}"#
    );
    let (root, _handle) = render(&body, Lang::En).await;
    assert_eq!(text(&root, "duration"), "5 min 3 sec");
    assert!(
        find(&root, "elapsed").is_none(),
        "a completed task shows an elapsed time"
    );
    assert!(
        find(&root, "pace").is_none(),
        "a completed task shows a pace"
    );
}

#[wasm_bindgen_test]
async fn view_running_shows_elapsed_and_updated() {
    let created = js_sys::Date::new(&(js_sys::Date::now() - 125_000.0).into());
    let created: String = created.to_iso_string().into();
    let body = format!(
        r#"{{"taskId":"{ID}","status":"IN_PROGRESS","createdAt":"{created}","nbItems":4,"nbRemainingItems":1}}"#
    );
    let (root, _handle) = render(&body, Lang::En).await;
    let elapsed = text(&root, "elapsed");
    assert!(elapsed.starts_with("2 min"), "{elapsed}");
    assert!(find(&root, "duration").is_none());
    // The fixed watcher received its task at 1 s after the epoch, so the
    // "Updated" line speaks of days, and it is there without any request.
    assert!(
        text(&root, "updated").starts_with("Updated"),
        "{}",
        text(&root, "updated")
    );
}

#[wasm_bindgen_test]
async fn view_announces_status_politely() {
    let (root, _handle) = render(&counts(4, 0, "COMPLETED"), Lang::En).await;
    let region = find(&root, "announcement").expect("a live region");
    assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));
    assert_eq!(region.text_content().as_deref(), Some("Task completed"));

    let (root, _handle) = render(&counts(4, 0, "COMPLETED"), Lang::Fr).await;
    assert_eq!(text(&root, "announcement"), "Tâche terminée");
}

#[wasm_bindgen_test]
async fn view_indeterminate_has_no_valuenow() {
    let (root, _handle) = render(&counts(0, 0, "IN_PROGRESS"), Lang::En).await;
    assert_eq!(attribute(&root, "progress", "aria-valuenow"), None);
    assert_eq!(attribute(&root, "progress", "aria-valuetext"), None);
}

#[wasm_bindgen_test]
async fn launcher_starts_and_watches_retry() {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <TaskStatus
                task_id=String::new()
                base_url=server_url().to_owned()
                api_key="demo-key".to_owned()
                poll_interval_ms=300_u64
                launcher=true
            />
        }
    });
    leptos::task::tick().await;
    assert!(find(&root, "launcher").is_some(), "no launcher");
    assert!(
        find(&root, "task-status").is_none(),
        "a widget shows without a task"
    );

    // A double click sends one request, so it creates one task.
    let crash_tasks_before = crash_task_count().await;
    let button: HtmlElement = find(&root, "launch-crashes")
        .expect("a crashes button")
        .unchecked_into();
    button.click();
    button.click();
    let started = wait_for(10, || {
        text(&root, "launch-message").starts_with("Retry started:")
    })
    .await;
    assert!(started, "message: {}", text(&root, "launch-message"));
    let watching = wait_for(10, || {
        find(&root, "task-status").is_some() && !text(&root, "task-id").is_empty()
    })
    .await;
    assert!(watching, "the new task is not watched");
    let new_id = text(&root, "task-id");
    assert_eq!(
        crash_task_count().await,
        crash_tasks_before + 1,
        "a double click started two tasks"
    );
    let shown = wait_for(10, || {
        attribute(&root, "task-status", "data-status").is_some_and(|status| !status.is_empty())
    })
    .await;
    assert!(shown, "the new task never showed a status");

    // A second retry of the same kind is refused while the first runs.
    button.click();
    let refused = wait_for(10, || {
        text(&root, "launch-message").contains("already running")
    })
    .await;
    assert!(refused, "message: {}", text(&root, "launch-message"));
    assert_eq!(
        text(&root, "task-id"),
        new_id,
        "the refused retry changed the watched task"
    );
    drop(handle);
}

/// Counts the simulator's tasks of type PUSH_FAILED_CRASHES.
async fn crash_task_count() -> usize {
    let listing = http("GET", "/sim/tasks", None).await;
    let tasks = listing["tasks"].as_array().cloned().unwrap_or_default();
    tasks
        .iter()
        .filter(|task| task["type"] == "PUSH_FAILED_CRASHES")
        .count()
}

#[wasm_bindgen_test]
async fn element_display_change_keeps_watch() {
    let id = create_task(r#"{"nbItems":2,"pendingMs":0,"itemsPerSecond":100}"#).await;
    TimeoutFuture::new(200).await;
    let element = custom_element(&id);
    document()
        .body()
        .expect("a body")
        .append_child(&element)
        .expect("append");
    let done = wait_for(10, || {
        shadow_attribute(&element, "task-status", "data-status").as_deref() == Some("COMPLETED")
    })
    .await;
    assert!(done, "the element never showed COMPLETED");
    let count = request_count(&id).await;

    // Display attributes, and setting the same task id again, must not restart the watch.
    for (name, value) in [
        ("theme", "dark"),
        ("layout", "compact"),
        ("lang", "fr"),
        ("task-id", id.as_str()),
    ] {
        element
            .set_attribute(name, value)
            .expect("set an attribute");
        leptos::task::tick().await;
        let status = shadow_attribute(&element, "task-status", "data-status");
        assert_eq!(status.as_deref(), Some("COMPLETED"), "after setting {name}");
    }
    js_sys::Reflect::set(&element, &"apiKey".into(), &"demo-key".into()).expect("set the same key");
    TimeoutFuture::new(600).await;
    assert_eq!(
        request_count(&id).await,
        count,
        "a display change sent a request"
    );
    assert_eq!(
        shadow_attribute(&element, "task-status", "data-theme").as_deref(),
        Some("dark")
    );
    element.remove();
}

#[wasm_bindgen_test]
fn parse_task_refuses_deep_nesting() {
    let deep = format!(
        r#"{{"taskId":"deep","status":{}{}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert!(
        parse_task(&deep).is_none(),
        "a deeply nested body was read as a task"
    );
    let shallow = r#"{"taskId":"ok","status":"PENDING","extra":[[[1]]]}"#;
    assert!(parse_task(shallow).is_some(), "a normal body was refused");
}

#[wasm_bindgen_test]
async fn scripted_redirect_is_not_followed() {
    let id = create_task(r#"{"nbItems":4,"pendingMs":600000}"#).await;
    let before = http("GET", "/sim/requests", None).await;
    let unmatched_before = before["unmatchedCount"].as_u64().unwrap_or(0);
    script(
        &id,
        r#"[{"status":307,"headers":{"Location":"/admin"}}]"#,
        "repeat-last",
    )
    .await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), 200, 5_000);

    let shown = wait_for(10, || text(&root, "error").starts_with("Network error")).await;
    assert!(shown, "error: {}", text(&root, "error"));
    let after = http("GET", "/sim/requests", None).await;
    let unmatched: Vec<String> = after["unmatched"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|path| path.as_str().map(str::to_owned))
        .collect();
    assert!(
        !unmatched.iter().any(|path| path.contains("admin")),
        "the redirect was followed: {unmatched:?}"
    );
    assert_eq!(
        after["unmatchedCount"].as_u64().unwrap_or(0),
        unmatched_before
    );
}

#[wasm_bindgen_test]
async fn huge_interval_does_not_spin() {
    let id = create_task(r#"{"nbItems":4,"pendingMs":600000}"#).await;
    let (root, _handle) = mount_with(RwSignal::new(id.clone()), u64::MAX, 5_000);
    let seen = wait_for(10, || status_is(&root, "PENDING")).await;
    assert!(seen, "the task never showed");
    TimeoutFuture::new(1_000).await;
    assert_eq!(
        request_count(&id).await,
        1,
        "a huge interval made the timer fire at once"
    );
}
