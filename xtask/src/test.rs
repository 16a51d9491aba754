//! `cargo xtask test`: every check that CI runs, in order, stopping at the
//! first failure.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::build;
use crate::error::{Context, Result};
use crate::process;
use crate::server::{self, Profile, ServerOptions, TaskServer};
use crate::tools::{self, Tools, CHROMEDRIVER, CHROMIUM, WASM_TARGET};

/// Options of `cargo xtask test`.
pub struct TestOptions {
    /// Skips the formatting and clippy steps.
    pub quick: bool,
}

/// Time limit in seconds for each wasm test in the browser. It is raised from
/// the default of wasm-bindgen-test-runner 0.2.130 (20 s) because the
/// widget's tests wait for polling rounds against a live task server.
const WASM_TEST_TIMEOUT_SECONDS: &str = "120";

/// How many lines of the task server's log to print when the browser tests fail.
const SERVER_LOG_TAIL_LINES: usize = 40;

/// Runs the steps and prints a summary of them, also when one fails.
pub fn run(root: &Path, options: &TestOptions) -> Result<()> {
    let mut report = Report::default();
    let result = run_steps(root, options, &mut report);
    report.print();
    result
}

fn run_steps(root: &Path, options: &TestOptions, report: &mut Report) -> Result<()> {
    let (tools, axe_core) = report.run("install tools", || {
        let tools = tools::ensure_page_tools(root)?;
        tools::ensure_browser(&tools)?;
        let axe_core = tools::ensure_axe_core(&tools)?;
        Ok((tools, axe_core))
    })?;

    if options.quick {
        for name in ["format check", "clippy (native)", "clippy (wasm32)"] {
            report.skip(name, "--quick");
        }
    } else {
        report.run("format check", || {
            process::run(tools.cargo().args(["fmt", "--all", "--check"]))
        })?;
        report.run("clippy (native)", || {
            process::run(tools.cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
        report.run("clippy (wasm32)", || {
            process::run(tools.cargo().args([
                "clippy",
                "--package",
                "task-status-widget",
                "--target",
                WASM_TARGET,
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
    }

    report.run("native tests", || {
        process::run(
            tools
                .cargo()
                .args(["test", "--workspace", "--exclude", "e2e"]),
        )
    })?;
    report.run("browser tests (wasm32)", || run_browser_tests(&tools))?;
    let dist = report.run("release page", || build::build_page(&tools))?;
    report.run("end-to-end tests", || {
        process::run(
            tools
                .cargo()
                .args(["test", "--package", "e2e"])
                .env("TASK_STATUS_DIST", &dist)
                .env("CHROMEDRIVER", CHROMEDRIVER)
                .env("CHROMIUM", CHROMIUM)
                .env("AXE_CORE_JS", &axe_core),
        )
    })?;
    Ok(())
}

/// Runs the widget's wasm tests in headless Chromium against a task server
/// on a free port, and stops the server afterwards, also on failure.
fn run_browser_tests(tools: &Tools) -> Result<()> {
    let binary = server::build_server(tools, Profile::Debug)?;
    let log_dir = server::target_directory(tools)?.join("xtask");
    fs::create_dir_all(&log_dir)
        .with_context(|| format!("failed to create {}", log_dir.display()))?;
    let log_file = log_dir.join("task-server-browser-tests.log");

    // No --dist: the tests only call the API, so the server serves no page.
    let server = TaskServer::start(
        tools,
        &ServerOptions {
            binary: &binary,
            port: 0,
            api_key: None,
            dist: None,
            log_file: Some(&log_file),
        },
    )?;
    println!("    task server log: {}", log_file.display());

    let tested = process::run(
        tools
            .cargo()
            .args([
                "test",
                "--package",
                "task-status-widget",
                "--target",
                WASM_TARGET,
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env(
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                tools.root().join("webdriver.json"),
            )
            .env("WASM_BINDGEN_TEST_TIMEOUT", WASM_TEST_TIMEOUT_SECONDS)
            // The widget's tests read this with option_env! at compile time.
            .env("TASK_SERVER_URL", server.url()),
    );
    let stopped = server.stop();

    if tested.is_err() {
        print_log_tail(&log_file);
    }
    tested?;
    stopped
}

fn print_log_tail(log_file: &Path) {
    let Ok(text) = fs::read_to_string(log_file) else {
        println!("    (task server log {} is unreadable)", log_file.display());
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(SERVER_LOG_TAIL_LINES);
    println!(
        "==> last {} lines of {}",
        lines.len() - start,
        log_file.display()
    );
    for line in &lines[start..] {
        println!("    {line}");
    }
}

enum Outcome {
    Passed(Duration),
    Failed(Duration),
    Skipped(&'static str),
}

/// The steps run so far, for the summary at the end.
#[derive(Default)]
struct Report {
    steps: Vec<(&'static str, Outcome)>,
}

impl Report {
    /// Runs one step, records its duration and names it in the error.
    fn run<T>(&mut self, name: &'static str, step: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let result = step();
        let duration = started.elapsed();

        let outcome = match result {
            Ok(_) => Outcome::Passed(duration),
            Err(_) => Outcome::Failed(duration),
        };
        self.steps.push((name, outcome));
        result.with_context(|| format!("step `{name}` failed"))
    }

    fn skip(&mut self, name: &'static str, reason: &'static str) {
        self.steps.push((name, Outcome::Skipped(reason)));
    }

    fn print(&self) {
        println!();
        process::announce("summary");
        let mut total = Duration::ZERO;
        let mut failed = false;
        for (name, outcome) in &self.steps {
            match outcome {
                Outcome::Passed(duration) => {
                    total += *duration;
                    println!("    ok      {}  {name}", format_duration(*duration));
                }
                Outcome::Failed(duration) => {
                    total += *duration;
                    failed = true;
                    println!("    FAILED  {}  {name}", format_duration(*duration));
                }
                Outcome::Skipped(reason) => {
                    println!("    skipped {:>8}  {name} ({reason})", "");
                }
            }
        }
        println!("    total   {}", format_duration(total));
        if failed {
            println!("    stopped at the first failure; the steps after it did not run");
        }
    }
}

/// Formats a duration as seconds with one decimal, right-aligned in 8 columns.
fn format_duration(duration: Duration) -> String {
    format!("{:>6.1} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn report_names_failed_step() {
        let mut report = Report::default();

        let error = report
            .run("clippy (native)", || -> Result<()> {
                Err(Error::new("`cargo clippy` failed (exit status: 101)"))
            })
            .unwrap_err();

        assert_eq!(
            error.to_string(),
            "step `clippy (native)` failed: `cargo clippy` failed (exit status: 101)"
        );
        assert!(matches!(report.steps[0].1, Outcome::Failed(_)));
    }

    #[test]
    fn duration_format() {
        assert_eq!(format_duration(Duration::from_millis(1300)), "   1.3 s");
        assert_eq!(format_duration(Duration::from_secs(754)), " 754.0 s");
    }
}
