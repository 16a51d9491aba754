//! Control requests to a task simulator at any address: the in-process
//! [`crate::Simulator`] or a `task-status-server` process.
//!
//! The request log is read as plain JSON, so the benchmarks depend only on
//! the fields they use.

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::simulator::encode_component;

/// One request of `GET /sim/requests/{taskId}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Unix time of arrival in milliseconds, from the simulator's clock.
    pub at_ms: i64,
    /// Index of the scripted step that set the response, if any.
    pub step: Option<u64>,
}

/// The request log of one task id.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    /// Every request for the id since the simulator started.
    pub count: u64,
    /// Maximum number of requests for the id in flight at once.
    pub max_in_flight: u64,
    /// The latest requests (at most 1,000), oldest first.
    pub requests: Vec<LoggedRequest>,
}

impl RequestLog {
    /// Counts the logged requests that arrived in `[from_ms, to_ms)`.
    pub fn count_between(&self, from_ms: i64, to_ms: i64) -> usize {
        self.requests
            .iter()
            .filter(|request| (from_ms..to_ms).contains(&request.at_ms))
            .count()
    }
}

/// A client of a simulator's control routes.
#[derive(Clone)]
pub struct SimControl {
    base_url: String,
    http: HttpClient,
}

impl SimControl {
    /// Creates a client of the simulator at `base_url`, such as
    /// `http://127.0.0.1:41234`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: HttpClient::new(),
        }
    }

    /// Returns the simulator's origin.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Creates a task from `body` (`taskId`, `type`, `nbItems`, `pendingMs`,
    /// `itemsPerSecond`, all optional) and returns its id.
    pub async fn create_task(&self, body: &Value) -> Result<String> {
        let url = format!("{}/sim/tasks", self.base_url);
        let response = self.http.post(&url, Some(body)).await?;
        match response.body["taskId"].as_str() {
            Some(task_id) if response.status.as_u16() == 201 => Ok(task_id.to_owned()),
            _ => Err(self.unexpected("POST", &url, response.status, &response.body)),
        }
    }

    /// Creates a task that stays IN_PROGRESS for hours and finishes
    /// `items_per_second` items a second, so every response differs from the
    /// one before when polls are further apart than one item.
    pub async fn create_long_task(&self, items_per_second: f64) -> Result<String> {
        self.create_task(&json!({
            "nbItems": 1_000_000_000_u64,
            "pendingMs": 0,
            "itemsPerSecond": items_per_second,
        }))
        .await
    }

    /// Replaces the task's script with `script`
    /// (`{"steps": [...], "then": ...}`).
    pub async fn script_task(&self, task_id: &str, script: &Value) -> Result<()> {
        let url = format!(
            "{}/sim/tasks/{}/script",
            self.base_url,
            encode_component(task_id)
        );
        let response = self.http.post(&url, Some(script)).await?;
        if response.status.as_u16() != 200 {
            return Err(self.unexpected("POST", &url, response.status, &response.body));
        }
        Ok(())
    }

    /// Returns the request log of the task route for `task_id`.
    pub async fn requests(&self, task_id: &str) -> Result<RequestLog> {
        let url = format!(
            "{}/sim/requests/{}",
            self.base_url,
            encode_component(task_id)
        );
        let response = self.http.get(&url).await?;
        let body = &response.body;
        let Some(count) = body["count"].as_u64() else {
            return Err(self.unexpected("GET", &url, response.status, body));
        };
        let requests = body["requests"]
            .as_array()
            .map(|records| {
                records
                    .iter()
                    .filter_map(|record| {
                        Some(LoggedRequest {
                            at_ms: record["atMs"].as_i64()?,
                            step: record["step"].as_u64(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(RequestLog {
            count,
            max_in_flight: body["maxInFlight"].as_u64().unwrap_or(0),
            requests,
        })
    }

    fn unexpected(
        &self,
        method: &str,
        url: &str,
        status: hyper::StatusCode,
        body: &Value,
    ) -> Error {
        Error::Http {
            method: method.to_owned(),
            url: url.to_owned(),
            reason: format!("unexpected response {status}: {body}"),
        }
    }
}
