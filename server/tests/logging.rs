//! Log output: requests are logged, API keys never are.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::Method;
use common::TestApp;
use serde_json::json;
use task_status_server::Config;

/// Log sink that tests read after the requests.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("buffer lock")).into_owned()
    }
}

/// Sends every log event of the current thread to the returned buffer
/// until the guard is dropped.
fn capture_logs() -> (SharedBuffer, tracing::subscriber::DefaultGuard) {
    let buffer = SharedBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (buffer, guard)
}

// The default test runtime runs on the test's thread, so the thread-local
// subscriber receives every event of the requests.
#[tokio::test]
async fn logs_never_contain_api_keys() {
    let (buffer, _guard) = capture_logs();

    let app = TestApp::with_config(Config {
        api_key: "configured-key-7c1e".to_owned(),
        ..Config::default()
    });
    let uri = "/v1/enterprise/task/de7000000000000000000001";
    app.send(Method::GET, uri, Some("configured-key-7c1e"), None)
        .await;
    app.send(Method::GET, uri, Some("wrong-key-51d0"), None)
        .await;
    app.send(
        Method::POST,
        "/v1/enterprise/push/trips/failed/retry",
        Some("configured-key-7c1e"),
        None,
    )
    .await;
    app.post("/sim/push/pause").await;
    let log = buffer.text();

    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("status=401"), "{log}");
    assert!(log.contains("retry task created"), "{log}");
    assert!(log.contains("push service paused"), "{log}");
    assert!(!log.contains("configured-key-7c1e"), "{log}");
    assert!(!log.contains("wrong-key-51d0"), "{log}");
}

#[tokio::test]
async fn logs_scripted_response_with_task_and_step() {
    let (buffer, _guard) = capture_logs();
    let app = TestApp::with_config(Config {
        api_key: "configured-key-7c1e".to_owned(),
        ..Config::default()
    });
    app.create_task(json!({"taskId": "scripted"})).await;
    app.set_script(
        "scripted",
        json!({"steps": [{"status": 500}, {"status": 429}]}),
    )
    .await;
    let uri = "/v1/enterprise/task/scripted";

    app.send(Method::GET, uri, Some("configured-key-7c1e"), None)
        .await;
    app.send(Method::GET, uri, Some("configured-key-7c1e"), None)
        .await;
    let log = buffer.text();

    assert!(log.contains("task script set"), "{log}");
    assert!(
        log.contains("scripted response sent task_id=\"scripted\" step=0 status=500"),
        "{log}"
    );
    assert!(
        log.contains("scripted response sent task_id=\"scripted\" step=1 status=429"),
        "{log}"
    );
    assert!(!log.contains("configured-key-7c1e"), "{log}");
}
