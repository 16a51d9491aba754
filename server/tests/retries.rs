//! Retry routes: created tasks, the one-running-retry-per-type rule and the
//! counts of failed items.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{TestApp, TestResponse};
use serde_json::json;
use task_status_server::{Config, DEMO_API_KEY};

const TRIPS: &str = "/v1/enterprise/push/trips/failed/retry";
const CRASHES: &str = "/v1/enterprise/push/crashes/failed/retry";

async fn retry(app: &TestApp, uri: &str) -> TestResponse {
    app.send(Method::POST, uri, Some(DEMO_API_KEY), None).await
}

fn is_task_id(text: &str) -> bool {
    text.len() == 24
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[tokio::test]
async fn trip_retry_returns_hex_id_and_items() {
    let app = TestApp::new();

    let response = retry(&app, TRIPS).await;
    let body = response.json();
    let task_id = body["taskId"].as_str().expect("taskId is a string");

    assert_eq!(response.status, StatusCode::OK);
    assert!(is_task_id(task_id), "taskId {task_id:?}");
    assert_eq!(body["nbItems"], 120);
    assert_eq!(body.as_object().map(|object| object.len()), Some(2));
}

#[tokio::test]
async fn trip_retry_task_is_pending_trips() {
    let app = TestApp::new();

    let body = retry(&app, TRIPS).await.json();
    let task_id = body["taskId"].as_str().expect("taskId is a string");
    let task = app.get_task(task_id).await.json();

    assert_eq!(task["type"], "PUSH_FAILED_TRIPS");
    assert_eq!(task["status"], "PENDING");
    assert_eq!(task["nbItems"], 120);
}

#[tokio::test]
async fn crash_retry_returns_crash_items() {
    let app = TestApp::new();

    let body = retry(&app, CRASHES).await.json();
    let task_id = body["taskId"].as_str().expect("taskId is a string");
    let task = app.get_task(task_id).await.json();

    assert_eq!(body["nbItems"], 40);
    assert_eq!(task["type"], "PUSH_FAILED_CRASHES");
}

#[tokio::test]
async fn retry_without_key_is_401() {
    let app = TestApp::new();

    let response = app.send(Method::POST, TRIPS, None, None).await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json()["error"], "unauthorized");
}

#[tokio::test]
async fn retry_same_type_while_running_is_409() {
    let app = TestApp::new();
    let first = retry(&app, TRIPS).await.json();
    app.advance(Duration::from_secs(5));

    let second = retry(&app, TRIPS).await;

    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.json()["error"], "task_already_running");
    assert!(second.json()["message"]
        .as_str()
        .is_some_and(|message| message.contains(first["taskId"].as_str().unwrap_or("?"))));
    assert_eq!(second.json()["taskId"], first["taskId"]);
}

#[tokio::test]
async fn retry_other_type_while_running_is_ok() {
    let app = TestApp::new();
    retry(&app, TRIPS).await;

    let crashes = retry(&app, CRASHES).await;

    assert_eq!(crashes.status, StatusCode::OK);
}

#[tokio::test]
async fn retry_same_type_after_completion_is_ok() {
    let app = TestApp::new();
    let first = retry(&app, TRIPS).await.json();
    let first_id = first["taskId"].as_str().expect("taskId is a string");

    // 3 s pending, then 120 items at 5 a second.
    app.advance(Duration::from_secs(27));
    let first_task = app.get_task(first_id).await.json();
    let second = retry(&app, TRIPS).await;

    assert_eq!(first_task["status"], "COMPLETED");
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.json()["nbItems"], 0);
    assert_ne!(second.json()["taskId"], first["taskId"]);
}

#[tokio::test]
async fn retry_after_cancel_takes_remaining_items() {
    let app = TestApp::new();
    retry(&app, TRIPS).await;

    // 3 s pending, then 10 s at 5 items a second leaves 70 of 120.
    app.advance(Duration::from_secs(13));
    app.post("/sim/push/pause").await;
    app.post("/sim/push/resume").await;
    let second = retry(&app, TRIPS).await;

    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.json()["nbItems"], 70);
}

#[tokio::test]
async fn retry_after_fail_takes_remaining_items() {
    let app = TestApp::new();
    let first = retry(&app, CRASHES).await.json();
    let first_id = first["taskId"].as_str().expect("taskId is a string");

    // 3 s pending, then 2 s at 5 items a second leaves 30 of 40.
    app.advance(Duration::from_secs(5));
    app.post(&format!("/sim/tasks/{first_id}/fail")).await;
    let second = retry(&app, CRASHES).await;

    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.json()["nbItems"], 30);
}

#[tokio::test]
async fn retry_ignores_running_demo_tasks() {
    let app = TestApp::with_config(Config::default());

    let trips = retry(&app, TRIPS).await;
    let crashes = retry(&app, CRASHES).await;

    assert_eq!(trips.status, StatusCode::OK);
    assert_eq!(crashes.status, StatusCode::OK);
}

#[tokio::test]
async fn retry_ignores_running_control_tasks() {
    let app = TestApp::new();
    app.create_task(json!({"type": "PUSH_FAILED_TRIPS"})).await;

    let trips = retry(&app, TRIPS).await;

    assert_eq!(trips.status, StatusCode::OK);
}

#[tokio::test]
async fn retry_uses_configured_counts() {
    let app = TestApp::with_config(Config {
        demo_tasks: false,
        failed_trips: 7,
        ..Config::default()
    });

    let trips = retry(&app, TRIPS).await;

    assert_eq!(trips.json()["nbItems"], 7);
}
