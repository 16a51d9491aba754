//! The task simulator, served in-process on a loopback port, and a client
//! for its control routes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hyper::{Method, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use task_status_server::{app, AppState, Config, SystemClock};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::http::HttpClient;

/// Variable that names the folder of the built page.
pub const DIST_VARIABLE: &str = "TASK_STATUS_DIST";

/// Bytes left as they are in a path segment or query value: the unreserved
/// characters of RFC 3986. Everything else, `/` included, is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `value` for use as one path segment or one query value.
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Returns the simulator's default settings with `dist_dir` set to the built
/// page named by `TASK_STATUS_DIST`.
///
/// Fails when the variable is unset or the folder has no `index.html`.
pub fn page_config() -> Result<Config> {
    let Some(dist) = std::env::var_os(DIST_VARIABLE) else {
        return Err(Error::Setup(format!(
            "{DIST_VARIABLE} is not set. Set it to the folder of the built page, \
             or run `cargo xtask test`, which builds the page and sets it."
        )));
    };
    let dist = PathBuf::from(dist);
    if !dist.join("index.html").is_file() {
        return Err(Error::Setup(format!(
            "{DIST_VARIABLE}={} has no index.html. Build the page with \
             `cargo xtask build`, or run `cargo xtask test`.",
            dist.display()
        )));
    }

    Ok(Config {
        dist_dir: Some(dist),
        ..Config::default()
    })
}

/// A task as `POST /sim/tasks` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTask {
    /// The task id.
    pub task_id: String,
    /// Creation date in the API's format, such as `2024-12-09T14:14:17.574+0000`.
    pub created_at: String,
    /// The status at creation.
    pub status: String,
    /// Items of the task.
    pub nb_items: u64,
}

/// One recorded `GET` of the task route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRequest {
    /// Unix time of the request's arrival in milliseconds.
    pub at_ms: i64,
    /// Unix time in milliseconds at which the simulator finished the
    /// request, or `None` while it is in flight.
    pub settled_ms: Option<i64>,
    /// The response status, or `None` while the request is in flight or
    /// when it ended without a response.
    pub status: Option<u16>,
    /// Index of the scripted step that set the response, or `None` for the
    /// simulated task.
    pub step: Option<usize>,
}

/// Body of `GET /sim/requests/{taskId}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRequests {
    /// The decoded task id.
    pub task_id: String,
    /// Every request for this id since the simulator started.
    pub count: u64,
    /// Maximum number of requests for this id in flight at once.
    pub max_in_flight: u64,
    /// The latest requests, oldest first.
    pub requests: Vec<TaskRequest>,
}

/// Body of `GET /sim/requests`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSummary {
    /// Task requests per decoded task id.
    pub counts: BTreeMap<String, u64>,
    /// Raw paths of the latest requests that matched no route, static files included.
    pub unmatched: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskList {
    tasks: Vec<TaskSummary>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskSummary {
    task_id: String,
    status: String,
}

/// A simulator serving the built page and the API on `127.0.0.1`, on a port
/// chosen by the system. Dropping it stops accepting connections, and open
/// connections end with the test's runtime.
pub struct Simulator {
    base_url: String,
    http: HttpClient,
    server: JoinHandle<()>,
}

impl Simulator {
    /// Starts a simulator with `config` on the system clock.
    pub async fn start(config: Config) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| Error::io("failed to bind the simulator to 127.0.0.1", error))?;
        let address = listener
            .local_addr()
            .map_err(|error| Error::io("failed to read the simulator's address", error))?;

        let router = app(AppState::new(config, Arc::new(SystemClock)));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("simulator on {address} stopped: {error}");
            }
        });

        Ok(Self {
            base_url: format!("http://{address}"),
            http: HttpClient::new(),
            server,
        })
    }

    /// Returns the origin, such as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Returns the URL of the standalone page with the given query
    /// parameters, each value percent-encoded.
    pub fn page_url(&self, query: &[(&str, &str)]) -> String {
        let pairs: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{name}={}", encode_component(value)))
            .collect();
        if pairs.is_empty() {
            format!("{}/", self.base_url)
        } else {
            format!("{}/?{}", self.base_url, pairs.join("&"))
        }
    }

    /// Creates a task through `POST /sim/tasks`. `body` takes the optional
    /// fields `taskId`, `type`, `nbItems`, `pendingMs` and `itemsPerSecond`.
    pub async fn create_task(&self, body: &Value) -> Result<CreatedTask> {
        let url = format!("{}/sim/tasks", self.base_url);
        let json = self
            .http
            .expect(Method::POST, &url, Some(body), StatusCode::CREATED)
            .await?;
        parse(Method::POST, &url, json)
    }

    /// Makes the task fail now through `POST /sim/tasks/{taskId}/fail`.
    pub async fn fail_task(&self, task_id: &str) -> Result<()> {
        let url = format!(
            "{}/sim/tasks/{}/fail",
            self.base_url,
            encode_component(task_id)
        );
        self.http
            .expect(Method::POST, &url, None, StatusCode::OK)
            .await?;
        Ok(())
    }

    /// Pauses the push service, which cancels every pending or running task.
    pub async fn pause_push(&self) -> Result<()> {
        let url = format!("{}/sim/push/pause", self.base_url);
        self.http
            .expect(Method::POST, &url, None, StatusCode::OK)
            .await?;
        Ok(())
    }

    /// Resumes the push service.
    pub async fn resume_push(&self) -> Result<()> {
        let url = format!("{}/sim/push/resume", self.base_url);
        self.http
            .expect(Method::POST, &url, None, StatusCode::OK)
            .await?;
        Ok(())
    }

    /// Returns the task's current status from `GET /sim/tasks`, or `None`
    /// for an unknown id. The control route does not count as a task request.
    pub async fn task_status(&self, task_id: &str) -> Result<Option<String>> {
        let url = format!("{}/sim/tasks", self.base_url);
        let json = self
            .http
            .expect(Method::GET, &url, None, StatusCode::OK)
            .await?;
        let list: TaskList = parse(Method::GET, &url, json)?;
        let status = list
            .tasks
            .into_iter()
            .find(|task| task.task_id == task_id)
            .map(|task| task.status);
        Ok(status)
    }

    /// Returns the requests of the task route received for this exact
    /// decoded id.
    pub async fn task_requests(&self, task_id: &str) -> Result<TaskRequests> {
        let url = format!(
            "{}/sim/requests/{}",
            self.base_url,
            encode_component(task_id)
        );
        let json = self
            .http
            .expect(Method::GET, &url, None, StatusCode::OK)
            .await?;
        parse(Method::GET, &url, json)
    }

    /// Returns the request count of the task route for this exact decoded id.
    pub async fn request_count(&self, task_id: &str) -> Result<u64> {
        Ok(self.task_requests(task_id).await?.count)
    }

    /// Returns the request counts of every id and the unmatched paths.
    pub async fn request_summary(&self) -> Result<RequestSummary> {
        let url = format!("{}/sim/requests", self.base_url);
        let json = self
            .http
            .expect(Method::GET, &url, None, StatusCode::OK)
            .await?;
        parse(Method::GET, &url, json)
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn parse<T: DeserializeOwned>(method: Method, url: &str, json: Value) -> Result<T> {
    serde_json::from_value(json.clone()).map_err(|error| Error::Http {
        method: method.to_string(),
        url: url.to_owned(),
        reason: format!("unexpected body ({error}): {json}"),
    })
}
