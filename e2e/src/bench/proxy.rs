//! Proxy: upstream requests for many viewers of one task, and the
//! requests per second that `task-status-server proxy` serves.
//!
//! The simulator (as the upstream) and the proxy run as processes of the
//! release `task-status-server` binary, and `wrk` loads the proxy, all on
//! 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::sim::SimControl;
use super::stats::Summary;
use crate::error::{Error, Result};
use crate::http::HttpClient;

/// Viewers of one task in the fan-in run.
pub const VIEWERS: usize = 100;

/// Pause between two requests of one viewer: the widget's default
/// `poll-interval`, in milliseconds.
const VIEWER_INTERVAL_MS: u64 = 2000;

/// `wrk` threads and connections.
const WRK_THREADS: u32 = 2;
const WRK_CONNECTIONS: u32 = 50;

/// Maximum wait for a server's `listening on` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variable through which the proxy receives the key, which is
/// the proxy's default `--key-env`.
const KEY_VARIABLE: &str = "DQ_ENTERPRISE_API_KEY";

/// The outcome of the proxy benchmark.
pub enum ProxyOutcome {
    /// The binary has no `proxy` subcommand, or a tool is missing.
    NotMeasured(String),
    /// The figures.
    Measured(ProxyResults),
}

/// One fan-in run: viewers polling the proxy for one task.
struct FanInRun {
    window: Duration,
    viewer_requests: u64,
    viewer_errors: u64,
    upstream_requests: u64,
}

/// One `wrk` run.
struct WrkRun {
    requests_per_second: f64,
    median_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
    socket_errors: String,
    upstream_requests: u64,
}

/// The figures of the proxy benchmark.
pub struct ProxyResults {
    fan_in: Vec<FanInRun>,
    wrk_cached: Vec<WrkRun>,
    wrk_uncached: Vec<WrkRun>,
    wrk_seconds: u64,
}

/// Settings of one benchmark run.
pub struct ProxySettings<'a> {
    /// The release `task-status-server` binary.
    pub server_binary: &'a Path,
    /// The built page, passed as `--dist`.
    pub dist: &'a Path,
    /// Runs of the fan-in measurement.
    pub fan_in_runs: usize,
    /// `wrk` runs for each cache setting.
    pub wrk_runs: usize,
    /// Length of one fan-in run.
    pub fan_in_window: Duration,
    /// Length of one `wrk` run, in seconds.
    pub wrk_seconds: u64,
    /// Folder for the servers' logs.
    pub log_dir: &'a Path,
}

/// Runs the proxy benchmarks when the binary has a `proxy` subcommand.
pub async fn run(settings: &ProxySettings<'_>) -> Result<ProxyOutcome> {
    let help = Command::new(settings.server_binary)
        .arg("--help")
        .output()
        .map_err(|error| {
            Error::io(
                format!("failed to run {} --help", settings.server_binary.display()),
                error,
            )
        })?;
    if !has_proxy_subcommand(&String::from_utf8_lossy(&help.stdout)) {
        return Ok(ProxyOutcome::NotMeasured(
            "proxy mode not available (`task-status-server --help` lists no `proxy` subcommand)"
                .to_owned(),
        ));
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        return Ok(ProxyOutcome::NotMeasured(
            "`wrk` not found; install Debian's package `wrk`".to_owned(),
        ));
    }

    let upstream = ServerProcess::start(
        Command::new(settings.server_binary)
            .args(["--host", "127.0.0.1", "--port", "0", "--no-demo-tasks"])
            .arg("--dist")
            .arg(settings.dist),
        &settings.log_dir.join("bench-upstream.log"),
    )?;
    let upstream_control = SimControl::new(&upstream.url);
    let task_id = upstream_control.create_long_task(1.0).await?;

    let mut fan_in = Vec::new();
    let mut wrk_cached = Vec::new();
    {
        let proxy = start_proxy(settings, &upstream.url, None)?;
        let task_url = format!("{}/v1/enterprise/task/{task_id}", proxy.url);
        for index in 0..settings.fan_in_runs {
            let run = fan_in_once(
                &upstream_control,
                &task_id,
                &task_url,
                settings.fan_in_window,
            )
            .await?;
            println!(
                "    proxy fan-in run {}/{}: {} viewer requests, {} upstream",
                index + 1,
                settings.fan_in_runs,
                run.viewer_requests,
                run.upstream_requests
            );
            fan_in.push(run);
        }
        for index in 0..settings.wrk_runs {
            let run =
                wrk_once(&upstream_control, &task_id, &task_url, settings.wrk_seconds).await?;
            println!(
                "    wrk run {}/{} (cache on): {:.0} requests/s",
                index + 1,
                settings.wrk_runs,
                run.requests_per_second
            );
            wrk_cached.push(run);
        }
    }

    let mut wrk_uncached = Vec::new();
    {
        let proxy = start_proxy(settings, &upstream.url, Some(0))?;
        let task_url = format!("{}/v1/enterprise/task/{task_id}", proxy.url);
        for index in 0..settings.wrk_runs {
            let run =
                wrk_once(&upstream_control, &task_id, &task_url, settings.wrk_seconds).await?;
            println!(
                "    wrk run {}/{} (--cache-ms 0): {:.0} requests/s",
                index + 1,
                settings.wrk_runs,
                run.requests_per_second
            );
            wrk_uncached.push(run);
        }
    }

    Ok(ProxyOutcome::Measured(ProxyResults {
        fan_in,
        wrk_cached,
        wrk_uncached,
        wrk_seconds: settings.wrk_seconds,
    }))
}

fn start_proxy(
    settings: &ProxySettings<'_>,
    upstream_url: &str,
    cache_ms: Option<u64>,
) -> Result<ServerProcess> {
    let mut command = Command::new(settings.server_binary);
    command
        .args(["proxy", "--upstream", upstream_url])
        .args(["--host", "127.0.0.1", "--port", "0"])
        .arg("--dist")
        .arg(settings.dist)
        .env(KEY_VARIABLE, task_status_server::DEMO_API_KEY);
    if let Some(cache_ms) = cache_ms {
        command.args(["--cache-ms", &cache_ms.to_string()]);
    }
    let name = match cache_ms {
        Some(cache_ms) => format!("bench-proxy-cache-{cache_ms}.log"),
        None => "bench-proxy.log".to_owned(),
    };
    ServerProcess::start(&mut command, &settings.log_dir.join(name))
}

/// Returns whether `--help` output lists a `proxy` subcommand under
/// `Commands:`, as clap prints it.
fn has_proxy_subcommand(help: &str) -> bool {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .any(|line| line.split_whitespace().next() == Some("proxy"))
}

/// Runs [`VIEWERS`] clients that poll the proxy for one task like widgets
/// with the default interval, their first requests spread evenly over one
/// interval.
async fn fan_in_once(
    upstream: &SimControl,
    task_id: &str,
    task_url: &str,
    window: Duration,
) -> Result<FanInRun> {
    let upstream_before = upstream.requests(task_id).await?.count;
    let started = Instant::now();
    let http = HttpClient::new();
    let mut viewers = Vec::new();
    for index in 0..VIEWERS {
        let http = http.clone();
        let url = task_url.to_owned();
        let offset = Duration::from_millis(VIEWER_INTERVAL_MS * index as u64 / VIEWERS as u64);
        viewers.push(tokio::spawn(async move {
            let mut requests = 0_u64;
            let mut errors = 0_u64;
            tokio::time::sleep(offset).await;
            while started.elapsed() < window {
                requests += 1;
                match http.get(&url).await {
                    Ok(response) if response.status.is_success() => {}
                    _ => errors += 1,
                }
                // The last pause ends with the window, so the window's
                // length is the time that the requests were spread over.
                let remaining = window.saturating_sub(started.elapsed());
                let pause = Duration::from_millis(VIEWER_INTERVAL_MS).min(remaining);
                tokio::time::sleep(pause).await;
            }
            (requests, errors)
        }));
    }

    let mut viewer_requests = 0;
    let mut viewer_errors = 0;
    for viewer in viewers {
        let (requests, errors) = viewer
            .await
            .map_err(|error| Error::Setup(format!("a viewer task failed: {error}")))?;
        viewer_requests += requests;
        viewer_errors += errors;
    }
    let window = started.elapsed();
    let upstream_after = upstream.requests(task_id).await?.count;
    Ok(FanInRun {
        window,
        viewer_requests,
        viewer_errors,
        upstream_requests: upstream_after - upstream_before,
    })
}

async fn wrk_once(
    upstream: &SimControl,
    task_id: &str,
    task_url: &str,
    seconds: u64,
) -> Result<WrkRun> {
    let upstream_before = upstream.requests(task_id).await?.count;
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{WRK_THREADS}"))
        .arg(format!("-c{WRK_CONNECTIONS}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg(task_url);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|error| Error::Setup(format!("the wrk task failed: {error}")))?
        .map_err(|error| Error::io("failed to run wrk", error))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(Error::Setup(format!(
            "wrk failed ({}): {}{}",
            output.status,
            text,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let upstream_after = upstream.requests(task_id).await?.count;
    let mut run = parse_wrk(&text)
        .ok_or_else(|| Error::Setup(format!("failed to parse wrk's output:\n{text}")))?;
    run.upstream_requests = upstream_after - upstream_before;
    Ok(run)
}

/// Reads requests per second, the median and 99th percentile latency and
/// the error lines from the output of `wrk --latency`.
fn parse_wrk(text: &str) -> Option<WrkRun> {
    let mut requests_per_second = None;
    let mut median_ms = None;
    let mut p99_ms = None;
    let mut non_2xx = 0;
    let mut socket_errors = "none".to_owned();
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("Requests/sec:") => requests_per_second = words.next()?.parse().ok(),
            Some("50%") => median_ms = duration_ms(words.next()?),
            Some("99%") => p99_ms = duration_ms(words.next()?),
            _ => {}
        }
        if let Some(count) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = count.trim().parse().ok()?;
        }
        if let Some(errors) = line.strip_prefix("Socket errors:") {
            socket_errors = errors.trim().to_owned();
        }
    }
    Some(WrkRun {
        requests_per_second: requests_per_second?,
        median_ms: median_ms?,
        p99_ms: p99_ms?,
        non_2xx,
        socket_errors,
        upstream_requests: 0,
    })
}

/// Converts a wrk duration such as `812.00us`, `1.52ms` or `1.01s` to
/// milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(number) = text.strip_suffix("us") {
        (number, 0.001)
    } else if let Some(number) = text.strip_suffix("ms") {
        (number, 1.0)
    } else if let Some(number) = text.strip_suffix('m') {
        (number, 60_000.0)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|value| value * scale)
}

/// A `task-status-server` process. Dropping it kills the process.
struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    /// Starts `command`, sends its stderr to `log`, and waits for its
    /// `listening on URL` line.
    fn start(command: &mut Command, log: &Path) -> Result<Self> {
        let log_file = std::fs::File::create(log)
            .map_err(|error| Error::io(format!("failed to create {}", log.display()), error))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|error| Error::io("failed to start task-status-server", error))?;
        let Some(stdout) = child.stdout.take() else {
            return Err(Error::Setup(
                "task-status-server has no stdout pipe".to_owned(),
            ));
        };

        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            // The server prints one line; reading on keeps the pipe open.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = sender.send(url.trim().to_owned());
                }
            }
        });
        let mut process = Self {
            child,
            url: String::new(),
        };
        process.url = receiver.recv_timeout(STARTUP_TIMEOUT).map_err(|_| {
            Error::Setup(format!(
                "task-status-server printed no `listening on` line within {STARTUP_TIMEOUT:?}; \
                 see {}",
                log.display()
            ))
        })?;
        Ok(process)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Returns the folder of the servers' logs: `target/bench/` of the workspace.
pub fn log_dir() -> PathBuf {
    crate::target_dir().join("bench")
}

impl ProxyOutcome {
    /// Returns the rows of the summary table: measure, result, target.
    pub fn summary_rows(&self) -> Vec<[String; 3]> {
        let results = match self {
            ProxyOutcome::NotMeasured(reason) => {
                return vec![[
                    "Proxy".to_owned(),
                    format!("not measured: {reason}"),
                    "–".to_owned(),
                ]]
            }
            ProxyOutcome::Measured(results) => results,
        };
        let upstream: Vec<String> = results
            .fan_in
            .iter()
            .map(|run| {
                format!(
                    "{} for {} viewer requests in {:.0} s",
                    run.upstream_requests,
                    run.viewer_requests,
                    run.window.as_secs_f64()
                )
            })
            .collect();
        let rate: Vec<f64> = results
            .wrk_cached
            .iter()
            .map(|run| run.requests_per_second)
            .collect();
        let p99: Vec<f64> = results.wrk_cached.iter().map(|run| run.p99_ms).collect();
        vec![
            [
                format!("Upstream requests, {VIEWERS} viewers of one task through the proxy"),
                upstream.join("; "),
                "about one per second (the 1 s cache)".to_owned(),
            ],
            [
                "Proxy requests/s on loopback (wrk, default cache)".to_owned(),
                format!(
                    "{} requests/s, p99 {:.1} ms (medians)",
                    Summary::of(&rate)
                        .map_or_else(|| "–".to_owned(), |s| format!("{:.0}", s.median)),
                    Summary::of(&p99).map_or(f64::NAN, |s| s.median)
                ),
                "–".to_owned(),
            ],
        ]
    }

    /// Returns the Markdown section.
    pub fn markdown(&self) -> String {
        let mut text = String::from("## Proxy\n\n");
        let results = match self {
            ProxyOutcome::NotMeasured(reason) => {
                text.push_str(&format!("not measured: {reason}\n\n"));
                return text;
            }
            ProxyOutcome::Measured(results) => results,
        };

        text.push_str(&format!(
            "`task-status-server proxy --upstream URL` (release build, default options: \
             `--cache-ms 1000`, logs at the default filter to a file) forwards to a simulator \
             process of the same binary, both on 127.0.0.1, with the simulator's key given in \
             `{KEY_VARIABLE}`.\n\n\
             **Many viewers.** {VIEWERS} HTTP clients in the benchmark process stand for \
             {VIEWERS} browsers that watch one IN_PROGRESS task with the widget's default \
             interval. Each sends `GET /v1/enterprise/task/{{id}}` to the proxy, waits for the \
             response, pauses {VIEWER_INTERVAL_MS} ms and repeats. Their first requests are \
             spread evenly over one interval. Upstream requests are the simulator's count for \
             the id.\n\n"
        ));
        text.push_str("| run | window | viewer requests | failed | upstream requests | upstream per second |\n");
        text.push_str("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (index, run) in results.fan_in.iter().enumerate() {
            let seconds = run.window.as_secs_f64();
            text.push_str(&format!(
                "| {} | {seconds:.1} s | {} | {} | {} | {:.2} |\n",
                index + 1,
                run.viewer_requests,
                run.viewer_errors,
                run.upstream_requests,
                run.upstream_requests as f64 / seconds
            ));
        }

        text.push_str(&format!(
            "\n**Throughput.** `wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{}s --latency` on \
             the task route of the proxy, with the default cache and with `--cache-ms 0` \
             (concurrent requests for one task still share one upstream request). wrk, the \
             proxy and the simulator share the machine's cores, so these are figures for this \
             machine, not the proxy's limit.\n\n",
            results.wrk_seconds
        ));
        text.push_str(
            "| cache | runs | requests/s median (min–max) | latency median | latency p99 | non-2xx | socket errors | upstream requests |\n",
        );
        text.push_str("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n");
        for (name, runs) in [
            ("1000 ms (default)", &results.wrk_cached),
            ("off (`--cache-ms 0`)", &results.wrk_uncached),
        ] {
            let rate: Vec<f64> = runs.iter().map(|run| run.requests_per_second).collect();
            let median: Vec<f64> = runs.iter().map(|run| run.median_ms).collect();
            let p99: Vec<f64> = runs.iter().map(|run| run.p99_ms).collect();
            let Some(rate) = Summary::of(&rate) else {
                continue;
            };
            let non_2xx: u64 = runs.iter().map(|run| run.non_2xx).sum();
            let upstream: u64 = runs.iter().map(|run| run.upstream_requests).sum();
            let errors: Vec<&str> = runs
                .iter()
                .map(|run| run.socket_errors.as_str())
                .filter(|errors| *errors != "none")
                .collect();
            let errors = if errors.is_empty() {
                "none".to_owned()
            } else {
                errors.join("; ")
            };
            text.push_str(&format!(
                "| {name} | {} | {} | {:.2} ms | {:.2} ms | {non_2xx} | {} | {upstream} |\n",
                runs.len(),
                rate.median_range(0),
                Summary::of(&median).map_or(f64::NAN, |s| s.median),
                Summary::of(&p99).map_or(f64::NAN, |s| s.median),
                errors
            ));
        }
        text.push_str(
            "\nLatencies are the medians over the runs of wrk's 50th and 99th percentiles; \
             non-2xx and upstream requests are totals over the runs.\n\n",
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_subcommand_in_help() {
        let help = "Usage: task-status-server [OPTIONS]\n\nCommands:\n  simulate  Run it\n  proxy     Serve\n  help      Print\n\nOptions:\n  --proxy-x\n";

        assert!(has_proxy_subcommand(help));
        assert!(!has_proxy_subcommand(
            "Usage: task-status-server [OPTIONS]\n\nOptions:\n  --proxy  x\n"
        ));
    }

    #[test]
    fn wrk_output_parsed() {
        let output = "Running 10s test @ http://127.0.0.1:1/v1/enterprise/task/a
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.00ms  30.00ms   90.00%
  Latency Distribution
     50%  812.00us
     75%    2.00ms
     90%    3.00ms
     99%    1.20s
  100000 requests in 10.00s, 40.00MB read
  Non-2xx or 3xx responses: 7
Requests/sec:  10000.50
Transfer/sec:      4.00MB
";
        let run = parse_wrk(output).unwrap();

        assert_eq!(run.requests_per_second, 10000.5);
        assert!((run.median_ms - 0.812).abs() < 1e-9);
        assert_eq!(run.p99_ms, 1200.0);
        assert_eq!(run.non_2xx, 7);
        assert_eq!(run.socket_errors, "none");
    }
}
