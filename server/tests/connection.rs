//! The server loop of `task_status_server::serve` on a loopback port:
//! closed connections, hung requests and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use task_status_server::{serve, AppState, Config, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};

/// A server on a loopback port and the switch that shuts it down.
struct TestServer {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start_server() -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port binds");
    let address = listener.local_addr().expect("address is known");
    let config = Config {
        demo_tasks: false,
        ..Config::default()
    };
    let state = AppState::new(config, Arc::new(SystemClock));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    TestServer {
        address,
        stop,
        task,
    }
}

/// Opens a connection and sends one request with `Connection: close`.
async fn send(address: SocketAddr, method: &str, path: &str, body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("server accepts");
    let request = format!(
        "{method} {path} HTTP/1.1\r\n\
         Host: {address}\r\n\
         x-dq-enterprise-api-key: demo-key\r\n\
         content-type: application/json\r\n\
         content-length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request is sent");
    stream
}

/// Reads until the server closes the connection. A reset counts as a close.
async fn read_to_close(mut stream: TcpStream) -> String {
    let mut bytes = Vec::new();
    let read = timeout(Duration::from_secs(5), stream.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "the server did not close the connection");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Sends a request and returns the raw response.
async fn exchange(address: SocketAddr, method: &str, path: &str, body: &str) -> String {
    read_to_close(send(address, method, path, body).await).await
}

/// Returns the JSON body of a raw response.
fn json_body(response: &str) -> Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {response}"))
}

async fn create_scripted_task(address: SocketAddr, task_id: &str, script: &str) {
    let task = format!(r#"{{"taskId": "{task_id}"}}"#);
    let created = exchange(address, "POST", "/sim/tasks", &task).await;
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let path = format!("/sim/tasks/{task_id}/script");
    let scripted = exchange(address, "POST", &path, script).await;
    assert!(scripted.starts_with("HTTP/1.1 200"), "{scripted}");
}

async fn request_log(address: SocketAddr, task_id: &str) -> Value {
    let path = format!("/sim/requests/{task_id}");
    json_body(&exchange(address, "GET", &path, "").await)
}

/// Waits until the log of `task_id` shows `count` requests, or 5 s pass,
/// and returns the log.
async fn wait_for_count(address: SocketAddr, task_id: &str, count: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = request_log(address, task_id).await;
        let arrived = log["count"].as_u64() == Some(count);
        if arrived || Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn hung_request_does_not_block_shutdown() {
    let server = start_server().await;
    create_scripted_task(server.address, "h", r#"{"steps": [{"hang": true}]}"#).await;

    let hung = send(server.address, "GET", "/v1/enterprise/task/h", "").await;
    let log = wait_for_count(server.address, "h", 1).await;
    let started = Instant::now();
    let _ = server.stop.send(());
    let stopped = timeout(Duration::from_secs(2), server.task).await;
    let shutdown_time = started.elapsed();
    let response = read_to_close(hung).await;

    assert_eq!(log["requests"][0]["settledMs"], Value::Null);
    assert!(stopped.is_ok(), "the server did not stop within 2 s");
    assert!(shutdown_time < Duration::from_secs(1), "{shutdown_time:?}");
    assert_eq!(response, "");
}

#[tokio::test]
async fn delayed_request_does_not_block_shutdown() {
    let server = start_server().await;
    create_scripted_task(server.address, "d", r#"{"steps": [{"delayMs": 600000}]}"#).await;

    let delayed = send(server.address, "GET", "/v1/enterprise/task/d", "").await;
    wait_for_count(server.address, "d", 1).await;
    let started = Instant::now();
    let _ = server.stop.send(());
    let stopped = timeout(Duration::from_secs(2), server.task).await;
    let shutdown_time = started.elapsed();
    let response = read_to_close(delayed).await;

    assert!(stopped.is_ok(), "the server did not stop within 2 s");
    assert!(shutdown_time < Duration::from_secs(1), "{shutdown_time:?}");
    assert_eq!(response, "");
}

#[tokio::test]
async fn drop_connection_sends_no_response() {
    let server = start_server().await;
    let script = r#"{"steps": [{"dropConnection": true}, {"status": 502}]}"#;
    create_scripted_task(server.address, "c", script).await;

    let started = Instant::now();
    let dropped = exchange(server.address, "GET", "/v1/enterprise/task/c", "").await;
    let drop_time = started.elapsed();
    let next = exchange(server.address, "GET", "/v1/enterprise/task/c", "").await;
    let log = request_log(server.address, "c").await;

    assert_eq!(dropped, "");
    assert!(drop_time < Duration::from_millis(500), "{drop_time:?}");
    assert!(next.starts_with("HTTP/1.1 502"), "{next}");
    assert_eq!(log["requests"][0]["step"], 0);
    assert_eq!(log["requests"][0]["status"], Value::Null);
    assert!(log["requests"][0]["settledMs"].is_i64());
    assert_eq!(log["requests"][1]["status"], 502);
    let _ = server.stop.send(());
}

#[tokio::test]
async fn drop_connection_after_delay() {
    let server = start_server().await;
    let script = r#"{"steps": [{"dropConnection": true, "delayMs": 300}]}"#;
    create_scripted_task(server.address, "c", script).await;

    let started = Instant::now();
    let dropped = exchange(server.address, "GET", "/v1/enterprise/task/c", "").await;
    let drop_time = started.elapsed();

    assert_eq!(dropped, "");
    assert!(drop_time >= Duration::from_millis(300), "{drop_time:?}");
    let _ = server.stop.send(());
}

#[tokio::test]
async fn client_closing_hung_request_settles_it() {
    let server = start_server().await;
    create_scripted_task(server.address, "h", r#"{"steps": [{"hang": true}]}"#).await;

    let hung = send(server.address, "GET", "/v1/enterprise/task/h", "").await;
    wait_for_count(server.address, "h", 1).await;
    drop(hung);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut log = request_log(server.address, "h").await;
    while log["requests"][0]["settledMs"].is_null() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        log = request_log(server.address, "h").await;
    }

    assert!(log["requests"][0]["settledMs"].is_i64(), "{log}");
    assert_eq!(log["requests"][0]["status"], Value::Null);
    let _ = server.stop.send(());
}

#[tokio::test]
async fn scripted_headers_reach_client() {
    let server = start_server().await;
    let script = r#"{"steps": [{"status": 429, "headers": {"Retry-After": "5"}}]}"#;
    create_scripted_task(server.address, "r", script).await;

    let response = exchange(server.address, "GET", "/v1/enterprise/task/r", "").await;

    assert!(
        response.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
        "{response}"
    );
    assert!(response.contains("\r\nretry-after: 5\r\n"), "{response}");
    let _ = server.stop.send(());
}
