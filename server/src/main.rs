//! Command-line entry point of the task API simulator.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use task_status_server::{serve, AppState, Config, SystemClock, DEMO_API_KEY};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Log filter used when `RUST_LOG` is unset or invalid.
const DEFAULT_LOG_FILTER: &str = "task_status_server=info,tower_http=info";

const AFTER_HELP: &str = r#"API routes (header x-dq-enterprise-api-key required):
  GET  /v1/enterprise/task/{taskId}
  POST /v1/enterprise/push/trips/failed/retry
  POST /v1/enterprise/push/crashes/failed/retry

Control routes (no key):
  GET  /sim/tasks                  list tasks with status and label, and the demo key
  POST /sim/tasks                  create a task from optional JSON fields taskId,
                                   type, nbItems, pendingMs, itemsPerSecond
  POST /sim/tasks/{taskId}/fail    make a task FAILED now
  POST /sim/tasks/{taskId}/script  script the task's next responses from the JSON
                                   {"steps": [STEP, ...], "then": "simulate" or
                                   "repeat-last"}. Each STEP takes the optional
                                   fields status, headers, body, json, task, omit,
                                   delayMs, hang and dropConnection, described in
                                   the crate docs (cargo doc -p task-status-server)
  GET  /sim/scenarios              list the scenario presets
  POST /sim/scenarios/{name}       create a task with a preset script: flaky,
                                   rate-limited, slow, never-answering, garbage
                                   or unknown-status
  POST /sim/push/pause             pause the push service, canceling running tasks
  POST /sim/push/resume            resume the push service
  GET  /sim/requests               request counts per task id and unmatched paths
  GET  /sim/requests/{taskId}      every GET of that task with its arrival, end,
                                   status and scripted step, and maxInFlight

Other paths are served from --dist. Once bound, the server prints one line,
`listening on http://ADDRESS:PORT`, to stdout. Logs go to stderr; set RUST_LOG
to change their filter (default: task_status_server=info,tower_http=info).
On Ctrl-C or SIGTERM, scripted delays and hangs end at once by closing their
connections, and the server stops once the other requests are served."#;

/// Local simulator of the DriveQuant Enterprise task API.
#[derive(Debug, Parser)]
#[command(version, about, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,

    /// Port to listen on; 0 picks any free port.
    #[arg(long, default_value_t = 8080)]
    port: u16,

    /// API key that requests must send. It is a key of this simulator only
    /// and grants nothing on the real DriveQuant service.
    #[arg(long, default_value = DEMO_API_KEY)]
    api_key: String,

    /// Folder of the built demo page, served for paths that match no route.
    #[arg(long, default_value = "dist")]
    dist: PathBuf,

    /// Items per second that new tasks and the live demo task finish once in
    /// progress.
    #[arg(long, default_value_t = 5.0, value_parser = parse_rate)]
    items_per_second: f64,

    /// Seconds that new tasks and the live demo task stay PENDING.
    #[arg(long, default_value = "3", value_parser = parse_seconds)]
    pending_secs: Duration,

    /// Start with no seeded demo tasks.
    #[arg(long)]
    no_demo_tasks: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_logging();

    let address = (args.host.as_str(), args.port);
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, host = %args.host, port = args.port, "failed to bind");
            return ExitCode::FAILURE;
        }
    };
    let local_address = match listener.local_addr() {
        Ok(local_address) => local_address,
        Err(error) => {
            tracing::error!(%error, "failed to read the bound address");
            return ExitCode::FAILURE;
        }
    };

    warn_if_page_missing(&args.dist);
    let config = Config {
        api_key: args.api_key,
        dist_dir: Some(args.dist),
        items_per_second: args.items_per_second,
        pending: args.pending_secs,
        demo_tasks: !args.no_demo_tasks,
        ..Config::default()
    };
    let state = AppState::new(config, Arc::new(SystemClock));

    // Scripts read the port from this line, so it goes to stdout alone and
    // is flushed at once, while logs go to stderr.
    tracing::info!(address = %local_address, "listening");
    announce_address(&format!("listening on http://{local_address}"));

    // `serve` ends delayed and hung scripted requests when the signal
    // arrives, so shutdown does not wait for them.
    let served = serve(listener, state, shutdown_signal()).await;
    match served {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn announce_address(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
    if let Err(error) = written {
        tracing::warn!(%error, "failed to print the address to stdout");
    }
}

fn warn_if_page_missing(dist: &std::path::Path) {
    if !dist.join("index.html").is_file() {
        tracing::warn!(
            dist = %dist.display(),
            "demo page not found; run `cargo xtask demo` to build it"
        );
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "failed to listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("invalid number {text:?}"))?;
    if rate.is_finite() && rate >= 0.0 {
        Ok(rate)
    } else {
        Err(format!("must be a finite number of 0 or more, got {text}"))
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("invalid number {text:?}"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("must be a finite number of seconds of 0 or more, got {text}"))
}
