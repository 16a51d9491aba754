//! Static files of the demo page, served for paths that match no route.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::StatusCode;
use common::TestApp;
use task_status_server::Config;

/// Temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "task-status-server-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("temp dir is created");
        Self(path)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).expect("file is written");
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn app_serving(dist: &Path) -> TestApp {
    TestApp::with_config(Config {
        dist_dir: Some(dist.to_path_buf()),
        demo_tasks: false,
        ..Config::default()
    })
}

#[tokio::test]
async fn static_root_serves_index() {
    let dist = TempDir::new();
    dist.write("index.html", "<p>demo page</p>");
    let app = app_serving(dist.path());

    let response = app.get("/").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text, "<p>demo page</p>");
}

#[tokio::test]
async fn static_file_is_served() {
    let dist = TempDir::new();
    dist.write("index.html", "<p>demo page</p>");
    dist.write("widget.js", "console.log(1);");
    let app = app_serving(dist.path());

    let response = app.get("/widget.js").await;
    let content_type = response
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text, "console.log(1);");
    assert!(content_type.contains("javascript"), "{content_type}");
}

#[tokio::test]
async fn static_missing_file_is_plain_404() {
    let dist = TempDir::new();
    dist.write("index.html", "<p>demo page</p>");
    let app = app_serving(dist.path());

    let response = app.get("/missing.js").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.text, "No file at this path.\n");
}

#[tokio::test]
async fn static_missing_index_asks_to_build_demo() {
    let dist = TempDir::new();
    let app = app_serving(dist.path());

    let response = app.get("/").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(
        response.text.contains("cargo xtask demo"),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn static_missing_folder_asks_to_build_demo() {
    let dist = TempDir::new();
    let app = app_serving(&dist.path().join("not-built"));

    let response = app.get("/").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(
        response.text.contains("cargo xtask demo"),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn static_unset_folder_asks_to_build_demo() {
    let app = TestApp::new();

    let response = app.get("/").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(
        response.text.contains("cargo xtask demo"),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn static_api_path_stays_json_404() {
    let dist = TempDir::new();
    dist.write("index.html", "<p>demo page</p>");
    let app = app_serving(dist.path());

    let response = app.get("/v1/enterprise/unknown").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["error"], "not_found");
}

#[tokio::test]
async fn static_parent_segments_are_rejected() {
    let root = TempDir::new();
    root.write("secret.txt", "secret");
    std::fs::create_dir_all(root.path().join("dist")).expect("dist is created");
    let app = app_serving(&root.path().join("dist"));

    let response = app.get("/../secret.txt").await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(!response.text.contains("secret"));
}

#[tokio::test]
async fn static_requests_listed_as_unmatched() {
    let dist = TempDir::new();
    dist.write("index.html", "<p>demo page</p>");
    let app = app_serving(dist.path());

    app.get("/").await;
    let index = app.get("/sim/requests").await.json();

    assert_eq!(index["unmatched"], serde_json::json!(["/"]));
}
