//! Scripted responses of the task route, set by
//! `POST /sim/tasks/{taskId}/script`, through the router with no socket.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{is_api_date, TestApp, START};
use serde_json::{json, Value};
use tokio::time::{timeout, Instant};

fn start_ms() -> i64 {
    i64::try_from(START.unix_timestamp_nanos() / 1_000_000).expect("fits in i64")
}

#[tokio::test]
async fn script_route_returns_step_count() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "s"})).await;

    let response = app
        .set_script("s", json!({"steps": [{"status": 500}, {}]}))
        .await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), json!({"taskId": "s", "steps": 2}));
}

#[tokio::test]
async fn script_route_unknown_task_is_404() {
    let app = TestApp::new();

    let response = app.set_script("absent", json!({"steps": []})).await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "task_not_found");
}

#[tokio::test]
async fn script_route_unknown_task_with_invalid_script_is_404() {
    let app = TestApp::new();

    let response = app
        .set_script("absent", json!({"steps": [{"status": 42}]}))
        .await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn script_route_invalid_header_name_is_400() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "s"})).await;

    let response = app
        .set_script("s", json!({"steps": [{"headers": {"Retry After": "5"}}]}))
        .await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["error"], "invalid_request");
    let message = response.json()["message"].as_str().unwrap_or("").to_owned();
    assert!(message.contains("steps[0]"), "{message}");
    assert!(message.contains("Retry After"), "{message}");
}

#[tokio::test]
async fn script_route_invalid_header_value_is_400() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "s"})).await;

    let response = app
        .set_script(
            "s",
            json!({"steps": [{"headers": {"x-note": "a\r\nb: c"}}]}),
        )
        .await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["error"], "invalid_request");
}

#[tokio::test]
async fn script_route_content_length_header_is_400() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "s"})).await;

    let response = app
        .set_script(
            "s",
            json!({"steps": [{"headers": {"Content-Length": "9"}}]}),
        )
        .await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn script_route_rejects_invalid_steps() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "s"})).await;
    let cases = [
        json!({"steps": [{"status": 99}]}),
        json!({"steps": [{"status": 1000}]}),
        json!({"steps": [{"body": "a", "json": 1}]}),
        json!({"steps": [{"delayMs": 600_001}]}),
        json!({"steps": [{"delayMs": -1}]}),
        json!({"steps": [{"hang": true, "status": 500}]}),
        json!({"steps": [{"dropConnection": true, "json": 1}]}),
        json!({"steps": [{"colour": "red"}]}),
        json!({"steps": [], "then": "repeat-last"}),
        json!({"steps": [], "then": "loop"}),
        json!({"then": "simulate"}),
    ];

    for case in cases {
        let response = app.set_script("s", case.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{case}");
    }
}

#[tokio::test]
async fn script_route_empty_body_is_400() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "s"})).await;

    let response = app.post("/sim/tasks/s/script").await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn invalid_script_keeps_previous_script() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"status": 500}]}))
        .await;

    app.set_script("s", json!({"steps": [{"status": 42}]}))
        .await;
    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn step_status_without_body_is_empty() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"status": 503}]}))
        .await;

    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text, "");
}

#[tokio::test]
async fn step_headers_are_sent() {
    let app = TestApp::new();
    let script = json!({"steps": [{
        "status": 429,
        "headers": {"Retry-After": "5", "X-Scripted": "yes"}
    }]});
    app.create_scripted_task("s", script).await;

    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers["retry-after"], "5");
    assert_eq!(response.headers["x-scripted"], "yes");
}

#[tokio::test]
async fn step_header_replaces_json_content_type() {
    let app = TestApp::new();
    let script = json!({"steps": [{"json": {"a": 1}, "headers": {"Content-Type": "text/plain"}}]});
    app.create_scripted_task("s", script).await;

    let response = app.get_task("s").await;

    let content_types: Vec<_> = response.headers.get_all("content-type").iter().collect();
    assert_eq!(content_types, ["text/plain"]);
}

#[tokio::test]
async fn step_raw_body_is_sent_as_is() {
    let app = TestApp::new();
    let page = "<html><body>502 Bad Gateway</body></html>";
    app.create_scripted_task("s", json!({"steps": [{"status": 502, "body": page}]}))
        .await;

    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::BAD_GATEWAY);
    assert_eq!(response.text, page);
    assert!(response.headers.get("content-type").is_none());
}

#[tokio::test]
async fn step_json_body_has_json_content_type() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"json": [1, 2, 3]}]}))
        .await;

    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "application/json");
    assert_eq!(response.json(), json!([1, 2, 3]));
}

#[tokio::test]
async fn step_json_null_is_sent() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"json": null}]}))
        .await;

    let response = app.get_task("s").await;

    assert_eq!(response.text, "null");
}

#[tokio::test]
async fn step_task_overrides_simulated_fields() {
    let app = TestApp::new();
    let script = json!({"steps": [{"task": {
        "status": "PAUSED",
        "type": "PUSH_FAILED_EVENTS",
        "nbItems": 10,
        "nbRemainingItems": 4,
        "completedAt": null,
        "extra": true
    }}]});
    app.create_scripted_task("s", script).await;

    let response = app.get_task("s").await;
    let task = response.json();

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(task["taskId"], "s");
    assert!(is_api_date(task["createdAt"].as_str().unwrap_or("")));
    assert_eq!(task["completedAt"], Value::Null);
    assert_eq!(task["status"], "PAUSED");
    assert_eq!(task["type"], "PUSH_FAILED_EVENTS");
    assert_eq!(task["nbItems"], 10);
    assert_eq!(task["nbRemainingItems"], 4);
    assert_eq!(task["extra"], true);
    assert!(response
        .text
        .starts_with("{\"taskId\":\"s\",\"createdAt\":"));
}

#[tokio::test]
async fn step_task_with_error_status() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"status": 404, "task": {}}]}))
        .await;

    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["taskId"], "s");
}

#[tokio::test]
async fn step_omit_drops_field() {
    let app = TestApp::new();
    let script = json!({"steps": [{"task": {"status": "PAUSED"}, "omit": ["createdAt"]}]});
    app.create_scripted_task("s", script).await;

    let task = app.get_task("s").await.json();

    assert!(task.get("createdAt").is_none(), "{task}");
    assert_eq!(task["status"], "PAUSED");
}

#[tokio::test]
async fn empty_step_serves_simulated_task() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{}]})).await;

    let scripted = app.get_task("s").await;
    let simulated = app.get_task("s").await;

    assert_eq!(scripted.status, StatusCode::OK);
    assert_eq!(scripted.text, simulated.text);
}

#[tokio::test]
async fn steps_respond_in_order() {
    let app = TestApp::new();
    let script = json!({"steps": [{"status": 500}, {"status": 502}, {"status": 429}]});
    app.create_scripted_task("s", script).await;

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.get_task("s").await.status.as_u16());
    }

    assert_eq!(statuses, [500, 502, 429]);
}

#[tokio::test]
async fn then_simulate_returns_to_simulation() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"status": 500}]}))
        .await;

    app.get_task("s").await;
    let after = app.get_task("s").await;

    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.json()["status"], "PENDING");
}

#[tokio::test]
async fn then_defaults_to_simulate() {
    let app = TestApp::new();
    let script = json!({"steps": [{"status": 500}], "then": "simulate"});
    app.create_scripted_task("explicit", script).await;
    app.create_scripted_task("default", json!({"steps": [{"status": 500}]}))
        .await;

    app.get_task("explicit").await;
    app.get_task("default").await;
    let explicit = app.get_task("explicit").await;
    let default = app.get_task("default").await;

    assert_eq!(explicit.status, StatusCode::OK);
    assert_eq!(default.status, StatusCode::OK);
}

#[tokio::test]
async fn then_repeat_last_repeats_last_step() {
    let app = TestApp::new();
    let script = json!({"steps": [{"status": 500}, {"status": 429}], "then": "repeat-last"});
    app.create_scripted_task("s", script).await;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.get_task("s").await.status.as_u16());
    }
    let log = app.request_log("s").await;

    assert_eq!(statuses, [500, 429, 429, 429]);
    assert_eq!(log["requests"][3]["step"], 1);
}

#[tokio::test]
async fn new_script_replaces_old() {
    let app = TestApp::new();
    let first = json!({"steps": [{"status": 500}, {"status": 500}]});
    app.create_scripted_task("s", first).await;
    app.get_task("s").await;

    app.set_script("s", json!({"steps": [{"status": 429}]}))
        .await;
    let replaced = app.get_task("s").await;
    let after = app.get_task("s").await;
    let log = app.request_log("s").await;

    assert_eq!(replaced.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(log["requests"][1]["step"], 0);
}

#[tokio::test]
async fn empty_script_clears_steps() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"status": 500}]}))
        .await;

    app.set_script("s", json!({"steps": []})).await;
    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_key_consumes_no_step() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"status": 500}]}))
        .await;
    let uri = "/v1/enterprise/task/s";

    let missing = app.send(Method::GET, uri, None, None).await;
    let wrong = app.send(Method::GET, uri, Some("wrong"), None).await;
    let valid = app.get_task("s").await;
    let log = app.request_log("s").await;

    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(valid.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(log["requests"][0]["step"], Value::Null);
    assert_eq!(log["requests"][1]["step"], Value::Null);
    assert_eq!(log["requests"][2]["step"], 0);
}

#[tokio::test]
async fn request_log_records_scripted_and_simulated() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"status": 502}]}))
        .await;

    app.get_task("s").await;
    app.get_task("s").await;
    let log = app.request_log("s").await;

    assert_eq!(
        log["requests"],
        json!([
            {"atMs": start_ms(), "settledMs": start_ms(), "status": 502, "step": 0},
            {"atMs": start_ms(), "settledMs": start_ms(), "status": 200, "step": null}
        ])
    );
    assert_eq!(log["maxInFlight"], 1);
}

#[tokio::test(start_paused = true)]
async fn delay_waits_before_response() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"delayMs": 7000}]}))
        .await;

    let started = Instant::now();
    let response = app.get_task("s").await;
    let elapsed = started.elapsed();

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["taskId"], "s");
    assert!(elapsed >= Duration::from_millis(7000), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(7100), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn delayed_request_is_in_flight_until_sent() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"delayMs": 3000}]}))
        .await;

    let client = app.clone();
    let request = tokio::spawn(async move { client.get_task("s").await });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let during = app.request_log("s").await;
    app.advance(Duration::from_secs(5));
    let response = request.await.expect("request task ends");
    let after = app.request_log("s").await;

    assert_eq!(during["requests"][0]["settledMs"], Value::Null);
    assert_eq!(during["requests"][0]["status"], Value::Null);
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(after["requests"][0]["atMs"], start_ms());
    assert_eq!(after["requests"][0]["settledMs"], start_ms() + 5000);
    assert_eq!(after["requests"][0]["status"], 200);
}

#[tokio::test(start_paused = true)]
async fn delay_reads_task_at_send_time() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"delayMs": 1000}]}))
        .await;

    let client = app.clone();
    let request = tokio::spawn(async move { client.get_task("s").await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.advance(Duration::from_secs(4));
    let response = request.await.expect("request task ends");

    assert_eq!(response.json()["status"], "IN_PROGRESS");
}

#[tokio::test(start_paused = true)]
async fn hang_stays_in_flight_without_response() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"hang": true}]}))
        .await;

    let client = app.clone();
    let mut request = tokio::spawn(async move { client.get_task("s").await });
    let waited = timeout(Duration::from_secs(5), &mut request).await;
    let log = app.request_log("s").await;

    assert!(waited.is_err(), "the hung request got a response");
    assert_eq!(log["count"], 1);
    assert_eq!(log["requests"][0]["step"], 0);
    assert_eq!(log["requests"][0]["status"], Value::Null);
    assert_eq!(log["requests"][0]["settledMs"], Value::Null);
    request.abort();
}

#[tokio::test(start_paused = true)]
async fn hang_abandoned_by_client_is_settled() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"hang": true}]}))
        .await;

    let client = app.clone();
    let request = tokio::spawn(async move { client.get_task("s").await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    request.abort();
    let _ = request.await;
    let log = app.request_log("s").await;

    assert_eq!(log["requests"][0]["settledMs"], start_ms());
    assert_eq!(log["requests"][0]["status"], Value::Null);
}

#[tokio::test(start_paused = true)]
async fn hang_ends_after_ten_minutes() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"hang": true}]}))
        .await;

    let started = Instant::now();
    let response = app.get_task("s").await;
    let elapsed = started.elapsed();

    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.json()["error"], "scripted_wait_ended");
    assert!(elapsed >= Duration::from_secs(600), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(601), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_hang_and_delay() {
    let app = TestApp::new();
    app.create_scripted_task("hang", json!({"steps": [{"hang": true}]}))
        .await;
    app.create_scripted_task("delay", json!({"steps": [{"delayMs": 600_000}]}))
        .await;

    let client = app.clone();
    let hang = tokio::spawn(async move { client.get_task("hang").await });
    let client = app.clone();
    let delay = tokio::spawn(async move { client.get_task("delay").await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    app.state.begin_shutdown();
    let hang = hang.await.expect("hang task ends");
    let delay = delay.await.expect("delay task ends");

    assert_eq!(hang.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(delay.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_millis(10));
}

#[tokio::test(start_paused = true)]
async fn hang_after_shutdown_ends_at_once() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"hang": true}]}))
        .await;
    app.state.begin_shutdown();

    let started = Instant::now();
    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_millis(10));
}

#[tokio::test]
async fn drop_connection_without_serve_is_500() {
    let app = TestApp::new();
    app.create_scripted_task("s", json!({"steps": [{"dropConnection": true}]}))
        .await;

    let response = app.get_task("s").await;

    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.json()["error"], "internal_error");
}

#[tokio::test(start_paused = true)]
async fn max_in_flight_counts_overlapping_requests() {
    let app = TestApp::new();
    let script = json!({"steps": [{"delayMs": 1000}, {"delayMs": 1000}]});
    app.create_scripted_task("s", script).await;

    let started = Instant::now();
    let (first, second) = tokio::join!(app.get_task("s"), app.get_task("s"));
    let elapsed = started.elapsed();
    let log = app.request_log("s").await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::OK);
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(log["maxInFlight"], 2);
}

#[tokio::test(start_paused = true)]
async fn max_in_flight_sequential_is_one() {
    let app = TestApp::new();
    let script = json!({"steps": [{"delayMs": 1000}, {"delayMs": 1000}]});
    app.create_scripted_task("s", script).await;

    app.get_task("s").await;
    app.get_task("s").await;
    let log = app.request_log("s").await;

    assert_eq!(log["count"], 2);
    assert_eq!(log["maxInFlight"], 1);
}
