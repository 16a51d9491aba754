//! Helpers of the proxy tests: a simulator and a proxy on loopback ports,
//! a fake upstream that records requests, and a raw HTTP/1.1 client that
//! sends paths exactly as written.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use serde_json::{json, Value};
use task_status_server::proxy::{self, ApiKey, ProxyConfig, ProxyState, UpstreamUrl};
use task_status_server::{serve, AppState, Config, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Key of the simulators in these tests.
pub const SIMULATOR_KEY: &str = "simulator-key-4f2a";

/// Time that a test waits for any response before failing.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A simulator on a loopback port. Dropping it stops the server.
pub struct Simulator {
    pub address: SocketAddr,
    _stop: oneshot::Sender<()>,
}

/// Starts a simulator with no demo tasks that accepts [`SIMULATOR_KEY`].
pub async fn start_simulator() -> Simulator {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port binds");
    let address = listener.local_addr().expect("address is known");
    let config = Config {
        api_key: SIMULATOR_KEY.to_owned(),
        demo_tasks: false,
        ..Config::default()
    };
    let state = AppState::new(config, Arc::new(SystemClock));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Simulator {
        address,
        _stop: stop,
    }
}

impl Simulator {
    /// Creates a task with this id, panicking on failure.
    pub async fn create_task(&self, task_id: &str) {
        let created = send_json(
            self.address,
            "POST",
            "/sim/tasks",
            &json!({ "taskId": task_id }),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.body);
    }

    /// Creates a task with this id and script, panicking on failure.
    pub async fn create_scripted_task(&self, task_id: &str, script: Value) {
        self.create_task(task_id).await;
        let uri = format!("/sim/tasks/{task_id}/script");
        let scripted = send_json(self.address, "POST", &uri, &script).await;
        assert_eq!(scripted.status, 200, "{}", scripted.body);
    }

    /// Returns `GET /sim/requests`: counts per task id and unmatched paths.
    pub async fn request_index(&self) -> Value {
        send(self.address, "GET", "/sim/requests", &[]).await.json()
    }

    /// Returns the number of `GET /v1/enterprise/task/{task_id}` received.
    pub async fn task_request_count(&self, task_id: &str) -> u64 {
        self.request_index().await["counts"][task_id]
            .as_u64()
            .unwrap_or(0)
    }

    /// Returns the ids of every task, seeded and created.
    pub async fn task_ids(&self) -> Vec<String> {
        let list = send(self.address, "GET", "/sim/tasks", &[]).await.json();
        list["tasks"]
            .as_array()
            .map(|tasks| {
                tasks
                    .iter()
                    .filter_map(|task| task["taskId"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Returns proxy settings for the upstream at `upstream` with `key`.
pub fn proxy_config(upstream: SocketAddr, key: &str) -> ProxyConfig {
    let upstream = UpstreamUrl::parse(&format!("http://{upstream}")).expect("URL is valid");
    ProxyConfig::new(upstream, ApiKey::new(key).expect("key is valid"))
}

/// Starts a proxy on a loopback port and returns its address. It stops with
/// the test's runtime.
pub async fn start_proxy(config: ProxyConfig) -> SocketAddr {
    let state = ProxyState::new(config).expect("proxy starts");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port binds");
    let address = listener.local_addr().expect("address is known");
    tokio::spawn(async move { axum::serve(listener, proxy::app(state)).await });
    address
}

/// Starts a simulator and a proxy in front of it with the right key.
pub async fn start_pair() -> (Simulator, SocketAddr) {
    let simulator = start_simulator().await;
    let proxy = start_proxy(proxy_config(simulator.address, SIMULATOR_KEY)).await;
    (simulator, proxy)
}

/// A request that the fake upstream received.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A server that records every request and returns a task.
pub struct FakeUpstream {
    pub address: SocketAddr,
    pub requests: Arc<Mutex<Vec<CapturedRequest>>>,
}

impl FakeUpstream {
    pub fn captured(&self) -> Vec<CapturedRequest> {
        self.requests.lock().expect("capture lock").clone()
    }
}

/// Starts a fake upstream that returns 200 with the task `{"taskId": "t1"}`.
pub async fn start_fake_upstream() -> FakeUpstream {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&requests);
    let router = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let recorded = Arc::clone(&recorded);
            async move {
                recorded
                    .lock()
                    .expect("capture lock")
                    .push(CapturedRequest {
                        method,
                        uri,
                        headers,
                        body,
                    });
                (StatusCode::OK, axum::Json(json!({"taskId": "t1"}))).into_response()
            }
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port binds");
    let address = listener.local_addr().expect("address is known");
    tokio::spawn(async move { axum::serve(listener, router).await });
    FakeUpstream { address, requests }
}

/// Status, headers with lowercase names, and body of a raw response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    /// Returns the first value of the header `name`, which must be
    /// lowercase.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    /// Parses the body as JSON, panicking with the body text if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.body))
    }
}

/// Sends one HTTP/1.1 request with `target` written as is, so paths such as
/// `/a/../b` and `%2e%2e` reach the server unchanged.
pub async fn send(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> RawResponse {
    send_with_body(address, method, target, headers, "").await
}

/// Sends a request with a JSON body.
pub async fn send_json(
    address: SocketAddr,
    method: &str,
    target: &str,
    body: &Value,
) -> RawResponse {
    let text = body.to_string();
    send_with_body(
        address,
        method,
        target,
        &[("content-type", "application/json")],
        &text,
    )
    .await
}

/// Sends a request with a body.
pub async fn send_with_body(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawResponse {
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));

    let exchange = async {
        let mut stream = TcpStream::connect(address).await.expect("server accepts");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("request is sent");
        let mut bytes = Vec::new();
        stream
            .read_to_end(&mut bytes)
            .await
            .expect("response is read");
        bytes
    };
    let bytes = tokio::time::timeout(RESPONSE_TIMEOUT, exchange)
        .await
        .expect("response arrives in time");
    parse_response(&bytes)
}

fn parse_response(bytes: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("response has no header end: {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("invalid status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let is_chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if is_chunked {
        decode_chunked(body)
    } else {
        body.to_owned()
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn decode_chunked(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}
