//! Command-line entry point: the task API simulator, by default, or the
//! proxy in front of the real API.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use task_status_server::proxy::{
    self, ApiKey, CorsOrigin, FrameAncestors, KeySource, ProxyConfig, ProxyState, UpstreamUrl,
    DEFAULT_KEY_ENV,
};
use task_status_server::{serve, AppState, Config, SystemClock, DEMO_API_KEY};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Log filter used when `RUST_LOG` is unset or invalid.
const DEFAULT_LOG_FILTER: &str = "task_status_server=info,tower_http=info";

/// Help on the simulator's routes, as a macro so that `concat!` can use it.
macro_rules! simulator_help {
    () => {
        r#"API routes (header x-dq-enterprise-api-key required):
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
connections, and the server stops once the other requests are served."#
    };
}

const TOP_LEVEL_HELP: &str = concat!(
    "Without a subcommand, the simulator runs with the options above, as with\n\
     `simulate`. `task-status-server proxy --help` describes the proxy.\n\n",
    simulator_help!()
);

const PROXY_HELP: &str = r#"Forwarded routes (the proxy adds x-dq-enterprise-api-key):
  GET  /v1/enterprise/task/{taskId}
  POST /v1/enterprise/push/trips/failed/retry     only with --allow-retries
  POST /v1/enterprise/push/crashes/failed/retry   only with --allow-retries

The task id must be one path segment of 1 to 64 ASCII letters, digits, '-' or
'_' once percent-decoded, or the proxy responds 400. Every other method, path or
query string under /v1 and /sim gets a JSON 404, and nothing is sent upstream.
Other paths are served from --dist.

The key is read from the environment variable named by --key-env, or from
--key-file, never from the command line, where `ps` would show it. A key
header sent by the browser is dropped.

Concurrent requests for one task share one upstream request. A 200 with the
task and a 404 are then reused for --cache-ms. Retries are never cached or
shared, and retries from pages of other origins than the proxy's own and the
--cors-origin list are rejected with 403.

Upstream failures are JSON errors: 504 after --upstream-timeout-ms, 502 when
the connection fails, for a redirect (never followed), for a body over 1 MiB,
and for a success status without a JSON body. Error statuses are passed on
with their Retry-After header, and a body that is not JSON is replaced by the
proxy's own JSON error.

Every response has a Content-Security-Policy that allows the inline scripts
of --dist/index.html, and the <task-status> element's stylesheet
--dist/pkg/task-status.css, by their SHA-256 hashes, computed at start:
restart the proxy after rebuilding the page. The proxy has no login of its own: put it
behind the portal's authentication.

Once bound, the proxy prints `listening on http://ADDRESS:PORT` to stdout.
Logs go to stderr, one line per forwarded request with its request id, which
responses carry in x-request-id."#;

/// Simulator of the DriveQuant Enterprise task API, and a proxy that
/// forwards the task status widget's requests to the real API.
#[derive(Debug, Parser)]
#[command(version, about, after_help = TOP_LEVEL_HELP, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Options of the simulator when no subcommand is given.
    #[command(flatten)]
    simulate: SimulateArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the task API simulator. This is the default.
    #[command(after_help = simulator_help!())]
    Simulate(SimulateArgs),

    /// Serve the widget and forward its task requests to the DriveQuant API
    /// with the enterprise API key added.
    #[command(after_help = PROXY_HELP)]
    Proxy(ProxyArgs),
}

#[derive(Debug, Args)]
struct SimulateArgs {
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

#[derive(Debug, Args)]
struct ProxyArgs {
    /// Base URL of the DriveQuant API, such as https://service.drivequant.com.
    #[arg(long, value_name = "URL", value_parser = UpstreamUrl::parse)]
    upstream: UpstreamUrl,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,

    /// Port to listen on; 0 picks any free port.
    #[arg(long, default_value_t = 8080)]
    port: u16,

    /// Folder of the built widget page, served for paths outside /v1 and /sim.
    #[arg(long, default_value = "dist")]
    dist: PathBuf,

    /// Environment variable that contains the enterprise API key.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_KEY_ENV)]
    key_env: String,

    /// File that contains the enterprise API key, with an optional trailing
    /// newline. When set, the environment variable is not read.
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,

    /// Milliseconds that a task response (200 with the task, or 404) is
    /// reused for other viewers of the task; 0 disables the cache.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    cache_ms: u64,

    /// Milliseconds that an upstream request may take, body included,
    /// before the proxy responds 504.
    #[arg(long, value_name = "MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    upstream_timeout_ms: u64,

    /// Forward the two POST .../failed/retry routes too.
    #[arg(long)]
    allow_retries: bool,

    /// Origin, such as https://portal.example.com, that may call the proxy
    /// from its pages. Repeat for more origins. Without it, no CORS headers
    /// are sent.
    #[arg(long, value_name = "ORIGIN", value_parser = CorsOrigin::parse)]
    cors_origin: Vec<CorsOrigin>,

    /// Space-separated sources of the CSP frame-ancestors directive: the
    /// pages that may show the widget page in a frame.
    #[arg(long, value_name = "SOURCES", default_value = "'self'", value_parser = FrameAncestors::parse)]
    frame_ancestors: FrameAncestors,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();

    match cli.command {
        None => run_simulator(cli.simulate).await,
        Some(Command::Simulate(args)) => run_simulator(args).await,
        Some(Command::Proxy(args)) => run_proxy(args).await,
    }
}

async fn run_simulator(args: SimulateArgs) -> ExitCode {
    let Some((listener, local_address)) = bind(&args.host, args.port).await else {
        return ExitCode::FAILURE;
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

    tracing::info!(address = %local_address, "listening");
    announce_address(&format!("listening on http://{local_address}"));

    // `serve` ends delayed and hung scripted requests when the signal
    // arrives, so shutdown does not wait for them.
    let served = serve(listener, state, shutdown_signal()).await;
    report_stop(served)
}

async fn run_proxy(args: ProxyArgs) -> ExitCode {
    // The key is read before binding, so a missing key fails at once
    // instead of after the port is announced.
    let key_source = KeySource {
        env_var: args.key_env,
        file: args.key_file,
    };
    let api_key = match ApiKey::load(&key_source) {
        Ok(api_key) => api_key,
        Err(error) => {
            tracing::error!(%error, "failed to read the API key");
            return ExitCode::FAILURE;
        }
    };

    // `ProxyState::new` warns itself when the page is missing, since it
    // reads the page for the script hashes.
    let mut config = ProxyConfig::new(args.upstream, api_key);
    config.dist_dir = Some(args.dist);
    config.cache_ttl = Duration::from_millis(args.cache_ms);
    config.upstream_timeout = Duration::from_millis(args.upstream_timeout_ms);
    config.allow_retries = args.allow_retries;
    config.cors_origins = args.cors_origin;
    config.frame_ancestors = args.frame_ancestors;
    let state = match ProxyState::new(config) {
        Ok(state) => state,
        Err(error) => {
            tracing::error!(%error, "failed to start the proxy");
            return ExitCode::FAILURE;
        }
    };

    let Some((listener, local_address)) = bind(&args.host, args.port).await else {
        return ExitCode::FAILURE;
    };
    let config = state.config();
    tracing::info!(
        address = %local_address,
        upstream = config.upstream.as_str(),
        cache_ms = args.cache_ms,
        upstream_timeout_ms = args.upstream_timeout_ms,
        allow_retries = config.allow_retries,
        cors_origins = config.cors_origins.len(),
        script_hashes = state.script_hash_count(),
        "proxy listening"
    );
    announce_address(&format!("listening on http://{local_address}"));

    // Graceful shutdown waits for requests in flight, which the upstream
    // timeout bounds.
    let served = axum::serve(listener, proxy::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    report_stop(served)
}

/// Binds the listener, logging the failure.
async fn bind(host: &str, port: u16) -> Option<(TcpListener, SocketAddr)> {
    let listener = match TcpListener::bind((host, port)).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, host, port, "failed to bind");
            return None;
        }
    };
    match listener.local_addr() {
        Ok(local_address) => Some((listener, local_address)),
        Err(error) => {
            tracing::error!(%error, "failed to read the bound address");
            None
        }
    }
}

fn report_stop(served: std::io::Result<()>) -> ExitCode {
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

/// Prints the address line to stdout alone and flushes it at once, because
/// scripts read the port from it, while logs go to stderr.
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
