//! The command line: the simulator stays the default, and the proxy reads
//! its key only from the environment or a file.

mod proxy_support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use proxy_support::{send, start_simulator, SIMULATOR_KEY};

const BINARY: &str = env!("CARGO_BIN_EXE_task-status-server");

/// Time that the binary may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server process, killed on drop.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args` and `env`, and waits for its
/// `listening on http://ADDRESS` line.
fn start_binary(args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_remove("DQ_ENTERPRISE_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");

    let (line_sender, line_receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = line_sender.send(line);
    });
    let line = line_receiver.recv_timeout(START_TIMEOUT);
    let mut server = Server {
        child,
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let line = line.expect("binary prints a line in time");
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    server.address = address.parse().expect("line has an address");
    server
}

#[tokio::test]
async fn cli_without_subcommand_runs_simulator() {
    let server = start_binary(
        &["--port", "0", "--no-demo-tasks", "--dist", "no-dist"],
        &[],
    );

    let response = send(server.address, "GET", "/sim/tasks", &[]).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["tasks"], serde_json::json!([]));
}

#[tokio::test]
async fn cli_simulate_subcommand_runs_simulator() {
    let server = start_binary(&["simulate", "--port", "0", "--dist", "no-dist"], &[]);

    let response = send(server.address, "GET", "/sim/scenarios", &[]).await;

    assert_eq!(response.status, 200, "{}", response.body);
}

#[tokio::test]
async fn cli_proxy_forwards_with_key_from_env() {
    let simulator = start_simulator().await;
    simulator.create_task("task-1").await;
    let upstream = format!("http://{}", simulator.address);
    let server = start_binary(
        &[
            "proxy",
            "--upstream",
            &upstream,
            "--port",
            "0",
            "--key-env",
            "PORTAL_TEST_KEY",
            "--dist",
            "no-dist",
        ],
        &[("PORTAL_TEST_KEY", SIMULATOR_KEY)],
    );

    let task = send(server.address, "GET", "/v1/enterprise/task/task-1", &[]).await;
    let control = send(server.address, "GET", "/sim/tasks", &[]).await;

    assert_eq!(task.status, 200, "{}", task.body);
    assert_eq!(control.status, 404, "{}", control.body);
}

#[tokio::test]
async fn cli_proxy_reads_key_file() {
    let simulator = start_simulator().await;
    simulator.create_task("task-1").await;
    let key_file =
        std::env::temp_dir().join(format!("task-status-server-cli-key-{}", std::process::id()));
    std::fs::write(&key_file, format!("{SIMULATOR_KEY}\n")).expect("key file is written");
    let upstream = format!("http://{}", simulator.address);
    let key_path = key_file.display().to_string();
    let server = start_binary(
        &[
            "proxy",
            "--upstream",
            &upstream,
            "--port",
            "0",
            "--key-file",
            &key_path,
            "--dist",
            "no-dist",
        ],
        &[],
    );

    let task = send(server.address, "GET", "/v1/enterprise/task/task-1", &[]).await;
    let _ = std::fs::remove_file(&key_file);

    assert_eq!(task.status, 200, "{}", task.body);
}

#[test]
fn cli_proxy_without_key_refuses_to_start() {
    let output = Command::new(BINARY)
        .args(["proxy", "--upstream", "http://127.0.0.1:9", "--port", "0"])
        .env_remove("DQ_ENTERPRISE_API_KEY")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);

    assert!(!output.status.success());
    assert!(stderr.contains("DQ_ENTERPRISE_API_KEY"), "{stderr}");
    assert!(stderr.contains("--key-file"), "{stderr}");
    assert!(!stdout.contains("listening on"), "{stdout}");
}

#[test]
fn cli_proxy_has_no_key_flag() {
    let output = Command::new(BINARY)
        .args([
            "proxy",
            "--upstream",
            "http://127.0.0.1:9",
            "--api-key",
            "secret",
        ])
        .output()
        .expect("binary runs");

    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn cli_proxy_rejects_origin_with_path() {
    let output = Command::new(BINARY)
        .args([
            "proxy",
            "--upstream",
            "http://127.0.0.1:9",
            "--cors-origin",
            "https://portal.example.com/",
        ])
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("\"https://portal.example.com\""),
        "{stderr}"
    );
}
