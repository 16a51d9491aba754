//! Proxy mode: the widget's files, the security and CORS headers, and
//! request ids.

mod proxy_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use proxy_support::{
    proxy_config, send, start_proxy, start_simulator, RawResponse, Simulator, SIMULATOR_KEY,
};
use sha2::{Digest, Sha256};
use task_status_server::proxy::{CorsOrigin, FrameAncestors, ProxyConfig};

/// Inline bootstrap in the form Trunk writes it.
const BOOTSTRAP: &str =
    "\nimport init from '/widget.js';\nawait init({ module_or_path: '/widget_bg.wasm' });\n";

/// Folder of a built page, removed on drop.
struct Dist(PathBuf);

impl Dist {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "task-status-server-proxy-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("dist is created");
        let index = format!(
            "<!doctype html><html><head><script type=\"module\">{BOOTSTRAP}</script>\
             <link rel=\"stylesheet\" href=\"/widget.css\"/></head><body></body></html>"
        );
        std::fs::write(path.join("index.html"), index).expect("index is written");
        std::fs::write(path.join("widget.css"), ".bar { color: red; }").expect("css is written");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts a simulator with the task `task-1` and a proxy in front of it
/// that serves `dist`. The simulator stops when the returned value drops.
async fn start_serving(
    dist: &Dist,
    configure: impl FnOnce(&mut ProxyConfig),
) -> (Simulator, SocketAddr) {
    let simulator = start_simulator().await;
    simulator.create_task("task-1").await;
    let mut config = proxy_config(simulator.address, SIMULATOR_KEY);
    config.dist_dir = Some(dist.path().to_path_buf());
    configure(&mut config);
    let proxy = start_proxy(config).await;
    (simulator, proxy)
}

fn csp(response: &RawResponse) -> &str {
    response
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no CSP header: {:?}", response.headers))
}

#[tokio::test]
async fn page_is_served_with_csp() {
    let dist = Dist::new("page");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;

    let response = send(proxy, "GET", "/", &[]).await;
    let policy = csp(&response);

    assert_eq!(response.status, 200);
    assert!(response.body.contains("<script type=\"module\">"));
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(
        policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{policy}"
    );
    assert!(policy.contains("style-src 'self';"), "{policy}");
    assert!(policy.contains("connect-src 'self';"), "{policy}");
    assert!(policy.contains("img-src 'self' data:;"), "{policy}");
    assert!(policy.contains("base-uri 'none';"), "{policy}");
    assert!(policy.contains("object-src 'none';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
}

#[tokio::test]
async fn page_csp_hash_matches_inline_script() {
    let dist = Dist::new("hash");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;
    let expected = format!(
        "'sha256-{}'",
        BASE64.encode(Sha256::digest(BOOTSTRAP.as_bytes()))
    );

    let response = send(proxy, "GET", "/", &[]).await;

    assert!(csp(&response).contains(&expected), "{}", csp(&response));
}

#[tokio::test]
async fn page_csp_allows_element_stylesheet() {
    let dist = Dist::new("element-style");
    let stylesheet = ":host { display: block; }\n";
    std::fs::create_dir_all(dist.path().join("pkg")).expect("pkg is created");
    std::fs::write(dist.path().join("pkg/task-status.css"), stylesheet).expect("css is written");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;
    let expected = format!(
        "style-src 'self' 'sha256-{}';",
        BASE64.encode(Sha256::digest(stylesheet.as_bytes()))
    );

    let response = send(proxy, "GET", "/", &[]).await;

    assert!(csp(&response).contains(&expected), "{}", csp(&response));
}

#[tokio::test]
async fn page_frame_ancestors_is_configurable() {
    let dist = Dist::new("frames");
    let (_simulator, proxy) = start_serving(&dist, |config| {
        config.frame_ancestors =
            FrameAncestors::parse("https://portal.example.com").expect("sources are valid");
    })
    .await;

    let response = send(proxy, "GET", "/", &[]).await;

    assert!(
        csp(&response).ends_with("frame-ancestors https://portal.example.com"),
        "{}",
        csp(&response)
    );
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let dist = Dist::new("security");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;

    let responses = [
        send(proxy, "GET", "/", &[]).await,
        send(proxy, "GET", "/widget.css", &[]).await,
        send(proxy, "GET", "/missing.js", &[]).await,
        send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await,
        send(proxy, "GET", "/v1/enterprise/task/..", &[]).await,
        send(proxy, "GET", "/sim/tasks", &[]).await,
    ];
    for response in &responses {
        let status = response.status;

        assert!(
            response.header("content-security-policy").is_some(),
            "{status}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{status}"
        );
        assert_eq!(
            response.header("referrer-policy"),
            Some("no-referrer"),
            "{status}"
        );
        assert_eq!(
            response.header("x-request-id").map(str::len),
            Some(16),
            "{status}"
        );
    }
}

#[tokio::test]
async fn request_ids_differ() {
    let dist = Dist::new("ids");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;

    let first = send(proxy, "GET", "/", &[]).await;
    let second = send(proxy, "GET", "/", &[]).await;

    assert_ne!(first.header("x-request-id"), second.header("x-request-id"));
}

#[tokio::test]
async fn api_responses_are_no_store() {
    let dist = Dist::new("no-store");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;

    let task = send(proxy, "GET", "/v1/enterprise/task/task-1", &[]).await;
    let rejected = send(proxy, "GET", "/v1/enterprise/task/..", &[]).await;

    assert_eq!(task.header("cache-control"), Some("no-store"));
    assert_eq!(rejected.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn static_parent_segments_stay_in_dist() {
    let dist = Dist::new("parent");
    std::fs::write(dist.path().with_extension("secret"), "secret").expect("file is written");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;
    let name = dist
        .path()
        .with_extension("secret")
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();

    let response = send(proxy, "GET", &format!("/../{name}"), &[]).await;
    let _ = std::fs::remove_file(dist.path().with_extension("secret"));

    assert_eq!(response.status, 404);
    assert!(!response.body.contains("secret"), "{}", response.body);
}

#[tokio::test]
async fn cors_headers_absent_by_default() {
    let dist = Dist::new("cors-default");
    let (_simulator, proxy) = start_serving(&dist, |_| {}).await;

    let response = send(
        proxy,
        "GET",
        "/v1/enterprise/task/task-1",
        &[("origin", "https://portal.example.com")],
    )
    .await;
    let cors_headers: Vec<_> = response
        .headers
        .iter()
        .filter(|(name, _)| name.starts_with("access-control-"))
        .collect();

    assert_eq!(response.status, 200);
    assert!(cors_headers.is_empty(), "{cors_headers:?}");
}

fn allow_portal(config: &mut ProxyConfig) {
    config.cors_origins =
        vec![CorsOrigin::parse("https://portal.example.com").expect("origin is valid")];
}

#[tokio::test]
async fn cors_allowlisted_origin_gets_headers() {
    let dist = Dist::new("cors-allowed");
    let (_simulator, proxy) = start_serving(&dist, allow_portal).await;

    let response = send(
        proxy,
        "GET",
        "/v1/enterprise/task/task-1",
        &[("origin", "https://portal.example.com")],
    )
    .await;
    let exposed = response
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();

    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://portal.example.com")
    );
    assert!(exposed.contains("retry-after"), "{exposed}");
}

#[tokio::test]
async fn cors_preflight_of_allowlisted_origin() {
    let dist = Dist::new("cors-preflight");
    let (_simulator, proxy) = start_serving(&dist, allow_portal).await;

    let response = send(
        proxy,
        "OPTIONS",
        "/v1/enterprise/task/task-1",
        &[
            ("origin", "https://portal.example.com"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    let methods = response
        .header("access-control-allow-methods")
        .unwrap_or_default();

    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://portal.example.com")
    );
    assert!(methods.contains("GET"), "{methods}");
    assert!(!methods.contains("POST"), "{methods}");
}

#[tokio::test]
async fn cors_other_origin_gets_no_allow_origin() {
    let dist = Dist::new("cors-other");
    let (_simulator, proxy) = start_serving(&dist, allow_portal).await;

    let response = send(
        proxy,
        "GET",
        "/v1/enterprise/task/task-1",
        &[("origin", "https://other.example.com")],
    )
    .await;

    assert_eq!(response.status, 200);
    assert_eq!(response.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_preflight_rejects_key_header() {
    let dist = Dist::new("cors-key");
    let (_simulator, proxy) = start_serving(&dist, allow_portal).await;

    let response = send(
        proxy,
        "OPTIONS",
        "/v1/enterprise/task/task-1",
        &[
            ("origin", "https://portal.example.com"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-dq-enterprise-api-key"),
        ],
    )
    .await;
    let allowed = response
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();

    assert!(!allowed.contains("x-dq-enterprise-api-key"), "{allowed}");
}
