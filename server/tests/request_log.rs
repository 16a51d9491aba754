//! The request log under `/sim/requests`, and how ids with `/` or `..`
//! reach the router.

mod common;

use axum::http::{Method, StatusCode};
use common::{TestApp, START};
use serde_json::json;
use task_status_server::DEMO_API_KEY;

fn start_ms() -> i64 {
    i64::try_from(START.unix_timestamp_nanos() / 1_000_000).expect("fits in i64")
}

#[tokio::test]
async fn requests_show_counts_401_404_and_200() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "counted"})).await;
    let uri = "/v1/enterprise/task/counted";

    app.send(Method::GET, uri, None, None).await;
    app.send(Method::GET, uri, Some("wrong"), None).await;
    app.send(Method::GET, uri, Some(DEMO_API_KEY), None).await;
    app.get_task("absent").await;
    let counted = app.get("/sim/requests/counted").await.json();
    let absent = app.get("/sim/requests/absent").await.json();

    assert_eq!(counted["taskId"], "counted");
    assert_eq!(counted["count"], 3);
    assert_eq!(
        counted["requests"],
        json!([
            {"atMs": start_ms(), "settledMs": start_ms(), "status": 401, "step": null},
            {"atMs": start_ms(), "settledMs": start_ms(), "status": 401, "step": null},
            {"atMs": start_ms(), "settledMs": start_ms(), "status": 200, "step": null}
        ])
    );
    assert_eq!(absent["count"], 1);
    assert_eq!(absent["requests"][0]["status"], 404);
}

#[tokio::test]
async fn requests_show_never_requested_is_zero() {
    let app = TestApp::new();

    let response = app.get("/sim/requests/never").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["count"], 0);
    assert_eq!(response.json()["maxInFlight"], 0);
    assert_eq!(response.json()["requests"], json!([]));
}

#[tokio::test]
async fn requests_show_ignores_control_routes() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "quiet"})).await;

    app.post("/sim/tasks/quiet/fail").await;
    let log = app.get("/sim/requests/quiet").await.json();

    assert_eq!(log["count"], 0);
}

#[tokio::test]
async fn requests_index_counts_each_id() {
    let app = TestApp::new();

    app.get_task("one").await;
    app.get_task("two").await;
    app.get_task("two").await;
    let index = app.get("/sim/requests").await.json();

    assert_eq!(index["counts"], json!({"one": 1, "two": 2}));
    assert_eq!(index["unmatchedCount"], 0);
}

/// The router matches the raw path, where `%2F` is not a separator, then
/// decodes the segment: `..%2F..%2Fadmin` reaches the task route as the id
/// `../../admin` and no other route.
#[tokio::test]
async fn encoded_slashes_stay_in_task_id() {
    let app = TestApp::new();

    let response = app.get_task("..%2F..%2Fadmin").await;
    let by_id = app.get("/sim/requests/..%2F..%2Fadmin").await.json();
    let index = app.get("/sim/requests").await.json();

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "task_not_found");
    assert_eq!(by_id["taskId"], "../../admin");
    assert_eq!(by_id["count"], 1);
    assert_eq!(index["counts"], json!({"../../admin": 1}));
    assert_eq!(index["unmatchedCount"], 0);
}

#[tokio::test]
async fn encoded_slashes_reach_matching_task() {
    let app = TestApp::new();
    app.create_task(json!({"taskId": "../../admin"})).await;

    let response = app.get_task("..%2F..%2Fadmin").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["taskId"], "../../admin");
}

/// Neither hyper nor axum removes `..` segments, so a raw `../..` path has
/// too many segments for the task route and ends in the API's JSON 404,
/// listed as unmatched. Browsers and curl resolve such paths before sending.
#[tokio::test]
async fn dot_segments_match_no_route() {
    let app = TestApp::new();

    let response = app.get_task("../../admin").await;
    let index = app.get("/sim/requests").await.json();

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "not_found");
    assert_eq!(index["counts"], json!({}));
    assert_eq!(index["unmatchedCount"], 1);
    assert_eq!(
        index["unmatched"],
        json!(["/v1/enterprise/task/../../admin"])
    );
}

#[tokio::test]
async fn single_dot_segment_is_an_id() {
    let app = TestApp::new();

    let response = app.get_task("..").await;
    let index = app.get("/sim/requests").await.json();

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(index["counts"], json!({"..": 1}));
}

#[tokio::test]
async fn invalid_utf8_id_is_400_json() {
    let app = TestApp::new();

    let response = app.get_task("%FF").await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["error"], "invalid_request");
}
