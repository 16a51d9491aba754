//! Proxy mode: sharing and caching of upstream requests, and the
//! responses to upstream failures.

mod proxy_support;

use std::time::{Duration, Instant};

use proxy_support::{proxy_config, send, start_proxy, start_simulator, Simulator, SIMULATOR_KEY};
use serde_json::json;
use std::net::SocketAddr;

/// Starts a simulator and a proxy with the cache time `cache`.
async fn start_with_cache(cache: Duration) -> (Simulator, SocketAddr) {
    let simulator = start_simulator().await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.cache_ttl = cache;
    let proxy = start_proxy(config).await;
    (simulator, proxy)
}

/// Sends `count` concurrent requests of the task and returns their statuses.
async fn get_concurrently(proxy: SocketAddr, task_id: &str, count: usize) -> Vec<u16> {
    let target = format!("/v1/enterprise/task/{task_id}");
    let requests: Vec<_> = (0..count)
        .map(|_| {
            let target = target.clone();
            tokio::spawn(async move { send(proxy, "GET", &target, &[]).await.status })
        })
        .collect();
    let mut statuses = Vec::with_capacity(count);
    for request in requests {
        statuses.push(request.await.expect("request task ends"));
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_100_viewers_cause_one_upstream_request() {
    // 10 s is far longer than 100 loopback requests take, so every viewer
    // falls in the first cache period.
    let (simulator, proxy) = start_with_cache(Duration::from_secs(10)).await;
    simulator.create_task("shared").await;

    let statuses = get_concurrently(proxy, "shared", 100).await;

    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    assert_eq!(simulator.task_request_count("shared").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_off_still_shares_concurrent_requests() {
    let (simulator, proxy) = start_with_cache(Duration::ZERO).await;
    // Each upstream response takes 500 ms, so the 20 requests overlap.
    simulator
        .create_scripted_task(
            "slow",
            json!({"steps": [{"delayMs": 500}], "then": "repeat-last"}),
        )
        .await;

    let statuses = get_concurrently(proxy, "slow", 20).await;

    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    assert_eq!(simulator.task_request_count("slow").await, 1);
}

#[tokio::test]
async fn cache_off_sends_each_sequential_request() {
    let (simulator, proxy) = start_with_cache(Duration::ZERO).await;
    simulator.create_task("task-1").await;

    send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;
    send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;

    assert_eq!(simulator.task_request_count("task-1").await, 2);
}

#[tokio::test]
async fn cache_expires_after_its_period() {
    let (simulator, proxy) = start_with_cache(Duration::from_millis(200)).await;
    simulator.create_task("task-1").await;

    send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;
    send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;
    let within_period = simulator.task_request_count("task-1").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;
    let after_period = simulator.task_request_count("task-1").await;

    assert_eq!(within_period, 1);
    assert_eq!(after_period, 2);
}

#[tokio::test]
async fn cache_keeps_404_for_its_period() {
    let (simulator, proxy) = start_with_cache(Duration::from_secs(10)).await;

    let first = send(proxy, "GET", "/v1/enterprise/task/absent", &[]).await;
    let second = send(proxy, "GET", "/v1/enterprise/task/absent", &[]).await;

    assert_eq!(first.status, 404);
    assert_eq!(second.status, 404);
    assert_eq!(second.json()["error"], "task_not_found");
    assert_eq!(simulator.task_request_count("absent").await, 1);
}

#[tokio::test]
async fn cache_skips_server_errors() {
    let (simulator, proxy) = start_with_cache(Duration::from_secs(10)).await;
    simulator
        .create_scripted_task(
            "flaky",
            json!({"steps": [{"status": 500, "json": {"error": "internal"}}]}),
        )
        .await;

    let first = send(proxy, "GET", "/v1/enterprise/task/flaky", &[]).await;
    let second = send(proxy, "GET", "/v1/enterprise/task/flaky", &[]).await;

    assert_eq!(first.status, 500);
    assert_eq!(second.status, 200);
    assert_eq!(simulator.task_request_count("flaky").await, 2);
}

#[tokio::test]
async fn upstream_down_is_502_json() {
    // A port that was free a moment ago refuses connections.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port binds")
        .local_addr()
        .expect("address is known");
    let proxy = start_proxy(proxy_config(closed, SIMULATOR_KEY)).await;

    let response = send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_unreachable");
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn upstream_slow_is_504_at_timeout() {
    let simulator = start_simulator().await;
    simulator
        .create_scripted_task("slow", json!({"steps": [{"delayMs": 5000}]}))
        .await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.upstream_timeout = Duration::from_millis(300);
    let proxy = start_proxy(config).await;

    let started = Instant::now();
    let response = send(proxy, "GET", "/v1/enterprise/task/slow", &[]).await;
    let elapsed = started.elapsed();

    assert_eq!(response.status, 504, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_timeout");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
}

#[tokio::test]
async fn upstream_429_passes_status_and_retry_after() {
    let simulator = start_simulator().await;
    let proxy = start_proxy(proxy_config(simulator.address, SIMULATOR_KEY)).await;
    let created = proxy_support::send_json(
        simulator.address,
        "POST",
        "/sim/scenarios/rate-limited",
        &json!({"taskId": "limited"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);

    let response = send(proxy, "GET", "/v1/enterprise/task/limited", &[]).await;

    assert_eq!(response.status, 429, "{}", response.body);
    assert_eq!(response.header("retry-after"), Some("5"));
    assert!(response.json()["error"].is_string(), "{}", response.body);
}

#[tokio::test]
async fn upstream_json_error_body_is_passed_on() {
    let (simulator, proxy) = start_with_cache(Duration::ZERO).await;
    simulator
        .create_scripted_task(
            "broken",
            json!({"steps": [{"status": 503, "json": {"error": "maintenance", "message": "Back at 10:00."}}]}),
        )
        .await;

    let response = send(proxy, "GET", "/v1/enterprise/task/broken", &[]).await;

    assert_eq!(response.status, 503);
    assert_eq!(
        response.json(),
        json!({"error": "maintenance", "message": "Back at 10:00."})
    );
}

#[tokio::test]
async fn upstream_html_502_is_not_echoed() {
    let simulator = start_simulator().await;
    let proxy = start_proxy(proxy_config(simulator.address, SIMULATOR_KEY)).await;
    let created = proxy_support::send_json(
        simulator.address,
        "POST",
        "/sim/scenarios/garbage",
        &json!({"taskId": "garbage"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);

    let response = send(proxy, "GET", "/v1/enterprise/task/garbage", &[]).await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_error");
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(
        !response.body.to_ascii_lowercase().contains("<html"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn upstream_200_without_json_is_502() {
    let (simulator, proxy) = start_with_cache(Duration::ZERO).await;
    simulator
        .create_scripted_task(
            "text",
            json!({"steps": [{"body": "<script>alert(1)</script>", "headers": {"content-type": "text/html"}}]}),
        )
        .await;

    let response = send(proxy, "GET", "/v1/enterprise/task/text", &[]).await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_invalid_response");
    assert!(!response.body.contains("<script>"), "{}", response.body);
}

#[tokio::test]
async fn upstream_redirect_is_502_and_not_followed() {
    let (simulator, proxy) = start_with_cache(Duration::ZERO).await;
    simulator.create_task("target").await;
    let location = format!("http://{}/v1/enterprise/task/target", simulator.address);
    simulator
        .create_scripted_task(
            "moved",
            json!({"steps": [{"status": 302, "headers": {"Location": location}}]}),
        )
        .await;

    let response = send(proxy, "GET", "/v1/enterprise/task/moved", &[]).await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_redirect");
    assert_eq!(simulator.task_request_count("target").await, 0);
}

#[tokio::test]
async fn upstream_body_over_limit_is_502() {
    let simulator = start_simulator().await;
    let big = json!({"taskId": "big", "padding": "x".repeat(2048)});
    simulator
        .create_scripted_task("big", json!({"steps": [{"json": big}]}))
        .await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.max_upstream_body_bytes = 1024;
    let proxy = start_proxy(config).await;

    let response = send(proxy, "GET", "/v1/enterprise/task/big", &[]).await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_body_too_large");
}

#[tokio::test]
async fn upstream_closed_connection_is_502() {
    let (simulator, proxy) = start_with_cache(Duration::ZERO).await;
    simulator
        .create_scripted_task("dropped", json!({"steps": [{"dropConnection": true}]}))
        .await;

    let response = send(proxy, "GET", "/v1/enterprise/task/dropped", &[]).await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_failed");
}

#[tokio::test]
async fn upstream_chunked_body_over_limit_is_502() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // A chunked body declares no length, so the proxy must count the
    // bytes as they arrive.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port binds");
    let upstream = listener.local_addr().expect("address is known");
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("proxy connects");
        let mut request = [0_u8; 4096];
        let _ = stream.read(&mut request).await;
        let chunk = "x".repeat(512);
        let mut response = String::from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        for _ in 0..4 {
            response.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
        }
        response.push_str("0\r\n\r\n");
        let _ = stream.write_all(response.as_bytes()).await;
    });
    let mut config = proxy_config(upstream, SIMULATOR_KEY);
    config.max_upstream_body_bytes = 1024;
    let proxy = start_proxy(config).await;

    let response = send(proxy, "GET", "/v1/enterprise/task/big", &[]).await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.json()["error"], "upstream_body_too_large");
}
