//! Helpers shared by the integration tests: a router on a manual clock and
//! one-call requests that return the status and the parsed body.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use task_status_server::{app, AppState, Config, ManualClock, API_KEY_HEADER, DEMO_API_KEY};
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;

/// Start instant of every test clock, with whole milliseconds so expected
/// dates are exact.
pub const START: OffsetDateTime = datetime!(2024-12-09 14:14:17.574 UTC);

/// A router, its state and the clock it reads. Clones share all three.
#[derive(Clone)]
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
}

/// Response status, headers and body.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl TestResponse {
    /// Parses the body as JSON, panicking with the body text if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.text))
    }
}

impl TestApp {
    /// Creates an app with no seeded tasks, a 3 s pending time and a rate
    /// of 5 items per second.
    pub fn new() -> Self {
        Self::with_config(Config {
            demo_tasks: false,
            ..Config::default()
        })
    }

    pub fn with_config(config: Config) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let state = AppState::new(config, clock.clone());
        Self {
            router: app(state.clone()),
            state,
            clock,
        }
    }

    pub fn advance(&self, step: Duration) {
        self.clock.advance(step);
    }

    /// Sends a request with an optional API key and JSON body.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        api_key: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(key) = api_key {
            builder = builder.header(API_KEY_HEADER, key);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let request = builder.body(body).expect("request builds");

        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        TestResponse {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// `GET /v1/enterprise/task/{id}` with the demo key.
    pub async fn get_task(&self, task_id: &str) -> TestResponse {
        let uri = format!("/v1/enterprise/task/{task_id}");
        self.send(Method::GET, &uri, Some(DEMO_API_KEY), None).await
    }

    /// `POST /sim/tasks` with the given body.
    pub async fn create_task(&self, body: Value) -> TestResponse {
        self.send(Method::POST, "/sim/tasks", None, Some(body))
            .await
    }

    /// `POST /sim/tasks/{id}/script` with the given script.
    pub async fn set_script(&self, task_id: &str, script: Value) -> TestResponse {
        let uri = format!("/sim/tasks/{task_id}/script");
        self.send(Method::POST, &uri, None, Some(script)).await
    }

    /// Creates a task with this id and gives it the script, panicking if
    /// either request fails.
    pub async fn create_scripted_task(&self, task_id: &str, script: Value) {
        let created = self
            .create_task(serde_json::json!({ "taskId": task_id }))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let scripted = self.set_script(task_id, script).await;
        assert_eq!(scripted.status, StatusCode::OK, "{}", scripted.text);
    }

    /// `GET /sim/requests/{id}` as JSON.
    pub async fn request_log(&self, task_id: &str) -> Value {
        self.get(&format!("/sim/requests/{task_id}")).await.json()
    }

    pub async fn post(&self, uri: &str) -> TestResponse {
        self.send(Method::POST, uri, None, None).await
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(Method::GET, uri, None, None).await
    }
}

/// Returns whether `text` matches `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`.
pub fn is_api_date(text: &str) -> bool {
    const TEMPLATE: &str = "dddd-dd-ddTdd:dd:dd.ddd+0000";
    text.len() == TEMPLATE.len()
        && text
            .chars()
            .zip(TEMPLATE.chars())
            .all(|(actual, expected)| {
                if expected == 'd' {
                    actual.is_ascii_digit()
                } else {
                    actual == expected
                }
            })
}
