//! Browser and proxy benchmarks for `cargo xtask bench`: start-up,
//! requests, memory, scale and the proxy.
//!
//! [`run`] measures and returns the Markdown sections of
//! `docs/benchmarks.md` that it measured. `cargo xtask bench` builds the page
//! and the server first, and adds the size and machine sections.

mod browser;
mod memory;
mod pages;
mod proxy;
mod requests;
mod scale;
mod sim;
mod startup;
mod stats;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use task_status_server::Config;

pub use browser::BenchBrowser;
pub use stats::Summary;

use crate::error::{Error, Result};
use crate::simulator::{Simulator, DIST_VARIABLE};
use pages::BenchDist;
use proxy::{ProxyOutcome, ProxySettings};
use sim::SimControl;

/// How many times and for how long each benchmark runs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Page loads of each kind (fresh profile, warm cache).
    pub startup_loads: usize,
    /// Runs of the lifecycle and of the hidden page.
    pub request_runs: usize,
    /// Time to watch after the end of the lifecycle and while hidden.
    pub request_observe: Duration,
    /// Runs of the memory benchmark.
    pub memory_runs: usize,
    /// Poll cycles at which memory is read.
    pub memory_checkpoints: Vec<u64>,
    /// More checkpoints for the first memory run only, late enough to show
    /// whether growth levels off.
    pub memory_long_checkpoints: Vec<u64>,
    /// Runs of the scale page.
    pub scale_runs: usize,
    /// Time the scale page is watched.
    pub scale_window: Duration,
    /// Runs of the proxy's fan-in measurement.
    pub proxy_fan_in_runs: usize,
    /// `wrk` runs for each cache setting.
    pub wrk_runs: usize,
    /// Length of one fan-in run of the proxy.
    pub proxy_fan_in_window: Duration,
    /// Length of one `wrk` run, in seconds.
    pub wrk_seconds: u64,
}

impl Plan {
    /// Returns the plan of the published figures.
    pub fn full() -> Self {
        Self {
            startup_loads: 20,
            request_runs: 2,
            request_observe: Duration::from_secs(10),
            memory_runs: 2,
            memory_checkpoints: vec![100, 1000, 2500, 5000],
            memory_long_checkpoints: vec![10_000, 15_000],
            scale_runs: 2,
            scale_window: Duration::from_secs(10),
            proxy_fan_in_runs: 2,
            wrk_runs: 2,
            proxy_fan_in_window: Duration::from_secs(10),
            wrk_seconds: 10,
        }
    }

    /// Returns a quick plan that checks that every benchmark runs. Its
    /// figures are too few to publish.
    pub fn smoke() -> Self {
        Self {
            startup_loads: 2,
            request_runs: 1,
            request_observe: Duration::from_secs(2),
            memory_runs: 1,
            memory_checkpoints: vec![100, 300],
            memory_long_checkpoints: vec![500, 700],
            scale_runs: 1,
            scale_window: Duration::from_secs(4),
            proxy_fan_in_runs: 1,
            wrk_runs: 1,
            proxy_fan_in_window: Duration::from_secs(3),
            wrk_seconds: 2,
        }
    }
}

/// What the benchmarks found, as Markdown.
pub struct Report {
    /// The sections, each starting with a `##` heading.
    pub sections: String,
    /// Rows of the summary table: measure, result, target.
    pub summary_rows: Vec<[String; 3]>,
}

impl Report {
    /// Returns the summary rows as Markdown table rows.
    pub fn summary_markdown(&self) -> String {
        self.summary_rows
            .iter()
            .map(|[measure, result, target]| format!("| {measure} | {result} | {target} |\n"))
            .collect()
    }
}

/// Runs every benchmark of `plan` against the page in `dist`.
/// `server_binary` is the release `task-status-server`, for the proxy;
/// without it the proxy section states why it was not measured.
pub async fn run(plan: &Plan, dist: &Path, server_binary: Option<&Path>) -> Result<Report> {
    let bench_dist = BenchDist::create(dist)?;
    let simulator = Simulator::start(Config {
        dist_dir: Some(bench_dist.path().to_path_buf()),
        ..Config::default()
    })
    .await?;
    let sim = SimControl::new(simulator.base_url());
    let mut sections = Vec::new();
    let mut summary_rows = Vec::new();

    let started = step("start-up");
    let startup = startup::run(&sim, plan.startup_loads).await?;
    sections.push(startup.markdown());
    summary_rows.extend(startup.summary_rows());
    done(started);

    let started = step("requests");
    let requests = requests::run(&sim, plan.request_runs, plan.request_observe).await?;
    sections.push(requests.markdown());
    summary_rows.extend(requests.summary_rows());
    done(started);

    let started = step("memory");
    let memory = memory::run(
        &sim,
        plan.memory_runs,
        &plan.memory_checkpoints,
        &plan.memory_long_checkpoints,
    )
    .await?;
    sections.push(memory.markdown());
    summary_rows.extend(memory.summary_rows());
    done(started);

    let started = step("scale");
    let scale = scale::run(&sim, plan.scale_runs, plan.scale_window).await?;
    sections.push(scale.markdown());
    summary_rows.extend(scale.summary_rows());
    done(started);

    let started = step("proxy");
    let proxy = match server_binary {
        Some(server_binary) => {
            let log_dir = proxy::log_dir();
            std::fs::create_dir_all(&log_dir).map_err(|error| {
                Error::io(format!("failed to create {}", log_dir.display()), error)
            })?;
            proxy::run(&ProxySettings {
                server_binary,
                dist,
                fan_in_runs: plan.proxy_fan_in_runs,
                wrk_runs: plan.wrk_runs,
                fan_in_window: plan.proxy_fan_in_window,
                wrk_seconds: plan.wrk_seconds,
                log_dir: &log_dir,
            })
            .await?
        }
        None => ProxyOutcome::NotMeasured("no `task-status-server` binary was given".to_owned()),
    };
    if let ProxyOutcome::NotMeasured(reason) = &proxy {
        println!("    not measured: {reason}");
    }
    sections.push(proxy.markdown());
    summary_rows.extend(proxy.summary_rows());
    done(started);

    Ok(Report {
        sections: sections.concat(),
        summary_rows,
    })
}

/// Returns the folder of the built page from `TASK_STATUS_DIST`.
pub fn dist_from_env() -> Result<PathBuf> {
    let Some(dist) = std::env::var_os(DIST_VARIABLE) else {
        return Err(Error::Setup(format!(
            "{DIST_VARIABLE} is not set. Run `cargo xtask bench`, which builds the page and \
             sets it."
        )));
    };
    let dist = PathBuf::from(dist);
    if !dist.join("index.html").is_file() || !dist.join("pkg/index.js").is_file() {
        return Err(Error::Setup(format!(
            "{DIST_VARIABLE}={} lacks index.html or pkg/index.js. Build it with \
             `cargo xtask build`.",
            dist.display()
        )));
    }
    Ok(dist)
}

fn step(name: &str) -> Instant {
    println!("==> benchmark: {name}");
    Instant::now()
}

fn done(started: Instant) {
    println!("    took {:.1} s", started.elapsed().as_secs_f64());
}
