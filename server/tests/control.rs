//! Control routes under `/sim/tasks` and the seeded demo tasks.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;
use task_status_server::{
    Config, DEMO_CANCELED_TASK_ID, DEMO_COMPLETED_TASK_ID, DEMO_FAILED_TASK_ID, DEMO_LIVE_TASK_ID,
    DEMO_PENDING_TASK_ID, DEMO_SLOW_TASK_ID,
};

#[tokio::test]
async fn sim_tasks_index_lists_seeded_tasks_in_order() {
    let app = TestApp::with_config(Config::default());

    let list = app.get("/sim/tasks").await.json();
    let ids: Vec<&str> = list["tasks"]
        .as_array()
        .expect("tasks is an array")
        .iter()
        .filter_map(|task| task["taskId"].as_str())
        .collect();

    assert_eq!(
        ids,
        [
            DEMO_LIVE_TASK_ID,
            DEMO_PENDING_TASK_ID,
            DEMO_SLOW_TASK_ID,
            DEMO_COMPLETED_TASK_ID,
            DEMO_CANCELED_TASK_ID,
            DEMO_FAILED_TASK_ID
        ]
    );
}

#[tokio::test]
async fn sim_tasks_index_seeded_statuses() {
    let app = TestApp::with_config(Config::default());

    let list = app.get("/sim/tasks").await.json();
    let statuses: Vec<&str> = list["tasks"]
        .as_array()
        .expect("tasks is an array")
        .iter()
        .filter_map(|task| task["status"].as_str())
        .collect();

    assert_eq!(
        statuses,
        [
            "PENDING",
            "PENDING",
            "IN_PROGRESS",
            "COMPLETED",
            "CANCELED",
            "FAILED"
        ]
    );
}

#[tokio::test]
async fn sim_tasks_index_labels_live_task() {
    let app = TestApp::with_config(Config::default());

    let list = app.get("/sim/tasks").await.json();

    assert_eq!(
        list["tasks"][0]["label"],
        "Runs to completion in about a minute"
    );
}

#[tokio::test]
async fn sim_tasks_index_shows_demo_key() {
    let app = TestApp::with_config(Config::default());

    let list = app.get("/sim/tasks").await.json();

    assert_eq!(list["apiKey"], "demo-key");
}

#[tokio::test]
async fn sim_tasks_index_hides_custom_key() {
    let app = TestApp::with_config(Config {
        api_key: "custom-key".to_owned(),
        ..Config::default()
    });

    let response = app.get("/sim/tasks").await;

    assert!(response.json()["apiKey"].is_null());
    assert!(!response.text.contains("custom-key"));
}

#[tokio::test]
async fn sim_tasks_index_empty_without_demo_tasks() {
    let app = TestApp::new();

    let list = app.get("/sim/tasks").await.json();

    assert_eq!(list["tasks"], json!([]));
}

#[tokio::test]
async fn demo_live_task_completes_in_about_a_minute() {
    let app = TestApp::with_config(Config::default());

    // 3 s pending, then 321 items at 5 a second: 67.2 s in all.
    app.advance(Duration::from_secs(60));
    let at_one_minute = app.get_task(DEMO_LIVE_TASK_ID).await.json();
    app.advance(Duration::from_millis(7200));
    let at_finish = app.get_task(DEMO_LIVE_TASK_ID).await.json();

    assert_eq!(at_one_minute["status"], "IN_PROGRESS");
    assert_eq!(at_finish["status"], "COMPLETED");
    assert_eq!(at_finish["completedAt"], "2024-12-09T14:15:24.774+0000");
}

#[tokio::test]
async fn demo_slow_tasks_last_over_an_hour() {
    let app = TestApp::with_config(Config::default());

    app.advance(Duration::from_secs(3600));
    let pending = app.get_task(DEMO_PENDING_TASK_ID).await.json();
    let slow = app.get_task(DEMO_SLOW_TASK_ID).await.json();

    assert_eq!(pending["status"], "PENDING");
    assert_eq!(slow["status"], "IN_PROGRESS");
    assert!(slow["nbRemainingItems"]
        .as_u64()
        .is_some_and(|count| count > 0));
}

#[tokio::test]
async fn demo_ended_tasks_keep_remaining_items() {
    let app = TestApp::with_config(Config::default());

    let completed = app.get_task(DEMO_COMPLETED_TASK_ID).await.json();
    let canceled = app.get_task(DEMO_CANCELED_TASK_ID).await.json();
    let failed = app.get_task(DEMO_FAILED_TASK_ID).await.json();

    assert_eq!(completed["nbRemainingItems"], 0);
    assert!(completed["completedAt"].is_string());
    assert_eq!(canceled["nbRemainingItems"], 80);
    assert!(canceled["completedAt"].is_null());
    assert_eq!(failed["nbRemainingItems"], 40);
    assert!(failed["completedAt"].is_null());
}

#[tokio::test]
async fn sim_tasks_create_defaults() {
    let app = TestApp::new();

    let response = app.create_task(json!({})).await;
    let body = response.json();
    let task_id = body["taskId"].as_str().expect("taskId is a string");

    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(task_id.len(), 24);
    assert_eq!(body["type"], "PUSH_FAILED_TRIPS");
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["nbItems"], 20);
}

#[tokio::test]
async fn sim_tasks_create_empty_body_uses_defaults() {
    let app = TestApp::new();

    let response = app.post("/sim/tasks").await;

    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.json()["nbItems"], 20);
}

#[tokio::test]
async fn sim_tasks_create_uses_given_fields() {
    let app = TestApp::new();

    let body = json!({"taskId": "given", "type": "PUSH_FAILED_CRASHES", "nbItems": 3});
    let created = app.create_task(body).await.json();

    assert_eq!(created["taskId"], "given");
    assert_eq!(created["type"], "PUSH_FAILED_CRASHES");
    assert_eq!(created["nbItems"], 3);
}

#[tokio::test]
async fn sim_tasks_create_bypasses_retry_rule() {
    let app = TestApp::new();

    let first = app.create_task(json!({"type": "PUSH_FAILED_TRIPS"})).await;
    let second = app.create_task(json!({"type": "PUSH_FAILED_TRIPS"})).await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::CREATED);
}

#[tokio::test]
async fn sim_tasks_create_duplicate_id_is_409() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "twice"})).await;

    let response = app.create_task(json!({"taskId": "twice"})).await;

    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.json()["error"], "duplicate_task_id");
}

#[tokio::test]
async fn sim_tasks_create_rejects_invalid_values() {
    let app = TestApp::new();
    let cases = [
        json!({"nbItems": -1}),
        json!({"pendingMs": -5}),
        json!({"itemsPerSecond": -0.5}),
        json!({"nbItems": 1.5}),
        json!({"type": "PUSH_FAILED_ROCKETS"}),
        json!({"taskId": ""}),
        json!({"nbitems": 3}),
        json!([1, 2]),
    ];

    for body in cases {
        let response = app.create_task(body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "body {body}");
        assert_eq!(response.json()["error"], "invalid_request", "body {body}");
    }
}

#[tokio::test]
async fn sim_tasks_create_rejects_malformed_json() {
    let app = TestApp::new();
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/sim/tasks")
        .body(axum::body::Body::from("{not json"))
        .expect("request builds");

    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("router is infallible");

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sim_tasks_create_error_names_field() {
    let app = TestApp::new();

    let response = app.create_task(json!({"nbItems": -1})).await;

    assert_eq!(
        response.json()["message"],
        "nbItems must be 0 or more, got -1."
    );
}

#[tokio::test]
async fn sim_tasks_create_odd_id_is_reachable_encoded() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "a/b c?é"})).await;

    let response = app.get_task("a%2Fb%20c%3F%C3%A9").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["taskId"], "a/b c?é");
}
