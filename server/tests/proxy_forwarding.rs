//! Proxy mode: what is forwarded to the upstream API, with which key, and
//! what is refused before anything is sent upstream.

mod proxy_support;

use proxy_support::{
    proxy_config, send, send_with_body, start_fake_upstream, start_pair, start_proxy,
    start_simulator, SIMULATOR_KEY,
};
use serde_json::json;

const TRIPS_RETRY: &str = "/v1/enterprise/push/trips/failed/retry";
const CRASHES_RETRY: &str = "/v1/enterprise/push/crashes/failed/retry";

#[tokio::test]
async fn proxy_adds_key_upstream() {
    let (simulator, proxy) = start_pair().await;
    simulator.create_task("task-1").await;

    // The simulator returns 401 to requests without its key, so the 200
    // shows the proxy added it.
    let response = send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["taskId"], "task-1");
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn proxy_with_wrong_key_passes_upstream_401() {
    let simulator = start_simulator().await;
    simulator.create_task("task-1").await;
    let proxy = start_proxy(proxy_config(simulator.address, "wrong-proxy-key")).await;

    let response = send(
        proxy,
        "GET",
        "/v1/enterprise/task/task-1",
        &[("x-dq-enterprise-api-key", SIMULATOR_KEY)],
    )
    .await;

    assert_eq!(response.status, 401, "{}", response.body);
    assert_eq!(response.json()["error"], "unauthorized");
}

#[tokio::test]
async fn proxy_drops_browser_key_header() {
    let (simulator, proxy) = start_pair().await;
    simulator.create_task("task-1").await;

    // A forwarded wrong key would replace or duplicate the proxy's key,
    // and the simulator would return 401.
    let response = send(
        proxy,
        "GET",
        "/v1/enterprise/task/task-1",
        &[("x-dq-enterprise-api-key", "browser-key-wrong")],
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.body);
}

#[tokio::test]
async fn proxy_sends_only_its_own_headers_upstream() {
    let upstream = start_fake_upstream().await;
    let proxy = start_proxy(proxy_config(upstream.address, "proxy-key-81b3")).await;

    let response = send(
        proxy,
        "GET",
        "/v1/enterprise/task/t1",
        &[
            ("x-dq-enterprise-api-key", "browser-key-0c55"),
            ("cookie", "session=portal-session"),
            ("authorization", "Bearer portal-token"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
    )
    .await;
    let captured = upstream.captured();
    let request = captured.first().expect("upstream got a request");
    let keys: Vec<_> = request
        .headers
        .get_all("x-dq-enterprise-api-key")
        .iter()
        .collect();

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(captured.len(), 1);
    assert_eq!(request.uri.path(), "/v1/enterprise/task/t1");
    assert_eq!(keys, vec!["proxy-key-81b3"]);
    assert!(request.headers.get("cookie").is_none());
    assert!(request.headers.get("authorization").is_none());
    assert!(request.headers.get("x-forwarded-for").is_none());
}

#[tokio::test]
async fn proxy_other_paths_are_404() {
    let (simulator, proxy) = start_pair().await;
    simulator.create_task("task-1").await;

    let requests = [
        ("GET", "/v1/enterprise/tasks"),
        ("GET", "/v1/enterprise/task"),
        ("GET", "/v1/enterprise/trips/failed"),
        ("GET", "/v1"),
        ("GET", "/sim/tasks"),
        ("GET", "/sim/requests"),
        ("POST", "/sim/push/pause"),
        ("POST", "/sim/tasks/task-1/fail"),
        ("GET", "/v1/enterprise/task/task-1?fields=all"),
        ("GET", "/v1/enterprise/task/task-1?"),
        ("POST", "/v1/enterprise/task/task-1"),
        ("DELETE", "/v1/enterprise/task/task-1"),
        ("HEAD", "/v1/enterprise/task/task-1"),
        ("GET", TRIPS_RETRY),
        ("POST", "/"),
    ];
    for (method, target) in requests {
        let response = send(proxy, method, target, &[]).await;

        assert_eq!(response.status, 404, "{method} {target}: {}", response.body);
        if method != "HEAD" {
            assert_eq!(response.json()["error"], "not_found", "{method} {target}");
        }
    }
    let index = simulator.request_index().await;

    assert_eq!(index["counts"], json!({}));
    assert_eq!(index["unmatched"], json!([]));
}

#[tokio::test]
async fn proxy_invalid_ids_are_400() {
    let (simulator, proxy) = start_pair().await;
    let too_long = "a".repeat(65);

    let targets = [
        "/v1/enterprise/task/..".to_owned(),
        "/v1/enterprise/task/.".to_owned(),
        "/v1/enterprise/task/%2e%2e".to_owned(),
        "/v1/enterprise/task/%2E%2E".to_owned(),
        "/v1/enterprise/task/a%2Fb".to_owned(),
        "/v1/enterprise/task/a%2fb".to_owned(),
        "/v1/enterprise/task/%2F".to_owned(),
        "/v1/enterprise/task/a%5Cb".to_owned(),
        "/v1/enterprise/task/".to_owned(),
        "/v1/enterprise/task/a/b".to_owned(),
        "/v1/enterprise/task/../../sim/tasks".to_owned(),
        "/v1/enterprise/task/a%20b".to_owned(),
        "/v1/enterprise/task/a%3Fb".to_owned(),
        "/v1/enterprise/task/%ff".to_owned(),
        "/v1/enterprise/task/a%".to_owned(),
        "/v1/enterprise/task/a%00".to_owned(),
        format!("/v1/enterprise/task/{too_long}"),
    ];
    for target in &targets {
        let response = send(proxy, "GET", target, &[]).await;

        assert_eq!(response.status, 400, "{target}: {}", response.body);
        assert_eq!(response.json()["error"], "invalid_task_id", "{target}");
    }
    let index = simulator.request_index().await;

    assert_eq!(index["counts"], json!({}));
    assert_eq!(index["unmatched"], json!([]));
}

#[tokio::test]
async fn proxy_forwards_max_length_id() {
    let (simulator, proxy) = start_pair().await;
    let id = "a".repeat(64);

    let response = send(proxy, "GET", &format!("/v1/enterprise/task/{id}"), &[]).await;

    assert_eq!(response.status, 404, "{}", response.body);
    assert_eq!(response.json()["error"], "task_not_found");
    assert_eq!(simulator.task_request_count(&id).await, 1);
}

#[tokio::test]
async fn proxy_forwards_decoded_id() {
    let (simulator, proxy) = start_pair().await;
    simulator.create_task("abc").await;

    let response = send(proxy, "GET", "/v1/enterprise/task/ab%63", &[]).await;
    let index = simulator.request_index().await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(index["counts"], json!({"abc": 1}));
}

#[tokio::test]
async fn proxy_retries_disabled_are_404() {
    let (simulator, proxy) = start_pair().await;

    let trips = send(proxy, "POST", TRIPS_RETRY, &[]).await;
    let crashes = send(proxy, "POST", CRASHES_RETRY, &[]).await;

    assert_eq!(trips.status, 404, "{}", trips.body);
    assert_eq!(crashes.status, 404, "{}", crashes.body);
    assert_eq!(simulator.task_ids().await, Vec::<String>::new());
}

#[tokio::test]
async fn proxy_retries_enabled_are_forwarded_with_key() {
    let simulator = start_simulator().await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.allow_retries = true;
    let proxy = start_proxy(config).await;

    let trips = send(proxy, "POST", TRIPS_RETRY, &[]).await;
    let crashes = send(proxy, "POST", CRASHES_RETRY, &[]).await;
    let trip_task = trips.json()["taskId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    assert_eq!(trips.status, 200, "{}", trips.body);
    assert_eq!(trips.json()["nbItems"], 120);
    assert_eq!(crashes.status, 200, "{}", crashes.body);
    assert_eq!(crashes.json()["nbItems"], 40);
    assert!(simulator.task_ids().await.contains(&trip_task));
}

#[tokio::test]
async fn proxy_retries_are_not_cached() {
    let simulator = start_simulator().await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.allow_retries = true;
    let proxy = start_proxy(config).await;

    // The simulator returns 409 to a second retry while the first runs, so
    // the 409 shows that the second request reached it.
    let first = send(proxy, "POST", TRIPS_RETRY, &[]).await;
    let second = send(proxy, "POST", TRIPS_RETRY, &[]).await;

    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(second.status, 409, "{}", second.body);
}

#[tokio::test]
async fn proxy_retry_body_is_not_forwarded() {
    let upstream = start_fake_upstream().await;
    let mut config = proxy_config(upstream.address, "proxy-key-81b3");
    config.allow_retries = true;
    let proxy = start_proxy(config).await;

    let response = send_with_body(
        proxy,
        "POST",
        TRIPS_RETRY,
        &[("content-type", "application/json")],
        r#"{"taskIds": ["x"]}"#,
    )
    .await;
    let captured = upstream.captured();
    let request = captured.first().expect("upstream got a request");

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri.path(), TRIPS_RETRY);
    assert!(request.body.is_empty());
    assert_eq!(
        request
            .headers
            .get("x-dq-enterprise-api-key")
            .map(|key| key.as_bytes()),
        Some(&b"proxy-key-81b3"[..])
    );
}

#[tokio::test]
async fn proxy_retry_from_other_origin_is_403() {
    let simulator = start_simulator().await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.allow_retries = true;
    let proxy = start_proxy(config).await;

    let response = send(
        proxy,
        "POST",
        TRIPS_RETRY,
        &[("origin", "https://attacker.example")],
    )
    .await;

    assert_eq!(response.status, 403, "{}", response.body);
    assert_eq!(response.json()["error"], "forbidden_origin");
    assert_eq!(simulator.task_ids().await, Vec::<String>::new());
}

#[tokio::test]
async fn proxy_retry_from_own_origin_is_forwarded() {
    let simulator = start_simulator().await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.allow_retries = true;
    let proxy = start_proxy(config).await;

    let origin = format!("http://{proxy}");
    let response = send(proxy, "POST", TRIPS_RETRY, &[("origin", &origin)]).await;

    assert_eq!(response.status, 200, "{}", response.body);
}

#[tokio::test]
async fn proxy_retry_with_query_is_404() {
    let simulator = start_simulator().await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.allow_retries = true;
    let proxy = start_proxy(config).await;

    let response = send(proxy, "POST", &format!("{TRIPS_RETRY}?all=1"), &[]).await;

    assert_eq!(response.status, 404, "{}", response.body);
    assert_eq!(simulator.task_ids().await, Vec::<String>::new());
}
