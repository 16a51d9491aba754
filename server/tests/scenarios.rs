//! Scenario presets under `/sim/scenarios`: the tasks they create and the
//! first responses of each.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{json, Value};
use tokio::time::{timeout, Instant};

const NAMES: [&str; 6] = [
    "flaky",
    "rate-limited",
    "slow",
    "never-answering",
    "garbage",
    "unknown-status",
];

/// Creates the scenario's task and returns its id.
async fn start_scenario(app: &TestApp, name: &str) -> String {
    let response = app.post(&format!("/sim/scenarios/{name}")).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    response.json()["taskId"]
        .as_str()
        .expect("taskId is a string")
        .to_owned()
}

fn names_of(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("scenarios is an array")
        .iter()
        .filter_map(|scenario| scenario["name"].as_str())
        .collect()
}

#[tokio::test]
async fn scenarios_index_lists_presets() {
    let app = TestApp::new();

    let list = app.get("/sim/scenarios").await.json();

    assert_eq!(names_of(&list), NAMES);
    for scenario in list.as_array().expect("array") {
        let description = scenario["description"].as_str().unwrap_or("");
        assert!(description.ends_with('.'), "{scenario}");
    }
}

#[tokio::test]
async fn sim_tasks_index_lists_scenarios() {
    let app = TestApp::new();

    let list = app.get("/sim/tasks").await.json();

    assert_eq!(names_of(&list["scenarios"]), NAMES);
}

#[tokio::test]
async fn scenario_create_returns_task_id_and_description() {
    let app = TestApp::new();

    let response = app.post("/sim/scenarios/flaky").await;
    let body = response.json();
    let task_id = body["taskId"].as_str().unwrap_or("");

    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(task_id.len(), 24);
    assert_eq!(body["scenario"], "flaky");
    assert_eq!(
        body["description"],
        "Returns 500 with a JSON error body 3 times, then the simulated task."
    );
}

#[tokio::test]
async fn scenario_task_uses_scenario_defaults() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "never-answering").await;

    let created = app.get_task(&task_id).await.json();
    app.advance(Duration::from_millis(2500));
    let list = app.get("/sim/tasks").await.json();
    let summary = list["tasks"]
        .as_array()
        .expect("tasks is an array")
        .iter()
        .find(|task| task["taskId"] == task_id.as_str())
        .cloned()
        .expect("task is listed");

    assert_eq!(created["nbItems"], 20);
    assert_eq!(created["status"], "PENDING");
    assert_eq!(summary["status"], "IN_PROGRESS");
    assert!(summary["label"]
        .as_str()
        .unwrap_or("")
        .starts_with("Scenario never-answering: "));
}

#[tokio::test]
async fn scenario_task_progress_rate_is_two_per_second() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "flaky").await;
    for _ in 0..3 {
        app.get_task(&task_id).await;
    }

    // 2 s pending, then 3 s at 2 items per second.
    app.advance(Duration::from_secs(5));
    let task = app.get_task(&task_id).await.json();

    assert_eq!(task["nbRemainingItems"], 14);
}

#[tokio::test]
async fn scenario_unknown_name_is_404() {
    let app = TestApp::new();

    let response = app.post("/sim/scenarios/sunny").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "scenario_not_found");
}

#[tokio::test]
async fn scenario_uses_chosen_task_id() {
    let app = TestApp::new();

    let response = app
        .send(
            axum::http::Method::POST,
            "/sim/scenarios/flaky",
            None,
            Some(json!({"taskId": "flaky-1"})),
        )
        .await;
    let first = app.get_task("flaky-1").await;

    assert_eq!(response.json()["taskId"], "flaky-1");
    assert_eq!(first.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn scenario_used_task_id_is_409() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "taken"})).await;

    let response = app
        .send(
            axum::http::Method::POST,
            "/sim/scenarios/slow",
            None,
            Some(json!({"taskId": "taken"})),
        )
        .await;

    assert_eq!(response.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn flaky_returns_500_three_times() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "flaky").await;

    let mut errors = Vec::new();
    for _ in 0..3 {
        errors.push(app.get_task(&task_id).await);
    }
    let fourth = app.get_task(&task_id).await;

    for error in &errors {
        assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.json()["error"], "internal_error");
    }
    assert_eq!(fourth.status, StatusCode::OK);
    assert_eq!(fourth.json()["taskId"], task_id.as_str());
}

#[tokio::test]
async fn rate_limited_returns_429_twice() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "rate-limited").await;

    let first = app.get_task(&task_id).await;
    let second = app.get_task(&task_id).await;
    let third = app.get_task(&task_id).await;

    for limited in [&first, &second] {
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers["retry-after"], "5");
    }
    assert_eq!(third.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn slow_delays_every_response() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "slow").await;

    for _ in 0..3 {
        let started = Instant::now();
        let response = app.get_task(&task_id).await;
        let elapsed = started.elapsed();

        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.json()["taskId"], task_id.as_str());
        assert!(elapsed >= Duration::from_secs(7), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(7100), "{elapsed:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn never_answering_hangs_second_request() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "never-answering").await;

    let first = app.get_task(&task_id).await;
    let client = app.clone();
    let id = task_id.clone();
    let mut second = tokio::spawn(async move { client.get_task(&id).await });
    let waited = timeout(Duration::from_secs(30), &mut second).await;
    let third = app.get_task(&task_id).await;
    let log = app.request_log(&task_id).await;

    assert_eq!(first.status, StatusCode::OK);
    assert!(waited.is_err(), "the second request got a response");
    assert_eq!(third.status, StatusCode::OK);
    assert_eq!(log["requests"][1]["status"], Value::Null);
    assert_eq!(log["maxInFlight"], 2);
    second.abort();
}

#[tokio::test]
async fn garbage_returns_html_text_then_array() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "garbage").await;

    let page = app.get_task(&task_id).await;
    let text = app.get_task(&task_id).await;
    let array = app.get_task(&task_id).await;
    let simulated = app.get_task(&task_id).await;

    assert_eq!(page.status, StatusCode::BAD_GATEWAY);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert!(page.text.starts_with("<!DOCTYPE html>"), "{}", page.text);
    assert_eq!(text.status, StatusCode::OK);
    assert_eq!(text.text, "not json");
    assert_eq!(text.headers["content-type"], "application/json");
    assert_eq!(array.status, StatusCode::OK);
    assert_eq!(array.json(), json!([1, 2, 3]));
    assert_eq!(simulated.json()["taskId"], task_id.as_str());
}

#[tokio::test]
async fn unknown_status_returns_paused_three_times() {
    let app = TestApp::new();
    let task_id = start_scenario(&app, "unknown-status").await;

    let mut paused = Vec::new();
    for _ in 0..3 {
        paused.push(app.get_task(&task_id).await.json());
    }
    let fourth = app.get_task(&task_id).await.json();

    for task in &paused {
        assert_eq!(task["status"], "PAUSED");
        assert_eq!(task["type"], "PUSH_FAILED_EVENTS");
        assert_eq!(task["nbItems"], 10);
        assert_eq!(task["nbRemainingItems"], 4);
        assert_eq!(task["taskId"], task_id.as_str());
    }
    assert_eq!(fourth["status"], "PENDING");
    assert_eq!(fourth["type"], "PUSH_FAILED_TRIPS");
}
