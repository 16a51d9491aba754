//! Proxy mode: log lines carry the request and task ids and never a key.
//!
//! This test has its own binary because the thread-local subscriber it
//! installs can miss events whose callsites other tests of the same binary
//! register at the same time.

mod proxy_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use proxy_support::{proxy_config, send, start_proxy, start_simulator, SIMULATOR_KEY};

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

// The default test runtime runs every task on the test's thread, so the
// thread-local subscriber receives the events of both servers.
#[tokio::test]
async fn log_line_has_ids_and_no_key() {
    let buffer = SharedBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let simulator = start_simulator().await;
    simulator.create_task("task-1").await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.allow_retries = true;
    let proxy = start_proxy(config).await;

    let first = send(
        proxy,
        "GET",
        "/v1/enterprise/task/task-1",
        &[("x-dq-enterprise-api-key", "browser-key-77d0")],
    )
    .await;
    send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;
    send(proxy, "POST", "/v1/enterprise/push/trips/failed/retry", &[]).await;
    let log = String::from_utf8_lossy(&buffer.0.lock().expect("buffer lock")).into_owned();
    let request_id = first.header("x-request-id").unwrap_or("none");
    let first_line = log
        .lines()
        .find(|line| {
            line.contains(&format!("request_id={request_id}"))
                && line.contains("proxied task request")
        })
        .unwrap_or_else(|| panic!("no proxied line with {request_id}: {log}"));

    assert!(first_line.contains("task_id=task-1"), "{first_line}");
    assert!(first_line.contains("upstream_status=200"), "{first_line}");
    assert!(first_line.contains("cache=\"miss\""), "{first_line}");
    assert!(first_line.contains("latency_ms="), "{first_line}");
    assert!(log.contains("cache=\"hit\""), "{log}");
    assert!(log.contains("proxied retry request"), "{log}");
    assert!(!log.contains(SIMULATOR_KEY), "{log}");
    assert!(!log.contains("browser-key-77d0"), "{log}");
}
