//! `GET /v1/enterprise/task/{taskId}`: key checks, unknown ids and the body.

mod common;

use axum::http::{Method, StatusCode};
use common::{is_api_date, TestApp};
use serde_json::json;
use task_status_server::{Config, DEMO_COMPLETED_TASK_ID, DEMO_LIVE_TASK_ID};

#[tokio::test]
async fn tasks_show_missing_key_is_401_json() {
    let app = TestApp::with_config(Config::default());

    let uri = format!("/v1/enterprise/task/{DEMO_LIVE_TASK_ID}");
    let response = app.send(Method::GET, &uri, None, None).await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json()["error"], "unauthorized");
    assert!(response.json()["message"].is_string());
}

#[tokio::test]
async fn tasks_show_wrong_key_is_401_without_echo() {
    let app = TestApp::with_config(Config::default());

    let uri = format!("/v1/enterprise/task/{DEMO_LIVE_TASK_ID}");
    let wrong_key = "wrong-key-3f9a";
    let response = app.send(Method::GET, &uri, Some(wrong_key), None).await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json()["error"], "unauthorized");
    assert!(!response.text.contains(wrong_key));
    assert!(!response.text.contains(task_status_server::DEMO_API_KEY));
}

#[tokio::test]
async fn tasks_show_custom_key_accepts_only_it() {
    let app = TestApp::with_config(Config {
        api_key: "custom-key".to_owned(),
        ..Config::default()
    });
    let uri = format!("/v1/enterprise/task/{DEMO_LIVE_TASK_ID}");

    let with_custom = app.send(Method::GET, &uri, Some("custom-key"), None).await;
    let with_demo = app.get_task(DEMO_LIVE_TASK_ID).await;

    assert_eq!(with_custom.status, StatusCode::OK);
    assert_eq!(with_demo.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tasks_show_unknown_id_is_404_json() {
    let app = TestApp::new();

    let response = app.get_task("000000000000000000000000").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "task_not_found");
    assert!(response.json()["message"].is_string());
}

#[tokio::test]
async fn tasks_show_key_checked_before_id() {
    let app = TestApp::new();

    let uri = "/v1/enterprise/task/000000000000000000000000";
    let response = app.send(Method::GET, uri, None, None).await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tasks_show_body_has_exactly_seven_fields() {
    let app = TestApp::with_config(Config::default());

    let response = app.get_task(DEMO_LIVE_TASK_ID).await;
    let body = response.json();
    let object = body.as_object().expect("body is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        keys,
        [
            "completedAt",
            "createdAt",
            "nbItems",
            "nbRemainingItems",
            "status",
            "taskId",
            "type"
        ]
    );
    assert_eq!(body["taskId"], DEMO_LIVE_TASK_ID);
    assert_eq!(body["type"], "PUSH_FAILED_TRIPS");
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["nbItems"], 321);
    assert_eq!(body["nbRemainingItems"], 321);
    assert!(body["completedAt"].is_null());
}

#[tokio::test]
async fn tasks_show_created_at_matches_date_format() {
    let app = TestApp::with_config(Config::default());

    let body = app.get_task(DEMO_LIVE_TASK_ID).await.json();
    let created_at = body["createdAt"].as_str().expect("createdAt is a string");

    assert!(is_api_date(created_at), "createdAt {created_at:?}");
    assert_eq!(created_at, "2024-12-09T14:14:17.574+0000");
}

#[tokio::test]
async fn tasks_show_completed_at_matches_date_format() {
    let app = TestApp::with_config(Config::default());

    let body = app.get_task(DEMO_COMPLETED_TASK_ID).await.json();
    let completed_at = body["completedAt"]
        .as_str()
        .expect("completedAt is a string");

    assert_eq!(body["status"], "COMPLETED");
    assert!(is_api_date(completed_at), "completedAt {completed_at:?}");
}

#[tokio::test]
async fn tasks_show_post_is_405_json() {
    let app = TestApp::with_config(Config::default());

    let uri = format!("/v1/enterprise/task/{DEMO_LIVE_TASK_ID}");
    let response = app.send(Method::POST, &uri, None, Some(json!({}))).await;

    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.json()["error"], "method_not_allowed");
}

#[tokio::test]
async fn unknown_api_path_is_json_404() {
    let app = TestApp::new();

    let response = app.get("/v1/enterprise/tasks").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "not_found");
}

#[tokio::test]
async fn unknown_sim_path_is_json_404() {
    let app = TestApp::new();

    let response = app.get("/sim/unknown").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "not_found");
}

#[tokio::test]
async fn cors_preflight_allows_key_header() {
    let app = TestApp::new();
    let request = axum::http::Request::builder()
        .method(Method::OPTIONS)
        .uri("/v1/enterprise/task/abc")
        .header("origin", "http://127.0.0.1:9000")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-dq-enterprise-api-key")
        .body(axum::body::Body::empty())
        .expect("request builds");

    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("router is infallible");
    let headers = response.headers();
    let allowed_headers = headers
        .get("access-control-allow-headers")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();

    assert!(response.status().is_success());
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"*"[..])
    );
    assert!(allowed_headers.contains("x-dq-enterprise-api-key"));
    assert!(allowed_headers.contains("content-type"));
}
