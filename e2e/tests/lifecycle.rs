//! The standalone page in headless Chromium against the task simulator:
//! status transitions, terminal states, rejected requests, an id switch in
//! the form, and the French texts.
//!
//! Each test starts its own simulator and browser. Waits poll the DOM every
//! 100 ms, so the fixed sleeps here are the quiet periods that prove that no
//! request follows a terminal state.

use std::time::{Duration, Instant};

use e2e::{page_config, wait_for, Check, Harness, Result, Simulator, WidgetSnapshot, WAIT_TIMEOUT};
use serde_json::json;
use task_status_server::Config;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Time between the end of one request of the widget and the start of the
/// next, the widget's default.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Time during which no request may follow a terminal state: three polling
/// intervals.
const QUIET_PERIOD: Duration = Duration::from_secs(6);

/// Deadline of the whole lifecycle in `lifecycle_pending_to_completed`,
/// where the task ends 6 s after the push service resumes.
const LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(60);

const NOT_FOUND_MESSAGE: &str = "Task not found. Polling stopped.";
const REJECTED_KEY_MESSAGE: &str = "The API key was rejected. Polling stopped.";

/// Reads the task's request count, waits [`QUIET_PERIOD`], and asserts that
/// the count did not change. Returns the count.
async fn assert_no_request_follows(sim: &Simulator, task_id: &str) -> Result<u64> {
    let before = sim.task_requests(task_id).await?;
    tokio::time::sleep(QUIET_PERIOD).await;
    let after = sim.task_requests(task_id).await?;

    assert_eq!(
        after.count, before.count,
        "requests for {task_id:?} went on after polling stopped; log: {:?}",
        after.requests
    );
    Ok(after.count)
}

/// Returns the non-empty `data-status` values in the order seen, each run of
/// equal values kept once.
fn distinct_statuses(seen: &[WidgetSnapshot]) -> Vec<String> {
    let mut statuses: Vec<String> = seen
        .iter()
        .filter_map(|snapshot| snapshot.status.clone())
        .filter(|status| !status.is_empty())
        .collect();
    statuses.dedup();
    statuses
}

/// Parses a date of the API, such as `2024-12-09T14:14:17.574+0000`.
fn parse_api_date(text: &str) -> OffsetDateTime {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::parse(text, format)
        .unwrap_or_else(|error| panic!("the API date {text:?} is invalid: {error}"))
}

/// Parses the `datetime` attribute of one of the widget's `<time>` elements.
fn parse_datetime(name: &str, value: Option<&str>) -> OffsetDateTime {
    let Some(value) = value else {
        panic!("{name} has no <time datetime>");
    };
    OffsetDateTime::parse(value, &Rfc3339)
        .unwrap_or_else(|error| panic!("{name} datetime {value:?} is not RFC 3339: {error}"))
}

/// Waits until the simulator reports the task as `status`.
async fn wait_for_task_status(sim: &Simulator, task_id: &str, status: &str) -> Result<()> {
    let condition = format!("task {task_id} to be {status} on the simulator");
    wait_for(&condition, WAIT_TIMEOUT, async || {
        match sim.task_status(task_id).await? {
            Some(current) if current == status => Ok(Check::Met(())),
            other => Ok(Check::NotYet(format!("{other:?}"))),
        }
    })
    .await
}

#[tokio::test]
async fn lifecycle_pending_to_completed() -> Result<()> {
    let harness = Harness::start().await?;
    let sim = &harness.sim;
    // A task created while the push service is paused stays PENDING until
    // it resumes, so the first response is PENDING however slowly the page
    // loads on a busy machine. The service resumes once the widget has asked.
    sim.pause_push().await?;
    let task = sim
        .create_task(&json!({ "nbItems": 20, "pendingMs": 1000, "itemsPerSecond": 4 }))
        .await?;
    let opened = Instant::now();
    harness.open(&[("taskId", &task.task_id)]).await?;

    let resume = async {
        for _ in 0..300 {
            if sim.request_count(&task.task_id).await? >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Give the page time to draw PENDING before the task moves on.
        tokio::time::sleep(Duration::from_millis(500)).await;
        sim.resume_push().await
    };
    let watch = harness.browser.watch_widget_until(
        "COMPLETED with polling stopped",
        LIFECYCLE_TIMEOUT,
        |snapshot| snapshot.is_stopped_at("COMPLETED"),
    );
    let (seen, resumed) = tokio::join!(watch, resume);
    resumed?;
    let seen = seen?;
    harness.browser.screenshot("lifecycle-completed").await?;

    assert_eq!(
        distinct_statuses(&seen),
        ["PENDING", "IN_PROGRESS", "COMPLETED"],
        "data-status values in the order seen"
    );
    let in_progress_values: Vec<f64> = seen
        .iter()
        .filter(|snapshot| snapshot.status.as_deref() == Some("IN_PROGRESS"))
        .filter_map(WidgetSnapshot::value_now_number)
        .collect();
    assert!(
        in_progress_values.iter().any(|value| *value > 0.0 && *value < 100.0),
        "no aria-valuenow strictly between 0 and 100 while IN_PROGRESS; seen {in_progress_values:?}"
    );

    let last = seen
        .last()
        .expect("the watch returns the snapshot that met the condition");
    assert_eq!(
        last.value_now.as_deref(),
        Some("100"),
        "aria-valuenow at the end"
    );
    assert_eq!(last.progress_percent.as_deref(), Some("100%"));
    assert_eq!(last.progress_text.as_deref(), Some("20 of 20 items"));
    assert_eq!(last.value_text.as_deref(), Some("20 of 20 items, 100%"));
    assert_eq!(last.badge_text.as_deref(), Some("Completed"));
    assert_eq!(last.polling.as_deref(), Some("stopped"));
    let browser = &harness.browser;
    let role = browser.attribute("progress", "role").await?;
    assert_eq!(role.as_deref(), Some("progressbar"));
    let value_min = browser.attribute("progress", "aria-valuemin").await?;
    assert_eq!(value_min.as_deref(), Some("0"));
    let value_max = browser.attribute("progress", "aria-valuemax").await?;
    assert_eq!(value_max.as_deref(), Some("100"));

    let created_at = parse_datetime("created-at", last.created_at.as_deref());
    assert_eq!(
        created_at,
        parse_api_date(&task.created_at),
        "created-at against the API's createdAt"
    );
    let completed_at = parse_datetime("completed-at", last.completed_at.as_deref());
    // The task ends 1 s pending plus 20 items at 4 a second after the push
    // service resumed, which was after its creation.
    let took = completed_at - created_at;
    assert!(
        took >= time::Duration::seconds(6),
        "completed-at minus created-at is {took}"
    );
    assert!(
        took <= time::Duration::seconds_f64(opened.elapsed().as_secs_f64() + 1.0),
        "completed-at minus created-at is {took}, longer than the test"
    );

    let count = sim.request_count(&task.task_id).await?;
    let elapsed = opened.elapsed();
    let max_plausible = elapsed.as_secs_f64() / POLL_INTERVAL.as_secs_f64() + 3.0;
    assert!(
        count as f64 <= max_plausible,
        "{count} requests in {elapsed:?} is more than one per {POLL_INTERVAL:?} allows"
    );
    assert!(
        count >= 3,
        "{count} requests cannot have shown three statuses"
    );
    assert_no_request_follows(sim, &task.task_id).await?;
    Ok(())
}

#[tokio::test]
async fn unknown_id_stops_after_404() -> Result<()> {
    let harness = Harness::start().await?;
    let task_id = "no-such-task";
    harness.open(&[("taskId", task_id)]).await?;

    let last = harness
        .browser
        .wait_for_widget("polling stopped", |snapshot| {
            snapshot.polling.as_deref() == Some("stopped")
        })
        .await?;

    assert_eq!(last.error.as_deref(), Some(NOT_FOUND_MESSAGE));
    let requests = harness.sim.task_requests(task_id).await?;
    assert_eq!(
        requests.count, 1,
        "requests for an unknown id; log: {:?}",
        requests.requests
    );
    assert_eq!(requests.requests[0].status, Some(404));
    assert_no_request_follows(&harness.sim, task_id).await?;
    Ok(())
}

#[tokio::test]
async fn rejected_key_stops_after_401() -> Result<()> {
    let secret = "secret-key";
    // With a key other than the demo key, the simulator does not hand the
    // key to the page, so the widget sends no key.
    let config = Config {
        api_key: secret.to_owned(),
        ..page_config()?
    };
    let harness = Harness::start_with(config).await?;
    let browser = &harness.browser;
    let task = harness
        .sim
        .create_task(&json!({ "pendingMs": 3_600_000 }))
        .await?;
    harness.open(&[("taskId", &task.task_id)]).await?;

    let last = browser
        .wait_for_widget("polling stopped", |snapshot| {
            snapshot.polling.as_deref() == Some("stopped")
        })
        .await?;

    assert_eq!(last.error.as_deref(), Some(REJECTED_KEY_MESSAGE));
    let requests = harness.sim.task_requests(&task.task_id).await?;
    assert_eq!(
        requests.count, 1,
        "requests without a key; log: {:?}",
        requests.requests
    );
    assert_eq!(requests.requests[0].status, Some(401));
    assert_no_request_follows(&harness.sim, &task.task_id).await?;
    assert_eq!(
        browser.input_value("api-key-input").await?.as_deref(),
        Some("")
    );
    assert!(
        !browser.current_url().await?.contains(secret),
        "the secret is in the URL"
    );
    assert!(
        !browser.document_html().await?.contains(secret),
        "the secret is in the DOM"
    );

    // A key typed into the form makes the watch succeed, and neither the
    // address nor the DOM shows it.
    browser.fill("api-key-input", secret).await?;
    browser.click("watch-button").await?;
    browser
        .wait_for_widget("PENDING with the typed key", |snapshot| {
            snapshot.status.as_deref() == Some("PENDING")
        })
        .await?;
    let url = browser.current_url().await?;
    assert!(
        !url.contains(secret),
        "the typed secret is in the URL {url}"
    );
    assert!(
        !browser.document_html().await?.contains(secret),
        "the typed secret is in the DOM"
    );
    Ok(())
}

#[tokio::test]
async fn traversal_id_stays_one_segment() -> Result<()> {
    let harness = Harness::start().await?;
    let task_id = "../../admin";
    // page_url percent-encodes the value: ?taskId=..%2F..%2Fadmin
    harness.open(&[("taskId", task_id)]).await?;

    let last = harness
        .browser
        .wait_for_widget("polling stopped", |snapshot| {
            snapshot.polling.as_deref() == Some("stopped")
        })
        .await?;

    assert_eq!(last.error.as_deref(), Some(NOT_FOUND_MESSAGE));
    assert_eq!(last.task_id.as_deref(), Some(task_id));
    let requests = harness.sim.task_requests(task_id).await?;
    assert_eq!(
        requests.count, 1,
        "requests for the decoded id; log: {:?}",
        requests.requests
    );
    assert_eq!(requests.requests[0].status, Some(404));
    let summary = harness.sim.request_summary().await?;
    let escaped: Vec<&String> = summary
        .unmatched
        .iter()
        .filter(|path| path.contains("admin"))
        .collect();
    assert!(
        escaped.is_empty(),
        "requests left the task route: {escaped:?}"
    );
    Ok(())
}

#[tokio::test]
async fn canceled_task_stops_polling() -> Result<()> {
    let harness = Harness::start().await?;
    let sim = &harness.sim;
    let task = sim
        .create_task(&json!({ "nbItems": 1000, "pendingMs": 0, "itemsPerSecond": 1 }))
        .await?;
    harness.open(&[("taskId", &task.task_id)]).await?;
    harness
        .browser
        .wait_for_attribute("task-status", "data-status", "IN_PROGRESS")
        .await?;

    sim.pause_push().await?;
    let last = harness
        .browser
        .wait_for_widget("CANCELED with polling stopped", |snapshot| {
            snapshot.is_stopped_at("CANCELED")
        })
        .await?;
    harness.browser.screenshot("terminal-canceled").await?;

    assert_eq!(last.badge_status.as_deref(), Some("CANCELED"));
    assert_eq!(last.badge_text.as_deref(), Some("Canceled"));
    assert_no_request_follows(sim, &task.task_id).await?;
    sim.resume_push().await?;
    Ok(())
}

#[tokio::test]
async fn failed_task_stops_polling() -> Result<()> {
    let harness = Harness::start().await?;
    let sim = &harness.sim;
    let task = sim
        .create_task(&json!({ "nbItems": 1000, "pendingMs": 0, "itemsPerSecond": 1 }))
        .await?;
    harness.open(&[("taskId", &task.task_id)]).await?;
    harness
        .browser
        .wait_for_attribute("task-status", "data-status", "IN_PROGRESS")
        .await?;

    sim.fail_task(&task.task_id).await?;
    let last = harness
        .browser
        .wait_for_widget("FAILED with polling stopped", |snapshot| {
            snapshot.is_stopped_at("FAILED")
        })
        .await?;
    harness.browser.screenshot("terminal-failed").await?;

    assert_eq!(last.badge_status.as_deref(), Some("FAILED"));
    assert_eq!(last.badge_text.as_deref(), Some("Failed"));
    assert_no_request_follows(sim, &task.task_id).await?;
    Ok(())
}

#[tokio::test]
async fn form_switches_watched_task() -> Result<()> {
    let harness = Harness::start().await?;
    let sim = &harness.sim;
    let browser = &harness.browser;
    let pending = sim.create_task(&json!({ "pendingMs": 3_600_000 })).await?;
    let done = sim
        .create_task(&json!({ "nbItems": 5, "pendingMs": 0, "itemsPerSecond": 100 }))
        .await?;
    wait_for_task_status(sim, &done.task_id, "COMPLETED").await?;
    harness.open(&[("taskId", &pending.task_id)]).await?;
    browser
        .wait_for_attribute("task-status", "data-status", "PENDING")
        .await?;

    browser.fill("task-id-input", &done.task_id).await?;
    browser.click("watch-button").await?;
    let last = browser
        .wait_for_widget(
            "the second task, COMPLETED with polling stopped",
            |snapshot| {
                snapshot.task_id.as_deref() == Some(done.task_id.as_str())
                    && snapshot.is_stopped_at("COMPLETED")
            },
        )
        .await?;

    assert_eq!(last.value_now.as_deref(), Some("100"));
    assert_eq!(last.progress_percent.as_deref(), Some("100%"));
    assert_eq!(last.progress_text.as_deref(), Some("5 of 5 items"));
    let url = browser.current_url().await?;
    assert!(
        url.contains(&format!("taskId={}", done.task_id)),
        "the address {url} names the second task"
    );
    let done_requests = sim.task_requests(&done.task_id).await?;
    assert_eq!(
        done_requests.count, 1,
        "requests for a task that was already COMPLETED"
    );
    assert_no_request_follows(sim, &pending.task_id).await?;
    Ok(())
}

#[tokio::test]
async fn french_page_shows_no_english() -> Result<()> {
    let harness = Harness::start().await?;
    let task = harness
        .sim
        .create_task(&json!({ "nbItems": 5, "pendingMs": 0, "itemsPerSecond": 100 }))
        .await?;
    wait_for_task_status(&harness.sim, &task.task_id, "COMPLETED").await?;
    harness
        .open(&[("taskId", &task.task_id), ("lang", "fr")])
        .await?;

    let last = harness
        .browser
        .wait_for_widget("COMPLETED with polling stopped", |snapshot| {
            snapshot.is_stopped_at("COMPLETED")
        })
        .await?;
    harness.browser.screenshot("french-completed").await?;

    assert_eq!(last.badge_text.as_deref(), Some("Terminée"));
    assert_eq!(last.progress_text.as_deref(), Some("5 sur 5 éléments"));
    let widget_text = harness.browser.readable_text_of("task-status").await?;
    let page_text = harness.browser.readable_text().await?;
    for english in ["Completed", "items", "Created"] {
        assert!(
            !widget_text.contains(english),
            "the French widget shows {english:?}:\n{widget_text}"
        );
        assert!(
            !page_text.contains(english),
            "the French page shows {english:?}:\n{page_text}"
        );
    }
    Ok(())
}
