//! Task lifecycle through the HTTP routes, driven by a manual clock.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{json, Value};

fn ms(count: u64) -> Duration {
    Duration::from_millis(count)
}

/// Creates a task of 20 items that waits 1 s, then finishes 10 items a
/// second, so it completes 3 s after creation.
async fn create_standard_task(app: &TestApp, task_id: &str) {
    let body = json!({"taskId": task_id, "nbItems": 20, "pendingMs": 1000, "itemsPerSecond": 10.0});
    let response = app.create_task(body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
}

async fn task(app: &TestApp, task_id: &str) -> Value {
    app.get_task(task_id).await.json()
}

#[tokio::test]
async fn lifecycle_pending_until_pending_time_ends() {
    let app = TestApp::new();
    create_standard_task(&app, "life").await;

    let at_creation = task(&app, "life").await;
    app.advance(ms(999));
    let just_before_start = task(&app, "life").await;

    assert_eq!(at_creation["status"], "PENDING");
    assert_eq!(at_creation["nbRemainingItems"], 20);
    assert!(at_creation["completedAt"].is_null());
    assert_eq!(just_before_start["status"], "PENDING");
    assert_eq!(just_before_start["nbRemainingItems"], 20);
}

#[tokio::test]
async fn lifecycle_in_progress_remaining_falls() {
    let app = TestApp::new();
    create_standard_task(&app, "life").await;

    app.advance(ms(1000));
    let at_start = task(&app, "life").await;
    app.advance(ms(500));
    let half_second_in = task(&app, "life").await;
    app.advance(ms(1000));
    let one_and_half_seconds_in = task(&app, "life").await;

    assert_eq!(at_start["status"], "IN_PROGRESS");
    assert_eq!(at_start["nbRemainingItems"], 20);
    assert_eq!(half_second_in["status"], "IN_PROGRESS");
    assert_eq!(half_second_in["nbRemainingItems"], 15);
    assert_eq!(one_and_half_seconds_in["status"], "IN_PROGRESS");
    assert_eq!(one_and_half_seconds_in["nbRemainingItems"], 5);
    assert!(one_and_half_seconds_in["completedAt"].is_null());
}

#[tokio::test]
async fn lifecycle_completed_at_is_finish_instant() {
    let app = TestApp::new();
    create_standard_task(&app, "life").await;

    app.advance(ms(2999));
    let last_item_running = task(&app, "life").await;
    app.advance(ms(1));
    let at_finish = task(&app, "life").await;
    app.advance(Duration::from_secs(60));
    let a_minute_later = task(&app, "life").await;

    assert_eq!(last_item_running["status"], "IN_PROGRESS");
    assert_eq!(last_item_running["nbRemainingItems"], 1);
    assert_eq!(at_finish["status"], "COMPLETED");
    assert_eq!(at_finish["nbRemainingItems"], 0);
    assert_eq!(at_finish["completedAt"], "2024-12-09T14:14:20.574+0000");
    assert_eq!(a_minute_later["status"], "COMPLETED");
    assert_eq!(
        a_minute_later["completedAt"],
        "2024-12-09T14:14:20.574+0000"
    );
}

#[tokio::test]
async fn lifecycle_zero_items_completes_after_pending() {
    let app = TestApp::new();
    let body = json!({"taskId": "empty", "nbItems": 0, "pendingMs": 1000, "itemsPerSecond": 0.0});
    app.create_task(body).await;

    app.advance(ms(999));
    let before = task(&app, "empty").await;
    app.advance(ms(1));
    let after = task(&app, "empty").await;

    assert_eq!(before["status"], "PENDING");
    assert_eq!(after["status"], "COMPLETED");
    assert_eq!(after["nbRemainingItems"], 0);
    assert_eq!(after["completedAt"], "2024-12-09T14:14:18.574+0000");
}

#[tokio::test]
async fn lifecycle_zero_rate_never_completes() {
    let app = TestApp::new();
    let body = json!({"taskId": "stuck", "nbItems": 5, "pendingMs": 0, "itemsPerSecond": 0.0});
    app.create_task(body).await;

    app.advance(Duration::from_secs(10 * 3600));
    let later = task(&app, "stuck").await;

    assert_eq!(later["status"], "IN_PROGRESS");
    assert_eq!(later["nbRemainingItems"], 5);
}

#[tokio::test]
async fn pause_cancels_running_and_freezes_remaining() {
    let app = TestApp::new();
    create_standard_task(&app, "running").await;
    app.advance(ms(2000));

    let pause = app.post("/sim/push/pause").await;
    app.advance(Duration::from_secs(30));
    let canceled = task(&app, "running").await;

    assert_eq!(pause.status, StatusCode::OK);
    assert_eq!(pause.json(), json!({"paused": true}));
    assert_eq!(canceled["status"], "CANCELED");
    assert_eq!(canceled["nbRemainingItems"], 10);
    assert!(canceled["completedAt"].is_null());
}

#[tokio::test]
async fn pause_cancels_pending_task() {
    let app = TestApp::new();
    create_standard_task(&app, "waiting").await;

    app.post("/sim/push/pause").await;
    app.post("/sim/push/resume").await;
    app.advance(Duration::from_secs(30));
    let canceled = task(&app, "waiting").await;

    assert_eq!(canceled["status"], "CANCELED");
    assert_eq!(canceled["nbRemainingItems"], 20);
}

#[tokio::test]
async fn pause_leaves_completed_task() {
    let app = TestApp::new();
    create_standard_task(&app, "done").await;
    app.advance(ms(3000));

    app.post("/sim/push/pause").await;
    let after_pause = task(&app, "done").await;

    assert_eq!(after_pause["status"], "COMPLETED");
    assert_eq!(after_pause["completedAt"], "2024-12-09T14:14:20.574+0000");
}

#[tokio::test]
async fn paused_service_holds_new_task_until_resume() {
    let app = TestApp::new();
    app.post("/sim/push/pause").await;
    create_standard_task(&app, "held").await;

    app.advance(Duration::from_secs(60));
    let during_pause = task(&app, "held").await;
    let resume = app.post("/sim/push/resume").await;
    app.advance(ms(999));
    let before_start = task(&app, "held").await;
    app.advance(ms(1));
    let at_start = task(&app, "held").await;
    app.advance(ms(2000));
    let at_finish = task(&app, "held").await;

    assert_eq!(during_pause["status"], "PENDING");
    assert_eq!(during_pause["nbRemainingItems"], 20);
    assert_eq!(resume.json(), json!({"paused": false}));
    assert_eq!(before_start["status"], "PENDING");
    assert_eq!(at_start["status"], "IN_PROGRESS");
    assert_eq!(at_finish["status"], "COMPLETED");
    assert_eq!(at_finish["completedAt"], "2024-12-09T14:15:20.574+0000");
}

#[tokio::test]
async fn sim_tasks_lists_pause_state() {
    let app = TestApp::new();

    app.post("/sim/push/pause").await;
    let list = app.get("/sim/tasks").await.json();

    assert_eq!(list["paused"], true);
}

#[tokio::test]
async fn fail_route_freezes_running_task() {
    let app = TestApp::new();
    create_standard_task(&app, "doomed").await;
    app.advance(ms(1500));

    let response = app.post("/sim/tasks/doomed/fail").await;
    app.advance(Duration::from_secs(30));
    let later = task(&app, "doomed").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["status"], "FAILED");
    assert_eq!(later["status"], "FAILED");
    assert_eq!(later["nbRemainingItems"], 15);
    assert!(later["completedAt"].is_null());
}

#[tokio::test]
async fn fail_route_leaves_completed_task() {
    let app = TestApp::new();
    create_standard_task(&app, "done").await;
    app.advance(ms(3000));

    let response = app.post("/sim/tasks/done/fail").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["status"], "COMPLETED");
    assert_eq!(response.json()["nbRemainingItems"], 0);
}

#[tokio::test]
async fn fail_route_unknown_task_is_404() {
    let app = TestApp::new();

    let response = app.post("/sim/tasks/missing/fail").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "task_not_found");
}
